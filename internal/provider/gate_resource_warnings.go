package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// warnGateReach warns, at plan time, about a gate that notifies nobody, and
// about approvers that no channel of the gate can check. Unknown values are
// not judged.
func warnGateReach(ctx context.Context, cfg gateResourceModel, diags *diag.Diagnostics) {
	for _, v := range []interface{ IsUnknown() bool }{cfg.Slack, cfg.Webhook, cfg.Teams, cfg.EmailAddresses, cfg.SMSNumbers, cfg.Approvers} {
		if v.IsUnknown() {
			return
		}
	}
	empty := func(n int, null bool) bool { return null || n == 0 }
	if cfg.Slack.IsNull() && cfg.Webhook.IsNull() && cfg.Teams.IsNull() &&
		empty(len(cfg.EmailAddresses.Elements()), cfg.EmailAddresses.IsNull()) &&
		empty(len(cfg.SMSNumbers.Elements()), cfg.SMSNumbers.IsNull()) {
		diags.AddWarning("Approval Gate Notifies Nobody",
			"The gate has no slack, teams, webhook, email_addresses or sms_numbers: an approval request reaches nobody, and the state machine waits "+
				"until timeout_seconds unless something subscribes to the gate's topic_arn outside this configuration. "+
				"Add a notification channel, or subscribe to topic_arn.")
	}
	if empty(len(cfg.Approvers.Elements()), cfg.Approvers.IsNull()) {
		return
	}
	if ok, known := approversVerifiable(ctx, cfg); known && !ok {
		diags.AddAttributeWarning(path.Root("approvers"), "Approvers Cannot Be Checked",
			"approvers is set, but no channel of the gate can tell who decides: only the Slack app wiring (slack.format \"app\") "+
				"checks the clicking user, single sign-on (sso) the person opening a link, and the api block the token's identity; "+
				"a bare link sent by Slack webhook, Teams, e-mail, SMS or webhook proves none. "+
				"Use the Slack app wiring (bot_token, channel, signing_secret), add sso or api, or remove approvers.")
	}
}

// approversVerifiable reports whether some channel of the gate can tell who
// decides: the Slack app wiring (slack.format "app") checks the clicking
// user, single sign-on (sso) the person opening a link, the api block the
// token's identity; a bare link proves none. known is false while the Slack
// wiring is unknown. The gate's approvers and the escalation steps'
// approvers (gate_resource_escalation.go) are judged by it alike.
func approversVerifiable(ctx context.Context, cfg gateResourceModel) (verifiable, known bool) {
	if !cfg.SSO.IsNull() || !cfg.API.IsNull() {
		return true, true
	}
	return gateSlackApp(ctx, cfg)
}

// gateSlackApp reports whether the gate's Slack wiring is the Slack app
// (format "app"); known is false while that is unknown.
func gateSlackApp(ctx context.Context, cfg gateResourceModel) (app, known bool) {
	if cfg.Slack.IsUnknown() {
		return false, false
	}
	if cfg.Slack.IsNull() {
		return false, true
	}
	var s gateSlackModel
	if d := cfg.Slack.As(ctx, &s, objectAsOptions); d.HasError() || s.Format.IsUnknown() {
		return false, false
	}
	return effectiveSlackFormat(s.Format.ValueString(), set(orWriteOnly(s.BotToken, s.BotTokenWO))) == approval.SlackFormatApp, true
}
