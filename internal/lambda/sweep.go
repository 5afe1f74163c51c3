package lambda

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// The sweep is the callback function's third entry point (DESIGN.md §8 "The
// clock"): the gate's schedule invokes it every minute. It reads only what
// is due, through the status-due index (never a scan), and
//
//   - re-sends every deciding request whose re-send lease ran out (its first
//     delivery failed and nobody clicked again), claiming a new lease first
//     so a click or an overlapping sweep does not send it at the same time;
//   - sends a pending request's reminder or last call when it is due
//     (remind.go);
//   - marks pending requests past their expiry as expired (they leave the
//     index) and keeps their messages true (finalize.go).
//
// It is bounded in time: it takes no new request once less than
// sweepReserve is left before the function's deadline, and the rest waits
// for the next tick (due items stay due).

const (
	// sweepReserve is the time kept free before the function's deadline:
	// no new request is started after it.
	sweepReserve = 2 * time.Second
	// sweepDefaultBudget bounds a sweep without a deadline (tests, a manual
	// invoke).
	sweepDefaultBudget = 10 * time.Second
	// sweepPage is the Query page size.
	sweepPage = 100
	// sweepWorkers is how many requests one sweep handles at once.
	sweepWorkers = 8
)

// SweepResult counts what one sweep did.
type SweepResult struct {
	Due     int `json:"due"`     // due items the index returned
	Resent  int `json:"resent"`  // deciding requests delivered by this sweep
	Expired int `json:"expired"` // requests marked expired (pending past expiry, or a re-send the workflow no longer waited for)
	// Reminded counts the reminders and last calls sent (claimed: a
	// channel that failed is logged, not retried).
	Reminded int `json:"reminded"`
	// Escalated counts the escalation steps notified (escalate.go).
	Escalated int  `json:"escalated"`
	Skipped   int  `json:"skipped"` // no longer due when re-read (a click, another sweep, a stale index)
	Failed    int  `json:"failed"`  // still not delivered (retried next tick)
	More      bool `json:"more"`    // stopped for time with due items left
}

// Sweep handles every due request it can within its time.
func (c *Callback) Sweep(ctx context.Context) (SweepResult, error) {
	c.once.Do(c.init)
	// The sweep reads the parameters (secrets and configuration document)
	// only when it has work that needs them: a follow-up, a re-send, a
	// Slack message to update.
	start := c.Now()
	budget := sweepDefaultBudget
	if dl, ok := ctx.Deadline(); ok {
		budget = time.Until(dl) - sweepReserve
	}
	stop := start.Add(budget) // on c.Now's clock
	var (
		mu  sync.Mutex
		res SweepResult
	)
	count := func(f func(*SweepResult)) { mu.Lock(); f(&res); mu.Unlock() }
	// Pending requests made under an earlier follow-up schedule move to the
	// gate's first (reschedule.go): once a schedule, then one GetItem a
	// cold start.
	if !c.reschedule(ctx, stop) {
		res.More = true
	}
	var firstErr error
	for _, status := range []string{approval.StatusDeciding, approval.StatusPending} {
		var startKey map[string]types.AttributeValue
		for {
			if !c.Now().Before(stop) {
				res.More = true
				break
			}
			out, err := c.DB.Query(ctx, c.store().statusQuery(status, c.Now(), sweepPage, startKey))
			if err != nil {
				c.Log.Error("sweep query failed", "status", status, "error", err.Error())
				firstErr = err
				break
			}
			res.Due += len(out.Items)
			ids := make(chan string)
			var wg sync.WaitGroup
			for range min(sweepWorkers, len(out.Items)) {
				wg.Go(func() {
					for id := range ids {
						c.sweepOne(ctx, id, status, stop, count)
					}
				})
			}
			for _, it := range out.Items {
				if !c.Now().Before(stop) {
					count(func(r *SweepResult) { r.More = true })
					break
				}
				if id, ok := it["id"].(*types.AttributeValueMemberS); ok {
					ids <- id.Value
				}
			}
			close(ids)
			wg.Wait()
			if res.More || len(out.LastEvaluatedKey) == 0 {
				break
			}
			startKey = out.LastEvaluatedKey
		}
	}
	c.Log.Info("sweep", "due", res.Due, "resent", res.Resent, "expired", res.Expired, "reminded", res.Reminded, "escalated", res.Escalated, "skipped", res.Skipped,
		"failed", res.Failed, "more", res.More, "duration_ms", c.Now().Sub(start).Milliseconds())
	return res, firstErr
}

