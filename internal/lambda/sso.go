package lambda

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Single sign-on in front of links. With the gate's sso block set, a link
// no longer decides on its own: it proves only that its holder received it.
// The callback is then an OpenID Connect relying party (authorization code
// flow with PKCE, state and nonce; the ID token verified by go-oidc against
// the issuer's discovery document and JWKS):
//
//  1. GET /r/{id} with a valid link and no session for request id: a 302 to
//     the identity provider, with the pending login (state, nonce, PKCE
//     verifier, the link to return to) in a sealed cookie scoped to
//     /auth/callback. The decision form is never shown without a session.
//  2. GET /auth/callback?code&state: the state must match the login cookie
//     of this browser; the code is exchanged with the PKCE verifier; the ID
//     token's signature, issuer, audience, expiry and nonce are checked; the
//     identity claim gives the approver's identity ("email:<verified
//     address>" or "sso:<value>"). A sealed session cookie bound to the
//     request (its path is the request's link) is set, and the browser is
//     sent back to the link.
//  3. GET /r/{id} with the session: the confirm page says who is signed in.
//     POST /r/{id} needs the link's signature (in its URL) and the session:
//     the vote is that identity's, via "sso".
//
// CSRF: a cross-site page cannot make the browser decide. The POST must
// carry the link's signature in its URL, which a third-party page does not
// know, and the session cookie is SameSite=Lax, so a browser does not send it
// with a cross-site POST at all. Either alone stops a forged form; a stolen
// link still needs its victim's sign-in, which it cannot get.
//
// No token reaches a URL or a log: the code and the ID token live only in
// the /auth/callback request, and pages send no referrer.

// ssoRP is the relying party's provider metadata, discovered on first use
// and kept for the life of the process (a failure is not kept), with the ID
// token verifier, whose key set (JWKS) is fetched once and again only for a
// key it does not know, and the token endpoint's client authentication: a
// warm process's sign-in makes one round trip to the identity provider, the
// code exchange.
type ssoRP struct {
	mu        sync.Mutex
	provider  *oidc.Provider
	verifier  *oidc.IDTokenVerifier
	authStyle oauth2.AuthStyle
}

// errSSOUnavailable: the identity provider's discovery document could not
// be read.
var errSSOUnavailable = errors.New("the identity provider could not be reached")

func (c *Callback) ssoEnabled() bool { return c.Config.SSO.Enabled() }

// oidcProvider returns the issuer's provider metadata (discovery document;
// its JWKS is fetched by the verifier as needed).
func (c *Callback) oidcProvider(ctx context.Context) (*oidc.Provider, error) {
	c.sso.mu.Lock()
	defer c.sso.mu.Unlock()
	if c.sso.provider != nil {
		return c.sso.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, c.HTTP), c.Config.SSO.IssuerURL)
	if err != nil {
		c.Log.Error("sso discovery failed", "issuer", c.Config.SSO.IssuerURL, "error", err.Error())
		return nil, errSSOUnavailable
	}
	// The provider keeps c.HTTP for its key set's fetches, which therefore
	// outlive this request but are bounded by the client's timeout.
	c.sso.verifier = p.Verifier(&oidc.Config{ClientID: c.Config.SSO.ClientID})
	c.sso.authStyle = tokenAuthStyle(p)
	c.sso.provider = p
	return p, nil
}

// tokenAuthStyle is how the code exchange authenticates the client, from the
// discovery document's token_endpoint_auth_methods_supported:
// client_secret_post when offered (every IdP of the guide offers it, and
// some offer only it), else client_secret_basic, else found out by trying
// (oauth2's auto-detection: one more round trip when the first style fails).
func tokenAuthStyle(p *oidc.Provider) oauth2.AuthStyle {
	var d struct {
		Methods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := p.Claims(&d); err != nil {
		return oauth2.AuthStyleAutoDetect
	}
	switch {
	case slices.Contains(d.Methods, "client_secret_post"):
		return oauth2.AuthStyleInParams
	case slices.Contains(d.Methods, "client_secret_basic"):
		return oauth2.AuthStyleInHeader
	}
	return oauth2.AuthStyleAutoDetect
}

func (c *Callback) oauthConfig(p *oidc.Provider, secret string) *oauth2.Config {
	ep := p.Endpoint()
	c.sso.mu.Lock()
	ep.AuthStyle = c.sso.authStyle
	c.sso.mu.Unlock()
	return &oauth2.Config{
		ClientID:     c.Config.SSO.ClientID,
		ClientSecret: secret,
		Endpoint:     ep,
		RedirectURL:  approval.SSORedirectURI(c.Config.CallbackBaseURL),
		Scopes:       c.Config.SSO.Scopes,
	}
}

// basePath is the path part of the callback base URL ("" at the root):
// cookies are scoped under it.
func (c *Callback) basePath() string {
	u, err := url.Parse(c.Config.CallbackBaseURL)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.EscapedPath(), "/")
}

