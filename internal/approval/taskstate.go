package approval

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Query languages of a Step Functions state.
const (
	QueryLanguageJSONPath = "JSONPath"
	QueryLanguageJSONata  = "JSONata"
)

// QueryLanguages are the query languages a gate's Task state can be written
// in; the first is the default.
var QueryLanguages = []string{QueryLanguageJSONPath, QueryLanguageJSONata}

// RejectedErrorPath is where, with JSONPath, a Catch of a rejection puts the
// error (Error and Cause) in the state input; with JSONata the Catch's Output
// adds it under the same name.
const RejectedErrorPath = "$.approval_error"

// TimeoutErrors are the errors a Catch of an expired wait matches. The
// gate's Task ends its wait by heartbeat (States.HeartbeatTimeout, see
// HeartbeatGraceSeconds), and TimeoutSeconds is a backstop
// (States.Timeout). AWS documents that a Catch on States.Timeout also
// matches States.HeartbeatTimeout
// (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html);
// both are named so that the state reads as what it does, and in the order
// AWS lists them.
var TimeoutErrors = []string{"States.HeartbeatTimeout", "States.Timeout"}

// maxStateNameLength is the longest state name Step Functions accepts.
const maxStateNameLength = 80

// LambdaTransientErrors are the Lambda service errors a Task should retry:
// the list of AWS's "Handle transient Lambda service exceptions"
// (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html),
// which also names Lambda.TooManyRequestsException as the error of a
// throttled invocation.
var LambdaTransientErrors = []string{
	"Lambda.ClientExecutionTimeoutException",
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.TooManyRequestsException",
}

// Retry policies of a gate's Task state. Lambda's service errors follow the
// values of AWS's recommended retrier (2 s, doubling, 6 attempts). A
// notifier that failed to notify anyone (ErrorNotifyFailed) has already
// retried each channel for up to a minute, so its retrier waits longer
// between attempts: 10 s, 30 s, 90 s (with full jitter).
const (
	lambdaRetryIntervalSeconds = 2
	lambdaRetryMaxAttempts     = 6
	notifyRetryIntervalSeconds = 10
	notifyRetryMaxAttempts     = 3
	notifyRetryBackoffRate     = 3
)

// HeartbeatGraceSeconds is what a gate's Task state adds to its timeout to
// make TimeoutSeconds; HeartbeatSeconds is the timeout itself.
//
// Why a heartbeat: the notifier proves that the task token of each
// invocation is a live task of an allowed state machine with one
// SendTaskHeartbeat (see internal/lambda/proof.go). AWS accepts a heartbeat
// on a callback task without HeartbeatSeconds, but the local AWS (kumo
// v0.33.1) crashes on it, and the heartbeat makes the deadline sound anyway:
// HeartbeatSeconds restarts when the notifier proves the token, right before
// it stores the request whose links expire timeout_seconds later, so the
// wait ends with the links (States.HeartbeatTimeout, which a Catch on
// States.Timeout also matches). Nothing else heartbeats, so a longer wait is
// never kept alive by mistake. TimeoutSeconds is only a backstop, larger than
// HeartbeatSeconds (the States Language requires it) by more than the
// notifier's own 60-second limit, so the heartbeat deadline always comes
// first.
const HeartbeatGraceSeconds = 300

// TaskStateOptions are the per-use options of a gate's Task state. The zero
// value is the gate's own Task state (task_state_json) in JSONPath.
type TaskStateOptions struct {
	// Title and Text override the notification's title and text. They are
	// literal strings (with JSONata they may contain {% %} expressions).
	Title, Text string
	// Fields are extra notification fields: name → JSONPath into the state
	// input or context (JSONPath) or a JSONata expression (JSONata).
	Fields map[string]string
	// Input is the part of the state input shown to approvers: a JSONPath
	// (default "$") or a JSONata expression (default "$states.input").
	Input string
	// RequestedBy is a JSONPath or JSONata expression of the requester's
	// id; empty: the gate's requester_path is used by the notifier.
	RequestedBy string
	// TimeoutSeconds is how long the Task waits once the notifier ran (its
	// HeartbeatSeconds; TimeoutSeconds adds HeartbeatGraceSeconds); 0 means
	// the gate's. It
	// cannot be above the gate's, whose links expire with it.
	TimeoutSeconds int64
	// ResultPath is where the decision goes in the state's output. With
	// JSONPath it is the ResultPath; with JSONata "$.name" becomes an Output
	// that merges the decision into the input under name. Empty: the output
	// is the decision.
	ResultPath string
	// QueryLanguage is "JSONPath" (default) or "JSONata".
	QueryLanguage string
	// Next is the state that follows; empty: neither Next nor End.
	Next string
	// CatchRejected is the state a rejection goes to (a Catch on
	// ManualApproval.Rejected); empty: a rejection fails the execution.
	CatchRejected string
	// OnTimeout is the state an expired wait goes to (a Catch on
	// TimeoutErrors, after the one of CatchRejected); empty: an expiry fails
	// the execution.
	OnTimeout string
	// OmitExecutionContext leaves the execution id, state machine id and state
	// name out of the payload.
	OmitExecutionContext bool
}

