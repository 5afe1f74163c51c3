package lambda

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// deciding is a request Alice approved at decided whose delivery has not
// succeeded, with its Slack app message.
func deciding(id string, decided time.Time) approval.Request {
	r := pendingRequest(id)
	r, _, err := approval.Apply(r, approval.Policy{AllowSelfApproval: true}, approval.Vote{Approver: approval.LinkApprover("Alice"), Decision: approval.DecisionApprove, At: decided})
	if err != nil {
		panic(err)
	}
	r.DueAt = decided.Add(resendAfter)
	r.SlackChannel, r.SlackTS = "C0DEPLOY", "1700000000.000100"
	return r
}

func appConfig(c *approval.Config) { c.SlackFormat = approval.SlackFormatApp }

// TestSweep_resendsWhatIsDue: the sweep reads only the due requests through
// the index (two queries: deciding, pending), re-sends the deciding request
// whose lease ran out (and updates its Slack message), leaves the one still
// within its lease, marks the pending request past its expiry expired, and
// touches nothing else.
func TestSweep_resendsWhatIsDue(t *testing.T) {
	t.Parallel()
	h := newCallback(t, appConfig)
	stale, fresh := deciding(reqID(1), testNow.Add(-time.Minute)), deciding(reqID(2), testNow.Add(-time.Second))
	waiting := pendingRequest(reqID(3))
	waiting.DueAt = waiting.ExpiresAt
	past := pendingRequest(reqID(4))
	past.CreatedAt, past.ExpiresAt, past.DueAt = testNow.Add(-2*time.Hour), testNow.Add(-time.Hour), testNow.Add(-time.Hour)
	past.SlackChannel, past.SlackTS = "C0DEPLOY", "1700000000.000200"
	done := decidedRequest(reqID(5), approval.StatusDecided)
	for _, r := range []approval.Request{stale, fresh, waiting, past, done} {
		h.db.put(r)
	}
	res, err := h.cb.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (SweepResult{Due: 2, Resent: 1, Expired: 1}); res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	if h.db.queries != 2 {
		t.Errorf("%d queries, want 2 (deciding, pending)", h.db.queries)
	}
	calls := h.sfn.Calls()
	if len(calls) != 1 || !calls[0].Success || !isOutcomeOf(calls[0].Output, stale.ID) {
		t.Fatalf("Step Functions calls %+v, want one SendTaskSuccess of %s", calls, stale.ID)
	}
	got := map[string]approval.Request{}
	for _, r := range []approval.Request{stale, fresh, waiting, past, done} {
		got[r.ID] = h.db.request(r.ID)
	}
	for id, want := range map[string]string{stale.ID: approval.StatusDecided, fresh.ID: approval.StatusDeciding,
		waiting.ID: approval.StatusPending, past.ID: approval.StatusExpired, done.ID: approval.StatusDecided} {
		if got[id].Status != want {
			t.Errorf("request %s: status %s, want %s", id, got[id].Status, want)
		}
	}
	// Final requests leave the index; open ones keep their due time.
	if !got[stale.ID].DueAt.IsZero() || !got[past.ID].DueAt.IsZero() {
		t.Errorf("final requests still due: %v, %v", got[stale.ID].DueAt, got[past.ID].DueAt)
	}
	if !got[fresh.ID].DueAt.Equal(fresh.DueAt) || !got[waiting.ID].DueAt.Equal(waiting.ExpiresAt) {
		t.Errorf("open requests' due times changed: %v, %v", got[fresh.ID].DueAt, got[waiting.ID].DueAt)
	}
	var texts []string
	for _, q := range h.slack.requests() {
		if q.Path != "/chat.update" {
			t.Errorf("Slack call %s", q.Path)
		}
		var b struct{ Text string }
		_ = json.Unmarshal([]byte(q.Body), &b)
		texts = append(texts, b.Text)
	}
	joined := strings.Join(texts, "|")
	if len(texts) != 2 || !strings.Contains(joined, "Approved by Alice") || !strings.Contains(joined, "Expired") {
		t.Errorf("Slack updates %q, want the re-sent approval and the expiry", texts)
	}
	// A second tick finds nothing due.
	h.sfn = &sfnFake{}
	h.cb.SFN = h.sfn
	if res, _ := h.cb.Sweep(context.Background()); res.Due != 0 || len(h.sfn.Calls()) != 0 {
		t.Errorf("second sweep: %+v, %d calls", res, len(h.sfn.Calls()))
	}
}

