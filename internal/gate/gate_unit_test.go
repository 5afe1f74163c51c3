package gate

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

var testEnv = Env{Partition: "aws", Region: "eu-west-1", AccountID: "111122223333"}

func TestRolePolicy_leastPrivilege(t *testing.T) {
	t.Parallel()
	specs := map[string]Spec{
		"default":      {Name: "deploy-prod"},
		"scoped":       {Name: "deploy-prod", AllowedStateMachineARNs: []string{"arn:aws:states:eu-west-1:111122223333:stateMachine:b", "arn:aws:states:eu-west-1:111122223333:stateMachine:a"}},
		"with kms key": {Name: "deploy-prod", KMSKeyARN: "arn:aws:kms:eu-west-1:111122223333:key/1234"},
		"slack app and webhook": {Name: "deploy-prod",
			Slack:   &SlackSpec{Format: "app", BotToken: "xoxb-1", SigningSecret: "s"},
			Webhook: &WebhookSpec{URL: "https://hooks.example.com/a", Secret: "0123456789abcdef0123"}},
		"slack webhook": {Name: "deploy-prod", Slack: &SlackSpec{Format: "blocks", WebhookURL: "https://hooks.slack.com/services/T/B/x"}},
		"with sso":      {Name: "deploy-prod", SSO: &SSOSpec{IssuerURL: "https://idp.example.com", ClientID: "c", ClientSecret: "s"}},
	}
	// Each function reads only its own secrets: the notifier the posting
	// ones, the callback the ones that verify and answer.
	param := func(s string) string {
		return "arn:aws:ssm:eu-west-1:111122223333:parameter/manualapproval/deploy-prod/" + s
	}
	notifierOnly := []string{param("slack-webhook-url"), param("webhook-secret"), param("webhook-url")}
	callbackOnly := []string{param("slack-signing-secret"), param("sso-client-secret")}
	for name, spec := range specs {
		for _, kind := range kinds {
			t.Run(name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				doc := rolePolicy(testEnv, spec, kind)
				own := []string{
					"arn:aws:dynamodb:eu-west-1:111122223333:table/deploy-prod-requests",
					"arn:aws:sns:eu-west-1:111122223333:deploy-prod-approvals",
					param("config"), param("signing-key"), param("slack-bot-token"),
					"arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/deploy-prod-" + kind + ":*",
					"arn:aws:states:eu-west-1:111122223333:stateMachine:*",
					"arn:aws:states:eu-west-1:111122223333:execution:*",
				}
				own = append(own, spec.AllowedStateMachineARNs...)
				for _, sm := range spec.AllowedStateMachineARNs {
					own = append(own, strings.Replace(sm, ":stateMachine:", ":execution:", 1)+":*")
				}
				if kind == kindNotifier {
					own = append(own, notifierOnly...)
				} else {
					own = append(own, callbackOnly...)
					// The sweep's and the stopped executions' indexes, the callback
					// itself (its Slack hand-over) and the notifier (a final
					// request's follow-ups).
					own = append(own, "arn:aws:dynamodb:eu-west-1:111122223333:table/deploy-prod-requests/index/status-due",
						"arn:aws:dynamodb:eu-west-1:111122223333:table/deploy-prod-requests/index/execution",
						"arn:aws:lambda:eu-west-1:111122223333:function:deploy-prod-callback",
						"arn:aws:lambda:eu-west-1:111122223333:function:deploy-prod-notifier")
				}
				if spec.KMSKeyARN != "" {
					own = append(own, spec.KMSKeyARN)
				}
				if spec.SSO != nil {
					own = append(own, "arn:aws:ssm:eu-west-1:111122223333:parameter/manualapproval/deploy-prod/sso-client-secret")
				}
				for _, st := range doc.Statement {
					if st.Effect != "Allow" && st.Sid != "NoCallbackOnlySecrets" {
						t.Errorf("statement %s: effect %s", st.Sid, st.Effect)
					}
					for _, a := range st.Action {
						if strings.Contains(a, "*") {
							t.Errorf("statement %s: wildcard action %q", st.Sid, a)
						}
					}
					if len(st.Resource) == 0 {
						t.Errorf("statement %s: no resource", st.Sid)
					}
					for _, r := range st.Resource {
						if !contains(own, r) {
							t.Errorf("statement %s: resource %q is not one of the gate's own", st.Sid, r)
						}
						if (r == "arn:aws:states:eu-west-1:111122223333:stateMachine:*" || r == "arn:aws:states:eu-west-1:111122223333:execution:*") &&
							len(spec.AllowedStateMachineARNs) > 0 {
							t.Errorf("statement %s: every state machine allowed although the gate names some", st.Sid)
						}
					}
				}
				actions := map[string]bool{}
				for _, st := range doc.Statement {
					for _, a := range st.Action {
						actions[a] = true
					}
				}
				if kind == kindNotifier && (actions["states:SendTaskSuccess"] || actions["states:SendTaskFailure"] || actions["dynamodb:DeleteItem"] ||
					!actions["states:SendTaskHeartbeat"]) {
					t.Error("the notifier may not complete tasks or delete requests")
				}
				if kind == kindNotifier && (actions["lambda:InvokeFunction"] || actions["dynamodb:Query"]) {
					t.Error("the notifier may not invoke functions or query the table")
				}
				if kind == kindCallback && (actions["sns:Publish"] || !actions["states:SendTaskSuccess"] || !actions["states:SendTaskFailure"] ||
					!actions["dynamodb:Query"] || !actions["states:GetExecutionHistory"]) {
					t.Errorf("callback actions wrong: %v", actions)
				}
			})
		}
	}
}

