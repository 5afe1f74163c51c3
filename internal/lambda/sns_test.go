package lambda

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// snsFake is the gate's topic: Publish records, ListSubscriptionsByTopic
// lists h.subscriptions two a page.
type snsFake struct{ h *ntHarness }

func (f *snsFake) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	f.h.published = append(f.h.published, in)
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, f.h.snsErr
}

func (f *snsFake) ListSubscriptionsByTopic(_ context.Context, in *sns.ListSubscriptionsByTopicInput, _ ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error) {
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	f.h.listCalls++
	if f.h.listErr != nil {
		return nil, f.h.listErr
	}
	subs := f.h.subscriptions
	if subs == nil {
		subs = []snstypes.Subscription{{Protocol: aws.String("email"), SubscriptionArn: aws.String(aws.ToString(in.TopicArn) + ":1111")}}
	}
	start := 0
	if in.NextToken != nil {
		_ = json.Unmarshal([]byte(*in.NextToken), &start)
	}
	end := min(start+2, len(subs))
	out := &sns.ListSubscriptionsByTopicOutput{Subscriptions: subs[start:end]}
	if end < len(subs) {
		b, _ := json.Marshal(end)
		out.NextToken = aws.String(string(b))
	}
	return out, nil
}

func pending(protocol string) snstypes.Subscription {
	return snstypes.Subscription{Protocol: aws.String(protocol), SubscriptionArn: aws.String("PendingConfirmation")}
}

// TestNotifier_snsPublish: one publish with MessageStructure=json (SNS
// Publish API reference: "default" is required, "email" and "sms" are
// protocol keys), the SMS a title and one link.
func TestNotifier_snsPublish(t *testing.T) {
	t.Parallel()
	h := newNotifier(t, approval.SlackFormatNone, nil, nil, func(c *approval.Config) { c.ParamWebhookURL = "" })
	if _, err := h.n.Handle(context.Background(), payload(t, basicPayload())); err != nil {
		t.Fatal(err)
	}
	if len(h.published) != 1 {
		t.Fatalf("%d publishes", len(h.published))
	}
	in := h.published[0]
	var body map[string]string
	if aws.ToString(in.MessageStructure) != "json" || json.Unmarshal([]byte(aws.ToString(in.Message)), &body) != nil {
		t.Fatalf("publish: structure %q message %s", aws.ToString(in.MessageStructure), aws.ToString(in.Message))
	}
	if !strings.Contains(body["default"], "Reject: ") || body["email"] != body["default"] {
		t.Errorf("default/email bodies: %q", body["default"])
	}
	if sms := body["sms"]; !strings.HasPrefix(sms, "Approval needed: ") || strings.Count(sms, "https://") != 1 || approval.SMSSegments(sms) > 3 {
		t.Errorf("sms body (%d segments): %q", approval.SMSSegments(sms), sms)
	}
}

// TestNotifier_snsUnconfirmed: a topic whose subscriptions are all pending
// (SNS lists them as "PendingConfirmation") is not counted as delivered: not
// published to, said so in the result and the logs; with no other channel
// the notifier fails (ManualApproval.NotifyFailed). The answer is cached per
// warm process: one ListSubscriptionsByTopic call within the TTL.
func TestNotifier_snsUnconfirmed(t *testing.T) {
	t.Parallel()
	h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, nil)
	h.subscriptions = []snstypes.Subscription{pending("email"), pending("email"), pending("sms")}
	res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.published) != 0 || len(res.Undelivered) != 1 || !strings.Contains(res.Undelivered[0], "no confirmed subscription") ||
		strings.Contains(strings.Join(res.Sent, ","), "sns") {
		t.Errorf("result %+v, %d publishes", res, len(h.published))
	}
	if !strings.Contains(h.logs.String(), `"msg":"notification not delivered"`) {
		t.Error("not logged")
	}
	if h.listCalls != 2 {
		t.Errorf("%d ListSubscriptionsByTopic calls over 3 subscriptions, want 2 pages", h.listCalls)
	}

	only := newNotifier(t, approval.SlackFormatNone, nil, nil, func(c *approval.Config) { c.ParamWebhookURL = "" })
	only.subscriptions = []snstypes.Subscription{pending("email")}
	_, err = only.n.Handle(context.Background(), payload(t, basicPayload()))
	if err == nil || errorTypeOf(t, err) != approval.ErrorNotifyFailed || !strings.Contains(err.Error(), "no confirmed subscription") {
		t.Errorf("SNS the only channel, unconfirmed: %v", err)
	}

	// Confirmed on the second page; cached while warm.
	c := newNotifier(t, approval.SlackFormatNone, nil, nil, func(c *approval.Config) { c.ParamWebhookURL = "" })
	c.subscriptions = []snstypes.Subscription{pending("email"), pending("sms"),
		{Protocol: aws.String("lambda"), SubscriptionArn: aws.String("arn:aws:sns:eu-west-1:123456789012:g-approvals:2")}}
	now := testNow
	c.n.Now = func() time.Time { return now }
	c.n.Rand = rand.Reader
	for i := range 3 {
		c.sfn.live[testTaskToken] = testSM
		if _, err := c.n.Handle(context.Background(), payload(t, basicPayload())); err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
		now = now.Add(4 * time.Minute)
	}
	if c.listCalls != 2 || len(c.published) != 3 {
		t.Errorf("%d list calls over 3 invocations in 8 minutes, %d publishes: want 2 (one check of two pages, then cached)", c.listCalls, len(c.published))
	}
	now = now.Add(subscriptionsConfirmedTTL)
	if _, err := c.n.Handle(context.Background(), payload(t, basicPayload())); err != nil || c.listCalls != 4 {
		t.Errorf("after the TTL: %v, %d list calls, want 4", err, c.listCalls)
	}
}

// TestNotifier_snsCheckFails: when the subscriptions cannot be listed the
// message is published anyway and counted.
func TestNotifier_snsCheckFails(t *testing.T) {
	t.Parallel()
	h := newNotifier(t, approval.SlackFormatNone, nil, nil, func(c *approval.Config) { c.ParamWebhookURL = "" })
	h.listErr = errors.New("AuthorizationError")
	res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
	if err != nil || len(h.published) != 1 || len(res.Sent) != 1 {
		t.Errorf("err %v, %d publishes, %+v", err, len(h.published), res)
	}
	if !strings.Contains(h.logs.String(), "sns subscriptions not checked") {
		t.Error("not logged")
	}
}
