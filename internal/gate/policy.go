package gate

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement. Action and Resource are always
// lists, so a document renders the same way every time.
type Statement struct {
	Sid       string         `json:"Sid,omitempty"`
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal,omitempty"`
	Action    []string       `json:"Action"`
	Resource  []string       `json:"Resource,omitempty"`
	Condition map[string]any `json:"Condition,omitempty"`
}

func (d PolicyDocument) String() string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // only strings and maps of strings: cannot fail
	}
	return string(b)
}

func allow(sid string, actions []string, resources ...string) Statement {
	return Statement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources}
}

// trustPolicy lets Lambda, in this account only, assume a gate's role.
func trustPolicy(env Env) PolicyDocument {
	st := Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": "lambda.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
	}
	if env.AccountID != "" {
		st.Condition = map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": env.AccountID}}
	}
	return PolicyDocument{Version: "2012-10-17", Statement: []Statement{st}}
}

// rolePolicy is the inline policy of the role of the given kind of function:
// only this gate's table, topic, parameters and log group, and
// states:SendTask* only on the allowed state machines.
func rolePolicy(env Env, spec Spec, kind string) PolicyDocument {
	a := arns{env: env, n: names{spec.Name}}
	st := []Statement{
		allow("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, a.logGroup(kind)),
		allow("ReadOwnSecrets", []string{"ssm:GetParameters"}, a.paramARNs(spec, kind)...),
	}
	sms := append([]string(nil), spec.AllowedStateMachineARNs...)
	sort.Strings(sms)
	if len(sms) == 0 {
		sms = []string{a.anyStateMachine()}
	}
	switch kind {
	case kindNotifier:
		// The notifier proves each invocation (internal/lambda/proof.go): a
		// heartbeat on the task token, which AWS evaluates against the task's
		// state machine, so it succeeds only for the allowed ones; and, with
		// execution context, the execution's status and history.
		st = append(st,
			allow("StoreRequests", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}, a.table()),
			allow("NotifyTopic", []string{"sns:ListSubscriptionsByTopic", "sns:Publish"}, a.topic()),
			allow("ProveTasks", []string{"states:SendTaskHeartbeat"}, sms...),
			allow("ReadCallerExecutions", []string{"states:DescribeExecution", "states:GetExecutionHistory"}, executionsOf(sms)...),
		)
	case kindCallback:
		st = append(st,
			allow("DecideRequests", []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, a.table()),
			allow("CompleteTasks", []string{"states:SendTaskFailure", "states:SendTaskSuccess"}, sms...),
			// The sweep reads only due requests, through the index.
			allow("SweepDueRequests", []string{"dynamodb:Query"}, a.table()+"/index/"+dueIndexName),
			// Executions of the allowed state machines only: a re-send that
			// finds the token closed checks the history of the execution
			// before claiming delivery; a click whose task is closed
			// (TaskTimedOut, TaskDoesNotExist), and a stopped execution's
			// event, read the execution's status and stop date. One
			// statement, so each allowed state machine costs the policy's
			// size limit once more, not twice.
			allow("VerifyDelivery", []string{"states:DescribeExecution", "states:GetExecutionHistory"}, executionsOf(sms)...),
			// A stopped execution's event names the execution: its requests
			// are found through the execution index, never a scan.
			allow("FindStoppedRequests", []string{"dynamodb:Query"}, a.table()+"/index/"+executionIndexName),
			// A Slack click is acknowledged at once and finished by an
			// asynchronous invocation of this function, and only this one.
			allow("FinishSlackClicks", []string{"lambda:InvokeFunction"}, a.function(kindCallback)),
			// A final request's follow-ups are told by the notifier, which
			// holds the posting secrets (internal/lambda/finalize.go).
			allow("TellFinalRequests", []string{"lambda:InvokeFunction"}, a.function(kindNotifier)),
		)
		if remindsChannels(spec) {
			// The sweep's reminders and last call go to the topic too.
			st = append(st, allow("RemindTopic", []string{"sns:Publish"}, a.topic()))
		}
		if hasEscalationTopic(spec) { // the sweep e-mails the escalation steps
			st = append(st, allow("EscalateByEmail", []string{"sns:Publish"}, a.escalationTopic()))
		}
		if spec.API != nil { // the API lists pending requests through the index
			st = append(st, allow("ListPendingRequests", []string{"dynamodb:Query"}, a.table()+"/index/"+dueIndexName))
		}
	}
	if ev := spec.Followup.Events; ev != nil {
		// Both put events: the notifier Requested, Decided and Expired, the
		// callback's sweep Reminded and Escalated. On this bus only.
		st = append(st, allow("PutDecisionEvents", []string{"events:PutEvents"}, a.eventBus(ev.BusName)))
	}
	if spec.KMSKeyARN != "" {
		st = append(st, allow("UseGateKey", []string{"kms:Decrypt", "kms:GenerateDataKey"}, spec.KMSKeyARN))
	}
	return PolicyDocument{Version: "2012-10-17", Statement: st}
}

// executionsOf returns the ARN patterns of the executions of the given state
// machines ("arn:…:stateMachine:deploy" → "arn:…:execution:deploy:*"; the
// wildcard "stateMachine:*" → "execution:*").
func executionsOf(sms []string) []string {
	out := make([]string, 0, len(sms))
	for _, sm := range sms {
		prefix, name, ok := strings.Cut(sm, ":stateMachine:")
		switch {
		case !ok:
			continue
		case name == "*":
			out = append(out, prefix+":execution:*")
		default:
			out = append(out, prefix+":execution:"+name+":*")
		}
	}
	return out
}

// StateMachinePolicy is the least policy a state machine's role needs to use
// the gate: invoking the notifier (any version or alias of it).
func StateMachinePolicy(notifierARN string) string {
	return PolicyDocument{Version: "2012-10-17", Statement: []Statement{
		allow("InvokeApprovalGateNotifier", []string{"lambda:InvokeFunction"}, notifierARN, notifierARN+":*"),
	}}.String()
}

// TaskState renders the gate's Task state: invoke the notifier and wait for
// the task token, with the gate's timeout and a Retry on Lambda's transient
// errors. It has no Next or End, so users merge their own. It is the
// task_state function with no options.
func TaskState(notifierARN string, timeoutSeconds int64, includeExecutionContext bool) string {
	s, err := approval.TaskStateJSON(notifierARN, timeoutSeconds, approval.TaskStateOptions{OmitExecutionContext: !includeExecutionContext})
	if err != nil {
		// Without options there is nothing to reject.
		panic("building the default task state failed; this is always a bug in the provider: " + err.Error())
	}
	return s
}

// worstCaseEnv stands for the account and region a gate will live in when
// they are not known yet (plan time): the longest partition and a region
// name longer than any AWS has, so a size computed with it is an upper bound.
var worstCaseEnv = Env{Partition: "aws-us-gov", Region: "xx-xxxxxxxxxx-99", AccountID: "123456789012"}

// LargestRolePolicy returns the kind ("notifier" or "callback") and size in
// characters of the larger of the gate's two inline policies, computed for
// the longest partition and region name. IAM limits a role's inline policies
// to approval.MaxPolicyChars characters in all (white space not counted; the
// documents have none); allowed_state_machine_arns and kms_key_arn make them
// grow.
func LargestRolePolicy(spec Spec) (kind string, chars int) {
	for _, k := range kinds {
		if n := len(rolePolicy(worstCaseEnv, spec, k).String()); n > chars {
			kind, chars = k, n
		}
	}
	return kind, chars
}
