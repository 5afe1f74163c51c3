package lambda

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

const testSSOSecretParam = "/g/sso-client-secret"

// ssoHarness is a callback with SSO against the local OIDC provider.
type ssoHarness struct {
	*cbHarness
	idp *acctest.OIDC
}

func newSSOCallback(t *testing.T, mutate func(*approval.Config)) *ssoHarness {
	t.Helper()
	idp, err := acctest.StartOIDC()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idp.Stop() })
	h := newCallback(t, func(c *approval.Config) {
		c.SSO = approval.SSO{IssuerURL: idp.Issuer(), ClientID: idp.ClientID(), Scopes: []string{"openid", "email", "profile", "groups"},
			IdentityClaim: "email", GroupsClaim: "groups"}
		c.ParamSSOClientSecret = testSSOSecretParam
		if mutate != nil {
			mutate(c)
		}
	})
	h.ssm.params[testSSOSecretParam] = idp.ClientSecret()
	h.cb.HTTP = &http.Client{Timeout: 10 * time.Second}
	// The ID token's times are the provider's (real time): the callback's
	// cookies use the harness clock, started at the real time here.
	h.now = time.Now().UTC().Truncate(time.Second)
	t.Cleanup(func() {
		if strings.Contains(h.logs.String(), idp.ClientSecret()) {
			t.Errorf("logs contain the client secret:\n%s", h.logs.String())
		}
	})
	return &ssoHarness{cbHarness: h, idp: idp}
}

func (h *ssoHarness) pending(b byte) approval.Request {
	r := pendingRequest(reqID(b))
	r.CreatedAt, r.ExpiresAt = h.now.Add(-time.Minute), h.now.Add(time.Hour)
	h.db.put(r)
	return r
}

// jar is the few cookies a browser would keep, by name and path.
type jar map[string]*http.Cookie

func (j jar) set(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	for _, line := range resp.Cookies {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("bad Set-Cookie %q: %v", line, err)
		}
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path == "" || c.Path == "/" {
			t.Errorf("cookie %s must be HttpOnly, Secure, SameSite=Lax and scoped to a path: %q", c.Name, line)
		}
		if c.MaxAge < 0 {
			delete(j, c.Name+c.Path)
			continue
		}
		j[c.Name+c.Path] = c
	}
	if h := resp.Headers["Set-Cookie"]; h != "" {
		t.Errorf("cookies must go in the response's cookies field, not a header: %q", h)
	}
}

// cookies returns the jar's cookies for path, as API Gateway passes them.
func (j jar) cookies(path string) []string {
	var out []string
	for _, c := range j {
		if path == c.Path || strings.HasPrefix(path, c.Path+"/") {
			out = append(out, c.Name+"="+c.Value)
		}
	}
	return out
}

func withCookies(ev events.APIGatewayV2HTTPRequest, cookies []string) events.APIGatewayV2HTTPRequest {
	ev.Cookies = cookies
	return ev
}

