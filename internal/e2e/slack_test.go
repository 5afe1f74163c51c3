package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

func startSlack(t *testing.T, signingSecret string) *acctest.Slack {
	t.Helper()
	s, err := acctest.StartSlack(signingSecret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// nextMessage waits for the n-th Slack message.
func nextMessage(w *world, s *acctest.Slack, n int) acctest.Message {
	w.t.Helper()
	msgs, err := s.WaitMessages(w.ctx, n)
	if err != nil {
		w.t.Fatal(err)
	}
	return msgs[n-1]
}

// TestE2E_slackWebhook: Block Kit messages with link buttons through an
// incoming webhook; Slack failing before it accepts; a real browser.
func TestE2E_slackWebhook(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, "unused")
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  include_execution_context = false
  allow_self_approval       = true
  slack = {
    webhook_url = %[2]q
  }
}
`, acctest.RandomName(), slack.WebhookURL()), []scenario{
		{"7 Slack down, then up: the message arrives once", func(w *world) {
			slack.Script(acctest.Answer{Status: 500}, acctest.Answer{Status: 429, RetryAfter: 1}, acctest.Answer{Status: 200})
			before := slack.Attempts()
			e := w.start(`{"requested_by":"carol","change":"deploy"}`, nil)
			m := nextMessage(w, slack, 1)
			if m.Kind != acctest.KindWebhook || m.ApproveURL == "" || m.RejectURL == "" {
				w.t.Fatalf("message: %+v", m)
			}
			time.Sleep(200 * time.Millisecond) // a duplicate would arrive now
			if got := len(slack.Messages()); got != 1 {
				w.t.Errorf("%d messages arrived, want exactly 1", got)
			}
			if got := slack.Attempts() - before; got != 3 {
				w.t.Errorf("%d attempts, want 3 (500, 429, 200)", got)
			}
			if code, page := post(w.t, m.ApproveURL, url.Values{"name": {"Alice"}}); code != http.StatusOK {
				w.t.Fatalf("approve: %d %s", code, page)
			}
			if d, _ := e.wait(); d.Status != "SUCCEEDED" {
				w.t.Errorf("execution %s", d.Status)
			}
		}},
		{"9 a person in a browser", func(w *world) {
			if _, err := acctest.ChromiumPath(); err != nil {
				w.t.Fatal(err) // make test installs it (.ci/run); a browser test never skips
			}
			e := w.start(`{"requested_by":"carol","change":"deploy from the browser"}`, nil)
			m := nextMessage(w, slack, 2)
			res, err := acctest.DecideInBrowser(w.ctx, m.ApproveURL, "looks good", "Alice")
			if err != nil {
				w.t.Fatalf("browser: %v (%+v)", err, res)
			}
			if res.ConfirmStatus != http.StatusOK || !strings.Contains(res.ConfirmText, "deploy from the browser") {
				w.t.Errorf("confirm page: %d %q", res.ConfirmStatus, res.ConfirmText)
			}
			if res.ResultStatus != http.StatusOK || !strings.Contains(strings.ToLower(res.ResultText), "approved") {
				w.t.Errorf("result page: %d %q", res.ResultStatus, res.ResultText)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" || path(out, "approval", "comment") != "looks good" {
				w.t.Errorf("execution %s output %s", d.Status, deref(d.Output))
			}
		}},
	})
}

const appSigningSecret = "e2e-signing-secret-0123456789abcdef"

func appGate(slack *acctest.Slack, extra string) string {
	return fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  include_execution_context = false
  approvers                 = ["U0ALICE01", "U0BOB0001", "U0CAROL01", "erin@example.com"]
  # Approve in the Slack app, which knows who clicks; a bearer link can only reject.
  link_decisions = "reject_only"
  slack = {
    bot_token      = "xoxb-e2e-token"
    channel        = "#deploys"
    signing_secret = %[2]q
    api_base_url   = %[3]q
    team_id        = %[5]q
    app_id         = %[6]q
  }
  %[4]s
}
`, acctest.RandomName(), appSigningSecret, slack.APIBaseURL(), extra, acctest.DefaultSlackTeamID, acctest.DefaultSlackAppID)
}

