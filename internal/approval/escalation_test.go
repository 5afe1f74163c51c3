package approval

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNextEscalation(t *testing.T) {
	t.Parallel()
	f := Followup{Escalation: []EscalationStep{
		{AfterSeconds: 600, SlackChannel: "C2"},
		{AfterSeconds: 1200, EmailAddresses: []string{"boss@example.com"}},
		{AfterSeconds: 3600, HasWebhookURL: true},
	}}
	r := Request{CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	tests := []struct {
		name      string
		f         Followup
		escalated int
		want      time.Time
		wantOK    bool
	}{
		{name: "no escalation", f: Followup{}},
		{name: "first step", f: f, want: t0.Add(10 * time.Minute), wantOK: true},
		{name: "second step", f: f, escalated: 1, want: t0.Add(20 * time.Minute), wantOK: true},
		{name: "a step at the expiry is never due", f: f, escalated: 2},
		{name: "every step notified", f: f, escalated: 3},
		{name: "a corrupt count", f: f, escalated: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := r
			r.Followup.Escalated = tt.escalated
			got, ok := NextEscalation(tt.f, r)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("NextEscalation = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPolicyFromConfigEscalation(t *testing.T) {
	t.Parallel()
	c := Config{Approvers: []string{"UALICE"}, Followup: Followup{Escalation: []EscalationStep{
		{AfterSeconds: 600, Approvers: []string{"UBOSS", "Boss@Example.com", "UBOSS"}},
		{AfterSeconds: 900, SlackChannel: "C3"},
		{AfterSeconds: 1200, Approvers: []string{"not an identity"}},
	}}}
	want := []EscalationApprovers{{AfterSeconds: 600, Approvers: []string{"slack:UBOSS", "email:boss@example.com"}}}
	if diff := cmp.Diff(want, PolicyFromConfig(c).Escalation); diff != "" {
		t.Errorf("escalation approvers (-want +got):\n%s", diff)
	}
}

// TestApplyEscalationApprovers tries to break the escalation approvers: a
// step's approver decides only from the step's time on, under every rule
// the gate's own approvers obey.
func TestApplyEscalationApprovers(t *testing.T) {
	t.Parallel()
	// The request is made at minute 0; the step comes at minute 10.
	p := Policy{
		Approvers:  []string{"slack:UALICE"},
		Escalation: []EscalationApprovers{{AfterSeconds: 600, Approvers: []string{"slack:UBOSS", "email:boss@example.com"}}},
	}
	const requester = "slack:UREQ"
	base := Request{ID: testID, Status: StatusPending, MinApprovals: 1, RequestedBy: requester, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	type step struct {
		vote    Vote
		wantRes Result
		wantErr error
	}
	tests := []struct {
		name   string
		policy Policy
		min    int
		req    string
		steps  []step
	}{
		{
			name:  "before the step's time the escalation approver is refused",
			steps: []step{{slackVote("UBOSS", "boss", DecisionApprove, 9), 0, ErrNotApprover}},
		},
		{
			name:  "a reject before the step's time is refused too",
			steps: []step{{slackVote("UBOSS", "boss", DecisionReject, 9), 0, ErrNotApprover}},
		},
		{
			name:  "at the step's time the escalation approver decides",
			steps: []step{{slackVote("UBOSS", "boss", DecisionApprove, 10), Decided, nil}},
		},
		{
			name:  "after it, through another verified channel (SSO e-mail)",
			steps: []step{{ssoVote("boss@example.com", DecisionApprove, 30), Decided, nil}},
		},
		{
			name: "refused first, accepted once the step came",
			steps: []step{
				{slackVote("UBOSS", "boss", DecisionApprove, 5), 0, ErrNotApprover},
				{slackVote("UBOSS", "boss", DecisionApprove, 11), Decided, nil},
			},
		},
		{
			name:  "attack: a bare link naming the escalation approver after the step",
			steps: []step{{linkVote("UBOSS", DecisionApprove, 20), 0, ErrIdentityRequired}},
		},
		{
			name:  "attack: the escalation approver approving their own request",
			req:   "slack:UBOSS",
			steps: []step{{slackVote("UBOSS", "boss", DecisionApprove, 20), 0, ErrSelfApproval}},
		},
		{
			name:  "attack: the escalation approver's own request through their e-mail",
			req:   "email:boss@example.com",
			steps: []step{{slackVote("UBOSS", "boss", DecisionApprove, 20, "boss@example.com"), 0, ErrSelfApproval}},
		},
		{
			name: "attack: the escalation approver twice (Slack, then SSO with the same e-mail) counts once toward a quorum",
			min:  2,
			steps: []step{
				{slackVote("UBOSS", "boss", DecisionApprove, 20, "boss@example.com"), Counted, nil},
				{ssoVote("boss@example.com", DecisionApprove, 21), AlreadyCounted, nil},
				{slackVote("UALICE", "alice", DecisionApprove, 22), Decided, nil},
			},
		},
		{
			name:  "someone on no list is still refused after the step",
			steps: []step{{slackVote("UMALLORY", "mallory", DecisionApprove, 30), 0, ErrNotApprover}},
		},
		{
			name:  "the gate's own approver is not delayed",
			steps: []step{{slackVote("UALICE", "alice", DecisionApprove, 1), Decided, nil}},
		},
		{
			name:  "after the expiry nobody decides",
			steps: []step{{slackVote("UBOSS", "boss", DecisionApprove, 61), 0, ErrExpired}},
		},
		{
			name: "a later step's approver waits for that step, not the first",
			policy: Policy{Approvers: []string{"slack:UALICE"}, Escalation: []EscalationApprovers{
				{AfterSeconds: 600, Approvers: []string{"slack:UBOSS"}},
				{AfterSeconds: 1800, Approvers: []string{"slack:UCEO"}},
			}},
			steps: []step{
				{slackVote("UCEO", "ceo", DecisionApprove, 20), 0, ErrNotApprover},
				{slackVote("UCEO", "ceo", DecisionApprove, 30), Decided, nil},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pol := p
			if tt.policy.Approvers != nil {
				pol = tt.policy
			}
			r := base
			if tt.min > 0 {
				r.MinApprovals = tt.min
			}
			if tt.req != "" {
				r.RequestedBy = tt.req
			}
			for i, s := range tt.steps {
				next, res, err := Apply(r, pol, s.vote)
				if !errors.Is(err, s.wantErr) || res != s.wantRes {
					t.Fatalf("step %d: Apply = %v, %v; want %v, %v", i, res, err, s.wantRes, s.wantErr)
				}
				if err == nil {
					r = next
				}
			}
		})
	}
}

func TestParseConfigDocEscalation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, wantErr string
	}{
		{name: "valid", doc: `{"escalation":[{"after_seconds":60,"slack_channel":"C1","approvers":["UBOSS"]},{"after_seconds":120,"webhook_url":true}]}`},
		{name: "out of order", doc: `{"escalation":[{"after_seconds":120,"slack_channel":"C1"},{"after_seconds":60,"slack_channel":"C2"}]}`, wantErr: "step 2: after_seconds 60 must be greater than 120"},
		{name: "zero", doc: `{"escalation":[{"after_seconds":0,"slack_channel":"C1"}]}`, wantErr: "step 1"},
		{name: "bad approver", doc: `{"escalation":[{"after_seconds":60,"slack_channel":"C1","approvers":["the boss"]}]}`, wantErr: "step 1: approvers"},
		{name: "too many", doc: `{"escalation":[{"after_seconds":1},{"after_seconds":2},{"after_seconds":3},{"after_seconds":4},{"after_seconds":5},{"after_seconds":6}]}`, wantErr: "more than the 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfigDoc(tt.doc)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("ParseConfigDoc = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func TestEscalationNote(t *testing.T) {
	t.Parallel()
	got := EscalationNote(2, EscalationStep{Approvers: []string{"UBOSS", "Boss@Example.com", "sso:a<b>"}})
	want := "⏫ *Escalated* (step 2): nobody has decided this request yet. Now also deciding: <@UBOSS>, boss@example.com, a&lt;b&gt;."
	if got != want {
		t.Errorf("EscalationNote = %q, want %q", got, want)
	}
	if got := EscalationNote(1, EscalationStep{}); strings.Contains(got, "deciding") {
		t.Errorf("a step without approvers names some: %q", got)
	}
}

func TestCheckSlackMessageEscalationPosts(t *testing.T) {
	t.Parallel()
	r := Request{SlackChannel: "C1", SlackTS: "1.1", Followup: FollowupState{Posts: []Post{{Channel: "C2", TS: "2.2"}}}}
	for _, tt := range []struct {
		channel, ts string
		ok          bool
	}{{"C1", "1.1", true}, {"C2", "2.2", true}, {"C2", "1.1", false}, {"C3", "2.2", false}, {"", "", false}} {
		if err := CheckSlackMessage(Action{Channel: tt.channel, TS: tt.ts}, r); (err == nil) != tt.ok {
			t.Errorf("CheckSlackMessage(%s, %s) = %v, want ok %v", tt.channel, tt.ts, err, tt.ok)
		}
	}
	if err := CheckSlackMessage(Action{}, Request{}); err == nil {
		t.Error("a request the app never posted accepted an empty click")
	}
}
