package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestE2E_callsPerApproval counts, through the harness's proxy, the AWS
// calls each handler makes for one approval (the notifier's invocation and
// the callback's decision), cold (the processes' first invocation) and warm
// (the next): issue 13 §2.
//
//   - a cold start reads the gate's parameters with one ssm:GetParameters
//     (secrets and configuration document together), a warm one reads none;
//   - the notifier writes its request once (dynamodb:PutItem);
//   - a decision reads its request at most once and writes it at most twice,
//     conditionally (the vote, then the delivered status), and calls Step
//     Functions once;
//   - the notifier checks the topic's subscriptions once per warm process;
//   - no handler calls KMS itself (SSM decrypts SecureString parameters).
//
// Call counts, not timings: `make bench` reports the same counts per
// approval next to the cost they bill.
func TestE2E_callsPerApproval(t *testing.T) {
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  timeout_seconds           = 120
  include_execution_context = false
  allow_self_approval       = true
}
`, acctest.RandomName()), []scenario{
		{"cold then warm: notifier, confirm page and decision", func(w *world) {
			approval := func() (notifier, page, decision map[string]int) {
				local.Proxy.Reset()
				e := w.start(`{"requested_by":"carol"}`, nil)
				approve, _ := w.snsLinks()
				notifier = local.Proxy.CountsBy("notifier")
				local.Proxy.Reset()
				if code, body := get(w.t, approve); code != http.StatusOK {
					w.t.Fatalf("confirm page: %d\n%s", code, body)
				}
				page = local.Proxy.CountsBy("callback")
				local.Proxy.Reset()
				if code, body := post(w.t, approve, url.Values{"name": {"Alice"}}); code != http.StatusOK {
					w.t.Fatalf("decision: %d\n%s", code, body)
				}
				decision = local.Proxy.CountsBy("callback")
				if d, _ := e.wait(); d.Status != "SUCCEEDED" {
					w.t.Fatalf("execution %s", d.Status)
				}
				return notifier, page, decision
			}
			nCold, pCold, dCold := approval() // the handlers' first invocations: cold
			nWarm, pWarm, dWarm := approval()
			for _, c := range []struct {
				name   string
				counts map[string]int
			}{{"notifier cold", nCold}, {"confirm page cold", pCold}, {"decision cold", dCold}, {"notifier warm", nWarm}, {"confirm page warm", pWarm}, {"decision warm", dWarm}} {
				w.t.Logf("%s: %d calls: %s", c.name, total(c.counts), strings.ReplaceAll(strings.TrimSpace(acctest.FormatCounts(c.counts)), "\n", ", "))
				for op := range c.counts {
					if strings.HasPrefix(op, "kms:") {
						w.t.Errorf("%s: called %s: the handlers never call KMS themselves", c.name, op)
					}
				}
			}
			// Secrets: one read per process, on its first invocation.
			if nCold["ssm:GetParameters"] != 1 || pCold["ssm:GetParameters"] != 1 {
				w.t.Errorf("cold starts read the parameters %d (notifier) and %d (callback) times, want once each", nCold["ssm:GetParameters"], pCold["ssm:GetParameters"])
			}
			for name, c := range map[string]map[string]int{"notifier warm": nWarm, "confirm page warm": pWarm, "decision warm": dWarm, "decision after the cold page": dCold} {
				if n := countPrefix(c, "ssm:"); n != 0 {
					w.t.Errorf("%s: %d SSM calls: a warm invocation reads no secret again", name, n)
				}
			}
			// What the notifier learnt of the topic's subscriptions is kept
			// (internal/lambda/sns.go): one look per warm process.
			if nCold["sns:ListSubscriptionsByTopic"] != 1 || nWarm["sns:ListSubscriptionsByTopic"] != 0 || nWarm["sns:Publish"] != 1 {
				w.t.Errorf("notifier SNS calls: cold %v, warm %v; want one subscription check when cold, then only the publish", nCold, nWarm)
			}
			// The notifier writes its request once.
			for name, c := range map[string]map[string]int{"cold": nCold, "warm": nWarm} {
				if c["dynamodb:PutItem"] != 1 || countPrefix(c, "dynamodb:") != 1 {
					w.t.Errorf("notifier %s: DynamoDB calls %v, want one PutItem", name, c)
				}
			}
			// The confirm page reads the request once and writes nothing.
			for name, c := range map[string]map[string]int{"cold": pCold, "warm": pWarm} {
				if c["dynamodb:GetItem"] != 1 || countPrefix(c, "dynamodb:") != 1 || countPrefix(c, "states:") != 0 {
					w.t.Errorf("confirm page %s: calls %v, want one GetItem", name, c)
				}
			}
			// A decision: at most one read and two conditional writes of its
			// request, and the one Step Functions call.
			for name, c := range map[string]map[string]int{"cold": dCold, "warm": dWarm} {
				reads, writes := c["dynamodb:GetItem"]+c["dynamodb:Query"], c["dynamodb:UpdateItem"]+c["dynamodb:PutItem"]
				if reads > 1 || writes > 2 || countPrefix(c, "dynamodb:") != reads+writes {
					w.t.Errorf("decision %s: DynamoDB calls %v, want at most one read and two writes", name, c)
				}
				if c["states:SendTaskSuccess"] != 1 || countPrefix(c, "states:") != 1 {
					w.t.Errorf("decision %s: Step Functions calls %v, want one SendTaskSuccess", name, c)
				}
			}
		}},
	})
}

func total(c map[string]int) int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// countPrefix sums the counts of the operations starting with prefix.
func countPrefix(c map[string]int, prefix string) int {
	n := 0
	for op, v := range c {
		if strings.HasPrefix(op, prefix) {
			n += v
		}
	}
	return n
}
