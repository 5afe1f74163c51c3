package lambda

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// eventsFake is EventBridge: it records every entry and answers with
// answer(n) for call n (nil: success).
type eventsFake struct {
	mu      sync.Mutex
	entries []ebtypes.PutEventsRequestEntry
	calls   int
	answer  func(n int) (*eventbridge.PutEventsOutput, error)
}

func (f *eventsFake) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.calls
	f.calls++
	f.entries = append(f.entries, in.Entries...)
	if f.answer != nil {
		return f.answer(n)
	}
	return &eventbridge.PutEventsOutput{Entries: []ebtypes.PutEventsResultEntry{{EventId: aws.String("e-1")}}}, nil
}

func (f *eventsFake) sent() []ebtypes.PutEventsRequestEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ebtypes.PutEventsRequestEntry(nil), f.entries...)
}

func failedEntry(code string) (*eventbridge.PutEventsOutput, error) {
	return &eventbridge.PutEventsOutput{FailedEntryCount: 1, Entries: []ebtypes.PutEventsResultEntry{{ErrorCode: aws.String(code), ErrorMessage: aws.String("injected")}}}, nil
}

// TestPutEvent: the entry's source, detail type, bus and detail; the
// default bus is PutEvents without a bus name; a gate without events sends
// none; a failed entry (PutEvents answers 200 with FailedEntryCount,
// EventBridge API Reference "PutEvents") is retried when transient
// (InternalFailure, ThrottlingException), logged otherwise, and never
// returned.
func TestPutEvent(t *testing.T) {
	t.Parallel()
	r := decidedRequest(reqID(1), approval.StatusDecided)
	for _, tc := range []struct {
		name    string
		events  *approval.Events
		answer  func(int) (*eventbridge.PutEventsOutput, error)
		calls   int
		bus     *string
		logWant string
	}{
		{name: "off", events: nil, calls: 0},
		{name: "default bus", events: &approval.Events{BusName: "default"}, calls: 1, logWant: "event sent"},
		{name: "empty is the default bus", events: &approval.Events{}, calls: 1},
		{name: "named bus", events: &approval.Events{BusName: "approvals"}, calls: 1, bus: aws.String("approvals")},
		{name: "bus ARN", events: &approval.Events{BusName: "arn:aws:events:eu-west-1:444455556666:event-bus/central"}, calls: 1,
			bus: aws.String("arn:aws:events:eu-west-1:444455556666:event-bus/central")},
		{name: "transient entry failure retried", events: &approval.Events{}, calls: 2, logWant: "event sent",
			answer: func(n int) (*eventbridge.PutEventsOutput, error) {
				if n == 0 {
					return failedEntry("ThrottlingException")
				}
				return &eventbridge.PutEventsOutput{Entries: []ebtypes.PutEventsResultEntry{{EventId: aws.String("e")}}}, nil
			}},
		{name: "transient failure gives up", events: &approval.Events{}, calls: eventAttempts, logWant: `"error_code":"InternalFailure"`,
			answer: func(int) (*eventbridge.PutEventsOutput, error) { return failedEntry("InternalFailure") }},
		{name: "permanent entry failure", events: &approval.Events{}, calls: 1, logWant: `"error_code":"AccessDeniedException"`,
			answer: func(int) (*eventbridge.PutEventsOutput, error) { return failedEntry("AccessDeniedException") }},
		{name: "call fails", events: &approval.Events{}, calls: 1, logWant: "event not sent",
			answer: func(int) (*eventbridge.PutEventsOutput, error) {
				return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform events:PutEvents"}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, func(c *approval.Config) { c.Followup.Events = tc.events })
			f := &eventsFake{answer: tc.answer}
			h.cb.Events = f
			h.cb.once.Do(h.cb.init)
			h.cb.PutEvent(context.Background(), approval.EventDecided, r, approval.EventExtra{})
			if f.calls != tc.calls {
				t.Fatalf("%d PutEvents calls, want %d", f.calls, tc.calls)
			}
			if tc.logWant != "" && !strings.Contains(h.logs.String(), tc.logWant) {
				t.Errorf("logs lack %s:\n%s", tc.logWant, h.logs)
			}
			if tc.calls == 0 {
				return
			}
			e := f.sent()[0]
			if aws.ToString(e.Source) != "manualapproval" || aws.ToString(e.DetailType) != "Approval Decided" {
				t.Errorf("entry source %q detail type %q", aws.ToString(e.Source), aws.ToString(e.DetailType))
			}
			if aws.ToString(e.EventBusName) != aws.ToString(tc.bus) {
				t.Errorf("bus %q, want %q", aws.ToString(e.EventBusName), aws.ToString(tc.bus))
			}
			var d approval.EventDetail
			if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil {
				t.Fatal(err)
			}
			if d.SchemaVersion != "1" || d.RequestID != r.ID || d.Decision != "approved" || d.Gate != "deploy-prod" || len(d.DecidedBy) != 1 {
				t.Errorf("detail %+v", d)
			}
			if strings.Contains(aws.ToString(e.Detail), testTaskToken) || strings.Contains(aws.ToString(e.Detail), "sig=") {
				t.Errorf("detail leaks the token or a link: %s", aws.ToString(e.Detail))
			}
		})
	}
}

