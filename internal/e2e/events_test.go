package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// eventQueue is an SQS queue behind an EventBridge rule on the default bus
// that matches every event of the gate ({"source":["manualapproval"]}).
type eventQueue struct {
	sqs  *sqs.Client
	url  string
	seen []gateEvent
}

// gateEvent is one EventBridge event as delivered to the queue.
type gateEvent struct {
	Source     string         `json:"source"`
	DetailType string         `json:"detail-type"`
	Detail     map[string]any `json:"detail"`
}

// newEventQueue creates the queue, the rule and its target.
// Cleanup is registered on cleanup (the test, so the queue outlives one
// scenario).
func newEventQueue(ctx context.Context, t, cleanup *testing.T, cfg aws.Config, name string) *eventQueue {
	t.Helper()
	q := &eventQueue{sqs: sqs.NewFromConfig(cfg)}
	out, err := q.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("creating queue %s: %v", name, err)
	}
	q.url = aws.ToString(out.QueueUrl)
	eb := eventbridge.NewFromConfig(cfg)
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(name), EventPattern: aws.String(`{"source":["manualapproval"]}`), State: ebtypes.RuleStateEnabled,
	}); err != nil {
		t.Fatalf("creating rule %s: %v", name, err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{{
		Id: aws.String("queue"), Arn: aws.String("arn:aws:sqs:us-east-1:000000000000:" + name),
	}}}); err != nil {
		t.Fatalf("targeting queue %s: %v", name, err)
	}
	cleanup.Cleanup(func() {
		ctx := context.Background()
		_, _ = eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(name), Ids: []string{"queue"}})
		_, _ = eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name)})
		_, _ = q.sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(q.url)})
	})
	return q
}

// wait receives from the queue until an event of detailType about request
// id has arrived, and returns its detail.
func (q *eventQueue) wait(ctx context.Context, detailType, id string) (map[string]any, error) {
	for {
		for _, e := range q.seen {
			if e.DetailType == detailType && e.Detail["request_id"] == id {
				return e.Detail, nil
			}
		}
		out, err := q.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			return nil, fmt.Errorf("waiting for %s of %s (seen %v): %w", detailType, id, q.types(), err)
		}
		for _, m := range out.Messages {
			var e gateEvent
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
				return nil, fmt.Errorf("queue message %q: %w", aws.ToString(m.Body), err)
			}
			q.seen = append(q.seen, e)
			_, _ = q.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.url), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

func (q *eventQueue) types() []string {
	var out []string
	for _, e := range q.seen {
		out = append(out, e.DetailType)
	}
	return out
}

// expireNow moves request id's expiry and due time into the past, as if
// its timeout had run out (the test does not wait for it).
func expireNow(w *world, id string) {
	w.t.Helper()
	past := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	if _, err := w.ddb().UpdateItem(w.ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(w.attrs["table_name"]), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}},
		UpdateExpression:          aws.String("SET due_at = :d, expires_at = :d"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":d": &ddbtypes.AttributeValueMemberN{Value: past}},
	}); err != nil {
		w.t.Fatal(err)
	}
}

