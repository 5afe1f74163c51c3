package approval

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSSOIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		claims map[string]any
		claim  string
		want   string
		err    error
	}{
		{"verified e-mail, lower-cased", map[string]any{"email": "Alice@Example.COM", "email_verified": true}, "email", "email:alice@example.com", nil},
		{"verified as a string", map[string]any{"email": "bob@example.com", "email_verified": "true"}, "email", "email:bob@example.com", nil},
		{"unverified e-mail", map[string]any{"email": "eve@example.com", "email_verified": false}, "email", "", ErrEmailNotVerified},
		{"no email_verified claim", map[string]any{"email": "eve@example.com"}, "email", "", ErrEmailNotVerified},
		{"email_verified as a number", map[string]any{"email": "eve@example.com", "email_verified": 1.0}, "email", "", ErrEmailNotVerified},
		{"no e-mail", map[string]any{"email_verified": true}, "email", "", ErrNoIdentityClaim},
		{"not an address", map[string]any{"email": "alice", "email_verified": true}, "email", "", ErrNoIdentityClaim},
		{"other claim", map[string]any{"oid": "00000000-1111", "email": "x@example.com"}, "oid", "sso:00000000-1111", nil},
		{"numeric subject", map[string]any{"sub": 12345.0}, "sub", "sso:12345", nil},
		{"claim is a list", map[string]any{"sub": []any{"a"}}, "sub", "", ErrNoIdentityClaim},
		{"claim missing", map[string]any{}, "sub", "", ErrNoIdentityClaim},
		{"blank claim", map[string]any{"sub": "  "}, "sub", "", ErrNoIdentityClaim},
		{"control characters", map[string]any{"sub": "a\nb"}, "sub", "", ErrNoIdentityClaim},
		{"too long", map[string]any{"sub": strings.Repeat("x", 400)}, "sub", "", ErrNoIdentityClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := SSOIdentity(tt.claims, tt.claim)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("SSOIdentity = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestSSONameAndGroups(t *testing.T) {
	t.Parallel()
	if got := SSOName(map[string]any{"name": " Alice  L ", "preferred_username": "al"}); got != "Alice L" {
		t.Errorf("name = %q", got)
	}
	if got := SSOName(map[string]any{"preferred_username": "al"}); got != "al" {
		t.Errorf("preferred_username = %q", got)
	}
	if got := SSOName(map[string]any{"given_name": "Al", "family_name": "Ice"}); got != "Al Ice" {
		t.Errorf("given and family = %q", got)
	}
	if got := SSOName(map[string]any{}); got != "" {
		t.Errorf("none = %q", got)
	}
	if diff := cmp.Diff([]string{"ops", "dev"}, SSOGroups(map[string]any{"groups": []any{"ops", 3.5, "", "dev"}}, "groups")); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"admins"}, SSOGroups(map[string]any{"cognito:groups": "admins"}, "cognito:groups")); diff != "" {
		t.Errorf("one group (-want +got):\n%s", diff)
	}
	if got := SSOGroups(map[string]any{"groups": []any{"ops"}}, ""); got != nil {
		t.Errorf("no groups claim configured: %v", got)
	}
}

func TestSSOConfigEnvRoundTrip(t *testing.T) {
	t.Parallel()
	base := Config{Role: RoleCallback, TableName: "t", ParamSigningKey: "/k", MinApprovals: 1, TimeoutSeconds: 60, RequesterPath: DefaultRequesterPath, LinkDecisions: LinkDecisionsAny, RequireReason: ReasonNever}
	for name, s := range map[string]SSO{
		"defaults": {IssuerURL: "https://idp.example.com", ClientID: "c", Scopes: []string{"openid", "email", "profile"}, IdentityClaim: "email"},
		"custom":   {IssuerURL: "http://127.0.0.1:9000/oidc", ClientID: "c", Scopes: []string{"openid", "groups"}, IdentityClaim: "oid", GroupsClaim: "groups"},
		"off":      {},
	} {
		c := base
		c.SSO = s
		if s.Enabled() {
			c.ParamSSOClientSecret = "/gate/sso-client-secret"
		}
		env := c.Env()
		if s.Enabled() && name == "defaults" {
			for _, k := range []string{EnvSSOScopes, EnvSSOIdentityClaim, EnvSSOGroupsClaim} {
				if _, ok := env[k]; ok {
					t.Errorf("%s: default %s is written", name, k)
				}
			}
		}
		got, err := ConfigFromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(c, got); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", name, diff)
		}
	}
}

func TestSSOConfigFromEnvRefuses(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"http issuer":       {map[string]string{EnvSSOIssuerURL: "http://idp.example.com", EnvSSOClientID: "c"}, "must use https"},
		"issuer with query": {map[string]string{EnvSSOIssuerURL: "https://idp.example.com/?x=1", EnvSSOClientID: "c"}, "no query"},
		"no client id":      {map[string]string{EnvSSOIssuerURL: "https://idp.example.com"}, EnvSSOClientID},
		"scopes w/o openid": {map[string]string{EnvSSOIssuerURL: "https://idp.example.com", EnvSSOClientID: "c", EnvSSOScopes: "email"}, "must include openid"},
	} {
		env := map[string]string{EnvRole: "callback", EnvTableName: "t", EnvParamSigningKey: "/k"}
		for k, v := range tc.env {
			env[k] = v
		}
		_, err := ConfigFromEnv(func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to say %q", name, err, tc.want)
		}
	}
}

func TestValidateIssuerURL(t *testing.T) {
	t.Parallel()
	for s, ok := range map[string]bool{
		"https://login.microsoftonline.com/tenant/v2.0": true,
		"http://127.0.0.1:5556/dex":                     true,
		"http://localhost:8080":                         true,
		"http://[::1]:8080":                             true,
		"http://idp.example.com":                        false,
		"ftp://idp.example.com":                         false,
		"https://user:pw@idp.example.com":               false,
		"https://idp.example.com#x":                     false,
		"/relative":                                     false,
		"":                                              false,
	} {
		if err := ValidateIssuerURL(s); (err == nil) != ok {
			t.Errorf("ValidateIssuerURL(%q) = %v, want ok=%v", s, err, ok)
		}
	}
	if got := SSORedirectURI("https://x.example.com/base/"); got != "https://x.example.com/base/auth/callback" {
		t.Errorf("SSORedirectURI = %q", got)
	}
}
