package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

var liveTasks atomic.Int32

// liveToken is the token of a task that waits for a callback (a Step
// Functions activity task of a state machine of its own), for invoking the
// notifier directly: it refuses tokens that are not live tasks. The task's
// execution is stopped when the test ends.
func (w *world) liveToken() string {
	w.t.Helper()
	name := fmt.Sprintf("%s-live%d", w.name, liveTasks.Add(1))
	lt, err := acctest.StartLiveTask(w.ctx, w.direct(), name)
	if err != nil {
		w.t.Fatal(err)
	}
	cfg, ctx := w.direct(), w.ctx
	w.t.Cleanup(func() { _ = lt.Close(ctx, cfg) })
	return lt.Token
}

// waitOutput waits (within the scenario's deadline) until the handler of fn
// has written want: its output reaches the harness through a pipe, after
// the invocation's answer.
func (w *world) waitOutput(fn, want string) (string, bool) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		out := w.h.Output(fn)
		if strings.Contains(out, want) {
			return out, true
		}
		select {
		case <-w.ctx.Done():
			return out, false
		case <-tick.C:
		}
	}
}

// invocationError is the function error of a notifier answer: the errorType
// Step Functions would Retry and Catch on.
func invocationError(t *testing.T, answer string) (errorType, message string) {
	t.Helper()
	var e struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	if err := json.Unmarshal([]byte(answer), &e); err != nil {
		t.Fatalf("the notifier's error answer is not JSON: %s", answer)
	}
	return e.Type, e.Message
}

// proofLines returns the notifier's "proof" log lines: calls and ms.
func proofLines(output string) (calls []int, ms []float64) {
	re := regexp.MustCompile(`"msg":"proof","calls":(\d+),"duration_ms":([0-9.]+)`)
	for _, m := range re.FindAllStringSubmatch(output, -1) {
		c, _ := strconv.Atoi(m[1])
		d, _ := strconv.ParseFloat(m[2], 64)
		calls, ms = append(calls, c), append(ms, d)
	}
	return calls, ms
}

