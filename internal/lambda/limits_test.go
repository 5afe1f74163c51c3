package lambda

import (
	"fmt"
	"strings"
	"testing"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestCallback_votesFull: past approval.MaxVotes undecided votes (only
// verified people count, so this takes a quorum larger than the cap, which
// stands for any way a request fills up) a Slack click is told what is
// still accepted and nothing is written, while a rejection still decides:
// the item never reaches DynamoDB's 400 KB limit, at which every write
// would fail and the request could not be decided any more.
func TestCallback_votesFull(t *testing.T) {
	t.Parallel()
	h := newCallback(t, func(c *approval.Config) { c.AllowSelfApproval = true; appConfig(c) })
	id := reqID(6)
	r := pendingRequest(id)
	r.SlackChannel, r.SlackTS = "C0DEPLOY", "1700000000.000100"
	r.MinApprovals = approval.MaxVotes + 10
	for i := range approval.MaxVotes {
		who := fmt.Sprintf("email:voter%d@example.com", i)
		v := approval.Vote{Approver: approval.Approver{ID: who, Via: approval.ViaSSO}, IDs: []string{who}, Decision: approval.DecisionApprove, At: testNow}
		r.Votes[approval.VoteKey(v.Approver)] = v
	}
	h.db.put(r)
	updates := h.db.updates
	if resp := h.do(h.slackEvent(blockActionsPayload("UBOB", "bob", "approve", id), h.now, nil)); resp.StatusCode != 200 {
		t.Fatalf("click: %d %s", resp.StatusCode, resp.Body)
	}
	if h.db.updates != updates {
		t.Errorf("a refused vote was written")
	}
	var note string
	for _, q := range h.slack.requests() {
		if q.Path == "/chat.postEphemeral" {
			note = q.Body
		}
	}
	if !strings.Contains(note, "rejection") {
		t.Errorf("the clicker was not told what is still accepted: %q", note)
	}
	if resp := h.do(h.slackEvent(blockActionsPayload("UCAROL", "carol", "reject", id), h.now, nil)); resp.StatusCode != 200 || len(h.sfn.Calls()) != 1 {
		t.Errorf("rejection on a full request: %d, %d Step Functions calls\n%s", resp.StatusCode, len(h.sfn.Calls()), resp.Body)
	}
}
