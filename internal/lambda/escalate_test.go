package lambda

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/go-cmp/cmp"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// escSNS records the escalation topic's publishes.
type escSNS struct {
	mu        sync.Mutex
	published []*sns.PublishInput
}

func (f *escSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published = append(f.published, in)
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
}

func (f *escSNS) ListSubscriptionsByTopic(context.Context, *sns.ListSubscriptionsByTopicInput, ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error) {
	return &sns.ListSubscriptionsByTopicOutput{}, nil
}

func (f *escSNS) all() []*sns.PublishInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*sns.PublishInput(nil), f.published...)
}

const (
	escTopic   = "arn:aws:sns:eu-west-1:123456789012:deploy-prod-escalation"
	escChannel = "C0BOSS"
	escTS      = "1700000600.000900"
)

// escHarness is a callback whose gate has two escalation steps: at 10
// minutes the Slack channel C0BOSS (approver UBOSS), an e-mail address and
// a Slack incoming webhook; at 20 minutes another e-mail address. Its
// Slack answers chat.postMessage in C0BOSS with escTS.
func escHarness(t *testing.T) (*cbHarness, *escSNS) {
	t.Helper()
	srv := newFakeServer(t, func(_ int, r recorded) (int, map[string]string, string) {
		if r.Path == "/chat.postMessage" && strings.Contains(r.Body, escChannel) {
			return http.StatusOK, nil, `{"ok":true,"channel":"` + escChannel + `","ts":"` + escTS + `"}`
		}
		return http.StatusOK, nil, `{"ok":true,"channel":"C0DEPLOY","ts":"1700000000.000100"}`
	})
	h := newCallback(t, func(c *approval.Config) {
		c.Approvers = []string{"slack:UALICE"}
		c.EscalationTopicARN = escTopic
		c.ParamEscalationWebhooks = "/g/escalation-webhooks"
		c.ParamWebhookURL = "/g/webhook-url"
		c.Followup.Escalation = []approval.EscalationStep{
			{AfterSeconds: 600, SlackChannel: escChannel, EmailAddresses: []string{"boss@example.com"}, HasWebhookURL: true, Approvers: []string{"UBOSS"}},
			{AfterSeconds: 1200, EmailAddresses: []string{"ceo@example.com"}},
		}
	})
	h.slack = srv
	h.cb.HTTP = srv.Client()
	h.cb.Config.SlackAPIBaseURL = srv.URL
	h.ssm.params["/g/escalation-webhooks"] = `["` + srv.URL + `/services/step1",""]`
	h.ssm.params["/g/webhook-url"] = srv.URL + "/hook"
	f := &escSNS{}
	h.cb.SNS = f
	return h, f
}

// escalatable is a pending request made ago before testNow, due for its
// first escalation step.
func escalatable(id string, ago time.Duration) approval.Request {
	r := pendingRequest(id)
	r.CreatedAt = testNow.Add(-ago)
	r.ExpiresAt = r.CreatedAt.Add(time.Hour)
	r.DueAt = r.CreatedAt.Add(10 * time.Minute)
	return r
}