// TestE2E_slackApp: interactive buttons signed by Slack.
func TestE2E_slackApp(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, appSigningSecret)
	slack.SetBotToken("xoxb-e2e-token")
	withGate(t, appGate(slack, ""), []scenario{
		{"3 Slack app: signatures, approvers, update in place", func(w *world) {
			cb := w.attrs["callback_url"]
			e := w.start(`{"requested_by":"U0CAROL01"}`, nil)
			m := nextMessage(w, slack, 1)
			if m.Kind != acctest.KindApp || m.RequestID == "" {
				w.t.Fatalf("message: %+v", m)
			}
			// A bad signature and a stale timestamp: 401, nothing decided.
			resp, body, err := slack.ClickWith(w.ctx, cb, m, "approve", "U0ALICE01", "alice", func(req *http.Request, b []byte) []byte {
				req.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
				return b
			})
			if err != nil || resp.StatusCode != http.StatusUnauthorized {
				w.t.Errorf("bad signature: %v %v %s", err, status(resp), body)
			}
			resp, body, err = slack.ClickWith(w.ctx, cb, m, "approve", "U0ALICE01", "alice", func(req *http.Request, b []byte) []byte {
				stale := fmt.Sprint(time.Now().Add(-10 * time.Minute).Unix())
				req.Header.Set("X-Slack-Request-Timestamp", stale)
				req.Header.Set("X-Slack-Signature", acctest.SlackSignature(appSigningSecret, stale, b))
				return b
			})
			if err != nil || resp.StatusCode != http.StatusUnauthorized {
				w.t.Errorf("stale timestamp: %v %v %s", err, status(resp), body)
			}
			// A non-approver: told so, nothing decided.
			if resp, body, err = slack.Click(w.ctx, cb, m, "approve", "U0MALLORY", "mallory"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Errorf("non-approver click: %v %v %s", err, status(resp), body)
			}
			// The requester may not approve their own request.
			if resp, body, err = slack.Click(w.ctx, cb, m, "approve", "U0CAROL01", "carol"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Errorf("self-approval click: %v %v %s", err, status(resp), body)
			}
			time.Sleep(100 * time.Millisecond)
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("a refused click decided: %s", s)
			}
			if n := len(slack.Ephemerals()); n < 2 {
				w.t.Errorf("%d ephemeral notes, want one for the non-approver and one for self-approval", n)
			}
			// An approver decides; the message is updated in place.
			if resp, body, err = slack.Click(w.ctx, cb, m, "approve", "U0ALICE01", "alice"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("approver click: %v %v %s", err, status(resp), body)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" || path(out, "approval", "decision") != "approved" {
				w.t.Fatalf("execution %s output %s", d.Status, deref(d.Output))
			}
			approvers, _ := path(out, "approval", "approvers").([]any)
			if len(approvers) != 1 || path(approvers[0], "id") != "slack:U0ALICE01" || path(approvers[0], "via") != "slack" {
				w.t.Errorf("approvers %v", approvers)
			}
			ctx, cancel := context.WithTimeout(w.ctx, 5*time.Second)
			defer cancel()
			upd, err := slack.WaitUpdate(ctx, m.TS)
			if err != nil {
				w.t.Fatalf("the message was not updated in place: %v", err)
			}
			if s := fmt.Sprint(upd); !strings.Contains(s, "U0ALICE01") || !strings.Contains(strings.ToLower(s), "approved") {
				w.t.Errorf("update does not say who approved: %s", s)
			}
		}},
		{"I1 Slack identity: workspace, app, e-mail; links only reject", func(w *world) {
			cb := w.attrs["callback_url"]
			e := w.start(`{"requested_by":"U0CAROL01"}`, nil)
			m := nextMessage(w, slack, 2)
			w.seen = 1 // scenario 3's request was published first
			approve, _ := w.snsLinks()
			// A bearer link cannot approve this gate: no form, nothing decided.
			if code, page := get(w.t, approve); code != http.StatusForbidden || strings.Contains(page, "<form") || !strings.Contains(page, "can only reject") {
				w.t.Errorf("GET approve link: %d\n%.600s", code, page)
			}
			if code, page := post(w.t, approve, url.Values{"name": {"U0ALICE01"}}); code != http.StatusForbidden {
				w.t.Errorf("POST approve link: %d\n%.600s", code, page)
			}
			// A click from another workspace or app: refused
			// before anything is read.
			for _, from := range []struct{ team, enterprise, app string }{
				{"T0EVIL", "", acctest.DefaultSlackAppID},
				{acctest.DefaultSlackTeamID, "", "A0EVIL"},
			} {
				slack.TeamID, slack.EnterpriseID, slack.AppID = from.team, from.enterprise, from.app
				resp, body, err := slack.Click(w.ctx, cb, m, "approve", "U0ALICE01", "alice")
				if err != nil || resp.StatusCode != http.StatusForbidden {
					w.t.Errorf("click from %+v: %v %v %s", from, err, status(resp), body)
				}
			}
			slack.TeamID, slack.EnterpriseID, slack.AppID = acctest.DefaultSlackTeamID, "", acctest.DefaultSlackAppID
			// An unconfirmed profile e-mail on the list counts for nothing.
			slack.SetUserEmail("U0MALL001", "erin@example.com", false)
			if resp, body, err := slack.Click(w.ctx, cb, m, "approve", "U0MALL001", "mallory"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Errorf("unconfirmed e-mail click: %v %v %s", err, status(resp), body)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("a refused decision decided: %s", s)
			}
			// Erin is an approver by e-mail: her Slack click counts as it.
			slack.SetUserEmail("U0ERIN001", "Erin@Example.com", true)
			if resp, body, err := slack.Click(w.ctx, cb, m, "approve", "U0ERIN001", "erin"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("approver by e-mail: %v %v %s", err, status(resp), body)
			}
			d, out := e.wait()
			approvers, _ := path(out, "approval", "approvers").([]any)
			if d.Status != "SUCCEEDED" || len(approvers) != 1 || path(approvers[0], "id") != "slack:U0ERIN001" {
				w.t.Errorf("execution %s output %s", d.Status, deref(d.Output))
			}
		}},
	})
}

