package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// The gate's clock: an EventBridge rule on the default event bus with a
// schedule expression, whose one target is the callback function with the
// constant input approval.SweepInput. Every minute the callback sweeps
// what is due (internal/lambda/sweep.go): re-sends decisions whose delivery
// failed, marks expired requests, and (the reminders issue) reminds.
//
// Why an EventBridge rule and not an EventBridge Scheduler schedule:
//   - no extra IAM role: a rule invokes Lambda through the function's
//     resource policy, and the gate scopes that permission to the rule's ARN
//     (AWS:SourceArn), so only this rule can invoke the callback through
//     EventBridge. A Scheduler schedule needs a role that
//     scheduler.amazonaws.com assumes, with lambda:InvokeFunction: one more
//     part, one more trust policy, one more thing to drift;
//   - rules are tagged like the other parts (Scheduler tags only schedule
//     groups), so drift of tags is read and repaired the same way;
//   - both fire at most once a minute, both are at-least-once, and on the
//     local AWS neither fires (kumo-fidelity: "EventBridge / Scheduler …
//     stored and returned, never fired"), so the choice costs no test
//     fidelity: tests invoke the rule's target with its input themselves
//     (acctest.Tick) and test the rule's create, drift and repair on kumo.
//
// Cost of the choice: a bus allows 300 rules by default (a soft quota), so an
// account with more than ~300 gates needs a quota raise; Scheduler allows a
// million schedules.
const (
	// sweepSchedule is how often the sweep runs: the finest a rule allows.
	sweepSchedule = "rate(1 minute)"
	// sweepTargetID names the rule's one target.
	sweepTargetID = "callback-sweep"
	// sweepPermissionID is the callback's resource policy statement that
	// lets this rule, and only it, invoke the function.
	sweepPermissionID = "AllowExecutionFromEventBridgeSweep"
	eventsPrincipal   = "events.amazonaws.com"
)

func (n names) rule() string { return n.gate + "-sweep" }

func (r *run) ruleDescription() string {
	return fmt.Sprintf("Approval gate %s: the sweep (re-delivers decisions, marks expired requests)", r.spec.Name)
}

