package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// TestGateResource_eventsValidation plans bad bus names and checks the
// message.
func TestGateResource_eventsValidation(t *testing.T) {
	t.Parallel()
	var ts []resource.TestStep
	for _, bad := range []string{"my bus", "", "bus!", "arn:aws:events:eu-west-1:111122223333:rule/approvals",
		"arn:aws:sqs:eu-west-1:111122223333:event-bus/x", "arn:aws:events:eu-west-1:123:event-bus/x"} {
		ts = append(ts, resource.TestStep{
			Config:      testAccGateConfig_raw(fmt.Sprintf("name = \"t\"\nevents = { bus_name = %q }", bad)),
			PlanOnly:    true,
			ExpectError: wrapped(`Invalid Event Bus[\s\S]*must be an event bus name`),
		})
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories(newFakeManager()), Steps: ts})
}

// TestGateResource_eventsLifecycle: events and notify_on_decision reach the
// gate's Spec with their defaults (the default bus, no follow-ups), import
// reads them back, and removing them turns them off.
func TestGateResource_eventsLifecycle(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-events"
	const addr = "manualapproval_gate.test"
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
				Config: testAccGateConfig_apiFake(rName, "events = {}"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("events").AtMapKey("bus_name"), knownvalue.StringExact("default")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("notify_on_decision"), knownvalue.Bool(false)),
				},
				Check: func(*terraform.State) error {
					s, _ := m.spec(rName)
					if s.Followup.Events == nil || s.Followup.Events.BusName != "default" || s.Followup.NotifyOnDecision {
						return fmt.Errorf("spec followup = %+v", s.Followup)
					}
					return nil
				},
			},
			{
				Config: testAccGateConfig_apiFake(rName, "events = { bus_name = \"arn:aws:events:eu-west-1:444455556666:event-bus/central\" }\n  notify_on_decision = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					s, _ := m.spec(rName)
					if s.Followup.Events == nil || s.Followup.Events.BusName != "arn:aws:events:eu-west-1:444455556666:event-bus/central" || !s.Followup.NotifyOnDecision {
						return fmt.Errorf("spec followup = %+v", s.Followup)
					}
					return nil
				},
			},
			{
				ResourceName: addr, ImportState: true, ImportStateId: rName, ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"slack.webhook_url", "webhook.secret"},
			},
			{
				Config: testAccGateConfig_apiFake(rName, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("events"), knownvalue.Null()),
				},
				Check: func(*terraform.State) error {
					if s, _ := m.spec(rName); s.Followup.Events != nil || s.Followup.NotifyOnDecision {
						return fmt.Errorf("spec followup = %+v, want off", s.Followup)
					}
					return nil
				},
			},
		},
	})
}
