package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

const (
	testAudience = "https://github.com/my-org"
	ciBot        = "repo:my-org/app:environment:prod"
	ciBotID      = "api:" + ciBot
	otherBot     = "repo:my-org/ops:environment:prod"
	otherBotID   = "api:" + otherBot
)

// apiHarness is a callback with the api block over fakes, and an issuer on
// loopback.
type apiHarness struct {
	*cbHarness
	iss *acctest.TokenIssuer
}

func newAPICallback(t *testing.T, mutate func(*approval.Config)) *apiHarness {
	t.Helper()
	iss, err := acctest.StartTokenIssuer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	h := newCallback(t, func(c *approval.Config) {
		c.API = &approval.APIConfig{IssuerURL: iss.URL, Audiences: []string{testAudience, "other-audience"}, IdentityClaim: "sub"}
		c.Approvers = []string{ciBotID, otherBotID}
		c.AllowSelfApproval = false // the default: the ban is on
		if mutate != nil {
			mutate(c)
		}
	})
	h.cb.HTTP = &http.Client{Timeout: 5 * time.Second}
	h.now = time.Now().UTC().Truncate(time.Second)
	return &apiHarness{cbHarness: h, iss: iss}
}

// claims are valid claims of the harness's issuer for subject, at the
// harness's clock; extra adds or replaces (nil removes).
func (h *apiHarness) claims(subject string, extra map[string]any) map[string]any {
	c := h.iss.Claims(testAudience, subject, map[string]any{
		"iat": h.now.Unix(), "nbf": h.now.Add(-time.Minute).Unix(), "exp": h.now.Add(10 * time.Minute).Unix(),
	})
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func (h *apiHarness) token(subject string) string { return h.iss.Token(h.claims(subject, nil)) }

// pending stores a pending request made at the harness's clock, in the
// status-due index.
func (h *apiHarness) pending(id string, mutate func(*approval.Request)) approval.Request {
	r := pendingRequest(id)
	r.CreatedAt, r.ExpiresAt = h.now.Add(-time.Minute), h.now.Add(time.Hour)
	r.RequestedBy = "email:carol@example.com"
	if mutate != nil {
		mutate(&r)
	}
	h.db.put(r)
	h.db.mu.Lock()
	h.db.items[id]["due_at"] = num(r.ExpiresAt.Unix())
	h.db.mu.Unlock()
	return r
}

type apiAnswer struct {
	status int
	header map[string]string
	body   map[string]any
	raw    string
}

func (h *apiHarness) call(method, path, token, body string) apiAnswer {
	h.t.Helper()
	req := events.APIGatewayV2HTTPRequest{RawPath: path, Body: body, Headers: map[string]string{}}
	if p, q, ok := strings.Cut(path, "?"); ok {
		req.RawPath, req.RawQueryString = p, q
	}
	req.RequestContext.HTTP.Method = method
	if token != "" {
		req.Headers["authorization"] = "Bearer " + token
	}
	resp, err := h.cb.Handle(context.Background(), req)
	if err != nil {
		h.t.Fatal(err)
	}
	a := apiAnswer{status: resp.StatusCode, header: resp.Headers, raw: resp.Body}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		h.t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, resp.Body)
	}
	if err := json.Unmarshal([]byte(resp.Body), &a.body); err != nil {
		h.t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, path, err, resp.Body)
	}
	if strings.Contains(resp.Body, testTaskToken) {
		h.t.Errorf("%s %s: the answer shows the task token:\n%s", method, path, resp.Body)
	}
	return a
}

func (h *apiHarness) decide(id, token, body string) apiAnswer {
	h.t.Helper()
	return h.call(http.MethodPost, "/api/v1/requests/"+id+"/decision", token, body)
}