// login signs u in from the link of r with decision d, like a browser:
// the link redirects to the provider, which redirects to /auth/callback,
// which sets the session and redirects back to the link. It returns the
// jar and the last answer of /auth/callback.
func (h *ssoHarness) login(r approval.Request, d string, u acctest.OIDCUser) (jar, events.APIGatewayV2HTTPResponse) {
	h.t.Helper()
	j := jar{}
	q := h.linkQuery(r, d)
	resp := h.do(httpEvent(http.MethodGet, "/r/"+r.ID, q, "", nil))
	if resp.StatusCode != http.StatusFound {
		h.t.Fatalf("link without a session: status %d, want 302; body:\n%s", resp.StatusCode, resp.Body)
	}
	if strings.Contains(resp.Body, "<form") {
		h.t.Fatal("the redirect to the identity provider shows a form")
	}
	j.set(h.t, resp)
	loc, err := url.Parse(resp.Headers["Location"])
	if err != nil || !strings.HasPrefix(loc.String(), h.idp.Issuer()) {
		h.t.Fatalf("redirect to %q, want the identity provider %s", resp.Headers["Location"], h.idp.Issuer())
	}
	aq := loc.Query()
	for k, want := range map[string]string{"response_type": "code", "code_challenge_method": "S256", "client_id": h.idp.ClientID(),
		"redirect_uri": "https://cb.example/auth/callback"} {
		if aq.Get(k) != want {
			h.t.Errorf("authorization request %s = %q, want %q", k, aq.Get(k), want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if aq.Get(k) == "" {
			h.t.Errorf("authorization request lacks %s", k)
		}
	}
	h.idp.SignInNext(u)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	idpResp, err := noFollow.Get(loc.String())
	if err != nil {
		h.t.Fatal(err)
	}
	_ = idpResp.Body.Close()
	back, err := url.Parse(idpResp.Header.Get("Location"))
	if err != nil || back.Path != "/auth/callback" {
		h.t.Fatalf("provider answered %d to %q", idpResp.StatusCode, idpResp.Header.Get("Location"))
	}
	cb := h.do(withCookies(httpEvent(http.MethodGet, "/auth/callback", back.RawQuery, "", nil), j.cookies("/auth/callback")))
	j.set(h.t, cb)
	return j, cb
}

func alice() acctest.OIDCUser {
	return acctest.OIDCUser{Subject: "u-alice", Email: "Alice@Example.com", EmailVerified: true, Name: "Alice Liddell", Groups: []string{"deployers"}}
}

func TestCallbackSSO_loginThenApprove(t *testing.T) {
	h := newSSOCallback(t, nil)
	r := h.pending(1)
	j, cb := h.login(r, approval.DecisionApprove, alice())
	if cb.StatusCode != http.StatusFound || cb.Headers["Location"] != "https://cb.example/r/"+r.ID+"?"+h.linkQuery(r, approval.DecisionApprove) {
		t.Fatalf("/auth/callback: %d to %q, want 302 back to the link; body:\n%s", cb.StatusCode, cb.Headers["Location"], cb.Body)
	}
	if len(j.cookies("/r/"+r.ID)) != 1 || len(j.cookies("/auth/callback")) != 0 {
		t.Fatalf("after the sign-in the jar holds %v; want one session cookie for the link and no login cookie", j)
	}
	q := h.linkQuery(r, approval.DecisionApprove)
	page := h.do(withCookies(httpEvent(http.MethodGet, "/r/"+r.ID, q, "", nil), j.cookies("/r/"+r.ID)))
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "Signed in as <strong>Alice Liddell (alice@example.com)</strong>") ||
		strings.Contains(page.Body, `name="name"`) {
		t.Fatalf("confirm page %d:\n%s", page.StatusCode, page.Body)
	}
	// The session also works when it arrives in a Cookie header (kumo, some proxies).
	hdr := httpEvent(http.MethodGet, "/r/"+r.ID, q, "", map[string]string{"Cookie": "other=1; " + j.cookies("/r/" + r.ID)[0]})
	if p := h.do(hdr); p.StatusCode != http.StatusOK || !strings.Contains(p.Body, "Signed in as") {
		t.Fatalf("session in a Cookie header: %d", p.StatusCode)
	}

	res := h.do(withCookies(formEvent("/r/"+r.ID, q, url.Values{"comment": {"ship it"}, "name": {"Mallory"}}), j.cookies("/r/"+r.ID)))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST: %d\n%s", res.StatusCode, res.Body)
	}
	got := h.db.request(r.ID)
	if got.Outcome == nil || len(got.Outcome.Approvers) != 1 {
		t.Fatalf("outcome = %+v", got.Outcome)
	}
	a := got.Outcome.Approvers[0]
	if a.ID != "email:alice@example.com" || a.Name != "Alice Liddell" || a.Via != "sso" {
		t.Fatalf("approver = %+v, want the signed-in identity via sso (the typed name is ignored)", a)
	}
	if calls := h.sfn.Calls(); len(calls) != 1 {
		t.Fatalf("Step Functions calls: %d", len(calls))
	}
}

func TestCallbackSSO_noSessionCannotDecide(t *testing.T) {
	h := newSSOCallback(t, nil)
	r := h.pending(2)
	q := h.linkQuery(r, approval.DecisionApprove)
	other := h.pending(3)
	otherJar, _ := h.login(other, approval.DecisionApprove, alice())
	// Sessions are bound to their request: a session of another request
	// (its cookie sent here by hand) does not count.
	var otherSession []string
	for _, c := range otherJar {
		otherSession = append(otherSession, c.Name+"="+c.Value)
	}
	forged := []string{approval.SessionCookieName + "=" + strings.Repeat("A", 80)}
	for name, cookies := range map[string][]string{"no cookie": nil, "another request's session": otherSession, "forged": forged} {
		res := h.do(withCookies(formEvent("/r/"+r.ID, q, url.Values{"comment": {"x"}, "name": {"Alice"}}), cookies))
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Body, "Sign-in required") {
			t.Errorf("%s: POST = %d, want 401 Sign-in required:\n%s", name, res.StatusCode, res.Body)
		}
		get := h.do(withCookies(httpEvent(http.MethodGet, "/r/"+r.ID, q, "", nil), cookies))
		if get.StatusCode != http.StatusFound || strings.Contains(get.Body, "<form") {
			t.Errorf("%s: GET = %d, want the redirect to sign in and no form", name, get.StatusCode)
		}
	}
	if got := h.db.request(r.ID); got.Status != approval.StatusPending || len(got.Votes) != 0 {
		t.Fatalf("request changed without a sign-in: %+v", got)
	}
	// A session is no substitute for the link: a wrong signature is refused.
	j, _ := h.login(r, approval.DecisionApprove, alice())
	bad := strings.Replace(q, "d=approve", "d=reject", 1)
	if res := h.do(withCookies(formEvent("/r/"+r.ID, bad, url.Values{}), j.cookies("/r/"+r.ID))); res.StatusCode != http.StatusForbidden {
		t.Fatalf("POST with a session and a tampered link: %d, want 403", res.StatusCode)
	}
	if len(h.sfn.Calls()) != 0 {
		t.Fatal("Step Functions was told")
	}
}

