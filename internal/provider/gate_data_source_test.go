package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestAccGateDataSource_basic: a gate owned elsewhere is found by name and
// gives what a state machine needs, equal to what its resource says.
func TestAccGateDataSource_basic(t *testing.T) {
	testAccPreCheck(t)
	rName := acctest.RandomName()
	owner := testAccGateConfig_basic(rName)
	// No secret is read: the output built from the data source needs no
	// `sensitive = true` (terraform refuses an output of a sensitive value
	// without it), although the gate has sensitive secrets.
	reader := owner + `
data "manualapproval_gate" "test" {
  name = manualapproval_gate.test.name
}

output "task_state" {
  value = data.manualapproval_gate.test.task_state_json
}
`
	same := func(attr string) statecheck.StateCheck {
		return statecheck.CompareValuePairs("manualapproval_gate.test", tfjsonpath.New(attr),
			"data.manualapproval_gate.test", tfjsonpath.New(attr), compare.ValuesSame())
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckGateDestroy(t),
		Steps: []resource.TestStep{
			{Config: owner},
			{
				Config: reader,
				ConfigStateChecks: []statecheck.StateCheck{
					same("task_state_json"), same("state_machine_policy_json"), same("callback_url"),
					same("notifier_function_arn"), same("callback_function_arn"), same("notifier_role_arn"),
					same("callback_role_arn"), same("topic_arn"), same("table_name"), same("timeout_seconds"),
					same("description"), same("tags"),
					statecheck.ExpectKnownValue("data.manualapproval_gate.test", tfjsonpath.New("id"), knownvalue.StringExact(rName)),
					statecheck.ExpectKnownValue("data.manualapproval_gate.test", tfjsonpath.New("region"), knownvalue.StringExact("us-east-1")),
					statecheck.ExpectKnownValue("data.manualapproval_gate.test", tfjsonpath.New("api_url"), knownvalue.Null()),
					statecheck.ExpectKnownValue("data.manualapproval_gate.test", tfjsonpath.New("drift"), knownvalue.ListSizeExact(0)),
				},
			},
		},
	})
}

// TestAccGateDataSource_notFound: a name no gate has is a clear error.
func TestAccGateDataSource_notFound(t *testing.T) {
	testAccPreCheck(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccConfig(`
data "manualapproval_gate" "missing" {
  name = "no-such-gate-here"
}
`),
			ExpectError: regexp.MustCompile(`Approval Gate Not Found(.|\n)*No approval gate named "no-such-gate-here"`),
		}, {
			Config: testAccConfig(`
data "manualapproval_gate" "bad" {
  name = "not a name"
}
`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`letters, digits, hyphens and underscores`),
		}},
	})
}
