package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// TestGateResource_ssoValidation plans bad sso blocks and checks the message.
func TestGateResource_ssoValidation(t *testing.T) {
	t.Parallel()
	sso := func(body string) string {
		return "name = \"t\"\nallow_self_approval = true\nsso = {\n" + body + "\n}"
	}
	const ok = `issuer_url = "https://idp.example.com"
client_id = "gate"
client_secret = "s3cret"`
	steps := []struct{ body, want string }{
		{sso(`issuer_url = "http://idp.example.com"
client_id = "gate"
client_secret = "x"`), `sso.issuer_url must use https \(http is accepted only for a loopback host`},
		{sso(`issuer_url = "https://idp.example.com/?tenant=1"
client_id = "gate"
client_secret = "x"`), `sso.issuer_url must not have a query string`},
		{sso(`issuer_url = "idp.example.com"
client_id = "gate"
client_secret = "x"`), `must be an absolute URL with a host`},
		{sso(`issuer_url = "https://idp.example.com"
client_secret = "x"`), `attribute "client_id" is required`},
		{sso(`issuer_url = "https://idp.example.com"
client_id = "gate"`), `Missing SSO Client Secret(.|\n)*needs sso.client_secret to create the gate`},
		{sso(`issuer_url = "https://idp.example.com"
client_id = ""
client_secret = "x"`), `sso.client_id string length must be between 1 and 512`},
		{sso(ok + "\nscopes = [\"email\", \"profile\"]"), `sso.scopes must include "openid": without it the provider sends no ID token`},
		{sso(ok + "\nscopes = [\"openid\", \"openid\"]"), `This attribute contains duplicate values`},
		{sso(ok + "\nscopes = [\"openid\", \"e mail\"]"), `must be an OAuth scope`},
		{sso(ok + "\nidentity_claim = \"e mail\""), `sso.identity_claim must be a claim name`},
		{sso(ok + "\ngroups_claim = \"\""), `sso.groups_claim must be a claim name`},
	}
	var ts []resource.TestStep
	for _, s := range steps {
		ts = append(ts, resource.TestStep{Config: testAccGateConfig_raw(s.body), PlanOnly: true, ExpectError: wrapped(s.want)})
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories(newFakeManager()), Steps: ts})
}

func TestValidateSSO_emailScopeWarning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	list := func(v ...string) types.List {
		vals := make([]attr.Value, len(v))
		for i, s := range v {
			vals[i] = types.StringValue(s)
		}
		return types.ListValueMust(types.StringType, vals)
	}
	for name, tc := range map[string]struct {
		m    gateSSOModel
		warn bool
	}{
		"email claim without email scope": {gateSSOModel{IdentityClaim: types.StringNull(), Scopes: list("openid", "profile")}, true},
		"email claim with email scope":    {gateSSOModel{IdentityClaim: types.StringValue("email"), Scopes: list("openid", "email")}, false},
		"other claim":                     {gateSSOModel{IdentityClaim: types.StringValue("sub"), Scopes: list("openid")}, false},
		"default scopes":                  {gateSSOModel{IdentityClaim: types.StringNull(), Scopes: types.ListNull(types.StringType)}, false},
	} {
		var diags diag.Diagnostics
		validateSSO(ctx, tc.m, &diags)
		if got := diags.WarningsCount() > 0; got != tc.warn || diags.HasError() {
			t.Errorf("%s: warnings %v (want %v), diags %v", name, got, tc.warn, diags)
		}
	}
}

func testAccGateConfig_sso(rName, extra string) string {
	return testProviderConfig() + fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                = %[1]q
  allow_self_approval = true
  sso = {
    issuer_url    = "https://login.example.com/oauth2/default"
    client_id     = "0oa1gate"
    client_secret = "client-secret-value"
%[2]s
  }
}
`, rName, extra)
}

// TestGateResource_sso creates a gate with sso on the fake manager: defaults,
// the redirect URI to register, the Spec the gate gets, and import.
func TestGateResource_sso(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-sso"
	const addr = "manualapproval_gate.test"
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{
			{
				Config: testAccGateConfig_sso(rName, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sso_redirect_uri"),
						knownvalue.StringExact("https://api-"+rName+".execute-api.us-east-1.amazonaws.com/auth/callback")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sso").AtMapKey("scopes"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("openid"), knownvalue.StringExact("email"), knownvalue.StringExact("profile"),
					})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sso").AtMapKey("identity_claim"), knownvalue.StringExact("email")),
					statecheck.ExpectSensitiveValue(addr, tfjsonpath.New("sso").AtMapKey("client_secret")),
				},
				Check: func(*terraform.State) error {
					spec, _ := m.spec(rName)
					want := &gate.SSOSpec{IssuerURL: "https://login.example.com/oauth2/default", ClientID: "0oa1gate", ClientSecret: "client-secret-value",
						Scopes: []string{"openid", "email", "profile"}, IdentityClaim: "email"}
					if diff := cmp.Diff(want, spec.SSO); diff != "" {
						return fmt.Errorf("sso spec (-want +got):\n%s", diff)
					}
					return nil
				},
			},
			{
				// Other scopes and claims: an in-place update; the redirect URI is known in the plan.
				Config: testAccGateConfig_sso(rName, `    scopes         = ["openid", "groups"]
    identity_claim = "sub"
    groups_claim   = "groups"`) + "",
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("sso_redirect_uri"),
						knownvalue.StringExact("https://api-"+rName+".execute-api.us-east-1.amazonaws.com/auth/callback")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sso").AtMapKey("groups_claim"), knownvalue.StringExact("groups")),
				},
			},
			{
				ResourceName: addr, ImportState: true, ImportStateId: rName, ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"sso.client_secret"},
			},
		},
	})
}

// TestGateResource_ssoEnforcesIdentityControls: with sso, links prove identity,
// so approvers, a quorum and the self-approval ban are accepted on a gate
// whose links approve; the same gate without sso is refused at plan time.
func TestGateResource_ssoEnforcesIdentityControls(t *testing.T) {
	t.Parallel()
	body := `name            = "t"
email_addresses = ["oncall@example.com"]
approvers       = ["alice@example.com", "bob@example.com"]
min_approvals   = 2
`
	sso := `sso = {
  issuer_url    = "https://idp.example.com"
  client_id     = "gate"
  client_secret = "s3cret"
}`
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{
			{Config: testAccGateConfig_raw(body + sso), PlanOnly: true, ExpectNonEmptyPlan: true},
			{Config: testAccGateConfig_raw(body), PlanOnly: true, ExpectError: wrapped(`Identity Control Not Enforceable Through Links`)},
		},
	})
}