func TestCallbackSSO_refusedSignIns(t *testing.T) {
	h := newSSOCallback(t, nil)
	r := h.pending(4)
	unverified := alice()
	unverified.EmailVerified = false
	j, cb := h.login(r, approval.DecisionApprove, unverified)
	if cb.StatusCode != http.StatusForbidden || !strings.Contains(cb.Body, "not verified") {
		t.Fatalf("unverified e-mail: %d\n%s", cb.StatusCode, cb.Body)
	}
	if len(j.cookies("/r/"+r.ID)) != 0 {
		t.Fatal("a session was set for an unverified e-mail")
	}

	// The provider's answer replayed without this browser's login cookie,
	// with another login's cookie, or with a changed state.
	q := h.linkQuery(r, approval.DecisionApprove)
	start := h.do(httpEvent(http.MethodGet, "/r/"+r.ID, q, "", nil))
	loginJar := jar{}
	loginJar.set(t, start)
	loc, _ := url.Parse(start.Headers["Location"])
	state := loc.Query().Get("state")
	for name, ev := range map[string]events.APIGatewayV2HTTPRequest{
		"no login cookie": httpEvent(http.MethodGet, "/auth/callback", url.Values{"code": {"c"}, "state": {state}}.Encode(), "", nil),
		"other state": withCookies(httpEvent(http.MethodGet, "/auth/callback",
			url.Values{"code": {"c"}, "state": {strings.Repeat("B", 43)}}.Encode(), "", nil), loginJar.cookies("/auth/callback")),
		"no state": withCookies(httpEvent(http.MethodGet, "/auth/callback", "code=c", "", nil), loginJar.cookies("/auth/callback")),
		"two states": withCookies(httpEvent(http.MethodGet, "/auth/callback",
			"code=c&state="+state+"&state="+state, "", nil), loginJar.cookies("/auth/callback")),
	} {
		if res := h.do(ev); res.StatusCode != http.StatusBadRequest || len(res.Cookies) != 0 {
			t.Errorf("%s: %d (cookies %v), want 400 and no session", name, res.StatusCode, res.Cookies)
		}
	}
	// A code the provider never issued: the exchange fails, no session.
	res := h.do(withCookies(httpEvent(http.MethodGet, "/auth/callback", url.Values{"code": {"forged"}, "state": {state}}.Encode(), "", nil),
		loginJar.cookies("/auth/callback")))
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("forged code: %d, want 502", res.StatusCode)
	}
	for _, c := range res.Cookies {
		if strings.HasPrefix(c, approval.SessionCookieName+"=") {
			t.Errorf("forged code set a session: %s", c)
		}
	}
	// The provider refused: its error code is shown, escaped.
	res = h.do(withCookies(httpEvent(http.MethodGet, "/auth/callback",
		url.Values{"error": {"access_denied<script>"}, "state": {state}}.Encode(), "", nil), loginJar.cookies("/auth/callback")))
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "access_deniedscript") || strings.Contains(res.Body, "<script>") {
		t.Errorf("provider error: %d\n%s", res.StatusCode, res.Body)
	}
	// The login expires.
	h.now = h.now.Add(approval.LoginTTL + time.Minute)
	j, cb = h.login(r, approval.DecisionApprove, alice())
	if cb.StatusCode != http.StatusFound {
		t.Fatalf("a fresh login after an expired one: %d", cb.StatusCode)
	}
	h.now = h.now.Add(approval.SessionTTL + time.Second)
	if res := h.do(withCookies(formEvent("/r/"+r.ID, q, url.Values{}), j.cookies("/r/"+r.ID))); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST with an expired session: %d, want 401", res.StatusCode)
	}
}

