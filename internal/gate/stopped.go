package gate

import (
	"context"
	"fmt"
	"slices"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// The stopped-executions rule: an EventBridge rule on the default event bus
// matching Step Functions' "Step Functions Execution Status Change" events
// whose status is ABORTED, FAILED or TIMED_OUT (approval.StoppedPattern),
// for the gate's allowed_state_machine_arns when it has them, with the
// callback function as its one target (the event as it is, no input). The
// callback marks the stopped execution's pending requests expired ("Execution
// stopped") and updates their Slack app messages (internal/lambda/stopped.go).
//
// A part like the sweep's schedule (schedule.go), with the same code: create,
// read and drift, repair, delete, rollback and tags; the callback's resource
// policy statement lets this rule, and only it, invoke the function.
//
// AWS delivers these events "best effort": a request whose event never came
// is still found out by the next click (SendTaskSuccess answers
// TaskTimedOut or TaskDoesNotExist, and DescribeExecution says why) and by
// the sweep at its expiry.
const (
	stoppedTargetID     = "callback-stopped"
	stoppedPermissionID = "AllowExecutionFromEventBridgeStopped"
	// maxEventPatternChars is EventBridge's limit on an event pattern
	// (PutRule EventPattern, 4096 characters). A pattern that names more
	// state machines than fit matches the account's executions instead:
	// the callback finds no request of another state machine's execution in
	// its table, so the narrowing is only a saving of invocations.
	maxEventPatternChars = 4096
)

func (n names) stoppedRule() string { return n.gate + "-stopped" }

func (r *run) stoppedRuleDescription() string {
	return fmt.Sprintf("Approval gate %s: marks the requests of stopped executions (aborted, failed, timed out)", r.spec.Name)
}

// stoppedPattern is the rule's event pattern for the gate's spec.
func (r *run) stoppedPattern() string { return stoppedPatternOf(r.spec) }

func stoppedPatternOf(spec Spec) string {
	sms := slices.Clone(spec.AllowedStateMachineARNs)
	slices.Sort(sms)
	if p := approval.StoppedPattern(sms); len(p) <= maxEventPatternChars {
		return p
	}
	return approval.StoppedPattern(nil)
}

var stoppedRule = eventRule{
	what:         "stopped-executions",
	name:         names.stoppedRule,
	describe:     (*run).stoppedRuleDescription,
	pattern:      (*run).stoppedPattern,
	targetID:     stoppedTargetID,
	permissionID: stoppedPermissionID,
}

func (r *run) ensureStoppedRule(ctx context.Context) error { return r.ensureRule(ctx, stoppedRule) }
func (r *run) readStoppedRule(ctx context.Context) error   { return r.readRule(ctx, stoppedRule) }
func (r *run) deleteStoppedRule(ctx context.Context) error { return r.deleteRule(ctx, stoppedRule) }
