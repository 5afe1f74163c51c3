package approval

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)

// at returns the time of minute m of the test.
func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

// slackVote is a Slack app click by user id (U…), with an optional verified
// profile e-mail.
func slackVote(user, name, d string, minute int, emails ...string) Vote {
	ids := []string{"slack:" + user}
	for _, e := range emails {
		ids = append(ids, "email:"+e)
	}
	return Vote{Approver: Approver{Name: name, Via: ViaSlack}, IDs: ids, Decision: d, At: at(minute)}
}

// ssoVote is a link decided in an SSO session.
func ssoVote(email, d string, minute int, groups ...string) Vote {
	return Vote{Approver: Approver{Name: email, Via: ViaSSO}, IDs: []string{"email:" + email}, Groups: groups, Decision: d, At: at(minute)}
}

// apiVote is a machine decision with an api: identity.
func apiVote(sub, d string, minute int) Vote {
	return Vote{Approver: Approver{Via: ViaAPI}, IDs: []string{"api:" + sub}, Decision: d, At: at(minute)}
}

// linkVote is a bare bearer link with a typed name.
func linkVote(name, d string, minute int) Vote {
	return Vote{Approver: LinkApprover(name), Decision: d, At: at(minute)}
}

func TestApply(t *testing.T) {
	t.Parallel()
	type step struct {
		vote    Vote
		wantRes Result
		wantErr error
	}
	alice := func(d string, m int) Vote { return slackVote("UALICE", "alice", d, m) }
	bob := func(d string, m int) Vote { return slackVote("UBOB", "bob", d, m) }
	carol := func(d string, m int) Vote { return slackVote("UCAROL", "carol", d, m) }
	aliceA := Approver{"slack:UALICE", "alice", ViaSlack}
	bobA := Approver{"slack:UBOB", "bob", ViaSlack}
	carolA := Approver{"slack:UCAROL", "carol", ViaSlack}
	open := Policy{AllowSelfApproval: true} // no identity control at all
	const requester = "email:req@example.com"
	tests := []struct {
		name        string
		policy      Policy
		min         int
		requestedBy string // defaults to requester; "-" for none
		steps       []step
		want        *Outcome
	}{
		{
			name:  "one approval decides",
			steps: []step{{alice(DecisionApprove, 1), Decided, nil}},
			want:  &Outcome{Decision: OutcomeApproved, Approvers: []Approver{aliceA}},
		},
		{
			name: "first decision wins",
			steps: []step{
				{alice(DecisionReject, 1), Decided, nil},
				{bob(DecisionApprove, 2), 0, ErrAlreadyDecided},
			},
			want: &Outcome{Decision: OutcomeRejected, Approvers: []Approver{aliceA}},
		},
		{
			name: "quorum of two",
			min:  2,
			steps: []step{
				{alice(DecisionApprove, 1), Counted, nil},
				{bob(DecisionApprove, 2), Decided, nil},
				{carol(DecisionApprove, 3), 0, ErrAlreadyDecided},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{aliceA, bobA}},
		},
		{
			name: "same approver twice counts once",
			min:  2,
			steps: []step{
				{alice(DecisionApprove, 1), Counted, nil},
				{alice(DecisionApprove, 2), AlreadyCounted, nil},
				{ssoVote("dave@example.com", DecisionApprove, 3), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{aliceA, {"email:dave@example.com", "dave@example.com", ViaSSO}}},
		},
		{
			name: "a Slack click and an SSO login with the same e-mail count once",
			min:  2,
			steps: []step{
				{slackVote("UALICE", "alice", DecisionApprove, 1, "alice@example.com"), Counted, nil},
				{ssoVote("alice@example.com", DecisionApprove, 2), AlreadyCounted, nil},
				{apiVote("ci", DecisionApprove, 3), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{
				{"slack:UALICE", "alice", ViaSlack}, {"api:ci", "", ViaAPI},
			}},
		},
		{
			name: "an SSO login then a Slack click with the same e-mail count once",
			min:  2,
			steps: []step{
				{ssoVote("alice@example.com", DecisionApprove, 1), Counted, nil},
				{slackVote("UALICE", "alice", DecisionApprove, 2, "alice@example.com"), AlreadyCounted, nil},
			},
		},
		{
			name: "attack: one link holder types two names to meet a quorum of two",
			min:  2,
			steps: []step{
				{linkVote("Alice", DecisionApprove, 1), 0, ErrIdentityRequired},
				{linkVote("Bob", DecisionApprove, 2), 0, ErrIdentityRequired},
			},
		},
		{
			name:   "attack: one link holder types three names to meet a quorum of three",
			min:    3,
			policy: open,
			steps: []step{
				{linkVote("a", DecisionApprove, 1), 0, ErrIdentityRequired},
				{linkVote("b", DecisionApprove, 2), 0, ErrIdentityRequired},
				{linkVote("c", DecisionApprove, 3), 0, ErrIdentityRequired},
			},
		},
		{
			name:   "attack: an anonymous link approves a gate with an approver list",
			policy: Policy{Approvers: []string{"slack:UBOB"}, AllowSelfApproval: true},
			steps: []step{
				{linkVote("", DecisionApprove, 1), 0, ErrIdentityRequired},
				{linkVote("UBOB", DecisionApprove, 2), 0, ErrIdentityRequired},
				{bob(DecisionApprove, 3), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{bobA}},
		},
		{
			name:   "attack: an anonymous link approves under approver groups",
			policy: Policy{ApproverGroups: []string{"deployers"}, AllowSelfApproval: true},
			steps:  []step{{linkVote("deployers", DecisionApprove, 1), 0, ErrIdentityRequired}},
		},
		{
			name:  "attack: an anonymous link approves under the self-approval ban",
			steps: []step{{linkVote("", DecisionApprove, 1), 0, ErrIdentityRequired}},
		},
		{
			name:        "attack: requested_by left out to approve one's own request",
			requestedBy: "-",
			steps: []step{
				{alice(DecisionApprove, 1), 0, ErrNoRequester},
				{alice(DecisionReject, 2), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeRejected, Approvers: []Approver{aliceA}},
		},
		{
			name:        "attack: requested_by set to a display name",
			requestedBy: "Alice Smith",
			steps:       []step{{alice(DecisionApprove, 1), 0, ErrNoRequester}},
		},
		{
			name:        "attack: requested_by set to a Slack mention",
			requestedBy: "<@UALICE>",
			steps:       []step{{alice(DecisionApprove, 1), 0, ErrNoRequester}},
		},
		{
			name:        "attack: a requester by e-mail approves through Slack with the same e-mail",
			requestedBy: "email:alice@example.com",
			steps: []step{
				{slackVote("UALICE", "alice", DecisionApprove, 1, "alice@example.com"), 0, ErrSelfApproval},
				{ssoVote("alice@example.com", DecisionApprove, 2), 0, ErrSelfApproval},
				{bob(DecisionApprove, 3), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{bobA}},
		},
		{
			name:        "attack: a requester by Slack id approves in Slack",
			requestedBy: "slack:UALICE",
			steps:       []step{{alice(DecisionApprove, 1), 0, ErrSelfApproval}},
		},
		{
			name:        "attack: a requester approves through the API",
			requestedBy: "api:ci",
			steps:       []step{{apiVote("ci", DecisionApprove, 1), 0, ErrSelfApproval}},
		},
		{
			name: "attack: a Slack click by UBOB and a link named bob count as two",
			min:  2,
			steps: []step{
				{bob(DecisionApprove, 1), Counted, nil},
				{linkVote("bob", DecisionApprove, 2), 0, ErrIdentityRequired},
			},
		},
		{
			name:   "no identity control: an anonymous link approves",
			policy: open,
			steps:  []step{{linkVote(" Eve ", DecisionApprove, 1), Decided, nil}},
			want:   &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{AnonymousLinkApprover, "Eve", ViaLink}}},
		},
		{
			name:   "no identity control: a typed name is a note, not an identity",
			policy: open,
			min:    1,
			steps: []step{
				{linkVote("Eve", DecisionReject, 1), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeRejected, Approvers: []Approver{{AnonymousLinkApprover, "Eve", ViaLink}}},
		},
		{
			name: "an anonymous link may reject under identity controls",
			min:  2,
			steps: []step{
				{alice(DecisionApprove, 1), Counted, nil},
				{linkVote("", DecisionReject, 2), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeRejected, Approvers: []Approver{{AnonymousLinkApprover, "", ViaLink}}},
		},
		{
			name:   "link_decisions reject_only: a link rejects",
			policy: Policy{LinkDecisions: LinkDecisionsRejectOnly},
			steps: []step{
				{linkVote("", DecisionApprove, 1), 0, ErrLinkCannotApprove},
				{ssoVote("dave@example.com", DecisionApprove, 2), 0, ErrLinkCannotApprove},
				{linkVote("", DecisionReject, 3), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeRejected, Approvers: []Approver{{AnonymousLinkApprover, "", ViaLink}}},
		},
		{
			name:   "link_decisions reject_only: no identity control still cannot approve by link",
			policy: Policy{LinkDecisions: LinkDecisionsRejectOnly, AllowSelfApproval: true},
			steps:  []step{{linkVote("", DecisionApprove, 1), 0, ErrLinkCannotApprove}},
		},
		{
			name:   "link_decisions none: links cannot decide, Slack can",
			policy: Policy{LinkDecisions: LinkDecisionsNone},
			steps: []step{
				{linkVote("", DecisionReject, 1), 0, ErrLinkCannotDecide},
				{linkVote("", DecisionApprove, 1), 0, ErrLinkCannotDecide},
				{ssoVote("dave@example.com", DecisionReject, 1), 0, ErrLinkCannotDecide},
				{alice(DecisionApprove, 2), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{aliceA}},
		},
		{
			name: "a Slack or API vote without identity is refused",
			steps: []step{
				{Vote{Approver: Approver{ID: "UALICE", Via: ViaSlack}, Decision: DecisionReject, At: at(1)}, 0, ErrIdentityRequired},
				{Vote{Approver: Approver{ID: "ci", Via: ViaAPI}, Decision: DecisionApprove, At: at(1)}, 0, ErrIdentityRequired},
			},
		},
		{
			name: "attack: non-canonical IDs from a verifier are not trusted",
			steps: []step{
				{Vote{Approver: Approver{Via: ViaSSO}, IDs: []string{"Alice"}, Decision: DecisionApprove, At: at(1)}, 0, ErrIdentityRequired},
				{Vote{Approver: Approver{Via: ViaSSO}, IDs: []string{"email:Alice@Example.com"}, Decision: DecisionApprove, At: at(1)}, 0, ErrIdentityRequired},
			},
		},
		{
			name: "one rejection rejects a quorum",
			min:  3,
			steps: []step{
				{alice(DecisionApprove, 1), Counted, nil},
				{bob(DecisionApprove, 2), Counted, nil},
				{carol(DecisionReject, 3), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeRejected, Approvers: []Approver{carolA}},
		},
		{
			name: "an approver may turn an approval into a rejection",
			min:  2,
			steps: []step{
				{alice(DecisionApprove, 1), Counted, nil},
				{alice(DecisionReject, 2), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeRejected, Approvers: []Approver{aliceA}},
		},
		{
			name:   "non-approver",
			policy: Policy{Approvers: []string{"slack:UBOB"}},
			steps: []step{
				{alice(DecisionApprove, 1), 0, ErrNotApprover},
				{alice(DecisionReject, 1), 0, ErrNotApprover},
				{ssoVote("bob@example.com", DecisionApprove, 1), 0, ErrNotApprover},
				{bob(DecisionApprove, 2), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{bobA}},
		},
		{
			name:   "an approver listed by e-mail approves through Slack with that e-mail",
			policy: Policy{Approvers: []string{"email:bob@example.com"}},
			steps: []step{
				{bob(DecisionApprove, 1), 0, ErrNotApprover},
				{slackVote("UBOB", "bob", DecisionApprove, 2, "bob@example.com"), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{bobA}},
		},
		{
			name:   "approver groups match the IdP groups",
			policy: Policy{ApproverGroups: []string{"deployers"}},
			steps: []step{
				{ssoVote("eve@example.com", DecisionApprove, 1, "staff"), 0, ErrNotApprover},
				{alice(DecisionApprove, 1), 0, ErrNotApprover},
				{ssoVote("dave@example.com", DecisionApprove, 2, "staff", "deployers"), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{"email:dave@example.com", "dave@example.com", ViaSSO}}},
		},
		{
			name:        "the requester may reject",
			requestedBy: "slack:UALICE",
			steps:       []step{{alice(DecisionReject, 1), Decided, nil}},
			want:        &Outcome{Decision: OutcomeRejected, Approvers: []Approver{aliceA}},
		},
		{
			name:        "self-approval allowed",
			policy:      Policy{AllowSelfApproval: true},
			requestedBy: "slack:UALICE",
			steps:       []step{{alice(DecisionApprove, 1), Decided, nil}},
			want:        &Outcome{Decision: OutcomeApproved, Approvers: []Approver{aliceA}},
		},
		{
			name:        "self-approval allowed without a requester",
			policy:      Policy{AllowSelfApproval: true},
			requestedBy: "-",
			steps:       []step{{alice(DecisionApprove, 1), Decided, nil}},
			want:        &Outcome{Decision: OutcomeApproved, Approvers: []Approver{aliceA}},
		},
		{
			name:  "expired",
			steps: []step{{alice(DecisionApprove, 61), 0, ErrExpired}},
		},
		{
			name:  "at expiry still counts",
			steps: []step{{alice(DecisionApprove, 60), Decided, nil}},
			want:  &Outcome{Decision: OutcomeApproved, Approvers: []Approver{aliceA}},
		},
		{
			name:  "unknown decision",
			steps: []step{{alice("maybe", 1), 0, ErrInvalidDecision}},
		},
		{
			name:   "policy minimum used when the request has none",
			policy: Policy{MinApprovals: 2},
			min:    -1,
			steps: []step{
				{alice(DecisionApprove, 1), Counted, nil},
				{linkVote("", DecisionApprove, 2), 0, ErrIdentityRequired},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			quorum := tt.min
			switch quorum {
			case 0:
				quorum = 1
			case -1:
				quorum = 0
			}
			req := tt.requestedBy
			switch req {
			case "":
				req = requester
			case "-":
				req = ""
			}
			r := Request{ID: testID, Status: StatusPending, MinApprovals: quorum, RequestedBy: req, ExpiresAt: t0.Add(time.Hour)}
			var last Vote
			for i, st := range tt.steps {
				before := r
				next, res, err := Apply(r, tt.policy, st.vote)
				if !errors.Is(err, st.wantErr) || res != st.wantRes {
					t.Fatalf("step %d: got (%v, %v), want (%v, %v)", i, res, err, st.wantRes, st.wantErr)
				}
				if err != nil || res == AlreadyCounted {
					if diff := cmp.Diff(before, next); diff != "" {
						t.Fatalf("step %d changed the request (-before +after):\n%s", i, diff)
					}
				}
				if res == Decided {
					last = st.vote
				}
				r = next
			}
			if tt.want == nil {
				if r.Outcome != nil || r.Status != StatusPending {
					t.Fatalf("decided unexpectedly: %+v", r.Outcome)
				}
				return
			}
			tt.want.Comment, tt.want.RequestID = last.Comment, testID
			tt.want.DecidedAt = last.At.Format(time.RFC3339)
			if r.Status != StatusDeciding {
				t.Errorf("status = %q, want deciding", r.Status)
			}
			if diff := cmp.Diff(tt.want, r.Outcome); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApply_personsAcrossVotes: quorum counts persons through chains of
// shared identities (A∩B and B∩C make A, B and C one person).
func TestApply_personsAcrossVotes(t *testing.T) {
	t.Parallel()
	r := Request{ID: testID, Status: StatusPending, MinApprovals: 3, RequestedBy: "email:req@example.com", ExpiresAt: t0.Add(time.Hour)}
	p := Policy{}
	for i, v := range []Vote{
		ssoVote("a@example.com", DecisionApprove, 1),
		apiVote("ci", DecisionApprove, 2),
		slackVote("UAAA", "a", DecisionApprove, 3, "a@example.com"),
		slackVote("UBBB", "b", DecisionApprove, 4),
	} {
		var err error
		var res Result
		if r, res, err = Apply(r, p, v); err != nil {
			t.Fatalf("vote %d: %v", i, err)
		}
		if i == 3 && res != Decided {
			t.Fatalf("vote %d: result %v, want Decided", i, res)
		}
	}
	if got := len(r.Outcome.Approvers); got != 3 {
		t.Errorf("outcome names %d approvers, want 3: %+v", got, r.Outcome.Approvers)
	}
	if got := r.Approvals(); got != 3 {
		t.Errorf("Approvals() = %d, want 3", got)
	}
}

func TestApply_doesNotShareVotes(t *testing.T) {
	t.Parallel()
	r := Request{ID: testID, Status: StatusPending, MinApprovals: 3, RequestedBy: "slack:UREQ", ExpiresAt: t0.Add(time.Hour)}
	a, _, err := Apply(r, Policy{}, slackVote("UONE", "one", DecisionApprove, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Apply(a, Policy{}, slackVote("UTWO", "two", DecisionApprove, 2)); err != nil {
		t.Fatal(err)
	}
	if len(a.Votes) != 1 || len(r.Votes) != 0 {
		t.Errorf("Apply changed its input: %d and %d votes", len(a.Votes), len(r.Votes))
	}
}

func TestApply_storesIDsNotGroups(t *testing.T) {
	t.Parallel()
	r := Request{ID: testID, Status: StatusPending, MinApprovals: 2, RequestedBy: "slack:UREQ", ExpiresAt: t0.Add(time.Hour)}
	v := ssoVote("a@example.com", DecisionApprove, 1, "deployers")
	v.Comment = "  ship it \n"
	got, _, err := Apply(r, Policy{ApproverGroups: []string{"deployers"}}, v)
	if err != nil {
		t.Fatal(err)
	}
	stored := got.Votes["sso:email:a@example.com"]
	if diff := cmp.Diff([]string{"email:a@example.com"}, stored.IDs); diff != "" {
		t.Errorf("stored IDs (-want +got):\n%s", diff)
	}
	if stored.Groups != nil || stored.Comment != "ship it" {
		t.Errorf("stored vote = %+v, want no groups and a trimmed comment", stored)
	}
}

func TestLinkApprover(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, name string }{
		{"", ""},
		{"   ", ""},
		{" Dave  Smith ", "Dave Smith"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(Approver{ID: AnonymousLinkApprover, Name: tt.name, Via: ViaLink}, LinkApprover(tt.in)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
}
