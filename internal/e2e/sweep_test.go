package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestE2E_sweep: the re-deliverer and the Slack acknowledgement, on the
// local AWS with the real handler. kumo never fires the gate's schedule, so
// the test fires it (acctest.Tick: the rule's own target and input).
func TestE2E_sweep(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, appSigningSecret)
	slack.SetBotToken("xoxb-e2e-token")
	withGate(t, appGate(slack, "allow_self_approval = true"), []scenario{
		{"S1 a delivery that failed is shown as being delivered, then re-sent by the sweep", func(w *world) {
			cb := w.attrs["callback_url"]
			e := w.start(`{"requested_by":"carol"}`, nil)
			m := nextMessage(w, slack, 1)
			var failing atomic.Bool
			failing.Store(true)
			faults(w.t, func(c acctest.Call) *acctest.Fault {
				if isSendTask(c.Op) && failing.Load() {
					return &acctest.Fault{Status: 500, Code: "InternalFailure", Msg: "injected"}
				}
				return nil
			})
			ctx, cancel := context.WithTimeout(w.ctx, 2*time.Minute)
			defer cancel()
			if resp, body, err := slack.Click(ctx, cb, m, "approve", "U0ALICE01", "alice"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("click: %v %v %s", err, status(resp), body)
			}
			notes, err := slack.WaitEphemerals(ctx, 1)
			if err != nil || !strings.Contains(fmt.Sprint(notes[0]["text"]), "could not be told yet") {
				w.t.Fatalf("note after the failed delivery: %v %v", notes, err)
			}
			id := m.RequestID
			if s := attrS(w.item(id), "status"); s != "deciding" {
				w.t.Fatalf("item %s, want deciding", s)
			}
			// A second click during the lease: being delivered, buttons kept.
			if resp, body, err := slack.Click(ctx, cb, m, "reject", "U0BOB0001", "bob"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("second click: %v %v %s", err, status(resp), body)
			}
			notes, err = slack.WaitEphemerals(ctx, 2)
			if err != nil || !strings.Contains(fmt.Sprint(notes[1]["text"]), "being delivered") {
				w.t.Fatalf("note to the second clicker: %v %v", notes, err)
			}
			if cur, _ := slack.Message(m.TS); len(cur.Updates) != 0 {
				w.t.Fatalf("the message was replaced while nothing reached the workflow: %v", cur.Updates)
			}
			// Nobody clicks again. The lease runs out (the test moves due_at
			// instead of waiting 15 s) and the schedule fires.
			failing.Store(false)
			endLease(w, id)
			res, err := acctest.Tick(ctx, w.direct(), w.name)
			if err != nil {
				w.t.Fatal(err)
			}
			if res.Resent != 1 || res.Failed != 0 {
				w.t.Errorf("sweep %+v, want one re-sent", res)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" || path(out, "approval", "decision") != "approved" {
				w.t.Fatalf("execution %s output %s", d.Status, deref(d.Output))
			}
			item := w.item(id)
			if attrS(item, "status") != "decided" || item["due_at"] != nil {
				w.t.Errorf("item status %s due_at %v, want decided and out of the index", attrS(item, "status"), item["due_at"])
			}
			upd, err := slack.WaitUpdate(ctx, m.TS)
			if err != nil || !strings.Contains(strings.ToLower(fmt.Sprint(upd)), "approved") {
				w.t.Errorf("message after the re-send: %v %v", upd, err)
			}
			if res, err := acctest.Tick(ctx, w.direct(), w.name); err != nil || res.Due != 0 {
				w.t.Errorf("second tick: %+v %v, want nothing due", res, err)
			}
		}},
		{"S2 Slack is answered at once while Step Functions is slow, and the message is still updated", func(w *world) {
			cb := w.attrs["callback_url"]
			e := w.start(`{"requested_by":"carol"}`, nil)
			m := nextMessage(w, slack, 2)
			// Every SendTask* call takes 5 s: more than Slack's 3 s.
			faults(w.t, func(c acctest.Call) *acctest.Fault {
				if isSendTask(c.Op) {
					return &acctest.Fault{Latency: 5 * time.Second}
				}
				return nil
			})
			// Slack gives up after 3 s and never retries.
			sctx, scancel := context.WithTimeout(w.ctx, 3*time.Second)
			defer scancel()
			if resp, body, err := slack.Click(sctx, cb, m, "approve", "U0ALICE01", "alice"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("Slack's request: %v %v %s, want 200 within its 3 s", err, status(resp), body)
			}
			ctx, cancel := context.WithTimeout(w.ctx, 2*time.Minute)
			defer cancel()
			upd, err := slack.WaitUpdate(ctx, m.TS)
			if err != nil || !strings.Contains(fmt.Sprint(upd), "U0ALICE01") {
				w.t.Fatalf("message after the slow delivery: %v %v", upd, err)
			}
			if d, _ := e.wait(); d.Status != "SUCCEEDED" {
				w.t.Errorf("execution %s", d.Status)
			}
		}},
	})
}
