package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// Write-only secrets (Terraform >= 1.11): each secret of the gate has a
// sensitive form (stored in the plan and the state) and a write-only form
// `<name>_wo` that Terraform never stores, with an Int64 `<name>_wo_version`
// whose change makes the provider write the value again. A write-only value
// is read from the configuration in Create and Update; when it is not sent
// (an imported gate, or a version that did not change) the SSM parameter
// keeps its value.

// writeOnlySecret is one secret's sensitive and write-only forms.
type writeOnlySecret struct {
	parent    string // "slack", "webhook", "sso" or "teams"
	name      string // the sensitive form, e.g. "webhook_url"
	doc       string // what the secret is, for the descriptions
	validator validator.String
}

// wo is the name of the write-only form.
func (s writeOnlySecret) wo() string { return s.name + "_wo" }

// version is the name of the write-only form's version.
func (s writeOnlySecret) version() string { return s.name + "_wo_version" }

// full is the sensitive form's full name, e.g. "slack.webhook_url".
func (s writeOnlySecret) full(name string) string { return s.parent + "." + name }

// writeOnlySecrets are the gate's secrets, in documentation order.
var writeOnlySecrets = []writeOnlySecret{
	{parent: "slack", name: "webhook_url", doc: "Slack incoming webhook or Workflow Builder webhook URL", validator: urlValidator{sensitive: true}},
	{parent: "slack", name: "bot_token", doc: "Slack bot token (`xoxb-…`)", validator: secretMatches{re: slackBotTokenRegexp, message: "must be a Slack bot token starting with \"xoxb-\""}},
	{parent: "slack", name: "signing_secret", doc: "Signing secret of the Slack app", validator: stringvalidator.LengthAtLeast(1)},
	{parent: "webhook", name: "secret", doc: "Key of the webhook's HMAC-SHA256 signature", validator: stringvalidator.LengthAtLeast(minWebhookSecretLength)},
	{parent: "sso", name: "client_secret", doc: "Client secret of the gate at the single sign-on provider", validator: stringvalidator.LengthBetween(1, maxSSOClientSecretLength)},
	{parent: "teams", name: "webhook_url", doc: "Teams Workflows URL", validator: urlValidator{sensitive: true}},
}

// addWriteOnlySecrets adds the write-only forms and their versions to the
// slack, webhook, sso and teams attributes of the gate's schema.
func addWriteOnlySecrets(s *schema.Schema) {
	for _, sec := range writeOnlySecrets {
		parent, ok := s.Attributes[sec.parent].(schema.SingleNestedAttribute)
		if !ok {
			panic("gate schema: " + sec.parent + " is not a single nested attribute")
		}
		parent.Attributes[sec.wo()] = schema.StringAttribute{
			MarkdownDescription: fmt.Sprintf("%s, write-only: never stored in the plan or the state (Terraform 1.11 or later). "+
				"Preferred over `%s`, and conflicts with it. Requires `%s`: the value is written to its SSM SecureString parameter "+
				"when the gate is created and whenever `%s` changes; when it is not set (e.g. after an import), the stored value is kept. "+
				"It may come from an `ephemeral` variable or an ephemeral resource.",
				sec.doc, sec.name, sec.version(), sec.version()),
			Optional:   true,
			WriteOnly:  true,
			Validators: []validator.String{sec.validator},
		}
		parent.Attributes[sec.version()] = schema.Int64Attribute{
			MarkdownDescription: fmt.Sprintf("Version of `%s`: change it (e.g. increment it) to make Terraform write a new value. "+
				"Required with `%s`.", sec.wo(), sec.wo()),
			Optional:   true,
			Validators: []validator.Int64{int64validator.AtLeast(0)},
		}
		if a, ok := parent.Attributes[sec.name].(schema.StringAttribute); ok {
			a.MarkdownDescription += fmt.Sprintf(" Sensitive: it is stored in the plan and the state, and makes everything derived from the gate "+
				"sensitive; prefer the write-only `%s`.", sec.wo())
			parent.Attributes[sec.name] = a
		}
		s.Attributes[sec.parent] = parent
	}
}

// secretForms are one secret's values in a configuration: the sensitive
// form, the write-only form and its version.
type secretForms struct {
	sensitive, wo types.String
	version       types.Int64
}

