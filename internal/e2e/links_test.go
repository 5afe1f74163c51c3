package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestE2E_links: a gate without Slack; the links reach people through the
// SNS topic (read by a subscribed function, since kumo drops e-mail).
func TestE2E_links(t *testing.T) {
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  timeout_seconds           = 60
  include_execution_context = false
  # Links approve and prove no identity: no self-approval ban.
  allow_self_approval = true
}
`, acctest.RandomName()), []scenario{
		{"1 approve by link", func(w *world) {
			e := w.start(`{"requested_by":"carol","change":"deploy v1.2.3"}`, nil)
			approve, _ := w.snsLinks()
			code, page := get(w.t, approve)
			if code != http.StatusOK || !strings.Contains(page, "<form") || !strings.Contains(page, "deploy v1.2.3") {
				w.t.Fatalf("GET approve link: %d\n%s", code, page)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("a GET decided: execution %s", s)
			}
			if code, page = post(w.t, approve, url.Values{"comment": {"ship it"}, "name": {"Alice"}}); code != http.StatusOK {
				w.t.Fatalf("POST approve: %d\n%s", code, page)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" || out["outcome"] != "approved" {
				w.t.Fatalf("execution %s %s %s, output %s", d.Status, deref(d.Error), deref(d.Cause), deref(d.Output))
			}
			a := out["approval"]
			approvers, _ := path(a, "approvers").([]any)
			if path(a, "decision") != "approved" || path(a, "comment") != "ship it" || path(a, "request_id") == "" || path(a, "decided_at") == nil ||
				len(approvers) != 1 || path(approvers[0], "via") != "link" || path(approvers[0], "name") != "Alice" {
				w.t.Errorf("task output: %s", deref(d.Output))
			}
			if _, err := time.Parse(time.RFC3339, fmt.Sprint(path(a, "decided_at"))); err != nil {
				w.t.Errorf("decided_at: %v", err)
			}
		}},
		{"2 reject by link", func(w *world) {
			e := w.start(`{"requested_by":"carol"}`, nil)
			_, reject := w.snsLinks()
			if code, page := post(w.t, reject, url.Values{"comment": {"not on a Friday"}, "name": {"Bob"}}); code != http.StatusOK {
				w.t.Fatalf("POST reject: %d\n%s", code, page)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" || out["outcome"] != "rejected" || path(out, "error", "Error") != "ManualApproval.Rejected" {
				w.t.Fatalf("execution %s, output %s", d.Status, deref(d.Output))
			}
			var cause map[string]any
			if err := json.Unmarshal([]byte(fmt.Sprint(path(out, "error", "Cause"))), &cause); err != nil {
				w.t.Fatalf("cause is not JSON: %v", err)
			}
			if cause["decision"] != "rejected" || cause["comment"] != "not on a Friday" {
				w.t.Errorf("cause: %v", cause)
			}
		}},
		{"5 nobody clicks", func(w *world) {
			e := w.start(`{}`, map[string]any{"TimeoutSeconds": 2})
			approve, _ := w.snsLinks()
			d, out := e.wait()
			if out["outcome"] != "timed out" || path(out, "error", "Error") != "States.Timeout" {
				w.t.Fatalf("execution %s, output %s", d.Status, deref(d.Output))
			}
			code, page := post(w.t, approve, url.Values{"name": {"Alice"}})
			if code != http.StatusGone {
				w.t.Errorf("click after the timeout: %d, want 410 (expired)\n%s", code, page)
			}
		}},
		{"6 double click", func(w *world) {
			e := w.start(`{}`, nil)
			approve, reject := w.snsLinks()
			if code, page := post(w.t, approve, url.Values{"name": {"Alice"}}); code != http.StatusOK {
				w.t.Fatalf("first click: %d\n%s", code, page)
			}
			if d, _ := e.wait(); d.Status != "SUCCEEDED" {
				w.t.Fatalf("execution %s", d.Status)
			}
			for _, l := range []string{approve, reject} {
				code, page := post(w.t, l, url.Values{"name": {"Bob"}})
				if code != http.StatusConflict || !strings.Contains(page, "Alice") {
					w.t.Errorf("replay of %s after the decision: %d, want 409 naming the first decision\n%s", l, code, page)
				}
			}
		}},
	})
}
