package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// TestGateResource_apiValidation plans bad api blocks and checks each message.
func TestGateResource_apiValidation(t *testing.T) {
	t.Parallel()
	const ok = `approvers = ["api:repo:my-org/app:environment:prod"]` + "\n"
	api := func(s string) string { return "name = \"t\"\nlink_decisions = \"none\"\n" + ok + "api = { " + s + " }" }
	steps := []struct{ body, want string }{
		{api(`issuer_url = "http://idp.example.com", audiences = ["a"]`), `api.issuer_url must use https \(http is accepted only for a loopback host`},
		{api(`issuer_url = "ftp://idp.example.com", audiences = ["a"]`), `must use the https scheme`},
		{api(`issuer_url = "https://idp.example.com?tenant=1", audiences = ["a"]`), `must not have a query string`},
		{api(`issuer_url = "https://idp.example.com/.well-known/openid-configuration", audiences = ["a"]`), `must be the issuer itself`},
		{api(`issuer_url = "idp.example.com", audiences = ["a"]`), `must be an absolute URL with a host`},
		{api(`issuer_url = "https://idp.example.com", audiences = []`), `api.audiences set must contain at least 1 elements`},
		{api(`issuer_url = "https://idp.example.com", audiences = [""]`), `string length must be between 1 and 512`},
		{api(`issuer_url = "https://idp.example.com"`), `Inappropriate value for attribute "api": attribute "audiences" is required`},
		{api(`audiences = ["a"]`), `attribute "issuer_url" is required`},
		{api(`issuer_url = "https://idp.example.com", audiences = ["a"], identity_claim = "my claim"`), `must be a claim name`},
		{api(`issuer_url = "https://idp.example.com", audiences = ["a"], identity_claim = ""`), `must be a claim name`},
		{api(`issuer_url = "https://idp.example.com", audiences = ["a"], groups_claim = " "`), `must be a claim name`},
		{api(`issuer_url = "https://idp.example.com", audiences = ["a"]`) + "\napprover_groups = [\"deployers\"]", `approver_groups matches the groups claim`},
		// A public issuer mints tokens for anyone: the allowlist must name API identities.
		{"name = \"t\"\nlink_decisions = \"none\"\napi = { issuer_url = \"https://token.actions.githubusercontent.com\", audiences = [\"a\"] }", `API Without API Approvers`},
		{"name = \"t\"\nlink_decisions = \"none\"\napprovers = [\"U024BE7LH\"]\napi = { issuer_url = \"https://token.actions.githubusercontent.com\", audiences = [\"a\"] }", `with identity_claim = "sub" those are "api:…" entries`},
		{"name = \"t\"\nlink_decisions = \"none\"\n" + ok + "api = { issuer_url = \"https://idp.example.com\", audiences = [\"a\"], identity_claim = \"email\" }", `with identity_claim = "email" those are "email:…" entries`},
	}
	var ts []resource.TestStep
	for _, s := range steps {
		ts = append(ts, resource.TestStep{Config: testAccGateConfig_raw(s.body), PlanOnly: true, ExpectError: wrapped(s.want)})
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories(newFakeManager()), Steps: ts})
}

// TestGateResource_apiFakeLifecycle: the api block reaches the gate's Spec,
// api_url follows callback_url, import reads it back, removing it clears
// api_url.
func TestGateResource_apiFakeLifecycle(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-api"
	const addr = "manualapproval_gate.test"
	withAPI := `approvers = ["api:repo:my-org/app:environment:prod"]
  api = {
    issuer_url = "https://token.actions.githubusercontent.com"
    audiences  = ["https://github.com/my-org"]
  }`
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		CheckDestroy: func(*terraform.State) error {
			if _, ok := m.spec(rName); ok {
				return fmt.Errorf("gate %s still exists", rName)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: testAccGateConfig_apiFake(rName, withAPI),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("api_url")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("api").AtMapKey("identity_claim"), knownvalue.StringExact("sub")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("api").AtMapKey("groups_claim"), knownvalue.Null()),
					statecheck.CompareValuePairs(addr, tfjsonpath.New("api_url"), addr, tfjsonpath.New("callback_url"), apiURLOf{}),
				},
				Check: func(*terraform.State) error {
					s, _ := m.spec(rName)
					if s.API == nil || s.API.IssuerURL != "https://token.actions.githubusercontent.com" || len(s.API.Audiences) != 1 || s.API.IdentityClaim != "sub" {
						return fmt.Errorf("spec API = %+v", s.API)
					}
					return nil
				},
			},
			{
				ResourceName: addr, ImportState: true, ImportStateId: rName, ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"slack.webhook_url", "webhook.secret"},
			},
			{
				Config: testAccGateConfig_apiFake(rName, `approvers = ["api:repo:my-org/app:environment:prod"]
  api = {
    issuer_url     = "https://idp.example.com/oauth2/default"
    audiences      = ["api://deployer", "api://other"]
    identity_claim = "client_id"
    groups_claim   = "groups"
  }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("api_url"), knownvalue.StringRegexp(wrapped(`/api/v1$`))),
				}},
				Check: func(*terraform.State) error {
					s, _ := m.spec(rName)
					if s.API == nil || s.API.IdentityClaim != "client_id" || s.API.GroupsClaim != "groups" || len(s.API.Audiences) != 2 {
						return fmt.Errorf("spec API = %+v", s.API)
					}
					return nil
				},
			},
			{
				Config: testAccGateConfig_apiFake(rName, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("api_url"), knownvalue.Null()),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("api"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("api_url"), knownvalue.Null()),
				},
				Check: func(*terraform.State) error {
					if s, _ := m.spec(rName); s.API != nil {
						return fmt.Errorf("spec API = %+v after removing the block", s.API)
					}
					return nil
				},
			},
		},
	})
}

// apiURLOf checks api_url = callback_url + "/api/v1".
type apiURLOf struct{}

func (apiURLOf) CompareValues(values ...any) error {
	api, _ := values[0].(string)
	cb, _ := values[1].(string)
	if cb == "" || api != cb+"/api/v1" {
		return fmt.Errorf("api_url %q is not callback_url %q + /api/v1", api, cb)
	}
	return nil
}

func testAccGateConfig_apiFake(rName, extra string) string {
	return testProviderConfig() + fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name           = %[1]q
  link_decisions = "none"
  %[2]s
}
`, rName, extra)
}
