package acctest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

const (
	testSigningSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	testBotToken      = "xoxb-local-test-token"
	goldenID          = "AAECAwQFBgcICQoLDA0ODw"
)

func startSlack(t *testing.T) *Slack {
	t.Helper()
	s, err := StartSlack(testSigningSecret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "approval", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post POSTs a JSON body (with a bot token when token is set) and returns
// the status and body of the answer.
func post(t *testing.T, u, token string, body []byte) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// apiCall calls a Web API method and decodes the answer.
func apiCall(t *testing.T, s *Slack, token, method string, body []byte) map[string]any {
	t.Helper()
	code, _, answer := post(t, s.APIBaseURL()+"/"+method, token, body)
	if code != http.StatusOK {
		t.Fatalf("%s: HTTP %d %s", method, code, answer)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(answer), &out); err != nil {
		t.Fatalf("%s: %v: %s", method, err, answer)
	}
	return out
}

func postApp(t *testing.T, s *Slack) Message {
	t.Helper()
	out := apiCall(t, s, testBotToken, "chat.postMessage", golden(t, "slack_app.json"))
	if out["ok"] != true || out["channel"] != "C0DEPLOY" || out["ts"] == "" {
		t.Fatalf("chat.postMessage answered %v", out)
	}
	msgs := s.Messages()
	m := msgs[len(msgs)-1]
	if m.TS != out["ts"] {
		t.Fatalf("recorded ts %q, answered %v", m.TS, out["ts"])
	}
	return m
}

func TestSlackWebhook(t *testing.T) {
	s := startSlack(t)
	code, hdr, body := post(t, s.WebhookURL(), "", golden(t, "slack_blocks.json"))
	if code != http.StatusOK || body != "ok" {
		t.Fatalf("webhook answered %d %q", code, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, Slack answers text/html", ct)
	}
	msgs, err := s.WaitMessages(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	want := Message{
		Kind: KindWebhook, Title: "Deploy <web> & friends to prod", Text: "Deploy <web> & friends to prod",
		ApproveURL: "https://api.example/r/" + goldenID + "?d=approve&exp=1795676400&sig=q2XzZok7bdEGe4CzTtXX2t_HTP-2KRJfl6v-_7sD2Vo",
		RejectURL:  "https://api.example/r/" + goldenID + "?d=reject&exp=1795676400&sig=fim6Fn7-EDpdgfywHZ31Yd2r5tpiPI9EIQSyDCgqkpA",
		RequestID:  goldenID,
	}
	if m.Kind != want.Kind || m.Title != want.Title || m.Text != want.Text || m.ApproveURL != want.ApproveURL ||
		m.RejectURL != want.RejectURL || m.RequestID != want.RequestID {
		t.Errorf("got %+v\nwant %+v", m, want)
	}
	if m.TS == "" || m.Received.IsZero() || m.Body["blocks"] == nil || !strings.HasPrefix(m.Path, "/services/") {
		t.Errorf("incomplete message %+v", m)
	}
	if got := callbackOf(m.ApproveURL); got != "https://api.example" {
		t.Errorf("callbackOf = %q", got)
	}
}

func TestSlackWorkflow(t *testing.T) {
	s := startSlack(t)
	code, _, body := post(t, s.WorkflowURL(), "", golden(t, "slack_workflow.json"))
	if code != http.StatusOK || body != `{"ok":true}`+"\n" {
		t.Fatalf("workflow answered %d %q", code, body)
	}
	m := s.Messages()[0]
	if m.Kind != KindWorkflow || m.Title != "Deploy <web> & friends to prod" || m.RequestID != goldenID ||
		!strings.Contains(m.ApproveURL, "d=approve") || !strings.Contains(m.RejectURL, "d=reject") ||
		m.Body["gate"] != "deploy-prod" || !strings.HasPrefix(m.Text, "Ping <!here>") {
		t.Errorf("got %+v", m)
	}

	code, _, body = post(t, s.WorkflowURL(), "", []byte(`{"title":"x","count":3}`))
	if code != http.StatusBadRequest || !strings.Contains(body, "invalid_workflow_input") {
		t.Errorf("non-string variable: %d %s", code, body)
	}
	code, _, _ = post(t, s.WorkflowURL(), "", []byte(`["x"]`))
	if code != http.StatusBadRequest {
		t.Errorf("array body: %d", code)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

func TestSlackWebhookRefusesWhatSlackRefuses(t *testing.T) {
	s := startSlack(t)
	long := strings.Repeat("x", 151)
	for _, tc := range []struct{ name, body, want string }{
		{"not JSON", `text=hi`, "invalid_payload"},
		{"trailing data", `{"text":"hi"} {}`, "invalid_payload"},
		{"no text", `{"blocks":[]}`, "no_text"},
		{"long header", `{"text":"t","blocks":[{"type":"header","text":{"type":"plain_text","text":"` + long + `"}}]}`, "invalid_blocks"},
		{"mrkdwn header", `{"text":"t","blocks":[{"type":"header","text":{"type":"mrkdwn","text":"h"}}]}`, "invalid_blocks"},
		{"11 fields", `{"text":"t","blocks":[{"type":"section","fields":[` + strings.Repeat(`{"type":"mrkdwn","text":"f"},`, 10) + `{"type":"mrkdwn","text":"f"}]}]}`, "invalid_blocks"},
		{"empty section", `{"text":"t","blocks":[{"type":"section","text":{"type":"mrkdwn","text":""}}]}`, "invalid_blocks"},
		{"bad style", `{"text":"t","blocks":[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"B"},"action_id":"a","style":"blue"}]}]}`, "invalid_blocks"},
		{"duplicate action", `{"text":"t","blocks":[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"B"},"action_id":"a"},{"type":"button","text":{"type":"plain_text","text":"C"},"action_id":"a"}]}]}`, "invalid_blocks"},
		{"unknown block", `{"text":"t","blocks":[{"type":"fancy"}]}`, "invalid_blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := post(t, s.WebhookURL(), "", []byte(tc.body))
			if code != http.StatusBadRequest || body != tc.want {
				t.Errorf("answered %d %q, want 400 %q", code, body, tc.want)
			}
		})
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages recorded from refused bodies", n)
	}
	if got, want := s.Attempts(), 10; got != want {
		t.Errorf("Attempts() = %d, want %d", got, want)
	}
}

func TestSlackAppPostUpdateEphemeral(t *testing.T) {
	s := startSlack(t)
	s.SetBotToken(testBotToken)
	m := postApp(t, s)
	if m.Kind != KindApp || m.Channel != "C0DEPLOY" || m.RequestID != goldenID || m.ApproveURL != "" || m.RejectURL != "" ||
		m.Title != "Deploy <web> & friends to prod" {
		t.Errorf("got %+v", m)
	}

	upd := bytes.Replace(golden(t, "slack_update_approved.json"), []byte(`"ts": "1.2"`), []byte(`"ts": "`+m.TS+`"`), 1)
	if out := apiCall(t, s, testBotToken, "chat.update", upd); out["ok"] != true || out["ts"] != m.TS {
		t.Fatalf("chat.update answered %v", out)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	got, err := s.WaitUpdate(ctx, m.TS)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got["text"].(string), "✅ Approved by <@U024BE7LH>") {
		t.Errorf("update %v", got)
	}

	eph := []byte(`{"channel":"C0DEPLOY","user":"U1","text":"You are not an approver of this request."}`)
	if out := apiCall(t, s, testBotToken, "chat.postEphemeral", eph); out["ok"] != true || out["message_ts"] == "" {
		t.Fatalf("chat.postEphemeral answered %v", out)
	}
	m, _ = s.Message(m.TS)
	if len(m.Updates) != 1 || len(m.Ephemerals) != 1 || m.Ephemerals[0]["user"] != "U1" || len(s.Ephemerals()) != 1 {
		t.Errorf("updates %v, ephemerals %v", m.Updates, m.Ephemerals)
	}

	// Failures answer like Slack: HTTP 200, ok=false.
	for _, tc := range []struct{ name, token, method, body, want string }{
		{"wrong token", "xoxb-wrong", "chat.postMessage", `{"channel":"C1","text":"x"}`, "invalid_auth"},
		{"no token", "", "chat.postMessage", `{"channel":"C1","text":"x"}`, "invalid_auth"},
		{"unknown method", testBotToken, "chat.delete", `{}`, "unknown_method"},
		{"bad JSON", testBotToken, "chat.postMessage", `channel=C1`, "invalid_json"},
		{"no channel", testBotToken, "chat.postMessage", `{"text":"x"}`, "channel_not_found"},
		{"no text", testBotToken, "chat.postMessage", `{"channel":"C1"}`, "no_text"},
		{"unknown ts", testBotToken, "chat.update", `{"channel":"C0DEPLOY","ts":"1.2","text":"x"}`, "message_not_found"},
		{"update by name", testBotToken, "chat.update", `{"channel":"#deploys","ts":"` + m.TS + `","text":"x"}`, "channel_not_found"},
		{"ephemeral without user", testBotToken, "chat.postEphemeral", `{"channel":"C0DEPLOY","text":"x"}`, "user_not_in_channel"},
	} {
		out := apiCall(t, s, tc.token, tc.method, []byte(tc.body))
		if out["ok"] != false || out["error"] != tc.want {
			t.Errorf("%s: answered %v, want error %q", tc.name, out, tc.want)
		}
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

func TestSlackChannelByName(t *testing.T) {
	s := startSlack(t) // no bot token set: any xoxb- token is accepted
	out := apiCall(t, s, "xoxb-any", "chat.postMessage", []byte(`{"channel":"#deploys","text":"hello"}`))
	id, _ := out["channel"].(string)
	if out["ok"] != true || !channelID.MatchString(id) {
		t.Fatalf("answered %v, want a channel id", out)
	}
	if out := apiCall(t, s, "not-a-bot-token", "chat.postMessage", []byte(`{"channel":"#deploys","text":"hello"}`)); out["error"] != "invalid_auth" {
		t.Errorf("a token that is no bot token: %v", out)
	}
	again := apiCall(t, s, "xoxb-any", "chat.postMessage", []byte(`{"channel":"deploys","text":"again"}`))
	if again["channel"] != id {
		t.Errorf("the same channel got ids %v and %v", id, again["channel"])
	}
}

func TestSlackScript(t *testing.T) {
	s := startSlack(t)
	s.Script(Answer{Status: 500}, Answer{Status: 429, RetryAfter: 1}, Answer{Status: 200})
	body := golden(t, "slack_blocks.json")
	var codes []int
	for range 3 {
		code, hdr, _ := post(t, s.WebhookURL(), "", body)
		codes = append(codes, code)
		if code == http.StatusTooManyRequests && hdr.Get("Retry-After") != "1" {
			t.Errorf("429 without Retry-After: 1 (%q)", hdr.Get("Retry-After"))
		}
	}
	if want := []int{500, 429, 200}; codes[0] != want[0] || codes[1] != want[1] || codes[2] != want[2] {
		t.Errorf("codes %v, want %v", codes, want)
	}
	if s.Attempts() != 3 || len(s.Messages()) != 1 {
		t.Errorf("Attempts() = %d, Messages() = %d; want 3 and 1", s.Attempts(), len(s.Messages()))
	}

	// A scripted ok=false of the Web API, then normal answers again.
	s.Script(Answer{Body: `{"ok":false,"error":"ratelimited"}`})
	if out := apiCall(t, s, "xoxb-t", "chat.postMessage", []byte(`{"channel":"C1","text":"x"}`)); out["error"] != "ratelimited" {
		t.Errorf("scripted answer: %v", out)
	}
	if out := apiCall(t, s, "xoxb-t", "chat.postMessage", []byte(`{"channel":"C1","text":"x"}`)); out["ok"] != true {
		t.Errorf("after the script: %v", out)
	}
	if s.Attempts() != 5 || len(s.Messages()) != 2 {
		t.Errorf("Attempts() = %d, Messages() = %d; want 5 and 2", s.Attempts(), len(s.Messages()))
	}

	s.Reset()
	if s.Attempts() != 0 || len(s.Messages()) != 0 {
		t.Errorf("after Reset: %d attempts, %d messages", s.Attempts(), len(s.Messages()))
	}
}

func TestSlackWaitMessagesTimesOut(t *testing.T) {
	s := startSlack(t)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.WaitMessages(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.WaitMessages(t.Context(), 1)
		done <- err
	}()
	post(t, s.WebhookURL(), "", []byte(`{"text":"hi"}`))
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitMessages did not wake up")
	}
}

// capture is a stand-in callback that records Slack interactions.
type capture struct {
	mu     sync.Mutex
	reqs   []*http.Request
	bodies [][]byte
	srv    *http.Server
	port   string
}

func startCapture(t *testing.T, h func(w http.ResponseWriter, r *http.Request, body []byte)) *capture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &capture{}
	_, c.port, _ = net.SplitHostPort(ln.Addr().String())
	c.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs, c.bodies = append(c.reqs, r), append(c.bodies, body)
		c.mu.Unlock()
		h(w, r, body)
	})}
	go func() { _ = c.srv.Serve(ln) }()
	t.Cleanup(func() { _ = c.srv.Close() })
	return c
}

func (c *capture) last(t *testing.T) (*http.Request, []byte) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.reqs) == 0 {
		t.Fatal("the callback received nothing")
	}
	return c.reqs[len(c.reqs)-1], c.bodies[len(c.bodies)-1]
}

