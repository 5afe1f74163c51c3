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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// publishRecorder is the callback's SNS: it records publishes.
type publishRecorder struct {
	mu  sync.Mutex
	ins []*sns.PublishInput
}

func (p *publishRecorder) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ins = append(p.ins, in)
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
}

func (p *publishRecorder) published() []*sns.PublishInput {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*sns.PublishInput(nil), p.ins...)
}

// remindGate is a Slack app gate with reminders 10 minutes after the
// request, then every 5, at most 3, and a last call 10 minutes before the
// expiry; Alice (a Slack user) and Bob (an e-mail) may approve.
func remindGate(c *approval.Config) {
	c.SlackFormat = approval.SlackFormatApp
	c.Approvers = []string{"slack:U0ALICE", "email:bob@example.com"}
	c.Followup = approval.Followup{
		Reminders:               &approval.Reminders{AfterSeconds: 600, EverySeconds: 300, Max: 3},
		WarnBeforeExpirySeconds: 600,
	}
}

// remindHarness is a callback over remindGate with SNS, and a request made
// at testNow that expires an hour later, stored with the due_at the
// notifier gives it.
func remindHarness(t *testing.T, mutate func(*approval.Config)) (*cbHarness, *publishRecorder, approval.Request) {
	t.Helper()
	h := newCallback(t, func(c *approval.Config) {
		remindGate(c)
		if mutate != nil {
			mutate(c)
		}
	})
	pub := &publishRecorder{}
	h.cb.SNS = pub
	r := pendingRequest(reqID(1))
	r.CreatedAt, r.ExpiresAt = testNow, testNow.Add(time.Hour)
	r.DueAt = approval.NextFollowup(h.cb.Config.Followup, r)
	h.db.put(r)
	return h, pub, r
}

