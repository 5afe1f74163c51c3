package gate

import (
	"slices"
	"testing"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestSSO_secretForTheCallbackOnly: the SSO client secret's parameter is
// in the callback's configuration only, and the notifier's role is denied
// it although its parameter wildcard would cover it.
func TestSSO_secretForTheCallbackOnly(t *testing.T) {
	t.Parallel()
	spec := Spec{Name: "g", MinApprovals: 1, TimeoutSeconds: 60, SSO: &SSOSpec{IssuerURL: "https://idp.example.com", ClientID: "c", ClientSecret: "s",
		Scopes: []string{"openid", "email"}, IdentityClaim: "email", GroupsClaim: "groups"}}
	r := &run{spec: spec, n: names{spec.Name}}
	cb, nt := r.handlerConfig(kindCallback, "", "https://x"), r.handlerConfig(kindNotifier, "", "https://x")
	if cb.ParamSSOClientSecret != "/manualapproval/g/sso-client-secret" || nt.ParamSSOClientSecret != "" {
		t.Fatalf("secret parameter: callback %q, notifier %q", cb.ParamSSOClientSecret, nt.ParamSSOClientSecret)
	}
	want := approval.SSO{IssuerURL: "https://idp.example.com", ClientID: "c", Scopes: []string{"openid", "email"}, IdentityClaim: "email", GroupsClaim: "groups"}
	if !slices.Equal(cb.SSO.Scopes, want.Scopes) || cb.SSO.IssuerURL != want.IssuerURL || nt.SSO.ClientID != "c" {
		t.Fatalf("sso settings: callback %+v, notifier %+v", cb.SSO, nt.SSO)
	}
	if _, err := approval.ConfigFromEnv(func(k string) string { return cb.Env()[k] }); err != nil {
		t.Fatalf("the callback's environment does not parse: %v", err)
	}
	if v, ok := r.secrets()[paramSSOClientSecret]; !ok || v != "s" {
		t.Fatalf("secrets() = %v", r.secrets())
	}
	// Each role names exactly the parameters its function reads: the
	// client secret is the callback's alone.
	reads := func(kind string) bool {
		for _, st := range rolePolicy(testEnv, spec, kind).Statement {
			if st.Effect == "Allow" && slices.Contains(st.Resource, "arn:aws:ssm:eu-west-1:111122223333:parameter/manualapproval/g/sso-client-secret") &&
				slices.Contains(st.Action, "ssm:GetParameters") {
				return true
			}
		}
		return false
	}
	if reads(kindNotifier) || !reads(kindCallback) {
		t.Fatalf("may read the SSO secret: notifier %v, callback %v (want false, true)", reads(kindNotifier), reads(kindCallback))
	}
	if slices.Contains((&run{spec: Spec{Name: "g"}}).wantedRouteKeys(), ssoRouteKey) || !slices.Contains(r.wantedRouteKeys(), ssoRouteKey) {
		t.Fatal("the /auth/callback route must exist exactly when sso is set")
	}
}
