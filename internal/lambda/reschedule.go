package lambda

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Moving pending requests to a new follow-up schedule. A pending request's
// due_at is the time of its next follow-up under the schedule it was made
// with (approval.NextFollowup). When the gate's schedule changes (reminders
// turned on, an escalation step added or moved), the requests already
// pending would keep their old due time: reminders switched on would never
// reach them. So the sweep moves them, once per schedule:
//
//   - the gate's callback knows its schedule's name from its environment
//     (approval.Config.FollowupRev, "" when nothing is scheduled: no cost);
//   - a marker item (id rescheduleMarkerID, no status: in no index) holds
//     the name of the schedule every pending request was last moved to;
//     each container reads it once (one GetItem a cold start);
//   - when it names another schedule, the sweep reads the pending requests
//     (the status-due index, status pending, every due time: reads bounded
//     by the pending requests, not the table), writes the new due_at of
//     each whose due time moves (the version compare-and-swap of every
//     write: a click in between wins, and its write keeps the request's
//     new state), and then records the schedule in the marker.
//
// Cut short by the sweep's time budget, the pass starts again at the next
// tick; requests already moved are not written again. A request made by a
// notifier still running the old configuration while the pass runs keeps
// its old due time (the deploy window of a few seconds).

// rescheduleMarkerID is the marker item's id. Request ids are random hex:
// no request has it, and store.get refuses ids that start with "#".
const rescheduleMarkerID = "#followup-schedule"

// reschedule moves the pending requests to the gate's follow-up schedule if
// the marker says they are not on it yet. It reports whether the pass is
// done (or not needed).
func (c *Callback) reschedule(ctx context.Context, stop time.Time) bool {
	rev := c.Config.FollowupRev
	if rev == "" || c.rescheduled.Load() {
		return true
	}
	out, err := c.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(c.Config.TableName), Key: c.store().key(rescheduleMarkerID), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		c.Log.Warn("reschedule: marker not read", "error", err.Error())
		return false
	}
	if have, _ := out.Item["followup_rev"].(*types.AttributeValueMemberS); have != nil && have.Value == rev {
		c.rescheduled.Store(true)
		return true
	}
	// The schedule itself is in the configuration document.
	if err := c.ready(ctx); err != nil {
		c.Log.Warn("reschedule: configuration not read", "error", err.Error())
		return false
	}
	moved, seen, done := 0, 0, true
	var startKey map[string]types.AttributeValue
	for {
		if !c.Now().Before(stop) {
			done = false
			break
		}
		page, err := c.DB.Query(ctx, c.store().statusQuery(approval.StatusPending, time.Time{}, sweepPage, startKey))
		if err != nil {
			c.Log.Warn("reschedule: query failed", "error", err.Error())
			return false
		}
		for _, it := range page.Items {
			seen++
			r, err := c.fullItem(ctx, it)
			if errors.Is(err, errNotFound) {
				continue // removed since the index was read
			}
			if err != nil {
				c.Log.Warn("reschedule: request not read", "error", err.Error())
				done = false
				continue
			}
			ok, err := c.moveDue(ctx, r)
			if err != nil {
				c.Log.Warn("reschedule: request not moved", "request_id", r.ID, "error", err.Error())
				done = false
			}
			if ok {
				moved++
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			break
		}
		startKey = page.LastEvaluatedKey
	}
	c.Log.Info("reschedule", "followup_rev", rev, "pending", seen, "moved", moved, "done", done)
	if !done {
		return false
	}
	if _, err := c.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(c.Config.TableName),
		Item:      map[string]types.AttributeValue{"id": str(rescheduleMarkerID), "followup_rev": str(rev)},
	}); err != nil {
		c.Log.Warn("reschedule: marker not written", "error", err.Error())
		return false
	}
	c.rescheduled.Store(true)
	return true
}

// moveDue writes pending request r's due time under the gate's schedule,
// when it moves. A conflicting write (a click, a sweep) is re-read: the
// request may have been decided meanwhile, or still need moving.
func (c *Callback) moveDue(ctx context.Context, r approval.Request) (bool, error) {
	for range 3 {
		if r.Status != approval.StatusPending {
			return false, nil
		}
		due := approval.NextFollowup(c.Config.Followup, r)
		if due.Equal(r.DueAt) {
			return false, nil
		}
		r.DueAt, r.WriteID = due, ""
		err := c.store().update(ctx, r)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, errConflict) {
			return false, err
		}
		if r, err = c.store().get(ctx, r.ID); errors.Is(err, errNotFound) {
			return false, nil
		} else if err != nil {
			return false, err
		}
	}
	return false, errConflict
}