func TestAPIDecide(t *testing.T) {
	t.Parallel()
	h := newAPICallback(t, nil)
	id := reqID(1)
	h.pending(id, nil)
	a := h.decide(id, h.token(ciBot), `{"decision":"approve","comment":"tests green"}`)
	if a.status != http.StatusOK || a.body["result"] != "decided" {
		t.Fatalf("answer %d %s", a.status, a.raw)
	}
	calls := h.sfn.Calls()
	if len(calls) != 1 || !calls[0].Success || calls[0].Token != testTaskToken {
		t.Fatalf("Step Functions calls: %+v", calls)
	}
	var out approval.Outcome
	if err := json.Unmarshal([]byte(calls[0].Output), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Approvers) != 1 || out.Approvers[0].ID != ciBotID || out.Approvers[0].Via != approval.ViaAPI || out.Comment != "tests green" {
		t.Errorf("outcome %+v", out)
	}
	if got := path(a.body, "request", "status"); got != approval.StatusDecided {
		t.Errorf("request status %v", got)
	}
	// The same decision again: already decided, 409, nothing re-sent.
	if a := h.decide(id, h.token(otherBot), `{"decision":"reject"}`); a.status != http.StatusConflict || a.body["error"] != "already_decided" {
		t.Errorf("second decision: %d %s", a.status, a.raw)
	}
	if n := len(h.sfn.Calls()); n != 1 {
		t.Errorf("%d Step Functions calls, want 1", n)
	}
}

func TestAPIReject(t *testing.T) {
	t.Parallel()
	h := newAPICallback(t, nil)
	id := reqID(2)
	h.pending(id, nil)
	if a := h.decide(id, h.token(otherBot), `{"decision":"reject","comment":"canary failed"}`); a.status != http.StatusOK || a.body["result"] != "decided" {
		t.Fatalf("answer %d %s", a.status, a.raw)
	}
	if c := h.sfn.Calls(); len(c) != 1 || c[0].Success || c[0].Error != approval.ErrorRejected {
		t.Errorf("Step Functions calls: %+v", c)
	}
}

// TestAPITokenRefused tries every kind of token that proves nothing: each
// gets 401 and leaves the request as it was.
func TestAPITokenRefused(t *testing.T) {
	t.Parallel()
	h := newAPICallback(t, nil)
	other, err := acctest.StartTokenIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	id := reqID(3)
	before := h.pending(id, nil)
	for _, tc := range []struct {
		name, token string
		reason      string
	}{
		{"wrong issuer", other.Token(other.Claims(testAudience, ciBot, nil)), "another issuer"},
		{"wrong issuer claim, right key", h.iss.Token(h.claims(ciBot, map[string]any{"iss": other.URL})), "another issuer"},
		{"wrong audience", h.iss.Token(h.claims(ciBot, map[string]any{"aud": "https://github.com/evil-org"})), "audience"},
		{"no audience", h.iss.Token(h.claims(ciBot, map[string]any{"aud": nil})), "audience"},
		{"expired", h.iss.Token(h.claims(ciBot, map[string]any{"exp": h.now.Add(-time.Second).Unix()})), "expired"},
		{"no expiry", h.iss.Token(h.claims(ciBot, map[string]any{"exp": nil})), "expired"},
		{"not yet valid", h.iss.Token(h.claims(ciBot, map[string]any{"nbf": h.now.Add(time.Hour).Unix()})), "not signed by"},
		{"unsigned (alg none)", acctest.UnsignedToken(h.claims(ciBot, nil)), "not signed by"},
		{"signed by another key", h.iss.ForeignToken(h.claims(ciBot, nil)), "not signed by"},
		{"HMAC with the public key", acctest.HMACToken(h.iss.PublicKeyJSON(), h.claims(ciBot, nil)), "not signed by"},
		{"payload swapped", swapPayload(h.token(otherBot), h.claims(ciBot, nil)), "not signed by"},
		{"garbage", "abc.def.ghi", "not signed by"},
		{"not a JWT", "just-a-string", "not a signed JWT"},
		{"huge", strings.Repeat("a", 20000) + ".b.c", "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := h.decide(id, tc.token, `{"decision":"approve"}`)
			if a.status != http.StatusUnauthorized || a.body["error"] != "invalid_token" {
				t.Fatalf("answer %d %s", a.status, a.raw)
			}
			if w := a.header["WWW-Authenticate"]; !strings.HasPrefix(w, `Bearer realm="manualapproval", error="invalid_token", error_description=`) || !strings.Contains(w, tc.reason) {
				t.Errorf("WWW-Authenticate %q, want error=\"invalid_token\" and %q", w, tc.reason)
			}
			if msg, _ := a.body["message"].(string); !strings.Contains(msg, tc.reason) {
				t.Errorf("message %q does not say %q", msg, tc.reason)
			}
			for _, g := range []apiAnswer{h.call(http.MethodGet, "/api/v1/requests/"+id, tc.token, ""), h.call(http.MethodGet, "/api/v1/requests", tc.token, "")} {
				if g.status != http.StatusUnauthorized {
					t.Errorf("read with the token: %d %s", g.status, g.raw)
				}
			}
		})
	}
	for _, hdr := range []string{"", "Basic dXNlcjpwYXNz", "Bearer", "Bearer  ", h.token(ciBot)} {
		req := events.APIGatewayV2HTTPRequest{RawPath: "/api/v1/requests/" + id + "/decision", Body: `{"decision":"approve"}`, Headers: map[string]string{"authorization": hdr}}
		req.RequestContext.HTTP.Method = http.MethodPost
		resp, _ := h.cb.Handle(context.Background(), req)
		if resp.StatusCode != http.StatusUnauthorized || resp.Headers["WWW-Authenticate"] != `Bearer realm="manualapproval"` {
			t.Errorf("Authorization %.20q: %d %v", hdr, resp.StatusCode, resp.Headers["WWW-Authenticate"])
		}
	}
	if got := h.db.request(id); got.Version != before.Version || len(got.Votes) != 0 || got.Status != approval.StatusPending {
		t.Errorf("the request changed: %+v", got)
	}
	if c := h.sfn.Calls(); len(c) != 0 {
		t.Errorf("Step Functions called: %+v", c)
	}
	if logs := h.logs.String(); strings.Contains(logs, h.token(ciBot)[:40]) {
		t.Errorf("a token is in the logs")
	}
}

