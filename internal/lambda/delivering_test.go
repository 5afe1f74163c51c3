package lambda

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestCallback_slackClickWhileDelivering: Alice's approval is recorded
// (deciding) and its delivery to Step Functions has not succeeded yet. A
// click in Slack during the re-send lease must not show the request as
// decided: the message keeps its buttons (no chat.update) and the clicker
// is told the decision is being delivered. Before the fix the click
// replaced the message with "Approved by Alice" and removed the buttons
// while nothing had reached the workflow.
func TestCallback_slackClickWhileDelivering(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"approve", "reject"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, nil)
			id := reqID(21)
			r := decidedRequest(id, approval.StatusDeciding) // decided 30 s before testNow
			h.db.put(r)
			h.now = testNow.Add(-30*time.Second + time.Second) // within the lease
			resp := h.do(h.slackEvent(blockActionsPayload("UBOB", "bob", action, id), h.now, nil))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			if n := len(h.sfn.Calls()); n != 0 {
				t.Errorf("%d Step Functions calls within the lease, want 0", n)
			}
			var paths []string
			var ephemeral string
			for _, q := range h.slack.requests() {
				if q.Path == "/users.info" { // the click's e-mail identity (merge of the identity work)
					continue
				}
				paths = append(paths, q.Path)
				ephemeral = q.Body
				if q.Path == "/chat.update" {
					t.Errorf("the message was replaced while the decision is not delivered: %s", q.Body)
				}
			}
			if strings.Join(paths, ",") != "/chat.postEphemeral" {
				t.Fatalf("Slack calls %v, want one ephemeral note", paths)
			}
			var body struct{ Text, User string }
			_ = json.Unmarshal([]byte(ephemeral), &body)
			if !strings.Contains(body.Text, "being delivered") || body.User != "UBOB" {
				t.Errorf("ephemeral %+v, want a note to UBOB saying the decision is being delivered", body)
			}
			if got := h.db.request(id); got.Status != approval.StatusDeciding || len(got.Votes) != 1 {
				t.Errorf("request changed: status %s, %d votes", got.Status, len(got.Votes))
			}
		})
	}
}

// TestCallback_pagesWhileDelivering: the confirm page of a deciding request
// and a POST during the lease say "being delivered" and keep the form; they
// never say the request is decided.
func TestCallback_pagesWhileDelivering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		voter  string
		want   int
	}{
		{"confirm page", http.MethodGet, "", http.StatusOK},
		{"the decider submits again", http.MethodPost, "Alice", http.StatusAccepted},
		{"someone else submits", http.MethodPost, "Bob", http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, nil)
			id := reqID(22)
			r := decidedRequest(id, approval.StatusDeciding)
			h.db.put(r)
			h.now = testNow.Add(-29 * time.Second)
			ev := httpEvent(http.MethodGet, "/r/"+id, h.linkQuery(r, approval.DecisionApprove), "", nil)
			if tt.method == http.MethodPost {
				ev = formEvent("/r/"+id, h.linkQuery(r, approval.DecisionApprove), url.Values{"name": {tt.voter}})
			}
			resp := h.do(ev)
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			for _, want := range []string{"Being delivered", "Approved by Alice (link)", `<form method="post"`, "<button"} {
				if !strings.Contains(resp.Body, want) {
					t.Errorf("page lacks %q:\n%s", want, resp.Body)
				}
			}
			if strings.Contains(resp.Body, "Already decided") || strings.Contains(resp.Body, "has been told") {
				t.Errorf("page shows the request as decided:\n%s", resp.Body)
			}
			if n := len(h.sfn.Calls()); n != 0 {
				t.Errorf("%d Step Functions calls within the lease, want 0", n)
			}
		})
	}
}
