package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// The escalation steps' parts (the reminders issue, item 3): the steps are
// in the configuration document (approval.Followup.Escalation); their
// incoming-webhook URLs in one SecureString parameter (a JSON array, one
// string per step); their e-mail addresses subscribed to one extra topic,
// "<gate>-escalation", each with the filter policy of the steps that name
// it, so one publish with the message attribute escalation_step = "<n>"
// reaches that step's addresses only.

// EscalationSpec is one escalation step as configured.
type EscalationSpec struct {
	AfterSeconds   int64
	SlackChannel   string
	EmailAddresses []string
	WebhookURL     string // sensitive: a Slack incoming-webhook URL
	Approvers      []string
	// KeepWebhookURL says the step has a webhook URL that is stored but not
	// given (an imported gate: secrets cannot be read back): the stored
	// parameter stays as it is.
	KeepWebhookURL bool
}

// hasWebhook reports whether the step has an incoming webhook, given or
// kept.
func (s EscalationSpec) hasWebhook() bool { return s.WebhookURL != "" || s.KeepWebhookURL }

// paramEscalationWebhooks holds the steps' webhook URLs (callback only).
const paramEscalationWebhooks = "escalation-webhooks"

func (n names) escalationTopic() string { return n.gate + "-escalation" }
func (a arns) escalationTopic() string  { return a.base("sns") + a.n.escalationTopic() }

// escalationSteps are the steps as the configuration document carries
// them: the webhook URL only as a flag.
func escalationSteps(spec Spec) []approval.EscalationStep {
	var out []approval.EscalationStep
	for _, s := range spec.Escalation {
		out = append(out, approval.EscalationStep{
			AfterSeconds: s.AfterSeconds, SlackChannel: s.SlackChannel, EmailAddresses: s.EmailAddresses,
			HasWebhookURL: s.hasWebhook(), Approvers: s.Approvers,
		})
	}
	return out
}

// importedEscalation are the steps of an imported gate's configuration
// document; their webhook URLs, secrets, cannot be read back.
func importedEscalation(steps []approval.EscalationStep) []EscalationSpec {
	var out []EscalationSpec
	for _, s := range steps {
		out = append(out, EscalationSpec{AfterSeconds: s.AfterSeconds, SlackChannel: s.SlackChannel, EmailAddresses: s.EmailAddresses,
			Approvers: s.Approvers, KeepWebhookURL: s.HasWebhookURL})
	}
	return out
}

// hasEscalationWebhooks reports whether a step has an incoming webhook:
// then the parameter exists.
func hasEscalationWebhooks(spec Spec) bool {
	return slices.ContainsFunc(spec.Escalation, EscalationSpec.hasWebhook)
}

// escalationWebhooksValue is the parameter's value: one URL per step; ""
// (the stored value is kept) when a step's URL is kept but not given.
func escalationWebhooksValue(spec Spec) string {
	urls := make([]string, len(spec.Escalation))
	for i, s := range spec.Escalation {
		if s.WebhookURL == "" && s.KeepWebhookURL {
			return ""
		}
		urls[i] = s.WebhookURL
	}
	b, _ := json.Marshal(urls) // strings always marshal
	return string(b)
}

// escalationFilters are the e-mail subscriptions the escalation topic
// wants: each address with the filter policy of the steps naming it. No
// address: no topic.
func escalationFilters(spec Spec) map[string]string {
	steps := map[string][]string{}
	for i, s := range spec.Escalation {
		for _, e := range s.EmailAddresses {
			if n := strconv.Itoa(i + 1); !slices.Contains(steps[e], n) {
				steps[e] = append(steps[e], n)
			}
		}
	}
	out := make(map[string]string, len(steps))
	for e, n := range steps {
		out[e] = filterPolicy(n)
	}
	return out
}

// hasEscalationTopic reports whether the gate has the escalation topic.
func hasEscalationTopic(spec Spec) bool { return len(escalationFilters(spec)) > 0 }

func filterPolicy(steps []string) string {
	b, _ := json.Marshal(map[string][]string{approval.EscalationStepAttribute: steps})
	return string(b)
}

// sameFilter compares two filter policies as JSON values.
func sameFilter(a, b string) bool {
	var x, y map[string][]string
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	for _, v := range x {
		slices.Sort(v)
	}
	for _, v := range y {
		slices.Sort(v)
	}
	return maps.EqualFunc(x, y, slices.Equal)
}

// escalationSubscriptions lists the topic's e-mail subscriptions: endpoint
// to subscription ARN ("PendingConfirmation" until confirmed on AWS).
func (r *run) escalationSubscriptions(ctx context.Context, arn string) (map[string]string, error) {
	have := map[string]string{}
	p := sns.NewListSubscriptionsByTopicPaginator(r.m.c.SNS, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range out.Subscriptions {
			if aws.ToString(s.Protocol) == "email" {
				have[aws.ToString(s.Endpoint)] = aws.ToString(s.SubscriptionArn)
			}
		}
	}
	return have, nil
}