// cookie returns a cookie as the gate sets them: HttpOnly, Secure,
// SameSite=Lax, on path. maxAge < 0 deletes it.
func cookie(name, value, path string, maxAge int) string {
	return (&http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	}).String()
}

// requestCookies returns the values of the request's cookies named name, in
// the order the browser sent them (the most specific path first). API
// Gateway (payload 2.0) passes cookies in req.Cookies; an emulator or a
// proxy may leave them in the Cookie header: both are read. Malformed pairs
// are skipped.
func requestCookies(req events.APIGatewayV2HTTPRequest, name string) []string {
	var out []string
	pairs := append([]string(nil), req.Cookies...)
	for k, v := range req.Headers {
		if strings.EqualFold(k, "cookie") {
			pairs = append(pairs, strings.Split(v, ";")...)
		}
	}
	for _, p := range pairs {
		p = strings.TrimSpace(p)
		if p == "" || len(p) > approval.MaxCookieValueBytes+64 {
			continue
		}
		cs, err := http.ParseCookie(p)
		if err != nil {
			continue
		}
		for _, ck := range cs {
			if ck.Name == name {
				out = append(out, ck.Value)
			}
		}
	}
	return out
}

// ssoSession returns the valid session for request id, if the request has
// one.
func (c *Callback) ssoSession(req events.APIGatewayV2HTTPRequest, key []byte, id string) (approval.SSOSession, bool) {
	for _, v := range requestCookies(req, approval.SessionCookieName) {
		if s, err := approval.OpenSession(key, v, id, c.Now()); err == nil {
			return s, true
		}
	}
	return approval.SSOSession{}, false
}

// confirmSSO serves the confirm page of a pending request r behind SSO: the
// form for a signed-in person, else the redirect to the identity provider.
func (c *Callback) confirmSSO(ctx context.Context, req events.APIGatewayV2HTTPRequest, r approval.Request, l approval.Link) events.APIGatewayV2HTTPResponse {
	sec, err := c.loadSecrets(ctx)
	if err != nil {
		c.Log.Error("secrets", "error", err.Error())
		return internalError()
	}
	key := approval.CookieKey(sec.SigningKey)
	if s, ok := c.ssoSession(req, key, r.ID); ok {
		// The signed-in person's vote would be refused (not an approver,
		// their own request, link_decisions): say so now, and show no form.
		if _, _, err := approval.Apply(r, approval.PolicyFromConfig(c.Config), ssoVote(s, l.Decision, "", c.Now())); err != nil {
			return c.votePage(r, 0, err)
		}
		return c.ssoFormPage(http.StatusOK, r, l, s, "", "", nil, formProblems{})
	}
	return c.startLogin(ctx, r.ID, l, sec)
}

// ssoFormPage is the confirm form of a signed-in person, with the inputs as
// typed and the problems found with them.
func (c *Callback) ssoFormPage(status int, r approval.Request, l approval.Link, s approval.SSOSession, comment, problem string, typed url.Values, probs formProblems) events.APIGatewayV2HTTPResponse {
	return c.confirmForm(status, r, l, "", comment, problem, typed, probs, &s)
}

// signedInAs names the session's person for the page.
func signedInAs(s approval.SSOSession) string {
	_, value, _ := strings.Cut(s.Identity, ":")
	if s.Name == "" || strings.EqualFold(s.Name, value) {
		return value
	}
	return s.Name + " (" + value + ")"
}

// startLogin answers with the redirect to the identity provider and the
// pending login's cookie.
func (c *Callback) startLogin(ctx context.Context, id string, l approval.Link, sec *Secrets) events.APIGatewayV2HTTPResponse {
	p, err := c.oidcProvider(ctx)
	if err != nil {
		return ssoUnavailable()
	}
	login, err := approval.NewSSOLogin(rand.Reader, id, "/r/"+id+"?"+l.Query(sec.SigningKey), c.Now())
	if err != nil {
		c.Log.Error("sso login", "request_id", id, "error", err.Error())
		return internalError()
	}
	value, err := approval.SealLogin(approval.CookieKey(sec.SigningKey), login)
	if err != nil {
		c.Log.Error("sso login", "request_id", id, "error", err.Error())
		return internalError()
	}
	loc := c.oauthConfig(p, "").AuthCodeURL(login.State, oidc.Nonce(login.Nonce), oauth2.S256ChallengeOption(login.Verifier))
	resp := html(http.StatusFound, page{Heading: "Sign in", Message: "This approval needs a sign-in: continuing to your identity provider."},
		map[string]string{"Location": loc})
	setCookies(&resp, cookie(approval.LoginCookieName(login.State), value, c.basePath()+approval.SSOCallbackPath, int(approval.LoginTTL.Seconds())))
	c.Log.Info("sso login started", "request_id", id)
	return resp
}

