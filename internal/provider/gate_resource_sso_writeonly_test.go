package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// testGateConfig_ssoWriteOnly is a gate whose sso client secret is
// write-only.
func testGateConfig_ssoWriteOnly(rName, secret string, version, timeout int) string {
	return testProviderConfig() + fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                = %[1]q
  timeout_seconds     = %[4]d
  allow_self_approval = true
  sso = {
    issuer_url               = "https://login.example.com/oauth2/default"
    client_id                = "0oa1gate"
    client_secret_wo         = %[2]q
    client_secret_wo_version = %[3]d
  }
}
`, rName, secret, version, timeout)
}

// checkSSOSecretWritten checks the client secret the last Create or Update
// passed to the fake manager ("" is "not written: keep the stored value").
func checkSSOSecretWritten(m *fakeManager, name, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		spec, ok := m.spec(name)
		if !ok {
			return fmt.Errorf("gate %s does not exist", name)
		}
		if spec.SSO == nil {
			return fmt.Errorf("gate %s has no sso: %+v", name, spec)
		}
		if spec.SSO.ClientSecret != want {
			return fmt.Errorf("sso client secret written = %q, want %q", spec.SSO.ClientSecret, want)
		}
		return nil
	}
}

// TestGateResource_writeOnlySSOClientSecret: sso.client_secret_wo reaches the
// gate on create and never the state; the same version writes nothing again
// (the stored SSM value stays), a new version writes the new value, and
// switching to the sensitive form writes that.
func TestGateResource_writeOnlySSOClientSecret(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-sso-wo"
	const addr = "manualapproval_gate.test"
	const sec1, sec2 = "client-secret-one", "client-secret-two"

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{
			{
				Config: testGateConfig_ssoWriteOnly(rName, sec1, 1, 3600),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sso").AtMapKey("client_secret_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sso").AtMapKey("client_secret"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sso").AtMapKey("client_secret_wo_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("sso").AtMapKey("identity_claim"), knownvalue.StringExact("email")),
				},
				Check: resource.ComposeTestCheckFunc(
					checkSSOSecretWritten(m, rName, sec1),
					checkStateLacks(addr, sec1),
				),
			},
			{
				// A new value with the same version: nothing to do.
				Config: testGateConfig_ssoWriteOnly(rName, sec2, 1, 3600),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkSSOSecretWritten(m, rName, sec1),
			},
			{
				// Another change with the same version: the update passes no
				// secret, so the gate keeps the stored one.
				Config: testGateConfig_ssoWriteOnly(rName, sec2, 1, 7200),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: checkSSOSecretWritten(m, rName, ""),
			},
			{
				// A new version writes the new value.
				Config: testGateConfig_ssoWriteOnly(rName, sec2, 2, 7200),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeTestCheckFunc(
					checkSSOSecretWritten(m, rName, sec2),
					checkStateLacks(addr, sec2),
				),
			},
			{
				// Back to the sensitive form: it is written (and stored in
				// the state, as the warning says).
				Config: testAccGateConfig_sso(rName, ""),
				Check:  checkSSOSecretWritten(m, rName, "client-secret-value"),
			},
		},
	})
}

// checkStateLacks fails when a secret appears anywhere in the resource's
// state.
func checkStateLacks(addr, secret string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s is not in the state", addr)
		}
		for k, v := range rs.Primary.Attributes {
			if strings.Contains(v, secret) {
				return fmt.Errorf("the state holds the write-only secret at %s", k)
			}
		}
		return nil
	}
}

// TestGateResource_writeOnlySSOClientSecretValidation plans bad
// combinations of the sso client secret's forms and checks each message.
func TestGateResource_writeOnlySSOClientSecretValidation(t *testing.T) {
	t.Parallel()
	sso := func(body string) string {
		return "name = \"t\"\nallow_self_approval = true\nsso = {\n issuer_url = \"https://idp.example.com\"\n client_id = \"gate\"\n" + body + "\n}"
	}
	steps := []struct{ body, want string }{
		{sso(" client_secret = \"s3cret\"\n client_secret_wo = \"s3cret\"\n client_secret_wo_version = 1"),
			`Conflicting Secret Arguments(.|\n)*sso.client_secret and sso.client_secret_wo set the same secret: use exactly one of them`},
		{sso(" client_secret_wo = \"s3cret\""),
			`Missing Write-Only Secret Version(.|\n)*sso.client_secret_wo needs sso.client_secret_wo_version`},
		{sso(" client_secret_wo_version = 1"),
			`Missing Write-Only Secret(.|\n)*sso.client_secret_wo_version is set without sso.client_secret_wo`},
		{sso(" client_secret_wo = \"\"\n client_secret_wo_version = 1"),
			`sso.client_secret_wo string length must be between 1 and 4096`},
		{sso(" client_secret_wo = \"s3cret\"\n client_secret_wo_version = -1"),
			`sso.client_secret_wo_version value must be at least 0`},
		{sso(""),
			`Missing SSO Client Secret(.|\n)*needs sso.client_secret to create the gate: set the write-only sso.client_secret_wo`},
	}
	var ts []resource.TestStep
	for _, s := range steps {
		ts = append(ts, resource.TestStep{
			Config:      testAccGateConfig_raw(s.body),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(strings.ReplaceAll(s.want, " ", `\s+`)),
		})
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories(newFakeManager()), Steps: ts})
}
