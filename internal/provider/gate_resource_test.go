package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

func TestGateResourceSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	var resp fwresource.SchemaResponse
	NewGateResource().Schema(ctx, fwresource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("Schema: %v", resp.Diagnostics)
	}
	if diags := resp.Schema.ValidateImplementation(ctx); diags.HasError() {
		t.Fatalf("ValidateImplementation: %v", diags)
	}
	if resp.Schema.MarkdownDescription == "" {
		t.Error("the resource has no MarkdownDescription")
	}
	var check func(prefix string, attrs map[string]schema.Attribute)
	check = func(prefix string, attrs map[string]schema.Attribute) {
		for name, a := range attrs {
			if a.GetMarkdownDescription() == "" {
				t.Errorf("attribute %s%s has no MarkdownDescription", prefix, name)
			}
			if n, ok := a.(schema.SingleNestedAttribute); ok {
				check(prefix+name+".", n.Attributes)
			}
		}
	}
	check("", resp.Schema.Attributes)

	// The documented valid values are the validated ones.
	for attr, want := range map[string]string{
		"log_retention_days":  "`3653`",
		"lambda_architecture": "`x86_64`",
	} {
		if got := resp.Schema.Attributes[attr].GetMarkdownDescription(); !strings.Contains(got, want) {
			t.Errorf("%s description %q does not list %s", attr, got, want)
		}
	}
}