// slackPosts are the chat.postMessage bodies the fake Slack received.
func slackPosts(t *testing.T, f *fakeServer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, q := range f.requests() {
		if q.Path != "/chat.postMessage" {
			continue
		}
		var b map[string]any
		if err := json.Unmarshal([]byte(q.Body), &b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func sweep(t *testing.T, h *cbHarness) SweepResult {
	t.Helper()
	res, err := h.cb.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestSweep_reminderInThread: at the first reminder's time the sweep replies
// in the request's Slack thread, mentioning the Slack approvers, publishes a
// reminder with the links to the topic, records the reminder and moves
// due_at to the next one. A sweep a minute later sends nothing.
func TestSweep_reminderInThread(t *testing.T) {
	t.Parallel()
	h, pub, r := remindHarness(t, nil)
	if want := testNow.Add(10 * time.Minute); !r.DueAt.Equal(want) {
		t.Fatalf("due_at %v, want the first reminder %v", r.DueAt, want)
	}
	h.advance(9 * time.Minute)
	if res := sweep(t, h); res.Due != 0 || len(slackPosts(t, h.slack)) != 0 {
		t.Fatalf("before the reminder: %+v", res)
	}
	h.advance(time.Minute)
	if res := sweep(t, h); res.Reminded != 1 {
		t.Fatalf("result %+v, want one reminder", res)
	}
	posts := slackPosts(t, h.slack)
	if len(posts) != 1 {
		t.Fatalf("%d Slack posts, want 1", len(posts))
	}
	p := posts[0]
	text, _ := p["text"].(string)
	if p["channel"] != r.SlackChannel || p["thread_ts"] != r.SlackTS || !strings.Contains(text, "<@U0ALICE>") ||
		!strings.Contains(text, "bob@example.com") || !strings.Contains(text, "Reminder") {
		t.Errorf("Slack reply %v, want a reminder in the thread %s mentioning the approvers", p, r.SlackTS)
	}
	if _, ok := p["blocks"]; ok {
		t.Errorf("the reminder carries buttons: %v", p)
	}
	ins := pub.published()
	if len(ins) != 1 || !strings.Contains(aws.ToString(ins[0].Message), "/r/"+r.ID) ||
		!strings.Contains(aws.ToString(ins[0].Subject), "reminder") {
		t.Errorf("SNS publishes %d, want one reminder with the links", len(ins))
	}
	got := h.db.request(r.ID)
	if got.Followup.RemindersSent != 1 || !got.DueAt.Equal(testNow.Add(15*time.Minute)) || got.Status != approval.StatusPending {
		t.Errorf("stored %+v due %v, want 1 reminder sent and due at +15m", got.Followup, got.DueAt)
	}
	h.advance(time.Minute)
	if res := sweep(t, h); res.Due != 0 || len(slackPosts(t, h.slack)) != 1 {
		t.Errorf("next minute: %+v, %d posts", res, len(slackPosts(t, h.slack)))
	}
}

// TestSweep_reminderOnceWithConcurrentSweeps: two sweeps that read the due
// request at the same time both try; the version compare-and-swap lets one
// claim it, so one reminder goes out.
func TestSweep_reminderOnceWithConcurrentSweeps(t *testing.T) {
	t.Parallel()
	h, pub, r := remindHarness(t, nil)
	h.advance(10 * time.Minute)
	// Both sweeps read the item before either writes.
	var arrived sync.WaitGroup
	arrived.Add(2)
	h.db.afterGet = func() { arrived.Done(); arrived.Wait() }
	results := make([]SweepResult, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = sweep(t, h) })
	}
	wg.Wait()
	if n := results[0].Reminded + results[1].Reminded; n != 1 {
		t.Errorf("results %+v, want one reminder between them", results)
	}
	if n := results[0].Skipped + results[1].Skipped; n != 1 {
		t.Errorf("results %+v, want the other sweep to skip", results)
	}
	if n := len(slackPosts(t, h.slack)); n != 1 {
		t.Errorf("%d Slack replies, want 1", n)
	}
	if n := len(pub.published()); n != 1 {
		t.Errorf("%d SNS publishes, want 1", n)
	}
	if got := h.db.request(r.ID); got.Followup.RemindersSent != 1 {
		t.Errorf("reminders sent %d, want 1", got.Followup.RemindersSent)
	}
}

// TestSweep_lateSweepSendsOne: a sweep that runs after three reminders were
// due (the schedule was down) sends one, not three, and the max is then
// used up: the next thing due is the last call.
func TestSweep_lateSweepSendsOne(t *testing.T) {
	t.Parallel()
	h, _, r := remindHarness(t, nil)
	h.advance(21 * time.Minute) // slots at +10, +15, +20
	if res := sweep(t, h); res.Reminded != 1 {
		t.Fatalf("result %+v, want one reminder", res)
	}
	posts := slackPosts(t, h.slack)
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	got := h.db.request(r.ID)
	if got.Followup.RemindersSent != 3 || !got.DueAt.Equal(testNow.Add(50*time.Minute)) {
		t.Errorf("stored %+v due %v, want the max used and the last call next", got.Followup, got.DueAt)
	}
}

// TestSweep_remindersMaxThenLastCallThenExpiry walks the request's hour a
// sweep a minute: three reminders, one last call saying when it expires,
// then the expiry; nothing more.
func TestSweep_remindersMaxThenLastCallThenExpiry(t *testing.T) {
	t.Parallel()
	h, pub, r := remindHarness(t, nil)
	var reminded, expired int
	for range 70 {
		h.advance(time.Minute)
		res := sweep(t, h)
		reminded += res.Reminded
		expired += res.Expired
	}
	posts := slackPosts(t, h.slack)
	var kinds []string
	for _, p := range posts {
		text, _ := p["text"].(string)
		switch {
		case strings.Contains(text, "Last call: expires in 10 minutes, at "+approval.FormatTime(r.ExpiresAt)):
			kinds = append(kinds, "last call")
			if p["reply_broadcast"] != true {
				t.Errorf("the last call is not shown in the channel: %v", p)
			}
		case strings.Contains(text, "Reminder"):
			kinds = append(kinds, "reminder")
		default:
			kinds = append(kinds, text)
		}
	}
	if got := strings.Join(kinds, ","); got != "reminder,reminder,reminder,last call" || reminded != 4 || expired != 1 {
		t.Errorf("sent %s (%d reminded, %d expired), want three reminders, one last call, one expiry", got, reminded, expired)
	}
	if n := len(pub.published()); n != 4 {
		t.Errorf("%d SNS publishes, want 4", n)
	}
	if got := h.db.request(r.ID); got.Status != approval.StatusExpired || !got.DueAt.IsZero() {
		t.Errorf("final %s due %v", got.Status, got.DueAt)
	}
}

// TestSweep_noReminderAfterDecision: a decided request left the index; even
// an item whose due_at was left behind (a stale index) is not reminded.
func TestSweep_noReminderAfterDecision(t *testing.T) {
	t.Parallel()
	h, pub, r := remindHarness(t, nil)
	d := decidedRequest(r.ID, approval.StatusDecided)
	d.CreatedAt, d.ExpiresAt = r.CreatedAt, r.ExpiresAt
	h.db.put(d)
	h.advance(11 * time.Minute)
	res := sweep(t, h)
	// The decided item is not in the index at all.
	if res.Due != 0 || res.Reminded != 0 || len(slackPosts(t, h.slack)) != 0 || len(pub.published()) != 0 {
		t.Errorf("decided request reminded: %+v", res)
	}
	// An index that still lists it (AWS's is eventually consistent).
	h.db.put(r)
	h.cb.DB = &pendingQueryHook{memTable: h.db, after: func() { h.db.put(d) }}
	res = sweep(t, h)
	if res.Skipped != 1 || res.Reminded != 0 || len(slackPosts(t, h.slack)) != 0 {
		t.Errorf("stale index: %+v", res)
	}
}

// TestSweep_reminderChannels: an incoming-webhook gate gets a new short
// message with the links, the webhook an approval.reminded event signed as
// every delivery.
func TestSweep_reminderChannels(t *testing.T) {
	t.Parallel()
	hook := newFakeServer(t, nil)
	h, _, r := remindHarness(t, func(c *approval.Config) {
		c.SlackFormat = approval.SlackFormatBlocks
		c.ParamWebhookURL = "/g/webhook-url"
	})
	h.ssm.params["/g/webhook-url"] = hook.URL + "/hook"
	h.ssm.params["/g/slack-webhook"] = h.slack.URL + "/services/T/B/X"
	h.advance(10 * time.Minute)
	if res := sweep(t, h); res.Reminded != 1 {
		t.Fatalf("result %+v", res)
	}
	var slackBody string
	for _, q := range h.slack.requests() {
		if q.Path == "/services/T/B/X" {
			slackBody = q.Body
		}
	}
	if !strings.Contains(slackBody, "Reminder") || !strings.Contains(slackBody, "/r/"+r.ID) || !strings.Contains(slackBody, `"url"`) {
		t.Errorf("incoming webhook reminder %s, want the reminder with link buttons", slackBody)
	}
	reqs := hook.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d webhook deliveries, want 1", len(reqs))
	}
	q := reqs[0]
	var ev map[string]any
	if err := json.Unmarshal([]byte(q.Body), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["event"] != approval.WebhookEventReminded || ev["kind"] != approval.FollowupReminder || ev["reminder"] != float64(1) || ev["request_id"] != r.ID {
		t.Errorf("webhook event %s", q.Body)
	}
	if err := approval.VerifyWebhookSignature([]byte(testWebhookSecret), q.Header.Get(approval.WebhookTimestampHeader),
		q.Header.Get(approval.WebhookDeliveryHeader), q.Header.Get(approval.WebhookSignatureHeader), []byte(q.Body), h.clock()); err != nil {
		t.Errorf("webhook reminder not signed like a delivery: %v", err)
	}
	if ts, _ := strconv.ParseInt(q.Header.Get(approval.WebhookTimestampHeader), 10, 64); ts != h.clock().Unix() {
		t.Errorf("timestamp %d, want the sweep's clock", ts)
	}
}

// TestSweep_reminderSendFailureNotRetried: a channel that fails is logged;
// the claim stands, so the next sweep does not send it again (the next
// reminder comes at its own time).
func TestSweep_reminderSendFailureNotRetried(t *testing.T) {
	t.Parallel()
	h, pub, r := remindHarness(t, nil)
	h.slack.reply = func(int, recorded) (int, map[string]string, string) {
		return 200, nil, `{"ok":false,"error":"channel_not_found"}`
	}
	h.advance(10 * time.Minute)
	if res := sweep(t, h); res.Reminded != 1 || res.Failed != 0 {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(h.logs.String(), "reminder failed") || len(pub.published()) != 1 {
		t.Errorf("failure not logged, or SNS not sent: %s", h.logs.String())
	}
	h.advance(time.Minute)
	if res := sweep(t, h); res.Due != 0 {
		t.Errorf("re-sent: %+v", res)
	}
	if got := h.db.request(r.ID); got.Followup.RemindersSent != 1 {
		t.Errorf("reminders sent %d", got.Followup.RemindersSent)
	}
}

// TestNotifier_dueAtFirstReminder: the notifier stores a new request due at
// its first follow-up, not at its expiry.
func TestNotifier_dueAtFirstReminder(t *testing.T) {
	t.Parallel()
	h := newNotifier(t, approval.SlackFormatApp, nil, nil, func(c *approval.Config) {
		c.Followup.Reminders = &approval.Reminders{AfterSeconds: 300, EverySeconds: 600, Max: 2}
	})
	res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
	if err != nil {
		t.Fatal(err)
	}
	got := h.db.request(res.RequestID)
	if want := got.CreatedAt.Add(5 * time.Minute); !got.DueAt.Equal(want) {
		t.Errorf("due_at %v, want the first reminder %v", got.DueAt, want)
	}
}

// pendingQueryHook runs after after each Query of pending requests: the item
// changes between the index read and the item read.
type pendingQueryHook struct {
	*memTable
	after func()
}

func (p *pendingQueryHook) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := p.memTable.Query(ctx, in, o...)
	if st, ok := in.ExpressionAttributeValues[":st"].(*types.AttributeValueMemberS); ok && st.Value == approval.StatusPending {
		p.after()
	}
	return out, err
}

// getCounter counts GetItem calls.
type getCounter struct {
	*memTable
	mu   sync.Mutex
	gets int
}

func (g *getCounter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	g.mu.Lock()
	g.gets++
	g.mu.Unlock()
	return g.memTable.GetItem(ctx, in, o...)
}

// TestSweep_thousandPendingReadsOnlyDue: of 1,000 pending requests with
// reminders, the 50 whose reminder is due are read and reminded; the sweep
// reads nothing else (one index query a status, one GetItem a due request)
// and finishes (More false).
func TestSweep_thousandPendingReadsOnlyDue(t *testing.T) {
	t.Parallel()
	h, _, _ := remindHarness(t, func(c *approval.Config) { c.SlackFormat = "" })
	h.db.items = map[string]map[string]types.AttributeValue{}
	for i := range 1000 {
		r := pendingRequest("r" + strconv.Itoa(i))
		r.CreatedAt, r.ExpiresAt = testNow, testNow.Add(time.Hour)
		if i%20 == 0 {
			r.CreatedAt = testNow.Add(-10 * time.Minute) // its first reminder is due
		}
		r.DueAt = approval.NextFollowup(h.cb.Config.Followup, r)
		h.db.put(r)
	}
	g := &getCounter{memTable: h.db}
	h.cb.DB = g
	res := sweep(t, h)
	if res.Due != 50 || res.Reminded != 50 || res.More || res.Failed != 0 {
		t.Errorf("result %+v, want 50 due and reminded, none left", res)
	}
	if h.db.queries != 2 || g.gets != 50 {
		t.Errorf("%d queries and %d GetItem, want 2 and 50", h.db.queries, g.gets)
	}
}