// TestSweep_staleIndex: the index is eventually consistent on AWS; an item
// it returns as due that a click has decided meanwhile is skipped.
func TestSweep_staleIndex(t *testing.T) {
	t.Parallel()
	h := newCallback(t, nil)
	r := deciding(reqID(1), testNow.Add(-time.Minute))
	h.db.put(r)
	stale := &staleIndexTable{memTable: h.db, after: func() {
		r.Status, r.Version, r.DueAt = approval.StatusDecided, r.Version+1, time.Time{}
		h.db.put(r)
	}}
	h.cb.DB = stale
	res, err := h.cb.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 1 || res.Resent != 0 || len(h.sfn.Calls()) != 0 {
		t.Errorf("result %+v with %d Step Functions calls, want the request skipped", res, len(h.sfn.Calls()))
	}
}

// staleIndexTable runs after once, after the first Query: the item changes
// between the index read and the item read.
type staleIndexTable struct {
	*memTable
	after func()
}

func (s *staleIndexTable) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := s.memTable.Query(ctx, in, o...)
	if s.after != nil {
		s.after()
		s.after = nil
	}
	return out, err
}

// TestSweep_boundedInTime: the sweep takes no new request once its time is
// up and says there is more; the next tick goes on where it stopped.
func TestSweep_boundedInTime(t *testing.T) {
	t.Parallel()
	h := newCallback(t, nil)
	for i := range 30 {
		h.db.put(deciding(reqID(byte(40+i)), testNow.Add(-time.Minute)))
	}
	// Each delivery takes one second of the sweep's clock; the function
	// has 2 s + sweepReserve left.
	h.sfn.fail = func(int) error { h.advance(time.Second); return nil }
	ctx, cancel := context.WithTimeout(context.Background(), sweepReserve+2*time.Second)
	defer cancel()
	res, err := h.cb.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.More || res.Resent == 0 || res.Resent >= 30 {
		t.Fatalf("first sweep %+v: want some re-sent and more left", res)
	}
	first := res.Resent
	total := first
	for range 30 {
		res, err = h.cb.Sweep(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		total += res.Resent
		if !res.More {
			break
		}
	}
	if total != 30 || len(h.sfn.Calls()) != 30 {
		t.Errorf("re-sent %d (first sweep %d), %d Step Functions calls; want 30, each once", total, first, len(h.sfn.Calls()))
	}
}

// TestSweep_historyBeforeClaim: a re-send that meets TaskTimedOut reads the
// execution's history before it claims delivery.
func TestSweep_historyBeforeClaim(t *testing.T) {
	t.Parallel()
	id := reqID(7)
	outcome := func() string {
		b, _ := json.Marshal(deciding(id, testNow.Add(-time.Minute)).Outcome)
		return string(b)
	}()
	ev := func(typ sfntypes.HistoryEventType) sfntypes.HistoryEvent { return sfntypes.HistoryEvent{Type: typ} }
	tests := []struct {
		name       string
		history    []sfntypes.HistoryEvent // nil: AccessDenied
		wantStatus string
		wantSlack  string
		wantResult SweepResult
	}{
		{"delivered by an earlier attempt", []sfntypes.HistoryEvent{
			ev(sfntypes.HistoryEventTypeExecutionSucceeded),
			{Type: sfntypes.HistoryEventTypeTaskSucceeded, TaskSucceededEventDetails: &sfntypes.TaskSucceededEventDetails{Output: aws.String(outcome)}},
			ev(sfntypes.HistoryEventTypeTaskSubmitted),
		}, approval.StatusDecided, "Approved by Alice", SweepResult{Due: 1, Resent: 1}},
		{"the task timed out first", []sfntypes.HistoryEvent{
			ev(sfntypes.HistoryEventTypeExecutionFailed), ev(sfntypes.HistoryEventTypeTaskTimedOut), ev(sfntypes.HistoryEventTypeTaskSubmitted),
		}, approval.StatusExpired, "Expired", SweepResult{Due: 1, Expired: 1}},
		{"the execution was stopped", []sfntypes.HistoryEvent{ev(sfntypes.HistoryEventTypeExecutionAborted)},
			approval.StatusExpired, "Expired", SweepResult{Due: 1, Expired: 1}},
		{"another request's output only", []sfntypes.HistoryEvent{
			{Type: sfntypes.HistoryEventTypeTaskSucceeded, TaskSucceededEventDetails: &sfntypes.TaskSucceededEventDetails{Output: aws.String(`{"request_id":"other"}`)}},
			ev(sfntypes.HistoryEventTypeTaskTimedOut),
		}, approval.StatusExpired, "Expired", SweepResult{Due: 1, Expired: 1}},
		{"history unreadable: a re-send assumes the earlier attempt", nil, approval.StatusDecided, "Approved by Alice", SweepResult{Due: 1, Resent: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, appConfig)
			h.db.put(deciding(id, testNow.Add(-time.Minute)))
			h.sfn.history = tt.history
			h.sfn.fail = func(int) error {
				return &smithy.GenericAPIError{Code: "TaskTimedOut", Message: "Task Timed Out"}
			}
			res, err := h.cb.Sweep(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res != tt.wantResult {
				t.Errorf("result %+v, want %+v", res, tt.wantResult)
			}
			if h.sfn.historyCalls != 1 {
				t.Errorf("%d GetExecutionHistory calls, want 1", h.sfn.historyCalls)
			}
			if got := h.db.request(id); got.Status != tt.wantStatus {
				t.Errorf("status %s, want %s", got.Status, tt.wantStatus)
			}
			reqs := h.slack.requests()
			if len(reqs) != 1 || !strings.Contains(reqs[0].Body, tt.wantSlack) {
				t.Errorf("Slack %v, want one update saying %q", reqs, tt.wantSlack)
			}
		})
	}
}

// TestCallback_lateClickAfterTimeout: the same rule for a click after the
// lease: a closed token whose history shows a timeout is "Expired", not
// "Approved".
func TestCallback_lateClickAfterTimeout(t *testing.T) {
	t.Parallel()
	h := newCallback(t, nil)
	id := reqID(8)
	r := deciding(id, testNow.Add(-time.Minute))
	h.db.put(r)
	h.sfn.history = []sfntypes.HistoryEvent{{Type: sfntypes.HistoryEventTypeTaskTimedOut}}
	h.sfn.fail = func(int) error { return &smithy.GenericAPIError{Code: "TaskTimedOut", Message: "Task Timed Out"} }
	resp := h.do(formEvent("/r/"+id, h.linkQuery(r, approval.DecisionApprove), map[string][]string{"name": {"Alice"}}))
	if resp.StatusCode != http.StatusGone || strings.Contains(resp.Body, "has been told") {
		t.Errorf("status %d, want 410 Expired:\n%s", resp.StatusCode, resp.Body)
	}
	if got := h.db.request(id); got.Status != approval.StatusExpired {
		t.Errorf("status %s, want expired", got.Status)
	}
}

// TestCallback_invokeDispatch: one entry point for HTTP, the schedule and
// the Slack hand-over.
func TestCallback_invokeDispatch(t *testing.T) {
	t.Parallel()
	h := newCallback(t, nil)
	for _, in := range []string{approval.SweepInput, `{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`} {
		out, err := h.cb.Invoke(context.Background(), json.RawMessage(in))
		if _, ok := out.(SweepResult); !ok || err != nil {
			t.Errorf("%s: %T %v, want a sweep", in, out, err)
		}
	}
	out, err := h.cb.Invoke(context.Background(), json.RawMessage(`{"version":"2.0","rawPath":"/nowhere","requestContext":{"http":{"method":"GET","path":"/nowhere"}}}`))
	if r, ok := out.(events.APIGatewayV2HTTPResponse); !ok || r.StatusCode != http.StatusNotFound {
		t.Errorf("HTTP request: %#v %v, want a 404 response", out, err)
	}
}

// TestCallback_slackAcknowledgedAtOnce: a verified click is handed to an
// asynchronous invocation of the function itself and answered at once;
// the job then decides and updates the message. A forged or stale job is
// dropped.
func TestCallback_slackAcknowledgedAtOnce(t *testing.T) {
	t.Parallel()
	h := newCallback(t, appConfig)
	inv := &invokeRecorder{}
	h.cb.Lambda, h.cb.FunctionName = inv, "deploy-prod-callback"
	id := reqID(30)
	r := pendingRequest(id)
	r.SlackChannel, r.SlackTS = "C0DEPLOY", "1700000000.000100"
	h.db.put(r)
	resp := h.do(h.slackEvent(blockActionsPayload("UBOB", "bob", "approve", id), h.now, nil))
	if resp.StatusCode != http.StatusOK || resp.Body != "" {
		t.Fatalf("ack %d %q", resp.StatusCode, resp.Body)
	}
	if len(h.sfn.Calls()) != 0 || len(h.slack.requests()) != 0 {
		t.Fatalf("the acknowledgement decided already: %d Step Functions, %d Slack calls", len(h.sfn.Calls()), len(h.slack.requests()))
	}
	if len(inv.calls) != 1 || aws.ToString(inv.calls[0].FunctionName) != "deploy-prod-callback" || inv.calls[0].InvocationType != "Event" {
		t.Fatalf("hand-over %+v, want one Event invocation of the function itself", inv.calls)
	}
	job := inv.calls[0].Payload
	if strings.Contains(string(job), testSlackSecret) || strings.Contains(string(job), testSigningKey) {
		t.Error("the job carries a secret")
	}

	// Forged jobs: another body under the same MAC, a MAC without the key,
	// a job older than slackJobMaxAge.
	var j slackJob
	_ = json.Unmarshal(job, &j)
	forged := j
	forged.Body = strings.Replace(j.Body, "approve", "reject", 1)
	noKey := j
	noKey.MAC = slackJobMAC([]byte("not the key"), j.ReceivedAt, j.Body)
	for name, bad := range map[string]slackJob{"body swapped": forged, "wrong key": noKey} {
		b, _ := json.Marshal(bad)
		if _, err := h.cb.Invoke(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		if len(h.sfn.Calls()) != 0 {
			t.Fatalf("%s: the job decided", name)
		}
	}
	h.now = testNow.Add(slackJobMaxAge + time.Second)
	if _, err := h.cb.Invoke(context.Background(), job); err != nil || len(h.sfn.Calls()) != 0 {
		t.Fatalf("a stale job decided (%v)", err)
	}

	h.now = testNow.Add(2 * time.Second)
	if _, err := h.cb.Invoke(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if calls := h.sfn.Calls(); len(calls) != 1 || !calls[0].Success {
		t.Fatalf("job: Step Functions calls %+v, want one success", calls)
	}
	var reqs []recorded
	for _, q := range h.slack.requests() {
		if q.Path != "/users.info" { // the clicker's e-mail identity
			reqs = append(reqs, q)
		}
	}
	if len(reqs) != 1 || reqs[0].Path != "/chat.update" || !strings.Contains(reqs[0].Body, "Approved by <@UBOB>") {
		t.Errorf("job: Slack calls %v, want the message updated", reqs)
	}

	// Without a working hand-over the click is decided in the request.
	h2 := newCallback(t, appConfig)
	h2.cb.Lambda, h2.cb.FunctionName = &invokeRecorder{err: &smithy.GenericAPIError{Code: "AccessDeniedException"}}, "deploy-prod-callback"
	h2.db.put(r)
	h2.do(h2.slackEvent(blockActionsPayload("UBOB", "bob", "approve", id), h2.now, nil))
	if len(h2.sfn.Calls()) != 1 {
		t.Errorf("failed hand-over: %d Step Functions calls, want 1 (inline)", len(h2.sfn.Calls()))
	}
}

type invokeRecorder struct {
	calls []*awslambda.InvokeInput
	err   error
}

func (r *invokeRecorder) Invoke(_ context.Context, in *awslambda.InvokeInput, _ ...func(*awslambda.Options)) (*awslambda.InvokeOutput, error) {
	r.calls = append(r.calls, in)
	if r.err != nil {
		return nil, r.err
	}
	return &awslambda.InvokeOutput{StatusCode: 202}, nil
}
