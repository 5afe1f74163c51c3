package provider

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// deadlineManager is the fake manager that records the deadline each
// operation got and, for the operations in stall, waits for it to pass
// (an AWS wait that never ends).
type deadlineManager struct {
	*fakeManager
	stall map[string]bool

	mu   sync.Mutex
	left map[string]time.Duration // operation → time left when it started
}

func (m *deadlineManager) record(ctx context.Context, op string) error {
	dl, ok := ctx.Deadline()
	m.mu.Lock()
	if ok {
		m.left[op] = time.Until(dl)
	} else {
		m.left[op] = -1
	}
	m.mu.Unlock()
	if m.stall[op] {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (m *deadlineManager) Create(ctx context.Context, spec gate.Spec) (gate.Status, error) {
	if err := m.record(ctx, "create"); err != nil {
		return gate.Status{}, err
	}
	return m.fakeManager.Create(ctx, spec)
}

func (m *deadlineManager) Update(ctx context.Context, spec gate.Spec, prior *gate.Prior) (gate.Status, error) {
	if err := m.record(ctx, "update"); err != nil {
		return gate.Status{}, err
	}
	return m.fakeManager.Update(ctx, spec, prior)
}

func (m *deadlineManager) Delete(ctx context.Context, name string) error {
	if err := m.record(ctx, "delete"); err != nil {
		return err
	}
	return m.fakeManager.Delete(ctx, name)
}

func (m *deadlineManager) leftFor(op string) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.left[op]
}

const timeoutsGateBody = `
name                = "deploy"
allow_self_approval = true
email_addresses     = ["oncall@example.com"]
`

// TestGateResource_timeouts: each operation runs under its timeout, the
// block's value or the default, and one that runs out says which setting
// to raise.
func TestGateResource_timeouts(t *testing.T) {
	t.Parallel()
	m := &deadlineManager{fakeManager: newFakeManager(), left: map[string]time.Duration{}}
	within := func(op string, want time.Duration) resource.TestCheckFunc {
		return func(*terraform.State) error { return checkLeft(m.leftFor(op), op, want) }
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{
			{
				Config: testAccGateConfig_raw(timeoutsGateBody),
				Check:  within("create", defaultCreateTimeout),
			},
			{
				Config: testAccGateConfig_raw(timeoutsGateBody + `
description = "changed"
timeouts {
  update = "7m"
  delete = "3m"
}`),
				Check: within("update", 7*time.Minute),
			},
			{
				Config:  testAccGateConfig_raw(timeoutsGateBody),
				Destroy: true,
				Check:   func(*terraform.State) error { return checkLeft(m.leftFor("delete"), "delete", 3*time.Minute) },
			},
		},
	})
}

// TestGateResource_timeoutRunsOut: a create that does not finish within
// timeouts.create fails with the way out, and bad durations fail the plan.
func TestGateResource_timeoutRunsOut(t *testing.T) {
	t.Parallel()
	m := &deadlineManager{fakeManager: newFakeManager(), left: map[string]time.Duration{}, stall: map[string]bool{"create": true}}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		Steps: []resource.TestStep{
			{
				Config:      testAccGateConfig_raw(timeoutsGateBody + "\ntimeouts {\n  create = \"1s\"\n}"),
				ExpectError: wrapped(`did not finish within its timeout \(1s\)(.|\n)*timeouts \{ create = "1h" \}`),
			},
			{
				Config:      testAccGateConfig_raw(timeoutsGateBody + "\ntimeouts {\n  create = \"soon\"\n}"),
				PlanOnly:    true,
				ExpectError: wrapped(`must be a string containing a sequence of decimal numbers`),
			},
		},
	})
}

// checkLeft: the operation started with a deadline of want, less the few
// moments terraform took to reach it.
func checkLeft(left time.Duration, op string, want time.Duration) error {
	if left <= 0 || left > want || left < want-time.Minute {
		return fmt.Errorf("%s ran with %s left, want just under %s", op, left, want)
	}
	return nil
}
