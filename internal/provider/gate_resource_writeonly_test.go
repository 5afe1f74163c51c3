package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// testGateConfig_writeOnly is a gate whose secrets are all write-only, with
// the task_state function's result in an output. The output is marked
// sensitive: while the schema keeps the sensitive forms of the secrets,
// Terraform marks their (null) paths in the gate object, and a provider
// function's result carries every mark of its arguments (see
// TestTaskStateFunction_wholeGateSensitive; the form that is not sensitive,
// task_state(gate.task_state_json, …), is TestTaskStateFunction_notSensitive).
func testGateConfig_writeOnly(rName, hookURL, hookSecret string, version, timeout int) string {
	return testProviderConfig() + fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                = %[1]q
  timeout_seconds     = %[5]d
  allow_self_approval = true
  slack = {
    webhook_url_wo         = %[2]q
    webhook_url_wo_version = %[4]d
  }
  webhook = {
    url               = "https://hook.example.com/approvals"
    secret_wo         = %[3]q
    secret_wo_version = %[4]d
  }
}

output "state" {
  value     = jsonencode(provider::manualapproval::task_state(manualapproval_gate.test, { next = "Deploy" }))
  sensitive = true
}

# The gate's non-secret attributes give a task state that is not sensitive.
output "state_subset" {
  value = jsonencode(provider::manualapproval::task_state({
    notifier_function_arn = manualapproval_gate.test.notifier_function_arn
    timeout_seconds       = manualapproval_gate.test.timeout_seconds
  }, { next = "Deploy" }))
}
`, rName, hookURL, hookSecret, version, timeout)
}

// writtenSecrets returns the secrets the last Create or Update passed to the
// fake manager ("" is "not written: keep the stored value").
func writtenSecrets(m *fakeManager, name string) (hookURL, hookSecret string, err error) {
	spec, ok := m.spec(name)
	if !ok {
		return "", "", fmt.Errorf("gate %s does not exist", name)
	}
	if spec.Slack == nil || spec.Webhook == nil {
		return "", "", fmt.Errorf("gate %s has no slack or webhook: %+v", name, spec)
	}
	return spec.Slack.WebhookURL, spec.Webhook.Secret, nil
}

func checkWritten(m *fakeManager, name, wantURL, wantSecret string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		url, secret, err := writtenSecrets(m, name)
		if err != nil {
			return err
		}
		if url != wantURL || secret != wantSecret {
			return fmt.Errorf("secrets written = (%q, %q), want (%q, %q)", url, secret, wantURL, wantSecret)
		}
		return nil
	}
}

// TestGateResource_writeOnlySecrets: write-only secrets reach the gate on
// create, never the state; the same version writes nothing again (the
// stored value stays), a new version writes the new value, and task_state
// of the gate is not sensitive.
func TestGateResource_writeOnlySecrets(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-wo"
	const addr = "manualapproval_gate.test"
	const url1, url2 = "https://hooks.example.com/services/T/B/ONE", "https://hooks.example.com/services/T/B/TWO"
	const sec1, sec2 = "0123456789abcdef-one", "0123456789abcdef-two"

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{
			{
				Config: testGateConfig_writeOnly(rName, url1, sec1, 1, 3600),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("slack").AtMapKey("webhook_url_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("slack").AtMapKey("webhook_url"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("slack").AtMapKey("webhook_url_wo_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("webhook").AtMapKey("secret_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("slack").AtMapKey("format"), knownvalue.StringExact("blocks")),
					statecheck.ExpectKnownOutputValue("state", knownvalue.StringRegexp(regexp.MustCompile(`"Next":"Deploy"`))),
					statecheck.ExpectKnownOutputValue("state_subset", knownvalue.StringRegexp(regexp.MustCompile(`"Next":"Deploy"`))),
				},
				Check: checkWritten(m, rName, url1, sec1),
			},
			{
				// A new value with the same version: nothing to do.
				Config: testGateConfig_writeOnly(rName, url2, sec2, 1, 3600),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkWritten(m, rName, url1, sec1),
			},
			{
				// Another change with the same version: the update keeps the
				// stored secrets (passes none).
				Config: testGateConfig_writeOnly(rName, url2, sec2, 1, 7200),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: checkWritten(m, rName, "", ""),
			},
			{
				// A new version writes the new value.
				Config: testGateConfig_writeOnly(rName, url2, sec2, 2, 7200),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: checkWritten(m, rName, url2, sec2),
			},
		},
	})
}

// TestGateResource_writeOnlyEphemeralVariable feeds the write-only secrets
// from ephemeral variables.
func TestGateResource_writeOnlyEphemeralVariable(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-wo-eph"
	cfg := testProviderConfig() + fmt.Sprintf(`