// setCookies sets cookies the way API Gateway HTTP APIs (payload format
// 2.0) take them: in the response's cookies field, each entry of which API
// Gateway sends as one Set-Cookie header (AWS API Gateway Developer Guide,
// "Create AWS Lambda proxy integrations for HTTP APIs in API Gateway",
// payload format differences). Format 2.0 has no multiValueHeaders and its
// headers map holds one value per name, so cookies never go in headers.
// (kumo, the local AWS, ignores the cookies field; the test harness
// translates it as AWS does: internal/acctest/runtimeshim.go.)
func setCookies(resp *events.APIGatewayV2HTTPResponse, cookies ...string) {
	resp.Cookies = append(resp.Cookies, cookies...)
}

func ssoUnavailable() events.APIGatewayV2HTTPResponse {
	return errorPage(http.StatusServiceUnavailable, "Sign-in unavailable",
		"The sign-in service could not be reached, so no decision can be taken now. Try the link again in a moment.")
}

func signInRequired() events.APIGatewayV2HTTPResponse {
	return errorPage(http.StatusUnauthorized, "Sign-in required",
		"This gate records decisions only from people who signed in. Open the approval link again in your browser to sign in: "+
			"the link alone cannot decide.")
}

func loginNotCompleted() events.APIGatewayV2HTTPResponse {
	return errorPage(http.StatusBadRequest, "Sign-in not completed",
		"This sign-in does not belong to a login started in this browser, or it took too long. Open the approval link again.")
}

// decideSSO serves POST /r/{id} behind SSO: the link (already verified)
// and a session for this request decide, as the session's identity.
func (c *Callback) decideSSO(ctx context.Context, req events.APIGatewayV2HTTPRequest, id string, l approval.Link) events.APIGatewayV2HTTPResponse {
	sec, err := c.loadSecrets(ctx)
	if err != nil {
		c.Log.Error("secrets", "error", err.Error())
		return internalError()
	}
	s, ok := c.ssoSession(req, approval.CookieKey(sec.SigningKey), id)
	if !ok {
		return signInRequired()
	}
	b, err := body(req)
	if errors.Is(err, errBodyTooLarge) {
		return errorPage(http.StatusRequestEntityTooLarge, "Too large", "The form is too large.")
	}
	form, perr := url.ParseQuery(string(b))
	if err != nil || perr != nil {
		return errorPage(http.StatusBadRequest, "Bad request", "The form could not be read.")
	}
	return c.castLinkVote(ctx, id, l, ssoVote(s, l.Decision, form.Get("comment"), c.Now()), form, &s)
}

