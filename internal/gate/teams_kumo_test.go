package gate_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// TestGate_teams: adding teams writes its URL as a SecureString; an update
// without the URL keeps it; an import finds the teams block (not its URL);
// removing teams deletes the parameter.
func TestGate_teams(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	spec := testSpec(name)
	if _, err := m.Create(ctx, spec); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), name) })
	pname := "/manualapproval/" + name + "/teams-webhook-url"
	param := func() (*ssmtypes.Parameter, error) {
		out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(pname), WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, err
		}
		return out.Parameter, nil
	}
	const url = "https://prod-01.westeurope.logic.azure.com/workflows/f1/triggers/manual/paths/invoke?sig=ONE"

	with := testSpec(name)
	with.Teams = &gate.TeamsSpec{WebhookURL: url}
	if _, err := m.Update(ctx, with, nil); err != nil {
		t.Fatalf("update adding teams: %v", err)
	}
	if p, err := param(); err != nil || p.Type != ssmtypes.ParameterTypeSecureString || aws.ToString(p.Value) != url {
		t.Fatalf("Teams parameter after adding teams: %+v, %v", p, err)
	}

	kept := testSpec(name)
	kept.Teams = &gate.TeamsSpec{}
	kept.Slack.WebhookURL, kept.Webhook.Secret = "", ""
	if _, err := m.Update(ctx, kept, nil); err != nil {
		t.Fatalf("update without the URL: %v", err)
	}
	if p, err := param(); err != nil || aws.ToString(p.Value) != url {
		t.Fatalf("Teams parameter after an update without it: %+v, %v", p, err)
	}
	if st, err := m.Read(ctx, kept); err != nil || len(st.Drift) != 0 {
		t.Errorf("read: drift %v, err %v", st.Drift, err)
	}
	imported, _, err := m.Import(ctx, name)
	if err != nil || imported.Teams == nil || imported.Teams.WebhookURL != "" {
		t.Errorf("import: teams %+v, err %v", imported.Teams, err)
	}

	if _, err := m.Update(ctx, testSpec(name), nil); err != nil {
		t.Fatalf("update removing teams: %v", err)
	}
	if p, err := param(); err == nil {
		t.Errorf("the Teams parameter is left after removing teams: %+v", p)
	}
}