func ebTags(m map[string]string) []ebtypes.Tag {
	out := make([]ebtypes.Tag, 0, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, ebtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func fromEBTags(t []ebtypes.Tag) map[string]string {
	m := make(map[string]string, len(t))
	for _, x := range t {
		m[aws.ToString(x.Key)] = aws.ToString(x.Value)
	}
	return m
}

// findRule returns the gate's rule, or nil when it does not exist.
func (r *run) findRule(ctx context.Context) (*eventbridge.DescribeRuleOutput, error) {
	name := r.n.rule()
	out, err := r.m.c.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
	if hasCode(err, "ResourceNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading EventBridge Rule (%s): %w", name, err)
	}
	return out, nil
}

func (r *run) ruleDiffers(rule *eventbridge.DescribeRuleOutput) string {
	switch {
	case aws.ToString(rule.ScheduleExpression) != sweepSchedule:
		return fmt.Sprintf("schedule is %q", aws.ToString(rule.ScheduleExpression))
	case rule.State != ebtypes.RuleStateEnabled:
		return fmt.Sprintf("state is %s", rule.State)
	case aws.ToString(rule.EventPattern) != "":
		return "has an event pattern"
	case aws.ToString(rule.Description) != r.ruleDescription():
		return "description differs"
	}
	return ""
}

// targetsDiffer says how the rule's targets differ from the one sweep
// target, and which other targets to remove.
func targetsDiffer(targets []ebtypes.Target, fnARN string) (diff string, others []string) {
	found := false
	for _, t := range targets {
		if aws.ToString(t.Id) != sweepTargetID {
			others = append(others, aws.ToString(t.Id))
			continue
		}
		found = true
		switch {
		case aws.ToString(t.Arn) != fnARN:
			diff = "target invokes " + aws.ToString(t.Arn)
		case aws.ToString(t.Input) != approval.SweepInput:
			diff = "target input differs"
		}
	}
	switch {
	case !found:
		diff = "sweep target missing"
	case diff == "" && len(others) > 0:
		diff = fmt.Sprintf("%d other target(s)", len(others))
	}
	return diff, others
}

// hasSourceStatement reports whether the function policy has statement sid
// letting principal invoke it from sourceARN only.
func hasSourceStatement(policy, sid, principal, sourceARN string) bool {
	var doc struct {
		Statement []struct {
			Sid       string
			Principal json.RawMessage
			Action    json.RawMessage
			Condition map[string]map[string]string
		}
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	for _, s := range doc.Statement {
		if s.Sid != sid {
			continue
		}
		var p struct{ Service string }
		_ = json.Unmarshal(s.Principal, &p)
		return p.Service == principal && s.Condition["ArnLike"]["AWS:SourceArn"] == sourceARN
	}
	return false
}

// ensureSchedule creates or converges the rule, its target and the
// callback's permission for it. It runs after the callback function exists.
func (r *run) ensureSchedule(ctx context.Context) error {
	c := r.m.c.Events
	name := r.n.rule()
	fnARN := r.a.function(kindCallback)
	var rule *eventbridge.DescribeRuleOutput
	if !r.fresh {
		var err error
		if rule, err = r.findRule(ctx); err != nil {
			return err
		}
	}
	var ruleARN string
	if rule == nil || r.ruleDiffers(rule) != "" {
		in := &eventbridge.PutRuleInput{
			Name: aws.String(name), ScheduleExpression: aws.String(sweepSchedule),
			State: ebtypes.RuleStateEnabled, Description: aws.String(r.ruleDescription()),
		}
		if rule == nil {
			in.Tags = ebTags(r.tagsWithGate())
		}
		// PutRule creates or replaces: a retry after a lost answer is the
		// same rule, nothing to adopt.
		out, err := c.PutRule(ctx, in)
		if err != nil {
			return fmt.Errorf("putting EventBridge Rule (%s): %w", name, err)
		}
		if rule == nil {
			r.undo.add("EventBridge Rule "+name, r.deleteSchedule)
		}
		ruleARN = aws.ToString(out.RuleArn)
	} else {
		ruleARN = aws.ToString(rule.Arn)
	}
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return r.ensureSweepTarget(ctx, rule == nil, fnARN) },
		func(ctx context.Context) error { return r.ensureSweepPermission(ctx, ruleARN) },
	}
	if rule != nil {
		steps = append(steps, func(ctx context.Context) error { return r.retagRule(ctx, ruleARN) })
	}
	return parallel(ctx, steps...)
}

func (r *run) ensureSweepTarget(ctx context.Context, created bool, fnARN string) error {
	c := r.m.c.Events
	name := r.n.rule()
	var others []string
	if !created {
		out, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)})
		if err != nil {
			return fmt.Errorf("reading EventBridge Rule (%s) targets: %w", name, err)
		}
		var diff string
		if diff, others = targetsDiffer(out.Targets, fnARN); diff == "" {
			return nil
		}
	}
	out, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{{
		Id: aws.String(sweepTargetID), Arn: aws.String(fnARN), Input: aws.String(approval.SweepInput),
	}}})
	if err == nil && out.FailedEntryCount > 0 && len(out.FailedEntries) > 0 {
		e := out.FailedEntries[0]
		err = fmt.Errorf("%s: %s", aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
	}
	if err != nil {
		return fmt.Errorf("putting EventBridge Rule (%s) target: %w", name, err)
	}
	if len(others) > 0 {
		if _, err := c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(name), Ids: others}); err != nil {
			return fmt.Errorf("removing EventBridge Rule (%s) targets %v: %w", name, others, err)
		}
	}
	return nil
}