// sweepOne re-reads one due request (the index is eventually consistent)
// and handles it if it is still due.
func (c *Callback) sweepOne(ctx context.Context, id, status string, stop time.Time, count func(func(*SweepResult))) {
	db := c.store()
	r, err := db.get(ctx, id)
	if err != nil {
		if !errors.Is(err, errNotFound) {
			c.Log.Warn("sweep read failed", "request_id", id, "error", err.Error())
			count(func(s *SweepResult) { s.Failed++ })
			return
		}
		count(func(s *SweepResult) { s.Skipped++ })
		return
	}
	due, open := approval.NextDue(r, resendAfter)
	if !open || r.Status != status || due.After(c.Now()) {
		count(func(s *SweepResult) { s.Skipped++ })
		return
	}
	switch r.Status {
	case approval.StatusDeciding:
		c.sweepDeciding(ctx, r, stop, count)
	case approval.StatusPending:
		c.sweepPending(ctx, r, stop, count)
	}
}

// sweepDeciding re-sends a deciding request whose lease ran out.
func (c *Callback) sweepDeciding(ctx context.Context, r approval.Request, stop time.Time, count func(func(*SweepResult))) {
	claimed, err := c.store().claim(ctx, r, c.Now().Add(resendAfter))
	if errors.Is(err, errConflict) {
		count(func(s *SweepResult) { s.Skipped++ })
		return
	}
	if err != nil {
		c.Log.Warn("sweep claim failed", "request_id", r.ID, "error", err.Error())
		count(func(s *SweepResult) { s.Failed++ })
		return
	}
	// The delivery may use the time up to the function's deadline (not
	// only up to stop): cut short, it stays deciding and is re-sent later.
	dctx, cancel := context.WithTimeout(ctx, stop.Sub(c.Now())+sweepReserve/2)
	defer cancel()
	final, err := c.deliver(dctx, claimed, false)
	switch {
	case errors.Is(err, errTaskClosed):
		count(func(s *SweepResult) { s.Expired++ })
	case err != nil:
		count(func(s *SweepResult) { s.Failed++ })
		return
	default:
		count(func(s *SweepResult) { s.Resent++ })
	}
	c.Log.Info("sweep re-sent", "request_id", r.ID, "status", final.Status) // deliver finalized it
}

// sweepPending handles a pending request that is due: before its expiry a
// follow-up is due (remind.go); past it, it is marked expired (it leaves
// the index).
func (c *Callback) sweepPending(ctx context.Context, r approval.Request, stop time.Time, count func(func(*SweepResult))) {
	if c.Now().Before(r.ExpiresAt) {
		// Escalation steps first (escalate.go), then reminders and the
		// last call (remind.go); what is left due is taken next tick.
		if c.escalate(ctx, r, count) {
			return
		}
		c.sweepFollowup(ctx, r, stop, count)
		return
	}
	r.Status = approval.StatusExpired
	r.WriteID = ""
	if err := c.store().update(ctx, r); err != nil {
		if errors.Is(err, errConflict) {
			count(func(s *SweepResult) { s.Skipped++ })
			return
		}
		c.Log.Warn("sweep update failed", "request_id", r.ID, "error", err.Error())
		count(func(s *SweepResult) { s.Failed++ })
		return
	}
	count(func(s *SweepResult) { s.Expired++ })
	c.Log.Info("expired", "request_id", r.ID, "expires_at", strconv.FormatInt(r.ExpiresAt.Unix(), 10))
	c.finalize(ctx, r)
}