// swapPayload puts other claims under a token's header and signature.
func swapPayload(tok string, claims map[string]any) string {
	parts := strings.Split(tok, ".")
	parts[1] = strings.Split(acctest.UnsignedToken(claims), ".")[1]
	return strings.Join(parts, ".")
}

func TestAPIIdentityClaims(t *testing.T) {
	t.Parallel()
	t.Run("email", func(t *testing.T) {
		t.Parallel()
		h := newAPICallback(t, func(c *approval.Config) {
			c.API.IdentityClaim = "email"
			c.Approvers = []string{"email:ci@example.com"}
		})
		id := reqID(4)
		h.pending(id, nil)
		unverified := h.iss.Token(h.claims("x", map[string]any{"email": "CI@example.com", "email_verified": false}))
		if a := h.decide(id, unverified, `{"decision":"approve"}`); a.status != http.StatusForbidden || !strings.Contains(a.raw, "not verified") {
			t.Errorf("unverified e-mail: %d %s", a.status, a.raw)
		}
		verified := h.iss.Token(h.claims("x", map[string]any{"email": "CI@example.com", "email_verified": true, "name": "CI"}))
		a := h.decide(id, verified, `{"decision":"approve"}`)
		if a.status != http.StatusOK || path(a.body, "request", "outcome", "approvers") == nil {
			t.Fatalf("verified e-mail: %d %s", a.status, a.raw)
		}
		if got := h.db.request(id).Outcome.Approvers[0]; got.ID != "email:ci@example.com" || got.Name != "CI" {
			t.Errorf("approver %+v", got)
		}
	})
	t.Run("no subject", func(t *testing.T) {
		t.Parallel()
		h := newAPICallback(t, nil)
		id := reqID(5)
		h.pending(id, nil)
		if a := h.decide(id, h.iss.Token(h.claims("", map[string]any{"sub": nil})), `{"decision":"approve"}`); a.status != http.StatusForbidden {
			t.Errorf("no sub: %d %s", a.status, a.raw)
		}
	})
}

