package lambda

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// testExecution is the execution of pendingRequest.
const testExecution = "arn:aws:states:eu-west-1:123456789012:execution:deploy:run-1"

// testStopDate is when the test execution stopped.
var testStopDate = testNow.Add(-time.Minute)

// statusChangeEvent is a Step Functions Execution Status Change event as
// AWS documents it (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html;
// startDate and stopDate in milliseconds), for the test execution.
func statusChangeEvent(status string) []byte {
	return []byte(`{
  "version": "0", "id": "315c1398-40ff-a850-213b-158f73e60175",
  "detail-type": "Step Functions Execution Status Change", "source": "aws.states",
  "account": "123456789012", "time": "2026-11-25T07:59:00Z", "region": "eu-west-1",
  "resources": ["` + testExecution + `"],
  "detail": {
    "executionArn": "` + testExecution + `",
    "stateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:deploy",
    "name": "run-1", "status": "` + status + `",
    "startDate": ` + itoa(testNow.Add(-time.Hour).UnixMilli()) + `, "stopDate": ` + itoa(testStopDate.UnixMilli()) + `,
    "input": "{}", "inputDetails": {"included": true}, "output": null, "outputDetails": null
  }
}`)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// stoppedRequest is pendingRequest(id) as the stopped-execution event
// leaves it.
func stoppedRequest(id string) approval.Request {
	return approval.MarkStopped(pendingRequest(id), "ABORTED", testStopDate)
}

// TestStopped_marksPendingRequests: the status change event, through the
// callback's entry point, finds the execution's requests with one Query of
// the execution index, marks the pending one expired ("stopped", with the
// status and time) and updates its Slack app message to "Execution
// stopped" without buttons; another execution's request, a decided one and
// one being delivered are left alone. The same event again (EventBridge
// delivers at least once) changes nothing.
func TestStopped_marksPendingRequests(t *testing.T) {
	t.Parallel()
	h := newCallback(t, appConfig)
	h.sfn.described = described(sfntypes.ExecutionStatusAborted)
	waiting := pendingRequest(reqID(1))
	waiting.DueAt = waiting.ExpiresAt
	other := pendingRequest(reqID(2))
	other.ExecutionID = "arn:aws:states:eu-west-1:123456789012:execution:deploy:run-2"
	done := decidedRequest(reqID(3), approval.StatusDecided)
	delivering := deciding(reqID(4), testNow.Add(-time.Second))
	for _, r := range []approval.Request{waiting, other, done, delivering} {
		h.db.put(r)
	}
	out, err := h.cb.Invoke(context.Background(), statusChangeEvent("ABORTED"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (StoppedResult{Found: 3, Expired: 1, Skipped: 2}); out != want {
		t.Errorf("result %+v, want %+v", out, want)
	}
	if h.db.queries != 1 {
		t.Errorf("%d queries, want 1 (the execution index)", h.db.queries)
	}
	got := h.db.request(waiting.ID)
	if got.Status != approval.StatusExpired || got.Followup.Ended != approval.EndedStopped ||
		got.Followup.ExecutionStatus != "ABORTED" || got.Followup.StoppedAt != testStopDate.Unix() || !got.DueAt.IsZero() {
		t.Errorf("stopped request = status %s, followup %+v, due %v", got.Status, got.Followup, got.DueAt)
	}
	for r, want := range map[string]string{other.ID: approval.StatusPending, done.ID: approval.StatusDecided, delivering.ID: approval.StatusDeciding} {
		if s := h.db.request(r).Status; s != want {
			t.Errorf("request %s: status %s, want %s", r, s, want)
		}
	}
	ups := slackCalls(h, "chat.update")
	if len(ups) != 1 || !strings.Contains(ups[0].Body, "Execution stopped (ABORTED) at 2026-11-25 07:59 UTC") ||
		strings.Contains(ups[0].Body, `"actions"`) || !strings.Contains(ups[0].Body, `"ts":"1700000000.000100"`) {
		t.Errorf("Slack updates %+v, want one \"Execution stopped\" without buttons", ups)
	}
	if len(h.sfn.Calls()) != 0 {
		t.Errorf("Step Functions calls %+v", h.sfn.Calls())
	}

	out, err = h.cb.Invoke(context.Background(), statusChangeEvent("ABORTED"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (StoppedResult{Found: 3, Skipped: 3}); out != want {
		t.Errorf("the same event again: %+v, want %+v", out, want)
	}
	if n := len(slackCalls(h, "chat.update")); n != 1 {
		t.Errorf("the same event again updated Slack: %d updates", n)
	}
}

// TestStopped_otherStatuses: a status that does not stop a wait (RUNNING,
// SUCCEEDED) reads nothing and changes nothing; FAILED and TIMED_OUT mark
// like ABORTED.
func TestStopped_otherStatuses(t *testing.T) {
	t.Parallel()
	for status, marks := range map[string]bool{"RUNNING": false, "SUCCEEDED": false, "FAILED": true, "TIMED_OUT": true} {
		t.Run(status, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, nil)
			h.sfn.described = described(sfntypes.ExecutionStatus(status))
			h.db.put(pendingRequest(reqID(1)))
			if _, err := h.cb.Invoke(context.Background(), statusChangeEvent(status)); err != nil {
				t.Fatal(err)
			}
			got := h.db.request(reqID(1))
			if marks != (got.Status == approval.StatusExpired && got.Followup.ExecutionStatus == status) {
				t.Errorf("status %s: request %s %+v", status, got.Status, got.Followup)
			}
			if !marks && h.db.queries != 0 {
				t.Errorf("status %s: %d queries", status, h.db.queries)
			}
		})
	}
}

// described is DescribeExecution's answer for the test execution.
func described(status sfntypes.ExecutionStatus) *sfn.DescribeExecutionOutput {
	out := &sfn.DescribeExecutionOutput{ExecutionArn: aws.String(testExecution), Status: status}
	if status != sfntypes.ExecutionStatusRunning {
		out.StopDate = aws.Time(testStopDate)
	}
	return out
}

// TestStopped_forgedEvent: an event that Step Functions does not confirm
// closes nothing: the execution still runs (a forged or replayed event), or
// DescribeExecution is refused (an execution of a state machine the gate
// does not allow). The callback reads the execution's requests, asks once,
// and marks none.
func TestStopped_forgedEvent(t *testing.T) {
	t.Parallel()
	for name, d := range map[string]*sfn.DescribeExecutionOutput{
		"still running":            described(sfntypes.ExecutionStatusRunning),
		"DescribeExecution denied": nil,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, appConfig)
			h.sfn.described = d
			h.db.put(pendingRequest(reqID(1)))
			h.db.put(pendingRequest(reqID(2)))
			out, err := h.cb.Invoke(context.Background(), statusChangeEvent("ABORTED"))
			if err != nil {
				t.Fatal(err)
			}
			if res, _ := out.(StoppedResult); res.Expired != 0 {
				t.Errorf("result %+v: a request was marked", res)
			}
			for _, id := range []string{reqID(1), reqID(2)} {
				if got := h.db.request(id); got.Status != approval.StatusPending || got.Followup.Ended != "" {
					t.Errorf("request %s: %s %+v", id, got.Status, got.Followup)
				}
			}
			if n := len(h.sfn.describeCalls); n != 1 {
				t.Errorf("%d DescribeExecution calls, want 1", n)
			}
			if n := len(slackCalls(h, "chat.update")); n != 0 {
				t.Errorf("%d Slack updates", n)
			}
		})
	}
}

