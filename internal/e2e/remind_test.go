package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestE2E_reminders: reminders and the last call, on the local AWS with the
// real handlers. The test does not wait for a reminder's time: it moves the
// request's creation (and due_at) back, then fires the schedule
// (acctest.Tick).
func TestE2E_reminders(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, appSigningSecret)
	slack.SetBotToken("xoxb-e2e-token")
	withGate(t, appGate(slack, `allow_self_approval = true
  timeout_seconds            = 3600
  reminders                  = { after_seconds = 60, every_seconds = 60, max = 2 }
  warn_before_expiry_seconds = 600`), []scenario{
		{"R1 a reminder after N s, in the thread, and by SNS; then the last call; nothing after the decision", func(w *world) {
			e := w.start(`{"requested_by":"carol"}`, nil)
			m := nextMessage(w, slack, 1)
			w.snsLinks() // the request itself
			id := m.RequestID
			item := w.item(id)
			created, due := attrInt(w, item, "created_at"), attrInt(w, item, "due_at")
			if due != created+60 {
				w.t.Fatalf("due_at %d, want the first reminder at created_at+60 = %d", due, created+60)
			}
			// Nothing is due yet.
			ctx, cancel := context.WithTimeout(w.ctx, 2*time.Minute)
			defer cancel()
			if res, err := acctest.Tick(ctx, w.direct(), w.name); err != nil || res.Reminded != 0 {
				w.t.Fatalf("tick before the reminder: %+v %v", res, err)
			}
			// 61 s later.
			age(w, id, 61)
			res, err := acctest.Tick(ctx, w.direct(), w.name)
			if err != nil || res.Reminded != 1 || res.Failed != 0 {
				w.t.Fatalf("tick at the reminder: %+v %v, want one reminder", res, err)
			}
			replies, err := slack.WaitReplies(ctx, m.TS, 1)
			if err != nil {
				w.t.Fatal(err)
			}
			r := replies[0]
			for _, want := range []string{"Reminder", "<@U0ALICE01>", "<@U0BOB0001>", "erin@example.com"} {
				if !strings.Contains(fmt.Sprint(r.Body["text"]), want) {
					w.t.Errorf("thread reply %q lacks %q", r.Body["text"], want)
				}
			}
			if r.Channel != m.Channel {
				w.t.Errorf("reply in %s, want the request's channel %s", r.Channel, m.Channel)
			}
			w.seen++
			msgs, err := w.sns.Wait(ctx, w.seen)
			if err != nil {
				w.t.Fatal(err)
			}
			if sm := msgs[w.seen-1]; !strings.Contains(sm.Message, "Reminder: still waiting") || !strings.Contains(sm.Message, "/r/"+id) {
				w.t.Errorf("SNS reminder %q, want the reminder with the links", sm.Message)
			}
			if got := attrS(w.item(id), "followup"); !strings.Contains(got, `"reminders_sent":1`) {
				w.t.Errorf("followup %s, want one reminder recorded", got)
			}
			// Fired again at once: the next reminder is not due.
			if res, err := acctest.Tick(ctx, w.direct(), w.name); err != nil || res.Reminded != 0 {
				w.t.Errorf("second tick: %+v %v, want no reminder", res, err)
			}
			// 55 minutes later the request expires in about 4 minutes: the
			// last call is due (and takes the place of the second reminder).
			age(w, id, 3300)
			if res, err := acctest.Tick(ctx, w.direct(), w.name); err != nil || res.Reminded != 1 {
				w.t.Fatalf("tick at the last call: %+v %v", res, err)
			}
			replies, err = slack.WaitReplies(ctx, m.TS, 2)
			if err != nil {
				w.t.Fatal(err)
			}
			last := replies[1]
			if txt := fmt.Sprint(last.Body["text"]); !strings.Contains(txt, "Last call: expires in ") || !strings.Contains(txt, " minutes, at ") || last.Body["reply_broadcast"] != true {
				w.t.Errorf("last call %v", last.Body)
			}
			// Alice approves; the request leaves the index and gets nothing more.
			if resp, body, err := slack.Click(ctx, w.attrs["callback_url"], m, "approve", "U0ALICE01", "alice"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("click: %v %v %s", err, status(resp), body)
			}
			if d, _ := e.wait(); d.Status != "SUCCEEDED" {
				w.t.Fatalf("execution %s", d.Status)
			}
			if res, err := acctest.Tick(ctx, w.direct(), w.name); err != nil || res.Due != 0 || res.Reminded != 0 {
				w.t.Errorf("tick after the decision: %+v %v", res, err)
			}
			if replies := slackReplies(slack, m.TS); len(replies) != 2 {
				w.t.Errorf("%d thread replies after the decision, want the 2 before it", len(replies))
			}
		}},
		{"R2 a sweep over 1,000 pending requests reads only the due ones", func(w *world) {
			const total, dueN = 1000, 25
			now := time.Now().Unix()
			for i := range total {
				id := fmt.Sprintf("bulk%06d", i)
				created, due := now, now+3600
				if i%(total/dueN) == 0 {
					created, due = now-61, now-1 // the first reminder is due
				}
				putPending(w, id, created, due)
			}
			ctx, cancel := context.WithTimeout(w.ctx, 2*time.Minute)
			defer cancel()
			local.Proxy.Reset()
			res, err := acctest.Tick(ctx, w.direct(), w.name)
			if err != nil {
				w.t.Fatal(err)
			}
			counts := local.Proxy.Counts()
			w.t.Logf("sweep over %d pending, %d due: %+v; calls:\n%s", total, dueN, res, acctest.FormatCounts(counts))
			if res.Due != dueN || res.Reminded != dueN || res.More || res.Failed != 0 {
				w.t.Errorf("sweep %+v, want %d due and reminded, none left", res, dueN)
			}
			if q, g := counts["dynamodb:Query"], counts["dynamodb:GetItem"]; q > 2 || g != dueN {
				w.t.Errorf("%d Query and %d GetItem calls, want at most 2 and %d (the due ones)", q, g, dueN)
			}
			if n := counts["dynamodb:Scan"]; n != 0 {
				w.t.Errorf("%d Scan calls", n)
			}
		}},
	})
}

