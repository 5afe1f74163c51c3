package gate_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// TestGate_ignoreTags: tags added out of band (an organisation's tag policy)
// whose keys the provider ignores are neither drift nor removed by an
// update; other tags added out of band are both.
func TestGate_ignoreTags(t *testing.T) {
	_, cfg := newManager(t)
	m := gate.NewFromConfig(cfg, gate.Env{
		Partition: "aws", Region: acctest.Region, AccountID: "000000000000", APIGatewayEndpoint: local.Endpoint(),
		IgnoreTags: gate.IgnoreTags{Keys: []string{"CostCenter"}, KeyPrefixes: []string{"org:"}},
	})
	ctx := t.Context()
	name := acctest.RandomName()
	spec := testSpec(name)
	if _, err := m.Create(ctx, spec); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), name) })

	fnARN := "arn:aws:lambda:" + acctest.Region + ":000000000000:function:" + name + "-notifier"
	lc := lambda.NewFromConfig(cfg)
	if _, err := lc.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(fnARN), Tags: map[string]string{
		"CostCenter": "42", "org:owner": "finance",
	}}); err != nil {
		t.Fatal(err)
	}
	ic := iam.NewFromConfig(cfg)
	if _, err := ic.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(name + "-callback"), Tags: []iamtypes.Tag{
		{Key: aws.String("org:policy"), Value: aws.String("p1")},
	}}); err != nil {
		t.Fatal(err)
	}

	st, err := m.Read(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Drift) != 0 || len(st.DriftParts) != 0 || st.Observed.Tags != nil {
		t.Errorf("ignored tags differ: drift %v in %v, observed tags %v", st.Drift, st.DriftParts, st.Observed.Tags)
	}

	// A tag not ignored is drift.
	if _, err := lc.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(fnARN), Tags: map[string]string{"stray": "x"}}); err != nil {
		t.Fatal(err)
	}
	st, err = m.Read(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	// It is read back as the gate's tags (the ignored ones left out), and
	// the next update converges the notifier.
	if st.Observed.Tags["stray"] != "x" || st.Observed.Tags["team"] != "platform" || st.Observed.Tags["CostCenter"] != "" ||
		!slices.Contains(st.DriftParts, "function:notifier") {
		t.Errorf("a stray tag is not read back: observed tags %v, parts %v", st.Observed.Tags, st.DriftParts)
	}

	// The repair removes the stray tag and keeps the ignored ones.
	if _, err := m.Update(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	tags, err := lc.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(fnARN)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tags.Tags["stray"]; ok {
		t.Errorf("the stray tag survived the update: %v", tags.Tags)
	}
	if tags.Tags["CostCenter"] != "42" || tags.Tags["org:owner"] != "finance" || tags.Tags["team"] != "platform" {
		t.Errorf("function tags after the update = %v, want the ignored ones kept and the gate's own", tags.Tags)
	}
	role, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name + "-callback")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(role.Role.Tags, func(tg iamtypes.Tag) bool { return aws.ToString(tg.Key) == "org:policy" }) {
		t.Errorf("the ignored role tag was removed: %v", role.Role.Tags)
	}

	// An import does not take ignored tags into the configuration.
	imported, _, err := m.Import(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	for k := range imported.Tags {
		if k == "CostCenter" || strings.HasPrefix(k, "org:") {
			t.Errorf("import took the ignored tag %s", k)
		}
	}
}
