package lambda

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestNotifier_requesterUnderTheBan: with the self-approval ban on, a
// payload whose requester is missing or not an identity is refused before
// anything is stored or sent (the issue's "leave requested_by out" and "put
// a display name there" attacks); a valid one is stored canonical.
func TestNotifier_requesterUnderTheBan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		allowSelf bool
		mutate    func(*approval.Payload)
		want      string // stored requester
		err       string
	}{
		{name: "missing", mutate: func(p *approval.Payload) { p.Input = json.RawMessage(`{"amount":42}`) }, err: "names no requester"},
		{name: "display name", mutate: func(p *approval.Payload) { p.RequestedBy = "Carol Smith" }, err: "not a verifiable identity"},
		{name: "display name in the input", err: "not a verifiable identity"}, // basicPayload's requested_by is "carol"
		{name: "mention", mutate: func(p *approval.Payload) { p.RequestedBy = "<@U024BE7LH>" }, err: "not a verifiable identity"},
		{name: "e-mail", mutate: func(p *approval.Payload) { p.RequestedBy = "Carol@Example.com" }, want: "email:carol@example.com"},
		{name: "Slack id in the input", mutate: func(p *approval.Payload) { p.Input = json.RawMessage(`{"requested_by":"U024BE7LH"}`) }, want: "slack:U024BE7LH"},
		{name: "api subject", mutate: func(p *approval.Payload) { p.RequestedBy = "api:repo:org/app:ref:refs/heads/main" }, want: "api:repo:org/app:ref:refs/heads/main"},
		{name: "display name allowed without the ban", allowSelf: true, want: "carol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, func(c *approval.Config) { c.AllowSelfApproval = tt.allowSelf })
			p := basicPayload()
			if tt.mutate != nil {
				tt.mutate(&p)
			}
			_, err := h.n.Handle(context.Background(), payload(t, p))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				if h.db.puts != 0 || len(h.slack.requests()) != 0 || len(h.published) != 0 {
					t.Errorf("refused payload had effects: %d puts, %d Slack posts, %d publishes", h.db.puts, len(h.slack.requests()), len(h.published))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := h.db.request(wantID).RequestedBy; got != tt.want {
				t.Errorf("stored requester %q, want %q", got, tt.want)
			}
		})
	}
}

// usersInfo answers users.info for the fake Slack: emails maps a user id to
// its profile e-mail and whether it is confirmed.
func usersInfo(emails map[string]struct {
	email     string
	confirmed bool
}) func(n int, r recorded) (int, map[string]string, string) {
	return func(_ int, r recorded) (int, map[string]string, string) {
		if r.Path != "/users.info" {
			return 200, nil, `{"ok":true,"channel":"C0DEPLOY","ts":"1700000000.000100"}`
		}
		q, _ := url.ParseQuery(r.Body)
		u := q.Get("user")
		e, ok := emails[u]
		if !ok {
			return 200, nil, `{"ok":false,"error":"user_not_found"}`
		}
		b, _ := json.Marshal(map[string]any{"ok": true, "user": map[string]any{
			"id": u, "team_id": "T0GATE", "is_email_confirmed": e.confirmed, "profile": map[string]any{"email": e.email},
		}})
		return 200, nil, string(b)
	}
}

