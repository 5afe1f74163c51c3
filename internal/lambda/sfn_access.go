package lambda

import (
	"errors"

	"github.com/aws/smithy-go"
)

// errNotAllowed: Step Functions refused the callback's role the SendTask*
// call. The role may call it only for the state machines in the gate's
// allowed_state_machine_arns, so a request from any other state machine can
// never be delivered: a configuration error, not an outage. Retrying cannot
// help until the gate's owner adds the state machine; the decision stays
// recorded (status deciding), so a later attempt after the fix delivers it.
var errNotAllowed = errors.New("the gate may not resume this workflow: its state machine is not in the gate's allowed_state_machine_arns")

// notAllowedHelp tells people what to do about errNotAllowed.
const notAllowedHelp = "Your decision is recorded, but this approval gate is not allowed to resume the workflow: " +
	"its state machine is not in the gate's allowed_state_machine_arns. Tell the gate's owner; " +
	"once the state machine is added, submit your decision again to deliver it."

// sfnAccessDenied reports whether err is Step Functions refusing the call
// for want of permission (AccessDeniedException, HTTP 400). AWS evaluates
// states:SendTaskSuccess and states:SendTaskFailure against the state
// machine of the token's execution: observed AWS behaviour, as the Step
// Functions Service Authorization Reference lists no resource type for
// these actions (see the security model guide).
func sfnAccessDenied(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "AccessDeniedException", "AccessDenied":
		return true
	}
	return false
}
