package provider

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

var _ function.Function = (*taskStateFunction)(nil)

// NewTaskStateFunction returns the task_state function.
func NewTaskStateFunction() function.Function {
	return &taskStateFunction{}
}

// taskStateFunction is the task_state function: the Task state of one use
// of a gate, with per-step options.
type taskStateFunction struct{}

// taskStateOptionDocs are the options of task_state, in documentation order.
var taskStateOptionDocs = []struct{ name, typ, doc string }{
	{"title", "string", "Title of the notification, instead of the gate's default. A literal string (with `JSONata` it may hold `{% %}` expressions)."},
	{"text", "string", "Text of the notification. A literal string, like `title`."},
	{"fields", "map of string", "Extra notification fields: name → JSONPath into the state input or the context object (`$.build.version`, `$$.Execution.Name`), " +
		"or with `JSONata` a JSONata expression (`$states.input.build.version`)."},
	{"input", "string", "The part of the state input shown to approvers: a JSONPath (default `$`) or, with `JSONata`, an expression (default `$states.input`)."},
	{"requested_by", "string", "Where the requester's id is read: a JSONPath or, with `JSONata`, an expression. Defaults to the gate's `requester_path`, read by the notifier."},
	{"timeout_seconds", "number", "How long this Task waits once the notifier ran: its `HeartbeatSeconds` (`TimeoutSeconds` is 300 s longer), at most the gate's `timeout_seconds` (the links expire with the gate's). Defaults to the gate's."},
	{"result_path", "string", "Where the decision goes. With `JSONPath` the `ResultPath`; with `JSONata` `$.name` becomes an `Output` that merges the decision into the input under `name`. " +
		"Defaults to none: the state's output is the decision."},
	{"query_language", "string", fmt.Sprintf("Query language of the state, one of %s. Defaults to `%s`. With `%s` the state has `\"QueryLanguage\": \"JSONata\"` and `Arguments`.",
		quoted(approval.QueryLanguages), approval.QueryLanguageJSONPath, approval.QueryLanguageJSONata)},
	{"next", "string", "Name of the next state. Defaults to none: the state has neither `Next` nor `End`, so merge your own."},
	{"catch_rejected", "string", fmt.Sprintf("Name of the state a rejection goes to: adds a `Catch` on `%s` that puts the error under `%s` in the input. Defaults to none: a rejection fails the execution.",
		approval.ErrorRejected, approval.RejectedErrorPath)},
	{"on_timeout", "string", fmt.Sprintf("Name of the state an expired wait goes to (nobody decided in time): adds a `Catch` on %s, after the one of `catch_rejected`, "+
		"that puts the error under `%s` in the input. The gate's Task ends its wait by heartbeat (`States.HeartbeatTimeout`); `States.Timeout` is its backstop. "+
		"Defaults to none: an expiry fails the execution.", quoted(approval.TimeoutErrors), approval.RejectedErrorPath)},
	{"include_execution_context", "bool", "Whether the payload carries the execution id, state machine id and state name, shown in the notifications. " +
		"Defaults to the gate's `include_execution_context`, else `true`."},
}

// taskStateFunctionDescription is the function's documentation.
var taskStateFunctionDescription = func() string {
	var b strings.Builder
	b.WriteString("Returns the Task state of one use of an approval gate, as an object: `jsonencode()` turns it into the state's JSON, " +
		"and `merge()` adds or overrides fields. It invokes the gate's notifier with `lambda:invoke.waitForTaskToken`, passing the task token, " +
		"the execution context, the state input and the per-step `title`, `text` and `fields`, with `HeartbeatSeconds`, `TimeoutSeconds` and a `Retry` on Lambda's " +
		"transient errors and on `ManualApproval.NotifyFailed`, like the gate's `task_state_json`. Besides `ManualApproval.Rejected`, the Task can fail with " +
		"`ManualApproval.NotifyFailed` (nobody could be notified; retried), `ManualApproval.InvalidRequest` (the notifier refused the payload) and " +
		"`States.HeartbeatTimeout` (nobody decided; a `Catch` on `States.Timeout` matches it too): see the gate resource's \"Errors to Retry and Catch\".\n\n" +
		"`gate` is the gate's `task_state_json` (`manualapproval_gate.deploy.task_state_json`, recommended), the gate resource (`manualapproval_gate.deploy`), " +
		"or any object with its `notifier_function_arn` and `timeout_seconds` (and optionally `include_execution_context`).\n\n" +
		"**Sensitivity.** Terraform marks a function's result sensitive when any part of an argument is sensitive, and a provider cannot remove the mark. " +
		"The gate resource as a whole carries the marks of its sensitive secret arguments (`slack.webhook_url`, `slack.bot_token`, `slack.signing_secret`, " +
		"`webhook.secret`, `sso.client_secret`), even when they are null because the gate uses their write-only forms (`…_wo`): a state machine definition " +
		"built from `task_state(manualapproval_gate.deploy, …)` is then `(sensitive value)`. `task_state_json` is never sensitive, holds all the function " +
		"needs of the gate, and keeps the definition readable in plans: pass it.\n\n" +
		"`options` is an object (`{}` or `null` for none) with these optional attributes:\n\n")
	for _, o := range taskStateOptionDocs {
		fmt.Fprintf(&b, "- `%s` (%s): %s\n", o.name, o.typ, o.doc)
	}
	b.WriteString("\nThe provider checks `options` at plan time, as Terraform would check a typed object, and more: an unknown option " +
		"(a typo such as `titel`), an option of the wrong type (`timeout_seconds = \"ten\"`), a `query_language` other than those, " +
		"a `timeout_seconds` above the gate's, a state name longer than 80 characters, or a JSONPath that does not start with `$` is an error. " +
		"`options` is not declared as a Terraform object type on purpose: Terraform requires every attribute of a typed object parameter in each call " +
		"(12 of them, mostly `null`), and converting to an object type silently drops attributes it does not know, so a misspelt `catch_rejected` " +
		"would be lost instead of reported.")
	return b.String()
}()

