package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
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

// eventRule is one EventBridge rule of the gate on the default bus, whose
// one target is the callback function, and the callback's resource policy
// statement that lets this rule, and only it, invoke the function. The
// sweep's schedule and the stopped-executions rule (stopped.go) are two.
type eventRule struct {
	what     string // for messages, e.g. "sweep"
	name     func(names) string
	describe func(*run) string
	// schedule is the rule's schedule expression, or pattern its event
	// pattern (one of the two).
	schedule string
	pattern  func(*run) string
	targetID string
	// input is the target's constant input; "" passes the event.
	input        string
	permissionID string
}

// sweepRule is the gate's clock.
var sweepRule = eventRule{
	what:         "sweep",
	name:         names.rule,
	describe:     (*run).ruleDescription,
	schedule:     sweepSchedule,
	targetID:     sweepTargetID,
	input:        approval.SweepInput,
	permissionID: sweepPermissionID,
}

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
func (r *run) findRule(ctx context.Context, er eventRule) (*eventbridge.DescribeRuleOutput, error) {
	name := er.name(r.n)
	out, err := r.m.c.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
	if hasCode(err, "ResourceNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading EventBridge Rule (%s): %w", name, err)
	}
	return out, nil
}

// samePattern reports whether two event patterns are the same JSON (AWS
// may return the pattern with other spacing or key order).
func samePattern(a, b string) bool {
	if a == b {
		return true
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func (r *run) ruleDiffers(er eventRule, rule *eventbridge.DescribeRuleOutput) string {
	want := ""
	if er.pattern != nil {
		want = er.pattern(r)
	}
	switch {
	case aws.ToString(rule.ScheduleExpression) != er.schedule:
		return fmt.Sprintf("schedule is %q", aws.ToString(rule.ScheduleExpression))
	case rule.State != ebtypes.RuleStateEnabled:
		return fmt.Sprintf("state is %s", rule.State)
	case want == "" && aws.ToString(rule.EventPattern) != "":
		return "has an event pattern"
	case want != "" && !samePattern(aws.ToString(rule.EventPattern), want):
		return "event pattern differs"
	case aws.ToString(rule.Description) != er.describe(r):
		return "description differs"
	}
	return ""
}

// targetsDiffer says how the rule's targets differ from its one target,
// and which other targets to remove.
func targetsDiffer(er eventRule, targets []ebtypes.Target, fnARN string) (diff string, others []string) {
	found := false
	for _, t := range targets {
		if aws.ToString(t.Id) != er.targetID {
			others = append(others, aws.ToString(t.Id))
			continue
		}
		found = true
		switch {
		case aws.ToString(t.Arn) != fnARN:
			diff = "target invokes " + aws.ToString(t.Arn)
		case aws.ToString(t.Input) != er.input:
			diff = "target input differs"
		case aws.ToString(t.InputPath) != "" || t.InputTransformer != nil:
			diff = "target transforms its input"
		}
	}
	switch {
	case !found:
		diff = er.what + " target missing"
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

// ensureSchedule creates or converges the sweep's rule.
func (r *run) ensureSchedule(ctx context.Context) error { return r.ensureRule(ctx, sweepRule) }

// readSchedule refreshes the sweep's rule.
func (r *run) readSchedule(ctx context.Context) error { return r.readRule(ctx, sweepRule) }

// deleteSchedule deletes the sweep's rule.
func (r *run) deleteSchedule(ctx context.Context) error { return r.deleteRule(ctx, sweepRule) }

// ensureRule creates or converges the rule, its target and the callback's
// permission for it. It runs after the callback function exists.
func (r *run) ensureRule(ctx context.Context, er eventRule) error {
	c := r.m.c.Events
	name := er.name(r.n)
	fnARN := r.a.function(kindCallback)
	var rule *eventbridge.DescribeRuleOutput
	if !r.fresh {
		var err error
		if rule, err = r.findRule(ctx, er); err != nil {
			return err
		}
	}
	var ruleARN string
	if rule == nil || r.ruleDiffers(er, rule) != "" {
		in := &eventbridge.PutRuleInput{
			Name: aws.String(name), State: ebtypes.RuleStateEnabled, Description: aws.String(er.describe(r)),
		}
		if er.schedule != "" {
			in.ScheduleExpression = aws.String(er.schedule)
		}
		if er.pattern != nil {
			in.EventPattern = aws.String(er.pattern(r))
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
			r.undo.add("EventBridge Rule "+name, func(ctx context.Context) error { return r.deleteRule(ctx, er) })
		}
		ruleARN = aws.ToString(out.RuleArn)
	} else {
		ruleARN = aws.ToString(rule.Arn)
	}
	r.setRuleARN(er, ruleARN)
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return r.ensureRuleTarget(ctx, er, rule == nil, fnARN) },
		func(ctx context.Context) error { return r.ensureRulePermission(ctx, er, ruleARN) },
	}
	if rule != nil {
		steps = append(steps, func(ctx context.Context) error { return r.retagRule(ctx, er, ruleARN) })
	}
	return parallel(ctx, steps...)
}

func (r *run) ensureRuleTarget(ctx context.Context, er eventRule, created bool, fnARN string) error {
	c := r.m.c.Events
	name := er.name(r.n)
	var others []string
	if !created {
		out, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)})
		if err != nil {
			return fmt.Errorf("reading EventBridge Rule (%s) targets: %w", name, err)
		}
		var diff string
		if diff, others = targetsDiffer(er, out.Targets, fnARN); diff == "" {
			return nil
		}
	}
	target := ebtypes.Target{Id: aws.String(er.targetID), Arn: aws.String(fnARN)}
	if er.input != "" {
		target.Input = aws.String(er.input)
	}
	out, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{target}})
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

