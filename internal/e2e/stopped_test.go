package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestE2E_stoppedExecution: an execution stopped while it waits at the
// gate. On AWS, Step Functions sends a "Step Functions Execution Status
// Change" event; kumo sends none, so the harness puts the event AWS would
// send (acctest.PutStatusChange) on the default bus, and the gate's own
// <gate>-stopped rule delivers it to the callback (kumo delivers
// EventBridge → Lambda). The request is marked expired ("stopped"), the
// Slack app message says "Execution stopped" without buttons, and a late
// click gets a clear answer.
//
// kumo does not resolve $$.Execution.Id in a Task's Parameters (KUMO.md), so
// e2e gates run without execution context and their requests carry no
// execution id: the test writes the execution's ARN into the request, as
// the notifier stores it on AWS.
func TestE2E_stoppedExecution(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, appSigningSecret)
	slack.SetBotToken("xoxb-e2e-token")
	withGate(t, appGate(slack, ""), []scenario{
		{"X1 a stopped execution's request is marked, its message updated, a late click answered", func(w *world) {
			cb := w.attrs["callback_url"]
			e := w.start(`{"requested_by":"U0CAROL01"}`, nil)
			m := nextMessage(w, slack, 1)
			w.setExecution(m.RequestID, e.arn)
			w.stop(e.arn)
			d, err := acctest.PutStatusChange(w.ctx, w.direct(), e.arn)
			if err != nil {
				w.t.Fatal(err)
			}
			if d.Status != "ABORTED" {
				w.t.Fatalf("execution %s, want ABORTED", d.Status)
			}
			item := w.waitItem(m.RequestID, func(it map[string]ddbtypes.AttributeValue) bool { return attrS(it, "status") == "expired" })
			if f := attrS(item, "followup"); !strings.Contains(f, `"ended":"stopped"`) || !strings.Contains(f, `"execution_status":"ABORTED"`) || item["due_at"] != nil {
				w.t.Errorf("item followup %s due_at %v, want ended stopped (ABORTED), out of the due index", f, item["due_at"])
			}
			upd, err := slack.WaitUpdate(w.ctx, m.TS)
			if err != nil || !strings.Contains(fmt.Sprint(upd), "Execution stopped (ABORTED)") || strings.Contains(fmt.Sprint(upd), "actions") {
				w.t.Fatalf("message after the stop: %v %v", upd, err)
			}
			// A late click: a clear answer, nothing sent to Step Functions.
			if resp, body, err := slack.Click(w.ctx, cb, m, "approve", "U0ALICE01", "alice"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("late click: %v %v %s", err, status(resp), body)
			}
			notes, err := slack.WaitEphemerals(w.ctx, 1)
			if err != nil || !strings.Contains(fmt.Sprint(notes[0]["text"]), "This approval is closed: its execution was stopped (ABORTED) at ") {
				w.t.Errorf("answer to the late click: %v %v", notes, err)
			}
		}},
		{"X2 the event never came: a click finds the task closed and says why", func(w *world) {
			cb := w.attrs["callback_url"]
			e := w.start(`{"requested_by":"U0CAROL01"}`, nil)
			m := nextMessage(w, slack, 2)
			w.setExecution(m.RequestID, e.arn)
			w.stop(e.arn)
			if resp, body, err := slack.Click(w.ctx, cb, m, "approve", "U0ALICE01", "alice"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Fatalf("click: %v %v %s", err, status(resp), body)
			}
			notes, err := slack.WaitEphemerals(w.ctx, 2)
			if err != nil || !strings.Contains(fmt.Sprint(notes[1]["text"]), "This approval is closed: its execution was stopped (ABORTED) at ") {
				w.t.Errorf("answer to the click: %v %v", notes, err)
			}
			item := w.waitItem(m.RequestID, func(it map[string]ddbtypes.AttributeValue) bool { return attrS(it, "status") == "expired" })
			if f := attrS(item, "followup"); !strings.Contains(f, `"ended":"stopped"`) {
				w.t.Errorf("item followup %s, want ended stopped", f)
			}
		}},
	})
}

// setExecution writes the execution's ARN into request id, as the notifier
// stores it on AWS with execution context.
func (w *world) setExecution(id, executionARN string) {
	w.t.Helper()
	_, err := w.ddb().UpdateItem(w.ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(w.attrs["table_name"]), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}},
		UpdateExpression:          aws.String("SET execution_id = :ex"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":ex": &ddbtypes.AttributeValueMemberS{Value: executionARN}},
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// stop stops the execution as a person would (StopExecution: ABORTED).
func (w *world) stop(executionARN string) {
	w.t.Helper()
	if _, err := sfn.NewFromConfig(w.direct()).StopExecution(w.ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(executionARN)}); err != nil {
		w.t.Fatal(err)
	}
}

// waitItem waits (within the scenario's deadline) until request id
// satisfies cond, and returns it.
func (w *world) waitItem(id string, cond func(map[string]ddbtypes.AttributeValue) bool) map[string]ddbtypes.AttributeValue {
	w.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		it := w.item(id)
		if cond(it) {
			return it
		}
		select {
		case <-w.ctx.Done():
			w.t.Fatalf("request %s never reached the expected state: status %s, followup %s", id, attrS(it, "status"), attrS(it, "followup"))
		case <-tick.C:
		}
	}
}
