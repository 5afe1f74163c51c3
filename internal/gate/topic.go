package gate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

func snsTags(m map[string]string) []snstypes.Tag {
	out := make([]snstypes.Tag, 0, len(m))
	for k, v := range m {
		out = append(out, snstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func fromSNSTags(t []snstypes.Tag) map[string]string {
	m := make(map[string]string, len(t))
	for _, x := range t {
		m[aws.ToString(x.Key)] = aws.ToString(x.Value)
	}
	return m
}

// subscription is one endpoint the gate manages on its topic. Subscriptions
// of other protocols (added by users outside the gate) are left alone.
type subscription struct{ protocol, endpoint string }

func (r *run) wantSubscriptions() []subscription {
	var s []subscription
	for _, e := range r.spec.EmailAddresses {
		s = append(s, subscription{"email", e})
	}
	for _, n := range r.spec.SMSNumbers {
		s = append(s, subscription{"sms", n})
	}
	return s
}

func managedProtocol(p string) bool { return p == "email" || p == "sms" }

// listSubscriptions returns the topic's email and SMS subscriptions by
// endpoint, with their ARNs ("PendingConfirmation" until confirmed).
func (r *run) listSubscriptions(ctx context.Context, topicARN string) (map[subscription]string, error) {
	have := map[subscription]string{}
	p := sns.NewListSubscriptionsByTopicPaginator(r.m.c.SNS, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range out.Subscriptions {
			if proto := aws.ToString(s.Protocol); managedProtocol(proto) {
				have[subscription{proto, aws.ToString(s.Endpoint)}] = aws.ToString(s.SubscriptionArn)
			}
		}
	}
	return have, nil
}

func (r *run) topicAttributes() map[string]string {
	return map[string]string{
		"DisplayName":    "Approvals",
		"KmsMasterKeyId": r.spec.KMSKeyARN,
	}
}

// ensureTopic creates or converges the topic, its attributes, tags and the
// email/SMS subscriptions.
func (r *run) ensureTopic(ctx context.Context) error {
	c := r.m.c.SNS
	name := r.n.topic()
	arn := r.a.topic()
	arn, exists, err := r.convergeTopic(ctx, partTopic, name, arn, r.deleteTopic)
	if err != nil {
		return err
	}
	r.set(func(st *Status) { st.TopicARN = arn })

	have := map[subscription]string{}
	if exists {
		var err error
		if have, err = r.listSubscriptions(ctx, arn); err != nil {
			return fmt.Errorf("listing SNS Topic (%s) subscriptions: %w", name, err)
		}
	}
	want := r.wantSubscriptions()
	var steps []func(context.Context) error
	for _, s := range want {
		if _, ok := have[s]; ok {
			continue
		}
		steps = append(steps, func(ctx context.Context) error {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String(s.protocol), Endpoint: aws.String(s.endpoint)})
			return wrapf(err, "subscribing %s %s to SNS Topic (%s)", s.protocol, s.endpoint, name)
		})
	}
	for s, subARN := range have {
		if slices.Contains(want, s) || !strings.HasPrefix(subARN, "arn:") {
			continue // wanted, or pending confirmation (AWS cannot unsubscribe those)
		}
		steps = append(steps, func(ctx context.Context) error {
			_, err := c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(subARN)})
			if hasCode(err, "NotFound") {
				return nil
			}
			return wrapf(err, "unsubscribing %s %s from SNS Topic (%s)", s.protocol, s.endpoint, name)
		})
	}
	return parallel(ctx, steps...)
}

// readTopic refreshes the topic, its subscriptions and tags (3 calls).
func (r *run) readTopic(ctx context.Context) error {
	name, arn := r.n.topic(), r.a.topic()
	return r.readTopicPart(ctx, partTopic, name, arn, func() {
		r.exists()
		r.set(func(st *Status) { st.TopicARN = arn })
	}, func(ctx context.Context) error {
		have, err := r.listSubscriptions(ctx, arn)
		if err != nil {
			return fmt.Errorf("listing SNS Topic (%s) subscriptions: %w", name, err)
		}
		// Read back as email_addresses and sms_numbers: the wanted ones
		// present (confirmed or pending) and the confirmed others (AWS
		// cannot unsubscribe a pending one, and deletes it unconfirmed).
		want := r.wantSubscriptions()
		var emails, numbers []string
		for s, subARN := range have {
			if !slices.Contains(want, s) && !strings.HasPrefix(subARN, "arn:") {
				continue
			}
			if s.protocol == "email" {
				emails = append(emails, s.endpoint)
			} else {
				numbers = append(numbers, s.endpoint)
			}
		}
		var o Observed
		if emails = sortedSet(emails); !slices.Equal(emails, sortedSet(r.spec.EmailAddresses)) {
			o.EmailAddresses = &emails
		}
		if numbers = sortedSet(numbers); !slices.Equal(numbers, sortedSet(r.spec.SMSNumbers)) {
			o.SMSNumbers = &numbers
		}
		if o.EmailAddresses != nil || o.SMSNumbers != nil {
			r.differs(partTopic, o)
		}
		return nil
	})
}