// TestNotifier_emitsRequested: a stored request puts Approval Requested,
// and a failing bus fails nothing.
func TestNotifier_emitsRequested(t *testing.T) {
	t.Parallel()
	for _, failing := range []bool{false, true} {
		h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, func(c *approval.Config) { c.Followup.Events = &approval.Events{} })
		f := &eventsFake{}
		if failing {
			f.answer = func(int) (*eventbridge.PutEventsOutput, error) { return failedEntry("AccessDeniedException") }
		}
		h.n.Events = f
		res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
		if err != nil || len(res.Sent) == 0 {
			t.Fatalf("notify: %+v %v", res, err)
		}
		sent := f.sent()
		if len(sent) != 1 || aws.ToString(sent[0].DetailType) != approval.EventRequested {
			t.Fatalf("events %v, want one Approval Requested", sent)
		}
		var d approval.EventDetail
		_ = json.Unmarshal([]byte(aws.ToString(sent[0].Detail)), &d)
		if d.RequestID != res.RequestID || d.Status != approval.StatusPending || d.ExpiresAt == "" {
			t.Errorf("requested detail %+v", d)
		}
		if strings.Contains(aws.ToString(sent[0].Detail), testTaskToken) {
			t.Error("the task token is in the event")
		}
	}
}

// TestCallback_finalizeUpdatesEveryMessage: once final, the request's Slack
// app message and every later post are updated (no buttons), "Execution
// stopped" when the execution was stopped, and the rest is handed to the
// notifier by an asynchronous invocation.
func TestCallback_finalizeUpdatesEveryMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		edit       func(*approval.Request)
	}{
		{"decided", "Approved by Alice", func(*approval.Request) {}},
		{"expired", "Expired", func(r *approval.Request) { r.Status, r.Outcome = approval.StatusExpired, nil }},
		{"stopped", "Execution stopped", func(r *approval.Request) {
			r.Status, r.Outcome, r.Followup.Ended = approval.StatusExpired, nil, approval.EndedStopped
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// With follow-ups to tell (e.g. events) the notifier is handed
			// the request.
			h := newCallback(t, func(c *approval.Config) { appConfig(c); c.Followup.FinalFollowups = true })
			inv := &invokeRecorder{}
			h.cb.Lambda, h.cb.NotifierFunction = inv, "deploy-prod-notifier"
			h.cb.once.Do(h.cb.init)
			r := decidedRequest(reqID(1), approval.StatusDecided)
			r.Followup.Posts = []approval.Post{{Channel: "C0ESCAL", TS: "1700000001.000100"}, {Channel: "C0BOSS", TS: "1700000002.000100"}}
			tc.edit(&r)
			h.cb.finalize(context.Background(), r)
			updated := map[string]bool{}
			for _, q := range h.slack.requests() {
				var b struct{ Channel, TS, Text string }
				_ = json.Unmarshal([]byte(q.Body), &b)
				if q.Path != "/chat.update" || !strings.Contains(b.Text, tc.text) || strings.Contains(q.Body, `"actions"`) {
					t.Errorf("Slack call %s %s, want chat.update saying %q without buttons", q.Path, q.Body, tc.text)
				}
				updated[b.Channel+"/"+b.TS] = true
			}
			for _, want := range []string{"C0DEPLOY/1700000000.000100", "C0ESCAL/1700000001.000100", "C0BOSS/1700000002.000100"} {
				if !updated[want] {
					t.Errorf("message %s not updated (updated: %v)", want, updated)
				}
			}
			if len(inv.calls) != 1 || aws.ToString(inv.calls[0].FunctionName) != "deploy-prod-notifier" || inv.calls[0].InvocationType != "Event" ||
				string(inv.calls[0].Payload) != `{"manualapproval":"finalize","request_id":"`+r.ID+`"}` {
				t.Errorf("hand-over %+v", inv.calls)
			}
		})
	}
	// A pending request is not final: nothing is touched.
	h := newCallback(t, func(c *approval.Config) { appConfig(c); c.Followup.FinalFollowups = true })
	inv := &invokeRecorder{}
	h.cb.Lambda, h.cb.NotifierFunction = inv, "deploy-prod-notifier"
	h.cb.once.Do(h.cb.init)
	h.cb.finalize(context.Background(), pendingRequest(reqID(2)))
	if len(h.slack.requests()) != 0 || len(inv.calls) != 0 {
		t.Errorf("a pending request was finalized: %v %v", h.slack.requests(), inv.calls)
	}
}

