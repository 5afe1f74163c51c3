package lambda

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestCallback_votesFull: links carry no identity, so anyone holding one can
// vote under new names. Past approval.MaxVotes undecided votes the callback
// answers 409 with what is still accepted, writes nothing, and a rejection
// still decides: the item never reaches DynamoDB's 400 KB limit, at which
// every write would fail and the request could not be decided any more.
func TestCallback_votesFull(t *testing.T) {
	t.Parallel()
	h := newCallback(t, func(c *approval.Config) { c.AllowSelfApproval = true })
	id := reqID(6)
	r := pendingRequest(id)
	// Votes that do not count towards the quorum (one person through several
	// channels, names typed on links) are what fills a request; a quorum
	// larger than MaxVotes stands for them here.
	r.MinApprovals = approval.MaxVotes + 10
	for i := range approval.MaxVotes {
		v := approval.Vote{Approver: approval.LinkApprover(fmt.Sprintf("voter %d", i)), Decision: approval.DecisionApprove, At: testNow}
		r.Votes[approval.VoteKey(v.Approver)] = v
	}
	h.db.put(r)
	q := h.linkQuery(r, approval.DecisionApprove)
	updates := h.db.updates
	resp := h.do(formEvent("/r/"+id, q, url.Values{"name": {"one too many"}}))
	if resp.StatusCode != 409 || !strings.Contains(resp.Body, "Too many votes") || !strings.Contains(resp.Body, "rejection") {
		t.Fatalf("vote on a full request: %d\n%s", resp.StatusCode, resp.Body)
	}
	if h.db.updates != updates {
		t.Errorf("a refused vote was written")
	}
	resp = h.do(formEvent("/r/"+id, h.linkQuery(r, approval.DecisionReject), url.Values{"name": {"rejecter"}}))
	if resp.StatusCode != 200 || len(h.sfn.Calls()) != 1 {
		t.Errorf("rejection on a full request: %d, %d Step Functions calls\n%s", resp.StatusCode, len(h.sfn.Calls()), resp.Body)
	}
}