// TestE2E_events: every message kept true and the decision events, on the
// local AWS with the real handlers. The gate puts its events on the
// account's default bus; a rule there sends them to an SQS queue, which the
// test reads (kumo delivers EventBridge to SQS as AWS does).
func TestE2E_events(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, appSigningSecret)
	slack.SetBotToken("xoxb-e2e-token")
	var q *eventQueue
	withGate(t, appGate(slack, "events = {}\n  notify_on_decision = true"), []scenario{
		{"EV1 an expiry marks the Slack message and emits Approval Expired received through an EventBridge rule with an SQS target", func(w *world) {
			q = newEventQueue(w.ctx, w.t, t, w.direct(), w.name+"-events")
			w.start(`{"requested_by":"U0CAROL01"}`, nil)
			m := nextMessage(w, slack, 1)
			ctx, cancel := context.WithTimeout(w.ctx, time.Minute)
			defer cancel()
			req, err := q.wait(ctx, "Approval Requested", m.RequestID)
			if err != nil {
				w.t.Fatal(err)
			}
			if req["status"] != "pending" || req["schema_version"] != "1" || req["gate"] != w.name {
				w.t.Errorf("Approval Requested detail %v", req)
			}
			// The timeout runs out (the test moves it rather than waiting)
			// and the schedule fires.
			expireNow(w, m.RequestID)
			res, err := acctest.Tick(ctx, w.direct(), w.name)
			if err != nil {
				w.t.Fatal(err)
			}
			if res.Expired != 1 {
				w.t.Errorf("sweep %+v, want one expired", res)
			}
			upd, err := slack.WaitUpdate(ctx, m.TS)
			if err != nil || !strings.Contains(fmt.Sprint(upd), "Expired") || strings.Contains(fmt.Sprint(upd), `"actions"`) {
				w.t.Errorf("message after the expiry: %v %v", upd, err)
			}
			d, err := q.wait(ctx, "Approval Expired", m.RequestID)
			if err != nil {
				w.t.Fatal(err)
			}
			if d["status"] != "expired" || d["ended"] != "timeout" || d["decision"] != nil {
				w.t.Errorf("Approval Expired detail %v", d)
			}
			b, _ := json.Marshal(q.seen)
			token := attrS(w.item(m.RequestID), "token")
			if s := string(b); token == "" || strings.Contains(s, token) || strings.Contains(s, "sig=") || strings.Contains(s, "/r/") {
				w.t.Errorf("an event carries a link or the task token: %s", s)
			}
			// Told once: another tick finds nothing, sends nothing more.
			if res, err := acctest.Tick(ctx, w.direct(), w.name); err != nil || res.Due != 0 {
				w.t.Errorf("second tick %+v %v", res, err)
			}
			if item := w.item(m.RequestID); item["told_at"] == nil {
				w.t.Errorf("the expired request is not marked told: %v", item)
			}
		}},
		{"EV2 a decision by link updates the Slack app message and emits Approval Decided", func(w *world) {
			e := w.start(`{"requested_by":"U0CAROL01"}`, nil)
			m := nextMessage(w, slack, 2)
			ctx, cancel := context.WithTimeout(w.ctx, time.Minute)
			defer cancel()
			_, reject := links(w.t, snsWaitFor(ctx, w, "/r/"+m.RequestID))
			if code, page := post(w.t, reject, url.Values{"name": {"dora"}, "comment": {"not today"}}); code != http.StatusOK {
				w.t.Fatalf("POST reject link: %d\n%.600s", code, page)
			}
			if d, out := e.wait(); path(out, "outcome") != "rejected" {
				w.t.Errorf("execution %s output %s, want rejected", d.Status, deref(d.Output))
			}
			upd, err := slack.WaitUpdate(ctx, m.TS)
			if s := fmt.Sprint(upd); err != nil || !strings.Contains(s, "Rejected by") || !strings.Contains(s, "not today") {
				w.t.Errorf("the Slack app message after a decision by link: %v %v", upd, err)
			}
			d, err := q.wait(ctx, "Approval Decided", m.RequestID)
			if err != nil {
				w.t.Fatal(err)
			}
			by, _ := d["decided_by"].([]any)
			if d["decision"] != "rejected" || d["via"] != "link" || d["comment"] != "not today" || len(by) != 1 || path(by[0], "id") != "anonymous" {
				w.t.Errorf("Approval Decided detail %v", d)
			}
			// The SNS topic got the decision notice (notify_on_decision).
			if n := snsWaitFor(ctx, w, "Rejected by dora (link)"); !strings.Contains(n, m.RequestID) {
				w.t.Errorf("SNS decision notice %q does not name request %s", n, m.RequestID)
			}
		}},
	})
}

// snsWaitFor waits for a message of the gate's topic that contains text
// (the topic carries requests and decision notices, in no set order).
func snsWaitFor(ctx context.Context, w *world, text string) string {
	w.t.Helper()
	for n := 1; ; n++ {
		msgs, err := w.sns.Wait(ctx, n)
		if err != nil {
			w.t.Fatalf("no SNS message contains %q: %v", text, err)
		}
		if m := msgs[n-1].Message; strings.Contains(m, text) {
			return m
		}
	}
}

// webhookSink is a generic-webhook receiver on loopback: it keeps every
// delivery whose signature verifies, and counts the others.
type webhookSink struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
	bad    int
}

func newWebhookSink(t *testing.T, secret string) *webhookSink {
	s := &webhookSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		err := approval.VerifyWebhookSignature([]byte(secret), r.Header.Get(approval.WebhookTimestampHeader),
			r.Header.Get(approval.WebhookDeliveryHeader), r.Header.Get(approval.WebhookSignatureHeader), b, time.Now())
		var obj map[string]any
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil || json.Unmarshal(b, &obj) != nil {
			s.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		s.bodies = append(s.bodies, obj)
	}))
	t.Cleanup(s.Close)
	return s
}

