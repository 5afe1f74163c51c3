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
	// Escalation are the approvers escalation steps add, each from its
	// step's time on (escalation.go). They extend Approvers: they mean
	// nothing when the gate lets anyone decide.
	Escalation []EscalationApprovers
}

// PolicyFromConfig returns the policy of a gate, its approvers in canonical
// form (an entry that is not an identity, which ConfigFromEnv refuses,
// matches nobody).
func PolicyFromConfig(c Config) Policy {
	var approvers []string
	for _, a := range c.Approvers {
		if id, err := ParseIdentity(a); err == nil {
			approvers = append(approvers, id)
		}
	}
	if len(c.Approvers) > 0 && len(approvers) == 0 {
		approvers = []string{"-"} // an allowlist of only invalid entries still allows nobody
	}
	return Policy{
		Approvers: approvers, ApproverGroups: c.ApproverGroups, LinkDecisions: c.LinkDecisions,
		MinApprovals: c.MinApprovals, AllowSelfApproval: c.AllowSelfApproval,
		Escalation: escalationPolicy(c.Followup),
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
	// ErrNoRequester: the self-approval ban is on but the request names no
	// verifiable requester, so nobody may approve it (fail closed).
	ErrNoRequester = errors.New("this request names no verifiable requester, so the self-approval ban cannot be checked and nobody can approve it")
	// ErrLinkCannotDecide: the gate's link_decisions is "none".
	ErrLinkCannotDecide = errors.New("this gate takes no decisions through links: decide in the Slack app or through the gate's API")
	// ErrLinkCannotApprove: the gate's link_decisions is "reject_only".
	ErrLinkCannotApprove = errors.New("links to this gate can only reject: approve in the Slack app or through the gate's API")
)

// AnonymousLinkApprover is the id of a link approver who gave no name.
const AnonymousLinkApprover = "anonymous"

// Outcome decisions.
const (
	OutcomeApproved = "approved"
	OutcomeRejected = "rejected"
)

// IdentityControlled reports whether p has an identity control that only a
// verified identity can satisfy: approvers, approver groups, a quorum above
// one (need, the request's own) or the self-approval ban.
func (p Policy) IdentityControlled(need int) bool {
	return len(p.Approvers) > 0 || len(p.ApproverGroups) > 0 || need > 1 || !p.AllowSelfApproval
}

// LinksCanApprove reports whether p lets a link (bare or behind SSO) approve.
func (p Policy) LinksCanApprove() bool {
	return p.LinkDecisions == "" || p.LinkDecisions == LinkDecisionsAny
}

// LinksCanDecide reports whether p lets a link decide at all.
func (p Policy) LinksCanDecide() bool { return p.LinkDecisions != LinkDecisionsNone }

// AnonymousCanApprove reports whether a bare bearer link (no verified
// identity) may approve a request that needs need approvals.
func (p Policy) AnonymousCanApprove(need int) bool {
	return p.LinksCanApprove() && !p.IdentityControlled(need)
}

// Apply returns r with v recorded under p's rules; r itself is not changed.
// The rules, in order:
//   - only a pending, unexpired request takes votes, approve or reject;
//   - a link vote (ViaLink, ViaSSO) obeys p.LinkDecisions;
//   - a vote without verified identity (v.IDs empty) is only possible
//     through a bare link, and never approves when any identity control is
//     configured (ErrIdentityRequired);
//   - with approvers or approver groups, a verified vote must match one of
//     its IDs against p.Approvers or one of its Groups against
//     p.ApproverGroups, or one of its IDs against the approvers of an
//     escalation step whose time had come when it was cast (r.CreatedAt +
//     the step's AfterSeconds not after v.At);
//   - with the self-approval ban, an approval needs a request whose
//     requester parses as an identity (ErrNoRequester) that is not among the
//     vote's IDs (ErrSelfApproval);
//   - each person counts once: votes whose ID sets intersect are one person
//     (a Slack click as [slack:U1, email:a@x] and an SSO login as
//     [email:a@x]); a name typed on a page is never an identity;
//   - one rejection rejects; the need-th distinct person approving approves.
//
// When the vote decides, the result has status deciding and its Outcome set.
func Apply(r Request, p Policy, v Vote) (Request, Result, error) {
	orig := r
	need := r.MinApprovals
	if need < 1 {
		need = max(p.MinApprovals, 1)
	}
	ids := canonicalIDs(v.IDs)
	anonymous := len(ids) == 0
	approve := v.Decision == DecisionApprove
	switch {
	case r.Status != StatusPending:
		return r, 0, ErrAlreadyDecided
	case v.At.After(r.ExpiresAt):
		return r, 0, ErrExpired
	case !approve && v.Decision != DecisionReject:
		return r, 0, ErrInvalidDecision
	case (v.Approver.Via == ViaLink || v.Approver.Via == ViaSSO) && !p.LinksCanDecide():
		return r, 0, ErrLinkCannotDecide
	case (v.Approver.Via == ViaLink || v.Approver.Via == ViaSSO) && approve && !p.LinksCanApprove():
		return r, 0, ErrLinkCannotApprove
	case anonymous && v.Approver.Via != ViaLink:
		// Only a bare link is anonymous; any other channel without an
		// identity is a verifier that failed to verify: refuse.
		return r, 0, ErrIdentityRequired
	case anonymous && approve && p.IdentityControlled(need):
		return r, 0, ErrIdentityRequired
	case !anonymous && (len(p.Approvers) > 0 || len(p.ApproverGroups) > 0) &&
		!allowed(p, ids, v.Groups) && !escalatedApprover(p, r.CreatedAt, v.At, ids):
		return r, 0, ErrNotApprover
	}
	if approve && !p.AllowSelfApproval {
		req, err := ParseIdentity(r.RequestedBy)
		if err != nil {
			return r, 0, ErrNoRequester
		}
		if slices.Contains(ids, req) {
			return r, 0, ErrSelfApproval
		}
	}
	if anonymous {
		v.Approver = Approver{ID: AnonymousLinkApprover, Name: NormalizeName(v.Approver.Name), Via: ViaLink}
	} else {
		v.Approver.ID = ids[0]
	}
	v.IDs, v.Groups = ids, nil
	key := VoteKey(v.Approver)
	for k, old := range r.Votes {
		if old.Decision == v.Decision && (k == key || samePerson(old, v)) {
			return r, AlreadyCounted, nil
		}
	}
	v.Comment = Truncate(strings.TrimSpace(v.Comment), MaxCommentRunes)
	v.Approver.Name = NormalizeName(v.Approver.Name)
	r.Votes = maps.Clone(r.Votes)
	if r.Votes == nil {
		r.Votes = map[string]Vote{}
	}
	r.Votes[key] = v

	var decision string
	var deciders []Vote
	switch approvals := r.approvers(); {
	case v.Decision == DecisionReject:
		decision, deciders = OutcomeRejected, []Vote{v}
	case len(approvals) >= need:
		decision, deciders = OutcomeApproved, approvals
	default:
		if len(r.Votes) > MaxVotes {
			return orig, 0, ErrTooManyVotes
		}
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

// canonicalIDs returns the valid canonical identities of ids, without
// duplicates, in their order. A verifier only passes canonical identities;
// anything else is dropped rather than trusted.
func canonicalIDs(ids []string) []string {
	var out []string
	for _, s := range ids {
		id, err := ParseIdentity(s)
		if err != nil || id != s || slices.Contains(out, id) {
			continue
		}
		out = append(out, id)
	}
	return out
}

// allowed reports whether a voter with ids and groups is on p's allowlist.
func allowed(p Policy, ids, groups []string) bool {
	for _, id := range ids {
		if slices.Contains(p.Approvers, id) {
			return true
		}
	}
	for _, g := range groups {
		if g != "" && slices.Contains(p.ApproverGroups, g) {
			return true
		}
	}
	return false
}

// samePerson reports whether two verified votes share an identity.
func samePerson(a, b Vote) bool {
	for _, id := range a.IDs {
		if slices.Contains(b.IDs, id) {
			return true
		}
	}
	return false
}

// Approvals returns the number of distinct persons who approved.
func (r Request) Approvals() int { return len(r.approvers()) }

// approvers returns one approve vote per distinct person, oldest first:
// votes whose ID sets intersect (directly or through another vote) are one
// person; each anonymous vote is its own.
func (r Request) approvers() []Vote {
	all := r.votesFor(DecisionApprove)
	parent := make([]int, len(all))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range all {
		for j := range i {
			if samePerson(all[i], all[j]) {
				parent[find(i)] = find(j)
			}
		}
	}
	var out []Vote
	seen := map[int]bool{}
	for i, v := range all {
		if root := find(i); !seen[root] {
			seen[root] = true
			out = append(out, v)
		}
	}
	return out
}

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

// LinkApprover returns the approver of a bare link decision: anonymous
// (links prove possession, not identity), with the name typed on the confirm
// page, if any, kept only as a display note.
func LinkApprover(name string) Approver {
	return Approver{ID: AnonymousLinkApprover, Name: NormalizeName(name), Via: ViaLink}
}