func attrInt(w *world, item map[string]ddbtypes.AttributeValue, name string) int64 {
	w.t.Helper()
	v, ok := item[name].(*ddbtypes.AttributeValueMemberN)
	if !ok {
		w.t.Fatalf("attribute %s is not a number: %v", name, item[name])
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// age moves request id back in time by back seconds (its creation and its
// expiry), and sets due_at to a second ago so the next tick reads it.
func age(w *world, id string, back int64) {
	w.t.Helper()
	item := w.item(id)
	num := func(v int64) ddbtypes.AttributeValue {
		return &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
	}
	if _, err := w.ddb().UpdateItem(w.ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(w.attrs["table_name"]), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}},
		UpdateExpression: aws.String("SET created_at = :c, due_at = :d, expires_at = :e"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":c": num(attrInt(w, item, "created_at") - back), ":e": num(attrInt(w, item, "expires_at") - back),
			":d": num(time.Now().Unix() - 1),
		},
	}); err != nil {
		w.t.Fatal(err)
	}
}

// putPending writes a pending request as the notifier stores one.
func putPending(w *world, id string, created, due int64) {
	w.t.Helper()
	n := func(v int64) ddbtypes.AttributeValue {
		return &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
	}
	s := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	if _, err := w.ddb().PutItem(w.ctx, &dynamodb.PutItemInput{
		TableName: aws.String(w.attrs["table_name"]),
		Item: map[string]ddbtypes.AttributeValue{
			"id": s(id), "token": s("bulk-token-" + id), "title": s("Bulk " + id), "context": s("[]"),
			"created_at": n(created), "expires_at": n(created + 3600), "min_approvals": n(1), "status": s("pending"),
			"version": n(0), "votes": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{}}, "due_at": n(due),
		},
	}); err != nil {
		w.t.Fatal(err)
	}
}

// slackReplies are the replies in the thread of message ts so far.
func slackReplies(s *acctest.Slack, ts string) []acctest.Message {
	var out []acctest.Message
	for _, m := range s.Messages() {
		if m.ThreadTS == ts {
			out = append(out, m)
		}
	}
	return out
}

// TestE2E_remindersWebhook: the webhook gets an approval.reminded event,
// signed like every delivery, from the callback's sweep (which, with
// reminders, reads the webhook's secrets).
func TestE2E_remindersWebhook(t *testing.T) {
	preCheck(t)
	type delivery struct {
		header http.Header
		body   []byte
	}
	got := make(chan delivery, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), b}
	}))
	t.Cleanup(hook.Close)
	const secret = "e2e-webhook-secret-0123456789"
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  include_execution_context = false
  allow_self_approval       = true
  timeout_seconds           = 3600
  webhook = {
    url    = %[2]q
    secret = %[3]q
  }
  reminders = { after_seconds = 120, every_seconds = 600 }
}
`, acctest.RandomName(), hook.URL+"/hook", secret), []scenario{
		{"R3 a signed approval.reminded event", func(w *world) {
			w.start(`{"requested_by":"carol"}`, nil)
			var first delivery
			select {
			case first = <-got:
			case <-w.ctx.Done():
				w.t.Fatal("no webhook delivery of the request")
			}
			var req map[string]any
			if err := json.Unmarshal(first.body, &req); err != nil {
				w.t.Fatal(err)
			}
			id, _ := req["request_id"].(string)
			age(w, id, 121)
			if res, err := acctest.Tick(w.ctx, w.direct(), w.name); err != nil || res.Reminded != 1 {
				w.t.Fatalf("tick: %+v %v, want one reminder", res, err)
			}
			var d delivery
			select {
			case d = <-got:
			case <-w.ctx.Done():
				w.t.Fatal("no webhook reminder")
			}
			var ev map[string]any
			if err := json.Unmarshal(d.body, &ev); err != nil {
				w.t.Fatal(err)
			}
			if ev["event"] != "approval.reminded" || ev["request_id"] != id || ev["reminder"] != float64(1) {
				w.t.Errorf("event %s", d.body)
			}
			if err := approval.VerifyWebhookSignature([]byte(secret), d.header.Get(approval.WebhookTimestampHeader), d.header.Get(approval.WebhookDeliveryHeader),
				d.header.Get(approval.WebhookSignatureHeader), d.body, time.Now()); err != nil {
				w.t.Errorf("reminder signature: %v", err)
			}
			if d.header.Get(approval.WebhookDeliveryHeader) == first.header.Get(approval.WebhookDeliveryHeader) {
				w.t.Error("the reminder reuses the request's delivery id")
			}
		}},
	})
}