func TestGateSpec(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	slack := types.ObjectValueMust(gateSlackAttrTypes, map[string]attr.Value{
		"webhook_url":    types.StringNull(),
		"format":         types.StringNull(),
		"bot_token":      types.StringValue("xoxb-1"),
		"channel":        types.StringValue("C1"),
		"signing_secret": types.StringValue("s3cret"),
		"team_id":        types.StringValue("T0GATE"),
		"enterprise_id":  types.StringNull(),
		"app_id":         types.StringValue("A0GATE"),
		"api_base_url":   types.StringValue("http://127.0.0.1:3000/api/"),

		"webhook_url_wo":            types.StringNull(),
		"webhook_url_wo_version":    types.Int64Null(),
		"bot_token_wo":              types.StringNull(),
		"bot_token_wo_version":      types.Int64Null(),
		"signing_secret_wo":         types.StringNull(),
		"signing_secret_wo_version": types.Int64Null(),
	})

	tests := map[string]struct {
		model       gateResourceModel
		defaultTags map[string]string
		want        gate.Spec
	}{
		"defaults": {
			model: gateResourceModel{Name: types.StringValue("deploy")},
			want: gate.Spec{
				Name: "deploy", Tags: map[string]string{}, TimeoutSeconds: 86400, MinApprovals: 1, LinkDecisions: "any",
				RequesterPath: "$.requested_by", IncludeExecutionContext: true, LogRetentionDays: 30,
				Architecture: "arm64", MemoryMB: 128,
			},
		},
		"everything": {
			model: gateResourceModel{
				Name:                    types.StringValue("deploy"),
				Description:             types.StringValue("prod"),
				Tags:                    mapOf(map[string]string{"team": "core", "env": "prod"}),
				TimeoutSeconds:          types.Int64Value(600),
				Slack:                   slack,
				Approvers:               setOf([]string{"UB", "UA"}),
				ApproverGroups:          setOf([]string{"ops", "deployers"}),
				LinkDecisions:           types.StringValue("reject_only"),
				MinApprovals:            types.Int64Value(2),
				AllowSelfApproval:       types.BoolValue(true),
				RequesterPath:           types.StringValue("$.who"),
				EmailAddresses:          setOf([]string{"a@example.com"}),
				SMSNumbers:              setOf([]string{"+14155550100"}),
				Webhook:                 types.ObjectValueMust(gateWebhookAttrTypes, map[string]attr.Value{"url": types.StringValue("https://hook.example"), "secret": types.StringValue("0123456789abcdef"), "secret_wo": types.StringNull(), "secret_wo_version": types.Int64Null()}),
				AllowedStateMachineARNs: setOf([]string{"arn:aws:states:us-east-1:123456789012:stateMachine:b", "arn:aws:states:us-east-1:123456789012:stateMachine:a"}),
				IncludeExecutionContext: types.BoolValue(false),
				CallbackBaseURL:         types.StringValue("https://approve.example/"),
				LogRetentionDays:        types.Int64Value(7),
				LambdaArchitecture:      types.StringValue("x86_64"),
				LambdaMemoryMB:          types.Int64Value(256),
				PermissionsBoundaryARN:  types.StringValue("arn:aws:iam::123456789012:policy/b"),
				KMSKeyARN:               types.StringValue("arn:aws:kms:us-east-1:123456789012:key/k"),
			},
			defaultTags: map[string]string{"env": "default", "owner": "platform"},
			want: gate.Spec{
				Name: "deploy", Description: "prod",
				Tags:           map[string]string{"team": "core", "env": "prod", "owner": "platform"},
				TimeoutSeconds: 600,
				Slack: &gate.SlackSpec{Format: "app", BotToken: "xoxb-1", Channel: "C1", SigningSecret: "s3cret",
					APIBaseURL: "http://127.0.0.1:3000/api", TeamID: "T0GATE", AppID: "A0GATE"},
				Webhook:                 &gate.WebhookSpec{URL: "https://hook.example", Secret: "0123456789abcdef"},
				Approvers:               []string{"UA", "UB"},
				ApproverGroups:          []string{"deployers", "ops"},
				LinkDecisions:           "reject_only",
				MinApprovals:            2,
				AllowSelfApproval:       true,
				RequesterPath:           "$.who",
				EmailAddresses:          []string{"a@example.com"},
				SMSNumbers:              []string{"+14155550100"},
				AllowedStateMachineARNs: []string{"arn:aws:states:us-east-1:123456789012:stateMachine:a", "arn:aws:states:us-east-1:123456789012:stateMachine:b"},
				CallbackBaseURL:         "https://approve.example",
				LogRetentionDays:        7,
				Architecture:            "x86_64",
				MemoryMB:                256,
				PermissionsBoundaryARN:  "arn:aws:iam::123456789012:policy/b",
				KMSKeyARN:               "arn:aws:kms:us-east-1:123456789012:key/k",
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, diags := gateSpec(ctx, tt.model, tt.defaultTags)
			if diags.HasError() {
				t.Fatalf("gateSpec: %v", diags)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("gateSpec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeTags(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		defaults, tags, want map[string]string
	}{
		"none":          {want: map[string]string{}},
		"defaults only": {defaults: map[string]string{"a": "1"}, want: map[string]string{"a": "1"}},
		"tags only":     {tags: map[string]string{"b": "2"}, want: map[string]string{"b": "2"}},
		"tags win":      {defaults: map[string]string{"a": "1", "c": "3"}, tags: map[string]string{"a": "9", "b": "2"}, want: map[string]string{"a": "9", "b": "2", "c": "3"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, mergeTags(tt.defaults, tt.tags)); diff != "" {
				t.Errorf("mergeTags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEffectiveSlackFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		format string
		bot    bool
		want   string
	}{
		{"", false, "blocks"},
		{"", true, "app"},
		{"workflow", false, "workflow"},
		{"app", true, "app"},
	} {
		if got := effectiveSlackFormat(tt.format, tt.bot); got != tt.want {
			t.Errorf("effectiveSlackFormat(%q, %v) = %q, want %q", tt.format, tt.bot, got, tt.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url                      string
		allowAnyHTTP, allowQuery bool
		wantProblem              string // "" for valid
	}{
		{url: "https://hooks.example.com/services/T/B/X"},
		{url: "http://127.0.0.1:8080/hook"},
		{url: "http://127.8.9.10/hook"},
		{url: "http://localhost:3000"},
		{url: "http://[::1]:3000/x"},
		{url: "http://example.com/hook", wantProblem: "only for a loopback host"},
		{url: "http://10.0.0.1/hook", wantProblem: "only for a loopback host"},
		{url: "http://example.com", allowAnyHTTP: true},
		{url: "ftp://example.com", wantProblem: "must use the https scheme"},
		{url: "example.com/path", wantProblem: "absolute URL"},
		{url: "https://example.com/?a=b", wantProblem: "query string"},
		{url: "https://example.com/?a=b", allowQuery: true},
		{url: "https://user:pw@example.com/", allowQuery: true, wantProblem: "credentials"},
		{url: "https://example.com/#x", allowQuery: true, wantProblem: "fragment"},
	}
	for _, tt := range tests {
		got := checkURL(tt.url, tt.allowAnyHTTP, tt.allowQuery)
		if tt.wantProblem == "" && got != "" || tt.wantProblem != "" && !strings.Contains(got, tt.wantProblem) {
			t.Errorf("checkURL(%q, %v, %v) = %q, want %q", tt.url, tt.allowAnyHTTP, tt.allowQuery, got, tt.wantProblem)
		}
	}
}

func TestModelFromSpec(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	spec := gate.Spec{
		Name: "deploy", Tags: map[string]string{"owner": "platform", "team": "core"},
		TimeoutSeconds: 600, MinApprovals: 1, RequesterPath: "$.requested_by", IncludeExecutionContext: true,
		LogRetentionDays: 30, Architecture: "arm64", MemoryMB: 128,
		Approvers: []string{"U024BE7LH", "alice@example.com"}, ApproverGroups: []string{"deployers"}, LinkDecisions: "none",
		Slack:   &gate.SlackSpec{Format: "app", Channel: "C1", APIBaseURL: "https://slack.com/api", TeamID: "T0GATE", EnterpriseID: "E0ORG", AppID: "A0GATE"},
		Webhook: &gate.WebhookSpec{URL: "https://hook.example"},
	}
	m := modelFromSpec(spec, gate.Status{TableName: "deploy-requests", Found: true}, map[string]string{"owner": "platform"})

	var diags diag.Diagnostics
	if got := stringMap(ctx, m.Tags, &diags); !cmp.Equal(got, map[string]string{"team": "core"}) {
		t.Errorf("tags = %v, want only the gate's own tags", got)
	}
	if got := m.Slack.Attributes()["bot_token"]; !got.IsNull() {
		t.Errorf("slack.bot_token = %v, want null (secrets are not imported)", got)
	}
	if got := m.Webhook.Attributes()["secret"]; !got.IsNull() {
		t.Errorf("webhook.secret = %v, want null (secrets are not imported)", got)
	}
	// The imported model builds the same Spec back.
	back, diags := gateSpec(ctx, m, map[string]string{"owner": "platform"})
	if diags.HasError() {
		t.Fatal(diags)
	}
	if diff := cmp.Diff(spec, back); diff != "" {
		t.Errorf("gateSpec(modelFromSpec(spec)) (-want +got):\n%s", diff)
	}
}

// testAccGateConfig_raw is the test provider and a gate with the given body.
func testAccGateConfig_raw(body string) string {
	return testProviderConfig() + fmt.Sprintf(`
resource "manualapproval_gate" "test" {
%s
}
`, body)
}

// TestGateResource_validation plans bad arguments and checks the message a user
// needs. It runs without AWS: the errors come before anything is created.
func TestGateResource_validation(t *testing.T) {
	t.Parallel()
	steps := []struct {
		body string
		want string
	}{
		{`name = "` + strings.Repeat("a", 41) + `"`, `string length must be between 1 and 40`},
		{`name = "bad name"`, `must contain only letters, digits, hyphens and underscores`},
		{`name = ""`, `string length must be between 1 and 40`},
		{"name = \"t\"\ntimeout_seconds = 59", `timeout_seconds value must be between 60 and 31536000`},
		{"name = \"t\"\ntimeout_seconds = 31536001", `timeout_seconds value must be between 60 and 31536000`},
		// A fraction is refused by the framework's Int64 conversion (its message, not ours).
		{"name = \"t\"\ntimeout_seconds = 90.5", `Value Conversion Error(.|\n)*90.5\) is not an integer`},
		{"name = \"t\"\ndescription = \"" + strings.Repeat("d", 257) + "\"", `description string length must be at most 256`},
		{"name = \"t\"\nslack = { webhook_url = \"ftp://hooks.example.com/x\" }", `must use the https scheme`},
		{"name = \"t\"\nslack = { webhook_url = \"http://hooks.example.com/x\" }", `slack.webhook_url must use https \(http is accepted only for a loopback host`},
		{"name = \"t\"\nslack = { webhook_url = \"https://h.example/x\", format = \"teams\" }", `slack.format value must be one of`},
		{"name = \"t\"\nslack = { webhook_url = \"https://h.example/x\", bot_token = \"xoxb-1\" }", `slack.webhook_url and slack.bot_token cannot be used together`},
		{"name = \"t\"\nslack = { webhook_url = \"https://h.example/x\", format = \"workflow\", channel = \"C1\" }", `slack.channel is only used with format "app"`},
		{"name = \"t\"\nslack = { webhook_url = \"https://h.example/x\", team_id = \"T024BE7LD\" }", `slack.team_id is only used with format "app"`},
		{"name = \"t\"\nslack = { webhook_url = \"https://h.example/x\", enterprise_id = \"E0AKF8L2Q\" }", `slack.enterprise_id is only used with format "app"`},
		{"name = \"t\"\nslack = { webhook_url = \"https://h.example/x\", format = \"workflow\", app_id = \"A0KRD7HC3\" }", `slack.app_id is only used with format "app"`},
		{"name = \"t\"\nslack = { bot_token = \"xoxb-1\", channel = \"\", signing_secret = \"s\" }", `slack.channel string length must be at least 1`},
		{"name = \"t\"\nslack = { bot_token = \"xoxb-1\", channel = \"C1\", signing_secret = \"s\", enterprise_id = \"acme\" }", `must be a Slack Enterprise Grid id`},
		{"name = \"t\"\nslack = { bot_token = \"xoxb-1\", channel = \"C1\", signing_secret = \"s\", app_id = \"app\" }", `must be a Slack app id`},
		{"name = \"t\"\nslack = { format = \"blocks\" }", `Missing Slack Webhook URL`},
		{"name = \"t\"\nslack = { bot_token = \"xoxb-1\", channel = \"C1\" }", `needs slack.signing_secret to create the gate: set the write-only slack.signing_secret_wo`},
		{"name = \"t\"\nslack = { format = \"app\", webhook_url = \"https://h.example/x\", bot_token = \"xoxb-1\", channel = \"C1\", signing_secret = \"s\" }", `slack.webhook_url cannot be used with format "app"`},
		{"name = \"t\"\nslack = { bot_token = \"xoxp-1\", channel = \"C1\", signing_secret = \"s\" }", `must be a Slack bot token starting with "xoxb-"`},
		{"name = \"t\"\nslack = { webhook_url = \"https://h.example/x\", api_base_url = \"http://slack.example/api\" }", `slack.api_base_url must use https \(http is accepted only for a loopback host`},
		{"name = \"t\"\napprovers = [\"alice\"]", `must be a verifiable identity: a Slack user id`},
		{"name = \"t\"\napprovers = [\"U1AAA\", \"U2BBB\"]\nmin_approvals = 3", `min_approvals \(3\) is greater than the number of approvers \(2\)`},
		{"name = \"t\"\nmin_approvals = 0", `min_approvals value must be between 1 and 20`},
		{"name = \"t\"\nmin_approvals = 21", `min_approvals value must be between 1 and 20`},
		{"name = \"t\"\nallow_self_approval = true\nallowed_state_machine_arns = [" + manyStateMachines(80) + "]",
			`The gate's (notifier|callback) role would need an inline policy of up to \d+ characters, above IAM's limit of 10240(.|\n)*Allow fewer state machines`},
		{"name = \"t\"\nrequester_path = \"requested_by\"", `must be a JSONPath starting with "\$\."`},
		{"name = \"t\"\nemail_addresses = [\"not-an-email\"]", `must be an e-mail address`},
		{"name = \"t\"\nsms_numbers = [\"0612345678\"]", `must be a phone number in E.164 form`},
		{"name = \"t\"\nwebhook = { url = \"http://hook.example.com\", secret = \"0123456789abcdef\" }", `webhook.url must use https \(http is accepted only for a loopback host`},
		{"name = \"t\"\nwebhook = { url = \"https://hook.example.com\", secret = \"short\" }", `webhook.secret string length must be at least 16`},
		{"name = \"t\"\nallowed_state_machine_arns = [\"arn:aws:states:us-east-1:123:stateMachine:x\"]", `must be a state machine ARN`},
		{"name = \"t\"\ncallback_base_url = \"https://approve.example.com/?x=1\"", `must not have a query string`},
		{"name = \"t\"\ncallback_base_url = \"http://approve.example.com\"", `callback_base_url must use https \(http is accepted only for a loopback host`},
		{"name = \"t\"\nlog_retention_days = 2", `log_retention_days value must be one of`},
		{"name = \"t\"\nlambda_architecture = \"amd64\"", `lambda_architecture value must be one of`},
		{"name = \"t\"\nlambda_memory_mb = 64", `lambda_memory_mb value must be between 128 and 10240`},
		{"name = \"t\"\npermissions_boundary_arn = \"arn:aws:iam::123456789012:role/x\"", `must be an IAM policy ARN`},
		{"name = \"t\"\nkms_key_arn = \"alias/mine\"", `must be a KMS key ARN`},
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
			ExpectError: wrapped(s.want),
		})
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps:                    ts,
	})
}

// manyStateMachines lists n state machine ARNs as HCL strings, of the
// longest name a gate accepts in allowed_state_machine_arns (80 characters).
func manyStateMachines(n int) string {
	arns := make([]string, n)
	for i := range arns {
		arns[i] = fmt.Sprintf("%q", fmt.Sprintf("arn:aws:states:eu-west-1:123456789012:stateMachine:%s%03d", strings.Repeat("m", 77), i))
	}
	return strings.Join(arns, ", ")
}

// TestGateResource_policySizeAccepted: a gate allowing state machines up to the
// IAM limit plans; the limit is computed, not a count of ARNs.
func TestGateResource_policySizeAccepted(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config:             testAccGateConfig_raw("name = \"t\"\nallow_self_approval = true\nallowed_state_machine_arns = [" + manyStateMachines(30) + "]"),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
}

// wrapped compiles a pattern whose spaces match any white space, since
// terraform wraps long messages.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(pattern, " ", `\s+`))
}

// TestGateResource_validationHidesSecrets checks that an invalid secret is not
// repeated in the error.
func TestGateResource_validationHidesSecrets(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config:      testAccGateConfig_raw("name = \"t\"\nslack = { webhook_url = \"http://hooks.example.com/T0/B0/XSECRETX\" }"),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`got:\s+\(sensitive\s+value\)`),
		}},
	})
}