// TestE2E_notifierProof: the deployed notifier, invoked directly (as anyone
// with lambda:InvokeFunction on it can), notifies nobody unless the task
// token is a live task; its failures carry the stable error names a Task
// state can Retry and Catch. Step Functions on the local AWS ignores a
// failing notifier, so the invocations are made directly and their
// FunctionError and errorType checked.
func TestE2E_notifierProof(t *testing.T) {
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  timeout_seconds           = 120
  include_execution_context = false
  allow_self_approval       = true
}
`, acctest.RandomName()), []scenario{
		{"P1 a forged token notifies nobody (ManualApproval.InvalidRequest)", func(w *world) {
			answer, ferr := w.invokeNotifier(notifierPayload("forged-"+acctest.RandomName(), "Staging: docs typo fix"))
			typ, msg := invocationError(w.t, answer)
			if ferr != "Unhandled" || typ != "ManualApproval.InvalidRequest" || !strings.Contains(msg, "nobody notified") {
				w.t.Fatalf("forged token: FunctionError %q, errorType %q, message %q", ferr, typ, msg)
			}
		}},
		{"P2 a closed token notifies nobody", func(w *world) {
			name := fmt.Sprintf("%s-live%d", w.name, liveTasks.Add(1))
			lt, err := acctest.StartLiveTask(w.ctx, w.direct(), name)
			if err != nil {
				w.t.Fatal(err)
			}
			if err := lt.Close(w.ctx, w.direct()); err != nil {
				w.t.Fatal(err)
			}
			answer, ferr := w.invokeNotifier(notifierPayload(lt.Token, "closed"))
			if typ, msg := invocationError(w.t, answer); ferr == "" || typ != "ManualApproval.InvalidRequest" {
				w.t.Fatalf("closed token: FunctionError %q, errorType %q, message %q", ferr, typ, msg)
			}
		}},
		{"P3 a live token is served, and the first notification is its own", func(w *world) {
			answer, ferr := w.invokeNotifier(notifierPayload(w.liveToken(), "live token"))
			if ferr != "" || !strings.Contains(answer, `"request_id"`) {
				w.t.Fatalf("live token: FunctionError %q, answer %s", ferr, answer)
			}
			w.seen++
			msgs, err := w.sns.Wait(w.ctx, w.seen)
			if err != nil {
				w.t.Fatal(err)
			}
			if !strings.Contains(msgs[0].Message, "live token") {
				w.t.Errorf("SNS messages: %d, want only the live token's (the refused ones sent nothing)", len(msgs))
			}
		}},
		{"P4 heartbeat throttled, then every channel failing: ManualApproval.NotifyFailed", func(w *world) {
			tok := w.liveToken()
			faults(w.t, func(c acctest.Call) *acctest.Fault {
				if c.Op == "states:SendTaskHeartbeat" {
					return &acctest.Fault{Status: 400, Code: "ThrottlingException", Msg: "Rate exceeded"}
				}
				return nil
			})
			answer, ferr := w.invokeNotifier(notifierPayload(tok, "throttled"))
			if typ, msg := invocationError(w.t, answer); ferr == "" || typ != "ManualApproval.NotifyFailed" {
				w.t.Errorf("heartbeat throttled: FunctionError %q, errorType %q, message %q", ferr, typ, msg)
			}
			faults(w.t, func(c acctest.Call) *acctest.Fault {
				if c.Op == "sns:Publish" {
					return &acctest.Fault{Status: 500, Code: "InternalError", Msg: "injected"}
				}
				return nil
			})
			answer, ferr = w.invokeNotifier(notifierPayload(tok, "sns down"))
			if typ, msg := invocationError(w.t, answer); ferr == "" || typ != "ManualApproval.NotifyFailed" || !strings.Contains(msg, "every notification channel failed") {
				w.t.Errorf("every channel failed: FunctionError %q, errorType %q, message %q", ferr, typ, msg)
			}
		}},
		{"P5 measured: the proof's calls and time on the local AWS", func(w *world) {
			calls, ms := proofLines(w.h.Output(w.name + "-notifier"))
			if len(calls) == 0 {
				w.t.Fatal("no proof log line")
			}
			var served []float64
			for i, c := range calls {
				if c != 1 {
					w.t.Errorf("proof without execution context made %d calls, want 1 (SendTaskHeartbeat)", c)
				}
				if ms[i] < 1000 { // not the throttled one, which the SDK retried with backoff
					served = append(served, ms[i])
				}
			}
			slices.Sort(served)
			var sum float64
			for _, d := range served {
				sum += d
			}
			w.t.Logf("figure proof: %d invocations, 1 call each (SendTaskHeartbeat); unthrottled: mean %.2f ms, median %.2f ms, max %.2f ms",
				len(calls), sum/float64(len(served)), served[len(served)/2], served[len(served)-1])
		}},
	})
}

// TestE2E_snsUnconfirmed: a topic whose only subscription is pending is not
// counted as delivered. The local AWS lists every subscription as confirmed
// (AWS lists a pending one as "PendingConfirmation"), so the proxy rewrites
// its ListSubscriptionsByTopic answer the way AWS answers for a recipient
// who has not clicked the confirmation link yet.
func TestE2E_snsUnconfirmed(t *testing.T) {
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  timeout_seconds           = 120
  include_execution_context = false
  allow_self_approval       = true
}
`, acctest.RandomName()), []scenario{
		{"S1 only pending subscriptions: nothing published, ManualApproval.NotifyFailed", func(w *world) {
			subArn := regexp.MustCompile(`<SubscriptionArn>[^<]*</SubscriptionArn>`)
			var lists atomic.Int32
			faults(w.t, func(c acctest.Call) *acctest.Fault {
				if c.Op != "sns:ListSubscriptionsByTopic" {
					return nil
				}
				lists.Add(1)
				return &acctest.Fault{Rewrite: func(body []byte) []byte {
					return subArn.ReplaceAll(body, []byte("<SubscriptionArn>PendingConfirmation</SubscriptionArn>"))
				}}
			})
			local.Proxy.Reset()
			answer, ferr := w.invokeNotifier(notifierPayload(w.liveToken(), "unconfirmed"))
			typ, msg := invocationError(w.t, answer)
			if ferr == "" || typ != "ManualApproval.NotifyFailed" || !strings.Contains(msg, "no confirmed subscription") {
				w.t.Fatalf("FunctionError %q, errorType %q, message %q", ferr, typ, msg)
			}
			if n := local.Proxy.Counts()["sns:Publish"]; n != 0 || lists.Load() != 1 {
				w.t.Errorf("%d publishes (want 0), %d ListSubscriptionsByTopic (want 1)", n, lists.Load())
			}
			if out, ok := w.waitOutput(w.name+"-notifier", `"msg":"notification not delivered"`); !ok {
				w.t.Errorf("not logged:\n%s", out)
			}
		}},
	})
}