// readTopicPart reads one of the gate's SNS topics (name, arn): a missing
// topic is drift; found, it calls found, then checks the topic's
// subscriptions (subscriptions) and its tags side by side. Both of the
// gate's topics go through it.
func (r *run) readTopicPart(ctx context.Context, p Part, name, arn string, found func(), subscriptions func(context.Context) error) error {
	c := r.m.c.SNS
	out, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	switch {
	case hasCode(err, "NotFound"):
		r.drifted(p, "SNS topic %s: missing", name)
		return nil
	case err != nil:
		return fmt.Errorf("reading SNS Topic (%s): %w", name, err)
	}
	if found != nil {
		found()
	}
	if k := out.Attributes["KmsMasterKeyId"]; k != r.spec.KMSKeyARN {
		r.differs(p, Observed{KMSKeyARN: &k})
	}
	return parallel(ctx,
		subscriptions,
		func(ctx context.Context) error {
			tags, err := c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
			if err != nil {
				return fmt.Errorf("reading SNS Topic (%s) tags: %w", name, err)
			}
			r.checkTags(p, fromSNSTags(tags.Tags))
			return nil
		},
	)
}

func (r *run) deleteTopic(ctx context.Context) error {
	return r.deleteTopicPart(ctx, r.n.topic(), r.a.topic())
}

// deleteTopicPart deletes one of the gate's SNS topics (and with it its
// subscriptions); a topic already gone is fine.
func (r *run) deleteTopicPart(ctx context.Context, name, arn string) error {
	_, err := r.m.c.SNS.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)})
	if err != nil && !hasCode(err, "NotFound") {
		return fmt.Errorf("deleting SNS Topic (%s): %w", name, err)
	}
	return nil
}

// convergeTopic creates the SNS topic name (arn) or converges its
// attributes and tags, and reports whether it existed. Both of the gate's
// topics (its own and the escalation topic, part p) go through it; del
// undoes a creation.
func (r *run) convergeTopic(ctx context.Context, p Part, name, arn string, del func(context.Context) error) (string, bool, error) {
	c := r.m.c.SNS
	exists := false
	var attrs map[string]string
	// Look first, on create too: CreateTopic of an existing name answers
	// with that topic, so a create could not tell another gate's topic from
	// its own, and its rollback would delete it.
	out, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	switch {
	case err == nil:
		exists, attrs = true, out.Attributes
	case !hasCode(err, "NotFound"):
		return arn, exists, fmt.Errorf("reading SNS Topic (%s): %w", name, err)
	}
	if exists && r.fresh {
		return arn, exists, fmt.Errorf("creating SNS Topic (%s): a topic with this name already exists; another gate may use the name %q", name, r.spec.Name)
	}
	if !exists {
		in := &sns.CreateTopicInput{Name: aws.String(name), Tags: snsTags(r.tagsWithGate()), Attributes: map[string]string{"DisplayName": "Approvals"}}
		if r.spec.KMSKeyARN != "" {
			in.Attributes["KmsMasterKeyId"] = r.spec.KMSKeyARN
		}
		out, err := c.CreateTopic(ctx, in)
		if err != nil {
			return arn, exists, fmt.Errorf("creating SNS Topic (%s): %w", name, err)
		}
		arn = aws.ToString(out.TopicArn)
		r.undo.add("SNS Topic "+name, del)
	} else {
		for k, v := range r.topicAttributes() {
			if attrs[k] != v {
				if _, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String(k), AttributeValue: aws.String(v)}); err != nil {
					return arn, exists, fmt.Errorf("setting SNS Topic (%s) attribute %s: %w", name, k, err)
				}
			}
		}
		tags, err := c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			return arn, exists, fmt.Errorf("reading SNS Topic (%s) tags: %w", name, err)
		}
		if err := r.retagPart(ctx, p, arn, fromSNSTags(tags.Tags), r.tagsWithGate()); err != nil {
			return arn, exists, err
		}
	}
	return arn, exists, nil
}