// conflictOnce makes the first UpdateItem lose to a vote written just
// before it (the item's version moves on, the request stays pending).
type conflictOnce struct {
	*memTable
	done atomic.Bool
}

func (c *conflictOnce) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if c.done.CompareAndSwap(false, true) {
		r := c.request(reqID(1))
		r.Votes["alice"] = approval.Vote{Approver: approval.Approver{ID: "alice", Name: "Alice", Via: "slack"}, Decision: approval.DecisionApprove, At: testNow}
		r.Version++
		c.put(r)
	}
	return c.memTable.UpdateItem(ctx, in, o...)
}

// TestStopped_concurrentVote: a vote that lands between the read and the
// conditional update is not overwritten blindly: the request is read again
// and marked with the vote kept.
func TestStopped_concurrentVote(t *testing.T) {
	t.Parallel()
	h := newCallback(t, nil)
	h.sfn.described = described(sfntypes.ExecutionStatusAborted)
	r := pendingRequest(reqID(1))
	r.MinApprovals = 2
	h.db.put(r)
	h.cb.DB = &conflictOnce{memTable: h.db}
	out, err := h.cb.Stopped(context.Background(), approval.StatusChange{ExecutionARN: testExecution, Status: "ABORTED", StopDate: testStopDate})
	if err != nil || out.Expired != 1 {
		t.Fatalf("Stopped = %+v, %v", out, err)
	}
	got := h.db.request(reqID(1))
	if got.Status != approval.StatusExpired || got.Votes["alice"].Decision != approval.DecisionApprove {
		t.Errorf("request %s, votes %v: want expired with Alice's vote kept", got.Status, got.Votes)
	}
}