func (r *run) ensureRulePermission(ctx context.Context, er eventRule, ruleARN string) error {
	policy, err := r.functionPolicy(ctx)
	if err != nil {
		return err
	}
	if hasSourceStatement(policy, er.permissionID, eventsPrincipal, ruleARN) {
		return nil
	}
	c := r.m.c.Lambda
	fn := r.n.function(kindCallback)
	if _, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(fn), StatementId: aws.String(er.permissionID)}); err != nil && !hasCode(err, "ResourceNotFoundException") {
		return fmt.Errorf("removing Lambda Permission (%s/%s): %w", fn, er.permissionID, err)
	}
	var tries attempts
	_, err = c.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String(fn), StatementId: aws.String(er.permissionID),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(eventsPrincipal), SourceArn: aws.String(ruleARN),
	}, tries.lambda)
	if hasCode(err, "ResourceConflictException") && tries.mayHaveApplied() {
		return nil // an attempt whose answer was lost added it
	}
	return wrapf(err, "adding Lambda Permission (%s/%s)", fn, er.permissionID)
}

func (r *run) retagRule(ctx context.Context, er eventRule, ruleARN string) error {
	c := r.m.c.Events
	name := er.name(r.n)
	out, err := c.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: aws.String(ruleARN)})
	if err != nil {
		return fmt.Errorf("reading EventBridge Rule (%s) tags: %w", name, err)
	}
	return r.retagPart(ctx, rulePart(er), ruleARN, fromEBTags(out.Tags), r.tagsWithGate())
}

func (r *run) setRuleARN(er eventRule, arn string) {
	r.set(func(st *Status) {
		st.RuleARNs = maps.Clone(st.RuleARNs)
		if st.RuleARNs == nil {
			st.RuleARNs = map[Part]string{}
		}
		st.RuleARNs[rulePart(er)] = arn
	})
}

// readRule refreshes the rule, its targets, its tags and the callback's
// permission for it (4 calls).
func (r *run) readRule(ctx context.Context, er eventRule) error {
	name := er.name(r.n)
	rule, err := r.findRule(ctx, er)
	if err != nil {
		return err
	}
	if rule == nil {
		r.drifted(rulePart(er), "EventBridge rule %s"+driftMissing, name)
		return nil
	}
	r.exists()
	if d := r.ruleDiffers(er, rule); d != "" {
		r.drifted(rulePart(er), "EventBridge rule %s: %s", name, d)
	}
	ruleARN := aws.ToString(rule.Arn)
	r.setRuleARN(er, ruleARN)
	return parallel(ctx,
		func(ctx context.Context) error {
			out, err := r.m.c.Events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)})
			if err != nil {
				return fmt.Errorf("reading EventBridge Rule (%s) targets: %w", name, err)
			}
			if d, _ := targetsDiffer(er, out.Targets, r.a.function(kindCallback)); d != "" {
				r.drifted(rulePart(er), "EventBridge rule %s: %s", name, d)
			}
			return nil
		},
		func(ctx context.Context) error {
			out, err := r.m.c.Events.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: aws.String(ruleARN)})
			if err != nil {
				return fmt.Errorf("reading EventBridge Rule (%s) tags: %w", name, err)
			}
			r.checkTags(rulePart(er), fromEBTags(out.Tags))
			return nil
		},
		func(ctx context.Context) error {
			policy, err := r.readFunctionPolicy(ctx)
			if err != nil {
				return err
			}
			if !hasSourceStatement(policy, er.permissionID, eventsPrincipal, ruleARN) {
				r.drifted(rulePart(er), "Lambda permission %s/%s: missing", r.n.function(kindCallback), er.permissionID)
			}
			return nil
		},
	)
}

// deleteRule removes the rule's target, then the rule (AWS refuses to
// delete a rule that has targets). The callback's permission goes with the
// function.
func (r *run) deleteRule(ctx context.Context, er eventRule) error {
	c := r.m.c.Events
	name := er.name(r.n)
	_, err := c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(name), Ids: []string{er.targetID}})
	if err != nil && !hasCode(err, "ResourceNotFoundException") {
		return fmt.Errorf("removing EventBridge Rule (%s) targets: %w", name, err)
	}
	if _, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name)}); err != nil && !hasCode(err, "ResourceNotFoundException") {
		return fmt.Errorf("deleting EventBridge Rule (%s): %w", name, err)
	}
	return nil
}
