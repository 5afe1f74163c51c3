package approval

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)

func slackVote(id, name, d string, minute int) Vote {
	return Vote{Approver: Approver{ID: id, Name: name, Via: ViaSlack}, Decision: d, At: t0.Add(time.Duration(minute) * time.Minute)}
}

func linkVote(name, d string, minute int) Vote {
	return Vote{Approver: LinkApprover(name), Decision: d, At: t0.Add(time.Duration(minute) * time.Minute)}
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
	tests := []struct {
		name        string
		policy      Policy
		min         int
		requestedBy string
		steps       []step
		want        *Outcome
	}{
		{
			name:   "one approval decides",
			policy: Policy{MinApprovals: 1},
			steps:  []step{{alice(DecisionApprove, 1), Decided, nil}},
			want:   &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "UALICE", Name: "alice", Via: ViaSlack}}},
		},
		{
			name:   "first decision wins",
			policy: Policy{MinApprovals: 1},
			steps: []step{
				{alice(DecisionReject, 1), Decided, nil},
				{bob(DecisionApprove, 2), 0, ErrAlreadyDecided},
			},
			want: &Outcome{Decision: OutcomeRejected, Approvers: []Approver{{ID: "UALICE", Name: "alice", Via: ViaSlack}}},
		},
		{
			name: "quorum of two",
			min:  2,
			steps: []step{
				{alice(DecisionApprove, 1), Counted, nil},
				{bob(DecisionApprove, 2), Decided, nil},
				{carol(DecisionApprove, 3), 0, ErrAlreadyDecided},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "UALICE", Name: "alice", Via: ViaSlack}, {ID: "UBOB", Name: "bob", Via: ViaSlack}}},
		},
		{
			name: "same approver twice counts once",
			min:  2,
			steps: []step{
				{alice(DecisionApprove, 1), Counted, nil},
				{alice(DecisionApprove, 2), AlreadyCounted, nil},
				{linkVote("Dave", DecisionApprove, 3), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "UALICE", Name: "alice", Via: ViaSlack}, {ID: "dave", Name: "Dave", Via: ViaLink}}},
		},
		{
			name: "same link name in another case counts once",
			min:  2,
			steps: []step{
				{linkVote("Dave Smith", DecisionApprove, 1), Counted, nil},
				{linkVote("  dave   SMITH ", DecisionApprove, 2), AlreadyCounted, nil},
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
			want: &Outcome{Decision: OutcomeRejected, Approvers: []Approver{{ID: "UCAROL", Name: "carol", Via: ViaSlack}}},
		},
		{
			name: "an approver may turn an approval into a rejection",
			min:  2,
			steps: []step{
				{alice(DecisionApprove, 1), Counted, nil},
				{alice(DecisionReject, 2), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeRejected, Approvers: []Approver{{ID: "UALICE", Name: "alice", Via: ViaSlack}}},
		},
		{
			name:   "non-approver in Slack",
			policy: Policy{Approvers: []string{"UBOB"}},
			steps: []step{
				{alice(DecisionApprove, 1), 0, ErrNotApprover},
				{alice(DecisionReject, 1), 0, ErrNotApprover},
				{bob(DecisionApprove, 2), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "UBOB", Name: "bob", Via: ViaSlack}}},
		},
		{
			name:   "approvers do not restrict links",
			policy: Policy{Approvers: []string{"UBOB"}},
			steps:  []step{{linkVote("Eve", DecisionApprove, 1), Decided, nil}},
			want:   &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "eve", Name: "Eve", Via: ViaLink}}},
		},
		{
			name:        "self-approval by Slack id",
			requestedBy: "<@UALICE>",
			steps: []step{
				{alice(DecisionApprove, 1), 0, ErrSelfApproval},
				{bob(DecisionApprove, 2), Decided, nil},
			},
			want: &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "UBOB", Name: "bob", Via: ViaSlack}}},
		},
		{
			name:        "self-approval by Slack alias",
			requestedBy: "@Alice.Smith",
			steps: []step{{Vote{Approver: Approver{ID: "UALICE", Name: "alice", Via: ViaSlack}, Aliases: []string{"alice.smith"},
				Decision: DecisionApprove, At: t0}, 0, ErrSelfApproval}},
		},
		{
			name:        "self-approval by link name",
			requestedBy: "Alice",
			steps:       []step{{linkVote(" alice ", DecisionApprove, 1), 0, ErrSelfApproval}},
		},
		{
			name:        "the requester may reject",
			requestedBy: "alice",
			steps:       []step{{alice(DecisionReject, 1), Decided, nil}},
			want:        &Outcome{Decision: OutcomeRejected, Approvers: []Approver{{ID: "UALICE", Name: "alice", Via: ViaSlack}}},
		},
		{
			name:        "self-approval allowed",
			policy:      Policy{AllowSelfApproval: true},
			requestedBy: "alice",
			steps:       []step{{alice(DecisionApprove, 1), Decided, nil}},
			want:        &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "UALICE", Name: "alice", Via: ViaSlack}}},
		},
		{
			name:  "expired",
			steps: []step{{alice(DecisionApprove, 61), 0, ErrExpired}},
		},
		{
			name:  "at expiry still counts",
			steps: []step{{alice(DecisionApprove, 60), Decided, nil}},
			want:  &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "UALICE", Name: "alice", Via: ViaSlack}}},
		},
		{
			name:  "unknown decision",
			steps: []step{{alice("maybe", 1), 0, ErrInvalidDecision}},
		},
		{
			name:   "policy minimum used when the request has none",
			policy: Policy{MinApprovals: 2},
			min:    -1,
			steps:  []step{{alice(DecisionApprove, 1), Counted, nil}},
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
			r := Request{ID: testID, Status: StatusPending, MinApprovals: quorum, RequestedBy: tt.requestedBy, ExpiresAt: t0.Add(time.Hour)}
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

func TestApply_doesNotShareVotes(t *testing.T) {
	t.Parallel()
	r := Request{ID: testID, Status: StatusPending, MinApprovals: 3, ExpiresAt: t0.Add(time.Hour)}
	a, _, err := Apply(r, Policy{}, slackVote("U1", "one", DecisionApprove, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Apply(a, Policy{}, slackVote("U2", "two", DecisionApprove, 2)); err != nil {
		t.Fatal(err)
	}
	if len(a.Votes) != 1 || len(r.Votes) != 0 {
		t.Errorf("Apply changed its input: %d and %d votes", len(a.Votes), len(r.Votes))
	}
}

func TestApply_commentAndAliases(t *testing.T) {
	t.Parallel()
	r := Request{ID: testID, Status: StatusPending, MinApprovals: 1, ExpiresAt: t0.Add(time.Hour)}
	v := slackVote("U1", "one", DecisionApprove, 1)
	v.Comment, v.Aliases = "  ship it \n", []string{"One"}
	got, _, err := Apply(r, Policy{}, v)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("ship it", got.Outcome.Comment); diff != "" {
		t.Errorf("comment (-want +got):\n%s", diff)
	}
	if got.Votes[VoteKey(v.Approver)].Aliases != nil {
		t.Errorf("aliases stored")
	}
}

func TestLinkApprover(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, id, name string }{
		{"", AnonymousLinkApprover, ""},
		{"   ", AnonymousLinkApprover, ""},
		{" Dave  Smith ", "dave smith", "Dave Smith"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(Approver{ID: tt.id, Name: tt.name, Via: ViaLink}, LinkApprover(tt.in)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
}
