package acctest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TickResult is what one sweep reported (the callback's SweepResult).
type TickResult struct {
	Due     int `json:"due"`
	Resent  int `json:"resent"`
	Expired int `json:"expired"`
	// Reminded counts the reminders and last calls sent.
	Reminded int `json:"reminded"`
	// Escalated counts the escalation steps notified.
	Escalated int  `json:"escalated"`
	Skipped   int  `json:"skipped"`
	Failed    int  `json:"failed"`
	More      bool `json:"more"`
}

// Tick fires the gate's schedule once, as EventBridge would on AWS: kumo
// stores schedule rules but never fires them (kumo-fidelity "EventBridge /
// Scheduler"), so the harness reads the gate's rule and its one target and
// invokes the target with the target's own input. The rule is what the gate
// created: a wrong target or input shows here as a failed tick. It waits
// for the sweep (a synchronous invoke) and returns its result.
func Tick(ctx context.Context, cfg aws.Config, gateName string) (TickResult, error) {
	rule := gateName + "-sweep"
	eb := eventbridge.NewFromConfig(cfg)
	r, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(rule)})
	if err != nil {
		return TickResult{}, fmt.Errorf("tick: reading rule %s: %w", rule, err)
	}
	if r.State != "ENABLED" || aws.ToString(r.ScheduleExpression) == "" {
		return TickResult{}, fmt.Errorf("tick: rule %s is %s with schedule %q: it would not fire", rule, r.State, aws.ToString(r.ScheduleExpression))
	}
	ts, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(rule)})
	if err != nil {
		return TickResult{}, fmt.Errorf("tick: reading targets of %s: %w", rule, err)
	}
	if len(ts.Targets) != 1 {
		return TickResult{}, fmt.Errorf("tick: rule %s has %d targets, want 1", rule, len(ts.Targets))
	}
	t := ts.Targets[0]
	out, err := lambda.NewFromConfig(cfg).Invoke(ctx, &lambda.InvokeInput{FunctionName: t.Arn, Payload: []byte(aws.ToString(t.Input))})
	if err != nil {
		return TickResult{}, fmt.Errorf("tick: invoking %s: %w", aws.ToString(t.Arn), err)
	}
	if out.FunctionError != nil {
		return TickResult{}, fmt.Errorf("tick: %s failed (%s): %s", aws.ToString(t.Arn), aws.ToString(out.FunctionError), out.Payload)
	}
	var res TickResult
	if err := json.Unmarshal(out.Payload, &res); err != nil {
		return TickResult{}, fmt.Errorf("tick: answer %q: %w", out.Payload, err)
	}
	return res, nil
}
