package gate

import (
	"strings"
	"testing"
)

// TestTeams_secret: the Teams Workflows URL is a SecureString parameter
// both functions name (the notifier posts the card, the callback the
// follow-ups), and never a value in either environment.
func TestTeams_secret(t *testing.T) {
	t.Parallel()
	const url = "https://prod-1.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRETSIG"
	spec := Spec{Name: "g", MinApprovals: 1, TimeoutSeconds: 60, Teams: &TeamsSpec{WebhookURL: url}}
	r := &run{spec: spec, n: names{spec.Name}}
	if v, ok := r.secrets()[paramTeamsWebhookURL]; !ok || v != url {
		t.Fatalf("secrets() = %v", r.secrets())
	}
	for _, kind := range kinds {
		c := r.handlerConfig(kind, "", "https://x")
		if c.ParamTeamsWebhookURL != "/manualapproval/g/teams-webhook-url" {
			t.Errorf("%s: ParamTeamsWebhookURL = %q", kind, c.ParamTeamsWebhookURL)
		}
		for k, v := range c.Env() {
			if strings.Contains(v, "SECRETSIG") || strings.Contains(v, "logic.azure.com") {
				t.Errorf("%s: environment %s holds the URL", kind, k)
			}
		}
	}
	none := &run{spec: Spec{Name: "g", MinApprovals: 1, TimeoutSeconds: 60}, n: names{"g"}}
	if _, ok := none.secrets()[paramTeamsWebhookURL]; ok || none.handlerConfig(kindNotifier, "", "https://x").ParamTeamsWebhookURL != "" {
		t.Error("a gate without teams has a Teams parameter")
	}
}