// TestRolePolicy_stoppedExecutions: the callback finds a stopped
// execution's requests through the execution index only (no Scan, no
// Query on the table itself), and reads why a task closed with
// states:DescribeExecution on the executions of the allowed state machines
// only; the notifier gains neither.
func TestRolePolicy_stoppedExecutions(t *testing.T) {
	t.Parallel()
	smA := "arn:aws:states:eu-west-1:111122223333:stateMachine:a"
	for name, tc := range map[string]struct {
		spec       Spec
		executions []string
	}{
		"default": {Spec{Name: "deploy-prod"}, []string{"arn:aws:states:eu-west-1:111122223333:execution:*"}},
		"scoped":  {Spec{Name: "deploy-prod", AllowedStateMachineARNs: []string{smA}}, []string{"arn:aws:states:eu-west-1:111122223333:execution:a:*"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resources := func(kind, action string) []string {
				var out []string
				for _, st := range rolePolicy(testEnv, tc.spec, kind).Statement {
					if contains(st.Action, action) {
						out = append(out, st.Resource...)
					}
				}
				return out
			}
			if got := resources(kindCallback, "states:DescribeExecution"); !slices.Equal(got, tc.executions) {
				t.Errorf("callback states:DescribeExecution on %v, want %v", got, tc.executions)
			}
			queries := resources(kindCallback, "dynamodb:Query")
			if !contains(queries, "arn:aws:dynamodb:eu-west-1:111122223333:table/deploy-prod-requests/index/execution") {
				t.Errorf("callback dynamodb:Query on %v: not the execution index", queries)
			}
			for _, r := range queries {
				if !strings.Contains(r, "/index/") {
					t.Errorf("callback dynamodb:Query on %s, which is not an index", r)
				}
			}
			if got := resources(kindCallback, "dynamodb:Scan"); len(got) > 0 {
				t.Errorf("callback may Scan %v", got)
			}
			if got := resources(kindNotifier, "dynamodb:Query"); len(got) > 0 {
				t.Errorf("notifier may Query %v", got)
			}
		})
	}
}