// TestE2E_quorum: min_approvals = 2 through Slack.
func TestE2E_quorum(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, appSigningSecret)
	withGate(t, appGate(slack, "min_approvals = 2"), []scenario{
		{"4 quorum: two distinct approvers", func(w *world) {
			cb := w.attrs["callback_url"]
			e := w.start(`{"requested_by":"U0DAVE001"}`, nil)
			m := nextMessage(w, slack, 1)
			for i := 0; i < 2; i++ { // the same approver twice counts once
				if resp, body, err := slack.Click(w.ctx, cb, m, "approve", "U0ALICE01", "alice"); err != nil || resp.StatusCode != http.StatusOK {
					w.t.Fatalf("click %d: %v %v %s", i, err, status(resp), body)
				}
			}
			// A link holder typing another name is no second approver.
			approve, _ := w.snsLinks()
			if code, page := post(w.t, approve, url.Values{"name": {"Bob"}}); code != http.StatusForbidden {
				w.t.Errorf("link approval towards a quorum: %d\n%.600s", code, page)
			}
			time.Sleep(100 * time.Millisecond)
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("one approver decided a quorum of two: %s", s)
			}
			if resp, body, err := slack.Click(w.ctx, cb, m, "approve", "U0BOB0001", "bob"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("second approver: %v %v %s", err, status(resp), body)
			}
			d, out := e.wait()
			approvers, _ := path(out, "approval", "approvers").([]any)
			if d.Status != "SUCCEEDED" || len(approvers) != 2 {
				w.t.Fatalf("execution %s output %s", d.Status, deref(d.Output))
			}
		}},
	})
}

// TestE2E_workflowAndSNS: a Workflow Builder trigger gets flat variables;
// SNS subscribers get the links in plain text.
func TestE2E_workflowAndSNS(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, "unused")
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  include_execution_context = false
  allow_self_approval       = true
  email_addresses           = ["oncall@example.com"]
  slack = {
    format      = "workflow"
    webhook_url = %[2]q
  }
}
`, acctest.RandomName(), slack.WorkflowURL()), []scenario{
		{"8 workflow variables and SNS text", func(w *world) {
			e := w.start(`{"requested_by":"carol","change":"rotate keys"}`, nil)
			m := nextMessage(w, slack, 1)
			if m.Kind != acctest.KindWorkflow {
				w.t.Fatalf("kind %s", m.Kind)
			}
			for _, k := range []string{"title", "text", "approve_url", "reject_url", "expires_at", "execution", "request_id"} {
				v, ok := m.Body[k]
				if _, isString := v.(string); !ok || !isString {
					w.t.Errorf("workflow variable %q missing or not a string: %v", k, m.Body)
				}
			}
			if _, err := time.Parse("2006-01-02 15:04 MST", fmt.Sprint(m.Body["expires_at"])); err != nil {
				w.t.Errorf("expires_at: %v", err)
			}
			approve, reject := w.snsLinks()
			if approve != m.ApproveURL || reject != m.RejectURL {
				w.t.Errorf("SNS and Slack carry different links:\n%s\n%s", approve, m.ApproveURL)
			}
			msgs, _ := w.sns.Wait(w.ctx, 1)
			if !strings.Contains(msgs[0].Message, "rotate keys") || msgs[0].Subject == "" {
				w.t.Errorf("SNS message: %+v", msgs[0])
			}
			if code, page := post(w.t, reject, url.Values{"name": {"Bob"}}); code != http.StatusOK {
				w.t.Fatalf("reject: %d %s", code, page)
			}
			if _, out := e.wait(); out["outcome"] != "rejected" {
				w.t.Errorf("output %v", out)
			}
		}},
	})
}

func status(r *http.Response) int {
	if r == nil {
		return 0
	}
	r.Body.Close()
	return r.StatusCode
}