// subscriptionFilter reads a confirmed subscription's filter policy.
func (r *run) subscriptionFilter(ctx context.Context, subARN string) (string, error) {
	out, err := r.m.c.SNS.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	if err != nil {
		return "", err
	}
	return out.Attributes["FilterPolicy"], nil
}

// ensureEscalationTopic creates or converges the escalation topic, its
// attributes, tags and subscriptions (filter policies included), or
// deletes it when no step has e-mail addresses.
func (r *run) ensureEscalationTopic(ctx context.Context) error {
	c := r.m.c.SNS
	name, arn := r.n.escalationTopic(), r.a.escalationTopic()
	want := escalationFilters(r.spec)
	if len(want) == 0 {
		if r.fresh {
			return nil
		}
		return r.deleteEscalationTopic(ctx)
	}
	arn, exists, err := r.convergeTopic(ctx, partEscalationTopic, name, arn, r.deleteEscalationTopic)
	if err != nil {
		return err
	}
	have := map[string]string{}
	if exists {
		if have, err = r.escalationSubscriptions(ctx, arn); err != nil {
			return fmt.Errorf("listing SNS Topic (%s) subscriptions: %w", name, err)
		}
	}
	var steps []func(context.Context) error
	for email, filter := range want {
		subARN, ok := have[email]
		switch {
		case !ok:
			steps = append(steps, func(ctx context.Context) error {
				_, err := c.Subscribe(ctx, &sns.SubscribeInput{
					TopicArn: aws.String(arn), Protocol: aws.String("email"), Endpoint: aws.String(email),
					Attributes: map[string]string{"FilterPolicy": filter}, ReturnSubscriptionArn: true,
				})
				return wrapf(err, "subscribing email %s to SNS Topic (%s)", email, name)
			})
		case strings.HasPrefix(subARN, "arn:"):
			// A pending subscription (AWS lists it without an ARN) keeps the
			// filter it was created with; a confirmed one is checked.
			steps = append(steps, func(ctx context.Context) error {
				got, err := r.subscriptionFilter(ctx, subARN)
				if err != nil {
					return wrapf(err, "reading the filter policy of email %s on SNS Topic (%s)", email, name)
				}
				if sameFilter(got, filter) {
					return nil
				}
				_, err = c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
					SubscriptionArn: aws.String(subARN), AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(filter),
				})
				return wrapf(err, "setting the filter policy of email %s on SNS Topic (%s)", email, name)
			})
		}
	}
	for email, subARN := range have {
		if _, ok := want[email]; ok || !strings.HasPrefix(subARN, "arn:") {
			continue // wanted, or pending confirmation (AWS cannot unsubscribe those)
		}
		steps = append(steps, func(ctx context.Context) error {
			_, err := c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(subARN)})
			if hasCode(err, "NotFound") {
				return nil
			}
			return wrapf(err, "unsubscribing email %s from SNS Topic (%s)", email, name)
		})
	}
	return parallel(ctx, steps...)
}

// readEscalationTopic refreshes the escalation topic, when the gate has
// one: missing, its key, its subscriptions (missing, extra, filter) and
// tags.
func (r *run) readEscalationTopic(ctx context.Context) error {
	name, arn := r.n.escalationTopic(), r.a.escalationTopic()
	want := escalationFilters(r.spec)
	if len(want) == 0 {
		// Not read: a gate without escalation e-mails pays no call for it
		// (an update deletes a topic left from an earlier configuration).
		return nil
	}
	return r.readTopicPart(ctx, partEscalationTopic, name, arn, nil, func(ctx context.Context) error {
		have, err := r.escalationSubscriptions(ctx, arn)
		if err != nil {
			return fmt.Errorf("listing SNS Topic (%s) subscriptions: %w", name, err)
		}
		var checks []func(context.Context) error
		for email, filter := range want {
			subARN, ok := have[email]
			switch {
			case !ok:
				r.drifted(partEscalationTopic, "SNS subscription email %s on %s: missing", email, name)
			case strings.HasPrefix(subARN, "arn:"):
				checks = append(checks, func(ctx context.Context) error {
					got, err := r.subscriptionFilter(ctx, subARN)
					if err != nil {
						return wrapf(err, "reading the filter policy of email %s on SNS Topic (%s)", email, name)
					}
					if !sameFilter(got, filter) {
						r.drifted(partEscalationTopic, "SNS subscription email %s on %s: filter policy is %q", email, name, got)
					}
					return nil
				})
			}
		}
		for email := range have {
			if _, ok := want[email]; !ok {
				r.drifted(partEscalationTopic, "SNS subscription email %s on %s: not configured", email, name)
			}
		}
		return parallel(ctx, checks...)
	})
}

// deleteEscalationTopic deletes the escalation topic (and with it its
// subscriptions); a topic already gone is fine.
func (r *run) deleteEscalationTopic(ctx context.Context) error {
	return r.deleteTopicPart(ctx, r.n.escalationTopic(), r.a.escalationTopic())
}
