package approval

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testNotifierARN = "arn:aws:lambda:eu-west-1:123456789012:function:deploy-prod-notifier"

const testRetry = `"Retry":[{"BackoffRate":2,"ErrorEquals":["Lambda.ClientExecutionTimeoutException","Lambda.ServiceException","Lambda.AWSLambdaException","Lambda.SdkClientException","Lambda.TooManyRequestsException"],"IntervalSeconds":2,"JitterStrategy":"FULL","MaxAttempts":6},` +
	`{"BackoffRate":3,"ErrorEquals":["ManualApproval.NotifyFailed"],"IntervalSeconds":10,"JitterStrategy":"FULL","MaxAttempts":3}]`

func TestTaskState(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		arn  string
		opts TaskStateOptions
		want string
	}{
		{
			name: "JSONPath defaults",
			arn:  testNotifierARN,
			want: `{
			  "Type": "Task",
			  "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
			  "Parameters": {
			    "FunctionName": "` + testNotifierARN + `",
			    "Payload": {
			      "token.$": "$$.Task.Token",
			      "input.$": "$",
			      "execution_id.$": "$$.Execution.Id",
			      "state_machine_id.$": "$$.StateMachine.Id",
			      "state_name.$": "$$.State.Name"
			    }
			  },
			  "HeartbeatSeconds": 3600, "TimeoutSeconds": 3900,
			  ` + testRetry + `
			}`,
		},
		{
			name: "JSONPath every option",
			arn:  "arn:aws-cn:lambda:cn-north-1:123456789012:function:g-notifier",
			opts: TaskStateOptions{
				Title:                "Deploy {{version}}?",
				Text:                 "Production deploy",
				Fields:               map[string]string{"version": "$.build.version", "execution": "$$.Execution.Name"},
				Input:                "$.build",
				RequestedBy:          "$.requested_by",
				TimeoutSeconds:       600,
				ResultPath:           "$.approval",
				Next:                 "Deploy",
				CatchRejected:        "Rejected",
				OmitExecutionContext: true,
			},
			want: `{
			  "Type": "Task",
			  "Resource": "arn:aws-cn:states:::lambda:invoke.waitForTaskToken",
			  "Parameters": {
			    "FunctionName": "arn:aws-cn:lambda:cn-north-1:123456789012:function:g-notifier",
			    "Payload": {
			      "token.$": "$$.Task.Token",
			      "input.$": "$.build",
			      "title": "Deploy {{version}}?",
			      "text": "Production deploy",
			      "fields": {"version.$": "$.build.version", "execution.$": "$$.Execution.Name"},
			      "requested_by.$": "$.requested_by"
			    }
			  },
			  "HeartbeatSeconds": 600, "TimeoutSeconds": 900,
			  "ResultPath": "$.approval",
			  "Catch": [{"ErrorEquals": ["ManualApproval.Rejected"], "Next": "Rejected", "ResultPath": "$.approval_error"}],
			  "Next": "Deploy",
			  ` + testRetry + `
			}`,
		},
		{
			name: "JSONata defaults",
			arn:  testNotifierARN,
			opts: TaskStateOptions{QueryLanguage: QueryLanguageJSONata},
			want: `{
			  "Type": "Task",
			  "QueryLanguage": "JSONata",
			  "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
			  "Arguments": {
			    "FunctionName": "` + testNotifierARN + `",
			    "Payload": {
			      "token": "{% $states.context.Task.Token %}",
			      "input": "{% $states.input %}",
			      "execution_id": "{% $states.context.Execution.Id %}",
			      "state_machine_id": "{% $states.context.StateMachine.Id %}",
			      "state_name": "{% $states.context.State.Name %}"
			    }
			  },
			  "HeartbeatSeconds": 3600, "TimeoutSeconds": 3900,
			  ` + testRetry + `
			}`,
		},
		{
			name: "JSONata every option",
			arn:  testNotifierARN,
			opts: TaskStateOptions{
				QueryLanguage:  QueryLanguageJSONata,
				Title:          "Deploy?",
				Text:           "{% 'Version ' & $states.input.build.version %}",
				Fields:         map[string]string{"version": "$states.input.build.version", "name": "{% $states.context.Execution.Name %}"},
				Input:          "$states.input.build",
				RequestedBy:    "$states.input.requested_by",
				TimeoutSeconds: 3600,
				ResultPath:     "$.approval",
				Next:           "Deploy",
				CatchRejected:  "Rejected",
			},
			want: `{
			  "Type": "Task",
			  "QueryLanguage": "JSONata",
			  "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
			  "Arguments": {
			    "FunctionName": "` + testNotifierARN + `",
			    "Payload": {
			      "token": "{% $states.context.Task.Token %}",
			      "input": "{% $states.input.build %}",
			      "execution_id": "{% $states.context.Execution.Id %}",
			      "state_machine_id": "{% $states.context.StateMachine.Id %}",
			      "state_name": "{% $states.context.State.Name %}",
			      "title": "Deploy?",
			      "text": "{% 'Version ' & $states.input.build.version %}",
			      "fields": {"version": "{% $states.input.build.version %}", "name": "{% $states.context.Execution.Name %}"},
			      "requested_by": "{% $states.input.requested_by %}"
			    }
			  },
			  "HeartbeatSeconds": 3600, "TimeoutSeconds": 3900,
			  "Output": "{% $merge([$states.input, {'approval': $states.result}]) %}",
			  "Catch": [{"ErrorEquals": ["ManualApproval.Rejected"], "Next": "Rejected",
			             "Output": "{% $merge([$states.input, {'approval_error': $states.errorOutput}]) %}"}],
			  "Next": "Deploy",
			  ` + testRetry + `
			}`,
		},
		{
			// AWS: "A Task state failed to send a heartbeat for a period
			// longer than the HeartbeatSeconds value" is
			// States.HeartbeatTimeout, and States.Timeout is the Task's
			// TimeoutSeconds; the rejection's catcher comes first
			// (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
			name: "JSONPath on_timeout",
			arn:  testNotifierARN,
			opts: TaskStateOptions{CatchRejected: "Rejected", OnTimeout: "Expired", OmitExecutionContext: true},
			want: `{
			  "Type": "Task",
			  "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
			  "Parameters": {
			    "FunctionName": "` + testNotifierARN + `",
			    "Payload": {"token.$": "$$.Task.Token", "input.$": "$"}
			  },
			  "HeartbeatSeconds": 3600, "TimeoutSeconds": 3900,
			  "Catch": [
			    {"ErrorEquals": ["ManualApproval.Rejected"], "Next": "Rejected", "ResultPath": "$.approval_error"},
			    {"ErrorEquals": ["States.HeartbeatTimeout", "States.Timeout"], "Next": "Expired", "ResultPath": "$.approval_error"}
			  ],
			  ` + testRetry + `
			}`,
		},
		{
			name: "JSONata on_timeout alone",
			arn:  testNotifierARN,
			opts: TaskStateOptions{QueryLanguage: QueryLanguageJSONata, OnTimeout: "Expired", OmitExecutionContext: true},
			want: `{
			  "Type": "Task",
			  "QueryLanguage": "JSONata",
			  "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
			  "Arguments": {
			    "FunctionName": "` + testNotifierARN + `",
			    "Payload": {"token": "{% $states.context.Task.Token %}", "input": "{% $states.input %}"}
			  },
			  "HeartbeatSeconds": 3600, "TimeoutSeconds": 3900,
			  "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout", "States.Timeout"], "Next": "Expired",
			             "Output": "{% $merge([$states.input, {'approval_error': $states.errorOutput}]) %}"}],
			  ` + testRetry + `
			}`,
		},
		{
			name: "JSONata result_path $",
			arn:  testNotifierARN,
			opts: TaskStateOptions{QueryLanguage: QueryLanguageJSONata, ResultPath: "$", OmitExecutionContext: true},
			want: `{
			  "Type": "Task",
			  "QueryLanguage": "JSONata",
			  "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
			  "Arguments": {
			    "FunctionName": "` + testNotifierARN + `",
			    "Payload": {"token": "{% $states.context.Task.Token %}", "input": "{% $states.input %}"}
			  },
			  "HeartbeatSeconds": 3600, "TimeoutSeconds": 3900,
			  ` + testRetry + `
			}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := TaskStateJSON(tc.arn, 3600, tc.opts)
			if err != nil {
				t.Fatalf("TaskStateJSON: %v", err)
			}
			if diff := cmp.Diff(decodeJSON(t, tc.want), decodeJSON(t, got)); diff != "" {
				t.Errorf("Task state (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTaskStatePayloadKeys checks that the payload keys, without the ".$"
// of JSONPath, are json names of Payload's fields: the notifier would drop
// any other.
func TestTaskStatePayloadKeys(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	pt := reflect.TypeFor[Payload]()
	for i := range pt.NumField() {
		known[strings.Split(pt.Field(i).Tag.Get("json"), ",")[0]] = true
	}
	full := TaskStateOptions{Title: "t", Text: "x", Fields: map[string]string{"a": "$.a"}, RequestedBy: "$.r"}
	for _, lang := range QueryLanguages {
		o := full
		o.QueryLanguage = lang
		if lang == QueryLanguageJSONata {
			o.Fields, o.RequestedBy = map[string]string{"a": "$states.input.a"}, "$states.input.r"
		}
		state, err := TaskState(testNotifierARN, 60, o)
		if err != nil {
			t.Fatal(err)
		}
		args, _ := state["Parameters"].(map[string]any)
		if lang == QueryLanguageJSONata {
			args, _ = state["Arguments"].(map[string]any)
		}
		payload, _ := args["Payload"].(map[string]any)
		got := map[string]bool{}
		for k := range payload {
			k = strings.TrimSuffix(k, ".$")
			got[k] = true
			if !known[k] {
				t.Errorf("%s: payload key %q is not a field of approval.Payload", lang, k)
			}
		}
		if diff := cmp.Diff(known, got); diff != "" {
			t.Errorf("%s: payload keys (-Payload +state):\n%s", lang, diff)
		}
		// Decoding what Step Functions would send fills the Payload.
		if lang == QueryLanguageJSONPath {
			if fields, _ := payload["fields"].(map[string]any); fields["a.$"] != "$.a" {
				t.Errorf("fields = %v, want {\"a.$\": \"$.a\"}", fields)
			}
		}
	}
}

func TestTaskStateErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		arn  string
		opts TaskStateOptions
		want string
	}{
		{"no notifier", "", TaskStateOptions{}, "notifier_function_arn: must be set"},
		{"query language", testNotifierARN, TaskStateOptions{QueryLanguage: "jsonpath"}, `query_language: unknown query language "jsonpath"`},
		{"timeout above the gate's", testNotifierARN, TaskStateOptions{TimeoutSeconds: 3601}, "timeout_seconds: 3601 is above the gate's timeout_seconds (3600)"},
		{"negative timeout", testNotifierARN, TaskStateOptions{TimeoutSeconds: -1}, "timeout_seconds: must be positive"},
		{"field path", testNotifierARN, TaskStateOptions{Fields: map[string]string{"v": "build.version"}}, `fields.v: "build.version" is not a JSONPath: it must start with "$"`},
		{"field name", testNotifierARN, TaskStateOptions{Fields: map[string]string{"v.$": "$.v"}}, `fields: field name "v.$" must not end with ".$"`},
		{"input path", testNotifierARN, TaskStateOptions{Input: "build"}, `input: "build" is not a JSONPath`},
		{"requested_by path", testNotifierARN, TaskStateOptions{RequestedBy: "user"}, `requested_by: "user" is not a JSONPath`},
		{"result path", testNotifierARN, TaskStateOptions{ResultPath: "approval"}, `result_path: "approval" is not a JSONPath`},
		{"JSONata result path", testNotifierARN, TaskStateOptions{QueryLanguage: QueryLanguageJSONata, ResultPath: "$.a.b"}, `result_path: "$.a.b" cannot be expressed with JSONata`},
		{"JSONata empty field", testNotifierARN, TaskStateOptions{QueryLanguage: QueryLanguageJSONata, Fields: map[string]string{"v": "{% %}"}}, "fields.v: the JSONata expression is empty"},
		{"long next", testNotifierARN, TaskStateOptions{Next: strings.Repeat("n", 81)}, "next: state name"},
		{"long on_timeout", testNotifierARN, TaskStateOptions{OnTimeout: strings.Repeat("t", 81)}, "on_timeout: state name"},
		{"blank on_timeout", testNotifierARN, TaskStateOptions{OnTimeout: "  "}, `on_timeout: state name "  " is only white space`},
		{"control character in catch_rejected", testNotifierARN, TaskStateOptions{CatchRejected: "Re\njected"}, "catch_rejected: state name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := TaskState(tc.arn, 3600, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("TaskState error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("invalid JSON %s: %v", s, err)
	}
	return v
}

// TestTaskState_errorsAndHeartbeat: the States Language requires
// HeartbeatSeconds to be smaller than TimeoutSeconds; the heartbeat deadline
// is the wait (the notifier's heartbeat starts it); the Retry covers
// ManualApproval.NotifyFailed and AWS's Lambda service errors
// (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html)
// but never ManualApproval.InvalidRequest, which no retry can fix.
func TestTaskState_errorsAndHeartbeat(t *testing.T) {
	t.Parallel()
	for _, lang := range QueryLanguages {
		for _, timeout := range []int64{0, 1, 60, 86400} {
			s, err := TaskState(testNotifierARN, 86400, TaskStateOptions{QueryLanguage: lang, TimeoutSeconds: timeout})
			if err != nil {
				t.Fatal(err)
			}
			hb, _ := s["HeartbeatSeconds"].(int64)
			to, _ := s["TimeoutSeconds"].(int64)
			want := timeout
			if want == 0 {
				want = 86400
			}
			if hb != want || to != hb+HeartbeatGraceSeconds || hb >= to {
				t.Errorf("%s, timeout %d: HeartbeatSeconds %d, TimeoutSeconds %d", lang, timeout, hb, to)
			}
			retried := map[string]bool{}
			retries, _ := s["Retry"].([]any)
			for _, r := range retries {
				m, _ := r.(map[string]any)
				names, _ := m["ErrorEquals"].([]string)
				for _, n := range names {
					retried[n] = true
				}
			}
			for _, n := range append([]string{ErrorNotifyFailed}, "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
				"Lambda.TooManyRequestsException", "Lambda.ClientExecutionTimeoutException") {
				if !retried[n] {
					t.Errorf("%s: %s is not retried", lang, n)
				}
			}
			if retried[ErrorInvalidRequest] || retried[ErrorRejected] {
				t.Errorf("%s: retries %v", lang, retried)
			}
		}
	}
}

// TestGateOfTaskState reads back the gate from its own Task state, for both
// values of include_execution_context, and refuses other strings.
func TestGateOfTaskState(t *testing.T) {
	t.Parallel()
	for _, include := range []bool{true, false} {
		js, err := TaskStateJSON(testNotifierARN, 900, TaskStateOptions{OmitExecutionContext: !include})
		if err != nil {
			t.Fatal(err)
		}
		arn, timeout, inc, err := GateOfTaskState(js)
		if err != nil || arn != testNotifierARN || timeout != 900 || inc != include {
			t.Errorf("GateOfTaskState(include=%v) = %q, %d, %v, %v", include, arn, timeout, inc, err)
		}
	}
	jsonata, err := TaskStateJSON(testNotifierARN, 900, TaskStateOptions{QueryLanguage: QueryLanguageJSONata})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "deploy", `{"Type":"Pass"}`, `{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","HeartbeatSeconds":5}`, jsonata} {
		if _, _, _, err := GateOfTaskState(s); err == nil {
			t.Errorf("GateOfTaskState(%q) accepted it", s)
		}
	}
}
