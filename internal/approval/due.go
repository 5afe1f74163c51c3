package approval

import "time"

// The requests table's index on what is due next. Both the gate (which
// creates it) and the handlers (which query it) use these names.
const (
	// DueIndexName is the global secondary index "status-due": hash key
	// status, range key due_at. It is sparse: only open requests (pending,
	// deciding) carry due_at.
	DueIndexName = "status-due"
	// DueAttribute is the item attribute (N, unix seconds) of the next time
	// something is due for an open request.
	DueAttribute = "due_at"
)

// NextDue is the due_at to store for r, and false when r is final (decided
// or expired: due_at is removed, so r leaves the index).
//
//   - pending: r.DueAt when set (the notifier and later the sweep set it:
//     today the expiry; reminders and escalation steps move it earlier),
//     else the expiry;
//   - deciding: r.DueAt, the end of the re-send lease, set when the request
//     was decided and each time a re-send claims it; lease is used when it
//     is not set (an item written before due_at existed);
//   - decided, expired: none.
func NextDue(r Request, lease time.Duration) (time.Time, bool) {
	switch r.Status {
	case StatusPending:
		if !r.DueAt.IsZero() {
			return r.DueAt, true
		}
		return r.ExpiresAt, true
	case StatusDeciding:
		if !r.DueAt.IsZero() {
			return r.DueAt, true
		}
		if r.Outcome != nil {
			if t, err := time.Parse(time.RFC3339, r.Outcome.DecidedAt); err == nil {
				return t.Add(lease), true
			}
		}
		return r.CreatedAt.Add(lease), true
	}
	return time.Time{}, false
}
