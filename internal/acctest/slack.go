package acctest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Slack is a local Slack for end-to-end tests and the demo. It serves the
// three routes the notifier posts to, an incoming webhook (WebhookURL), a
// Workflow Builder trigger (WorkflowURL) and the Web API (APIBaseURL:
// chat.postMessage, chat.update, chat.postEphemeral, and users.info for the
// callback's e-mail look-up, see SetUserEmail), records what arrives
// as Messages, and plays the part of a Slack user clicking an app button
// (Click), signing the interaction like Slack does. GET URL+"/" is an inbox
// page listing every message.
//
// Incoming bodies are checked like Slack checks them (JSON, text or blocks,
// Block Kit limits), so a message Slack would refuse fails here too.
type Slack struct {
	URL           string // http://127.0.0.1:<port>
	SigningSecret string // signs Click; set it before the first Click
	// TeamID and AppID are the workspace and app a Click comes from
	// (DefaultSlackTeamID and DefaultSlackAppID unless changed before a
	// Click); EnterpriseID is its Enterprise Grid organisation ("" = none).
	TeamID, EnterpriseID, AppID string

	srv *http.Server

	mu          sync.Mutex
	botToken    string
	callbackURL string
	msgs        []*Message
	ephemerals  []map[string]any
	script      []Answer
	attempts    int
	seq         int
	channels    map[string]string // channel id -> name
	lastClick   map[string]string // channel id -> ts of the message clicked last
	users       map[string]slackUserProfile
	responses   map[string]string    // response_url id -> message ts
	triggers    map[string]time.Time // trigger_id -> when issued (slack_views.go)
	views       []View               // modals opened (slack_views.go)
	changed     chan struct{}
}

// Message is one message posted to the local Slack.
type Message struct {
	Kind    string // "webhook", "workflow" or "app"
	Path    string // the URL path it was posted to
	Channel string // channel id (app messages; empty otherwise)
	TS      string // unique; what chat.postMessage answers for app messages
	// ThreadTS is the ts of the message this one replies to in its thread
	// (chat.postMessage with thread_ts); empty for a message of its own.
	ThreadTS string
	Body     map[string]any
	Title    string // the header block's text, or the workflow's title variable
	Text     string // the body's "text" as Slack shows it, mrkdwn rendered (for a workflow, its text variable)
	// ApproveURL and RejectURL are the link buttons' URLs (blocks) or the
	// approve_url and reject_url variables (workflow); empty for app
	// messages.
	ApproveURL, RejectURL string
	// RequestID is the value of the app buttons, the request_id variable of
	// a workflow, or the {id} of a link button's /r/{id} URL.
	RequestID  string
	Updates    []map[string]any // chat.update bodies, in order
	Ephemerals []map[string]any // chat.postEphemeral bodies sent after a click on it
	Responses  []map[string]any // what was posted to the response_url of a click on it
	Clicks     []ClickResult    // Click calls on it, in order
	Received   time.Time
}

// ClickResult is one click on a message and the callback's answer.
type ClickResult struct {
	ActionID, UserID, UserName string
	Status                     int    // HTTP status of the callback's answer; 0 on a transport error
	Answer                     string // the answer's body (or the transport error)
	At                         time.Time
}

// Answer is a scripted answer of the local Slack (see Script).
type Answer struct {
	Status     int    // HTTP status; 0 means 200
	RetryAfter int    // seconds, sent as Retry-After when > 0
	Body       string // the body; empty means the status text
	// Delay holds the answer back (a slow Slack).
	Delay time.Duration
}

// Message kinds.
const (
	KindWebhook  = "webhook"
	KindWorkflow = "workflow"
	KindApp      = "app"
)

// DefaultSlackUser is the user id the inbox page clicks as by default.
const DefaultSlackUser = "U024BE7LH"

// The workspace and app of the local Slack's clicks by default.
const (
	DefaultSlackTeamID = "T000LOCAL"
	DefaultSlackAppID  = "A000LOCAL"
)

// slackUserProfile is what users.info tells about a user.
type slackUserProfile struct {
	email     string
	confirmed bool
}

// maxSlackBody is the largest request body the local Slack reads.
const maxSlackBody = 1 << 20

// StartSlack starts a local Slack on a free port of 127.0.0.1. Interactions
// it sends (Click) are signed with signingSecret. Call Close when done.
func StartSlack(signingSecret string) (*Slack, error) {
	return StartSlackOn("127.0.0.1:0", signingSecret)
}

// StartSlackOn is StartSlack on a given address (a demo that wants a stable
// port).
func StartSlackOn(addr, signingSecret string) (*Slack, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("starting the local Slack: %w", err)
	}
	s := &Slack{
		URL:           "http://" + ln.Addr().String(),
		SigningSecret: signingSecret,
		TeamID:        DefaultSlackTeamID,
		AppID:         DefaultSlackAppID,
		users:         map[string]slackUserProfile{},
		channels:      map[string]string{},
		lastClick:     map[string]string{},
		responses:     map[string]string{},
		changed:       make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.serveInbox)
	mux.HandleFunc("POST /click", s.serveClick)
	mux.Handle("POST /services/", s.slackRoute(s.serveWebhook))
	mux.Handle("POST /workflows/", s.slackRoute(s.serveWorkflow))
	mux.Handle("POST /api/{method}", s.slackRoute(s.serveAPI))
	// users.info is a read: not scripted, not counted as an attempt.
	mux.HandleFunc("POST /api/users.info", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSlackBody))
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		want := s.botToken
		s.mu.Unlock()
		switch {
		case err != nil:
			http.Error(w, "request_too_large", http.StatusRequestEntityTooLarge)
		case !ok || tok == "" || (want != "" && !hmac.Equal([]byte(tok), []byte(want))) || (want == "" && !strings.HasPrefix(tok, "xoxb-")):
			slackAPIError(w, "invalid_auth")
		default:
			s.usersInfo(w, body)
		}
	})
	mux.Handle("POST /response/{id}", s.slackRoute(s.serveResponse))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the local Slack.