// wait waits for a delivery about request id with the given event ("" for
// the request itself).
func (s *webhookSink) wait(ctx context.Context, event, id string) (map[string]any, error) {
	for {
		s.mu.Lock()
		for _, b := range s.bodies {
			if e, _ := b["event"].(string); e == event && b["request_id"] == id {
				s.mu.Unlock()
				return b, nil
			}
		}
		n := len(s.bodies)
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no webhook delivery %q for %s among %d: %w", event, id, n, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestE2E_decisionFollowups: the channels whose messages cannot be edited.
// With notify_on_decision, the Slack incoming webhook gets a short
// follow-up once a request is decided or expires, and the generic webhook
// receives approval.decided and approval.expired, signed like every
// delivery.
func TestE2E_decisionFollowups(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, "unused")
	const secret = "e2e-webhook-secret-0123456789"
	hook := newWebhookSink(t, secret)
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  include_execution_context = false
  allow_self_approval       = true
  notify_on_decision        = true
  slack = {
    webhook_url = %[2]q
  }
  webhook = {
    url    = %[3]q
    secret = %[4]q
  }
}
`, acctest.RandomName(), slack.WebhookURL(), hook.URL+"/hook", secret), []scenario{
		{"F1 a decision by link: a follow-up in Slack and approval.decided on the webhook", func(w *world) {
			e := w.start(`{"requested_by":"carol"}`, nil)
			m := nextMessage(w, slack, 1)
			if code, page := post(w.t, m.ApproveURL, url.Values{"name": {"Alice"}, "comment": {"ship it"}}); code != http.StatusOK {
				w.t.Fatalf("approve: %d %.600s", code, page)
			}
			if d, _ := e.wait(); d.Status != "SUCCEEDED" {
				w.t.Errorf("execution %s", d.Status)
			}
			f := nextMessage(w, slack, 2)
			if f.ApproveURL != "" || f.RejectURL != "" || !strings.Contains(f.Text, "Approved by Alice") {
				w.t.Errorf("follow-up %+v, want \"Approved by Alice\" and no buttons", f)
			}
			ctx, cancel := context.WithTimeout(w.ctx, time.Minute)
			defer cancel()
			if _, err := hook.wait(ctx, "", m.RequestID); err != nil {
				w.t.Error(err)
			}
			d, err := hook.wait(ctx, approval.WebhookEventDecided, m.RequestID)
			if err != nil {
				w.t.Fatal(err)
			}
			if d["decision"] != "approved" || d["comment"] != "ship it" || d["schema_version"] != "1" || d["approve_url"] != nil {
				w.t.Errorf("approval.decided body %v", d)
			}
		}},
		{"F2 an expiry: a follow-up in Slack and approval.expired on the webhook", func(w *world) {
			w.start(`{"requested_by":"carol"}`, nil)
			m := nextMessage(w, slack, 3)
			expireNow(w, m.RequestID)
			ctx, cancel := context.WithTimeout(w.ctx, time.Minute)
			defer cancel()
			if res, err := acctest.Tick(ctx, w.direct(), w.name); err != nil || res.Expired != 1 {
				w.t.Fatalf("sweep %+v %v", res, err)
			}
			f := nextMessage(w, slack, 4)
			if f.ApproveURL != "" || !strings.Contains(f.Text, "Expired") {
				w.t.Errorf("follow-up %+v, want \"Expired\" and no buttons", f)
			}
			d, err := hook.wait(ctx, approval.WebhookEventExpired, m.RequestID)
			if err != nil {
				w.t.Fatal(err)
			}
			if d["status"] != "expired" || d["ended"] != "timeout" {
				w.t.Errorf("approval.expired body %v", d)
			}
			// Each follow-up once, and every delivery signed.
			waitLog(w, w.name+"-notifier", `"msg":"follow-ups"`)
			if got := len(slack.Messages()); got != 4 {
				w.t.Errorf("%d Slack messages, want 4 (two requests, two follow-ups)", got)
			}
			hook.mu.Lock()
			n, bad := len(hook.bodies), hook.bad
			hook.mu.Unlock()
			if n != 4 || bad != 0 {
				w.t.Errorf("%d webhook deliveries (%d unsigned), want 4 signed", n, bad)
			}
		}},
	})
}
