package provider

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// TestGateResource_readBack: what a refresh finds on an argument that maps
// to one AWS setting is written into that argument, so the plan shows the
// difference there (lambda_memory_mb 512 → 128) with no drift entry, and
// lifecycle.ignore_changes keeps it; the update gets the parts the refresh
// found differing; an update that fails makes the next one converge every
// part.
func TestGateResource_readBack(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-readback"
	const addr = "manualapproval_gate.test"
	mem, tags, emails := int32(512), map[string]string{"team": "core", "stray": "x"}, []string{"someone@example.com"}
	readBack := func() {
		m.readBack(rName, gate.Observed{MemoryMB: &mem, Tags: tags, EmailAddresses: &emails}, "function:notifier", "topic")
	}
	lastPrior := func(check func(p *gate.Prior) error) resource.TestCheckFunc {
		return func(*terraform.State) error {
			p := m.lastPrior()
			if p == nil {
				return fmt.Errorf("the update had no prior: it converged every part")
			}
			return check(p)
		}
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{
			{Config: testAccGateConfig_fake(rName, 3600, "")},
			{
				PreConfig: readBack,
				Config:    testAccGateConfig_fake(rName, 3600, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						expectDrift(addr, "read back: lambda_memory_mb=512"),
						expectDrift(addr, "read back: tags=map[stray:x team:core]"),
						expectDrift(addr, "read back: email_addresses=[someone@example.com]"),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("lambda_memory_mb"), knownvalue.Int64Exact(128)),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("tags_all"), knownvalue.MapExact(map[string]knownvalue.Check{"team": knownvalue.StringExact("core")})),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("email_addresses"), knownvalue.SetSizeExact(0)),
					},
				},
				Check: lastPrior(func(p *gate.Prior) error {
					if p.Spec.MemoryMB != 512 || p.Spec.Tags["stray"] != "x" || !slices.Equal(p.DriftParts, []gate.Part{"function:notifier", "topic"}) {
						return fmt.Errorf("prior memory %d, tags %v, parts %v: want what the refresh read back", p.Spec.MemoryMB, p.Spec.Tags, p.DriftParts)
					}
					if p.Status.NotifierFunctionARN == "" || p.Status.CallbackURL == "" {
						return fmt.Errorf("prior status %+v lacks the identifiers", p.Status)
					}
					return nil
				}),
			},
			{
				// ignore_changes keeps what AWS holds: no plan.
				PreConfig: func() { m.readBack(rName, gate.Observed{MemoryMB: &mem}, "function:notifier") },
				Config:    testAccGateConfig_fake(rName, 3600, "lifecycle {\n    ignore_changes = [lambda_memory_mb]\n  }"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Another change with it ignored: the update keeps 512.
				Config: testAccGateConfig_fake(rName, 7200, "lifecycle {\n    ignore_changes = [lambda_memory_mb]\n  }"),
				Check: lastPrior(func(p *gate.Prior) error {
					if s, _ := m.spec(rName); s.MemoryMB != 512 || !slices.Contains(p.DriftParts, "function:notifier") {
						return fmt.Errorf("memory %d after an update with it ignored (parts %v), want 512 kept", s.MemoryMB, p.DriftParts)
					}
					return nil
				}),
			},
			{
				// A failed update: the next one converges every part.
				PreConfig:   func() { m.mu.Lock(); m.failUpdate = true; m.mu.Unlock() },
				Config:      testAccGateConfig_fake(rName, 3600, ""),
				ExpectError: regexp.MustCompile(`injected failure`),
			},
			{
				Config: testAccGateConfig_fake(rName, 3600, ""),
				Check: func(*terraform.State) error {
					if p := m.lastPrior(); p != nil {
						return fmt.Errorf("after a failed update, the next one converges %v, want every part (no prior)", p.DriftParts)
					}
					return nil
				},
			},
		},
	})
}