// TestCallback_decisionByLinkFinalizes: a link's decision updates the Slack
// app message and hands the follow-ups over.
func TestCallback_decisionByLinkFinalizes(t *testing.T) {
	t.Parallel()
	h := newCallback(t, func(c *approval.Config) { appConfig(c); c.Followup.FinalFollowups = true })
	inv := &invokeRecorder{}
	h.cb.Lambda, h.cb.NotifierFunction = inv, "deploy-prod-notifier"
	r := pendingRequest(reqID(3))
	h.db.put(r)
	h.cb.once.Do(h.cb.init)
	got, res, err := h.cb.vote(context.Background(), r.ID, approval.Vote{Approver: approval.LinkApprover("Dora"), Decision: approval.DecisionApprove, At: testNow}, nil)
	if err != nil || res != approval.Decided || got.Status != approval.StatusDecided {
		t.Fatalf("vote: %v %v %s", res, err, got.Status)
	}
	reqs := h.slack.requests()
	if len(reqs) != 1 || reqs[0].Path != "/chat.update" || !strings.Contains(reqs[0].Body, "Approved by") {
		t.Errorf("Slack calls %v, want the message updated", reqs)
	}
	if len(inv.calls) != 1 {
		t.Errorf("%d hand-overs, want 1", len(inv.calls))
	}
}

// finalHarness is a notifier over a final request, with every channel.
func finalHarness(t *testing.T, format string, mutate func(*approval.Config)) (*ntHarness, *eventsFake) {
	h := newNotifier(t, format, nil, nil, func(c *approval.Config) {
		c.Followup.Events = &approval.Events{}
		if mutate != nil {
			mutate(c)
		}
	})
	f := &eventsFake{}
	h.n.Events = f
	return h, f
}

func finalizeJobOf(id string) json.RawMessage {
	b, _ := json.Marshal(finalizeJob{Kind: jobFinalize, RequestID: id})
	return b
}

