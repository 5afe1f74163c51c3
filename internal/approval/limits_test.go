package approval

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestApply_votesCap: a request fills up with votes that do not decide (here
// link votes under made-up names, while MaxMinApprovals approvals are
// needed); past MaxVotes, such votes are refused with ErrTooManyVotes and
// leave the request unchanged, while a rejection still decides.
func TestApply_votesCap(t *testing.T) {
	t.Parallel()
	r := Request{ID: "r", Status: StatusPending, ExpiresAt: t0.Add(time.Hour), MinApprovals: MaxMinApprovals + MaxVotes + 10}
	p := Policy{AllowSelfApproval: true}
	var err error
	var res Result
	for i := range MaxVotes {
		if r, res, err = Apply(r, p, ssoVote(fmt.Sprintf("voter%d@example.com", i), DecisionApprove, 1)); err != nil || res != Counted {
			t.Fatalf("vote %d: %v %v", i, res, err)
		}
	}
	full, res, err := Apply(r, p, ssoVote("extra@example.com", DecisionApprove, 2))
	if !errors.Is(err, ErrTooManyVotes) || res != 0 || len(full.Votes) != MaxVotes {
		t.Fatalf("vote past the cap: res %v err %v, %d votes kept", res, err, len(full.Votes))
	}
	if !strings.Contains(err.Error(), "rejection") {
		t.Errorf("the refusal does not say what is still accepted: %v", err)
	}
	// The same approver again changes nothing and is no error.
	if _, res, err = Apply(r, p, ssoVote("voter3@example.com", DecisionApprove, 2)); err != nil || res != AlreadyCounted {
		t.Errorf("repeat vote: %v %v", res, err)
	}
	decided, res, err := Apply(r, p, ssoVote("rejecter@example.com", DecisionReject, 3))
	if err != nil || res != Decided || decided.Outcome.Decision != OutcomeRejected {
		t.Errorf("rejection on a full request: %v %v", res, err)
	}
}

// TestMaxVotesFitsAnItem: the largest request the handlers can write stays
// under DynamoDB's 400 KB item limit (item size: names plus values, UTF-8).
func TestMaxVotesFitsAnItem(t *testing.T) {
	t.Parallel()
	const itemLimit = 400 * 1024
	fixed := 2048 /* token */ + 4*MaxTitleRunes + 4*MaxTextRunes + MaxContextBytes + 3*2048 /* arns, state name */ + 1024 /* numbers, status, slack */
	vote := 4*MaxCommentRunes + 4*MaxNameRunes + 3*256 /* ids, via, key */ + 64
	outcome := 4*MaxCommentRunes + MaxMinApprovals*(4*MaxNameRunes+256) + 256
	if total := fixed + (MaxVotes+1)*vote + outcome; total > itemLimit*9/10 {
		t.Errorf("worst case item %d bytes leaves under 10%% of DynamoDB's %d", total, itemLimit)
	}
}
