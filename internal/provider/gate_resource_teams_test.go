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

const (
	testTeamsURL1 = "https://prod-01.westeurope.logic.azure.com/workflows/f1/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SIGONE"
	testTeamsURL2 = "https://prod-01.westeurope.logic.azure.com/workflows/f1/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SIGTWO"
)

func testGateConfig_teamsWriteOnly(rName, url string, version, timeout int) string {
	return testProviderConfig() + fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                = %[1]q
  timeout_seconds     = %[4]d
  allow_self_approval = true
  teams = {
    webhook_url_wo         = %[2]q
    webhook_url_wo_version = %[3]d
  }
}
`, rName, url, version, timeout)
}

// checkTeamsWritten checks the Teams URL the last Create or Update passed
// ("" = not written: the stored one stays).
func checkTeamsWritten(m *fakeManager, name, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		spec, ok := m.spec(name)
		if !ok || spec.Teams == nil {
			return fmt.Errorf("gate %s has no teams: %+v", name, spec)
		}
		if spec.Teams.WebhookURL != want {
			return fmt.Errorf("Teams URL written = %q, want %q", spec.Teams.WebhookURL, want)
		}
		return nil
	}
}

// checkNotInState fails when any attribute of any resource in the state
// holds one of the strings.
func checkNotInState(secrets ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for addr, rs := range s.RootModule().Resources {
			for k, v := range rs.Primary.Attributes {
				for _, sec := range secrets {
					if strings.Contains(v, sec) {
						return fmt.Errorf("%s.%s holds a secret", addr, k)
					}
				}
			}
		}
		return nil
	}
}

// TestGateResource_teamsWriteOnly: the write-only Teams URL reaches the gate
// on create and never the state; the same version writes nothing again, a
// new version writes the new URL; an import keeps the stored URL.
func TestGateResource_teamsWriteOnly(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-teams"
	const addr = "manualapproval_gate.test"
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{
			{
				Config: testGateConfig_teamsWriteOnly(rName, testTeamsURL1, 1, 3600),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("teams").AtMapKey("webhook_url_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("teams").AtMapKey("webhook_url"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("teams").AtMapKey("webhook_url_wo_version"), knownvalue.Int64Exact(1)),
				},
				Check: resource.ComposeTestCheckFunc(checkTeamsWritten(m, rName, testTeamsURL1), checkNotInState("SIGONE", "logic.azure.com")),
			},
			{
				Config:           testGateConfig_teamsWriteOnly(rName, testTeamsURL2, 1, 3600),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            checkTeamsWritten(m, rName, testTeamsURL1),
			},
			{
				Config: testGateConfig_teamsWriteOnly(rName, testTeamsURL2, 1, 7200),
				Check:  checkTeamsWritten(m, rName, ""),
			},
			{
				Config: testGateConfig_teamsWriteOnly(rName, testTeamsURL2, 2, 7200),
				Check:  resource.ComposeTestCheckFunc(checkTeamsWritten(m, rName, testTeamsURL2), checkNotInState("SIGTWO", "SIGONE")),
			},
			{
				ResourceName:                         addr,
				ImportState:                          true,
				ImportStateId:                        rName,
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "name",
				ImportStateVerifyIgnore:              []string{"teams.webhook_url_wo_version"},
			},
		},
	})
}

// TestGateResource_teamsSensitive: the sensitive form works too, and is
// kept out of error messages.
func TestGateResource_teamsSensitive(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-teams-s"
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{{
			Config: testAccGateConfig_raw(fmt.Sprintf("name = %q\nallow_self_approval = true\nteams = {\n webhook_url = %q\n}", rName, testTeamsURL1)),
			Check:  checkTeamsWritten(m, rName, testTeamsURL1),
		}},
	})
}

// TestGateResource_teamsValidation: a URL that is not https (http only for
// a loopback host) is refused at plan time, the message saying "(sensitive
// value)" instead of the URL; so are a missing URL, a write-only URL without
// its version and the two forms together.
func TestGateResource_teamsValidation(t *testing.T) {
	t.Parallel()
	steps := []struct{ body, want string }{
		{"teams = {\n webhook_url = \"http://prod-01.logic.azure.com/workflows/x?sig=LEAKED\"\n}", `Invalid URL(.|\n)*teams.webhook_url(.|\n)*\(sensitive value\)`},
		{"teams = {\n webhook_url_wo = \"http://prod-01.logic.azure.com/workflows/x?sig=LEAKED\"\n webhook_url_wo_version = 1\n}", `Invalid URL(.|\n)*teams.webhook_url_wo(.|\n)*\(sensitive value\)`},
		{"teams = {\n webhook_url_wo = \"ftp://prod-01.logic.azure.com/x\"\n webhook_url_wo_version = 1\n}", `Invalid URL`},
		{"teams = {\n webhook_url_wo = \"not a url\"\n webhook_url_wo_version = 1\n}", `Invalid URL`},
		{"teams = {}", `Missing Teams Webhook URL(.|\n)*needs teams.webhook_url to create the gate`},
		{"teams = {\n webhook_url_wo = \"https://h.example/y\"\n}", `Missing Write-Only Secret Version(.|\n)*teams.webhook_url_wo needs teams.webhook_url_wo_version`},
		{"teams = {\n webhook_url = \"https://h.example/x\"\n webhook_url_wo = \"https://h.example/y\"\n webhook_url_wo_version = 1\n}",
			`Conflicting Secret Arguments(.|\n)*teams.webhook_url and teams.webhook_url_wo set the same secret`},
	}
	var ts []resource.TestStep
	for _, s := range steps {
		ts = append(ts, resource.TestStep{
			Config:      testAccGateConfig_raw("name = \"t\"\nallow_self_approval = true\n" + s.body),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(strings.ReplaceAll(s.want, " ", `\s+`)),
		})
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps:                    ts,
	})
}