func TestCallbackSSO_otherIdentityClaim(t *testing.T) {
	h := newSSOCallback(t, func(c *approval.Config) { c.SSO.IdentityClaim = "sub" })
	r := h.pending(5)
	u := alice()
	u.EmailVerified = false // not needed when the identity is not the e-mail
	j, cb := h.login(r, approval.DecisionReject, u)
	if cb.StatusCode != http.StatusFound {
		t.Fatalf("/auth/callback: %d\n%s", cb.StatusCode, cb.Body)
	}
	q := h.linkQuery(r, approval.DecisionReject)
	if res := h.do(withCookies(formEvent("/r/"+r.ID, q, url.Values{"comment": {"no"}}), j.cookies("/r/"+r.ID))); res.StatusCode != http.StatusOK {
		t.Fatalf("POST: %d\n%s", res.StatusCode, res.Body)
	}
	got := h.db.request(r.ID)
	if got.Outcome == nil || got.Outcome.Decision != approval.OutcomeRejected || got.Outcome.Approvers[0].ID != "sso:u-alice" {
		t.Fatalf("outcome = %+v", got.Outcome)
	}
}

func TestCallbackSSO_providerDown(t *testing.T) {
	h := newSSOCallback(t, func(c *approval.Config) { c.SSO.IssuerURL = "http://127.0.0.1:1/none" })
	r := h.pending(6)
	res := h.do(httpEvent(http.MethodGet, "/r/"+r.ID, h.linkQuery(r, approval.DecisionApprove), "", nil))
	if res.StatusCode != http.StatusServiceUnavailable || strings.Contains(res.Body, "<form") {
		t.Fatalf("provider down: %d\n%s", res.StatusCode, res.Body)
	}
}

func TestCallbackSSO_offWithoutConfig(t *testing.T) {
	h := newCallback(t, nil)
	if res := h.do(httpEvent(http.MethodGet, "/auth/callback", "code=x&state="+strings.Repeat("A", 43), "", nil)); res.StatusCode != http.StatusNotFound {
		t.Fatalf("/auth/callback without sso: %d, want 404", res.StatusCode)
	}
}

func TestRequestCookies(t *testing.T) {
	t.Parallel()
	ev := events.APIGatewayV2HTTPRequest{
		Cookies: []string{"ma_session=a", "bad cookie", "x=y"},
		Headers: map[string]string{"Cookie": "ma_session=b; junk; ma_session=c"},
	}
	got := requestCookies(ev, "ma_session")
	if strings.Join(got, ",") != "a,b,c" {
		t.Fatalf("requestCookies = %v", got)
	}
}

// FuzzRequestCookies feeds arbitrary cookie lists and Cookie headers to the
// cookie reader and the session check: no panic, and no session accepted
// but one the gate sealed, for its own request.
func FuzzRequestCookies(f *testing.F) {
	key := approval.CookieKey([]byte(testSigningKey))
	now := time.Unix(1_800_000_000, 0)
	good, _ := approval.SealSession(key, approval.NewSSOSession(reqID(1), "email:a@example.com", "A", nil, now))
	f.Add("ma_session="+good, "")
	f.Add("", "a=b; ma_session="+good+"; c")
	f.Add("ma_session=\"quoted\"", "ma_session=;;;=")
	f.Fuzz(func(t *testing.T, cookie, header string) {
		ev := events.APIGatewayV2HTTPRequest{Cookies: strings.Split(cookie, "\x00"), Headers: map[string]string{"cookie": header}}
		cb := &Callback{Base: Base{Now: func() time.Time { return now }}}
		s, ok := cb.ssoSession(ev, key, reqID(1))
		// Only sessions of a@example.com for request 1 were ever sealed
		// with this key (here and in testdata/fuzz).
		if ok && (s.Identity != "email:a@example.com" || s.RequestID != reqID(1)) {
			t.Fatalf("accepted session %+v from %q / %q", s, cookie, header)
		}
	})
}