func (s *Slack) Close() { _ = s.srv.Close() }

// WebhookURL is the URL of an incoming webhook. It answers "ok" to the JSON
// Slack incoming webhooks accept (text and/or blocks), and 400 with
// "invalid_payload", "no_text" or "invalid_blocks" otherwise.
func (s *Slack) WebhookURL() string {
	return s.URL + "/services/T000LOCAL/B000LOCAL/LocalWebhookSecret0000000"
}

// WorkflowURL is the URL of a Workflow Builder trigger. It answers
// {"ok":true} to a flat JSON object of strings.
func (s *Slack) WorkflowURL() string {
	return s.URL + "/workflows/triggers/T000LOCAL/0000000000001/LocalWorkflowSecret0000000"
}

// APIBaseURL is the base URL of the Web API (URL+"/api"); methods are
// POSTed to APIBaseURL()+"/chat.postMessage" and so on.
func (s *Slack) APIBaseURL() string { return s.URL + "/api" }

// SetBotToken sets the only bot token the Web API accepts. Until it is set,
// any token starting with "xoxb-" is accepted.
func (s *Slack) SetBotToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.botToken = tok
}

// SetUserEmail sets the profile e-mail users.info gives for userID, and
// whether the user confirmed it (is_email_confirmed). A user without one
// gets a profile without e-mail, as Slack answers an app lacking
// users:read.email.
func (s *Slack) SetUserEmail(userID, email string, confirmed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[userID] = slackUserProfile{email: email, confirmed: confirmed}
}

// SetCallbackURL sets the callback URL (a gate's callback_url) the inbox
// page clicks app buttons against. Messages with link buttons need none:
// their links name it.
func (s *Slack) SetCallbackURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callbackURL = strings.TrimSuffix(u, "/")
}

// Script makes the next requests to the webhook, workflow, Web API and
// response URLs answer these, in order, before normal answers resume. A
// scripted answer is recorded as an attempt but records no message. An
// Answer with a 2xx (or zero) Status and neither Body nor RetryAfter means
// "answer normally" (after its Delay, if any): it keeps a place in the
// sequence, and the request is handled, and recorded, as usual.
func (s *Slack) Script(answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, answers...)
}

// Attempts is the number of requests received by the webhook, workflow, Web
// API and response URLs, including failed and scripted ones (the inbox page
// is not counted).
func (s *Slack) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Reset forgets every message, ephemeral, scripted answer and attempt
// (tests sharing one local Slack).
func (s *Slack) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs, s.ephemerals, s.script, s.attempts = nil, nil, nil, 0
	s.lastClick, s.responses = map[string]string{}, map[string]string{}
	s.notifyLocked()
}

// Messages returns the messages received so far, oldest first.
func (s *Slack) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = m.clone()
	}
	return out
}

// Ephemerals returns every chat.postEphemeral body received, in order,
// including those that could not be tied to a message.
func (s *Slack) Ephemerals() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.ephemerals...)
}

// Message returns the message with the given ts.
func (s *Slack) Message(ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findLocked(ts); m != nil {
		return m.clone(), true
	}
	return Message{}, false
}

// WaitMessages waits until at least n messages have arrived and returns
// them all.
func (s *Slack) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	err := s.wait(ctx, func() bool { return len(s.msgs) >= n })
	if err != nil {
		return s.Messages(), fmt.Errorf("waiting for %d Slack message(s), %d arrived: %w", n, len(s.Messages()), err)
	}
	return s.Messages(), nil
}

// WaitUpdate waits until the message ts has been updated (chat.update) and
// returns its latest update.
func (s *Slack) WaitUpdate(ctx context.Context, ts string) (map[string]any, error) {
	var upd map[string]any
	err := s.wait(ctx, func() bool {
		if m := s.findLocked(ts); m != nil && len(m.Updates) > 0 {
			upd = m.Updates[len(m.Updates)-1]
			return true
		}
		return false
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for an update of Slack message %s: %w", ts, err)
	}
	return upd, nil
}

// WaitReplies waits until at least n replies have been posted in the
// thread of message ts, and returns them, oldest first.
func (s *Slack) WaitReplies(ctx context.Context, ts string, n int) ([]Message, error) {
	replies := func() []Message {
		var out []Message
		for _, m := range s.msgs {
			if m.ThreadTS == ts {
				out = append(out, m.clone())
			}
		}
		return out
	}
	err := s.wait(ctx, func() bool { return len(replies()) >= n })
	s.mu.Lock()
	defer s.mu.Unlock()
	got := replies()
	if err != nil {
		return got, fmt.Errorf("waiting for %d repl(ies) in the thread of Slack message %s, %d arrived: %w", n, ts, len(got), err)
	}
	return got, nil
}

// wait waits until cond (called with s.mu held) holds.
// WaitEphemerals waits until at least n ephemeral notes have been posted
// and returns them all.
func (s *Slack) WaitEphemerals(ctx context.Context, n int) ([]map[string]any, error) {
	err := s.wait(ctx, func() bool { return len(s.ephemerals) >= n })
	return s.Ephemerals(), err
}

func (s *Slack) wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ok, ch := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

func (s *Slack) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (m *Message) clone() Message {
	c := *m
	c.Updates = append([]map[string]any(nil), m.Updates...)
	c.Ephemerals = append([]map[string]any(nil), m.Ephemerals...)
	c.Responses = append([]map[string]any(nil), m.Responses...)
	c.Clicks = append([]ClickResult(nil), m.Clicks...)
	return c
}

func (s *Slack) findLocked(ts string) *Message {
	for _, m := range s.msgs {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

// newTSLocked returns a unique Slack timestamp ("seconds.micros").
func (s *Slack) newTSLocked() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), s.seq)
}