func verify(r *http.Request, body []byte) error {
	return approval.VerifySlackSignature([]byte(testSigningSecret), r.Header.Get(approval.SlackTimestampHeader),
		r.Header.Get(approval.SlackSignatureHeader), body, time.Now())
}

func TestSlackClick(t *testing.T) {
	s := startSlack(t)
	s.SetBotToken(testBotToken)
	m := postApp(t, s)
	cb := startCapture(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.URL.Path != "/slack/interactions" || verify(r, body) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	callback := "http://abc123.execute-api.localhost:" + cb.port

	resp, answer, err := s.Click(t.Context(), callback, m, "approve", "U024BE7LH", "spengler")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(answer) != 0 {
		t.Fatalf("callback answered %d %q", resp.StatusCode, answer)
	}
	r, body := cb.last(t)
	if err := verify(r, body); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	if r.Host != "abc123.execute-api.localhost:"+cb.port {
		t.Errorf("Host %q", r.Host)
	}
	act, err := approval.ParseInteraction(body)
	if err != nil {
		t.Fatal(err)
	}
	if act.RequestID != goldenID || act.Decision != approval.DecisionApprove || act.Channel != "C0DEPLOY" || act.TS != m.TS ||
		act.Vote.Approver.ID != "slack:U024BE7LH" || act.Vote.Approver.Name != "spengler" || act.Vote.Approver.Via != approval.ViaSlack {
		t.Errorf("parsed %+v", act)
	}

	// The payload has Slack's shape.
	form, _ := url.ParseQuery(string(body))
	var p map[string]any
	if err := json.Unmarshal([]byte(form.Get("payload")), &p); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"type", "user", "api_app_id", "token", "container", "trigger_id", "team", "channel", "message", "response_url", "actions"} {
		if _, ok := p[k]; !ok {
			t.Errorf("payload lacks %q", k)
		}
	}
	a := p["actions"].([]any)[0].(map[string]any)
	if a["block_id"] != "decision" || a["value"] != goldenID || a["type"] != "button" || a["action_ts"] == "" {
		t.Errorf("action %v", a)
	}
	msg := p["message"].(map[string]any)
	if msg["ts"] != m.TS || len(msg["blocks"].([]any)) != 5 {
		t.Errorf("message %v", msg)
	}
	// The response_url records what is posted to it.
	code, _, _ := post(t, p["response_url"].(string), "", []byte(`{"text":"thanks","replace_original":false}`))
	if code != http.StatusOK {
		t.Errorf("response_url answered %d", code)
	}
	m, _ = s.Message(m.TS)
	if len(m.Responses) != 1 || m.Responses[0]["text"] != "thanks" || len(m.Clicks) != 1 || m.Clicks[0].Status != 200 {
		t.Errorf("responses %v, clicks %v", m.Responses, m.Clicks)
	}

	// Tampering breaks the signature.
	for _, tc := range []struct {
		name   string
		mutate func(*http.Request, []byte) []byte
		want   error
	}{
		{"body", func(_ *http.Request, b []byte) []byte {
			return bytes.ReplaceAll(b, []byte("approve"), []byte("reject"))
		}, approval.ErrSlackSignature},
		{"signature", func(r *http.Request, b []byte) []byte {
			r.Header.Set(approval.SlackSignatureHeader, "v0="+strings.Repeat("0", 64))
			return b
		}, approval.ErrSlackSignature},
		{"stale timestamp", func(r *http.Request, b []byte) []byte {
			r.Header.Set(approval.SlackTimestampHeader, strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10))
			return b
		}, approval.ErrSlackTimestamp},
	} {
		resp, _, err := s.ClickWith(t.Context(), callback, m, "approve", "U024BE7LH", "spengler", tc.mutate)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: callback answered %d", tc.name, resp.StatusCode)
		}
		r, body := cb.last(t)
		if err := verify(r, body); !errors.Is(err, tc.want) {
			t.Errorf("%s: verify = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestSlackInboxRendersInert(t *testing.T) {
	s := startSlack(t)
	s.SetBotToken(testBotToken)
	evil := map[string]any{
		"text": "<script>alert(1)</script>",
		"blocks": []any{
			map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": "<script>alert('header')</script>"}},
			map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "<img src=x onerror=alert(2)> &lt;b&gt;"}},
			map[string]any{"type": "section", "fields": []any{map[string]any{"type": "mrkdwn", "text": "*k*\n\"><svg onload=alert(3)>"}}},
			map[string]any{"type": "context", "elements": []any{map[string]any{"type": "mrkdwn", "text": "</div><iframe src=x>"}}},
			map[string]any{"type": "actions", "elements": []any{
				map[string]any{"type": "button", "action_id": "approve", "text": map[string]any{"type": "plain_text", "text": "Approve"}, "url": "javascript:alert(4)"},
				map[string]any{"type": "button", "action_id": "reject", "text": map[string]any{"type": "plain_text", "text": "Reject\"><b>"}, "url": "https://cb.example/r/x?d=reject&a=\"'<>"},
			}},
		},
	}
	b, _ := json.Marshal(evil)
	if code, _, body := post(t, s.WebhookURL(), "", b); code != 200 {
		t.Fatalf("webhook: %d %s", code, body)
	}
	m := postApp(t, s)
	upd := bytes.Replace(golden(t, "slack_update_approved.json"), []byte(`"ts": "1.2"`), []byte(`"ts": "`+m.TS+`"`), 1)
	apiCall(t, s, testBotToken, "chat.update", upd)

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/", nil)
	resp, err := HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	html := string(page)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("GET /: %d %v", resp.StatusCode, resp.Header)
	}
	for _, bad := range []string{"<script", "<img", "<svg", "<iframe", "javascript:", `"><b>`, "<b>"} {
		if strings.Contains(html, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	for _, good := range []string{
		`<meta http-equiv="refresh" content="2">`,
		"&lt;script&gt;alert(&#39;header&#39;)&lt;/script&gt;",
		"img src=x onerror=alert(2) &lt;b&gt;", // mrkdwn: <…> is a link, &lt;b&gt; is text
		`href="#ZgotmplZ"`,                     // html/template's neutered javascript: URL
		`action="/click"`, `name="user" value="U024BE7LH"`, `value="approve"`,
		"✅ Approved by @U024BE7LH, Bob &lt;b&gt; (link) — ok &lt;!channel&gt;",
		"Deploy &lt;web&gt; &amp; friends to prod",
	} {
		if !strings.Contains(html, good) {
			t.Errorf("the page lacks %q", good)
		}
	}
	// Newest first.
	if strings.Index(html, "id=\"m-"+m.TS) > strings.Index(html, "alert(2)") {
		t.Error("messages are not newest first")
	}
}

func TestSlackInboxClick(t *testing.T) {
	s := startSlack(t)
	s.SetBotToken(testBotToken)
	m := postApp(t, s)
	cb := startCapture(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if verify(r, body) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "")
	})
	s.SetCallbackURL("http://gate.execute-api.localhost:" + cb.port + "/")

	form := url.Values{"ts": {m.TS}, "action_id": {"reject"}, "user": {"U0BOB"}, "name": {"bob"}}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/click", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	resp, err := HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "user=U0BOB") {
		t.Fatalf("POST /click: %d %v", resp.StatusCode, resp.Header)
	}
	_, body := cb.last(t)
	act, err := approval.ParseInteraction(body)
	if err != nil || act.Decision != approval.DecisionReject || act.UserID != "U0BOB" || act.TeamID != DefaultSlackTeamID || act.AppID != DefaultSlackAppID || act.RequestID != goldenID {
		t.Errorf("callback got %+v, %v", act, err)
	}
	m, _ = s.Message(m.TS)
	if len(m.Clicks) != 1 || m.Clicks[0].Status != http.StatusOK || m.Clicks[0].UserID != "U0BOB" {
		t.Errorf("clicks %+v", m.Clicks)
	}

	// Another origin may not click.
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/click", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	resp, err = HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin click: %d", resp.StatusCode)
	}
}