// secretFormsOf returns the forms of one secret in the object obj (slack or
// webhook or sso); ok is false when obj is null or unknown.
func secretFormsOf(obj types.Object, sec writeOnlySecret) (secretForms, bool) {
	if obj.IsNull() || obj.IsUnknown() {
		return secretForms{}, false
	}
	attrs := obj.Attributes()
	str := func(name string) types.String {
		if v, ok := attrs[name].(types.String); ok {
			return v
		}
		return types.StringNull()
	}
	f := secretForms{sensitive: str(sec.name), wo: str(sec.wo()), version: types.Int64Null()}
	if v, ok := attrs[sec.version()].(types.Int64); ok {
		f.version = v
	}
	return f, true
}

// set reports whether a value is in the configuration (unknown counts).
func set(v interface{ IsNull() bool }) bool { return !v.IsNull() }

// validateWriteOnlySecrets checks each secret's forms: at most one of the
// sensitive and the write-only form, the write-only form with its version,
// and a warning recommending the write-only form. That one of them is set
// is checked when the gate is created (planWriteOnlySecrets): an imported
// gate keeps its secrets without them, so a configuration generated by
// `terraform plan -generate-config-out` validates.
func validateWriteOnlySecrets(cfg gateResourceModel, diags *diag.Diagnostics) {
	for _, sec := range writeOnlySecrets {
		f, ok := secretFormsOf(objectOf(cfg, sec.parent), sec)
		if !ok {
			continue
		}
		p := path.Root(sec.parent)
		switch {
		case set(f.sensitive) && set(f.wo):
			diags.AddAttributeError(p.AtName(sec.wo()), "Conflicting Secret Arguments",
				fmt.Sprintf("%s and %s set the same secret: use exactly one of them. Keep the write-only %s (with %s), "+
					"which never reaches the plan or the state, and remove %s.",
					sec.full(sec.name), sec.full(sec.wo()), sec.full(sec.wo()), sec.full(sec.version()), sec.full(sec.name)))
		case set(f.wo) && !set(f.version):
			diags.AddAttributeError(p.AtName(sec.version()), "Missing Write-Only Secret Version",
				fmt.Sprintf("%s needs %s: Terraform does not store write-only values, so the provider writes the secret when the gate is "+
					"created and whenever the version changes. Set %s = 1, and increment it to rotate the secret.",
					sec.full(sec.wo()), sec.full(sec.version()), sec.full(sec.version())))
		case set(f.version) && !set(f.wo):
			diags.AddAttributeError(p.AtName(sec.version()), "Missing Write-Only Secret",
				fmt.Sprintf("%s is set without %s: the version only says when to write the write-only secret. "+
					"Set %s, or remove %s.", sec.full(sec.version()), sec.full(sec.wo()), sec.full(sec.wo()), sec.full(sec.version())))
		case set(f.sensitive):
			diags.AddAttributeWarning(p.AtName(sec.name), "Sensitive Secret Stored in State",
				fmt.Sprintf("%s is stored in the Terraform plan and state, and makes every value derived from the gate sensitive "+
					"(e.g. provider::manualapproval::task_state(gate, …)). With Terraform 1.11 or later, use the write-only "+
					"%s with %s instead: it is never stored.", sec.full(sec.name), sec.full(sec.wo()), sec.full(sec.version())))
		}
	}
}

// objectOf returns the slack, webhook, sso or teams object of a model.
func objectOf(m gateResourceModel, parent string) types.Object {
	switch parent {
	case "slack":
		return m.Slack
	case "sso":
		return m.SSO
	case "teams":
		return m.Teams
	}
	return m.Webhook
}

// neededSecrets are the secrets a gate's wiring needs.
func neededSecrets(ctx context.Context, m gateResourceModel) map[string]bool {
	need := map[string]bool{}
	if !m.Slack.IsNull() && !m.Slack.IsUnknown() {
		var s gateSlackModel
		if d := m.Slack.As(ctx, &s, objectAsOptions); d.HasError() || s.Format.IsUnknown() {
			return need
		}
		if effectiveSlackFormat(s.Format.ValueString(), set(s.BotToken) || set(s.BotTokenWO)) == approval.SlackFormatApp {
			need["slack.bot_token"], need["slack.signing_secret"] = true, true
		} else {
			need["slack.webhook_url"] = true
		}
	}
	if !m.Webhook.IsNull() && !m.Webhook.IsUnknown() {
		need["webhook.secret"] = true
	}
	if !m.SSO.IsNull() && !m.SSO.IsUnknown() {
		need["sso.client_secret"] = true
	}
	if !m.Teams.IsNull() && !m.Teams.IsUnknown() {
		need["teams.webhook_url"] = true
	}
	return need
}