func (r *run) ensureSweepPermission(ctx context.Context, ruleARN string) error {
	policy, err := r.functionPolicy(ctx)
	if err != nil {
		return err
	}
	if hasSourceStatement(policy, sweepPermissionID, eventsPrincipal, ruleARN) {
		return nil
	}
	c := r.m.c.Lambda
	fn := r.n.function(kindCallback)
	if _, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(fn), StatementId: aws.String(sweepPermissionID)}); err != nil && !hasCode(err, "ResourceNotFoundException") {
		return fmt.Errorf("removing Lambda Permission (%s/%s): %w", fn, sweepPermissionID, err)
	}
	var tries attempts
	_, err = c.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String(fn), StatementId: aws.String(sweepPermissionID),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(eventsPrincipal), SourceArn: aws.String(ruleARN),
	}, tries.lambda)
	if hasCode(err, "ResourceConflictException") && tries.mayHaveApplied() {
		return nil // an attempt whose answer was lost added it
	}
	return wrapf(err, "adding Lambda Permission (%s/%s)", fn, sweepPermissionID)
}

func (r *run) retagRule(ctx context.Context, ruleARN string) error {
	c := r.m.c.Events
	out, err := c.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: aws.String(ruleARN)})
	if err != nil {
		return fmt.Errorf("reading EventBridge Rule (%s) tags: %w", r.n.rule(), err)
	}
	return r.retag(fmt.Sprintf("EventBridge Rule (%s)", r.n.rule()), fromEBTags(out.Tags), r.tagsWithGate(),
		func(set map[string]string) error {
			_, err := c.TagResource(ctx, &eventbridge.TagResourceInput{ResourceARN: aws.String(ruleARN), Tags: ebTags(set)})
			return err
		},
		func(remove []string) error {
			_, err := c.UntagResource(ctx, &eventbridge.UntagResourceInput{ResourceARN: aws.String(ruleARN), TagKeys: remove})
			return err
		},
	)
}

// readSchedule refreshes the rule, its targets, its tags and the callback's
// permission for it (4 calls).
func (r *run) readSchedule(ctx context.Context) error {
	name := r.n.rule()
	rule, err := r.findRule(ctx)
	if err != nil {
		return err
	}
	if rule == nil {
		r.drifted("EventBridge rule %s"+driftMissing, name)
		return nil
	}
	r.exists()
	if d := r.ruleDiffers(rule); d != "" {
		r.drifted("EventBridge rule %s: %s", name, d)
	}
	ruleARN := aws.ToString(rule.Arn)
	return parallel(ctx,
		func(ctx context.Context) error {
			out, err := r.m.c.Events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)})
			if err != nil {
				return fmt.Errorf("reading EventBridge Rule (%s) targets: %w", name, err)
			}
			if d, _ := targetsDiffer(out.Targets, r.a.function(kindCallback)); d != "" {
				r.drifted("EventBridge rule %s: %s", name, d)
			}
			return nil
		},
		func(ctx context.Context) error {
			out, err := r.m.c.Events.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: aws.String(ruleARN)})
			if err != nil {
				return fmt.Errorf("reading EventBridge Rule (%s) tags: %w", name, err)
			}
			if !r.sameTags(fromEBTags(out.Tags), r.tagsWithGate()) {
				r.drifted("EventBridge rule %s: tags differ", name)
			}
			return nil
		},
		func(ctx context.Context) error {
			policy, err := r.functionPolicy(ctx)
			if err != nil {
				return err
			}
			if !hasSourceStatement(policy, sweepPermissionID, eventsPrincipal, ruleARN) {
				r.drifted("Lambda permission %s/%s: missing", r.n.function(kindCallback), sweepPermissionID)
			}
			return nil
		},
	)
}

// deleteSchedule removes the rule's targets, then the rule (AWS refuses to
// delete a rule that has targets). The callback's permission goes with the
// function.
func (r *run) deleteSchedule(ctx context.Context) error {
	c := r.m.c.Events
	name := r.n.rule()
	_, err := c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(name), Ids: []string{sweepTargetID}})
	if err != nil && !hasCode(err, "ResourceNotFoundException") {
		return fmt.Errorf("removing EventBridge Rule (%s) targets: %w", name, err)
	}
	if _, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name)}); err != nil && !hasCode(err, "ResourceNotFoundException") {
		return fmt.Errorf("deleting EventBridge Rule (%s): %w", name, err)
	}
	return nil
}
