package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestE2E_inputs: reasons and inputs on the local AWS, by link and in the
// Slack app's modal, round-trip into the execution's output.
func TestE2E_inputs(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, appSigningSecret)
	slack.SetBotToken("xoxb-e2e-token")
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  include_execution_context = false
  allow_self_approval       = true
  require_reason            = "reject"
  inputs = [
    { name = "ticket", type = "string", required = true, label = "Change ticket" },
    { name = "replicas", type = "number" },
    { name = "confirm", type = "bool", required = true, label = "I checked the dashboards" },
    { name = "env", type = "choice", choices = ["staging", "prod"] },
  ]
  slack = {
    bot_token      = "xoxb-e2e-token"
    channel        = "#deploys"
    signing_secret = %[2]q
    api_base_url   = %[3]q
  }
}
`, acctest.RandomName(), appSigningSecret, slack.APIBaseURL()), []scenario{
		{"inputs and a reason by link", func(w *world) {
			e := w.start(`{"change":"deploy v2"}`, nil)
			approve, reject := w.snsLinks()
			code, page := get(w.t, approve)
			if code != http.StatusOK || !strings.Contains(page, `name="input.ticket"`) || !strings.Contains(page, `<option value="prod">prod</option>`) {
				w.t.Fatalf("GET approve link: %d\n%s", code, page)
			}
			// A missing required input: 400, what was typed kept, nothing decided.
			code, page = post(w.t, approve, url.Values{"input.replicas": {"3"}, "input.env": {"prod"}, "comment": {"typed"}})
			if code != http.StatusBadRequest || !strings.Contains(page, "is required to approve") || !strings.Contains(page, `value="3"`) {
				w.t.Fatalf("POST without the ticket: %d\n%s", code, page)
			}
			// A rejection without a reason: 400, nothing decided.
			code, page = post(w.t, reject, url.Values{"comment": {" "}})
			if code != http.StatusBadRequest || !strings.Contains(page, "a reason is required to reject this request") {
				w.t.Fatalf("POST reject without a reason: %d\n%s", code, page)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("a refused POST decided: execution %s", s)
			}
			code, page = post(w.t, approve, url.Values{
				"name": {"Alice"}, "comment": {"ship it"},
				"input.ticket": {"OPS-42"}, "input.replicas": {"3"}, "input.confirm": {"true"}, "input.env": {"prod"},
			})
			if code != http.StatusOK {
				w.t.Fatalf("POST approve: %d\n%s", code, page)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" || out["outcome"] != "approved" {
				w.t.Fatalf("execution %s output %s", d.Status, deref(d.Output))
			}
			want := map[string]any{"ticket": "OPS-42", "replicas": 3.0, "confirm": true, "env": "prod"}
			if diff := cmp.Diff(want, path(out, "approval", "inputs")); diff != "" {
				w.t.Errorf("approval.inputs (-want +got):\n%s\noutput: %s", diff, deref(d.Output))
			}
			approvers, _ := path(out, "approval", "approvers").([]any)
			if len(approvers) != 1 || cmp.Diff(want, path(approvers[0], "inputs")) != "" || path(out, "approval", "comment") != "ship it" {
				w.t.Errorf("output: %s", deref(d.Output))
			}
		}},
		{"a rejection's reason in the cause", func(w *world) {
			e := w.start(`{}`, nil)
			_, reject := w.snsLinks()
			if code, page := post(w.t, reject, url.Values{"comment": {"the canary is red"}}); code != http.StatusOK {
				w.t.Fatalf("POST reject: %d\n%s", code, page)
			}
			d, out := e.wait()
			var cause map[string]any
			if err := json.Unmarshal([]byte(fmt.Sprint(path(out, "error", "Cause"))), &cause); err != nil || out["outcome"] != "rejected" {
				w.t.Fatalf("execution %s output %s", d.Status, deref(d.Output))
			}
			if cause["comment"] != "the canary is red" || cmp.Diff(map[string]any{"confirm": false}, cause["inputs"]) != "" {
				w.t.Errorf("cause: %v", cause)
			}
		}},
		{"inputs in the Slack app's modal", func(w *world) {
			cb := w.attrs["callback_url"]
			e := w.start(`{}`, nil)
			m := nextMessage(w, slack, 3)
			if resp, body, err := slack.Click(w.ctx, cb, m, "approve", "U0ALICE01", "alice"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("click: %v %v %s", err, status(resp), body)
			}
			views, err := slack.WaitViews(w.ctx, 1)
			if err != nil {
				w.t.Fatal(err)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("the click decided: %s", s)
			}
			// Not ticked, no ticket: the modal stays open with the problems.
			resp, body, err := slack.SubmitView(w.ctx, cb, views[0], "U0ALICE01", "alice", map[string]any{"input.env": "staging"})
			if err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("submission: %v %v %s", err, status(resp), body)
			}
			var answer struct {
				ResponseAction string            `json:"response_action"`
				Errors         map[string]string `json:"errors"`
			}
			if err := json.Unmarshal(body, &answer); err != nil || answer.ResponseAction != "errors" ||
				answer.Errors["input.ticket"] != "is required to approve" || answer.Errors["input.confirm"] != "must be ticked to approve" {
				w.t.Fatalf("answer to a bad submission: %s", body)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("a refused submission decided: %s", s)
			}
			resp, body, err = slack.SubmitView(w.ctx, cb, views[0], "U0ALICE01", "alice", map[string]any{
				"input.ticket": "OPS-43", "input.replicas": "1.5", "input.confirm": true, "input.env": "staging", "comment": "from Slack",
			})
			if err != nil || resp.StatusCode != http.StatusOK || len(body) != 0 {
				w.t.Fatalf("submission: %v %v %s", err, status(resp), body)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" || out["outcome"] != "approved" {
				w.t.Fatalf("execution %s output %s", d.Status, deref(d.Output))
			}
			want := map[string]any{"ticket": "OPS-43", "replicas": 1.5, "confirm": true, "env": "staging"}
			if diff := cmp.Diff(want, path(out, "approval", "inputs")); diff != "" || path(out, "approval", "comment") != "from Slack" {
				w.t.Errorf("approval.inputs (-want +got):\n%s\noutput: %s", diff, deref(d.Output))
			}
			if _, err := slack.WaitUpdate(w.ctx, m.TS); err != nil {
				w.t.Errorf("the message was not updated in place: %v", err)
			}
		}},
	})
}