// TestSweep_escalates: the first step is notified once on each of its
// channels (the Slack app message with buttons in its channel, mentioning
// its approver, and recorded; the e-mail through the escalation topic with
// its step's attribute; its incoming webhook; the gate's webhook event),
// and due_at moves to the second step.
func TestSweep_escalates(t *testing.T) {
	t.Parallel()
	h, topic := escHarness(t)
	r := escalatable(reqID(1), 11*time.Minute)
	h.db.put(r)
	res, err := h.cb.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Escalated != 1 || res.Failed != 0 {
		t.Errorf("result %+v, want one step escalated", res)
	}
	got := h.db.request(r.ID)
	if got.Followup.Escalated != 1 || got.Status != approval.StatusPending {
		t.Errorf("followup %+v, status %s", got.Followup, got.Status)
	}
	if want := []approval.Post{{Channel: escChannel, TS: escTS}}; !cmp.Equal(want, got.Followup.Posts) {
		t.Errorf("posts %+v, want %+v", got.Followup.Posts, want)
	}
	if want := r.CreatedAt.Add(20 * time.Minute); !got.DueAt.Equal(want) {
		t.Errorf("due_at %v, want the second step %v", got.DueAt, want)
	}
	var paths []string
	for _, q := range h.slack.requests() {
		paths = append(paths, q.Path)
		switch q.Path {
		case "/chat.postMessage":
			var b struct {
				Channel string
				Blocks  []map[string]any
			}
			_ = json.Unmarshal([]byte(q.Body), &b)
			if b.Channel != escChannel || !strings.Contains(q.Body, "<@UBOSS>") || !strings.Contains(q.Body, `"action_id":"approve"`) {
				t.Errorf("escalation message %s", q.Body)
			}
		case "/services/step1":
			if !strings.Contains(q.Body, "Escalated") || !strings.Contains(q.Body, "sig=") {
				t.Errorf("incoming webhook message without the note or the links: %s", q.Body)
			}
		case "/hook":
			if !strings.Contains(q.Body, `"event":"approval.escalated"`) || !strings.Contains(q.Body, `"escalation_step":1`) ||
				q.Header.Get(approval.WebhookSignatureHeader) == "" {
				t.Errorf("webhook event %s", q.Body)
			}
		}
	}
	if diff := cmp.Diff([]string{"/chat.postMessage", "/hook", "/services/step1"}, sortedCopy(paths)); diff != "" {
		t.Errorf("HTTP calls (-want +got):\n%s", diff)
	}
	pubs := topic.all()
	if len(pubs) != 1 || aws.ToString(pubs[0].TopicArn) != escTopic ||
		aws.ToString(pubs[0].MessageAttributes[approval.EscalationStepAttribute].StringValue) != "1" ||
		!strings.Contains(aws.ToString(pubs[0].Message), "sig=") {
		t.Errorf("escalation publishes %+v", pubs)
	}
	// The next tick finds nothing due: the step is not sent again.
	if res, _ := h.cb.Sweep(context.Background()); res.Due != 0 || len(h.slack.requests()) != 3 || len(topic.all()) != 1 {
		t.Errorf("second sweep %+v sent again", res)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestSweep_escalatesOverdueStepsInOrder: a request that missed two steps
// (the sweep did not run) gets each once, in order; due_at is then the
// expiry.
func TestSweep_escalatesOverdueStepsInOrder(t *testing.T) {
	t.Parallel()
	h, topic := escHarness(t)
	r := escalatable(reqID(2), 25*time.Minute)
	h.db.put(r)
	res, err := h.cb.Sweep(context.Background())
	if err != nil || res.Escalated != 2 {
		t.Fatalf("result %+v, %v; want two steps", res, err)
	}
	var steps []string
	for _, p := range topic.all() {
		steps = append(steps, aws.ToString(p.MessageAttributes[approval.EscalationStepAttribute].StringValue))
	}
	if diff := cmp.Diff([]string{"1", "2"}, steps); diff != "" {
		t.Errorf("published steps (-want +got):\n%s", diff)
	}
	got := h.db.request(r.ID)
	if got.Followup.Escalated != 2 || !got.DueAt.Equal(r.ExpiresAt) || len(got.Followup.Posts) != 1 {
		t.Errorf("followup %+v, due_at %v (want the expiry %v)", got.Followup, got.DueAt, r.ExpiresAt)
	}
}

// TestSweep_escalationClaimedOnce: when another writer (an overlapping
// sweep, a click) changed the request after the sweep read it, the claim
// fails and this sweep sends nothing.
func TestSweep_escalationClaimedOnce(t *testing.T) {
	t.Parallel()
	h, topic := escHarness(t)
	r := escalatable(reqID(3), 11*time.Minute)
	h.db.put(r)
	// The other sweep claims the step right after this one read the item.
	var once sync.Once
	h.db.afterGet = func() {
		once.Do(func() {
			claimed := r
			claimed.Version++
			claimed.Followup.Escalated = 1
			claimed.DueAt = r.CreatedAt.Add(20 * time.Minute)
			h.db.put(claimed)
		})
	}
	res, err := h.cb.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Escalated != 0 || res.Skipped != 1 {
		t.Errorf("result %+v, want the request skipped", res)
	}
	if n := len(h.slack.requests()); n != 0 || len(topic.all()) != 0 {
		t.Errorf("%d HTTP calls, %d publishes: the step was sent by a sweep that lost the claim", n, len(topic.all()))
	}
}

// TestSweep_noEscalationNotDue: before the first step nothing is sent and
// the request keeps its due time.
func TestSweep_noEscalationNotDue(t *testing.T) {
	t.Parallel()
	h, topic := escHarness(t)
	r := escalatable(reqID(4), 5*time.Minute)
	h.db.put(r)
	if res, _ := h.cb.Sweep(context.Background()); res.Due != 0 || len(topic.all()) != 0 || len(h.slack.requests()) != 0 {
		t.Errorf("sweep %+v sent something before the step", res)
	}
}

// TestCallback_escalationApproverClicks: the step's approver, who is not
// among the gate's approvers, is refused before the step and decides with
// the button of the step's message after it; a copy of the buttons in any
// other message is still refused.
func TestCallback_escalationApproverClicks(t *testing.T) {
	t.Parallel()
	h, _ := escHarness(t)
	r := escalatable(reqID(5), 5*time.Minute)
	h.db.put(r)
	click := func(channel, ts string) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{
			"type": "block_actions", "user": map[string]string{"id": "UBOSS", "username": "boss"},
			"container": map[string]string{"type": "message", "channel_id": channel, "message_ts": ts},
			"channel":   map[string]string{"id": channel}, "message": map[string]string{"ts": ts},
			"actions": []map[string]string{{"action_id": "approve", "value": r.ID, "type": "button"}},
		})
		if resp := h.do(h.slackEvent(string(b), h.clock(), nil)); resp.StatusCode != http.StatusOK {
			t.Fatalf("click: %d %s", resp.StatusCode, resp.Body)
		}
	}
	// Before the step: the boss clicks the request's own message.
	click("C0DEPLOY", "1700000000.000100")
	if got := h.db.request(r.ID); got.Status != approval.StatusPending || !strings.Contains(h.lastSlackBody("/chat.postEphemeral"), "not an approver") {
		t.Fatalf("before the step: status %s, answer %q", got.Status, h.lastSlackBody("/chat.postEphemeral"))
	}
	// The step comes and the sweep posts its message.
	h.advance(6 * time.Minute)
	if res, err := h.cb.Sweep(context.Background()); err != nil || res.Escalated != 1 {
		t.Fatalf("sweep %+v, %v", res, err)
	}
	// A copy of the buttons in another message is refused.
	click("C0OTHER", "1700000700.000100")
	if got := h.db.request(r.ID); got.Status != approval.StatusPending {
		t.Fatalf("a click on a copied button decided: %s", got.Status)
	}
	click(escChannel, escTS)
	got := h.db.request(r.ID)
	if got.Status != approval.StatusDecided || got.Outcome == nil || got.Outcome.Approvers[0].ID != "slack:UBOSS" {
		t.Fatalf("after the step: status %s, outcome %+v", got.Status, got.Outcome)
	}
	if len(h.sfn.Calls()) != 1 || !h.sfn.Calls()[0].Success {
		t.Errorf("Step Functions calls %+v", h.sfn.Calls())
	}
	// Every message of the request shows the decision (finalize.go): the
	// request's own and the step's.
	updated := map[string]bool{}
	for _, q := range h.slack.requests() {
		if q.Path == "/chat.update" {
			var upd struct{ Channel, TS string }
			_ = json.Unmarshal([]byte(q.Body), &upd)
			updated[upd.Channel+"/"+upd.TS] = true
		}
	}
	if !updated[escChannel+"/"+escTS] || !updated["C0DEPLOY/1700000000.000100"] {
		t.Errorf("updated messages %v, want the step's and the request's own", updated)
	}
}

