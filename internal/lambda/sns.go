package lambda

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// How long a warm notifier trusts what it learnt of the topic's
// subscriptions. A confirmed subscription rarely goes away, so "confirmed"
// is kept ten minutes (one ListSubscriptionsByTopic call per warm process
// and ten minutes); "none confirmed" only one, so a recipient who just
// clicked the confirmation link is counted soon.
const (
	subscriptionsConfirmedTTL   = 10 * time.Minute
	subscriptionsUnconfirmedTTL = time.Minute
	// maxSubscriptionPages bounds the search (100 subscriptions a page).
	maxSubscriptionPages = 10
)

// pendingConfirmation is the SubscriptionArn SNS lists for a subscription
// not confirmed yet (an e-mail recipient who has not clicked the link):
// ListSubscriptionsByTopic API reference.
const pendingConfirmation = "PendingConfirmation"

// errNotDelivered marks a channel that sent nothing on purpose: it is
// neither counted as delivered nor as failed.
type errNotDelivered struct{ reason string }

func (e *errNotDelivered) Error() string { return e.reason }

// subscriptionCache is what the notifier knows of its topic's
// subscriptions.
type subscriptionCache struct {
	mu        sync.Mutex
	confirmed bool
	until     time.Time
}

// topicConfirmed reports whether the gate's topic has at least one confirmed
// subscription, asking SNS at most once per TTL. It asks
// ListSubscriptionsByTopic rather than GetTopicAttributes'
// SubscriptionsConfirmed: both cost one call, but the local AWS (kumo
// v0.33.1) answers SubscriptionsConfirmed "0" whatever the topic has, while
// it lists subscriptions as AWS does.
func (n *Notifier) topicConfirmed(ctx context.Context) (bool, error) {
	c := &n.subs
	c.mu.Lock()
	defer c.mu.Unlock()
	now := n.Now()
	if now.Before(c.until) {
		return c.confirmed, nil
	}
	in := &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(n.Config.TopicARN)}
	confirmed := false
	for range maxSubscriptionPages {
		out, err := n.SNS.ListSubscriptionsByTopic(ctx, in)
		if err != nil {
			return false, fmt.Errorf("listing the subscriptions of %s: %w", n.Config.TopicARN, err)
		}
		for _, s := range out.Subscriptions {
			if arn := aws.ToString(s.SubscriptionArn); arn != "" && arn != pendingConfirmation && arn != "Deleted" {
				confirmed = true
			}
		}
		if confirmed || out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	c.confirmed = confirmed
	c.until = now.Add(subscriptionsUnconfirmedTTL)
	if confirmed {
		c.until = now.Add(subscriptionsConfirmedTTL)
	}
	return confirmed, nil
}

// publishSNS publishes m to the gate's topic with MessageStructure=json: the
// full text for e-mail and other protocols, the title and one link for SMS.
// A topic without a confirmed subscription is not published to: nobody would
// receive it. When the check itself fails the message is published anyway
// (a missed notification is worse than a wasted publish).
func (n *Notifier) publishSNS(ctx context.Context, r approval.Request, m approval.Message) error {
	ok, err := n.topicConfirmed(ctx)
	switch {
	case err != nil:
		n.Log.Warn("sns subscriptions not checked", "request_id", r.ID, "error", err.Error())
	case !ok:
		return &errNotDelivered{reason: "the topic has no confirmed subscription: e-mail recipients must click the link of " +
			"the AWS Notification subscription confirmation first, and SMS numbers must be verified while the account's SMS is in the sandbox"}
	}
	body, err := approval.SNSMessageJSON(m)
	if err != nil {
		return err
	}
	_, err = n.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn:         aws.String(n.Config.TopicARN),
		Subject:          aws.String(approval.SNSSubject(m)),
		Message:          aws.String(body),
		MessageStructure: aws.String("json"),
	})
	return err
}
