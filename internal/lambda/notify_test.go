package lambda

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/go-cmp/cmp"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

type ntHarness struct {
	t      *testing.T
	db     *memTable
	ssm    *ssmFake
	slack  *fakeServer
	hook   *fakeServer
	sleeps *sleepRecorder
	logs   *syncBuffer
	n      *Notifier

	mu        sync.Mutex
	published []*sns.PublishInput
	snsErr    error
}

type reply = func(n int, r recorded) (int, map[string]string, string)

func newNotifier(t *testing.T, format string, slackReply, hookReply reply, mutate func(*approval.Config)) *ntHarness {
	t.Helper()
	h := &ntHarness{t: t, db: newMemTable(t), sleeps: &sleepRecorder{}}
	h.slack = newFakeServer(t, slackReply)
	h.hook = newFakeServer(t, hookReply)
	h.ssm = newSSM(h.slack.URL + "/services/T000/B000/SECRET")
	cfg := testConfig(approval.RoleNotifier)
	cfg.SlackFormat, cfg.SlackAPIBaseURL, cfg.WebhookURL = format, h.slack.URL, h.hook.URL+"/hook"
	if mutate != nil {
		mutate(&cfg)
	}
	log, buf := newLogger()
	h.logs = buf
	h.n = &Notifier{
		Base: Base{Config: cfg, SSM: h.ssm.api(), HTTP: http.DefaultClient, Now: func() time.Time { return testNow },
			Sleep: h.sleeps.sleep, Log: log},
		DB: h.db,
		SNS: publishFunc(func(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.published = append(h.published, in)
			return &sns.PublishOutput{MessageId: aws.String("m-1")}, h.snsErr
		}),
		Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 1024)),
	}
	t.Cleanup(func() { assertNoSecrets(t, buf.String()) })
	return h
}

func payload(t *testing.T, p approval.Payload) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func basicPayload() approval.Payload {
	return approval.Payload{
		Token: testTaskToken, ExecutionID: "arn:aws:states:eu-west-1:123456789012:execution:deploy:run-1",
		StateMachineID: "arn:aws:states:eu-west-1:123456789012:stateMachine:deploy", StateName: "Approve",
		Input: json.RawMessage(`{"requested_by":"carol","amount":42,"meta":{"user":"dave"}}`),
	}
}

var wantID = reqID(7)

func TestNotifier_refuses(t *testing.T) {
	t.Parallel()
	big := basicPayload()
	big.Text = strings.Repeat("x", approval.MaxPayloadBytes)
	noToken := basicPayload()
	noToken.Token = ""
	noSM := basicPayload()
	noSM.StateMachineID = ""
	tests := []struct {
		name    string
		allowed []string
		raw     json.RawMessage
		want    string
	}{
		{"too large", nil, payload(t, big), "larger than the limit"},
		{"no token", nil, payload(t, noToken), "no task token"},
		{"not JSON", nil, json.RawMessage(`[1]`), "not a valid approval payload"},
		{"state machine not allowed", []string{"arn:aws:states:eu-west-1:123456789012:stateMachine:other"}, payload(t, basicPayload()), "not in the gate's allowed_state_machine_arns"},
		{"no state machine id", []string{"arn:aws:states:eu-west-1:123456789012:stateMachine:deploy"}, payload(t, noSM), "keep include_execution_context = true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, func(c *approval.Config) { c.AllowedStateMachineARNs = tt.allowed })
			_, err := h.n.Handle(context.Background(), tt.raw)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if h.db.puts != 0 || len(h.slack.requests()) != 0 || len(h.published) != 0 {
				t.Errorf("refused payload had effects: %d puts, %d Slack posts, %d publishes", h.db.puts, len(h.slack.requests()), len(h.published))
			}
		})
	}
}