// jsonataResultPathRegexp is a result path JSONata can express as an Output
// merge: one level under the input.
var jsonataResultPathRegexp = regexp.MustCompile(`^\$\.([A-Za-z_][A-Za-z0-9_]*)$`)

// TaskStateError is a problem with one option of TaskState.
type TaskStateError struct {
	// Option is the option's name as users write it, e.g. "timeout_seconds".
	Option string
	Msg    string
}

func (e *TaskStateError) Error() string { return e.Option + ": " + e.Msg }

func optErr(option, format string, args ...any) error {
	return &TaskStateError{Option: option, Msg: fmt.Sprintf(format, args...)}
}

// TaskState builds the Task state of one use of a gate whose notifier is
// notifierARN and whose timeout is gateTimeoutSeconds: it invokes the
// notifier with waitForTaskToken, passing a Payload whose keys are those of
// Payload, with a Retry on Lambda's transient errors. The result marshals to
// the state's JSON.
func TaskState(notifierARN string, gateTimeoutSeconds int64, o TaskStateOptions) (map[string]any, error) {
	if notifierARN == "" {
		return nil, optErr("notifier_function_arn", "must be set: the gate's notifier Lambda function ARN")
	}
	if gateTimeoutSeconds <= 0 {
		return nil, optErr("timeout_seconds", "the gate's timeout_seconds must be positive, got %d", gateTimeoutSeconds)
	}
	lang := o.QueryLanguage
	if lang == "" {
		lang = QueryLanguageJSONPath
	}
	if lang != QueryLanguageJSONPath && lang != QueryLanguageJSONata {
		return nil, optErr("query_language", "unknown query language %q: must be %q (the default) or %q", lang, QueryLanguageJSONPath, QueryLanguageJSONata)
	}
	timeout := o.TimeoutSeconds
	switch {
	case timeout == 0:
		timeout = gateTimeoutSeconds
	case timeout < 0:
		return nil, optErr("timeout_seconds", "must be positive, got %d", timeout)
	case timeout > gateTimeoutSeconds:
		return nil, optErr("timeout_seconds", "%d is above the gate's timeout_seconds (%d): the approval links expire with the gate's timeout, "+
			"so a longer wait could never be approved. Use at most %d, or raise the gate's timeout_seconds", timeout, gateTimeoutSeconds, gateTimeoutSeconds)
	}
	for _, s := range []struct{ option, name string }{{"next", o.Next}, {"catch_rejected", o.CatchRejected}, {"on_timeout", o.OnTimeout}} {
		if err := checkStateName(s.option, s.name); err != nil {
			return nil, err
		}
	}
	fieldNames := make([]string, 0, len(o.Fields))
	for name := range o.Fields {
		if strings.TrimSpace(name) == "" {
			return nil, optErr("fields", "a field name is empty")
		}
		if strings.HasSuffix(name, ".$") {
			return nil, optErr("fields", "field name %q must not end with \".$\": the provider adds it for JSONPath", name)
		}
		fieldNames = append(fieldNames, name)
	}
	sort.Strings(fieldNames)

	var (
		state map[string]any
		err   error
	)
	if lang == QueryLanguageJSONata {
		state, err = jsonataTaskState(notifierARN, o, fieldNames)
	} else {
		state, err = jsonPathTaskState(notifierARN, o, fieldNames)
	}
	if err != nil {
		return nil, err
	}
	state["Type"] = "Task"
	state["Resource"] = "arn:" + partitionOf(notifierARN) + ":states:::lambda:invoke.waitForTaskToken"
	state["HeartbeatSeconds"] = timeout
	state["TimeoutSeconds"] = timeout + HeartbeatGraceSeconds
	state["Retry"] = []any{
		map[string]any{
			"ErrorEquals":     append([]string(nil), LambdaTransientErrors...),
			"IntervalSeconds": lambdaRetryIntervalSeconds,
			"MaxAttempts":     lambdaRetryMaxAttempts,
			"BackoffRate":     2,
			"JitterStrategy":  "FULL",
		},
		map[string]any{
			"ErrorEquals":     []string{ErrorNotifyFailed},
			"IntervalSeconds": notifyRetryIntervalSeconds,
			"MaxAttempts":     notifyRetryMaxAttempts,
			"BackoffRate":     notifyRetryBackoffRate,
			"JitterStrategy":  "FULL",
		},
	}
	if o.Next != "" {
		state["Next"] = o.Next
	}
	return state, nil
}

