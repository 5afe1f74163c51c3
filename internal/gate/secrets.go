package gate

import (
	"slices"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// kindParams are the suffixes of the SSM parameters the function of kind
// reads: its role may read these and no others, and its environment names
// only these. The notifier posts: it signs links and holds the posting
// secrets (the Slack webhook URL or bot token, the webhook secret, the Teams
// Workflows URL). The callback decides: it verifies links, verifies Slack's
// signature, and, for a Slack app, updates the message and answers the
// clicker with the bot token; it posts Teams follow-up cards. With reminders
// or a last call the callback's sweep posts too, so it also holds the
// posting secrets of the channels it re-notifies.
func kindParams(spec Spec, kind string) []string {
	p := []string{paramConfig, paramSigningKey}
	sl, wh := spec.Slack, spec.Webhook
	app := sl != nil && sl.Format == approval.SlackFormatApp
	switch kind {
	case kindNotifier:
		switch {
		case app:
			p = append(p, paramSlackBotToken)
		case sl != nil:
			p = append(p, paramSlackWebhook)
		}
		if wh != nil {
			p = append(p, paramWebhookSecret, paramWebhookURL)
		}
		if spec.Teams != nil {
			p = append(p, paramTeamsWebhookURL)
		}
	case kindCallback:
		if app {
			p = append(p, paramSlackBotToken, paramSlackSigning)
		}
		if remindsChannels(spec) {
			if sl != nil && !app {
				p = append(p, paramSlackWebhook)
			}
			if wh != nil {
				p = append(p, paramWebhookSecret, paramWebhookURL)
			}
		}
		if spec.SSO != nil {
			p = append(p, paramSSOClientSecret)
		}
		if spec.Teams != nil {
			// The callback posts Teams follow-up cards: reminders and
			// escalations from the sweep, decisions when they are made.
			p = append(p, paramTeamsWebhookURL)
		}
		if hasEscalationWebhooks(spec) { // the sweep escalates
			p = append(p, paramEscalationWebhooks)
		}
	}
	return p
}

// scopeSecrets drops from c the parameters the function of kind must not read.
func scopeSecrets(spec Spec, kind string, c *approval.Config) {
	own := kindParams(spec, kind)
	for suffix, field := range map[string]*string{
		paramSigningKey:      &c.ParamSigningKey,
		paramSlackWebhook:    &c.ParamSlackWebhook,
		paramSlackBotToken:   &c.ParamSlackBotToken,
		paramSlackSigning:    &c.ParamSlackSigning,
		paramWebhookSecret:   &c.ParamWebhookSecret,
		paramWebhookURL:      &c.ParamWebhookURL,
		paramSSOClientSecret: &c.ParamSSOClientSecret,
		paramTeamsWebhookURL: &c.ParamTeamsWebhookURL,
		paramConfig:          &c.ParamConfig,

		paramEscalationWebhooks: &c.ParamEscalationWebhooks,
	} {
		if !slices.Contains(own, suffix) {
			*field = ""
		}
	}
}

// paramARNs are the ARNs of the parameters the function of kind reads.
func (a arns) paramARNs(spec Spec, kind string) []string {
	var out []string
	for _, suffix := range kindParams(spec, kind) {
		out = append(out, a.base("ssm")+"parameter"+a.n.param(suffix))
	}
	slices.Sort(out)
	return out
}