func TestNotifier_storesRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*approval.Config)
		p      func(p *approval.Payload)
		want   func(r *approval.Request)
	}{
		{name: "defaults"},
		{name: "requester from a custom path", mutate: func(c *approval.Config) { c.RequesterPath = "$.meta.user" },
			want: func(r *approval.Request) { r.RequestedBy = "dave" }},
		{name: "payload overrides", mutate: func(c *approval.Config) {
			c.MinApprovals = 2
			c.AllowedStateMachineARNs = []string{"arn:aws:states:eu-west-1:123456789012:stateMachine:deploy"}
		},
			p: func(p *approval.Payload) {
				p.Title, p.Text, p.RequestedBy, p.Fields = " Ship it ", "Release 7", "erin", map[string]any{"version": "7"}
			},
			want: func(r *approval.Request) {
				r.Title, r.Text, r.RequestedBy, r.MinApprovals = "Ship it", "Release 7", "erin", 2
				r.Context = []approval.Field{{Key: "version", Value: "7"}}
			}},
		{name: "no execution context", p: func(p *approval.Payload) { p.ExecutionID, p.StateMachineID, p.StateName = "", "", "" },
			want: func(r *approval.Request) { r.ExecutionID, r.StateMachineID, r.StateName = "", "", "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, tt.mutate)
			p := basicPayload()
			if tt.p != nil {
				tt.p(&p)
			}
			res, err := h.n.Handle(context.Background(), payload(t, p))
			if err != nil {
				t.Fatal(err)
			}
			want := approval.Request{
				ID: wantID, Token: testTaskToken, ExecutionID: basicPayload().ExecutionID, StateMachineID: basicPayload().StateMachineID,
				StateName: "Approve", Title: "Approval requested: deploy-prod",
				Context:     []approval.Field{{Key: "amount", Value: "42"}, {Key: "meta", Value: `{"user":"dave"}`}, {Key: "requested_by", Value: "carol"}},
				RequestedBy: "carol", CreatedAt: testNow, ExpiresAt: testNow.Add(time.Hour), MinApprovals: 1,
				Status: approval.StatusPending, Votes: map[string]approval.Vote{},
				DueAt: testNow.Add(time.Hour), // the expiry is the first thing due: it enters the status-due index
			}
			if tt.want != nil {
				tt.want(&want)
			}
			if diff := cmp.Diff(want, h.db.request(wantID)); diff != "" {
				t.Errorf("stored request (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(NotifyResult{RequestID: wantID, Sent: []string{"slack", "sns", "webhook"}}, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotifier_idCollision(t *testing.T) {
	t.Parallel()
	h := newNotifier(t, approval.SlackFormatNone, nil, nil, nil)
	h.db.put(approval.Request{ID: wantID, Status: approval.StatusDecided})
	h.n.Rand = bytes.NewReader(append(bytes.Repeat([]byte{7}, 16), bytes.Repeat([]byte{8}, 16)...))
	res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
	if err != nil {
		t.Fatal(err)
	}
	if res.RequestID != reqID(8) || h.db.request(wantID).Status != approval.StatusDecided {
		t.Errorf("collision overwrote or was not retried: %+v", res)
	}
}

// verifyLinks checks that text carries a valid approve and reject link for
// the request.
func verifyLinks(t *testing.T, approve, reject string) {
	t.Helper()
	for d, raw := range map[string]string{"approve": approve, "reject": reject} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if u.Scheme+"://"+u.Host != "https://cb.example" || u.Path != "/r/"+wantID {
			t.Errorf("%s link %q", d, raw)
		}
		l, err := approval.VerifyLink([]byte(testSigningKey), wantID, u.Query(), testNow)
		if err != nil || l.Decision != d || !l.Expires.Equal(testNow.Add(time.Hour)) {
			t.Errorf("%s link %q: %+v, %v", d, raw, l, err)
		}
	}
}

func TestNotifier_channels(t *testing.T) {
	t.Parallel()
	t.Run("blocks, webhook and SNS", func(t *testing.T) {
		t.Parallel()
		h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, nil)
		if _, err := h.n.Handle(context.Background(), payload(t, basicPayload())); err != nil {
			t.Fatal(err)
		}
		sl := h.slack.requests()
		if len(sl) != 1 || sl[0].Path != "/services/T000/B000/SECRET" {
			t.Fatalf("Slack requests %+v", sl)
		}
		var msg struct {
			Blocks []struct {
				Elements []struct {
					ActionID string `json:"action_id"`
					URL      string `json:"url"`
				} `json:"elements"`
			} `json:"blocks"`
		}
		if err := json.Unmarshal([]byte(sl[0].Body), &msg); err != nil {
			t.Fatal(err)
		}
		last := msg.Blocks[len(msg.Blocks)-1].Elements
		if len(last) != 2 || last[0].ActionID != "approve" || last[1].ActionID != "reject" {
			t.Fatalf("buttons %+v", last)
		}
		verifyLinks(t, last[0].URL, last[1].URL)

		hk := h.hook.requests()
		if len(hk) != 1 {
			t.Fatalf("%d webhook requests", len(hk))
		}
		if got, want := hk[0].Header.Get("X-Signature-256"), approval.WebhookSignature([]byte(testWebhookSecret), []byte(hk[0].Body)); got != want {
			t.Errorf("webhook signature %q, want %q", got, want)
		}
		var wp approval.WebhookPayload
		if err := json.Unmarshal([]byte(hk[0].Body), &wp); err != nil {
			t.Fatal(err)
		}
		verifyLinks(t, wp.ApproveURL, wp.RejectURL)

		if len(h.published) != 1 {
			t.Fatalf("%d publishes", len(h.published))
		}
		pub := h.published[0]
		if aws.ToString(pub.TopicArn) != h.n.Config.TopicARN || aws.ToString(pub.Subject) != "Approval needed: Approval requested: deploy-prod" {
			t.Errorf("publish %+v", pub)
		}
		var approve, reject string
		for _, line := range strings.Split(aws.ToString(pub.Message), "\n") {
			if v, ok := strings.CutPrefix(line, "Approve: "); ok {
				approve = v
			}
			if v, ok := strings.CutPrefix(line, "Reject: "); ok {
				reject = v
			}
		}
		verifyLinks(t, approve, reject)
	})
	t.Run("workflow", func(t *testing.T) {
		t.Parallel()
		h := newNotifier(t, approval.SlackFormatWorkflow, nil, nil, func(c *approval.Config) { c.WebhookURL, c.TopicARN = "", "" })
		if _, err := h.n.Handle(context.Background(), payload(t, basicPayload())); err != nil {
			t.Fatal(err)
		}
		var vars map[string]string
		if err := json.Unmarshal([]byte(h.slack.requests()[0].Body), &vars); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"title", "text", "approve_url", "reject_url", "expires_at", "execution", "request_id", "requested_by"} {
			if _, ok := vars[k]; !ok {
				t.Errorf("variable %s missing from %v", k, vars)
			}
		}
		verifyLinks(t, vars["approve_url"], vars["reject_url"])
		if vars["execution"] != basicPayload().ExecutionID || vars["requested_by"] != "carol" {
			t.Errorf("variables %v", vars)
		}
	})
	t.Run("app", func(t *testing.T) {
		t.Parallel()
		h := newNotifier(t, approval.SlackFormatApp, nil, nil, func(c *approval.Config) { c.WebhookURL, c.TopicARN = "", "" })
		if _, err := h.n.Handle(context.Background(), payload(t, basicPayload())); err != nil {
			t.Fatal(err)
		}
		sl := h.slack.requests()
		if len(sl) != 1 || sl[0].Path != "/chat.postMessage" || sl[0].Header.Get("Authorization") != "Bearer "+testBotToken ||
			!strings.HasPrefix(sl[0].Header.Get("Content-Type"), "application/json") {
			t.Fatalf("Slack requests %+v", sl)
		}
		var msg struct {
			Channel string
			Blocks  []struct {
				Elements []button `json:"elements"`
			} `json:"blocks"`
		}
		if err := json.Unmarshal([]byte(sl[0].Body), &msg); err != nil {
			t.Fatal(err)
		}
		last := msg.Blocks[len(msg.Blocks)-1].Elements
		want := []button{{"approve", wantID, ""}, {"reject", wantID, ""}}
		if diff := cmp.Diff(want, last); diff != "" || msg.Channel != "C0DEPLOY" {
			t.Errorf("channel %q, buttons (-want +got):\n%s", msg.Channel, diff)
		}
		r := h.db.request(wantID)
		if r.SlackChannel != "C0DEPLOY" || r.SlackTS != "1700000000.000100" {
			t.Errorf("message location not stored: %q %q", r.SlackChannel, r.SlackTS)
		}
	})
}

// button is a rendered Block Kit button.
type button struct {
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	URL      string `json:"url"`
}

func TestNotifier_retries(t *testing.T) {
	t.Parallel()
	ok := `{"ok":true,"channel":"C0DEPLOY","ts":"1.2"}`
	tests := []struct {
		name       string
		format     string
		reply      reply
		wantSent   bool
		wantPosts  int
		wantSleeps []time.Duration
	}{
		{name: "500, then 429 with Retry-After, then 200: sent once", format: approval.SlackFormatBlocks,
			reply: func(n int, _ recorded) (int, map[string]string, string) {
				switch n {
				case 0:
					return 500, nil, "oops"
				case 1:
					return 429, map[string]string{"Retry-After": "1"}, "slow down"
				}
				return 200, nil, "ok"
			},
			wantSent: true, wantPosts: 3, wantSleeps: []time.Duration{250 * time.Millisecond, time.Second}},
		{name: "ok=false ratelimited is retried", format: approval.SlackFormatApp,
			reply: func(n int, _ recorded) (int, map[string]string, string) {
				if n == 0 {
					return 200, nil, `{"ok":false,"error":"ratelimited"}`
				}
				return 200, nil, ok
			},
			wantSent: true, wantPosts: 2, wantSleeps: []time.Duration{250 * time.Millisecond}},
		{name: "ok=false is a failure", format: approval.SlackFormatApp,
			reply: func(int, recorded) (int, map[string]string, string) {
				return 200, nil, `{"ok":false,"error":"channel_not_found"}`
			},
			wantPosts: 1},
		{name: "4xx is not retried", format: approval.SlackFormatBlocks,
			reply:     func(int, recorded) (int, map[string]string, string) { return 404, nil, "no_service" },
			wantPosts: 1},
		{name: "5xx forever gives up", format: approval.SlackFormatBlocks,
			reply:     func(int, recorded) (int, map[string]string, string) { return 503, nil, "" },
			wantPosts: maxAttempts, wantSleeps: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newNotifier(t, tt.format, tt.reply, nil, nil)
			res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
			if err != nil {
				t.Fatal(err) // SNS and the webhook still work
			}
			if got := len(h.slack.requests()); got != tt.wantPosts {
				t.Errorf("%d Slack posts, want %d", got, tt.wantPosts)
			}
			sent := !strings.Contains(strings.Join(res.Failed, ","), "slack")
			if sent != tt.wantSent {
				t.Errorf("Slack sent = %v, want %v (%+v)", sent, tt.wantSent, res)
			}
			if diff := cmp.Diff(tt.wantSleeps, h.sleeps.sleeps); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotifier_deadline(t *testing.T) {
	t.Parallel()
	h := newNotifier(t, approval.SlackFormatBlocks, func(int, recorded) (int, map[string]string, string) {
		return 429, map[string]string{"Retry-After": "30"}, ""
	}, nil, nil)
	h.n.Now = time.Now
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := h.n.Handle(ctx, payload(t, basicPayload()))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.slack.requests()) != 1 || len(h.sleeps.sleeps) != 0 || len(res.Failed) != 1 || !strings.Contains(res.Failed[0], "no time left") {
		t.Errorf("waited past the deadline: %d posts, sleeps %v, %+v", len(h.slack.requests()), h.sleeps.sleeps, res)
	}
}

func TestNotifier_failures(t *testing.T) {
	t.Parallel()
	fail := func(int, recorded) (int, map[string]string, string) { return 400, nil, "invalid_payload" }
	t.Run("some fail", func(t *testing.T) {
		t.Parallel()
		h := newNotifier(t, approval.SlackFormatBlocks, fail, fail, nil)
		res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"sns"}, res.Sent); diff != "" || len(res.Failed) != 2 {
			t.Errorf("sent (-want +got):\n%s\nfailed %v", diff, res.Failed)
		}
		if !strings.Contains(h.logs.String(), `"msg":"notification failed"`) {
			t.Error("failure not logged")
		}
	})
	t.Run("all fail", func(t *testing.T) {
		t.Parallel()
		h := newNotifier(t, approval.SlackFormatBlocks, fail, fail, nil)
		h.snsErr = errors.New("AuthorizationError")
		_, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
		if err == nil || !strings.Contains(err.Error(), "every notification channel failed") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unreachable URLs stay out of errors", func(t *testing.T) {
		t.Parallel()
		h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, func(c *approval.Config) { c.TopicARN, c.WebhookURL = "", "" })
		h.slack.Close()
		_, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
		if err == nil || strings.Contains(err.Error(), "/services/") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestNotifier_secrets(t *testing.T) {
	t.Parallel()
	h := newNotifier(t, approval.SlackFormatNone, nil, nil, nil)
	h.n.Rand = rand.Reader
	for range 2 {
		if _, err := h.n.Handle(context.Background(), payload(t, basicPayload())); err != nil {
			t.Fatal(err)
		}
	}
	if h.ssm.calls != 1 {
		t.Errorf("%d GetParameters calls, want 1", h.ssm.calls)
	}

	h = newNotifier(t, approval.SlackFormatNone, nil, nil, nil)
	delete(h.ssm.params, "/g/webhook-secret")
	if _, err := h.n.Handle(context.Background(), payload(t, basicPayload())); err == nil || !strings.Contains(err.Error(), "/g/webhook-secret") {
		t.Errorf("missing parameter: err = %v", err)
	}
	h.ssm.params["/g/webhook-secret"] = "x"
	h.ssm.params["/g/signing-key"] = "short"
	if _, err := h.n.Handle(context.Background(), payload(t, basicPayload())); err == nil || !strings.Contains(err.Error(), "shorter than") {
		t.Errorf("short key: err = %v", err)
	}
	if h.db.puts != 0 {
		t.Errorf("stored a request without secrets")
	}
}