func TestCallbackSSO_identityRules(t *testing.T) {
	h := newSSOCallback(t, func(c *approval.Config) { c.MinApprovals, c.AllowSelfApproval = 2, false })
	bob := acctest.OIDCUser{Subject: "u-bob", Email: "bob@example.com", EmailVerified: true, Name: "Bob"}

	// Quorum of two: the same person twice counts once, a second person decides.
	r := h.pending(7)
	r.MinApprovals, r.RequestedBy = 2, "email:carol@example.com"
	h.db.put(r)
	q := h.linkQuery(r, approval.DecisionApprove)
	post := func(j jar) events.APIGatewayV2HTTPResponse {
		return h.do(withCookies(formEvent("/r/"+r.ID, q, url.Values{"comment": {"ok"}}), j.cookies("/r/"+r.ID)))
	}
	ja, _ := h.login(r, approval.DecisionApprove, alice())
	if res := post(ja); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "1 of 2") {
		t.Fatalf("first approval: %d\n%s", res.StatusCode, res.Body)
	}
	ja2, _ := h.login(r, approval.DecisionApprove, alice()) // alice again, in another browser
	if res := post(ja2); !strings.Contains(res.Body, "1 of 2") && !strings.Contains(res.Body, "already recorded") {
		t.Fatalf("alice twice: %d\n%s", res.StatusCode, res.Body)
	}
	if got := h.db.request(r.ID); got.Status != approval.StatusPending {
		t.Fatalf("one person twice decided the request: %+v", got.Outcome)
	}
	jb, _ := h.login(r, approval.DecisionApprove, bob)
	if res := post(jb); res.StatusCode != http.StatusOK {
		t.Fatalf("bob: %d\n%s", res.StatusCode, res.Body)
	}
	got := h.db.request(r.ID)
	if got.Outcome == nil || got.Outcome.Decision != approval.OutcomeApproved || len(got.Outcome.Approvers) != 2 {
		t.Fatalf("outcome = %+v", got.Outcome)
	}

	// The requester cannot approve their own request by signing in.
	own := h.pending(8)
	own.MinApprovals, own.RequestedBy = 1, "email:alice@example.com"
	h.db.put(own)
	jo, _ := h.login(own, approval.DecisionApprove, alice())
	oq := h.linkQuery(own, approval.DecisionApprove)
	page := h.do(withCookies(httpEvent(http.MethodGet, "/r/"+own.ID, oq, "", nil), jo.cookies("/r/"+own.ID)))
	if page.StatusCode != http.StatusForbidden || strings.Contains(page.Body, "<form") {
		t.Fatalf("requester's confirm page: %d, want 403 without a form\n%s", page.StatusCode, page.Body)
	}
	res := h.do(withCookies(formEvent("/r/"+own.ID, oq, url.Values{}), jo.cookies("/r/"+own.ID)))
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("requester's POST: %d, want 403\n%s", res.StatusCode, res.Body)
	}
	if got := h.db.request(own.ID); got.Status != approval.StatusPending || len(got.Votes) != 0 {
		t.Fatalf("the requester's vote was recorded: %+v", got)
	}
}

// TestCallbackSSO_inputs: a signed-in person's form asks for the gate's
// inputs and reason like a bare link's; a POST that breaks a rule answers
// 400 with nothing decided, and the values reach the outcome.
func TestCallbackSSO_inputs(t *testing.T) {
	h := newSSOCallback(t, withInputs)
	r := h.pending(2)
	j, _ := h.login(r, approval.DecisionApprove, alice())
	q := h.linkQuery(r, approval.DecisionApprove)
	page := h.do(withCookies(httpEvent(http.MethodGet, "/r/"+r.ID, q, "", nil), j.cookies("/r/"+r.ID)))
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, `name="input.ticket"`) || !strings.Contains(page.Body, "Signed in as") {
		t.Fatalf("confirm page %d does not ask for the inputs:\n%s", page.StatusCode, page.Body)
	}
	bad := h.do(withCookies(formEvent("/r/"+r.ID, q, url.Values{"input.ticket": {"OPS-1"}}), j.cookies("/r/"+r.ID)))
	if bad.StatusCode != http.StatusBadRequest || !strings.Contains(bad.Body, `value="OPS-1"`) || len(h.sfn.Calls()) != 0 {
		t.Fatalf("POST without the required confirmation: %d, %d Step Functions calls\n%s", bad.StatusCode, len(h.sfn.Calls()), bad.Body)
	}
	ok := h.do(withCookies(formEvent("/r/"+r.ID, q, url.Values{"input.ticket": {"OPS-1"}, "input.confirm": {"on"}, "input.env": {"prod"}}), j.cookies("/r/"+r.ID)))
	if ok.StatusCode != http.StatusOK {
		t.Fatalf("POST: %d\n%s", ok.StatusCode, ok.Body)
	}
	got := h.db.request(r.ID)
	if got.Outcome == nil || got.Outcome.Inputs["ticket"] != "OPS-1" || got.Outcome.Inputs["env"] != "prod" || got.Outcome.Inputs["confirm"] != true {
		t.Fatalf("outcome inputs = %+v", got.Outcome)
	}
}
