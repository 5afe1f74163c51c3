package approval

import (
	"fmt"
	"slices"
	"time"
)

// Escalation (the reminders issue, item 3): each step of
// Followup.Escalation notifies more people AfterSeconds after a request was
// made, and its approvers may decide from then on.

// NextEscalation returns when the next escalation step of r is due: the
// step at index r.Followup.Escalated, CreatedAt + its AfterSeconds. It
// returns false when every step was notified, or when the step would come
// at or after the request's expiry (nobody can decide then).
func NextEscalation(f Followup, r Request) (time.Time, bool) {
	i := r.Followup.Escalated
	if i < 0 || i >= len(f.Escalation) {
		return time.Time{}, false
	}
	due := r.CreatedAt.Add(time.Duration(f.Escalation[i].AfterSeconds) * time.Second)
	if !due.Before(r.ExpiresAt) {
		return time.Time{}, false
	}
	return due, true
}

// EscalationApprovers are the approvers an escalation step adds, and from
// when (AfterSeconds after the request was made).
type EscalationApprovers struct {
	AfterSeconds int64
	// Approvers are canonical identities (ParseIdentity).
	Approvers []string
}

// escalationPolicy returns the approvers the steps of f add, in canonical
// form; entries that are not identities are dropped (ParseConfigDoc and the
// provider refuse them) and a step left without any adds nobody.
func escalationPolicy(f Followup) []EscalationApprovers {
	var out []EscalationApprovers
	for _, s := range f.Escalation {
		var ids []string
		for _, a := range s.Approvers {
			if id, err := ParseIdentity(a); err == nil && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			out = append(out, EscalationApprovers{AfterSeconds: s.AfterSeconds, Approvers: ids})
		}
	}
	return out
}

// escalatedApprover reports whether one of ids was added by an escalation
// step of p that had come when the vote was cast: created + AfterSeconds is
// not after at. The vote's time is the handler's clock when the vote
// arrived, never a time the voter chose.
func escalatedApprover(p Policy, created, at time.Time, ids []string) bool {
	for _, s := range p.Escalation {
		if created.Add(time.Duration(s.AfterSeconds) * time.Second).After(at) {
			continue
		}
		for _, id := range ids {
			if slices.Contains(s.Approvers, id) {
				return true
			}
		}
	}
	return false
}

// CheckEscalation refuses escalation steps the handlers cannot act on: more
// than MaxEscalationSteps, steps not in strictly increasing AfterSeconds
// (above zero), or a step approver that is not an identity. The provider
// says the same at plan time, per attribute.
func CheckEscalation(steps []EscalationStep) error {
	if len(steps) > MaxEscalationSteps {
		return fmt.Errorf("escalation has %d steps, more than the %d allowed", len(steps), MaxEscalationSteps)
	}
	var prev int64
	for i, s := range steps {
		if s.AfterSeconds <= prev {
			return fmt.Errorf("escalation step %d: after_seconds %d must be greater than %d (the steps come in order, after the request is made)", i+1, s.AfterSeconds, prev)
		}
		prev = s.AfterSeconds
		if _, err := CanonicalIdentities(s.Approvers); err != nil {
			return fmt.Errorf("escalation step %d: approvers: %w", i+1, err)
		}
	}
	return nil
}