// TestStopped_lateClicks: a click on a request whose execution stopped gets
// a clear answer, not a generic error: the confirm page and the link's POST
// say "This approval is closed: its execution was stopped (ABORTED) at …",
// and nothing is sent to Step Functions.
func TestStopped_lateClicks(t *testing.T) {
	t.Parallel()
	const want = "This approval is closed: its execution was stopped (ABORTED) at 2026-11-25 07:59 UTC"
	h := newCallback(t, nil)
	r := stoppedRequest(reqID(1))
	h.db.put(r)
	for name, ev := range map[string]events.APIGatewayV2HTTPRequest{
		"confirm page": httpEvent("GET", "/r/"+r.ID, h.linkQuery(pendingRequest(r.ID), "approve"), "", nil),
		"link POST":    formEvent("/r/"+r.ID, h.linkQuery(pendingRequest(r.ID), "approve"), url.Values{"name": {"Bob"}}),
	} {
		resp := h.do(ev)
		if resp.StatusCode != 410 || !strings.Contains(resp.Body, "Execution stopped") || !strings.Contains(resp.Body, want) {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Body)
		}
	}
	if len(h.sfn.Calls()) != 0 {
		t.Errorf("Step Functions calls %+v", h.sfn.Calls())
	}
}

// TestStopped_clickFindsTaskClosed: the event never came (AWS delivers it
// best effort): a click on a request still pending in the table gets
// TaskTimedOut (or TaskDoesNotExist) from SendTaskSuccess; the callback
// asks DescribeExecution why, marks the request stopped and shows the same
// clear page. Without the execution context (no execution id), or when
// DescribeExecution is refused, the page stays the generic one.
func TestStopped_clickFindsTaskClosed(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		closed      error
		described   *sfn.DescribeExecutionOutput
		noExecution bool
		want        string
	}{
		"TaskTimedOut, ABORTED": {&sfntypes.TaskTimedOut{Message: aws.String("closed")},
			&sfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusAborted, StopDate: aws.Time(testStopDate)},
			false, "This approval is closed: its execution was stopped (ABORTED) at 2026-11-25 07:59 UTC"},
		"TaskDoesNotExist, FAILED": {&sfntypes.TaskDoesNotExist{Message: aws.String("gone")},
			&sfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusFailed, StopDate: aws.Time(testStopDate)},
			false, "This approval is closed: its execution was stopped (FAILED) at 2026-11-25 07:59 UTC"},
		"TaskTimedOut, still running": {&sfntypes.TaskTimedOut{Message: aws.String("closed")},
			&sfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusRunning}, false, "The workflow no longer waits for this request"},
		"DescribeExecution refused": {&sfntypes.TaskTimedOut{Message: aws.String("closed")}, nil, false, "The workflow no longer waits for this request"},
		"no execution context": {&sfntypes.TaskTimedOut{Message: aws.String("closed")},
			&sfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusAborted}, true, "The workflow no longer waits for this request"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, nil)
			r := pendingRequest(reqID(1))
			if tc.noExecution {
				r.ExecutionID = ""
			}
			h.db.put(r)
			h.sfn.fail = func(int) error { return tc.closed }
			h.sfn.described = tc.described
			resp := h.do(formEvent("/r/"+r.ID, h.linkQuery(r, "approve"), url.Values{"name": {"Bob"}}))
			if resp.StatusCode != 410 || !strings.Contains(resp.Body, tc.want) {
				t.Errorf("page %d %s, want 410 with %q", resp.StatusCode, resp.Body, tc.want)
			}
			got := h.db.request(r.ID)
			stopped := strings.Contains(tc.want, "stopped")
			if got.Status != approval.StatusExpired || (got.Followup.Ended == approval.EndedStopped) != stopped {
				t.Errorf("request %s %+v", got.Status, got.Followup)
			}
			wantDescribe := 1
			if tc.noExecution {
				wantDescribe = 0
			}
			if len(h.sfn.describeCalls) != wantDescribe {
				t.Errorf("DescribeExecution calls %v, want %d", h.sfn.describeCalls, wantDescribe)
			}
		})
	}
}

// TestStopped_lateSlackClick: a Slack button on a stopped request answers
// the clicker privately with the clear text and shows "Execution stopped"
// in the message, without buttons.
func TestStopped_lateSlackClick(t *testing.T) {
	t.Parallel()
	h := newCallback(t, appConfig)
	r := stoppedRequest(reqID(1))
	h.db.put(r)
	resp := h.do(h.slackEvent(blockActionsPayload("UBOB", "bob", "approve", r.ID), h.now, nil))
	if resp.StatusCode != 200 {
		t.Fatalf("click answer %d %q", resp.StatusCode, resp.Body)
	}
	eph := slackCalls(h, "chat.postEphemeral")
	if len(eph) != 1 || !strings.Contains(eph[0].Body, "This approval is closed: its execution was stopped (ABORTED)") {
		t.Errorf("ephemeral answers %+v", eph)
	}
	ups := slackCalls(h, "chat.update")
	if len(ups) != 1 || !strings.Contains(ups[0].Body, "Execution stopped (ABORTED)") || strings.Contains(ups[0].Body, `"actions"`) {
		t.Errorf("Slack updates %+v", ups)
	}
}