func (f *taskStateFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "task_state"
}

func (f *taskStateFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary:             "The Task state of one use of an approval gate",
		MarkdownDescription: taskStateFunctionDescription,
		Parameters: []function.Parameter{
			function.DynamicParameter{
				Name: "gate",
				MarkdownDescription: "The gate: its `task_state_json` (never sensitive; recommended), the `manualapproval_gate` resource, " +
					"or an object with `notifier_function_arn` (string), `timeout_seconds` (number) and optionally `include_execution_context` (bool).",
			},
			function.DynamicParameter{
				Name: "options",
				MarkdownDescription: "Options of this use of the gate, an object whose attributes are all optional; `{}` or `null` for none. " +
					"See the description for the attributes and their types: an unknown attribute or a wrong type is an error.",
				AllowNullValue: true,
			},
		},
		Return: function.DynamicReturn{},
	}
}

func (f *taskStateFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var gateArg, optionsArg types.Dynamic
	resp.Error = req.Arguments.Get(ctx, &gateArg, &optionsArg)
	if resp.Error != nil {
		return
	}

	g, known, err := taskStateGateOf(gateArg)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, "Invalid gate: "+err.Error())
		return
	}
	opts, optsKnown, err := taskStateOptionsOf(optionsArg, g)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(1, "Invalid options: "+err.Error())
		return
	}
	if !known || !optsKnown {
		// The gate is being created, or an option depends on a value known
		// only after apply.
		resp.Error = resp.Result.Set(ctx, types.DynamicUnknown())
		return
	}

	state, err := approval.TaskState(g.notifierARN, g.timeoutSeconds, opts)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(1, "Invalid options: "+err.Error())
		return
	}
	v, err := attrValueOf(state)
	if err != nil {
		resp.Error = function.NewFuncError("Unable to build the Task state: " + err.Error() +
			". This is always a bug in the provider and should be reported to the provider developers.")
		return
	}
	resp.Error = resp.Result.Set(ctx, types.DynamicValue(v))
}

// taskStateGate is what task_state needs of a gate.
type taskStateGate struct {
	notifierARN             string
	timeoutSeconds          int64
	includeExecutionContext *bool
}