// ssoCallback serves GET /auth/callback: the identity provider's redirect
// back. It returns the request id the login was for ("" if unknown).
func (c *Callback) ssoCallback(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, string) {
	if !c.ssoEnabled() {
		return errorPage(http.StatusNotFound, "Not found", "There is nothing here."), ""
	}
	q := query(req)
	one := func(k string) string {
		if v := q[k]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	state := one("state")
	if !approval.ValidState(state) {
		return loginNotCompleted(), ""
	}
	sec, err := c.loadSecrets(ctx)
	if err != nil {
		c.Log.Error("secrets", "error", err.Error())
		return internalError(), ""
	}
	key := approval.CookieKey(sec.SigningKey)
	name := approval.LoginCookieName(state)
	var login approval.SSOLogin
	found := false
	for _, v := range requestCookies(req, name) {
		if login, err = approval.OpenLogin(key, v, state, c.Now()); err == nil {
			found = true
			break
		}
	}
	if !found {
		return loginNotCompleted(), ""
	}
	id := login.RequestID
	clearLogin := cookie(name, "", c.basePath()+approval.SSOCallbackPath, -1)
	fail := func(resp events.APIGatewayV2HTTPResponse, reason string) (events.APIGatewayV2HTTPResponse, string) {
		c.Log.Warn("sso sign-in refused", "request_id", id, "reason", reason)
		setCookies(&resp, clearLogin)
		return resp, id
	}
	if e := one("error"); e != "" {
		return fail(errorPage(http.StatusForbidden, "Sign-in refused",
			"Your identity provider did not sign you in ("+oauthErrorCode(e)+"). Open the approval link again, or ask your administrator for access."),
			"identity provider error "+oauthErrorCode(e))
	}
	code := one("code")
	if code == "" {
		return fail(loginNotCompleted(), "no code")
	}
	p, err := c.oidcProvider(ctx)
	if err != nil {
		return fail(ssoUnavailable(), "discovery")
	}
	octx := oidc.ClientContext(ctx, c.HTTP)
	tok, err := c.oauthConfig(p, sec.SSOClientSecret).Exchange(octx, code, oauth2.VerifierOption(login.Verifier))
	if err != nil {
		return fail(errorPage(http.StatusBadGateway, "Sign-in failed",
			"The sign-in could not be completed with your identity provider. Open the approval link again."), "code exchange: "+exchangeError(err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return fail(errorPage(http.StatusBadGateway, "Sign-in failed",
			"Your identity provider sent no ID token: the gate's sso scopes must include openid."), "no id_token")
	}
	c.sso.mu.Lock()
	verifier := c.sso.verifier
	c.sso.mu.Unlock()
	idt, err := verifier.Verify(octx, raw)
	if err != nil {
		return fail(errorPage(http.StatusForbidden, "Sign-in failed",
			"The identity token could not be verified. Open the approval link again."), "id token: "+err.Error())
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(login.Nonce)) != 1 {
		return fail(errorPage(http.StatusForbidden, "Sign-in failed",
			"The identity token was not issued for this sign-in. Open the approval link again."), "nonce mismatch")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return fail(errorPage(http.StatusBadGateway, "Sign-in failed", "The identity token could not be read."), "claims")
	}
	identity, err := approval.SSOIdentity(claims, c.Config.SSO.IdentityClaim)
	switch {
	case errors.Is(err, approval.ErrEmailNotVerified):
		return fail(errorPage(http.StatusForbidden, "E-mail address not verified",
			"Your identity provider does not confirm that your e-mail address is verified (email_verified), so it cannot identify you "+
				"for this approval. Ask your administrator."), "email not verified")
	case err != nil:
		return fail(errorPage(http.StatusForbidden, "Sign-in not usable",
			"Your identity provider did not say who you are in the way this gate expects ("+c.Config.SSO.IdentityClaim+" claim). Ask your administrator."),
			err.Error())
	}
	s := approval.NewSSOSession(id, identity, approval.SSOName(claims), approval.SSOGroups(claims, c.Config.SSO.GroupsClaim), c.Now())
	value, err := approval.SealSession(key, s)
	if err != nil {
		c.Log.Error("sso session", "request_id", id, "error", err.Error())
		return internalError(), id
	}
	resp := html(http.StatusFound, page{Heading: "Signed in", Message: "Back to the approval."},
		map[string]string{"Location": c.Config.CallbackBaseURL + login.Return})
	setCookies(&resp, cookie(approval.SessionCookieName, value, c.basePath()+"/r/"+id, int(approval.SessionTTL.Seconds())), clearLogin)
	c.Log.Info("sso signed in", "request_id", id, "approver", identity)
	return resp, id
}

// oauthErrorCode keeps an OAuth error code (RFC 6749 §4.1.2.1: ASCII
// letters, digits and _) short and plain for a page and a log.
func oauthErrorCode(e string) string {
	var b strings.Builder
	for _, r := range e {
		if b.Len() == 40 {
			break
		}
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "error"
	}
	return b.String()
}

// exchangeError describes a failed code exchange for the log without the
// token endpoint's body.
func exchangeError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		s := "token endpoint answered"
		if re.Response != nil {
			s += " " + re.Response.Status
		}
		if re.ErrorCode != "" {
			s += " " + oauthErrorCode(re.ErrorCode)
		}
		return s
	}
	return redact(err).Error()
}

// ssoVote is the vote of a signed-in person: the session's identity, via
// sso. It only builds the vote; Callback.vote decides.
func ssoVote(s approval.SSOSession, decision, comment string, at time.Time) approval.Vote {
	return approval.Vote{
		Approver: approval.Approver{ID: s.Identity, Name: s.Name, Via: approval.ViaSSO},
		IDs:      []string{s.Identity},
		Groups:   s.Groups,
		Decision: decision, Comment: comment, At: at,
	}
}
