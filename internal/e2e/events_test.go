package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
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