// TestNotifier_finalizeFollowups: each channel's follow-up of a decided and
// of an expired request: the event, the webhook's signed approval.decided or
// approval.expired, and with notify_on_decision the incoming webhook's or
// workflow's follow-up and the SNS notice. None carries a link or the token.
func TestNotifier_finalizeFollowups(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, format, status string
		notify               bool
		sent                 []string
		slackHas, hookEvent  string
		detailType           string
	}{
		{"decided, blocks, notify", approval.SlackFormatBlocks, approval.StatusDecided, true,
			[]string{"events", "slack", "sns", "webhook"}, "Approved by Alice", "approval.decided", approval.EventDecided},
		{"expired, workflow, notify", approval.SlackFormatWorkflow, approval.StatusExpired, true,
			[]string{"events", "slack", "sns", "webhook"}, `"status":"expired"`, "approval.expired", approval.EventExpired},
		{"decided, blocks, no notify", approval.SlackFormatBlocks, approval.StatusDecided, false,
			[]string{"events", "webhook"}, "", "approval.decided", approval.EventDecided},
		{"expired, app, notify", approval.SlackFormatApp, approval.StatusExpired, true,
			[]string{"events", "sns", "webhook"}, "", "approval.expired", approval.EventExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, f := finalHarness(t, tc.format, func(c *approval.Config) { c.Followup.NotifyOnDecision = tc.notify })
			r := decidedRequest(reqID(4), tc.status)
			h.db.put(r)
			res, err := h.n.Handle(context.Background(), finalizeJobOf(r.ID))
			if err != nil || strings.Join(res.Sent, ",") != strings.Join(tc.sent, ",") || len(res.Failed) != 0 {
				t.Fatalf("finalize: %+v %v, want sent %v", res, err, tc.sent)
			}
			if s := f.sent(); len(s) != 1 || aws.ToString(s[0].DetailType) != tc.detailType {
				t.Errorf("events %v, want one %s", s, tc.detailType)
			}
			slackPosts := h.slack.requests()
			if tc.slackHas == "" {
				if len(slackPosts) != 0 {
					t.Errorf("Slack follow-up without notify_on_decision or with the app: %v", slackPosts)
				}
			} else if len(slackPosts) != 1 || !strings.Contains(slackPosts[0].Body, tc.slackHas) {
				t.Errorf("Slack follow-up %v, want %s", slackPosts, tc.slackHas)
			}
			hooks := h.hook.requests()
			if len(hooks) != 1 {
				t.Fatalf("webhook deliveries %v, want 1", hooks)
			}
			q := hooks[0]
			var ev struct{ Event string }
			_ = json.Unmarshal([]byte(q.Body), &ev)
			if ev.Event != tc.hookEvent {
				t.Errorf("webhook body %s, want event %s", q.Body, tc.hookEvent)
			}
			ts, _ := strconv.ParseInt(q.Header.Get(approval.WebhookTimestampHeader), 10, 64)
			if err := approval.VerifyWebhookSignature([]byte(testWebhookSecret), q.Header.Get(approval.WebhookTimestampHeader),
				q.Header.Get(approval.WebhookDeliveryHeader), q.Header.Get(approval.WebhookSignatureHeader), []byte(q.Body), time.Unix(ts, 0)); err != nil {
				t.Errorf("webhook signature: %v", err)
			}
			h.mu.Lock()
			published := h.published
			h.mu.Unlock()
			if tc.notify != (len(published) == 1) {
				t.Errorf("SNS notices %d, notify_on_decision %v", len(published), tc.notify)
			}
			all := q.Body
			for _, p := range slackPosts {
				all += p.Body
			}
			for _, p := range published {
				all += aws.ToString(p.Message) + aws.ToString(p.Subject)
			}
			if strings.Contains(all, testTaskToken) || strings.Contains(all, "sig=") || strings.Contains(all, "/r/") {
				t.Errorf("a follow-up carries the token or a link: %s", all)
			}
			// Told once: another hand-over sends nothing.
			if res, err := h.n.Handle(context.Background(), finalizeJobOf(r.ID)); err != nil || len(res.Sent) != 0 {
				t.Errorf("second finalize: %+v %v, want nothing sent", res, err)
			}
			if len(h.hook.requests()) != 1 || len(f.sent()) != 1 {
				t.Errorf("follow-ups sent twice")
			}
		})
	}
}