// taskStateGateOf reads the gate argument. known is false when a value it
// needs is not known yet.
func taskStateGateOf(v types.Dynamic) (g taskStateGate, known bool, err error) {
	if v.IsUnknown() || v.IsUnderlyingValueUnknown() {
		return g, false, nil
	}
	if sv, ok := v.UnderlyingValue().(basetypes.StringValue); ok {
		// The gate's task_state_json.
		if sv.IsNull() {
			return g, false, fmt.Errorf("the gate's task_state_json is null")
		}
		arn, timeout, include, err := approval.GateOfTaskState(sv.ValueString())
		if err != nil {
			return g, false, err
		}
		return taskStateGate{notifierARN: arn, timeoutSeconds: timeout, includeExecutionContext: &include}, true, nil
	}
	attrs, err := attributesOf(v.UnderlyingValue())
	if err != nil {
		return g, false, fmt.Errorf("%w; pass the gate's task_state_json, e.g. manualapproval_gate.deploy.task_state_json", err)
	}
	known = true
	arn, ok := attrs["notifier_function_arn"]
	if !ok {
		return g, false, fmt.Errorf("the object has no notifier_function_arn; pass the gate resource, e.g. manualapproval_gate.deploy")
	}
	s, sKnown, err := stringOf(arn)
	if err != nil {
		return g, false, fmt.Errorf("notifier_function_arn: %w", err)
	}
	known = known && sKnown
	g.notifierARN = s
	if sKnown && !strings.HasPrefix(s, "arn:") {
		return g, false, fmt.Errorf("notifier_function_arn %q is not an ARN", s)
	}

	t, ok := attrs["timeout_seconds"]
	if !ok {
		return g, false, fmt.Errorf("the object has no timeout_seconds; pass the gate resource, e.g. manualapproval_gate.deploy")
	}
	n, nKnown, err := int64Of(t)
	if err != nil {
		return g, false, fmt.Errorf("timeout_seconds: %w", err)
	}
	known = known && nKnown
	g.timeoutSeconds = n

	if iec, ok := attrs["include_execution_context"]; ok {
		b, bKnown, err := boolOf(iec)
		if err != nil {
			return g, false, fmt.Errorf("include_execution_context: %w", err)
		}
		known = known && bKnown
		if b != nil {
			g.includeExecutionContext = b
		}
	}
	return g, known, nil
}

// taskStateOptionsOf reads the options argument. known is false when an
// option is not known yet.
func taskStateOptionsOf(v types.Dynamic, g taskStateGate) (o approval.TaskStateOptions, known bool, err error) {
	if g.includeExecutionContext != nil {
		o.OmitExecutionContext = !*g.includeExecutionContext
	}
	if v.IsNull() || v.IsUnderlyingValueNull() {
		return o, true, nil
	}
	if v.IsUnknown() || v.IsUnderlyingValueUnknown() {
		return o, false, nil
	}
	attrs, err := attributesOf(v.UnderlyingValue())
	if err != nil {
		return o, false, err
	}
	valid := make([]string, len(taskStateOptionDocs))
	for i, d := range taskStateOptionDocs {
		valid[i] = d.name
	}
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	sort.Strings(names)

	known = true
	str := func(name string, val attr.Value, dst *string) error {
		s, k, err := stringOf(val)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		known = known && k
		*dst = s
		return nil
	}
	for _, name := range names {
		val := attrs[name]
		var err error
		switch name {
		case "title":
			err = str(name, val, &o.Title)
		case "text":
			err = str(name, val, &o.Text)
		case "input":
			err = str(name, val, &o.Input)
		case "requested_by":
			err = str(name, val, &o.RequestedBy)
		case "result_path":
			err = str(name, val, &o.ResultPath)
		case "query_language":
			err = str(name, val, &o.QueryLanguage)
		case "next":
			err = str(name, val, &o.Next)
		case "catch_rejected":
			err = str(name, val, &o.CatchRejected)
		case "on_timeout":
			err = str(name, val, &o.OnTimeout)
		case "timeout_seconds":
			n, k, e := int64Of(val)
			known = known && k
			o.TimeoutSeconds, err = n, e
			if e == nil && k && !val.IsNull() && n <= 0 {
				err = fmt.Errorf("timeout_seconds must be positive, got %d", n)
			}
			if e != nil {
				err = fmt.Errorf("timeout_seconds: %w", e)
			}
		case "include_execution_context":
			b, k, e := boolOf(val)
			known = known && k
			if e != nil {
				err = fmt.Errorf("include_execution_context: %w", e)
			} else if b != nil {
				o.OmitExecutionContext = !*b
			}
		case "fields":
			o.Fields, err = fieldsOf(val, &known)
		default:
			err = fmt.Errorf("unknown option %q; valid options are %s", name, strings.Join(valid, ", "))
		}
		if err != nil {
			return o, false, err
		}
	}
	return o, known, nil
}

// fieldsOf reads the fields option: an object or map of strings.
func fieldsOf(v attr.Value, known *bool) (map[string]string, error) {
	if v.IsNull() {
		return nil, nil
	}
	if v.IsUnknown() {
		*known = false
		return nil, nil
	}
	attrs, err := attributesOf(v)
	if err != nil {
		return nil, fmt.Errorf("fields: %w", err)
	}
	out := make(map[string]string, len(attrs))
	for name, val := range attrs {
		s, k, err := stringOf(val)
		if err != nil {
			return nil, fmt.Errorf("fields.%s: %w", name, err)
		}
		*known = *known && k
		if !val.IsNull() {
			out[name] = s
		}
	}
	return out, nil
}

