package approval

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", name, diff)
	}
}

func indentJSON(t *testing.T, b []byte, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// testMessage has every field set, with values that try to break out of
// Slack mrkdwn.
func testMessage() Message {
	l := Link{ID: testID, Decision: DecisionApprove, Expires: testExp}
	approve := l.URL("https://api.example", testKey)
	l.Decision = DecisionReject
	return Message{
		RequestID: testID, Gate: "deploy-prod",
		Title:          "Deploy <web> & friends to prod",
		Text:           "Ping <!here> and @channel, see <https://evil.example|docs> & <@U999>",
		Context:        []Field{{"amount", "42"}, {"env", "prod & <b>"}, {"note", "@everyone look"}},
		RequestedBy:    "alice <@U1>",
		ExecutionID:    "arn:aws:states:eu-west-1:123456789012:execution:deploy:run-7",
		StateMachineID: "arn:aws:states:eu-west-1:123456789012:stateMachine:deploy",
		StateName:      "Approve",
		ExpiresAt:      testExp,
		ApproveURL:     approve,
		RejectURL:      l.URL("https://api.example", testKey),
	}
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	m := testMessage()
	approved := &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "U024BE7LH", Name: "alice", Via: ViaSlack}, {ID: "bob", Name: "Bob <b>", Via: ViaLink}},
		Comment: "ok <!channel>", DecidedAt: "2026-11-25T08:00:00Z", RequestID: testID}
	tests := []struct {
		file   string
		render func() ([]byte, error)
		json   bool
	}{
		{"slack_blocks.json", func() ([]byte, error) { return SlackWebhookMessage(m) }, true},
		{"slack_app.json", func() ([]byte, error) { return SlackAppMessage(m, "C0DEPLOY") }, true},
		{"slack_update_approved.json", func() ([]byte, error) { return SlackUpdateMessage(m, "C0DEPLOY", "1.2", approved) }, true},
		{"slack_update_expired.json", func() ([]byte, error) { return SlackUpdateMessage(m, "C0DEPLOY", "1.2", nil) }, true},
		{"slack_workflow.json", func() ([]byte, error) { return SlackWorkflowVariables(m) }, true},
		{"webhook.json", func() ([]byte, error) { return WebhookBody(m) }, true},
		{"sns.txt", func() ([]byte, error) { return []byte("Subject: " + SNSSubject(m) + "\n\n" + SNSMessage(m)), nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			b, err := tt.render()
			if tt.json {
				b = indentJSON(t, b, err)
			}
			golden(t, tt.file, b)
		})
	}
}

// slackDoc is the shape of a rendered Slack message, for assertions that do
// not depend on the golden files.
type slackDoc struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string `json:"action_id"`
			URL      string `json:"url"`
			Value    string `json:"value"`
			Text     any    `json:"text"`
		} `json:"elements"`
		Text   *struct{ Text string }  `json:"text"`
		Fields []struct{ Text string } `json:"fields"`
	} `json:"blocks"`
}