// record stores m (whose TS it sets) and wakes waiters.
func (s *Slack) record(m *Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.TS = s.newTSLocked()
	m.Received = time.Now()
	s.msgs = append(s.msgs, m)
	s.notifyLocked()
}

// slackRoute counts the attempt, reads the body and plays the script
// before handing over to h.
func (s *Slack) slackRoute(h func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSlackBody))
		s.mu.Lock()
		s.attempts++
		var a *Answer
		if len(s.script) > 0 {
			a = &s.script[0]
			s.script = s.script[1:]
		}
		s.notifyLocked()
		s.mu.Unlock()
		if a != nil && a.Delay > 0 {
			select {
			case <-time.After(a.Delay):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case err != nil:
			http.Error(w, "request_too_large", http.StatusRequestEntityTooLarge)
		case a != nil && !a.normal():
			writeAnswer(w, *a)
		default:
			h(w, r, body)
		}
	})
}

// normal reports whether a only holds a place in the script.
func (a Answer) normal() bool {
	return (a.Status == 0 || a.Status/100 == 2) && a.Body == "" && a.RetryAfter == 0
}

func writeAnswer(w http.ResponseWriter, a Answer) {
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	body := a.Body
	if body == "" {
		body = http.StatusText(status)
	}
	if a.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(a.RetryAfter))
	}
	ct := "text/plain; charset=utf-8"
	if strings.HasPrefix(strings.TrimSpace(body), "{") {
		ct = "application/json; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeText(w http.ResponseWriter, status int, s string) {
	w.Header().Set("Content-Type", "text/html") // what Slack's webhooks answer
	w.WriteHeader(status)
	_, _ = io.WriteString(w, s)
}

func decodeObject(body []byte) (map[string]any, error) {
	var obj map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&obj); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, errors.New("not a JSON object")
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON object")
	}
	return obj, nil
}

// checkMessage checks a message body like Slack: text or blocks, valid
// blocks. It returns Slack's error code.
func checkMessage(obj map[string]any) string {
	text, _ := obj["text"].(string)
	blocks, hasBlocks := obj["blocks"]
	if hasBlocks && blocks != nil {
		if err := validateBlocks(blocks); err != nil {
			return "invalid_blocks"
		}
	}
	list, _ := blocks.([]any)
	if strings.TrimSpace(text) == "" && len(list) == 0 {
		return "no_text"
	}
	return ""
}

func (s *Slack) serveWebhook(w http.ResponseWriter, r *http.Request, body []byte) {
	obj, err := decodeObject(body)
	if err != nil {
		writeText(w, http.StatusBadRequest, "invalid_payload")
		return
	}
	if code := checkMessage(obj); code != "" {
		writeText(w, http.StatusBadRequest, code)
		return
	}
	m := &Message{Kind: KindWebhook, Path: r.URL.Path, Body: obj}
	m.fromBlocks()
	s.record(m)
	writeText(w, http.StatusOK, "ok")
}