variable "bot_token" {
  type      = string
  ephemeral = true
}
variable "signing_secret" {
  type      = string
  ephemeral = true
}

resource "manualapproval_gate" "test" {
  name                = %[1]q
  allow_self_approval = true
  slack = {
    channel                   = "C024BE91L"
    bot_token_wo              = var.bot_token
    bot_token_wo_version      = 1
    signing_secret_wo         = var.signing_secret
    signing_secret_wo_version = 1
  }
}
`, rName)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigVariables: config.Variables{
				"bot_token":      config.StringVariable("xoxb-ephemeral-1"),
				"signing_secret": config.StringVariable("ephemeral-signing-secret"),
			},
			ConfigStateChecks: []statecheck.StateCheck{
				// The format follows the write-only bot token.
				statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("slack").AtMapKey("format"), knownvalue.StringExact("app")),
			},
			Check: func(*terraform.State) error {
				spec, ok := m.spec(rName)
				if !ok || spec.Slack == nil {
					return fmt.Errorf("gate %s was not created with Slack", rName)
				}
				if spec.Slack.Format != "app" || spec.Slack.BotToken != "xoxb-ephemeral-1" || spec.Slack.SigningSecret != "ephemeral-signing-secret" {
					return fmt.Errorf("Spec.Slack = %+v, want the app wiring with the ephemeral secrets", *spec.Slack)
				}
				return nil
			},
		}},
	})
}

// TestGateResource_writeOnlyImport imports a gate without re-entering its
// secrets: -generate-config-out writes a configuration that validates, and
// an apply of a configuration without the secrets keeps the stored ones.
func TestGateResource_writeOnlyImport(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-wo-import"
	const addr = "manualapproval_gate.test"
	noSecrets := func(timeout int) string {
		return testProviderConfig() + fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                = %[1]q
  timeout_seconds     = %[2]d
  allow_self_approval = true
  slack = {
    format = "blocks"
  }
  webhook = {
    url = "https://hook.example.com/approvals"
  }
}
`, rName, timeout)
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{
			{
				// The gate, with its secrets stored.
				Config: testGateConfig_writeOnly(rName, "https://hooks.example.com/services/T/B/X", "0123456789abcdef", 1, 600),
			},
			{
				// The import block and a generated configuration: it validates
				// (no secret is required) and plans.
				ResourceName:       addr,
				ImportState:        true,
				ImportStateKind:    resource.ImportBlockWithID,
				ImportStateId:      rName,
				GenerateConfig:     true,
				ExpectNonEmptyPlan: true,
			},
			{
				// Forget the resource (the gate stays), import it, and apply
				// without secrets: the update passes none (the stored ones stay).
				Config: testProviderConfig() + `
removed {
  from = manualapproval_gate.test
  lifecycle {
    destroy = false
  }
}
`,
			},
			{
				Config:             noSecrets(600),
				ResourceName:       addr,
				ImportState:        true,
				ImportStateId:      rName,
				ImportStatePersist: true,
			},
			{
				// Nothing to write: the imported gate matches.
				Config: noSecrets(600),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Another change: the update passes no secret (the stored ones stay).
				Config: noSecrets(900),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: checkWritten(m, rName, "", ""),
			},
		},
	})
}