func TestAPIRules(t *testing.T) {
	t.Parallel()
	t.Run("self-approval", func(t *testing.T) {
		t.Parallel()
		h := newAPICallback(t, nil)
		id := reqID(6)
		h.pending(id, func(r *approval.Request) { r.RequestedBy = ciBotID })
		a := h.decide(id, h.token(ciBot), `{"decision":"approve"}`)
		if a.status != http.StatusForbidden || !strings.Contains(a.raw, "your own request") {
			t.Fatalf("self-approval: %d %s", a.status, a.raw)
		}
		if r := h.db.request(id); len(r.Votes) != 0 || r.Status != approval.StatusPending {
			t.Errorf("recorded: %+v", r)
		}
		// Fail closed: no verifiable requester, nobody approves.
		noReq := reqID(16)
		h.pending(noReq, func(r *approval.Request) { r.RequestedBy = "Carol" })
		if a := h.decide(noReq, h.token(otherBot), `{"decision":"approve"}`); a.status != http.StatusForbidden || !strings.Contains(a.raw, "no verifiable requester") {
			t.Errorf("no requester: %d %s", a.status, a.raw)
		}
		// Another identity may.
		if a := h.decide(id, h.token(otherBot), `{"decision":"approve"}`); a.status != http.StatusOK {
			t.Errorf("other approver: %d %s", a.status, a.raw)
		}
	})
	t.Run("quorum of two identities", func(t *testing.T) {
		t.Parallel()
		h := newAPICallback(t, nil)
		id := reqID(7)
		h.pending(id, func(r *approval.Request) { r.MinApprovals = 2 })
		if a := h.decide(id, h.token(ciBot), `{"decision":"approve"}`); a.status != http.StatusOK || a.body["result"] != "counted" {
			t.Fatalf("first: %d %s", a.status, a.raw)
		}
		if a := h.decide(id, h.token(ciBot), `{"decision":"approve"}`); a.status != http.StatusOK || a.body["result"] != "already_counted" {
			t.Fatalf("same identity again: %d %s", a.status, a.raw)
		}
		if len(h.sfn.Calls()) != 0 {
			t.Fatal("decided with one identity")
		}
		if a := h.decide(id, h.token(otherBot), `{"decision":"approve"}`); a.status != http.StatusOK || a.body["result"] != "decided" {
			t.Fatalf("second identity: %d %s", a.status, a.raw)
		}
		if c := h.sfn.Calls(); len(c) != 1 || !c[0].Success {
			t.Errorf("Step Functions calls: %+v", c)
		}
	})
	t.Run("approver groups through the groups claim", func(t *testing.T) {
		t.Parallel()
		h := newAPICallback(t, func(c *approval.Config) {
			c.API.GroupsClaim = "groups"
			c.Approvers, c.ApproverGroups = nil, []string{"deployers"}
		})
		id := reqID(17)
		h.pending(id, nil)
		outsider := h.iss.Token(h.claims(ciBot, map[string]any{"groups": []any{"readers"}}))
		if a := h.decide(id, outsider, `{"decision":"approve"}`); a.status != http.StatusForbidden {
			t.Errorf("outside the groups: %d %s", a.status, a.raw)
		}
		member := h.iss.Token(h.claims(ciBot, map[string]any{"groups": []any{"readers", "deployers"}}))
		if a := h.decide(id, member, `{"decision":"approve"}`); a.status != http.StatusOK || a.body["result"] != "decided" {
			t.Errorf("member of deployers: %d %s", a.status, a.raw)
		}
	})
	t.Run("read needs an approver", func(t *testing.T) {
		t.Parallel()
		h := newAPICallback(t, func(c *approval.Config) { c.Approvers = []string{otherBotID} })
		id := reqID(8)
		h.pending(id, nil)
		for _, p := range []string{"/api/v1/requests", "/api/v1/requests/" + id} {
			if a := h.call(http.MethodGet, p, h.token(ciBot), ""); a.status != http.StatusForbidden {
				t.Errorf("GET %s by a non-approver: %d %s", p, a.status, a.raw)
			}
		}
	})
}