func (s *Slack) serveWorkflow(w http.ResponseWriter, r *http.Request, body []byte) {
	obj, err := decodeObject(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	for k, v := range obj {
		if _, ok := v.(string); !ok {
			writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_workflow_input", "variable": k})
			return
		}
	}
	str := func(k string) string { v, _ := obj[k].(string); return v }
	m := &Message{
		Kind: KindWorkflow, Path: r.URL.Path, Body: obj,
		Title: str("title"), Text: str("text"),
		ApproveURL: str("approve_url"), RejectURL: str("reject_url"), RequestID: str("request_id"),
	}
	s.record(m)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// fromBlocks fills Title, Text, the link URLs and the request id from the
// Block Kit body.
func (m *Message) fromBlocks() {
	text, _ := m.Body["text"].(string)
	m.Text = displayMrkdwn(text)
	for _, b := range objects(m.Body["blocks"]) {
		switch b["type"] {
		case "header":
			if m.Title == "" {
				m.Title = textOf(b["text"])
			}
		case "actions":
			for _, e := range objects(b["elements"]) {
				if e["type"] != "button" {
					continue
				}
				u, _ := e["url"].(string)
				v, _ := e["value"].(string)
				switch e["action_id"] {
				case "approve":
					m.ApproveURL = u
					if v != "" {
						m.RequestID = v
					}
				case "reject":
					m.RejectURL = u
					if v != "" && m.RequestID == "" {
						m.RequestID = v
					}
				}
			}
		}
	}
	if m.RequestID == "" && m.ApproveURL != "" {
		m.RequestID = linkRequestID(m.ApproveURL)
	}
}

// linkRequestID returns {id} of a .../r/{id} URL.
func linkRequestID(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	i := strings.LastIndex(u.Path, "/r/")
	if i < 0 {
		return ""
	}
	return u.Path[i+len("/r/"):]
}

// callbackOf returns the callback URL a signed link points into.
func callbackOf(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		return ""
	}
	i := strings.LastIndex(u.Path, "/r/")
	if i < 0 {
		return ""
	}
	return u.Scheme + "://" + u.Host + u.Path[:i]
}

func objects(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if o, ok := e.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func textOf(v any) string {
	if o, ok := v.(map[string]any); ok {
		s, _ := o["text"].(string)
		return s
	}
	return ""
}

// slackAPIError is a Web API failure: HTTP 200, ok=false.
func slackAPIError(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
}

var channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

// resolveChannelLocked returns the id of a channel given by id or name.
func (s *Slack) resolveChannelLocked(ch string) string {
	if channelID.MatchString(ch) {
		if _, ok := s.channels[ch]; !ok {
			s.channels[ch] = strings.ToLower(ch)
		}
		return ch
	}
	name := strings.ToLower(strings.TrimPrefix(ch, "#"))
	id := fmt.Sprintf("C%08X", crc32.ChecksumIEEE([]byte(name)))
	s.channels[id] = name
	return id
}

func (s *Slack) serveAPI(w http.ResponseWriter, r *http.Request, body []byte) {
	method := r.PathValue("method")
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	want := s.botToken
	s.mu.Unlock()
	if !ok || tok == "" || (want != "" && !hmac.Equal([]byte(tok), []byte(want))) || (want == "" && !strings.HasPrefix(tok, "xoxb-")) {
		slackAPIError(w, "invalid_auth")
		return
	}
	var handle func(w http.ResponseWriter, obj map[string]any)
	switch method {
	case "chat.postMessage":
		handle = s.postMessage
	case "chat.update":
		handle = s.update
	case "chat.postEphemeral":
		handle = s.postEphemeral
	case "views.open":
		handle = s.viewsOpen
	default:
		slackAPIError(w, "unknown_method")
		return
	}
	obj, err := decodeObject(body)
	if err != nil {
		slackAPIError(w, "invalid_json")
		return
	}
	handle(w, obj)
}

// usersInfo answers users.info (form-encoded, as Slack documents it: the
// method takes no JSON body): the user object with the profile e-mail set by
// SetUserEmail.
func (s *Slack) usersInfo(w http.ResponseWriter, body []byte) {
	form, err := url.ParseQuery(string(body))
	user := form.Get("user")
	if err != nil || user == "" {
		slackAPIError(w, "user_not_found")
		return
	}
	s.mu.Lock()
	p, ok := s.users[user]
	team := s.TeamID
	s.mu.Unlock()
	profile := map[string]any{"real_name": strings.ToLower(user), "display_name": strings.ToLower(user)}
	if ok && p.email != "" {
		profile["email"] = p.email
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "user": map[string]any{
		"id": user, "team_id": team, "name": strings.ToLower(user), "deleted": false, "is_bot": false,
		"is_email_confirmed": ok && p.confirmed, "profile": profile,
	}})
}

func (s *Slack) postMessage(w http.ResponseWriter, obj map[string]any) {
	ch, _ := obj["channel"].(string)
	if ch == "" {
		slackAPIError(w, "channel_not_found")
		return
	}
	if code := checkMessage(obj); code != "" {
		slackAPIError(w, code)
		return
	}
	m := &Message{Kind: KindApp, Path: "/api/chat.postMessage", Body: obj}
	m.ThreadTS, _ = obj["thread_ts"].(string)
	m.fromBlocks()
	m.ApproveURL, m.RejectURL = "", ""
	s.mu.Lock()
	m.Channel = s.resolveChannelLocked(ch)
	m.TS = s.newTSLocked()
	m.Received = time.Now()
	s.msgs = append(s.msgs, m)
	s.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"ok": true, "channel": m.Channel, "ts": m.TS, "message": postedMessage(obj, m.TS),
	})
}

// postedMessage is the message object Slack returns and sends back in
// interactions: the posted text and blocks, as the bot.
func postedMessage(body map[string]any, ts string) map[string]any {
	msg := map[string]any{
		"type": "message", "subtype": "bot_message", "bot_id": "B000LOCAL", "user": "U000LOCALBOT",
		"app_id": "A000LOCAL", "team": "T000LOCAL", "ts": ts, "text": body["text"],
	}
	if b, ok := body["blocks"]; ok {
		msg["blocks"] = b
	}
	return msg
}

func (s *Slack) update(w http.ResponseWriter, obj map[string]any) {
	ch, _ := obj["channel"].(string)
	ts, _ := obj["ts"].(string)
	if !channelID.MatchString(ch) {
		slackAPIError(w, "channel_not_found")
		return
	}
	if code := checkMessage(obj); code != "" {
		slackAPIError(w, code)
		return
	}
	s.mu.Lock()
	m := s.findLocked(ts)
	if m == nil || m.Kind != KindApp || m.Channel != ch {
		s.mu.Unlock()
		slackAPIError(w, "message_not_found")
		return
	}
	m.Updates = append(m.Updates, obj)
	s.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"ok": true, "channel": ch, "ts": ts, "text": obj["text"], "message": postedMessage(obj, ts),
	})
}

func (s *Slack) postEphemeral(w http.ResponseWriter, obj map[string]any) {
	ch, _ := obj["channel"].(string)
	user, _ := obj["user"].(string)
	switch {
	case ch == "":
		slackAPIError(w, "channel_not_found")
		return
	case user == "":
		slackAPIError(w, "user_not_in_channel")
		return
	}
	if code := checkMessage(obj); code != "" {
		slackAPIError(w, code)
		return
	}
	s.mu.Lock()
	id := s.resolveChannelLocked(ch)
	s.ephemerals = append(s.ephemerals, obj)
	m := s.findLocked(s.lastClick[id])
	if m == nil {
		for i := len(s.msgs) - 1; i >= 0; i-- {
			if s.msgs[i].Kind == KindApp && s.msgs[i].Channel == id {
				m = s.msgs[i]
				break
			}
		}
	}
	if m != nil {
		m.Ephemerals = append(m.Ephemerals, obj)
	}
	ts := s.newTSLocked()
	s.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "message_ts": ts})
}

