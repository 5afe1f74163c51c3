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
const (
	ErrorRejected = "ManualApproval.Rejected"
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
}