// testAccGateConfig_fake is a gate handled by the fake manager.
func testAccGateConfig_fake(rName string, timeoutSeconds int, extra string) string {
	return testProviderConfig() + fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name            = %[1]q
  timeout_seconds = %[3]d
  approvers       = ["U024BE7LH"]
  # A link proves no identity: with approvers and the self-approval ban, links can only reject.
  link_decisions = "reject_only"
  slack = {
    webhook_url = "https://hooks.example.com/services/T/B/X"
  }
  webhook = {
    url    = "https://hook.example.com/approvals"
    secret = "0123456789abcdef"
  }
  tags = {
    team = "core"
  }
%[2]s
}
`, rName, extra, timeoutSeconds)
}

// TestGateResource_fakeLifecycle runs create, refresh, drift repair, update,
// import and disappearance against the fake manager.
func TestGateResource_fakeLifecycle(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-fake"
	const addr = "manualapproval_gate.test"

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
				Config: testAccGateConfig_fake(rName, 3600, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(rName)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("table_name"), knownvalue.StringExact(rName+"-requests")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("slack").AtMapKey("format"), knownvalue.StringExact("blocks")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("slack").AtMapKey("api_base_url"), knownvalue.StringExact("https://slack.com/api")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("min_approvals"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("lambda_architecture"), knownvalue.StringExact("arm64")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("bundle_sha256"), knownvalue.StringExact(mustTestBundleSHA256("arm64"))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("tags_all"), knownvalue.MapExact(map[string]knownvalue.Check{
						"team": knownvalue.StringExact("core"),
					})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("drift"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("task_state_json"), knownvalue.StringRegexp(regexp.MustCompile(`"HeartbeatSeconds":3600`))),
				},
			},
			{
				// Drift found at refresh: the plan is an in-place update that repairs it.
				PreConfig: func() { m.setDrift(rName, "Lambda function "+rName+"-notifier: environment differs") },
				Config:    testAccGateConfig_fake(rName, 3600, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						// The refresh found the drift (the prior state names it),
						// and the update plans it away.
						expectDrift(addr, "Lambda function "+rName+"-notifier: environment differs"),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("drift"), knownvalue.ListSizeExact(0)),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("drift"), knownvalue.ListSizeExact(0)),
				},
			},
			{
				// A new timeout changes the Task state; the architecture changes the bundle.
				Config: testAccGateConfig_fake(rName, 7200, "lambda_architecture = \"x86_64\""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(addr, tfjsonpath.New("task_state_json")),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("bundle_sha256"), knownvalue.StringExact(mustTestBundleSHA256("x86_64"))),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("table_name"), knownvalue.StringExact(rName+"-requests")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("task_state_json"), knownvalue.StringRegexp(regexp.MustCompile(`"HeartbeatSeconds":7200`))),
				},
			},
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     rName,
				ImportStateVerify: true,
				// Secrets are not readable back.
				ImportStateVerifyIgnore: []string{"slack.webhook_url", "webhook.secret"},
			},
			{
				// Deleted outside Terraform: removed from state, planned for creation.
				PreConfig:          func() { m.remove(rName) },
				Config:             testAccGateConfig_fake(rName, 7200, "lambda_architecture = \"x86_64\""),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
				},
			},
		},
	})
}

// TestGateResource_importNotFound imports a gate that does not exist.
func TestGateResource_importNotFound(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config:        testAccGateConfig_fake("tf-acc-test-missing", 3600, ""),
			ResourceName:  "manualapproval_gate.test",
			ImportState:   true,
			ImportStateId: "tf-acc-test-missing",
			ExpectError:   regexp.MustCompile(`Cannot Import Non-Existent Approval Gate`),
		}},
	})
}

// TestGateResource_bundleMissing checks the plan error of a provider built without
// the Lambda bundle.
func TestGateResource_bundleMissing(t *testing.T) {
	t.Parallel()
	missing := func(arch string) (string, error) { return "", fmt.Errorf("bundle for %s is not embedded", arch) }
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"manualapproval": providerserver.NewProtocol6WithError(newWithFakes("test", newFakeManager(), missing)()),
		},
		Steps: []resource.TestStep{{
			Config:      testAccGateConfig_fake("tf-acc-test-bundle", 3600, ""),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`Lambda Bundle Missing(.|\n)*always a bug in the provider`),
		}},
	})
}

// TestGateResource_defaultTags checks tags_all at plan time and the default of
// slack.format for a Slack app.
func TestGateResource_defaultTags(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-tags"
	const addr = "manualapproval_gate.test"
	config := testProviderConfigWith(`
  default_tags {
    tags = {
      owner = "platform"
      team  = "default"
    }
  }`) + fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name = %[1]q
  tags = {
    team = "core"
  }
  slack = {
    bot_token      = "xoxb-123"
    channel        = "C024BE91L"
    signing_secret = "8f742231b10e8888abcd99yyyzzz85a5"
    team_id        = "T024BE7LD"
  }
  # Approve in the Slack app, which knows who clicks; links only reject.
  link_decisions = "reject_only"
}
`, rName)

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("tags_all"), knownvalue.MapExact(map[string]knownvalue.Check{
						"owner": knownvalue.StringExact("platform"),
						"team":  knownvalue.StringExact("core"),
					})),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("slack").AtMapKey("format"), knownvalue.StringExact("app")),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("task_state_json")),
				},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("tags"), knownvalue.MapExact(map[string]knownvalue.Check{
					"team": knownvalue.StringExact("core"),
				})),
			},
			Check: func(*terraform.State) error {
				spec, ok := m.spec(rName)
				if !ok {
					return fmt.Errorf("gate %s was not created", rName)
				}
				want := map[string]string{"owner": "platform", "team": "core"}
				if diff := cmp.Diff(want, spec.Tags); diff != "" {
					return fmt.Errorf("Spec.Tags (-want +got):\n%s", diff)
				}
				if spec.Slack == nil || spec.Slack.Format != "app" || spec.Slack.BotToken != "xoxb-123" {
					return fmt.Errorf("Spec.Slack = %+v, want the app wiring", spec.Slack)
				}
				return nil
			},
		}},
	})
}
