package gate_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestGate_secretNotGivenIsKept: an update without a secret (an imported
// gate, or a write-only secret whose version did not change) leaves the
// stored value alone; a given secret is written; a gate created without a
// secret its wiring needs is refused.
func TestGate_secretNotGivenIsKept(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	spec := testSpec(name)
	if _, err := m.Create(ctx, spec); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), name) })

	param := func(suffix string) string {
		t.Helper()
		out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{
			Name: aws.String("/manualapproval/" + name + "/" + suffix), WithDecryption: aws.Bool(true),
		})
		if err != nil {
			t.Fatalf("reading parameter %s: %v", suffix, err)
		}
		return aws.ToString(out.Parameter.Value)
	}

	// Not given: kept, even with other changes.
	kept := testSpec(name)
	kept.TimeoutSeconds = 7200
	kept.Slack.WebhookURL, kept.Webhook.Secret = "", ""
	if _, err := m.Update(ctx, kept, nil); err != nil {
		t.Fatalf("update without secrets: %v", err)
	}
	if got := param("slack-webhook-url"); got != spec.Slack.WebhookURL {
		t.Errorf("Slack webhook parameter = %q after an update without it, want the stored %q", got, spec.Slack.WebhookURL)
	}
	if got := param("webhook-secret"); got != spec.Webhook.Secret {
		t.Errorf("webhook secret parameter = %q after an update without it, want the stored %q", got, spec.Webhook.Secret)
	}
	st, err := m.Read(ctx, kept)
	if err != nil || len(st.Drift) != 0 {
		t.Errorf("read after an update without secrets: drift %v, err %v", st.Drift, err)
	}

	// Given: written.
	rotated := testSpec(name)
	rotated.Webhook.Secret = "fedcba9876543210fedcba"
	rotated.Slack.WebhookURL = ""
	if _, err := m.Update(ctx, rotated, nil); err != nil {
		t.Fatalf("update with a new webhook secret: %v", err)
	}
	if got := param("webhook-secret"); got != rotated.Webhook.Secret {
		t.Errorf("webhook secret parameter = %q, want the new %q", got, rotated.Webhook.Secret)
	}
	if got := param("slack-webhook-url"); got != spec.Slack.WebhookURL {
		t.Errorf("Slack webhook parameter = %q, want the stored %q", got, spec.Slack.WebhookURL)
	}

	// A new gate has nothing stored: a missing secret is an error, and
	// nothing is left behind.
	other := testSpec(acctest.RandomName())
	other.Webhook.Secret = ""
	if _, err := m.Create(ctx, other); err == nil {
		_ = m.Delete(context.Background(), other.Name)
		t.Fatal("create without the webhook secret succeeded")
	}
	if parts := mustParts(t, cfg, other.Name); len(parts) != 0 {
		t.Errorf("parts left after a refused create: %v", parts)
	}
}