// TestNotifier_finalizeOnceConcurrently: two finalizers of one request (a
// sweep's re-send and a retry click, two sweeps) read it at the same time;
// the conditional write lets one tell.
func TestNotifier_finalizeOnceConcurrently(t *testing.T) {
	t.Parallel()
	h, f := finalHarness(t, approval.SlackFormatBlocks, func(c *approval.Config) { c.Followup.NotifyOnDecision = true })
	r := decidedRequest(reqID(5), approval.StatusDecided)
	h.db.put(r)
	// Both read the item before either marks it told.
	var both sync.WaitGroup
	both.Add(2)
	h.db.afterGet = func() { both.Done(); both.Wait() }
	var wg sync.WaitGroup
	results := make([]NotifyResult, 2)
	for i := range 2 {
		wg.Go(func() {
			var err error
			results[i], err = h.n.Handle(context.Background(), finalizeJobOf(r.ID))
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(results[0].Sent) + len(results[1].Sent); n != 4 {
		t.Errorf("results %+v, want one finalizer to send the four follow-ups", results)
	}
	h.mu.Lock()
	published := len(h.published)
	h.mu.Unlock()
	if len(h.hook.requests()) != 1 || len(h.slack.requests()) != 1 || published != 1 || len(f.sent()) != 1 {
		t.Errorf("webhook %d, slack %d, sns %d, events %d: want each once", len(h.hook.requests()), len(h.slack.requests()), published, len(f.sent()))
	}
	if told := h.db.items[r.ID][ToldAttribute]; told == nil {
		t.Error("the request is not marked told")
	}
}

// TestNotifier_finalizeNotFinal: a hand-over for an open request (or a
// forged one) tells nothing and marks nothing.
func TestNotifier_finalizeNotFinal(t *testing.T) {
	t.Parallel()
	h, f := finalHarness(t, approval.SlackFormatBlocks, func(c *approval.Config) { c.Followup.NotifyOnDecision = true })
	r := pendingRequest(reqID(6))
	h.db.put(r)
	res, err := h.n.Handle(context.Background(), finalizeJobOf(r.ID))
	if err != nil || len(res.Sent) != 0 || len(h.hook.requests()) != 0 || len(f.sent()) != 0 {
		t.Errorf("open request finalized: %+v %v", res, err)
	}
	if _, ok := h.db.items[r.ID][ToldAttribute]; ok {
		t.Error("open request marked told")
	}
	if res, err := h.n.Handle(context.Background(), finalizeJobOf(reqID(9))); err != nil || len(res.Sent) != 0 || len(f.sent()) != 0 {
		t.Errorf("unknown request: %+v %v, want nothing told and no error (an asynchronous retry would find nothing either)", res, err)
	}
}

// TestSweep_expiryHandsOver: the sweep's expiry and a re-send that finds
// the task closed both finalize: the Slack message says so and the
// notifier is asked to tell the rest.
func TestSweep_expiryHandsOver(t *testing.T) {
	t.Parallel()
	h := newCallback(t, func(c *approval.Config) { appConfig(c); c.Followup.FinalFollowups = true })
	inv := &invokeRecorder{}
	h.cb.Lambda, h.cb.NotifierFunction = inv, "deploy-prod-notifier"
	past := pendingRequest(reqID(1))
	past.CreatedAt, past.ExpiresAt, past.DueAt = testNow.Add(-2*time.Hour), testNow.Add(-time.Hour), testNow.Add(-time.Hour)
	closed := deciding(reqID(2), testNow.Add(-time.Minute))
	closed.SlackTS = "1700000000.000300"
	h.db.put(past)
	h.db.put(closed)
	// The task timed out before the decision reached it (the history says so).
	h.sfn.history = []sfntypes.HistoryEvent{{Type: sfntypes.HistoryEventTypeTaskTimedOut}}
	h.sfn.fail = func(int) error {
		return &smithy.GenericAPIError{Code: "TaskTimedOut", Message: "Task Timed Out"}
	}
	res, err := h.cb.Sweep(context.Background())
	if err != nil || res.Expired != 2 {
		t.Fatalf("sweep %+v %v, want two expired", res, err)
	}
	ids := map[string]bool{}
	for _, c := range inv.calls {
		var job finalizeJob
		_ = json.Unmarshal(c.Payload, &job)
		ids[job.RequestID] = job.Kind == jobFinalize
	}
	if !ids[past.ID] || !ids[closed.ID] || len(inv.calls) != 2 {
		t.Errorf("hand-overs %v, want one for each expired request", ids)
	}
	updates := 0
	for _, q := range h.slack.requests() {
		if q.Path == "/chat.update" && strings.Contains(q.Body, "Expired") {
			updates++
		}
	}
	if updates != 2 {
		t.Errorf("%d Slack messages marked expired, want 2", updates)
	}
}

// TestCallback_noFollowupsNoHandOver: a gate whose final requests have
// nothing to tell beyond the Slack app's messages (no events, webhook,
// Teams or notify_on_decision) pays no notifier invocation for them.
func TestCallback_noFollowupsNoHandOver(t *testing.T) {
	t.Parallel()
	h := newCallback(t, appConfig)
	inv := &invokeRecorder{}
	h.cb.Lambda, h.cb.NotifierFunction = inv, "deploy-prod-notifier"
	r := pendingRequest(reqID(4))
	h.db.put(r)
	h.cb.once.Do(h.cb.init)
	got, res, err := h.cb.vote(context.Background(), r.ID, approval.Vote{Approver: approval.LinkApprover("Dora"), Decision: approval.DecisionApprove, At: testNow}, nil)
	if err != nil || res != approval.Decided || got.Status != approval.StatusDecided {
		t.Fatalf("vote: %v %v %s", res, err, got.Status)
	}
	if reqs := h.slack.requests(); len(reqs) != 1 || reqs[0].Path != "/chat.update" {
		t.Errorf("Slack calls %v, want the message updated", reqs)
	}
	if len(inv.calls) != 0 {
		t.Errorf("%d hand-overs, want none", len(inv.calls))
	}
}
