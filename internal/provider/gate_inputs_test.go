package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// testAccGateConfig_inputs is a gate with require_reason and inputs (HCL of
// the inputs list).
func testAccGateConfig_inputs(rName, reason, inputs string) string {
	return testProviderConfig() + fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                = %[1]q
  allow_self_approval = true
  require_reason      = %[2]q
  inputs              = %[3]s
}
`, rName, reason, inputs)
}

// TestGateResource_inputsValidation: each bad reason or input is refused at plan
// time with a message that says what is wrong.
func TestGateResource_inputsValidation(t *testing.T) {
	t.Parallel()
	elevenInputs := make([]string, approval.MaxInputs+1)
	for i := range elevenInputs {
		elevenInputs[i] = fmt.Sprintf(`{ name = "i%d", type = "bool" }`, i)
	}
	manyChoices := make([]string, approval.MaxInputChoices+1)
	for i := range manyChoices {
		manyChoices[i] = fmt.Sprintf("%q", fmt.Sprintf("c%d", i))
	}
	longDescriptions := make([]string, approval.MaxInputs)
	for i := range longDescriptions {
		longDescriptions[i] = fmt.Sprintf(`{ name = "i%d", type = "string", description = %q }`, i, strings.Repeat("d", approval.MaxInputDescriptionRunes))
	}
	steps := []struct {
		reason, inputs, want string
	}{
		{"sometimes", `[]`, `require_reason value must be one of: \["never" "reject" "always"\]`},
		{"never", `[{ name = "a", type = "date" }]`, `input "a" has type "date": the type must be one of "string", "number", "bool", "choice"`},
		{"never", `[{ name = "a", type = "bool" }, { name = "a", type = "string" }]`, `input name "a" is used twice \(inputs 0 and 1\): names must be distinct`},
		{"never", `[{ name = "Ticket", type = "string" }]`, `input name "Ticket" must be 1 to 40 characters: a lower-case letter, then lower-case letters, digits and underscores`},
		{"never", `[{ name = "ticket-id", type = "string" }]`, `input name "ticket-id" must be 1 to 40 characters`},
		{"never", `[{ name = "", type = "string" }]`, `the input has no name`},
		{"never", `[{ name = "a", type = "string", choices = ["x"] }]`, `input "a" has type "string", which takes no choices: remove choices, or set type = "choice"`},
		{"never", `[{ name = "a", type = "choice" }]`, `input "a" is a choice: give its choices \(1 to 25 values\)`},
		{"never", `[{ name = "a", type = "choice", choices = [] }]`, `input "a" is a choice: give its choices`},
		{"never", `[{ name = "a", type = "choice", choices = ["x", "x"] }]`, `input "a": choice "x" is listed twice`},
		{"never", `[{ name = "a", type = "choice", choices = [" x"] }]`, `choice " x" must be non-empty and have no leading or trailing spaces`},
		{"never", `[{ name = "a", type = "choice", choices = [` + strings.Join(manyChoices, ",") + `] }]`, `input "a" has 26 choices: at most 25`},
		{"never", `[` + strings.Join(elevenInputs, ",") + `]`, `a gate asks for at most 10 inputs, got 11: keep the values the workflow really needs`},
		{"never", `[{ name = "a", type = "bool", label = "` + strings.Repeat("l", approval.MaxInputLabelRunes+1) + `" }]`, `the label of input "a" must be at most 100 characters`},
		{"never", `[` + strings.Join(longDescriptions, ",") + `]`, `more than the 2048 that fit in the functions' environment`},
	}
	var ts []resource.TestStep
	for _, s := range steps {
		ts = append(ts, resource.TestStep{
			Config:      testAccGateConfig_inputs("t", s.reason, s.inputs),
			PlanOnly:    true,
			ExpectError: wrapped(s.want),
		})
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps:                    ts,
	})
}

// TestGateResource_inputs creates, updates and imports a gate with a reason rule
// and inputs; the manager gets them in the Spec.
func TestGateResource_inputs(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-inputs"
	const addr = "manualapproval_gate.test"
	inputs := `[
    { name = "ticket", type = "string", required = true, label = "Change ticket", description = "OPS-…" },
    { name = "env", type = "choice", choices = ["staging", "prod"] },
    { name = "confirm", type = "bool", required = true },
  ]`
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		CheckDestroy: func(*terraform.State) error {
			if _, ok := m.spec(rName); ok {
				return fmt.Errorf("gate %s still exists", rName)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: testAccGateConfig_inputs(rName, "reject", inputs),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("require_reason"), knownvalue.StringExact("reject")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("inputs").AtSliceIndex(1).AtMapKey("required"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("inputs").AtSliceIndex(1).AtMapKey("choices"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("staging"), knownvalue.StringExact("prod")})),
					checkSpec(m, rName, func(s gate.Spec) error {
						want := []approval.InputSpec{
							{Name: "ticket", Type: "string", Required: true, Label: "Change ticket", Description: "OPS-…"},
							{Name: "env", Type: "choice", Choices: []string{"staging", "prod"}},
							{Name: "confirm", Type: "bool", Required: true},
						}
						if diff := cmp.Diff(want, s.Inputs); diff != "" || s.RequireReason != "reject" {
							return fmt.Errorf("spec inputs (-want +got):\n%s\nrequire_reason %q", diff, s.RequireReason)
						}
						return nil
					}),
				},
			},
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     rName,
				ImportStateVerify: true,
			},
			{
				// Without inputs and with the default reason rule.
				Config: testProviderConfig() + fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                = %[1]q
  allow_self_approval = true
}
`, rName),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("require_reason"), knownvalue.StringExact("never")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("inputs"), knownvalue.Null()),
					checkSpec(m, rName, func(s gate.Spec) error {
						if s.Inputs != nil || s.RequireReason != "" {
							return fmt.Errorf("spec keeps inputs %v, require_reason %q", s.Inputs, s.RequireReason)
						}
						return nil
					}),
				},
			},
		},
	})
}

// checkSpec is a state check over the Spec the fake manager holds.
func checkSpec(m *fakeManager, name string, f func(gate.Spec) error) statecheck.StateCheck {
	return specCheck{m: m, name: name, f: f}
}

type specCheck struct {
	m    *fakeManager
	name string
	f    func(gate.Spec) error
}

func (c specCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	s, ok := c.m.spec(c.name)
	if !ok {
		resp.Error = fmt.Errorf("no gate %s", c.name)
		return
	}
	resp.Error = c.f(s)
}

func TestModelFromSpec_inputs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	spec := gate.Spec{
		Name: "deploy", Tags: map[string]string{}, TimeoutSeconds: 600, MinApprovals: 1, RequesterPath: "$.requested_by",
		IncludeExecutionContext: true, LogRetentionDays: 30, Architecture: "arm64", MemoryMB: 128,
		RequireReason: approval.ReasonAlways, LinkDecisions: approval.LinkDecisionsAny,
		Inputs: []approval.InputSpec{
			{Name: "ticket", Type: approval.InputString, Required: true, Label: "Ticket"},
			{Name: "env", Type: approval.InputChoice, Choices: []string{"a", "b"}, Description: "where"},
		},
	}
	m := modelFromSpec(spec, gate.Status{Found: true}, nil)
	back, diags := gateSpec(ctx, m, nil)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if diff := cmp.Diff(spec, back); diff != "" {
		t.Errorf("gateSpec(modelFromSpec(spec)) (-want +got):\n%s", diff)
	}
}