// attributesOf returns the attributes of an object or the elements of a
// map.
func attributesOf(v attr.Value) (map[string]attr.Value, error) {
	switch t := v.(type) {
	case basetypes.ObjectValue:
		return t.Attributes(), nil
	case basetypes.MapValue:
		return t.Elements(), nil
	case basetypes.DynamicValue:
		return attributesOf(t.UnderlyingValue())
	default:
		return nil, fmt.Errorf("must be an object, got %s", typeName(v))
	}
}

// stringOf returns a string value ("" when null).
func stringOf(v attr.Value) (string, bool, error) {
	if v.IsUnknown() {
		return "", false, nil
	}
	if v.IsNull() {
		return "", true, nil
	}
	switch t := v.(type) {
	case basetypes.StringValue:
		return t.ValueString(), true, nil
	case basetypes.DynamicValue:
		return stringOf(t.UnderlyingValue())
	default:
		return "", false, fmt.Errorf("must be a string, got %s", typeName(v))
	}
}

// int64Of returns a whole number value (0 when null).
func int64Of(v attr.Value) (int64, bool, error) {
	if v.IsUnknown() {
		return 0, false, nil
	}
	if v.IsNull() {
		return 0, true, nil
	}
	switch t := v.(type) {
	case basetypes.Int64Value:
		return t.ValueInt64(), true, nil
	case basetypes.NumberValue:
		n, acc := t.ValueBigFloat().Int64()
		if acc != big.Exact {
			return 0, false, fmt.Errorf("must be a whole number, got %s", t.ValueBigFloat().String())
		}
		return n, true, nil
	case basetypes.DynamicValue:
		return int64Of(t.UnderlyingValue())
	default:
		return 0, false, fmt.Errorf("must be a number, got %s", typeName(v))
	}
}

// boolOf returns a bool value (nil when null).
func boolOf(v attr.Value) (*bool, bool, error) {
	if v.IsUnknown() {
		return nil, false, nil
	}
	if v.IsNull() {
		return nil, true, nil
	}
	switch t := v.(type) {
	case basetypes.BoolValue:
		b := t.ValueBool()
		return &b, true, nil
	case basetypes.DynamicValue:
		return boolOf(t.UnderlyingValue())
	default:
		return nil, false, fmt.Errorf("must be a bool, got %s", typeName(v))
	}
}

// typeName names the Terraform type of a value for error messages.
func typeName(v attr.Value) string {
	switch t := v.(type) {
	case basetypes.ObjectValue:
		return "an object"
	case basetypes.MapValue:
		return "a map"
	case basetypes.StringValue:
		return "a string"
	case basetypes.NumberValue, basetypes.Int64Value, basetypes.Float64Value:
		return "a number"
	case basetypes.BoolValue:
		return "a bool"
	case basetypes.ListValue, basetypes.TupleValue:
		return "a list"
	case basetypes.SetValue:
		return "a set"
	case basetypes.DynamicValue:
		return typeName(t.UnderlyingValue())
	default:
		return fmt.Sprintf("%T", v)
	}
}

// attrValueOf converts a JSON-like tree (maps, slices, strings, numbers,
// bools) to a Terraform value: objects, tuples, strings, numbers, bools.
func attrValueOf(v any) (attr.Value, error) {
	ctx := context.Background()
	switch t := v.(type) {
	case map[string]any:
		attrs := make(map[string]attr.Value, len(t))
		attrTypes := make(map[string]attr.Type, len(t))
		for k, e := range t {
			av, err := attrValueOf(e)
			if err != nil {
				return nil, err
			}
			attrs[k], attrTypes[k] = av, av.Type(ctx)
		}
		o, d := types.ObjectValue(attrTypes, attrs)
		if d.HasError() {
			return nil, fmt.Errorf("building an object: %v", d)
		}
		return o, nil
	case []any:
		elems := make([]attr.Value, len(t))
		elemTypes := make([]attr.Type, len(t))
		for i, e := range t {
			av, err := attrValueOf(e)
			if err != nil {
				return nil, err
			}
			elems[i], elemTypes[i] = av, av.Type(ctx)
		}
		tv, d := types.TupleValue(elemTypes, elems)
		if d.HasError() {
			return nil, fmt.Errorf("building a tuple: %v", d)
		}
		return tv, nil
	case []string:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = e
		}
		return attrValueOf(s)
	case string:
		return types.StringValue(t), nil
	case bool:
		return types.BoolValue(t), nil
	case int:
		return types.NumberValue(new(big.Float).SetInt64(int64(t))), nil
	case int64:
		return types.NumberValue(new(big.Float).SetInt64(t)), nil
	case float64:
		return types.NumberValue(big.NewFloat(t)), nil
	default:
		return nil, fmt.Errorf("unexpected %T in the Task state", v)
	}
}
