package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestE2E_escalation: escalation to a second channel and its approver
// deciding, on the local AWS with the real handler and the local Slack.
// Nobody of the gate's approvers answers; the step's approver (not among
// them) is refused before the step, the sweep posts the request with its
// buttons in the step's channel when the step comes, and a click there by
// the step's approver decides.
func TestE2E_escalation(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, appSigningSecret)
	slack.SetBotToken("xoxb-e2e-token")
	withGate(t, appGate(slack, `allow_self_approval = true
  escalation = [
    { after_seconds = 600, slack_channel = "#escalations", approvers = ["U0BOSS001"] },
  ]`), []scenario{
		{"E1 escalation to a second channel and its approver deciding", func(w *world) {
			cb := w.attrs["callback_url"]
			e := w.start(`{"requested_by":"carol"}`, nil)
			first := nextMessage(w, slack, 1)
			id := first.RequestID
			ctx, cancel := context.WithTimeout(w.ctx, 2*time.Minute)
			defer cancel()

			// Before the step: the boss is nobody's approver yet.
			if resp, body, err := slack.Click(ctx, cb, first, "approve", "U0BOSS001", "boss"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("click before the step: %v %v %s", err, status(resp), body)
			}
			notes, err := slack.WaitEphemerals(ctx, 1)
			if err != nil || !strings.Contains(fmt.Sprint(notes[0]["text"]), "not an approver") {
				w.t.Fatalf("answer to the click before the step: %v %v", notes, err)
			}
			if s := attrS(w.item(id), "status"); s != "pending" {
				w.t.Fatalf("status %s after a refused click", s)
			}
			// A tick before the step sends nothing.
			if res, err := acctest.Tick(ctx, w.direct(), w.name); err != nil || res.Escalated != 0 {
				w.t.Fatalf("tick before the step: %+v %v", res, err)
			}

			// The step comes: the test moves the request's creation 10
			// minutes back (and its due time to now) instead of waiting.
			backdate(w, id, 601*time.Second)
			res, err := acctest.Tick(ctx, w.direct(), w.name)
			if err != nil || res.Escalated != 1 || res.Failed != 0 {
				w.t.Fatalf("tick at the step: %+v %v, want one step escalated", res, err)
			}
			second := nextMessage(w, slack, 2)
			if second.RequestID != id || second.Channel == first.Channel || second.Channel == "" {
				w.t.Fatalf("escalation message %+v, want the request in another channel than %s", second, first.Channel)
			}
			if !strings.Contains(fmt.Sprint(second.Body), "<@U0BOSS001>") || !strings.Contains(fmt.Sprint(second.Body), "Escalated") {
				w.t.Errorf("escalation message does not mention the step's approver: %v", second.Body)
			}
			// The next tick does not post it again.
			if res, err := acctest.Tick(ctx, w.direct(), w.name); err != nil || res.Escalated != 0 {
				w.t.Errorf("second tick: %+v %v", res, err)
			}

			// The boss clicks in the escalation channel: it decides.
			if resp, body, err := slack.Click(ctx, cb, second, "approve", "U0BOSS001", "boss"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("click after the step: %v %v %s", err, status(resp), body)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" || path(out, "approval", "decision") != "approved" {
				w.t.Fatalf("execution %s output %s", d.Status, deref(d.Output))
			}
			if !strings.Contains(deref(d.Output), "slack:U0BOSS001") {
				w.t.Errorf("output does not name the step's approver: %s", deref(d.Output))
			}
			upd, err := slack.WaitUpdate(ctx, second.TS)
			if err != nil || !strings.Contains(fmt.Sprint(upd), "U0BOSS001") {
				w.t.Errorf("escalation message after the decision: %v %v", upd, err)
			}
		}},
	})
}

// backdate moves request id's creation back by d and makes it due now, as
// if d had passed.
func backdate(w *world, id string, d time.Duration) {
	w.t.Helper()
	item := w.item(id)
	created, ok := item["created_at"].(*ddbtypes.AttributeValueMemberN)
	if !ok {
		w.t.Fatalf("request %s has no created_at", id)
	}
	at, _ := strconv.ParseInt(created.Value, 10, 64)
	now := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	if _, err := w.ddb().UpdateItem(w.ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(w.attrs["table_name"]), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}},
		UpdateExpression: aws.String("SET created_at = :c, due_at = :d"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":c": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(at-int64(d/time.Second), 10)},
			":d": &ddbtypes.AttributeValueMemberN{Value: now},
		},
	}); err != nil {
		w.t.Fatal(err)
	}
}