func TestAPIBodies(t *testing.T) {
	t.Parallel()
	h := newAPICallback(t, nil)
	id := reqID(9)
	before := h.pending(id, nil)
	for _, tc := range []struct {
		name, body string
		status     int
		says       string
	}{
		{"not JSON", `decision=approve`, http.StatusBadRequest, "invalid JSON"},
		{"unknown field", `{"decision":"approve","name":"alice"}`, http.StatusBadRequest, `unknown field \"name\"`},
		{"unknown decision", `{"decision":"maybe"}`, http.StatusBadRequest, `got \"maybe\"`},
		{"no decision", `{}`, http.StatusBadRequest, "is missing"},
		{"inputs on a gate without inputs", `{"decision":"approve","inputs":{"ticket":"OPS-1"}}`, http.StatusBadRequest, "ticket"},
		{"too large", `{"decision":"approve","comment":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, http.StatusRequestEntityTooLarge, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := h.decide(id, h.token(ciBot), tc.body)
			if a.status != tc.status || a.body["error"] == nil || !strings.Contains(a.raw, tc.says) {
				t.Errorf("answer %d %s, want %d saying %s", a.status, a.raw, tc.status, tc.says)
			}
		})
	}
	if got := h.db.request(id); got.Version != before.Version || len(got.Votes) != 0 {
		t.Errorf("the request changed: %+v", got)
	}
}

func TestAPIStatuses(t *testing.T) {
	t.Parallel()
	h := newAPICallback(t, nil)
	tok := h.token(ciBot)
	decided := reqID(10)
	h.db.put(decidedRequest(decided, approval.StatusDecided))
	expired := reqID(11)
	h.pending(expired, func(r *approval.Request) { r.ExpiresAt = h.now.Add(-time.Second) })
	closed := reqID(12)
	h.pending(closed, nil)
	unsent := reqID(13)
	h.pending(unsent, nil)
	h.sfn.fail = func(n int) error {
		if n == 0 {
			return &sfntypes.TaskTimedOut{Message: aws.String("closed")}
		}
		return errors.New("throttled")
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"unknown id", http.MethodPost, "/api/v1/requests/" + reqID(99) + "/decision", `{"decision":"approve"}`, http.StatusNotFound, "not_found"},
		{"malformed id", http.MethodGet, "/api/v1/requests/..%2f", "", http.StatusNotFound, "not_found"},
		{"unknown route", http.MethodGet, "/api/v1/other", "", http.StatusNotFound, "not_found"},
		{"wrong method", http.MethodDelete, "/api/v1/requests/" + decided, "", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"GET decision", http.MethodGet, "/api/v1/requests/" + decided + "/decision", "", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"already decided", http.MethodPost, "/api/v1/requests/" + decided + "/decision", `{"decision":"approve"}`, http.StatusConflict, "already_decided"},
		{"expired", http.MethodPost, "/api/v1/requests/" + expired + "/decision", `{"decision":"approve"}`, http.StatusGone, "expired"},
		{"workflow gone", http.MethodPost, "/api/v1/requests/" + closed + "/decision", `{"decision":"approve"}`, http.StatusGone, "expired"},
		{"not delivered yet", http.MethodPost, "/api/v1/requests/" + unsent + "/decision", `{"decision":"approve"}`, http.StatusServiceUnavailable, "not_delivered"},
		{"read one", http.MethodGet, "/api/v1/requests/" + decided, "", http.StatusOK, ""},
	} {
		a := h.call(tc.method, tc.path, tok, tc.body)
		if a.status != tc.status || (tc.code != "" && a.body["error"] != tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, a.status, a.raw, tc.status, tc.code)
		}
	}
	if a := h.call(http.MethodGet, "/api/v1/requests/"+decided, tok, ""); a.body["status"] != approval.StatusDecided || path(a.body, "outcome", "decision") != "approved" || a.body["token"] != nil {
		t.Errorf("GET decided: %s", a.raw)
	}
	// The API is off without the api block, whatever the token.
	off := newAPICallback(t, func(c *approval.Config) { c.API = nil })
	if a := off.call(http.MethodGet, "/api/v1/requests", tok, ""); a.status != http.StatusNotFound {
		t.Errorf("API off: %d %s", a.status, a.raw)
	}
}

func TestAPIList(t *testing.T) {
	t.Parallel()
	h := newAPICallback(t, nil)
	tok := h.token(ciBot)
	var want []string
	for i := range 5 {
		id := reqID(byte(20 + i))
		h.pending(id, func(r *approval.Request) { r.ExpiresAt = h.now.Add(time.Duration(i+1) * time.Hour) })
		want = append(want, id)
	}
	h.pending(reqID(30), func(r *approval.Request) { r.ExpiresAt = h.now.Add(-time.Second) }) // expired, not yet removed
	d := decidedRequest(reqID(31), approval.StatusDecided)
	h.db.put(d)
	var got []string
	next := ""
	pages := 0
	for {
		p := "/api/v1/requests?status=pending&limit=2"
		if next != "" {
			p += "&next=" + next
		}
		a := h.call(http.MethodGet, p, tok, "")
		if a.status != http.StatusOK {
			t.Fatalf("page %d: %d %s", pages, a.status, a.raw)
		}
		pages++
		for _, r := range a.body["requests"].([]any) {
			got = append(got, r.(map[string]any)["id"].(string))
		}
		n, _ := a.body["next"].(string)
		if n == "" {
			break
		}
		if strings.Contains(n, reqID(20)) {
			t.Errorf("the next token shows a key in the clear: %s", n)
		}
		next = n
		if pages > 10 {
			t.Fatal("no end")
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("listed %v, want %v (pending, oldest due first)", got, want)
	}
	if h.db.queries != pages {
		t.Errorf("%d queries for %d pages", h.db.queries, pages)
	}
	for _, tc := range []struct{ query, says string }{
		{"status=decided", "only pending"},
		{"limit=0", "limit must be"},
		{"limit=101", "limit must be"},
		{"limit=x", "limit must be"},
		{"next=" + next[:len(next)-3] + "AAA", "next token is invalid"},
		{"next=nonsense", "next token is invalid"},
		{"order=desc", "Unknown query parameter"},
	} {
		if a := h.call(http.MethodGet, "/api/v1/requests?"+tc.query, tok, ""); a.status != http.StatusBadRequest || !strings.Contains(a.raw, tc.says) {
			t.Errorf("?%s: %d %s", tc.query, a.status, a.raw)
		}
	}
	if a := h.call(http.MethodGet, "/api/v1/requests", tok, ""); a.status != http.StatusOK || len(a.body["requests"].([]any)) != 5 {
		t.Errorf("default listing: %d %s", a.status, a.raw)
	}
}

// TestAPIIssuerKeys: discovery and keys are fetched once for the warm
// process; an issuer that cannot be reached is a 503, not cached.
func TestAPIIssuerKeys(t *testing.T) {
	t.Parallel()
	h := newAPICallback(t, nil)
	id := reqID(40)
	h.pending(id, nil)
	for range 3 {
		if a := h.call(http.MethodGet, "/api/v1/requests/"+id, h.token(ciBot), ""); a.status != http.StatusOK {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	}
	if n := h.iss.Requests(); n != 2 {
		t.Errorf("the issuer answered %d requests, want 2 (discovery, keys)", n)
	}

	down := newAPICallback(t, nil)
	down.cb.Config.API.IssuerURL = "http://127.0.0.1:1"
	down.pending(id, nil)
	tok := down.iss.Token(down.claims(ciBot, map[string]any{"iss": "http://127.0.0.1:1"}))
	if a := down.call(http.MethodGet, "/api/v1/requests/"+id, tok, ""); a.status != http.StatusServiceUnavailable || a.body["error"] != "issuer_unavailable" {
		t.Errorf("issuer down: %d %s", a.status, a.raw)
	}
	down.cb.apiv.mu.Lock()
	cached := down.cb.apiv.v != nil
	down.cb.apiv.mu.Unlock()
	if cached {
		t.Error("a failed discovery was cached")
	}
}

// TestAPILinkRoutesUnaffected: an API path is never taken for a link.
func TestAPILinkRoutesUnaffected(t *testing.T) {
	t.Parallel()
	h := newAPICallback(t, nil)
	req := events.APIGatewayV2HTTPRequest{RawPath: "/r/" + reqID(1), PathParameters: map[string]string{"id": reqID(1)}}
	req.RequestContext.HTTP.Method = http.MethodGet
	resp, _ := h.cb.Handle(context.Background(), req)
	if !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		t.Errorf("a link answered %q", resp.Headers["Content-Type"])
	}
}

func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// FuzzAPIRequest sends any path, body and Authorization header to the API:
// the answer is always JSON with a status the API documents, and nothing
// is recorded without the valid token.
func FuzzAPIRequest(f *testing.F) {
	for _, s := range []struct{ method, path, auth, body string }{
		{"POST", "/api/v1/requests/AQEBAQEBAQEBAQEBAQEBAQ/decision", "valid", `{"decision":"approve"}`},
		{"POST", "/api/v1/requests/AQEBAQEBAQEBAQEBAQEBAQ/decision", "valid", `{"decision":"reject","comment":"x","inputs":{}}`},
		{"GET", "/api/v1/requests?status=pending&limit=1", "valid", ""},
		{"GET", "/api/v1/requests/AQEBAQEBAQEBAQEBAQEBAQ", "Bearer a.b.c", ""},
		{"POST", "/api/v1/requests//decision", "", "{"},
		{"PUT", "/api/v1/", "Basic x", "\x00"},
	} {
		f.Add(s.method, s.path, s.auth, s.body)
	}
	iss, err := acctest.StartTokenIssuer()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(iss.Close)
	now := time.Now().UTC().Truncate(time.Second)
	cfg := testConfig(approval.RoleCallback)
	cfg.API = &approval.APIConfig{IssuerURL: iss.URL, Audiences: []string{testAudience}, IdentityClaim: "sub"}
	cfg.Approvers, cfg.AllowSelfApproval = []string{ciBotID}, false
	db := newMemTable(f)
	cb := &Callback{
		Base: Base{Config: cfg, SSM: newSSM("").api(), HTTP: &http.Client{Timeout: 5 * time.Second}, Now: func() time.Time { return now }},
		DB:   db, SFN: &sfnFake{},
	}
	valid := iss.Token(iss.Claims(testAudience, ciBot, map[string]any{"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}))
	id := reqID(1)
	r := pendingRequest(id)
	r.CreatedAt, r.ExpiresAt, r.RequestedBy, r.MinApprovals = now, now.Add(time.Hour), "email:carol@example.com", 2
	db.put(r)
	documented := map[int]bool{200: true, 202: true, 400: true, 401: true, 403: true, 404: true, 405: true, 409: true, 410: true, 413: true, 503: true}
	f.Fuzz(func(t *testing.T, method, p, auth, body string) {
		if auth == "valid" {
			auth = "Bearer " + valid
		}
		req := events.APIGatewayV2HTTPRequest{Body: body, Headers: map[string]string{"authorization": auth}}
		path, raw, _ := strings.Cut(p, "?")
		req.RawPath, req.RawQueryString = "/api/v1/"+strings.TrimPrefix(path, "/api/v1/"), raw
		req.RequestContext.HTTP.Method = method
		before := db.request(id).Version
		resp, err := cb.Handle(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if !documented[resp.StatusCode] {
			t.Fatalf("%s %s: undocumented status %d: %s", method, p, resp.StatusCode, resp.Body)
		}
		var v map[string]any
		if resp.Headers["Content-Type"] != "application/json" || json.Unmarshal([]byte(resp.Body), &v) != nil {
			t.Fatalf("%s %s: not a JSON object: %q", method, p, resp.Body)
		}
		if strings.Contains(resp.Body, testTaskToken) {
			t.Fatal("the task token in an answer")
		}
		if auth != "Bearer "+valid && db.request(id).Version != before {
			t.Fatal("the request changed without the valid token")
		}
	})
}

// TestAPIInputs: the API checks a decision's reason and inputs like the
// confirm page: a missing required input or reason is a 400 naming it, with
// nothing decided; valid values reach the outcome.
func TestAPIInputs(t *testing.T) {
	t.Parallel()
	h := newAPICallback(t, withInputs)
	id := reqID(9)
	h.pending(id, nil)
	for _, body := range []string{
		`{"decision":"approve","inputs":{"ticket":"OPS-1"}}`,                           // confirm is required
		`{"decision":"reject"}`,                                                        // a rejection needs a reason
		`{"decision":"approve","inputs":{"ticket":"OPS-1","confirm":true,"env":"qa"}}`, // not a choice
	} {
		if a := h.decide(id, h.token(ciBot), body); a.status != http.StatusBadRequest || a.body["problems"] == nil {
			t.Errorf("%s: %d %s, want 400 with the problems", body, a.status, a.raw)
		}
	}
	if n := len(h.sfn.Calls()); n != 0 {
		t.Fatalf("%d Step Functions calls after refused decisions", n)
	}
	if a := h.decide(id, h.token(ciBot), `{"decision":"approve","inputs":{"ticket":"OPS-1","confirm":true,"env":"prod","replicas":3}}`); a.status != http.StatusOK {
		t.Fatalf("valid decision: %d %s", a.status, a.raw)
	}
	var out approval.Outcome
	if err := json.Unmarshal([]byte(h.sfn.Calls()[0].Output), &out); err != nil {
		t.Fatal(err)
	}
	if out.Inputs["ticket"] != "OPS-1" || out.Inputs["env"] != "prod" || out.Inputs["replicas"] != float64(3) || out.Inputs["confirm"] != true {
		t.Errorf("outcome inputs %v", out.Inputs)
	}
}
