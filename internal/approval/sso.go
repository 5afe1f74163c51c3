package approval

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// SSO is the single sign-on in front of the gate's links: an OpenID Connect
// relying party (authorization code flow with PKCE). It is off when
// IssuerURL is empty.
type SSO struct {
	IssuerURL     string
	ClientID      string
	Scopes        []string // always includes "openid"
	IdentityClaim string   // DefaultSSOIdentityClaim or another claim of the ID token
	GroupsClaim   string   // optional
}

// Enabled reports whether links need a sign-in.
func (s SSO) Enabled() bool { return s.IssuerURL != "" }

// SSO defaults.
const (
	DefaultSSOIdentityClaim = "email"
	// SSOCallbackPath is where the identity provider sends people back,
	// under the callback base URL.
	SSOCallbackPath = "/auth/callback"
)

// DefaultSSOScopes are the scopes asked for when the gate sets none.
var DefaultSSOScopes = []string{"openid", "email", "profile"}

// Environment variable names of the SSO settings (the client secret is in
// an SSM parameter, read by the callback only).
const (
	EnvSSOIssuerURL           = "MANUALAPPROVAL_SSO_ISSUER_URL"
	EnvSSOClientID            = "MANUALAPPROVAL_SSO_CLIENT_ID"
	EnvSSOScopes              = "MANUALAPPROVAL_SSO_SCOPES"
	EnvSSOIdentityClaim       = "MANUALAPPROVAL_SSO_IDENTITY_CLAIM"
	EnvSSOGroupsClaim         = "MANUALAPPROVAL_SSO_GROUPS_CLAIM"
	EnvParamSSOClientSecret   = "MANUALAPPROVAL_PARAM_SSO_CLIENT_SECRET"
	maxSSOClaimNameLength     = 128
	ssoScopeSeparator         = " "
	ssoDefaultScopesRendering = "openid email profile"
)

// SSORedirectURI is the redirect URI to register at the identity provider
// for a gate whose callback base URL is base.
func SSORedirectURI(base string) string {
	return strings.TrimRight(base, "/") + SSOCallbackPath
}

// env adds s to an environment map (nothing when SSO is off).
func (s SSO) env(put func(k, v string)) {
	if !s.Enabled() {
		return
	}
	put(EnvSSOIssuerURL, s.IssuerURL)
	put(EnvSSOClientID, s.ClientID)
	if sc := strings.Join(s.Scopes, ssoScopeSeparator); sc != ssoDefaultScopesRendering {
		put(EnvSSOScopes, sc)
	}
	if s.IdentityClaim != DefaultSSOIdentityClaim {
		put(EnvSSOIdentityClaim, s.IdentityClaim)
	}
	put(EnvSSOGroupsClaim, s.GroupsClaim)
}

// ssoFromEnv reads the SSO settings written by env, with defaults.
func ssoFromEnv(getenv func(string) string) (SSO, error) {
	s := SSO{IssuerURL: getenv(EnvSSOIssuerURL)}
	if !s.Enabled() {
		return s, nil
	}
	s.ClientID = getenv(EnvSSOClientID)
	s.Scopes = strings.Fields(getenv(EnvSSOScopes))
	if len(s.Scopes) == 0 {
		s.Scopes = slices.Clone(DefaultSSOScopes)
	}
	s.IdentityClaim = getenv(EnvSSOIdentityClaim)
	if s.IdentityClaim == "" {
		s.IdentityClaim = DefaultSSOIdentityClaim
	}
	s.GroupsClaim = getenv(EnvSSOGroupsClaim)
	return s, s.Validate()
}

// Validate checks the settings a gate would run with.
func (s SSO) Validate() error {
	if err := ValidateIssuerURL(s.IssuerURL); err != nil {
		return fmt.Errorf("%s: %w", EnvSSOIssuerURL, err)
	}
	if s.ClientID == "" {
		return fmt.Errorf("%s is not set", EnvSSOClientID)
	}
	if !slices.Contains(s.Scopes, "openid") {
		return fmt.Errorf("%s must include openid, got %q", EnvSSOScopes, strings.Join(s.Scopes, " "))
	}
	for _, c := range []string{s.IdentityClaim, s.GroupsClaim} {
		if len(c) > maxSSOClaimNameLength || strings.ContainsAny(c, " \t\r\n") {
			return fmt.Errorf("SSO claim name %q is not a claim name", c)
		}
	}
	if s.IdentityClaim == "" {
		return fmt.Errorf("%s is empty", EnvSSOIdentityClaim)
	}
	return nil
}

// ValidateIssuerURL checks an OpenID Connect issuer: an absolute https URL
// (http only for a loopback host, for local tests) without query or
// fragment.
func ValidateIssuerURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return fmt.Errorf("the issuer URL is empty")
	case err != nil:
		return fmt.Errorf("the issuer URL %q is not a URL: %w", s, err)
	case u.Host == "" || u.User != nil:
		return fmt.Errorf("the issuer URL %q must be an absolute URL with a host and no user info", s)
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#"):
		return fmt.Errorf("the issuer URL %q must have no query or fragment", s)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && IsLoopbackHost(u.Hostname()):
		return nil
	}
	return fmt.Errorf("the issuer URL %q must use https (http only for a loopback host)", s)
}

// IsLoopbackHost reports whether host is localhost, in 127.0.0.0/8 or ::1.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Identity errors of an ID token or an API token's claims (SSOIdentity,
// APIIdentity).
var (
	ErrEmailNotVerified = errors.New("the e-mail address is not verified (email_verified is not true)")
	ErrNoIdentityClaim  = errors.New("the token has no usable identity claim")
)

// SSOIdentity returns the canonical identity of an ID token's claims:
// "email:<lower-cased address>" when claim is "email" (which then needs
// email_verified = true), else "sso:<value of claim>".
func SSOIdentity(claims map[string]any, claim string) (string, error) {
	v, ok := claimString(claims[claim])
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return "", fmt.Errorf("%w: %q", ErrNoIdentityClaim, claim)
	}
	if claim != DefaultSSOIdentityClaim {
		if err := checkOpaqueValue(v); err != nil {
			return "", fmt.Errorf("%w: %q: %w", ErrNoIdentityClaim, claim, err)
		}
		return IdentitySSO + ":" + v, nil
	}
	if !claimTrue(claims["email_verified"]) {
		return "", ErrEmailNotVerified
	}
	id := EmailIdentity(v)
	if id == "" {
		return "", fmt.Errorf("%w: %q is not an e-mail address", ErrNoIdentityClaim, claim)
	}
	return id, nil
}

// SSOName is the display name of an ID token's claims: name, else
// preferred_username, else given and family name, else "".
func SSOName(claims map[string]any) string {
	for _, k := range []string{"name", "preferred_username"} {
		if v, ok := claimString(claims[k]); ok && strings.TrimSpace(v) != "" {
			return NormalizeName(v)
		}
	}
	g, _ := claimString(claims["given_name"])
	f, _ := claimString(claims["family_name"])
	return NormalizeName(g + " " + f)
}

// SSOGroups returns the groups of an ID token's claims under claim: a list
// of strings or one string ("" claim: none).
func SSOGroups(claims map[string]any, claim string) []string {
	if claim == "" {
		return nil
	}
	switch v := claims[claim].(type) {
	case string:
		if v != "" {
			return []string{v}
		}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := claimString(e); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// claimString is a claim's value as a string: strings as they are, whole
// numbers in decimal.
func claimString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10), true
		}
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// claimTrue reads a boolean claim; some providers send "true" as a string.
func claimTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}
