package lambda

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// accessDenied is Step Functions' answer when the callback's role may not
// call SendTask* for the token's state machine (its policy names only
// allowed_state_machine_arns).
func accessDenied(int) error {
	return &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User: arn:aws:sts::123456789012:assumed-role/g-callback/g-callback " +
		"is not authorized to perform: states:SendTaskSuccess on resource: arn:aws:states:eu-west-1:123456789012:stateMachine:deploy " +
		"because no identity-based policy allows the states:SendTaskSuccess action"}
}

// TestCallback_sendTaskAccessDenied: AccessDenied on states:SendTask* is a
// configuration error naming allowed_state_machine_arns, on the page, in
// Slack and in the log; it is not retried (one call), and the decision stays
// recorded for delivery once the configuration is fixed.
func TestCallback_sendTaskAccessDenied(t *testing.T) {
	t.Parallel()
	id := reqID(9)
	t.Run("link", func(t *testing.T) {
		t.Parallel()
		h := newCallback(t, nil)
		h.sfn.fail = accessDenied
		h.db.put(pendingRequest(id))
		resp := h.do(formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{}))
		if resp.StatusCode != 500 || !strings.Contains(resp.Body, "allowed_state_machine_arns") {
			t.Errorf("status %d, want 500 naming allowed_state_machine_arns; body:\n%s", resp.StatusCode, resp.Body)
		}
		if strings.Contains(resp.Body, "in a moment") {
			t.Errorf("the page tells people to retry an error only the gate's owner can fix:\n%s", resp.Body)
		}
		if n := len(h.sfn.Calls()); n != 1 {
			t.Errorf("SendTask* calls = %d, want 1 (not retried)", n)
		}
		if st := h.db.request(id).Status; st != approval.StatusDeciding {
			t.Errorf("status %s, want deciding (the decision is kept for delivery after the fix)", st)
		}
		logs := h.logs.String()
		if !strings.Contains(logs, "configuration error") || !strings.Contains(logs, `"setting":"allowed_state_machine_arns"`) {
			t.Errorf("log does not report a configuration error naming allowed_state_machine_arns:\n%s", logs)
		}
	})
	t.Run("slack", func(t *testing.T) {
		t.Parallel()
		h := newCallback(t, nil)
		h.sfn.fail = accessDenied
		h.db.put(pendingRequest(id))
		resp := h.do(h.slackEvent(blockActionsPayload("UBOB", "bob", "approve", id), h.now, nil))
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		found := false
		for _, c := range h.slack.requests() {
			if strings.Contains(c.Path, "chat.postEphemeral") && strings.Contains(c.Body, "allowed_state_machine_arns") {
				found = true
			}
		}
		if !found {
			t.Error("the clicker was not told the gate may not resume the workflow (allowed_state_machine_arns)")
		}
	})
}
