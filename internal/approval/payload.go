package approval

import "encoding/json"

// Payload is what the gate's Task state sends to the notifier (the Lambda
// invoke Payload built by task_state_json and the task_state function).
// Keys ending in ".$" in the state definition resolve to these fields.
type Payload struct {
	// Token is $$.Task.Token. Required.
	Token string `json:"token"`
	// ExecutionID, StateMachineID and StateName are $$.Execution.Id,
	// $$.StateMachine.Id and $$.State.Name; absent when the gate has
	// include_execution_context = false.
	ExecutionID    string `json:"execution_id,omitempty"`
	StateMachineID string `json:"state_machine_id,omitempty"`
	StateName      string `json:"state_name,omitempty"`
	// Input is the state input, or the part of it the user chose.
	Input json.RawMessage `json:"input,omitempty"`
	// Per-step overrides.
	Title       string         `json:"title,omitempty"`
	Text        string         `json:"text,omitempty"`
	Fields      map[string]any `json:"fields,omitempty"`
	RequestedBy string         `json:"requested_by,omitempty"`
}

// MaxPayloadBytes is the largest payload Step Functions can pass to a task
// (256 KiB). The notifier rejects anything larger.
const MaxPayloadBytes = 256 * 1024

// Error names the handlers report to Step Functions.
//
// ErrorNotifyFailed and ErrorInvalidRequest are the notifier's function
// errors (the errorType of its failed invocations), so a Task state can
// Retry and Catch them by name.
const (
	ErrorRejected = "ManualApproval.Rejected"
	// ErrorNotifyFailed: every notification channel failed, or reading the
	// gate's secrets, storing the request or proving the task failed for a
	// reason that may pass (throttling, a 5xx, a timeout). Retryable: the
	// gate's Task states retry it with backoff.
	ErrorNotifyFailed = "ManualApproval.NotifyFailed"
	// ErrorInvalidRequest: the notifier refused the payload (malformed, too
	// large, no task token, or a token that is not a live task of an allowed
	// state machine). Retrying cannot help: nobody was notified.
	ErrorInvalidRequest = "ManualApproval.InvalidRequest"
)

// Decision values.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
)

// Outcome is the JSON the callback sends to Step Functions: the task output
// with SendTaskSuccess, or the cause with SendTaskFailure.
type Outcome struct {
	Decision  string     `json:"decision"` // "approved" | "rejected"
	Approvers []Approver `json:"approvers"`
	Comment   string     `json:"comment"`
	DecidedAt string     `json:"decided_at"` // RFC 3339, UTC
	RequestID string     `json:"request_id"`
	// Inputs are the deciding vote's inputs (the rejecter's, or those of the
	// approval that met the quorum); each approver's own are in Approvers.
	// Absent when the gate asks for none.
	Inputs map[string]any `json:"inputs,omitempty"`
}

// Approver is one person who took part in a decision.
type Approver struct {
	// ID is the voter's first canonical identity (Vote.IDs[0]), or
	// AnonymousLinkApprover for a bare link.
	ID string `json:"id"`
	// Name is a display note (a Slack name, the SSO name claim, a name typed
	// on a page): never an identity.
	Name string `json:"name"`
	Via  string `json:"via"` // ViaLink | ViaSlack | ViaSSO | ViaAPI
	// Inputs are this approver's inputs, in an Outcome only.
	Inputs map[string]any `json:"inputs,omitempty"`
}
