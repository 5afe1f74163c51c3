package provider

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// testTaskStateWriteOnlyGate is a gate whose Slack URL is write-only: it is
// never stored, but the gate object still carries the sensitive mark of the
// (null) slack.webhook_url, as Terraform marks a schema's sensitive
// attributes whatever their value.
const testTaskStateWriteOnlyGate = `
resource "manualapproval_gate" "wo" {
  name            = "tf-fn-wo"
  timeout_seconds = 3600
  slack = {
    webhook_url_wo         = "https://hooks.slack.com/services/T000/B000/XXXX"
    webhook_url_wo_version = 1
  }
  include_execution_context = false
  allow_self_approval       = true
}
`

// TestTaskStateFunction_notSensitive builds a state machine definition with
// the recommended call form, task_state(gate.task_state_json, …), from a
// gate with a write-only secret, and outputs it without `sensitive = true`:
// Terraform refuses a root output that holds a sensitive value ("Output
// refers to sensitive values"), so the step fails if the result is marked.
// The definition is the one the whole gate gives.
func TestTaskStateFunction_notSensitive(t *testing.T) {
	t.Parallel()
	opts := approval.TaskStateOptions{Next: "Deploy", CatchRejected: "Rejected", OnTimeout: "TimedOut", OmitExecutionContext: true}
	approve, err := approval.TaskState(testFakeNotifierARN("tf-fn-wo"), 3600, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"StartAt": "Approve",
		"States": map[string]any{
			"Approve":  approve,
			"Deploy":   map[string]any{"Type": "Succeed"},
			"Rejected": map[string]any{"Type": "Fail"},
			"TimedOut": map[string]any{"Type": "Fail"},
		},
	}
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config: testProviderConfig() + testTaskStateWriteOnlyGate + `
locals {
  options = { next = "Deploy", catch_rejected = "Rejected", on_timeout = "TimedOut" }
  definition = {
    StartAt = "Approve"
    States = {
      Approve  = provider::manualapproval::task_state(manualapproval_gate.wo.task_state_json, local.options)
      Deploy   = { Type = "Succeed" }
      Rejected = { Type = "Fail" }
      TimedOut = { Type = "Fail" }
    }
  }
}
output "definition" {
  value = local.definition
}
output "definition_json" {
  value = jsonencode(local.definition)
}
output "same_as_whole_gate" {
  value = jsonencode(local.definition.States.Approve) == nonsensitive(jsonencode(provider::manualapproval::task_state(manualapproval_gate.wo, local.options)))
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("definition", knownvalue.NotNull()),
				statecheck.ExpectKnownOutputValue("definition_json", knownvalue.StringExact(string(wantJSON))),
				statecheck.ExpectKnownOutputValue("same_as_whole_gate", knownvalue.Bool(true)),
			},
		}},
	})
}

// TestTaskStateFunction_wholeGateSensitive documents why the recommended
// form is task_state_json: the whole gate, even with only write-only
// secrets, makes the result sensitive (Terraform's marks, which no provider
// can remove). If a later Terraform stops marking null sensitive
// attributes, this test fails and the docs can say so.
func TestTaskStateFunction_wholeGateSensitive(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config: testProviderConfig() + testTaskStateWriteOnlyGate + `
output "approve" {
  value = provider::manualapproval::task_state(manualapproval_gate.wo, {}).HeartbeatSeconds
}
`,
			ExpectError: regexp.MustCompile(`Output refers to sensitive values`),
		}},
	})
}

// TestExamples applies the examples the docs show (examples/resources and
// examples/functions) with the fake manager: each must plan, apply and
// give its outputs without an error. The examples with their own terraform
// and provider blocks (examples/quickstart, …) are run by make demo and the
// e2e tests on the local AWS.
func TestExamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/*/*/*.tf")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("examples: found %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			vars := config.Variables{}
			if regexp.MustCompile(`variable "slack_webhook_url"`).Match(src) {
				vars["slack_webhook_url"] = config.StringVariable("https://hooks.slack.com/services/T000/B000/XXXX")
			}
			m := newFakeManager()
			if strings.Contains(f, "data-sources") {
				// A data source reads a gate made elsewhere.
				if _, err := m.Create(t.Context(), gateSpecForImport("deploy-prod")); err != nil {
					t.Fatal(err)
				}
			}
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(m),
				Steps: []resource.TestStep{{
					Config:          testProviderConfig() + string(src),
					ConfigVariables: vars,
				}},
			})
		})
	}
}