// TestStoppedPattern: the rule matches the three statuses that stop a
// wait, narrowed to the allowed state machines (sorted) while the pattern
// fits EventBridge's 4096 characters, and every state machine past that.
func TestStoppedPattern(t *testing.T) {
	t.Parallel()
	all := `{"detail":{"status":["ABORTED","FAILED","TIMED_OUT"]},"detail-type":["Step Functions Execution Status Change"],"source":["aws.states"]}`
	if got := stoppedPatternOf(Spec{Name: "g"}); got != all {
		t.Errorf("pattern = %s", got)
	}
	smA, smB := "arn:aws:states:eu-west-1:111122223333:stateMachine:a", "arn:aws:states:eu-west-1:111122223333:stateMachine:b"
	if got, want := stoppedPatternOf(Spec{Name: "g", AllowedStateMachineARNs: []string{smB, smA}}),
		`{"detail":{"stateMachineArn":["`+smA+`","`+smB+`"],"status":["ABORTED","FAILED","TIMED_OUT"]},"detail-type":["Step Functions Execution Status Change"],"source":["aws.states"]}`; got != want {
		t.Errorf("pattern = %s, want %s", got, want)
	}
	var many []string
	for i := range 60 {
		many = append(many, fmt.Sprintf("arn:aws:states:eu-west-1:111122223333:stateMachine:a-long-state-machine-name-%02d", i))
	}
	if got := stoppedPatternOf(Spec{Name: "g", AllowedStateMachineARNs: many}); got != all {
		t.Errorf("a pattern over 4096 characters is not widened: %d characters", len(got))
	}
	if !samePattern(`{"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"], "detail": {"status": ["ABORTED","FAILED","TIMED_OUT"]}}`, all) {
		t.Error("samePattern: spacing and key order differ")
	}
	if samePattern(`{"source":["aws.states"]}`, all) {
		t.Error("samePattern: another pattern is the same")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestTaskState(t *testing.T) {
	t.Parallel()
	arn := "arn:aws:lambda:eu-west-1:111122223333:function:deploy-prod-notifier"
	var got map[string]any
	if err := json.Unmarshal([]byte(TaskState(arn, 3600, true)), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Type":     "Task",
		"Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters": map[string]any{
			"FunctionName": arn,
			"Payload": map[string]any{
				"token.$":            "$$.Task.Token",
				"input.$":            "$",
				"execution_id.$":     "$$.Execution.Id",
				"state_machine_id.$": "$$.StateMachine.Id",
				"state_name.$":       "$$.State.Name",
			},
		},
		"HeartbeatSeconds": 3600.0,
		"TimeoutSeconds":   3900.0,
		"Retry": []any{
			map[string]any{
				"ErrorEquals": []any{"Lambda.ClientExecutionTimeoutException", "Lambda.ServiceException", "Lambda.AWSLambdaException",
					"Lambda.SdkClientException", "Lambda.TooManyRequestsException"},
				"IntervalSeconds": 2.0, "MaxAttempts": 6.0, "BackoffRate": 2.0, "JitterStrategy": "FULL",
			},
			map[string]any{
				"ErrorEquals":     []any{"ManualApproval.NotifyFailed"},
				"IntervalSeconds": 10.0, "MaxAttempts": 3.0, "BackoffRate": 3.0, "JitterStrategy": "FULL",
			},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("task state (-want +got):\n%s", d)
	}
	if _, ok := got["Next"]; ok {
		t.Error("the task state must leave Next/End to the user")
	}

	var noCtx map[string]any
	_ = json.Unmarshal([]byte(TaskState("arn:aws-us-gov:lambda:us-gov-west-1:1:function:x", 60, false)), &noCtx)
	payload := noCtx["Parameters"].(map[string]any)["Payload"].(map[string]any)
	if d := cmp.Diff(map[string]any{"token.$": "$$.Task.Token", "input.$": "$"}, payload); d != "" {
		t.Errorf("payload without execution context (-want +got):\n%s", d)
	}
	if r := noCtx["Resource"]; r != "arn:aws-us-gov:states:::lambda:invoke.waitForTaskToken" {
		t.Errorf("resource in GovCloud = %v", r)
	}
}

func TestStateMachinePolicy(t *testing.T) {
	t.Parallel()
	arn := "arn:aws:lambda:eu-west-1:111122223333:function:deploy-prod-notifier"
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"InvokeApprovalGateNotifier","Effect":"Allow","Action":["lambda:InvokeFunction"],"Resource":["` + arn + `","` + arn + `:*"]}]}`
	if got := StateMachinePolicy(arn); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestSamePolicy(t *testing.T) {
	t.Parallel()
	doc := rolePolicy(testEnv, Spec{Name: "g"}, kindCallback).String()
	cases := []struct {
		name string
		have string
		want bool
	}{
		{"raw", doc, true},
		{"url-encoded as IAM returns it", url.PathEscape(doc), true},
		{"single strings instead of lists", strings.ReplaceAll(strings.ReplaceAll(doc, `"Action":["states:SendTaskFailure","states:SendTaskSuccess"]`, `"Action":["states:SendTaskFailure","states:SendTaskSuccess"]`), `"Action":["ssm:GetParameters"]`, `"Action":"ssm:GetParameters"`), true},
		{"edited", strings.Replace(doc, "dynamodb:UpdateItem", "dynamodb:DeleteItem", 1), false},
		{"garbage", "{", false},
	}
	for _, c := range cases {
		if got := samePolicy(c.have, doc); got != c.want {
			t.Errorf("%s: samePolicy = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTagDiff(t *testing.T) {
	t.Parallel()
	set, remove := tagDiff(
		map[string]string{"keep": "1", "change": "old", "drop": "x", "aws:cloudformation:stack": "s"},
		map[string]string{"keep": "1", "change": "new", "add": "y"},
	)
	if d := cmp.Diff(map[string]string{"change": "new", "add": "y"}, set); d != "" {
		t.Errorf("set (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"drop"}, remove); d != "" {
		t.Errorf("remove (-want +got):\n%s", d)
	}
}

func TestCallbackURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		endpoint, custom, want string
	}{
		{"", "", "https://abc123.execute-api.eu-west-1.amazonaws.com"},
		{"http://127.0.0.1:4566", "", "http://abc123.execute-api.localhost:4566"},
		{"http://localhost:4566/", "", "http://abc123.execute-api.localhost:4566"},
		{"http://[::1]:4566", "", "http://abc123.execute-api.localhost:4566"},
		// A custom endpoint that is not this machine is AWS behind another
		// name: people call the API at its ApiEndpoint.
		{"https://aws.internal.example:8443", "", "https://abc123.execute-api.eu-west-1.amazonaws.com"},
		{"https://vpce-0123456789abcdef0-abcdefgh.apigateway.eu-west-1.vpce.amazonaws.com", "", "https://abc123.execute-api.eu-west-1.amazonaws.com"},
		{"https://apigateway-fips.us-gov-west-1.amazonaws.com", "", "https://abc123.execute-api.eu-west-1.amazonaws.com"},
		{"http://10.0.0.8:4566", "", "https://abc123.execute-api.eu-west-1.amazonaws.com"},
		{"http://127.0.0.1:4566", "https://approvals.example.com/", "https://approvals.example.com"},
	}
	for _, c := range cases {
		m := New(Clients{}, Env{Region: "eu-west-1", APIGatewayEndpoint: c.endpoint})
		r := m.newRun(Spec{Name: "g", CallbackBaseURL: c.custom}, false)
		if got := r.callbackURL("abc123", "https://abc123.execute-api.eu-west-1.amazonaws.com"); got != c.want {
			t.Errorf("endpoint %q custom %q: got %q, want %q", c.endpoint, c.custom, got, c.want)
		}
	}
}

func TestRetryOn(t *testing.T) {
	t.Parallel()
	calls := 0
	err := retryOn(t.Context(), iamPropagationTimeout, func(error) bool { return true }, func() error {
		calls++
		if calls < 3 {
			return errTest
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("retryable error: err=%v calls=%d, want nil after 3", err, calls)
	}
	calls = 0
	err = retryOn(t.Context(), iamPropagationTimeout, func(error) bool { return false }, func() error { calls++; return errTest })
	if !errors.Is(err, errTest) || calls != 1 {
		t.Errorf("fatal error: err=%v calls=%d, want errTest after 1", err, calls)
	}
}

var errTest = &testError{}

type testError struct{}

func (*testError) Error() string { return "test" }

func TestDueIndexDrift(t *testing.T) {
	t.Parallel()
	good := dueIndex()
	desc := func(mut func(*ddbtypes.GlobalSecondaryIndexDescription)) *ddbtypes.TableDescription {
		ix := ddbtypes.GlobalSecondaryIndexDescription{IndexName: good.IndexName, KeySchema: good.KeySchema, Projection: good.Projection}
		if mut != nil {
			mut(&ix)
		}
		return &ddbtypes.TableDescription{GlobalSecondaryIndexes: []ddbtypes.GlobalSecondaryIndexDescription{ix}}
	}
	tests := []struct {
		name  string
		table *ddbtypes.TableDescription
		want  string
	}{
		{"as created", desc(nil), ""},
		{"missing", &ddbtypes.TableDescription{}, "index status-due is missing"},
		{"other index only", desc(func(ix *ddbtypes.GlobalSecondaryIndexDescription) { ix.IndexName = aws.String("by-owner") }), "index status-due is missing"},
		{"hash key only", desc(func(ix *ddbtypes.GlobalSecondaryIndexDescription) { ix.KeySchema = ix.KeySchema[:1] }), "index status-due has other keys"},
		{"keys swapped", desc(func(ix *ddbtypes.GlobalSecondaryIndexDescription) {
			ix.KeySchema = []ddbtypes.KeySchemaElement{
				{AttributeName: aws.String("due_at"), KeyType: ddbtypes.KeyTypeHash},
				{AttributeName: aws.String("status"), KeyType: ddbtypes.KeyTypeRange},
			}
		}), "index status-due has other keys"},
		{"keys only", desc(func(ix *ddbtypes.GlobalSecondaryIndexDescription) {
			ix.Projection = &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeKeysOnly}
		}), "index status-due does not project all attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := dueIndexDrift(tt.table); got != tt.want {
				t.Errorf("dueIndexDrift = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestIndexDrifts: every index of the table is checked; the execution
// index is KEYS_ONLY on execution_id.
func TestIndexDrifts(t *testing.T) {
	t.Parallel()
	desc := func(defs ...ddbtypes.GlobalSecondaryIndex) *ddbtypes.TableDescription {
		td := &ddbtypes.TableDescription{}
		for _, d := range defs {
			td.GlobalSecondaryIndexes = append(td.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndexDescription{IndexName: d.IndexName, KeySchema: d.KeySchema, Projection: d.Projection})
		}
		return td
	}
	all := tableIndexDefinitions()
	if got := indexDrifts(desc(all...)); len(got) != 0 {
		t.Errorf("as created: %v", got)
	}
	if got := indexDrifts(desc(all[0])); !slices.Equal(got, []string{"index execution is missing"}) {
		t.Errorf("without the execution index: %v", got)
	}
	wide := all[1]
	wide.Projection = &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll}
	if got := indexDrifts(desc(all[0], wide)); !slices.Equal(got, []string{"index execution does not project KEYS_ONLY"}) {
		t.Errorf("execution index projecting all: %v", got)
	}
	var names []string
	for _, a := range tableAttributes() {
		names = append(names, aws.ToString(a.AttributeName))
	}
	if !slices.Equal(names, []string{"id", "status", "due_at", "execution_id"}) {
		t.Errorf("table attributes %v", names)
	}
}