// lastSlackBody is the body of the last call to path.
func (h *cbHarness) lastSlackBody(path string) string {
	var body string
	for _, q := range h.slack.requests() {
		if q.Path == path {
			body = q.Body
		}
	}
	return body
}

// TestNotifier_firstEscalationIsDue: a request of a gate with escalation
// enters the status-due index at its first step, not at its expiry, so the
// sweep sees it when the step comes; without escalation it is the expiry.
func TestNotifier_firstEscalationIsDue(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		steps []approval.EscalationStep
		want  time.Time
	}{
		{"no escalation", nil, testNow.Add(time.Hour)},
		{"first step", []approval.EscalationStep{{AfterSeconds: 600, SlackChannel: "C0BOSS"}, {AfterSeconds: 1200, SlackChannel: "C0CEO"}}, testNow.Add(10 * time.Minute)},
		{"a step at the expiry", []approval.EscalationStep{{AfterSeconds: 3600, SlackChannel: "C0BOSS"}}, testNow.Add(time.Hour)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, func(c *approval.Config) { c.Followup.Escalation = tt.steps })
			if _, err := h.n.Handle(context.Background(), payload(t, basicPayload())); err != nil {
				t.Fatal(err)
			}
			if got := h.db.request(wantID).DueAt; !got.Equal(tt.want) {
				t.Errorf("due_at %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSweep_escalationPostOfFinalRequest: a request that ends (here, its
// execution stopped) between the step's claim and its Slack post gets that
// post updated at once, with the same final text as finalize gives every
// other message ("Execution stopped"), and no buttons.
func TestSweep_escalationPostOfFinalRequest(t *testing.T) {
	t.Parallel()
	h, _ := escHarness(t)
	r := escalatable(reqID(7), 11*time.Minute)
	h.db.put(r)
	stopped := false
	srv := newFakeServer(t, func(_ int, q recorded) (int, map[string]string, string) {
		if q.Path == "/chat.postMessage" && strings.Contains(q.Body, escChannel) {
			if !stopped { // the execution stops while the message is posted
				stopped = true
				cur := h.db.request(r.ID)
				cur.Status, cur.Outcome, cur.Followup.Ended = approval.StatusExpired, nil, approval.EndedStopped
				cur.Followup.ExecutionStatus = "ABORTED"
				cur.Version++
				h.db.put(cur)
			}
			return http.StatusOK, nil, `{"ok":true,"channel":"` + escChannel + `","ts":"` + escTS + `"}`
		}
		return http.StatusOK, nil, `{"ok":true,"channel":"C0DEPLOY","ts":"1700000000.000100"}`
	})
	h.slack = srv
	h.cb.HTTP = srv.Client()
	h.cb.Config.SlackAPIBaseURL = srv.URL
	if res, err := h.cb.Sweep(context.Background()); err != nil || res.Escalated != 1 {
		t.Fatalf("sweep %+v, %v", res, err)
	}
	var upd []string
	for _, q := range h.slack.requests() {
		if q.Path == "/chat.update" && strings.Contains(q.Body, escTS) {
			upd = append(upd, q.Body)
		}
	}
	if len(upd) != 1 || !strings.Contains(upd[0], "Execution stopped (ABORTED)") || strings.Contains(upd[0], `"actions"`) {
		t.Errorf("the step's message after the stop: %v", upd)
	}
}
