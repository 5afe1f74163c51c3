package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// Single sign-on in front of links, end to end on the local AWS: the gate
// applied with an sso block pointing at an in-process OpenID Connect
// provider on 127.0.0.1, the callback's handler process signing people in
// against it.

var (
	ssoAlice = acctest.OIDCUser{Subject: "u-alice", Email: "Alice@Example.com", EmailVerified: true, Name: "Alice Liddell", Groups: []string{"deployers"}}
	ssoBob   = acctest.OIDCUser{Subject: "u-bob", Email: "bob@example.com", EmailVerified: true, Name: "Bob Builder"}
	ssoEve   = acctest.OIDCUser{Subject: "u-eve", Email: "eve@example.com", EmailVerified: false, Name: "Eve"}
)

// startIdP starts the local OpenID Connect provider for a test.
func startIdP(t *testing.T) *acctest.OIDC {
	t.Helper()
	preCheck(t)
	idp, err := acctest.StartOIDC()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idp.Stop() })
	return idp
}

func testAccGateConfig_sso(name string, idp *acctest.OIDC, extra string) string {
	return fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  timeout_seconds           = 120
  include_execution_context = false
  sso = {
    issuer_url    = %[2]q
    client_id     = %[3]q
    client_secret = %[4]q
    scopes        = ["openid", "email", "profile", "groups"]
    groups_claim  = "groups"
  }
%[5]s
}
`, name, idp.Issuer(), idp.ClientID(), idp.ClientSecret(), extra)
}

// ssoBrowser is a minimal browser for the sign-in: it follows redirects
// and keeps cookies by name and path, sending Secure ones over http to
// *.localhost as browsers do (Go's cookie jar does not).
type ssoBrowser struct {
	t       *testing.T
	cookies map[string]*http.Cookie // name + path
}

func newSSOBrowser(t *testing.T) *ssoBrowser {
	return &ssoBrowser{t: t, cookies: map[string]*http.Cookie{}}
}

// do sends req with the matching cookies and keeps the gate's cookies it
// sets; it returns the status, the headers and the body.
func (b *ssoBrowser) do(req *http.Request) (int, http.Header, string) {
	b.t.Helper()
	for _, c := range b.cookies {
		if req.URL.Path == c.Path || strings.HasPrefix(req.URL.Path, strings.TrimRight(c.Path, "/")+"/") {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	resp, err := httpClient().Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if strings.HasSuffix(req.URL.Hostname(), ".localhost") { // the gate's cookies; the provider's are not needed
		for _, c := range resp.Cookies() {
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode {
				b.t.Errorf("cookie %s is not HttpOnly, Secure and SameSite=Lax: %s", c.Name, c.String())
			}
			if c.MaxAge < 0 {
				delete(b.cookies, c.Name+c.Path)
			} else {
				b.cookies[c.Name+c.Path] = c
			}
		}
	}
	return resp.StatusCode, resp.Header, string(body)
}

// open GETs link and follows redirects (to the provider and back); it
// returns the last answer.
func (b *ssoBrowser) open(link string) (int, string, string) {
	b.t.Helper()
	for range 10 {
		req, _ := http.NewRequest(http.MethodGet, link, nil)
		code, h, body := b.do(req)
		loc := h.Get("Location")
		if code != http.StatusFound || loc == "" {
			return code, body, link
		}
		next, err := req.URL.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		link = next.String()
	}
	b.t.Fatalf("more than 10 redirects from %s", link)
	return 0, "", ""
}

func (b *ssoBrowser) post(link string, form url.Values) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	code, _, body := b.do(req)
	return code, body
}

// signIn opens link in a fresh browser as u and expects the confirm page.
func signIn(w *world, idp *acctest.OIDC, link string, u acctest.OIDCUser) *ssoBrowser {
	w.t.Helper()
	b := newSSOBrowser(w.t)
	idp.SignInNext(u)
	code, page, _ := b.open(link)
	if code != http.StatusOK || !strings.Contains(page, "Signed in as") {
		w.t.Fatalf("signing in as %s: %d\n%s", u.Email, code, page)
	}
	return b
}

// TestE2E_sso: links behind single sign-on, each identity rule tried as an
// attacker would.
func TestE2E_sso(t *testing.T) {
	idp := startIdP(t)
	withGate(t, testAccGateConfig_sso(acctest.RandomName(), idp, ""), []scenario{
		{"1 the browser signs in and approves as alice", func(w *world) {
			needChromium(w.t)
			e := w.start(`{"requested_by":"carol@example.com","change":"deploy v2"}`, nil)
			approve, _ := w.snsLinks()
			idp.SignInNext(ssoAlice)
			res, err := acctest.DecideInBrowser(w.ctx, approve, "ship it", "Mallory")
			if err != nil {
				w.t.Fatal(err)
			}
			saveScreenshot(w.t, "sso-confirm.png", res.ConfirmScreenshot)
			if !strings.Contains(res.ConfirmText, "Signed in as Alice Liddell (alice@example.com)") || !strings.Contains(res.ConfirmText, "deploy v2") ||
				!strings.HasPrefix(res.ConfirmURL, strings.SplitN(approve, "?", 2)[0]) {
				w.t.Fatalf("confirm page at %s after the sign-in:\n%s", res.ConfirmURL, res.ConfirmText)
			}
			if res.ResultStatus != http.StatusOK || res.ResultHeading != "Approved" {
				w.t.Fatalf("result page %d %q:\n%s", res.ResultStatus, res.ResultHeading, res.ResultText)
			}
			d, out := e.wait()
			approvers, _ := path(out, "approval", "approvers").([]any)
			if d.Status != "SUCCEEDED" || len(approvers) != 1 || path(approvers[0], "id") != "email:alice@example.com" ||
				path(approvers[0], "name") != "Alice Liddell" || path(approvers[0], "via") != "sso" {
				w.t.Fatalf("execution %s, output %s", d.Status, deref(d.Output))
			}
		}},
		{"2 a forwarded link without a login cannot decide", func(w *world) {
			e := w.start(`{"requested_by":"carol@example.com"}`, nil)
			approve, reject := w.snsLinks()
			for _, l := range []string{approve, reject} {
				code, page := post(w.t, l, url.Values{"name": {"Alice"}, "comment": {"forwarded"}})
				if code != http.StatusUnauthorized || !strings.Contains(page, "Sign-in required") {
					w.t.Errorf("POST %s without a sign-in: %d, want 401\n%s", l, code, page)
				}
				req, _ := http.NewRequest(http.MethodGet, l, nil)
				code, h, page := newSSOBrowser(w.t).do(req)
				if code != http.StatusFound || !strings.HasPrefix(h.Get("Location"), idp.Issuer()) || strings.Contains(page, "<form") {
					w.t.Errorf("GET %s without a sign-in: %d to %q, want a redirect to the provider and no form", l, code, h.Get("Location"))
				}
			}
			// Bob's session for this very request does not travel with the
			// link: another browser holding the link has none.
			signIn(w, idp, approve, ssoBob)
			if code, _ := newSSOBrowser(w.t).post(approve, url.Values{}); code != http.StatusUnauthorized {
				w.t.Errorf("POST from a second browser: %d, want 401", code)
			}
			// An unverified e-mail address gets no session.
			idp.SignInNext(ssoEve)
			if code, page, _ := newSSOBrowser(w.t).open(approve); code != http.StatusForbidden || !strings.Contains(page, "not verified") {
				w.t.Errorf("eve (email_verified false): %d\n%s", code, page)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("the execution was decided without a sign-in: %s", s)
			}
			b := signIn(w, idp, reject, ssoBob)
			if code, page := b.post(reject, url.Values{"comment": {"no"}}); code != http.StatusOK {
				w.t.Fatalf("bob rejects: %d\n%s", code, page)
			}
			d, out := e.wait()
			if path(out, "error", "Error") != "ManualApproval.Rejected" || !strings.Contains(fmt.Sprint(path(out, "error", "Cause")), `"id":"email:bob@example.com"`) {
				w.t.Fatalf("execution %s, output %s", d.Status, deref(d.Output))
			}
		}},
		{"3 the requester cannot approve their own request by SSO", func(w *world) {
			e := w.start(`{"requested_by":"alice@example.com"}`, nil)
			approve, _ := w.snsLinks()
			b := newSSOBrowser(w.t)
			idp.SignInNext(ssoAlice)
			if code, page, _ := b.open(approve); code != http.StatusForbidden || strings.Contains(page, "<form") {
				w.t.Errorf("the requester's confirm page: %d, want 403 without a form\n%s", code, page)
			}
			if code, page := b.post(approve, url.Values{"comment": {"mine"}}); code != http.StatusForbidden {
				w.t.Errorf("the requester's POST: %d, want 403\n%s", code, page)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("the requester approved their own request: %s", s)
			}
			bob := signIn(w, idp, approve, ssoBob)
			if code, page := bob.post(approve, url.Values{}); code != http.StatusOK {
				w.t.Fatalf("bob approves: %d\n%s", code, page)
			}
			if d, _ := e.wait(); d.Status != "SUCCEEDED" {
				w.t.Fatalf("execution %s", d.Status)
			}
		}},
	})
}

// TestE2E_ssoQuorum: two distinct signed-in people meet min_approvals = 2;
// the same person twice, from two browsers, counts once.
func TestE2E_ssoQuorum(t *testing.T) {
	idp := startIdP(t)
	withGate(t, testAccGateConfig_sso(acctest.RandomName(), idp, "  min_approvals       = 2\n  allow_self_approval = true"), []scenario{
		{"1 quorum over distinct identities", func(w *world) {
			e := w.start(`{"requested_by":"carol@example.com"}`, nil)
			approve, _ := w.snsLinks()
			a1 := signIn(w, idp, approve, ssoAlice)
			if code, page := a1.post(approve, url.Values{"comment": {"one"}}); code != http.StatusOK || !strings.Contains(page, "1 of 2") {
				w.t.Fatalf("alice: %d\n%s", code, page)
			}
			a2 := signIn(w, idp, approve, ssoAlice)
			if code, page := a2.post(approve, url.Values{"comment": {"again"}}); code != http.StatusOK || !strings.Contains(page, "1 of 2") {
				w.t.Fatalf("alice from a second browser: %d\n%s", code, page)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("one person twice met a quorum of two: %s", s)
			}
			b := signIn(w, idp, approve, ssoBob)
			if code, page := b.post(approve, url.Values{"comment": {"two"}}); code != http.StatusOK {
				w.t.Fatalf("bob: %d\n%s", code, page)
			}
			d, out := e.wait()
			approvers, _ := path(out, "approval", "approvers").([]any)
			if d.Status != "SUCCEEDED" || len(approvers) != 2 {
				w.t.Fatalf("execution %s, output %s", d.Status, deref(d.Output))
			}
			ids := []string{fmt.Sprint(path(approvers[0], "id")), fmt.Sprint(path(approvers[1], "id"))}
			if ids[0] != "email:alice@example.com" || ids[1] != "email:bob@example.com" {
				w.t.Fatalf("approvers %v, want alice then bob", ids)
			}
		}},
	})
}

// needChromium skips a browser scenario when Chromium is missing, except
// in CI.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := acctest.ChromiumPath(); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("skipping (CI unset): %v", err)
		}
		t.Fatal(err)
	}
}

// saveScreenshot writes a PNG under the test temp folder's parent (.tmp) so
// a person can look at it.
func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	root, err := acctest.RepoRoot()
	if err != nil || len(png) == 0 {
		return
	}
	p := filepath.Join(root, ".tmp", "screenshots", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err == nil && os.WriteFile(p, png, 0o644) == nil {
		t.Logf("screenshot: %s", p)
	}
}
