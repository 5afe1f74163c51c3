package lambda

import (
	"context"
	"errors"
)

// errTeamsNotConfigured is postTeams's answer for a gate without Teams.
var errTeamsNotConfigured = errors.New("teams: no Workflows URL configured")

// postTeams posts a rendered Teams card (approval.TeamsCard,
// TeamsReminderCard, TeamsDecisionCard, TeamsStoppedCard) to the gate's
// Teams Workflows URL, read from SSM with the other secrets on first use. It
// retries 429 and 5xx answers with backoff, honouring Retry-After, as every
// outgoing post does (postJSON). The trigger answers 202 Accepted; the URL,
// a secret, never appears in the error.
func (b *Base) postTeams(ctx context.Context, card []byte) error {
	if b.Config.ParamTeamsWebhookURL == "" {
		return errTeamsNotConfigured
	}
	sec, err := b.loadSecrets(ctx)
	if err != nil {
		return err
	}
	if sec.TeamsWebhookURL == "" {
		return errTeamsNotConfigured
	}
	return b.postJSON(ctx, sec.TeamsWebhookURL, card, nil, nil)
}
