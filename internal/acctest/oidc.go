package acctest

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// OIDC is an in-process OpenID Connect provider on 127.0.0.1 (mockoidc):
// discovery, authorization (no login page: it signs in the next queued user
// at once), token with PKCE and client_secret_post, and JWKS. The handler
// processes reach it on loopback like the harness does.
type OIDC struct {
	m  *mockoidc.MockOIDC
	mu sync.Mutex

	reqMu    sync.Mutex
	requests map[string]int // by endpoint path (after the issuer), e.g. "/token"
}

// OIDCUser is a person the provider signs in.
type OIDCUser struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
}

// StartOIDC starts the provider on a free loopback port.
func StartOIDC() (*OIDC, error) {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		return nil, fmt.Errorf("creating the local OIDC provider: %w", err)
	}
	// Only S256: a client that asks for no PKCE, or for plain, is refused.
	m.CodeChallengeMethodsSupported = []string{"S256"}
	o := &OIDC{m: m, requests: map[string]int{}}
	if err := m.AddMiddleware(o.count); err != nil {
		return nil, fmt.Errorf("counting the local OIDC provider's requests: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the local OIDC provider: %w", err)
	}
	if err := m.Start(ln, nil); err != nil {
		return nil, fmt.Errorf("starting the local OIDC provider: %w", err)
	}
	return o, nil
}

// count is the provider's middleware that counts requests by endpoint.
func (o *OIDC) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if i := strings.LastIndex(p, "/oidc/"); i >= 0 {
			p = p[i+len("/oidc"):]
		}
		o.reqMu.Lock()
		o.requests[p]++
		o.reqMu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// Requests returns how many requests each endpoint answered since the start
// or the last ResetRequests, by path after the issuer: "/.well-known/openid-configuration",
// "/authorize", "/token", "/userinfo", "/.well-known/jwks.json". The browser makes the
// authorize requests; a relying party the others.
func (o *OIDC) Requests() map[string]int {
	o.reqMu.Lock()
	defer o.reqMu.Unlock()
	out := make(map[string]int, len(o.requests))
	for k, v := range o.requests {
		out[k] = v
	}
	return out
}

// ResetRequests sets every count back to zero.
func (o *OIDC) ResetRequests() {
	o.reqMu.Lock()
	defer o.reqMu.Unlock()
	clear(o.requests)
}

// Issuer is the issuer URL (http://127.0.0.1:<port>/oidc).
func (o *OIDC) Issuer() string { return o.m.Issuer() }

// ClientID and ClientSecret are the one registered client's credentials.
func (o *OIDC) ClientID() string     { return o.m.ClientID }
func (o *OIDC) ClientSecret() string { return o.m.ClientSecret }

// SignInNext makes u the person signed in by the next authorization
// request (they queue in order).
func (o *OIDC) SignInNext(u OIDCUser) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m.QueueUser(&oidcUser{u})
}

// Stop shuts the provider down.
func (o *OIDC) Stop() error { return o.m.Shutdown() }

// oidcUser is an OIDCUser as mockoidc wants it, with a name claim (which
// mockoidc's own user lacks).
type oidcUser struct{ u OIDCUser }

var _ mockoidc.User = (*oidcUser)(nil)

func (x *oidcUser) ID() string { return x.u.Subject }

func (x *oidcUser) Userinfo(scope []string) ([]byte, error) {
	return (&mockoidc.MockUser{Subject: x.u.Subject, Email: x.u.Email, EmailVerified: x.u.EmailVerified, Groups: x.u.Groups}).Userinfo(scope)
}

// userClaims are the ID token's claims: the registered ones and nonce from
// mockoidc, the rest by scope as an IdP would release them.
type userClaims struct {
	*mockoidc.IDTokenClaims
	Email         string   `json:"email,omitempty"`
	EmailVerified *bool    `json:"email_verified,omitempty"`
	Name          string   `json:"name,omitempty"`
	Groups        []string `json:"groups,omitempty"`
}

func (x *oidcUser) Claims(scope []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c := &userClaims{IDTokenClaims: base}
	for _, s := range scope {
		switch s {
		case "email":
			c.Email = x.u.Email
			v := x.u.EmailVerified
			c.EmailVerified = &v
		case "profile":
			c.Name = x.u.Name
		case "groups":
			c.Groups = x.u.Groups
		}
	}
	return c, nil
}
