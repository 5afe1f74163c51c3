package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

const (
	apiAudience = "https://github.com/my-org"
	ciBot       = "repo:my-org/app:environment:prod"
	releaseBot  = "repo:my-org/release:environment:prod"
)

// TestE2E_api: machines decide through the gate's API with OpenID Connect
// tokens of an issuer on loopback. The callback verifies each token itself
// (the local AWS's API Gateway checks nothing), so every refused kind of
// token is tried against the real handler: it gets 401 and decides nothing.
func TestE2E_api(t *testing.T) {
	preCheck(t)
	iss, err := acctest.StartTokenIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	other, err := acctest.StartTokenIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	token := func(w *world, subject string, extra map[string]any) string {
		tok := iss.Token(iss.Claims(apiAudience, subject, extra))
		addSecret(w, tok) // no handler may log a token
		return tok
	}
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  timeout_seconds           = 300
  include_execution_context = false
  min_approvals             = 2
  approvers                 = ["api:%[3]s", "api:%[4]s"]
  link_decisions            = "none"
  api = {
    issuer_url = %[2]q
    audiences  = [%[5]q]
  }
}

output "api_url" {
  value = manualapproval_gate.test.api_url
}
`, acctest.RandomName(), iss.URL, ciBot, releaseBot, apiAudience), []scenario{
		{"1 two API identities approve, the execution resumes", func(w *world) {
			if !strings.HasSuffix(w.outputs["api_url"], "/api/v1") || w.outputs["api_url"] != w.attrs["callback_url"]+"/api/v1" {
				w.t.Fatalf("api_url %q, callback_url %q", w.outputs["api_url"], w.attrs["callback_url"])
			}
			e := w.start(`{"requested_by":"email:carol@example.com","change":"api-1"}`, nil)
			id := w.pendingByChange(token(w, ciBot, nil), "api-1")
			code, body := w.apiDecide(id, token(w, ciBot, nil), `{"decision":"approve","comment":"tests green"}`)
			if code != http.StatusOK || body["result"] != "counted" {
				w.t.Fatalf("first approval: %d %v", code, body)
			}
			if code, body := w.apiDecide(id, token(w, ciBot, nil), `{"decision":"approve"}`); code != http.StatusOK || body["result"] != "already_counted" {
				w.t.Fatalf("same identity again: %d %v", code, body)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("one identity of two decided: execution %s", s)
			}
			code, body = w.apiDecide(id, token(w, releaseBot, nil), `{"decision":"approve"}`)
			if code != http.StatusOK || body["result"] != "decided" {
				w.t.Fatalf("second approval: %d %v", code, body)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" {
				w.t.Fatalf("execution %s: %s", d.Status, deref(d.Cause))
			}
			approvers, _ := path(out, "approval", "approvers").([]any)
			if path(out, "approval", "decision") != "approved" || len(approvers) != 2 ||
				path(approvers[0], "id") != "api:"+ciBot || path(approvers[0], "via") != "api" || path(approvers[1], "id") != "api:"+releaseBot {
				w.t.Errorf("output %v", out)
			}
			code, body = w.api(http.MethodGet, "/requests/"+id, token(w, ciBot, nil), "")
			if code != http.StatusOK || body["status"] != "decided" {
				w.t.Errorf("GET after the decision: %d %v", code, body)
			}
		}},
		{"2 tokens that prove nothing get 401 and decide nothing", func(w *world) {
			e := w.start(`{"requested_by":"email:carol@example.com","change":"api-2"}`, nil)
			id := w.pendingByChange(token(w, ciBot, nil), "api-2")
			before := attrN(w.item(id), "version")
			bad := map[string]string{
				"wrong issuer":             other.Token(other.Claims(apiAudience, ciBot, nil)),
				"wrong audience":           token(w, ciBot, map[string]any{"aud": "https://github.com/evil-org"}),
				"expired":                  token(w, ciBot, map[string]any{"exp": time.Now().Add(-time.Minute).Unix()}),
				"unsigned (alg none)":      acctest.UnsignedToken(iss.Claims(apiAudience, ciBot, nil)),
				"signed by another key":    iss.ForeignToken(iss.Claims(apiAudience, ciBot, nil)),
				"HMAC with the public key": acctest.HMACToken(iss.PublicKeyJSON(), iss.Claims(apiAudience, ciBot, nil)),
			}
			for what, tok := range bad {
				addSecret(w, tok)
				code, body := w.apiDecide(id, tok, `{"decision":"approve"}`)
				if code != http.StatusUnauthorized || body["error"] != "invalid_token" {
					w.t.Errorf("%s: %d %v", what, code, body)
				}
				if code, _ := w.api(http.MethodGet, "/requests", tok, ""); code != http.StatusUnauthorized {
					w.t.Errorf("%s lists: %d", what, code)
				}
			}
			if code, _ := w.apiDecide(id, "", `{"decision":"approve"}`); code != http.StatusUnauthorized {
				w.t.Errorf("no token: %d", code)
			}
			if v := attrN(w.item(id), "version"); v != before || attrS(w.item(id), "status") != "pending" {
				w.t.Errorf("the request changed: version %s → %s, status %s", before, v, attrS(w.item(id), "status"))
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("execution %s after refused tokens", s)
			}
			// A valid token still rejects it: the request was intact.
			if code, body := w.apiDecide(id, token(w, releaseBot, nil), `{"decision":"reject","comment":"canary failed"}`); code != http.StatusOK || body["result"] != "decided" {
				w.t.Fatalf("reject: %d %v", code, body)
			}
			if d, out := e.wait(); d.Status != "SUCCEEDED" || out["outcome"] != "rejected" || path(out, "error", "Error") != "ManualApproval.Rejected" {
				w.t.Errorf("execution %s %v", d.Status, out)
			}
		}},
		{"3 the requester cannot approve their own request", func(w *world) {
			e := w.start(`{"requested_by":"api:`+ciBot+`","change":"api-3"}`, nil)
			id := w.pendingByChange(token(w, releaseBot, nil), "api-3")
			before := attrN(w.item(id), "version")
			code, body := w.apiDecide(id, token(w, ciBot, nil), `{"decision":"approve"}`)
			if code != http.StatusForbidden || !strings.Contains(fmt.Sprint(body["message"]), "your own request") {
				w.t.Fatalf("self-approval: %d %v", code, body)
			}
			if v := attrN(w.item(id), "version"); v != before {
				w.t.Errorf("the refused vote was recorded")
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("execution %s", s)
			}
			if code, body := w.apiDecide(id, token(w, releaseBot, nil), `{"decision":"reject"}`); code != http.StatusOK {
				w.t.Fatalf("reject: %d %v", code, body)
			}
			e.wait()
		}},
		{"4 listing pending requests pages through the index", func(w *world) {
			// Each request is made in a later second than the one before, so
			// their due_at (the expiry) differ: the local AWS orders index
			// items with equal sort keys differently from one query to the
			// next, so pages of equal keys could skip or repeat one there
			// (AWS orders them stably).
			var execs []*execution
			tok := token(w, ciBot, nil)
			for i := range 3 {
				execs = append(execs, w.start(fmt.Sprintf(`{"requested_by":"email:carol@example.com","change":"api-4-%d"}`, i), nil))
				id := w.pendingByChange(tok, fmt.Sprintf("api-4-%d", i))
				created, err := strconv.ParseInt(attrN(w.item(id), "created_at"), 10, 64)
				if err != nil {
					w.t.Fatal(err)
				}
				for time.Now().Unix() <= created {
					select {
					case <-w.ctx.Done():
						w.t.Fatal(w.ctx.Err())
					case <-time.After(50 * time.Millisecond):
					}
				}
			}
			seen := map[string]bool{}
			next, pages := "", 0
			for {
				q := "?status=pending&limit=1"
				if next != "" {
					q += "&next=" + url.QueryEscape(next)
				}
				code, body := w.api(http.MethodGet, "/requests"+q, tok, "")
				if code != http.StatusOK {
					w.t.Fatalf("page %d: %d %v", pages, code, body)
				}
				pages++
				for _, r := range body["requests"].([]any) {
					if seen[path(r, "id").(string)] {
						w.t.Errorf("request %v listed twice", path(r, "id"))
					}
					seen[path(r, "id").(string)] = true
					if path(r, "status") != "pending" {
						w.t.Errorf("listed %v", r)
					}
				}
				n, _ := body["next"].(string)
				if n == "" || pages > 10 {
					break
				}
				next = n
			}
			if len(seen) != 3 || pages < 3 {
				w.t.Errorf("listed %d requests in %d pages, want the 3 pending ones, one a page", len(seen), pages)
			}
			if code, body := w.api(http.MethodGet, "/requests?next=forged.token", tok, ""); code != http.StatusBadRequest {
				w.t.Errorf("forged next token: %d %v", code, body)
			}
			for id := range seen {
				if code, body := w.apiDecide(id, token(w, releaseBot, nil), `{"decision":"reject"}`); code != http.StatusOK {
					w.t.Errorf("reject %s: %d %v", id, code, body)
				}
			}
			for _, e := range execs {
				e.wait()
			}
		}},
	})
}

// api calls the gate's API (p after /api/v1) and decodes the JSON answer.
func (w *world) api(method, p, token, body string) (int, map[string]any) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.outputs["api_url"]+p, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	code, raw := do(w.t, req)
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		w.t.Fatalf("%s %s: %d, not JSON: %s", method, p, code, raw)
	}
	return code, out
}

func (w *world) apiDecide(id, token, body string) (int, map[string]any) {
	w.t.Helper()
	return w.api(http.MethodPost, "/requests/"+id+"/decision", token, body)
}

// pendingByChange waits until the API lists the pending request whose
// context has change = value (the notifier stores it a moment after the
// execution starts) and returns its id.
func (w *world) pendingByChange(token, value string) string {
	w.t.Helper()
	for {
		code, body := w.api(http.MethodGet, "/requests?status=pending", token, "")
		if code != http.StatusOK {
			w.t.Fatalf("listing: %d %v", code, body)
		}
		for _, r := range body["requests"].([]any) {
			ctx, _ := path(r, "context").([]any)
			for _, f := range ctx {
				if path(f, "key") == "change" && path(f, "value") == value {
					return path(r, "id").(string)
				}
			}
		}
		select {
		case <-w.ctx.Done():
			w.t.Fatalf("no pending request with change = %s was listed", value)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
