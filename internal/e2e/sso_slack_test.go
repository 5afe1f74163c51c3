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

// TestE2E_ssoSlackSamePerson: one person counts once across channels. A gate
// with the Slack app (bound to its workspace) and sso, min_approvals = 2:
// alice approves in Slack, where her confirmed profile e-mail is
// alice@example.com, then signs in by SSO with that e-mail and approves
// again through a link. Her second approval is already counted; bob's
// approval by SSO is the second one.
func TestE2E_ssoSlackSamePerson(t *testing.T) {
	preCheck(t)
	idp := startIdP(t)
	slack := startSlack(t, appSigningSecret)
	slack.SetBotToken("xoxb-e2e-token")
	gate := fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  timeout_seconds           = 300
  include_execution_context = false
  min_approvals             = 2
  allow_self_approval       = true
  slack = {
    bot_token      = "xoxb-e2e-token"
    channel        = "#deploys"
    signing_secret = %[2]q
    api_base_url   = %[3]q
    team_id        = %[4]q
  }
  sso = {
    issuer_url    = %[5]q
    client_id     = %[6]q
    client_secret = %[7]q
  }
}
`, acctest.RandomName(), appSigningSecret, slack.APIBaseURL(), acctest.DefaultSlackTeamID,
		idp.Issuer(), idp.ClientID(), idp.ClientSecret())

	withGate(t, gate, []scenario{
		{"1 a Slack click and an SSO sign-in with the same e-mail count once", func(w *world) {
			cb := w.attrs["callback_url"]
			e := w.start(`{"requested_by":"carol@example.com","change":"deploy v3"}`, nil)
			m := nextMessage(w, slack, 1)
			if m.Kind != acctest.KindApp || m.RequestID == "" {
				w.t.Fatalf("message: %+v", m)
			}
			// Alice approves in Slack; her profile e-mail is confirmed, so
			// the click counts as slack:U0ALICE01 and email:alice@example.com.
			slack.SetUserEmail("U0ALICE01", "alice@example.com", true)
			if resp, body, err := slack.Click(w.ctx, cb, m, "approve", "U0ALICE01", "alice"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("alice's click: %v %v %s", err, status(resp), body)
			}
			// The click is acknowledged at once and finished after: its note
			// says the approval is recorded, one of two.
			ctx, cancel := context.WithTimeout(w.ctx, time.Minute)
			defer cancel()
			notes, err := slack.WaitEphemerals(ctx, 1)
			if err != nil || !strings.Contains(fmt.Sprint(notes[0]), "Your approval is recorded. 1 of 2") {
				w.t.Fatalf("alice's click note (%v): %v", err, notes)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("one approval met a quorum of two: %s", s)
			}

			// Alice again, signed in by SSO with the same e-mail (in
			// another case): the same person, already counted.
			approve, _ := w.snsLinks()
			a := signIn(w, idp, approve, ssoAlice)
			code, page := a.post(approve, url.Values{"comment": {"me again"}})
			if code != http.StatusOK || !strings.Contains(page, "Already counted") || !strings.Contains(page, "already recorded") || !strings.Contains(page, "1 of 2") {
				w.t.Fatalf("alice by SSO after her Slack click: %d, want the page to say her approval was already counted\n%s", code, page)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("alice's Slack click and SSO approval counted as two people: %s", s)
			}

			// Bob by SSO is the second person.
			b := signIn(w, idp, approve, ssoBob)
			if code, page := b.post(approve, url.Values{"comment": {"two"}}); code != http.StatusOK || !strings.Contains(page, "Approved") {
				w.t.Fatalf("bob: %d\n%s", code, page)
			}
			d, out := e.wait()
			approvers, _ := path(out, "approval", "approvers").([]any)
			if d.Status != "SUCCEEDED" || len(approvers) != 2 {
				w.t.Fatalf("execution %s, output %s", d.Status, deref(d.Output))
			}
			got := [][2]string{
				{fmt.Sprint(path(approvers[0], "id")), fmt.Sprint(path(approvers[0], "via"))},
				{fmt.Sprint(path(approvers[1], "id")), fmt.Sprint(path(approvers[1], "via"))},
			}
			want := [][2]string{{"slack:U0ALICE01", "slack"}, {"email:bob@example.com", "sso"}}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				w.t.Fatalf("approvers %v, want %v (alice once, by Slack, then bob by SSO)", got, want)
			}
		}},
	})
}