func TestSlackMessages_buttonsAndEscaping(t *testing.T) {
	t.Parallel()
	m := testMessage()
	for _, tc := range []struct {
		name   string
		render func() ([]byte, error)
		want   [][2]string // action id, url or value
	}{
		{"webhook", func() ([]byte, error) { return SlackWebhookMessage(m) }, [][2]string{{"approve", m.ApproveURL}, {"reject", m.RejectURL}}},
		{"app", func() ([]byte, error) { return SlackAppMessage(m, "C1") }, [][2]string{{"approve", testID}, {"reject", testID}}},
	} {
		b, err := tc.render()
		if err != nil {
			t.Fatal(err)
		}
		var doc slackDoc
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		var got [][2]string
		var mrkdwn []string
		for _, bl := range doc.Blocks {
			for _, e := range bl.Elements {
				if e.ActionID != "" {
					got = append(got, [2]string{e.ActionID, e.URL + e.Value})
				}
			}
			if bl.Text != nil && bl.Type == "section" {
				mrkdwn = append(mrkdwn, bl.Text.Text)
			}
			for _, f := range bl.Fields {
				mrkdwn = append(mrkdwn, f.Text)
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s buttons (-want +got):\n%s", tc.name, diff)
		}
		all := strings.Join(mrkdwn, "\n")
		for _, bad := range []string{"<!here>", "<@U999>", "<https://", "@channel", "@everyone", "<b>"} {
			if strings.Contains(all, bad) {
				t.Errorf("%s: mrkdwn contains %q: %s", tc.name, bad, all)
			}
		}
	}
}

func TestEscapeMrkdwn(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"a & b", "a &amp; b"},
		{"<!here> <!channel>", "&lt;!here&gt; &lt;!channel&gt;"},
		{"<@U123>", "&lt;@U123&gt;"},
		{"hi @channel and @Here, @everyone!", "hi @\u2060channel and @\u2060Here, @\u2060everyone!"},
		{"mail me@channels.example", "mail me@channels.example"},
		{"&amp;", "&amp;amp;"},
	}
	for _, tt := range tests {
		if got := EscapeMrkdwn(tt.in); got != tt.want {
			t.Errorf("EscapeMrkdwn(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSNSSubject(t *testing.T) {
	t.Parallel()
	tests := []struct{ title, want string }{
		{"Deploy", "Approval needed: Deploy"},
		{"Déploiement\nà prod", "Approval needed: D?ploiement ? prod"},
		{strings.Repeat("x", 200), "Approval needed: " + strings.Repeat("x", 99-17-3) + "..."},
	}
	for _, tt := range tests {
		got := SNSSubject(Message{Title: tt.title})
		if got != tt.want || len(got) >= 100 {
			t.Errorf("SNSSubject(%q) = %q, want %q", tt.title, got, tt.want)
		}
	}
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	key := []byte("key")
	// HMAC-SHA256 with key "key" of "v1:1764662400:d-1:{}" (computed with
	// openssl: printf 'v1:1764662400:d-1:{}' | openssl dgst -sha256 -hmac key).
	const want = "v1=6d6fc38c8ac75dedb13d2e90ffabc7785114fd2f360ff12ace094085b2335ac0"
	if got := WebhookSignature(key, 1764662400, "d-1", []byte("{}")); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	now := time.Unix(1764662400, 0)
	body := []byte(`{"request_id":"r"}`)
	sig := WebhookSignature(key, now.Unix(), "d-1", body)
	tests := []struct {
		name              string
		secret            []byte
		ts, delivery, sig string
		body              []byte
		at                time.Time
		want              error
	}{
		{"valid", key, "1764662400", "d-1", sig, body, now, nil},
		{"valid, four minutes later", key, "1764662400", "d-1", sig, body, now.Add(4 * time.Minute), nil},
		{"replayed after six minutes", key, "1764662400", "d-1", sig, body, now.Add(6 * time.Minute), ErrWebhookStale},
		{"from the future", key, "1764662400", "d-1", sig, body, now.Add(-6 * time.Minute), ErrWebhookStale},
		{"timestamp changed", key, "1764662460", "d-1", sig, body, now, ErrWebhookSignature},
		{"delivery id changed", key, "1764662400", "d-2", sig, body, now, ErrWebhookSignature},
		{"body changed", key, "1764662400", "d-1", sig, []byte(`{"request_id":"s"}`), now, ErrWebhookSignature},
		{"other secret", []byte("other"), "1764662400", "d-1", sig, body, now, ErrWebhookSignature},
		{"no timestamp", key, "", "d-1", sig, body, now, ErrWebhookStale},
		{"old scheme", key, "1764662400", "d-1", "sha256=00", body, now, ErrWebhookSignature},
	}
	for _, tt := range tests {
		if err := VerifyWebhookSignature(tt.secret, tt.ts, tt.delivery, tt.sig, tt.body, tt.at); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestSlackStatusText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		o    *Outcome
		want string
	}{
		{nil, "⌛ Expired: the workflow no longer waits for this request."},
		{&Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "U024BE7LH", Name: "alice", Via: ViaSlack}}, Comment: "lgtm"}, "✅ Approved by <@U024BE7LH> — lgtm"},
		{&Outcome{Decision: OutcomeRejected, Approvers: []Approver{{ID: "eve", Name: "Eve <@U1>", Via: ViaLink}}}, "❌ Rejected by Eve &lt;@U1&gt; (link)"},
		{&Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "not an id", Name: "x", Via: ViaSlack}}}, "✅ Approved by x (slack)"},
	}
	for _, tt := range tests {
		if got := SlackStatusText(tt.o); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestFormatTime(t *testing.T) {
	t.Parallel()
	got := FormatTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)))
	if got != "2026-01-02 02:04 UTC" {
		t.Errorf("got %q", got)
	}
}