// TaskStateJSON is TaskState rendered as JSON (object keys sorted).
func TaskStateJSON(notifierARN string, gateTimeoutSeconds int64, o TaskStateOptions) (string, error) {
	state, err := TaskState(notifierARN, gateTimeoutSeconds, o)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(state)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func jsonPathTaskState(notifierARN string, o TaskStateOptions, fieldNames []string) (map[string]any, error) {
	path := func(option, p string) error {
		if !strings.HasPrefix(p, "$") {
			return optErr(option, "%q is not a JSONPath: it must start with \"$\" (e.g. \"$.build.version\", or \"$$.Execution.Name\" for the context object)", p)
		}
		return nil
	}
	payload, err := buildPayload(o, fieldNames, payloadDialect{
		input:   "$",
		context: "$$",
		ref: func(option, key, p string) (string, any, error) {
			return key + ".$", p, path(option, p)
		},
	})
	if err != nil {
		return nil, err
	}
	state := map[string]any{
		"Parameters": map[string]any{
			"FunctionName": notifierARN,
			"Payload":      payload,
		},
	}
	if o.ResultPath != "" {
		if err := path("result_path", o.ResultPath); err != nil {
			return nil, err
		}
		state["ResultPath"] = o.ResultPath
	}
	if c := catchers(o, func(next string) map[string]any {
		return map[string]any{"Next": next, "ResultPath": RejectedErrorPath}
	}); c != nil {
		state["Catch"] = c
	}
	return state, nil
}

func jsonataTaskState(notifierARN string, o TaskStateOptions, fieldNames []string) (map[string]any, error) {
	input := "$states.input"
	expr := func(option, e string) (string, error) {
		e = strings.TrimSpace(e)
		if strings.HasPrefix(e, "{%") && strings.HasSuffix(e, "%}") {
			e = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(e, "{%"), "%}"))
		}
		if e == "" {
			return "", optErr(option, "the JSONata expression is empty")
		}
		if strings.Contains(e, "%}") {
			return "", optErr(option, "the JSONata expression %q contains \"%%}\"", e)
		}
		return "{% " + e + " %}", nil
	}
	payload, err := buildPayload(o, fieldNames, payloadDialect{
		input:   input,
		context: "$states.context",
		ref: func(option, key, e string) (string, any, error) {
			v, err := expr(option, e)
			return key, v, err
		},
	})
	if err != nil {
		return nil, err
	}
	state := map[string]any{
		"QueryLanguage": QueryLanguageJSONata,
		"Arguments": map[string]any{
			"FunctionName": notifierARN,
			"Payload":      payload,
		},
	}
	switch rp := o.ResultPath; {
	case rp == "" || rp == "$":
		// JSONata's default Output is $states.result: the decision.
	case jsonataResultPathRegexp.MatchString(rp):
		key := jsonataResultPathRegexp.FindStringSubmatch(rp)[1]
		state["Output"] = "{% $merge([$states.input, {'" + key + "': $states.result}]) %}"
	default:
		return nil, optErr("result_path", "%q cannot be expressed with JSONata: use \"$.<name>\" (one level, letters, digits and underscores), "+
			"which adds the decision to the input under <name>, or leave it unset and shape the output yourself with Output or Assign", rp)
	}
	key := strings.TrimPrefix(RejectedErrorPath, "$.")
	if c := catchers(o, func(next string) map[string]any {
		return map[string]any{"Next": next, "Output": "{% $merge([$states.input, {'" + key + "': $states.errorOutput}]) %}"}
	}); c != nil {
		state["Catch"] = c
	}
	return state, nil
}

// catchers are the Task's Catch: a rejection goes to CatchRejected, an
// expired wait to OnTimeout, each with the error (Error and Cause) under
// RejectedErrorPath in the input; catcher makes one in the query language.
// Nil when neither is set.
func catchers(o TaskStateOptions, catcher func(next string) map[string]any) []any {
	var c []any
	for _, s := range []struct {
		errors []string
		next   string
	}{{[]string{ErrorRejected}, o.CatchRejected}, {TimeoutErrors, o.OnTimeout}} {
		if s.next == "" {
			continue
		}
		m := catcher(s.next)
		m["ErrorEquals"] = append([]string(nil), s.errors...)
		c = append(c, m)
	}
	return c
}