// planWriteOnlySecrets checks, when a gate is created, that each secret its
// wiring needs is set in one of its forms: nothing is stored yet.
func planWriteOnlySecrets(ctx context.Context, config tfsdk.Config, creating bool, diags *diag.Diagnostics) {
	if !creating {
		return
	}
	var cfg gateResourceModel
	if d := config.Get(ctx, &cfg); d.HasError() {
		return
	}
	need := neededSecrets(ctx, cfg)
	if need["webhook.secret"] {
		var w gateWebhookModel
		if d := cfg.Webhook.As(ctx, &w, objectAsOptions); !d.HasError() && w.URL.IsNull() {
			diags.AddAttributeError(path.Root("webhook").AtName("url"), "Missing Webhook URL",
				"The gate's webhook needs webhook.url to create the gate. After an import the stored URL is kept, so it may then be left out.")
		}
	}
	for _, sec := range writeOnlySecrets {
		if !need[sec.full(sec.name)] {
			continue
		}
		f, ok := secretFormsOf(objectOf(cfg, sec.parent), sec)
		if !ok || set(f.sensitive) || set(f.wo) {
			continue
		}
		summary := "Missing Secret"
		switch sec.full(sec.name) {
		case "slack.webhook_url":
			summary = "Missing Slack Webhook URL"
		case "slack.bot_token", "slack.signing_secret":
			summary = "Missing Slack App Attribute"
		case "sso.client_secret":
			summary = "Missing SSO Client Secret"
		case "teams.webhook_url":
			summary = "Missing Teams Webhook URL"
		}
		diags.AddAttributeError(path.Root(sec.parent).AtName(sec.wo()), summary,
			fmt.Sprintf("The gate's wiring needs %s to create the gate: set the write-only %s with %s = 1 (Terraform 1.11 or later), "+
				"or the sensitive %s. After an import the stored secret is kept, so it may then be left out.",
				sec.full(sec.name), sec.full(sec.wo()), sec.full(sec.version()), sec.full(sec.name)))
	}
}

// applyWriteOnlySecrets puts into spec the write-only secrets of the
// configuration that must be written: all of them when the gate is created
// (prior is nil), and on update those whose version changed. A secret not
// written stays "" in spec: the gate keeps the stored value.
func applyWriteOnlySecrets(ctx context.Context, config tfsdk.Config, prior *gateResourceModel, spec *gate.Spec) diag.Diagnostics {
	var diags diag.Diagnostics
	var cfg gateResourceModel
	diags.Append(config.Get(ctx, &cfg)...)
	if diags.HasError() {
		return diags
	}
	for _, sec := range writeOnlySecrets {
		f, ok := secretFormsOf(objectOf(cfg, sec.parent), sec)
		if !ok || f.wo.IsNull() || f.wo.IsUnknown() {
			continue
		}
		if prior != nil {
			if old, ok := secretFormsOf(objectOf(*prior, sec.parent), sec); ok && old.version.Equal(f.version) {
				continue
			}
		}
		v := f.wo.ValueString()
		switch sec.full(sec.name) {
		case "slack.webhook_url":
			if spec.Slack != nil {
				spec.Slack.WebhookURL = v
			}
		case "slack.bot_token":
			if spec.Slack != nil {
				spec.Slack.BotToken = v
			}
		case "slack.signing_secret":
			if spec.Slack != nil {
				spec.Slack.SigningSecret = v
			}
		case "webhook.secret":
			if spec.Webhook != nil {
				spec.Webhook.Secret = v
			}
		case "sso.client_secret":
			if spec.SSO != nil {
				spec.SSO.ClientSecret = v
			}
		case "teams.webhook_url":
			if spec.Teams != nil {
				spec.Teams.WebhookURL = v
			}
		}
	}
	return diags
}

// orWriteOnly is the sensitive form of a secret, or its write-only form
// when the sensitive one is null: which of them a check sees as set.
func orWriteOnly(sensitive, wo types.String) types.String {
	if sensitive.IsNull() {
		return wo
	}
	return sensitive
}
