package gate

import (
	"slices"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// kindParams are the suffixes of the SSM parameters the function of kind
// reads: its role may read these and no others, and its environment names
// only these. The notifier posts: it signs links and holds the posting
// secrets (the Slack webhook URL or bot token, the webhook secret). The
// callback decides: it verifies links, verifies Slack's signature, and, for a
// Slack app, updates the message and answers the clicker with the bot token.
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
	case kindCallback:
		if app {
			p = append(p, paramSlackBotToken, paramSlackSigning)
		}
		if spec.SSO != nil {
			p = append(p, paramSSOClientSecret)
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
