package gate_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// manyApprovers is a spec with 200 e-mail approvers and as many allowed
// state machines (up to 60) as the IAM policy cap allows.
func manyApprovers(name string) gate.Spec {
	spec := testSpec(name)
	spec.Approvers = nil
	for i := range 200 {
		spec.Approvers = append(spec.Approvers, fmt.Sprintf("a%03d@ex.io", i))
	}
	for i := range 60 {
		next := append(slices.Clone(spec.AllowedStateMachineARNs), fmt.Sprintf("arn:aws:states:us-east-1:000000000000:stateMachine:sm-%02d", i))
		if _, chars := gate.LargestRolePolicy(gate.Spec{Name: name, AllowedStateMachineARNs: next}); chars > approval.MaxPolicyChars {
			break
		}
		spec.AllowedStateMachineARNs = next
	}
	return spec
}

// TestGate_configDocument: the lists that can grow live in the gate's
// configuration parameter, not in the functions' environment (4 KB); the
// parameter is drift-checked by value, repaired, imported and deleted.
func TestGate_configDocument(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	spec := manyApprovers(name)
	if len(spec.AllowedStateMachineARNs) < 20 {
		t.Fatalf("only %d state machines fit the IAM policy", len(spec.AllowedStateMachineARNs))
	}
	t.Logf("%d approvers, %d allowed state machines, a %d-byte document", len(spec.Approvers), len(spec.AllowedStateMachineARNs), len(gate.ConfigDoc(spec).Render()))
	if _, err := m.Create(ctx, spec); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), name) })

	param := "/manualapproval/" + name + "/config"
	c := ssm.NewFromConfig(cfg)
	got, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param)})
	if err != nil {
		t.Fatalf("reading %s: %v", param, err)
	}
	doc, err := approval.ParseConfigDoc(aws.ToString(got.Parameter.Value))
	if err != nil || len(doc.Approvers) != 200 || len(doc.AllowedStateMachineARNs) != len(spec.AllowedStateMachineARNs) {
		t.Fatalf("%s holds %d approvers and %d state machines (%v)", param, len(doc.Approvers), len(doc.AllowedStateMachineARNs), err)
	}
	if got.Parameter.Type != ssmtypes.ParameterTypeString {
		t.Errorf("%s is a %s, want a String", param, got.Parameter.Type)
	}
	for _, kind := range []string{"notifier", "callback"} {
		fn, err := lambda.NewFromConfig(cfg).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name + "-" + kind)})
		if err != nil {
			t.Fatal(err)
		}
		size := 0
		for k, v := range fn.Environment.Variables {
			size += len(k) + len(v)
		}
		env := fmt.Sprint(fn.Environment.Variables)
		if size > 4096 || strings.Contains(env, "a000@ex.io") || strings.Contains(env, "sm-00") || fn.Environment.Variables[approval.EnvParamConfig] != param {
			t.Errorf("%s environment (%d bytes) carries the lists or misses the parameter: %s", kind, size, env)
		}
	}
	if st, err := m.Read(ctx, spec); err != nil || len(st.Drift) != 0 {
		t.Fatalf("read after create: drift %v, err %v", st.Drift, err)
	}

	// Changed out of band: drift, and an update writes it back.
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String(`{"approvers":["mallory@ex.io"]}`),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	st, err := m.Read(ctx, spec)
	if err != nil || !slices.ContainsFunc(st.Drift, func(d string) bool { return strings.Contains(d, param) }) {
		t.Fatalf("read after the parameter changed: drift %v, err %v", st.Drift, err)
	}
	if _, err := m.Update(ctx, spec, nil); err != nil {
		t.Fatalf("update: %v", err)
	}
	if st, err := m.Read(ctx, spec); err != nil || len(st.Drift) != 0 {
		t.Fatalf("read after repair: drift %v, err %v", st.Drift, err)
	}

	// Import reads the lists back from the parameter.
	imp, _, err := m.Import(ctx, name)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	want := gate.ConfigDoc(spec).Render()
	if gotDoc := gate.ConfigDoc(imp).Render(); gotDoc != want {
		t.Errorf("imported lists differ:\n got %s\nwant %s", gotDoc, want)
	}

	// Deleted: missing is drift, and an update re-creates it.
	if _, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(param)}); err != nil {
		t.Fatal(err)
	}
	if st, err := m.Read(ctx, spec); err != nil || !slices.ContainsFunc(st.Drift, func(d string) bool { return strings.Contains(d, param+": missing") }) {
		t.Fatalf("read after the parameter was deleted: drift %v, err %v", st.Drift, err)
	}
	if _, err := m.Update(ctx, spec, nil); err != nil {
		t.Fatalf("update: %v", err)
	}
	if st, err := m.Read(ctx, spec); err != nil || len(st.Drift) != 0 {
		t.Fatalf("read after repair: drift %v, err %v", st.Drift, err)
	}
}

// A document SSM cannot store is refused before anything is created.
func TestGate_configDocumentTooLarge(t *testing.T) {
	m, cfg := newManager(t)
	name := acctest.RandomName()
	spec := testSpec(name)
	for i := range 400 {
		spec.Approvers = append(spec.Approvers, fmt.Sprintf("approver%03d@example.com", i))
	}
	_, err := m.Create(t.Context(), spec)
	if err == nil || !strings.Contains(err.Error(), "8192") {
		_ = m.Delete(context.Background(), name)
		t.Fatalf("create = %v, want a refusal naming the 8192-byte limit", err)
	}
	if parts := mustParts(t, cfg, name); len(parts) != 0 {
		t.Errorf("%d parts left after the refusal:\n%s", len(parts), strings.Join(parts, "\n"))
	}
}