// TestGateResource_writeOnlyValidation: the sensitive and the write-only
// form of a secret conflict, the write-only form needs its version, and a
// gate created without a secret its wiring needs is refused at plan time.
func TestGateResource_writeOnlyValidation(t *testing.T) {
	t.Parallel()
	steps := []struct{ body, want string }{
		{"name = \"t\"\nslack = {\n webhook_url = \"https://h.example/x\"\n webhook_url_wo = \"https://h.example/y\"\n webhook_url_wo_version = 1\n}",
			`Conflicting Secret Arguments(.|\n)*slack.webhook_url and slack.webhook_url_wo set the same secret: use exactly one of them`},
		{"name = \"t\"\nslack = {\n webhook_url_wo = \"https://h.example/y\"\n}",
			`Missing Write-Only Secret Version(.|\n)*slack.webhook_url_wo needs slack.webhook_url_wo_version`},
		{"name = \"t\"\nslack = {\n webhook_url_wo_version = 1\n}",
			`Missing Write-Only Secret(.|\n)*slack.webhook_url_wo_version is set without slack.webhook_url_wo`},
		{"name = \"t\"\nwebhook = {\n url = \"https://hook.example.com\"\n secret = \"0123456789abcdef\"\n secret_wo = \"0123456789abcdef\"\n secret_wo_version = 1\n}",
			`webhook.secret and webhook.secret_wo set the same secret`},
		{"name = \"t\"\nwebhook = {\n url = \"https://hook.example.com\"\n secret_wo = \"short\"\n secret_wo_version = 1\n}",
			`webhook.secret_wo string length must be at least 16`},
		{"name = \"t\"\nslack = {\n channel = \"C1\"\n signing_secret = \"s\"\n bot_token_wo = \"xoxp-1\"\n bot_token_wo_version = 1\n}",
			`must be a Slack bot token starting with "xoxb-"`},
		{"name = \"t\"\nwebhook = {\n url = \"https://hook.example.com\"\n}",
			`Missing Secret(.|\n)*needs webhook.secret to create the gate`},
		{"name = \"t\"\nwebhook = {\n secret = \"0123456789abcdef\"\n}",
			`Missing Webhook URL(.|\n)*needs webhook.url to create the gate`},
		{"name = \"t\"\nslack = {\n format = \"workflow\"\n}",
			`Missing Slack Webhook URL(.|\n)*needs slack.webhook_url to create the gate`},
		{"name = \"t\"\nslack = {\n channel = \"C1\"\n bot_token_wo = \"xoxb-1\"\n bot_token_wo_version = 1\n}",
			`Missing Slack App Attribute(.|\n)*needs slack.signing_secret to create the gate`},
		{"name = \"t\"\nslack = {\n webhook_url_wo = \"https://h.example/x\"\n webhook_url_wo_version = 1\n bot_token_wo = \"xoxb-1\"\n bot_token_wo_version = 1\n}",
			`slack.webhook_url and slack.bot_token cannot be used together`},
	}
	var ts []resource.TestStep
	for _, s := range steps {
		if !strings.Contains(s.body, "allow_self_approval") {
			// Links approve here: no identity control, so that each step
			// meets only the error it tests.
			s.body += "\nallow_self_approval = true"
		}
		ts = append(ts, resource.TestStep{
			Config:      testAccGateConfig_raw(s.body),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(strings.ReplaceAll(s.want, " ", `\s+`)),
		})
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps:                    ts,
	})
}

// TestValidateWriteOnlySecrets checks the diagnostics of each combination,
// the warning on the sensitive form included.
func TestValidateWriteOnlySecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	slack := func(hook, hookWO types.String, version types.Int64) types.Object {
		m := gateSlackModel{
			WebhookURL: hook, Format: types.StringNull(), BotToken: types.StringNull(), Channel: types.StringNull(),
			SigningSecret: types.StringNull(), APIBaseURL: types.StringNull(),
			WebhookURLWO: hookWO, WebhookURLWOVersion: version,
			BotTokenWO: types.StringNull(), BotTokenWOVersion: types.Int64Null(),
			SigningSecretWO: types.StringNull(), SigningSecretWOVersion: types.Int64Null(),
		}
		o, d := types.ObjectValueFrom(ctx, gateSlackAttrTypes, m)
		if d.HasError() {
			t.Fatal(d)
		}
		return o
	}
	v := types.StringValue("https://h.example/x")
	null, nullInt := types.StringNull(), types.Int64Null()
	tests := map[string]struct {
		slack        types.Object
		wantErrors   []string
		wantWarnings []string
	}{
		"none":               {slack: slack(null, null, nullInt)},
		"write-only":         {slack: slack(null, v, types.Int64Value(1))},
		"unknown write-only": {slack: slack(null, types.StringUnknown(), types.Int64Value(1))},
		"sensitive":          {slack: slack(v, null, nullInt), wantWarnings: []string{"Sensitive Secret Stored in State"}},
		"both":               {slack: slack(v, v, types.Int64Value(1)), wantErrors: []string{"Conflicting Secret Arguments"}},
		"no version":         {slack: slack(null, v, nullInt), wantErrors: []string{"Missing Write-Only Secret Version"}},
		"version only":       {slack: slack(null, null, types.Int64Value(3)), wantErrors: []string{"Missing Write-Only Secret"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var diags diag.Diagnostics
			validateWriteOnlySecrets(gateResourceModel{Slack: tt.slack, Webhook: types.ObjectNull(gateWebhookAttrTypes)}, &diags)
			var errs, warns []string
			for _, d := range diags {
				if d.Severity() == diag.SeverityError {
					errs = append(errs, d.Summary())
				} else {
					warns = append(warns, d.Summary())
				}
			}
			if fmt.Sprint(errs) != fmt.Sprint(tt.wantErrors) {
				t.Errorf("errors = %v, want %v", errs, tt.wantErrors)
			}
			if fmt.Sprint(warns) != fmt.Sprint(tt.wantWarnings) {
				t.Errorf("warnings = %v, want %v", warns, tt.wantWarnings)
			}
		})
	}
}