// TestCallback_slackIdentity: a click counts as its Slack user and, when
// Slack gives a confirmed profile e-mail, as that e-mail too.
func TestCallback_slackIdentity(t *testing.T) {
	t.Parallel()
	emails := map[string]struct {
		email     string
		confirmed bool
	}{
		"UBOB":   {"Bob@Example.com", true},
		"UCAROL": {"carol@example.com", true},
		"UMALL":  {"bob@example.com", false}, // unconfirmed: claims Bob's address
	}
	tests := []struct {
		name        string
		config      func(*approval.Config)
		requestedBy string
		min         int
		seedVote    *approval.Vote
		user        string
		wantStatus  string
		wantNote    string
		wantIDs     []string
	}{
		{name: "approver listed by e-mail", config: func(c *approval.Config) { c.Approvers = []string{"email:bob@example.com"} },
			user: "UBOB", wantStatus: approval.StatusDecided, wantIDs: []string{"slack:UBOB", "email:bob@example.com"}},
		{name: "attack: an unconfirmed e-mail does not make an approver", config: func(c *approval.Config) { c.Approvers = []string{"email:bob@example.com"} },
			user: "UMALL", wantStatus: approval.StatusPending, wantNote: "not an approver"},
		{name: "attack: requester by e-mail approves in Slack", config: banSelf, requestedBy: "email:carol@example.com",
			user: "UCAROL", wantStatus: approval.StatusPending, wantNote: "own request"},
		{name: "a Slack click and an SSO login with one e-mail count once", min: 2,
			seedVote: &approval.Vote{Approver: approval.Approver{ID: "email:bob@example.com", Via: approval.ViaSSO},
				IDs: []string{"email:bob@example.com"}, Decision: approval.DecisionApprove, At: testNow},
			user: "UBOB", wantStatus: approval.StatusPending, wantNote: "already recorded"},
		{name: "users.info fails: the click counts as its Slack user", user: "UNOBODY", wantStatus: approval.StatusDecided, wantIDs: []string{"slack:UNOBODY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, tt.config)
			h.slack.reply = usersInfo(emails)
			id := reqID(20)
			r := pendingRequest(id)
			if tt.requestedBy != "" {
				r.RequestedBy = tt.requestedBy
			}
			if tt.min > 0 {
				r.MinApprovals = tt.min
			}
			if tt.seedVote != nil {
				var err error
				if r, _, err = approval.Apply(r, approval.PolicyFromConfig(h.cb.Config), *tt.seedVote); err != nil {
					t.Fatal(err)
				}
			}
			h.db.put(r)
			resp := h.do(h.slackEvent(blockActionsPayload(tt.user, "x", "approve", id), h.now, nil))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			got := h.db.request(id)
			if got.Status != tt.wantStatus {
				t.Errorf("status %q, want %q", got.Status, tt.wantStatus)
			}
			var notes []string
			for _, rq := range h.slack.requests() {
				if rq.Path == "/chat.postEphemeral" {
					notes = append(notes, rq.Body)
				}
			}
			if tt.wantNote != "" && (len(notes) != 1 || !strings.Contains(notes[0], tt.wantNote)) {
				t.Errorf("ephemeral notes %q, want one containing %q", notes, tt.wantNote)
			}
			if tt.wantIDs != nil {
				v, ok := got.Votes[approval.ViaSlack+":slack:"+tt.user]
				if !ok || strings.Join(v.IDs, ",") != strings.Join(tt.wantIDs, ",") {
					t.Errorf("stored vote %+v (found %v), want IDs %q", v, ok, tt.wantIDs)
				}
			}
		})
	}
}

// TestCallback_slackBinding: clicks from another workspace, organisation or
// app, or on another message than the request's own, decide nothing.
func TestCallback_slackBinding(t *testing.T) {
	t.Parallel()
	bind := func(c *approval.Config) {
		c.SlackTeamID, c.SlackEnterpriseID, c.SlackAppID = "T0GATE", "E0ORG", "A0GATE"
	}
	click := func(team, enterprise, app, channel, ts string) func(id string) string {
		return func(id string) string {
			b, _ := json.Marshal(map[string]any{
				"type": "block_actions", "api_app_id": app, "team": map[string]string{"id": team},
				"enterprise": map[string]string{"id": enterprise},
				"user":       map[string]string{"id": "UBOB", "username": "bob", "team_id": team},
				"container":  map[string]string{"type": "message", "channel_id": channel, "message_ts": ts},
				"actions":    []map[string]string{{"action_id": "approve", "value": id, "type": "button"}},
			})
			return string(b)
		}
	}
	const ch, ts = "C0DEPLOY", "1700000000.000100"
	tests := []struct {
		name       string
		payload    func(id string) string
		wantHTTP   int
		wantStatus string
		wantSlack  int // calls to Slack
	}{
		{"bound workspace, own message", click("T0GATE", "E0ORG", "A0GATE", ch, ts), 200, approval.StatusDecided, -1},
		{"attack: another workspace", click("T0EVIL", "E0ORG", "A0GATE", ch, ts), 403, approval.StatusPending, 0},
		{"attack: another organisation", click("T0GATE", "E0EVIL", "A0GATE", ch, ts), 403, approval.StatusPending, 0},
		{"attack: another app", click("T0GATE", "E0ORG", "A0EVIL", ch, ts), 403, approval.StatusPending, 0},
		{"attack: another channel", click("T0GATE", "E0ORG", "A0GATE", "C0OTHER", ts), 200, approval.StatusPending, -1},
		{"attack: another message", click("T0GATE", "E0ORG", "A0GATE", ch, "1700000000.000999"), 200, approval.StatusPending, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, bind)
			id := reqID(21)
			h.db.put(pendingRequest(id))
			resp := h.do(h.slackEvent(tt.payload(id), h.now, nil))
			if resp.StatusCode != tt.wantHTTP {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantHTTP, resp.Body)
			}
			got := h.db.request(id)
			if got.Status != tt.wantStatus {
				t.Errorf("request status %q, want %q", got.Status, tt.wantStatus)
			}
			if tt.wantStatus == approval.StatusPending && (got.Version != 0 || len(got.Votes) != 0) {
				t.Errorf("request changed: %+v", got.Votes)
			}
			if n := len(h.slack.requests()); tt.wantSlack >= 0 && n != tt.wantSlack {
				t.Errorf("%d Slack calls, want %d", n, tt.wantSlack)
			}
		})
	}
}
