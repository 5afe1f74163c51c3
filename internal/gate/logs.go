package gate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// logGroupARN is the log group's ARN for tagging (without the trailing :*).
func (r *run) logGroupARN(kind string) string {
	return r.a.base("logs") + "log-group:" + r.n.logGroup(kind)
}

// ensureLogGroup creates or converges a function's log group: the gate
// creates it, with a retention, so destroy leaves nothing behind.
func (r *run) ensureLogGroup(ctx context.Context, kind string) error {
	c := r.m.c.Logs
	name := r.n.logGroup(kind)
	var have *logtypes.LogGroup
	if !r.fresh {
		groups, err := r.sharedLogGroups(ctx)
		if err != nil {
			return err
		}
		have = groups[name]
	}
	if have == nil {
		var tries attempts
		in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name), Tags: r.tagsWithGate()}
		if r.spec.KMSKeyARN != "" {
			in.KmsKeyId = aws.String(r.spec.KMSKeyARN)
		}
		_, err := c.CreateLogGroup(ctx, in, tries.logs)
		// Already there after an attempt whose answer was lost: that attempt made it.
		ours := hasCode(err, "ResourceAlreadyExistsException") && tries.mayHaveApplied()
		if err != nil && !ours {
			if hasCode(err, "ResourceAlreadyExistsException") {
				return fmt.Errorf("creating CloudWatch Logs Log Group (%s): it already exists (a function of this name ran before the gate was created?); delete it or import the gate: %w", name, err)
			}
			return fmt.Errorf("creating CloudWatch Logs Log Group (%s): %w", name, err)
		}
		r.undo.add("CloudWatch Logs Log Group "+name, func(ctx context.Context) error { return r.deleteLogGroup(ctx, kind) })
	} else {
		tags, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(r.logGroupARN(kind))})
		if err != nil {
			return fmt.Errorf("reading CloudWatch Logs Log Group (%s) tags: %w", name, err)
		}
		if err := r.retagPart(ctx, logGroupPart(kind), "", tags.Tags, r.tagsWithGate()); err != nil {
			return err
		}
	}
	if have != nil && aws.ToString(have.KmsKeyId) != r.spec.KMSKeyARN {
		if err := r.convergeLogGroupKey(ctx, name); err != nil {
			return err
		}
	}
	if have == nil || aws.ToInt32(have.RetentionInDays) != r.spec.LogRetentionDays {
		if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(name), RetentionInDays: aws.Int32(r.spec.LogRetentionDays)}); err != nil {
			return fmt.Errorf("setting CloudWatch Logs Log Group (%s) retention: %w", name, err)
		}
	}
	return nil
}

// sharedLogGroups is describeLogGroups once per run: both kinds' log groups
// come back from the same call.
func (r *run) sharedLogGroups(ctx context.Context) (map[string]*logtypes.LogGroup, error) {
	r.logGroupsOnce.Do(func() { r.logGroups, r.logGroupsErr = r.describeLogGroups(ctx) })
	return r.logGroups, r.logGroupsErr
}

// describeLogGroups returns the gate's log groups by name, read in one call
// by their common prefix.
func (r *run) describeLogGroups(ctx context.Context) (map[string]*logtypes.LogGroup, error) {
	prefix := "/aws/lambda/" + r.spec.Name + "-"
	groups := map[string]*logtypes.LogGroup{}
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(r.m.c.Logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(prefix)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading CloudWatch Logs Log Groups (%s*): %w", prefix, err)
		}
		for i := range out.LogGroups {
			groups[aws.ToString(out.LogGroups[i].LogGroupName)] = &out.LogGroups[i]
		}
	}
	return groups, nil
}

// readLogGroups refreshes both log groups (1 call).
func (r *run) readLogGroups(ctx context.Context) error {
	groups, err := r.describeLogGroups(ctx)
	if err != nil {
		return err
	}
	for _, kind := range kinds {
		name := r.n.logGroup(kind)
		g := groups[name]
		if g == nil {
			r.drifted(logGroupPart(kind), "CloudWatch Logs log group %s: missing", name)
			continue
		}
		r.exists()
		if d := aws.ToInt32(g.RetentionInDays); d != r.spec.LogRetentionDays {
			r.differs(logGroupPart(kind), Observed{LogRetentionDays: &d})
		}
		if k := aws.ToString(g.KmsKeyId); k != r.spec.KMSKeyARN {
			r.differs(logGroupPart(kind), Observed{KMSKeyARN: &k})
		}
	}
	return nil
}

func (r *run) deleteLogGroup(ctx context.Context, kind string) error {
	name := r.n.logGroup(kind)
	_, err := r.m.c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)})
	if err != nil && !hasCode(err, "ResourceNotFoundException") {
		return fmt.Errorf("deleting CloudWatch Logs Log Group (%s): %w", name, err)
	}
	return nil
}

// convergeLogGroupKey makes kms_key_arn the log group's key: AssociateKmsKey
// with a key (it replaces any other), DisassociateKmsKey without one. Only
// events ingested afterwards use the new key; CloudWatch Logs keeps using
// the old one to read older events, and the association takes up to five
// minutes to act (CloudWatch Logs API Reference, AssociateKmsKey).
// CloudWatch Logs itself uses the key, so its key policy must let
// logs.<region>.amazonaws.com use it for these log groups (see the security
// model guide); without that, the call fails with AccessDeniedException.
func (r *run) convergeLogGroupKey(ctx context.Context, name string) error {
	c := r.m.c.Logs
	if r.spec.KMSKeyARN == "" {
		_, err := c.DisassociateKmsKey(ctx, &cloudwatchlogs.DisassociateKmsKeyInput{LogGroupName: aws.String(name)})
		return wrapf(err, "removing CloudWatch Logs Log Group (%s) encryption key", name)
	}
	_, err := c.AssociateKmsKey(ctx, &cloudwatchlogs.AssociateKmsKeyInput{LogGroupName: aws.String(name), KmsKeyId: aws.String(r.spec.KMSKeyARN)})
	return wrapf(err, "setting CloudWatch Logs Log Group (%s) encryption key (the key policy must allow logs.%s.amazonaws.com to use it)", name, r.m.env.Region)
}
