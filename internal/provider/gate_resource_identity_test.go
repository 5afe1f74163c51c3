package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// Resource identity needs Terraform 1.12 or later: these tests skip on an
// older terraform; `make test` runs them with one built from the Go module
// proxy (TF_ACC_TERRAFORM_PATH=bin/terraform-1.13, tools/build-terraform.sh).

const identityGateBody = `
name                = "deploy"
allow_self_approval = true
email_addresses     = ["oncall@example.com"]
`

// TestGateResource_identity: the gate's identity is its name, region and
// account; it imports by id in an import block and by identity.
func TestGateResource_identity(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{
			{
				Config: testAccGateConfig_raw(identityGateBody),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("manualapproval_gate.test", map[string]knownvalue.Check{
						"name":       knownvalue.StringExact("deploy"),
						"region":     knownvalue.StringExact("us-east-1"),
						"account_id": knownvalue.StringExact("123456789012"),
					}),
					statecheck.ExpectIdentityValueMatchesState("manualapproval_gate.test", tfjsonpath.New("name")),
				},
			},
			{
				ResourceName:    "manualapproval_gate.test",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   "deploy",
				Config:          testAccGateConfig_raw(identityGateBody),
			},
			{
				ResourceName:    "manualapproval_gate.test",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
				Config:          testAccGateConfig_raw(identityGateBody),
			},
		},
	})
}

// TestGateResource_identityOtherRegion: an identity naming another region
// or account than the provider's is refused with the way out, not looked
// for in the wrong place.
func TestGateResource_identityOtherRegion(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	importBlock := func(identity string) string {
		return testAccGateConfig_raw(identityGateBody) + `
import {
  to       = manualapproval_gate.test
  identity = {` + identity + `}
}
`
	}
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					// The gate exists (made elsewhere): only the identity is wrong.
					_, _ = m.Create(t.Context(), gateSpecForImport("deploy"))
				},
				Config:      importBlock(`name = "deploy", region = "eu-west-1"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Identity In Another Region(.|\n)*region eu-west-1(.|\n)*manages region(.|\n)*us-east-1`),
			},
			{
				Config:      importBlock(`name = "deploy", account_id = "210987654321"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Identity In Another Account(.|\n)*account 210987654321`),
			},
		},
	})
}

// gateSpecForImport is a gate as the resource with identityGateBody makes it.
func gateSpecForImport(name string) gate.Spec {
	return gate.Spec{
		Name: name, TimeoutSeconds: defaultTimeoutSeconds, AllowSelfApproval: true, MinApprovals: 1,
		EmailAddresses: []string{"oncall@example.com"}, Architecture: "arm64", MemoryMB: 128, LogRetentionDays: 30,
		Tags: map[string]string{}, IncludeExecutionContext: true,
	}
}

// TestAccGate_identity: on the local AWS, a gate imports by id in an import
// block and by identity, with nothing to change afterwards.
func TestAccGate_identity(t *testing.T) {
	testAccPreCheck(t)
	rName := acctest.RandomName()
	// No secret: a sensitive secret cannot be read back, so its import
	// would plan to write it (the write-only forms are the way to import
	// with nothing to change).
	config := testAccConfig(fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                = %q
  allow_self_approval = true
  email_addresses     = ["oncall@example.com"]
  tags                = { team = "platform" }
}
`, rName))
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckGateDestroy(t),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("manualapproval_gate.test", map[string]knownvalue.Check{
						"name":       knownvalue.StringExact(rName),
						"region":     knownvalue.StringExact("us-east-1"),
						"account_id": knownvalue.StringRegexp(regexp.MustCompile(`^\d{12}$`)),
					}),
				},
			},
			{ResourceName: "manualapproval_gate.test", ImportState: true, ImportStateKind: resource.ImportBlockWithID, ImportStateId: rName, Config: config},
			{ResourceName: "manualapproval_gate.test", ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity, Config: config},
		},
	})
}
