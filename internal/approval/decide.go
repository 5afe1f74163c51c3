package approval

import (
	"errors"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Policy is who may decide and how many approvals it takes.
type Policy struct {
	// Approvers are the canonical identities (ParseIdentity) allowed to
	// decide; empty (with ApproverGroups empty) means anyone.
	Approvers []string
	// ApproverGroups are IdP groups whose members may decide.
	ApproverGroups []string
	// LinkDecisions is what a link may decide: one of the LinkDecisions*
	// constants ("" means LinkDecisionsAny).
	LinkDecisions string
	// MinApprovals is the number of distinct approvers needed, used when the
	// request does not carry its own.
	MinApprovals      int
	AllowSelfApproval bool
}

// PolicyFromConfig returns the policy of a gate.
func PolicyFromConfig(c Config) Policy {
	return Policy{
		Approvers: c.Approvers, ApproverGroups: c.ApproverGroups, LinkDecisions: c.LinkDecisions,
		MinApprovals: c.MinApprovals, AllowSelfApproval: c.AllowSelfApproval,
	}
}

// Result says what a vote did.
type Result int

// Results of Apply.
const (
	// Counted: the vote was recorded and the request still waits for more
	// approvals.
	Counted Result = iota + 1
	// AlreadyCounted: the same approver had already cast the same vote;
	// nothing changed.
	AlreadyCounted
	// Decided: the vote decided the request (status deciding, Outcome set).
	Decided
)

// Decision errors.
var (
	ErrNotApprover     = errors.New("you are not an approver of this gate")
	ErrSelfApproval    = errors.New("you cannot approve your own request")
	ErrAlreadyDecided  = errors.New("the request has already been decided")
	ErrExpired         = errors.New("the request has expired")
	ErrInvalidDecision = errors.New("the decision must be approve or reject")
)

// AnonymousLinkApprover is the id of a link approver who gave no name.
const AnonymousLinkApprover = "anonymous"

// Outcome decisions.
const (
	OutcomeApproved = "approved"
	OutcomeRejected = "rejected"
)

// Apply returns r with v recorded under p's rules; r itself is not changed.
// The rules: only a pending, unexpired request takes votes; in Slack only
// p.Approvers (if any) may vote; nobody approves a request they made unless
// p.AllowSelfApproval (matching the requester against the approver's id,
// name and aliases, case-insensitively, ignoring a leading "@"); each
// approver counts once; one rejection rejects; the MinApprovals-th distinct
// approval approves. When the vote decides, the result has status deciding
// and its Outcome set.
func Apply(r Request, p Policy, v Vote) (Request, Result, error) {
	switch {
	case r.Status != StatusPending:
		return r, 0, ErrAlreadyDecided
	case v.At.After(r.ExpiresAt):
		return r, 0, ErrExpired
	case v.Decision != DecisionApprove && v.Decision != DecisionReject:
		return r, 0, ErrInvalidDecision
	case v.Approver.Via == ViaSlack && len(p.Approvers) > 0 && !slices.Contains(p.Approvers, v.Approver.ID):
		return r, 0, ErrNotApprover
	case v.Decision == DecisionApprove && !p.AllowSelfApproval && isRequester(r.RequestedBy, v):
		return r, 0, ErrSelfApproval
	}
	key := VoteKey(v.Approver)
	if old, ok := r.Votes[key]; ok && old.Decision == v.Decision {
		return r, AlreadyCounted, nil
	}
	v.Comment = Truncate(strings.TrimSpace(v.Comment), MaxCommentRunes)
	v.Aliases = nil
	r.Votes = maps.Clone(r.Votes)
	if r.Votes == nil {
		r.Votes = map[string]Vote{}
	}
	r.Votes[key] = v

	need := r.MinApprovals
	if need < 1 {
		need = max(p.MinApprovals, 1)
	}
	var decision string
	var deciders []Vote
	switch approvals := r.votesFor(DecisionApprove); {
	case v.Decision == DecisionReject:
		decision, deciders = OutcomeRejected, []Vote{v}
	case len(approvals) >= need:
		decision, deciders = OutcomeApproved, approvals
	default:
		return r, Counted, nil
	}
	o := Outcome{
		Decision:  decision,
		Approvers: make([]Approver, len(deciders)),
		Comment:   v.Comment,
		DecidedAt: v.At.UTC().Format(time.RFC3339),
		RequestID: r.ID,
		Inputs:    v.Inputs,
	}
	for i, d := range deciders {
		o.Approvers[i] = d.Approver
		o.Approvers[i].Inputs = d.Inputs
	}
	r.Status, r.Outcome = StatusDeciding, &o
	return r, Decided, nil
}

// Approvals returns the number of distinct approvals recorded.
func (r Request) Approvals() int { return len(r.votesFor(DecisionApprove)) }

// votesFor returns the votes with decision d, oldest first.
func (r Request) votesFor(d string) []Vote {
	var out []Vote
	for _, v := range r.Votes {
		if v.Decision == d {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return VoteKey(out[i].Approver) < VoteKey(out[j].Approver)
	})
	return out
}

func isRequester(requester string, v Vote) bool {
	req := normalizeIdentity(requester)
	if req == "" {
		return false
	}
	for _, n := range append([]string{v.Approver.ID, v.Approver.Name}, v.Aliases...) {
		if normalizeIdentity(n) == req {
			return true
		}
	}
	return false
}

// normalizeIdentity folds "<@U123>", "@alice" and " Alice " to a comparable
// form.
func normalizeIdentity(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<@") && strings.HasSuffix(s, ">") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<@"), ">")
		s, _, _ = strings.Cut(s, "|")
	}
	return strings.ToLower(strings.Join(strings.Fields(strings.TrimPrefix(s, "@")), " "))
}

// LinkApprover returns the identity of a person deciding through a link: the
// name they typed on the confirm page. Links are bearer tokens, so this is a
// claim, not a verified identity; its id is the name folded to lower case, so
// the same name twice counts once towards a quorum. Without a name the id is
// AnonymousLinkApprover.
func LinkApprover(name string) Approver {
	n := NormalizeName(name)
	if n == "" {
		return Approver{ID: AnonymousLinkApprover, Via: ViaLink}
	}
	return Approver{ID: strings.ToLower(n), Name: n, Via: ViaLink}
}
