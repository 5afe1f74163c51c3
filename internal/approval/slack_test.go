package approval

import (
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Slack's worked example from "Verifying requests from Slack".
const (
	slackDocSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	slackDocTimestamp = "1531420618"
	slackDocBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	slackDocSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestSlackSignature_documentedExample(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff(slackDocSignature, SlackSignature([]byte(slackDocSecret), slackDocTimestamp, []byte(slackDocBody))); diff != "" {
		t.Errorf("signature (-want +got):\n%s", diff)
	}
}

func TestVerifySlackSignature(t *testing.T) {
	t.Parallel()
	docTime := time.Unix(1531420618, 0)
	secret, body := []byte(slackDocSecret), []byte(slackDocBody)
	tests := []struct {
		name   string
		secret []byte
		ts     string
		sig    string
		body   string
		now    time.Time
		want   error
	}{
		{"documented example", secret, slackDocTimestamp, slackDocSignature, slackDocBody, docTime, nil},
		{"five minutes late", secret, slackDocTimestamp, slackDocSignature, slackDocBody, docTime.Add(SlackMaxSkew), nil},
		{"five minutes early", secret, slackDocTimestamp, slackDocSignature, slackDocBody, docTime.Add(-SlackMaxSkew), nil},
		{"stale", secret, slackDocTimestamp, slackDocSignature, slackDocBody, docTime.Add(SlackMaxSkew + time.Second), ErrSlackTimestamp},
		{"from the future", secret, slackDocTimestamp, slackDocSignature, slackDocBody, docTime.Add(-SlackMaxSkew - time.Second), ErrSlackTimestamp},
		{"missing timestamp", secret, "", slackDocSignature, slackDocBody, docTime, ErrSlackTimestamp},
		{"garbage timestamp", secret, "153142061x", slackDocSignature, slackDocBody, docTime, ErrSlackTimestamp},
		{"timestamp not the signed one", secret, "1531420619", slackDocSignature, slackDocBody, docTime, ErrSlackSignature},
		{"missing signature", secret, slackDocTimestamp, "", slackDocBody, docTime, ErrSlackSignature},
		{"upper-case hex", secret, slackDocTimestamp, "v0=A2114D57B48EAC39B9AD189DD8316235A7B4A8D21A10BD27519666489C69B503", slackDocBody, docTime, ErrSlackSignature},
		{"other version", secret, slackDocTimestamp, "v1=" + slackDocSignature[3:], slackDocBody, docTime, ErrSlackSignature},
		{"other secret", []byte("8f742231b10e8888abcd99yyyzzz85a6"), slackDocTimestamp, slackDocSignature, slackDocBody, docTime, ErrSlackSignature},
		{"body with a byte more", secret, slackDocTimestamp, slackDocSignature, slackDocBody + "&", docTime, ErrSlackSignature},
		{"body with a byte less", secret, slackDocTimestamp, slackDocSignature, slackDocBody[:len(slackDocBody)-1], docTime, ErrSlackSignature},
		{"computed vector", []byte("s3cr3t"), "1700000000", SlackSignature([]byte("s3cr3t"), "1700000000", body), slackDocBody, time.Unix(1700000100, 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := VerifySlackSignature(tt.secret, tt.ts, tt.sig, []byte(tt.body), tt.now); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifySlackSignature_tamperEveryByte(t *testing.T) {
	t.Parallel()
	now := time.Unix(1531420618, 0)
	for i := 3; i < len(slackDocSignature); i++ {
		for _, c := range "0123456789abcdef" {
			if byte(c) == slackDocSignature[i] {
				continue
			}
			sig := slackDocSignature[:i] + string(c) + slackDocSignature[i+1:]
			if VerifySlackSignature([]byte(slackDocSecret), slackDocTimestamp, sig, []byte(slackDocBody), now) == nil {
				t.Fatalf("signature with [%d]=%c accepted", i, c)
			}
		}
	}
	for i := range slackDocBody {
		body := []byte(slackDocBody)
		body[i] ^= 0x01
		if VerifySlackSignature([]byte(slackDocSecret), slackDocTimestamp, slackDocSignature, body, now) == nil {
			t.Fatalf("body with byte %d flipped accepted", i)
		}
	}
}

// interactionBody builds the form body Slack posts for a block_actions click.
func interactionBody(payload string) []byte {
	return []byte(url.Values{"payload": {payload}}.Encode())
}

const blockActions = `{"type":"block_actions","api_app_id":"A0APP","team":{"id":"T1","domain":"acme"},"enterprise":{"id":"E1"},"user":{"id":"U123ABC","username":"alice","name":"Alice Smith","team_id":"T1"},
"container":{"type":"message","message_ts":"1700000000.000100","channel_id":"C999"},
"channel":{"id":"C999","name":"deploys"},"message":{"ts":"1700000000.000100"},
"response_url":"https://example.invalid/x","actions":[{"action_id":"approve","block_id":"decision","value":"` + "AAECAwQFBgcICQoLDA0ODw" + `","type":"button"}]}`

func TestParseInteraction(t *testing.T) {
	t.Parallel()
	want := Action{
		RequestID: testID, Decision: DecisionApprove,
		Vote: Vote{Approver: Approver{ID: "slack:U123ABC", Name: "alice", Via: ViaSlack}, Decision: DecisionApprove,
			IDs: []string{"slack:U123ABC"}},
		UserID:  "U123ABC",
		Channel: "C999", TS: "1700000000.000100",
		TeamID: "T1", EnterpriseID: "E1", AppID: "A0APP",
	}
	got, err := ParseInteraction(interactionBody(blockActions))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("action (-want +got):\n%s", diff)
	}

	tests := []struct {
		name    string
		body    []byte
		notDecn bool
	}{
		{"not a form", []byte("%zz"), false},
		{"no payload", []byte("a=b"), false},
		{"payload not JSON", interactionBody("{"), false},
		{"view submission", interactionBody(`{"type":"view_submission","user":{"id":"U1"}}`), true},
		{"no actions", interactionBody(`{"type":"block_actions","user":{"id":"U1"},"actions":[]}`), true},
		{"other action", interactionBody(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"more","value":"` + testID + `"}]}`), true},
		{"bad request id", interactionBody(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"reject","value":"../x"}]}`), true},
		{"no user", interactionBody(`{"type":"block_actions","actions":[{"action_id":"reject","value":"` + testID + `"}]}`), false},
		{"user id not a Slack user id", interactionBody(`{"type":"block_actions","user":{"id":"alice"},"actions":[{"action_id":"reject","value":"` + testID + `"}]}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseInteraction(tt.body)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrNotDecision) != tt.notDecn {
				t.Errorf("err = %v, want ErrNotDecision: %v", err, tt.notDecn)
			}
		})
	}
}

// FuzzParseInteraction checks the parser never panics and only returns
// well-formed decisions.
func FuzzParseInteraction(f *testing.F) {
	f.Add(interactionBody(blockActions))
	f.Add(interactionBody(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"reject","value":"` + testID + `"}]}`))
	f.Add(interactionBody(`{"type":"view_submission"}`))
	f.Add([]byte("payload=%7B%22type%22%3A%22block_actions%22%7D"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseInteraction(body)
		if err != nil {
			return
		}
		if !ValidRequestID(a.RequestID) || (a.Decision != DecisionApprove && a.Decision != DecisionReject) ||
			a.Vote.Decision != a.Decision || a.Vote.Approver.ID == "" || a.Vote.Approver.Via != ViaSlack ||
			len(a.Vote.IDs) != 1 || a.Vote.IDs[0] != a.Vote.Approver.ID {
			t.Errorf("malformed action %+v from %s", a, strconv.Quote(string(body)))
		}
	})
}

func TestCheckSlackOrigin(t *testing.T) {
	t.Parallel()
	base, err := ParseInteraction(interactionBody(blockActions))
	if err != nil {
		t.Fatal(err)
	}
	req := Request{SlackChannel: "C999", SlackTS: "1700000000.000100"}
	bound := Config{SlackTeamID: "T1", SlackEnterpriseID: "E1", SlackAppID: "A0APP"}
	tests := []struct {
		name string
		cfg  Config
		req  Request
		edit func(*Action)
		want error
	}{
		{name: "bound and from its own message", cfg: bound, req: req},
		{name: "unbound gate checks the message only", req: req},
		{name: "another workspace", cfg: bound, req: req, edit: func(a *Action) { a.TeamID = "T2" }, want: ErrSlackWorkspace},
		{name: "no workspace", cfg: bound, req: req, edit: func(a *Action) { a.TeamID = "" }, want: ErrSlackWorkspace},
		{name: "another organisation", cfg: bound, req: req, edit: func(a *Action) { a.EnterpriseID = "E2" }, want: ErrSlackWorkspace},
		{name: "another app", cfg: bound, req: req, edit: func(a *Action) { a.AppID = "A0OTHER" }, want: ErrSlackApp},
		{name: "another channel", cfg: bound, req: req, edit: func(a *Action) { a.Channel = "C000" }, want: ErrSlackMessage},
		{name: "another message", cfg: bound, req: req, edit: func(a *Action) { a.TS = "1700000000.000200" }, want: ErrSlackMessage},
		{name: "a request never posted by the app", cfg: bound, want: ErrSlackMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := base
			if tt.edit != nil {
				tt.edit(&a)
			}
			if err := CheckSlackOrigin(a, tt.cfg, tt.req); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