func (s *Slack) serveResponse(w http.ResponseWriter, r *http.Request, body []byte) {
	obj, err := decodeObject(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	s.mu.Lock()
	m := s.findLocked(s.responses[r.PathValue("id")])
	if m != nil {
		m.Responses = append(m.Responses, obj)
		s.notifyLocked()
	}
	s.mu.Unlock()
	if m == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "expired_url"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// Click does what Slack does when userID clicks the button actionID
// ("approve" or "reject") of the app message m: it POSTs a block_actions
// interaction, signed with SigningSecret, to callbackURL+"/slack/interactions"
// with HTTPClient. It returns the callback's answer (its body already read;
// closing it is harmless) and records the click on the message.
func (s *Slack) Click(ctx context.Context, callbackURL string, m Message, actionID, userID, userName string) (*http.Response, []byte, error) {
	return s.ClickWith(ctx, callbackURL, m, actionID, userID, userName, nil)
}

// ClickWith is Click with a hook: mutate gets the signed request and its
// body before it is sent, may change the request's headers, and returns the
// body to send (to test a bad signature or a stale timestamp).
func (s *Slack) ClickWith(ctx context.Context, callbackURL string, m Message, actionID, userID, userName string, mutate func(req *http.Request, body []byte) []byte) (*http.Response, []byte, error) {
	body, err := s.interactionBody(m, actionID, userID, userName)
	if err != nil {
		return nil, nil, err
	}
	target := strings.TrimSuffix(callbackURL, "/") + "/slack/interactions"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("click: %w", err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Slackbot 1.0 (local)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackSign(s.SigningSecret, ts, body))
	if mutate != nil {
		body = mutate(req, body)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))

	resp, err := HTTPClient().Do(req)
	click := ClickResult{ActionID: actionID, UserID: userID, UserName: userName, At: time.Now()}
	if err != nil {
		click.Answer = err.Error()
		s.addClick(m.TS, click)
		return nil, nil, fmt.Errorf("click: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSlackBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	click.Status, click.Answer = resp.StatusCode, string(data)
	s.addClick(m.TS, click)
	if err != nil {
		return resp, data, fmt.Errorf("click: reading the answer: %w", err)
	}
	return resp, data, nil
}

func (s *Slack) addClick(ts string, c ClickResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findLocked(ts); m != nil {
		m.Clicks = append(m.Clicks, c)
		s.notifyLocked()
	}
}

// SlackSignature is Slack's v0 request signature of body sent at ts (unix
// seconds), for tests that tamper with a click.
func SlackSignature(secret, ts string, body []byte) string { return slackSign(secret, ts, body) }

// slackSign is Slack's v0 request signature.
func slackSign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// interactionBody renders the form body ("payload=<json>") of a
// block_actions interaction on m, as Slack sends it.
func (s *Slack) interactionBody(m Message, actionID, userID, userName string) ([]byte, error) {
	blockID, value := "decision", m.RequestID
	action := map[string]any{"type": "button"}
	for _, b := range objects(m.Body["blocks"]) {
		for _, e := range objects(b["elements"]) {
			if b["type"] == "actions" && e["action_id"] == actionID {
				blockID, _ = b["block_id"].(string)
				value, _ = e["value"].(string)
				for _, k := range []string{"text", "style", "url"} {
					if v, ok := e[k]; ok {
						action[k] = v
					}
				}
			}
		}
	}
	s.mu.Lock()
	s.seq++
	respID := fmt.Sprintf("R%06d", s.seq)
	s.responses[respID] = m.TS
	if m.Channel != "" {
		s.lastClick[m.Channel] = m.TS
	}
	chName := s.channels[m.Channel]
	trigger := s.issueTriggerLocked(respID)
	team, enterprise, app := s.TeamID, s.EnterpriseID, s.AppID
	s.mu.Unlock()
	var grid any // null outside Enterprise Grid, as Slack sends it
	if enterprise != "" {
		grid = map[string]any{"id": enterprise, "name": "local grid"}
	}

	now := time.Now()
	actionTS := fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
	action["action_id"], action["block_id"], action["action_ts"] = actionID, blockID, actionTS
	if value != "" {
		action["value"] = value
	}
	payload := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": userID, "username": userName, "name": userName, "team_id": team},
		"api_app_id": app,
		"token":      "LocalVerificationToken",
		"container": map[string]any{
			"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": false,
		},
		"trigger_id":            trigger,
		"team":                  map[string]any{"id": team, "domain": "local"},
		"enterprise":            grid,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": m.Channel, "name": chName},
		"message":               postedMessage(m.Body, m.TS),
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          s.URL + "/response/" + respID,
		"actions":               []any{action},
	}
	j, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("click: %w", err)
	}
	return []byte(url.Values{"payload": {string(j)}}.Encode()), nil
}

// Block Kit limits Slack enforces (characters).
const (
	maxBlocks        = 50
	maxBlockID       = 255
	maxHeaderText    = 150
	maxSectionText   = 3000
	maxFields        = 10
	maxFieldText     = 2000
	maxContextItems  = 10
	maxActionItems   = 25
	maxButtonText    = 75
	maxButtonURL     = 3000
	maxButtonValue   = 2000
	maxActionID      = 255
	maxMrkdwnAnyText = 3000
)

// validateBlocks checks blocks against the Block Kit rules the notifier's
// messages can break.
func validateBlocks(v any) error {
	list, ok := v.([]any)
	if !ok {
		return errors.New("blocks is not an array")
	}
	if len(list) > maxBlocks {
		return fmt.Errorf("%d blocks, more than %d", len(list), maxBlocks)
	}
	for i, e := range list {
		b, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("block %d is not an object", i)
		}
		if err := validateBlock(b); err != nil {
			return fmt.Errorf("block %d: %w", i, err)
		}
	}
	return nil
}