func TestHTTPClientLocalhostNames(t *testing.T) {
	var mu sync.Mutex
	var host string
	c := startCapture(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		mu.Lock()
		host = r.Host
		mu.Unlock()
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/x", http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, "hello")
	})
	u := "http://abc.execute-api.localhost:" + c.port
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u+"/x", nil)
	resp, err := HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	mu.Lock()
	got := host
	mu.Unlock()
	if resp.StatusCode != 200 || string(b) != "hello" || got != "abc.execute-api.localhost:"+c.port {
		t.Errorf("got %d %q, Host %q", resp.StatusCode, b, got)
	}

	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, u+"/redirect", nil)
	resp, err = HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("redirect followed: %d", resp.StatusCode)
	}

	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "x.execute-api.localhost": true,
		"localhost.example": false, "notlocalhost": false, "127.0.0.1": false,
	} {
		if IsLocalhostName(host) != want {
			t.Errorf("IsLocalhostName(%q) = %v", host, !want)
		}
	}
}

func TestDisplayMrkdwn(t *testing.T) {
	for in, want := range map[string]string{
		"Ping &lt;!here&gt; &amp; <!here>": "Ping <!here> & @here",
		"<@U1> and <#C1|deploys>":          "@U1 and #deploys",
		"see <https://x.example|docs>":     "see docs (https://x.example)",
		"&amp;lt;":                         "&lt;",
	} {
		if got := displayMrkdwn(in); got != want {
			t.Errorf("displayMrkdwn(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSlackUsersInfo: users.info gives the e-mail a test set, with its
// confirmation, and needs the bot token.
func TestSlackUsersInfo(t *testing.T) {
	t.Parallel()
	s, err := StartSlack("secret")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetBotToken("xoxb-1")
	s.SetUserEmail("U0ALICE01", "alice@example.com", true)
	s.SetUserEmail("U0BOB0001", "bob@example.com", false)
	call := func(token, user string) map[string]any {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.APIBaseURL()+"/users.info", strings.NewReader("user="+user))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tt := range []struct {
		token, user, email string
		ok, confirmed      bool
	}{
		{"xoxb-1", "U0ALICE01", "alice@example.com", true, true},
		{"xoxb-1", "U0BOB0001", "bob@example.com", true, false},
		{"xoxb-1", "U0CAROL01", "", true, false},
		{"xoxb-2", "U0ALICE01", "", false, false},
	} {
		out := call(tt.token, tt.user)
		user, _ := out["user"].(map[string]any)
		profile, _ := user["profile"].(map[string]any)
		email, _ := profile["email"].(string)
		if out["ok"] != tt.ok || email != tt.email || (tt.ok && user["is_email_confirmed"] != tt.confirmed) || (tt.ok && user["team_id"] != DefaultSlackTeamID) {
			t.Errorf("users.info(%s, %s) = %v", tt.token, tt.user, out)
		}
	}
	if n := s.Attempts(); n != 0 {
		t.Errorf("users.info counted as %d attempts, want 0", n)
	}
}
