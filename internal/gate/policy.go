package gate

import (
	"encoding/json"
	"sort"

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
		allow("ReadGateSecrets", []string{"ssm:GetParameters"}, a.params()),
	}
	switch kind {
	case kindNotifier:
		st = append(st,
			allow("StoreRequests", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}, a.table()),
			allow("NotifyTopic", []string{"sns:Publish"}, a.topic()),
		)
	case kindCallback:
		sms := append([]string(nil), spec.AllowedStateMachineARNs...)
		sort.Strings(sms)
		if len(sms) == 0 {
			sms = []string{a.anyStateMachine()}
		}
		st = append(st,
			allow("DecideRequests", []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, a.table()),
			allow("CompleteTasks", []string{"states:SendTaskFailure", "states:SendTaskSuccess"}, sms...),
		)
		if spec.API != nil { // the API lists pending requests through the index
			st = append(st, allow("ListPendingRequests", []string{"dynamodb:Query"}, a.table()+"/index/"+dueIndexName))
		}
	}
	if spec.KMSKeyARN != "" {
		st = append(st, allow("UseGateKey", []string{"kms:Decrypt", "kms:GenerateDataKey"}, spec.KMSKeyARN))
	}
	return PolicyDocument{Version: "2012-10-17", Statement: st}
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