func validateBlock(b map[string]any) error {
	if id, ok := b["block_id"]; ok {
		s, isStr := id.(string)
		if !isStr || s == "" || utf8.RuneCountInString(s) > maxBlockID {
			return errors.New("invalid block_id")
		}
	}
	switch b["type"] {
	case "header":
		return checkText(b["text"], "plain_text", maxHeaderText)
	case "section":
		_, hasText := b["text"]
		fields, hasFields := b["fields"]
		if !hasText && !hasFields {
			return errors.New("section without text or fields")
		}
		if hasText {
			if err := checkText(b["text"], "", maxSectionText); err != nil {
				return err
			}
		}
		if hasFields {
			list, ok := fields.([]any)
			if !ok || len(list) == 0 || len(list) > maxFields {
				return errors.New("section fields must be 1 to 10 text objects")
			}
			for _, f := range list {
				if err := checkText(f, "", maxFieldText); err != nil {
					return fmt.Errorf("field: %w", err)
				}
			}
		}
	case "context":
		list, ok := b["elements"].([]any)
		if !ok || len(list) == 0 || len(list) > maxContextItems {
			return errors.New("context elements must be 1 to 10")
		}
		for _, e := range list {
			if o, ok := e.(map[string]any); ok && o["type"] == "image" {
				continue
			}
			if err := checkText(e, "", maxMrkdwnAnyText); err != nil {
				return fmt.Errorf("context element: %w", err)
			}
		}
	case "actions":
		list, ok := b["elements"].([]any)
		if !ok || len(list) == 0 || len(list) > maxActionItems {
			return errors.New("actions elements must be 1 to 25")
		}
		seen := map[string]bool{}
		for _, e := range list {
			o, ok := e.(map[string]any)
			if !ok {
				return errors.New("action element is not an object")
			}
			if err := validateButton(o); err != nil {
				return err
			}
			if id, _ := o["action_id"].(string); id != "" {
				if seen[id] {
					return fmt.Errorf("duplicate action_id %q", id)
				}
				seen[id] = true
			}
		}
	case "divider", "image", "rich_text", "input", "file", "video":
	default:
		return fmt.Errorf("unknown block type %v", b["type"])
	}
	return nil
}

func validateButton(o map[string]any) error {
	if o["type"] != "button" {
		return nil // other elements are not checked
	}
	if err := checkText(o["text"], "plain_text", maxButtonText); err != nil {
		return fmt.Errorf("button text: %w", err)
	}
	for k, n := range map[string]int{"action_id": maxActionID, "url": maxButtonURL, "value": maxButtonValue} {
		if v, ok := o[k]; ok {
			s, isStr := v.(string)
			if !isStr || s == "" || utf8.RuneCountInString(s) > n {
				return fmt.Errorf("button %s must be a string of 1 to %d characters", k, n)
			}
		}
	}
	if st, ok := o["style"]; ok && st != "primary" && st != "danger" {
		return fmt.Errorf("button style %v", st)
	}
	return nil
}

// checkText checks a text object of the given type ("" for either) and
// length.
func checkText(v any, typ string, limit int) error {
	o, ok := v.(map[string]any)
	if !ok {
		return errors.New("text is not a text object")
	}
	t, _ := o["type"].(string)
	if t != "plain_text" && t != "mrkdwn" || typ != "" && t != typ {
		return fmt.Errorf("text type %q", t)
	}
	s, ok := o["text"].(string)
	if !ok || s == "" {
		return errors.New("empty text")
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return fmt.Errorf("text of %d characters, more than %d", n, limit)
	}
	return nil
}