// checkStateName checks a state name an option refers to (empty: none).
// Step Functions takes names of at most 80 characters; a name that is only
// white space or holds control characters cannot be a state of a
// definition written by hand, so it is a typo.
func checkStateName(option, name string) error {
	if name == "" {
		return nil
	}
	if len([]rune(name)) > maxStateNameLength {
		return optErr(option, "state name %q is longer than %d characters", name, maxStateNameLength)
	}
	if strings.TrimSpace(name) == "" {
		return optErr(option, "state name %q is only white space: name a state of the state machine, or leave it unset", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return optErr(option, "state name %q holds a control character", name)
		}
	}
	return nil
}

// payloadDialect is how one query language refers to data in a Payload.
type payloadDialect struct {
	input   string // the default input expression
	context string // the context object: "$$" or "$states.context"
	// ref turns an option's expression into the Payload key and value for
	// key, or says why the expression is wrong.
	ref func(option, key, expr string) (string, any, error)
}

// buildPayload is the notifier's Payload (approval.Payload's keys) in a
// query language: the task token, the input, the execution context unless
// omitted, and the per-step options.
func buildPayload(o TaskStateOptions, fieldNames []string, d payloadDialect) (map[string]any, error) {
	payload := map[string]any{}
	add := func(into map[string]any, option, key, expr string) error {
		k, v, err := d.ref(option, key, expr)
		if err != nil {
			return err
		}
		into[k] = v
		return nil
	}
	input := o.Input
	if input == "" {
		input = d.input
	}
	if err := add(payload, "input", "input", input); err != nil {
		return nil, err
	}
	refs := [][2]string{{"token", ".Task.Token"}}
	if !o.OmitExecutionContext {
		refs = append(refs, [2]string{"execution_id", ".Execution.Id"}, [2]string{"state_machine_id", ".StateMachine.Id"}, [2]string{"state_name", ".State.Name"})
	}
	for _, r := range refs {
		if err := add(payload, r[0], r[0], d.context+r[1]); err != nil {
			return nil, err
		}
	}
	if o.Title != "" {
		payload["title"] = o.Title
	}
	if o.Text != "" {
		payload["text"] = o.Text
	}
	if len(fieldNames) > 0 {
		fields := make(map[string]any, len(fieldNames))
		for _, name := range fieldNames {
			if err := add(fields, "fields."+name, name, o.Fields[name]); err != nil {
				return nil, err
			}
		}
		payload["fields"] = fields
	}
	if o.RequestedBy != "" {
		if err := add(payload, "requested_by", "requested_by", o.RequestedBy); err != nil {
			return nil, err
		}
	}
	return payload, nil
}

// partitionOf returns the partition of an ARN ("aws" when it has none).
func partitionOf(arn string) string {
	if p := strings.SplitN(arn, ":", 3); len(p) == 3 && p[0] == "arn" && p[1] != "" {
		return p[1]
	}
	return "aws"
}

// GateOfTaskState reads back what TaskState needs of a gate from the gate's
// own Task state (task_state_json, built by TaskStateJSON without options):
// the notifier's ARN, the gate's timeout (HeartbeatSeconds) and whether the
// payload carries the execution context. It lets the task_state function
// take the gate's task_state_json, a string that is never sensitive, in
// place of the whole gate object, which carries the sensitive marks of the
// gate's secret arguments.
func GateOfTaskState(taskStateJSON string) (notifierARN string, timeoutSeconds int64, includeExecutionContext bool, err error) {
	var s struct {
		Type             string
		Resource         string
		HeartbeatSeconds int64
		Parameters       struct {
			FunctionName string
			Payload      map[string]any
		}
	}
	if err := json.Unmarshal([]byte(taskStateJSON), &s); err != nil {
		return "", 0, false, fmt.Errorf("not the JSON of a gate's Task state (task_state_json): %w", err)
	}
	if s.Type != "Task" || !strings.HasSuffix(s.Resource, ":states:::lambda:invoke.waitForTaskToken") ||
		!strings.HasPrefix(s.Parameters.FunctionName, "arn:") || s.HeartbeatSeconds <= 0 {
		return "", 0, false, fmt.Errorf("not a gate's Task state: pass the gate's task_state_json (e.g. manualapproval_gate.deploy.task_state_json) " +
			"or an object with notifier_function_arn and timeout_seconds")
	}
	_, include := s.Parameters.Payload["execution_id.$"]
	return s.Parameters.FunctionName, s.HeartbeatSeconds, include, nil
}