// HTTPClient is an HTTP client for the local stack: it dials 127.0.0.1 for
// "localhost" and any host ending in ".localhost" (execute-api URLs look
// like http://<apiId>.execute-api.localhost:<port>/, and *.localhost does
// not resolve everywhere), keeping the Host header; it uses no proxy,
// follows no redirect and gives up after a minute (a bound for a hung
// request on a busy machine; a test that needs Slack's 3 s passes a context
// with that deadline).
func HTTPClient() *http.Client {
	return &http.Client{
		Transport:     localTransport(),
		Timeout:       time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

var localTransport = sync.OnceValue(func() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, port, err := net.SplitHostPort(addr); err == nil && IsLocalhostName(host) {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
})

// IsLocalhostName reports whether host is "localhost" or a name under it.
func IsLocalhostName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// The inbox page.

// inboxMessage is a message as the inbox page shows it.
type inboxMessage struct {
	Kind, Channel, TS, Received, Path string
	Blocks                            []inboxBlock
	Vars                              []inboxField // workflow variables
	Links                             []inboxButton
	Buttons                           []inboxButton // app buttons
	Callback                          string
	Updates                           []string
	Ephemerals                        []string
	Clicks                            []ClickResult
}

type inboxBlock struct {
	Type     string // header, section, context, divider, other
	Text     string
	Fields   []string
	Elements []string
}

type inboxField struct{ Key, Value string }

type inboxButton struct {
	Label, URL, ActionID, Style string
}

type inboxPage struct {
	Messages            []inboxMessage
	Attempts            int
	Refresh             bool
	User, Name          string
	PauseURL, ResumeURL string
}

var (
	slackToken = regexp.MustCompile(`<([^<>]*)>`)
	slackBold  = regexp.MustCompile(`\*([^*\n]+)\*`)
)

// displayMrkdwn renders Slack mrkdwn as the text Slack shows: mentions and
// links become their labels, *bold* loses its marks (the page shows plain
// text), then the &amp; &lt; &gt; escapes are undone (the page escapes the
// result again).
func displayMrkdwn(s string) string {
	s = slackBold.ReplaceAllString(s, "$1")
	s = slackToken.ReplaceAllStringFunc(s, func(tok string) string {
		in := tok[1 : len(tok)-1]
		target, label, hasLabel := strings.Cut(in, "|")
		switch {
		case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"):
			if hasLabel {
				return target[:1] + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			return "@" + strings.TrimPrefix(target, "!")
		case hasLabel:
			return label + " (" + target + ")"
		}
		return target
	})
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// displayText renders a text object.
func displayText(v any) string {
	o, _ := v.(map[string]any)
	s, _ := o["text"].(string)
	if o["type"] == "mrkdwn" {
		return displayMrkdwn(s)
	}
	return s
}

func inboxBlocks(blocks any) ([]inboxBlock, []inboxButton, []inboxButton) {
	var out []inboxBlock
	var links, buttons []inboxButton
	for _, b := range objects(blocks) {
		t, _ := b["type"].(string)
		switch t {
		case "header":
			out = append(out, inboxBlock{Type: t, Text: displayText(b["text"])})
		case "section":
			ib := inboxBlock{Type: t}
			if b["text"] != nil {
				ib.Text = displayText(b["text"])
			}
			for _, f := range objects(b["fields"]) {
				ib.Fields = append(ib.Fields, displayText(f))
			}
			out = append(out, ib)
		case "context":
			ib := inboxBlock{Type: t}
			for _, e := range objects(b["elements"]) {
				ib.Elements = append(ib.Elements, displayText(e))
			}
			out = append(out, ib)
		case "divider":
			out = append(out, inboxBlock{Type: t})
		case "actions":
			for _, e := range objects(b["elements"]) {
				if e["type"] != "button" {
					continue
				}
				btn := inboxButton{Label: displayText(e["text"])}
				btn.URL, _ = e["url"].(string)
				btn.ActionID, _ = e["action_id"].(string)
				btn.Style, _ = e["style"].(string)
				if btn.URL != "" {
					links = append(links, btn)
				} else {
					buttons = append(buttons, btn)
				}
			}
		default:
			out = append(out, inboxBlock{Type: "other", Text: "[" + t + " block]"})
		}
	}
	return out, links, buttons
}

// statusLine is what an update or ephemeral says: its last section's text,
// or its text.
func statusLine(body map[string]any) string {
	blocks := objects(body["blocks"])
	for i := len(blocks) - 1; i >= 0; i-- {
		if blocks[i]["type"] == "section" && blocks[i]["text"] != nil {
			return displayText(blocks[i]["text"])
		}
	}
	s, _ := body["text"].(string)
	return displayMrkdwn(s)
}

func (s *Slack) inboxView(r *http.Request) inboxPage {
	q := r.URL.Query()
	p := inboxPage{
		Refresh: q.Get("refresh") != "off",
		User:    q.Get("user"),
		Name:    q.Get("name"),
	}
	if p.User == "" {
		p.User = DefaultSlackUser
	}
	if p.Name == "" {
		p.Name = "approver"
	}
	keep := url.Values{"user": {p.User}, "name": {p.Name}}
	p.ResumeURL = "/?" + keep.Encode()
	keep.Set("refresh", "off")
	p.PauseURL = "/?" + keep.Encode()

	s.mu.Lock()
	defer s.mu.Unlock()
	p.Attempts = s.attempts
	for i := len(s.msgs) - 1; i >= 0; i-- {
		m := s.msgs[i]
		im := inboxMessage{
			Kind: m.Kind, Channel: s.channels[m.Channel], TS: m.TS, Path: m.Path,
			Received: m.Received.UTC().Format("2006-01-02 15:04:05 UTC"), Clicks: m.Clicks,
			Callback: s.callbackURL,
		}
		if m.Kind == KindWorkflow {
			for _, k := range sortedKeys(m.Body) {
				v, _ := m.Body[k].(string)
				if k != "approve_url" && k != "reject_url" {
					im.Vars = append(im.Vars, inboxField{k, v})
				}
			}
			if m.ApproveURL != "" {
				im.Links = append(im.Links, inboxButton{Label: "Approve", URL: m.ApproveURL, Style: "primary"})
			}
			if m.RejectURL != "" {
				im.Links = append(im.Links, inboxButton{Label: "Reject", URL: m.RejectURL, Style: "danger"})
			}
		} else {
			im.Blocks, im.Links, im.Buttons = inboxBlocks(m.Body["blocks"])
			if len(im.Blocks) == 0 {
				im.Blocks = []inboxBlock{{Type: "section", Text: m.Text}}
			}
		}
		for _, u := range m.Updates {
			im.Updates = append(im.Updates, statusLine(u))
		}
		for _, e := range m.Ephemerals {
			user, _ := e["user"].(string)
			im.Ephemerals = append(im.Ephemerals, "only visible to "+user+": "+statusLine(e))
		}
		p.Messages = append(p.Messages, im)
	}
	return p
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// inboxHeaders keep the page inert: no scripts, no external assets, forms
// post only to the local Slack.
var inboxHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
	"Cache-Control":           "no-store",
	"Content-Type":            "text/html; charset=utf-8",
}

func (s *Slack) serveInbox(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	if err := inboxTemplate.Execute(&b, s.inboxView(r)); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for k, v := range inboxHeaders {
		w.Header().Set(k, v)
	}
	_, _ = w.Write(b.Bytes())
}

// serveClick is the inbox page's app buttons: it clicks as the given user
// against the callback URL and goes back to the inbox, which shows the
// callback's answer under the message.
func (s *Slack) serveClick(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && !s.sameServer(o) {
		http.Error(w, "cross-origin click refused", http.StatusForbidden)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	m, ok := s.Message(r.PostForm.Get("ts"))
	if !ok {
		http.Error(w, "no such message", http.StatusNotFound)
		return
	}
	user, name := r.PostForm.Get("user"), r.PostForm.Get("name")
	if user == "" {
		user = DefaultSlackUser
	}
	callback := strings.TrimSpace(r.PostForm.Get("callback"))
	if callback == "" {
		s.mu.Lock()
		callback = s.callbackURL
		s.mu.Unlock()
	}
	if callback == "" {
		callback = callbackOf(m.ApproveURL)
	}
	if callback == "" {
		s.addClick(m.TS, ClickResult{ActionID: r.PostForm.Get("action_id"), UserID: user, UserName: name, At: time.Now(),
			Answer: "no callback URL: give one in the form, or start the demo with SetCallbackURL"})
	} else {
		ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
		defer cancel()
		resp, _, err := s.Click(ctx, callback, m, r.PostForm.Get("action_id"), user, name)
		if err == nil {
			resp.Body.Close()
		}
	}
	back := url.Values{"user": {user}, "name": {name}}
	http.Redirect(w, r, "/?"+back.Encode()+"#m-"+url.PathEscape(m.TS), http.StatusSeeOther)
}

// sameServer reports whether origin is this server, named by its address,
// by localhost or by a name under localhost.
func (s *Slack) sameServer(origin string) bool {
	o, err := url.Parse(origin)
	if err != nil || o.Scheme != "http" {
		return false
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	host := o.Hostname()
	ip := net.ParseIP(host)
	return o.Port() == port && (IsLocalhostName(host) || ip != nil && ip.IsLoopback())
}

var inboxTemplate = template.Must(template.New("inbox").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
{{if .Refresh}}<meta http-equiv="refresh" content="2">{{end}}
<title>Local Slack ({{len .Messages}})</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4ede4;color:#1d1c1d}
main{max-width:46rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem;margin:.2rem 0}
.note{color:#616061;font-size:.85rem}
.msg{background:#fff;border:1px solid #ddd;border-radius:.5rem;padding:.8rem 1rem;margin:.8rem 0;overflow-wrap:anywhere}
.meta{font-size:.8rem;color:#616061}
.kind{font-weight:700;text-transform:uppercase;color:#4a154b}
.header{font-weight:700;font-size:1.1rem;margin:.4rem 0}
.text{white-space:pre-wrap;margin:.3rem 0}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:.3rem 1rem;margin:.3rem 0}
.fields div{white-space:pre-wrap}
.context{font-size:.8rem;color:#616061;margin:.3rem 0}
.btn{display:inline-block;font:inherit;font-weight:700;border:1px solid #bbb;border-radius:.3rem;padding:.3rem .9rem;margin:.3rem .3rem 0 0;background:#fff;color:#1d1c1d;text-decoration:none;cursor:pointer}
.btn.primary{background:#007a5a;border-color:#007a5a;color:#fff}
.btn.danger{background:#e01e5a;border-color:#e01e5a;color:#fff}
form input{font:inherit;font-size:.85rem;padding:.15rem .3rem;width:9rem}
.update{border-left:4px solid #2eb67d;padding-left:.6rem;margin:.5rem 0;white-space:pre-wrap}
.ephemeral{border-left:4px solid #aaa;padding-left:.6rem;margin:.4rem 0;color:#616061;font-size:.9rem;white-space:pre-wrap}
.click{font-size:.8rem;color:#616061;margin:.3rem 0;white-space:pre-wrap}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:.4rem 0}
dt{font-weight:600;color:#616061}dd{margin:0;white-space:pre-wrap}
</style>
</head>
<body>
<main>
<h1>Local Slack</h1>
<p class="note">{{len .Messages}} message(s), {{.Attempts}} request(s) received. Newest first.
{{if .Refresh}}Refreshes every 2 s (<a href="{{.PauseURL}}">pause</a>).{{else}}Auto-refresh paused (<a href="{{.ResumeURL}}">resume</a>).{{end}}</p>
{{range .Messages}}
<article class="msg" id="m-{{.TS}}">
<div class="meta"><span class="kind">{{.Kind}}</span>{{with .Channel}} · #{{.}}{{end}} · {{.Received}} · ts {{.TS}} · {{.Path}}</div>
{{range .Blocks}}{{if eq .Type "header"}}<div class="header">{{.Text}}</div>
{{else if eq .Type "section"}}{{with .Text}}<div class="text">{{.}}</div>{{end}}{{with .Fields}}<div class="fields">{{range .}}<div>{{.}}</div>{{end}}</div>{{end}}
{{else if eq .Type "context"}}<div class="context">{{range $i, $e := .Elements}}{{if $i}} · {{end}}{{$e}}{{end}}</div>
{{else if eq .Type "divider"}}<hr>
{{else}}<div class="text">{{.Text}}</div>
{{end}}{{end}}
{{with .Vars}}<dl>{{range .}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>{{end}}</dl>{{end}}
{{with .Links}}<div>{{range .}}<a class="btn {{.Style}}" href="{{.URL}}" target="_blank" rel="noopener noreferrer">{{.Label}}</a>{{end}}</div>{{end}}
{{if .Buttons}}<form method="post" action="/click">
<input type="hidden" name="ts" value="{{.TS}}">
{{range .Buttons}}<button class="btn {{.Style}}" type="submit" name="action_id" value="{{.ActionID}}">{{.Label}}</button>{{end}}
<div class="note">as user <input name="user" value="{{$.User}}" aria-label="Slack user id"> name <input name="name" value="{{$.Name}}" aria-label="Slack user name">{{if not .Callback}} callback <input name="callback" placeholder="callback_url" aria-label="callback URL">{{end}}</div>
</form>{{end}}
{{range .Updates}}<div class="update">{{.}}</div>{{end}}
{{range .Ephemerals}}<div class="ephemeral">{{.}}</div>{{end}}
{{range .Clicks}}<div class="click">{{.UserID}} clicked {{.ActionID}}: {{if .Status}}HTTP {{.Status}}{{else}}failed{{end}}{{with .Answer}} {{.}}{{end}}</div>{{end}}
</article>
{{else}}<p>No messages yet.</p>
{{end}}
</main>
</body>
</html>
`))
