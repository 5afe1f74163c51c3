package lambda

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// getQueryCounter counts GetItem and Query calls.
type getQueryCounter struct {
	*memTable
	mu             sync.Mutex
	gets, nQueries int
}

func (g *getQueryCounter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	g.mu.Lock()
	g.gets++
	g.mu.Unlock()
	return g.memTable.GetItem(ctx, in, o...)
}

func (g *getQueryCounter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	g.mu.Lock()
	g.nQueries++
	g.mu.Unlock()
	return g.memTable.Query(ctx, in, o...)
}

func (g *getQueryCounter) counts() (gets, queries int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gets, g.nQueries
}

// TestSweep_reschedulesPendingToANewSchedule: requests made before the gate
// had reminders are due at their expiry. Once reminders are turned on, the
// first sweep moves them to the new schedule (one whose first reminder is
// already past is reminded in that sweep), writes the marker, and later
// sweeps, in this container or a new one, do not read the pending requests
// again. A decided request is not touched.
func TestSweep_reschedulesPendingToANewSchedule(t *testing.T) {
	t.Parallel()
	h, _, _ := remindHarness(t, func(c *approval.Config) {
		c.SlackFormat = ""
		c.FollowupRev = approval.FollowupRev(c.Followup)
	})
	h.db.items = map[string]map[string]types.AttributeValue{}
	// Made under no schedule: due at their expiry.
	old := pendingRequest(reqID(1))
	old.CreatedAt, old.ExpiresAt = testNow.Add(-20*time.Minute), testNow.Add(40*time.Minute)
	fresh := pendingRequest(reqID(2))
	fresh.CreatedAt, fresh.ExpiresAt = testNow, testNow.Add(time.Hour)
	decided := decidedRequest(reqID(3), approval.StatusDecided)
	for _, r := range []approval.Request{old, fresh} {
		r.DueAt = r.ExpiresAt
		h.db.put(r)
	}
	h.db.put(decided)
	g := &getQueryCounter{memTable: h.db}
	h.cb.DB = g

	res := sweep(t, h)
	if res.Reminded != 1 || res.More {
		t.Errorf("first sweep %+v, want the request whose first reminder is past reminded", res)
	}
	// Three reminder times have passed: one reminder is sent, for the latest.
	if got := h.db.request(old.ID); got.Followup.RemindersSent != 3 || !got.DueAt.After(testNow) {
		t.Errorf("the older request: %+v due %v, want reminded and due later", got.Followup, got.DueAt)
	}
	if got := h.db.request(fresh.ID); !got.DueAt.Equal(testNow.Add(10 * time.Minute)) {
		t.Errorf("the newer request is due %v, want its first reminder %v", got.DueAt, testNow.Add(10*time.Minute))
	}
	if got := h.db.request(decided.ID); got.Version != decided.Version {
		t.Errorf("the decided request was written: version %d → %d", decided.Version, got.Version)
	}
	marker := h.db.items[rescheduleMarkerID]
	if rev, _ := marker["followup_rev"].(*types.AttributeValueMemberS); rev == nil || rev.Value != h.cb.Config.FollowupRev {
		t.Errorf("marker %v, want the schedule %s", marker, h.cb.Config.FollowupRev)
	}
	if _, ok := marker["status"]; ok {
		t.Error("the marker has a status: it would be in the status-due index")
	}

	// The same container: no marker read, no pass.
	gets, queries := g.counts()
	sweep(t, h)
	if g2, q2 := g.counts(); g2 != gets || q2 != queries+2 {
		t.Errorf("second sweep: %d GetItem and %d Query, want none and the 2 due queries", g2-gets, q2-queries)
	}
	// A new container reads the marker once, and finds the pass done.
	h.cb.rescheduled.Store(false)
	gets, queries = g.counts()
	sweep(t, h)
	if g2, q2 := g.counts(); g2 != gets+1 || q2 != queries+2 {
		t.Errorf("new container: %d GetItem and %d Query, want the marker and the 2 due queries", g2-gets, q2-queries)
	}
	// The marker is never a request.
	if _, err := h.cb.store().get(context.Background(), rescheduleMarkerID); !errors.Is(err, errNotFound) {
		t.Errorf("store.get of the marker: %v, want not found", err)
	}
}

// TestSweep_noScheduleNoPass: a gate without a follow-up schedule reads no
// marker and makes no pass.
func TestSweep_noScheduleNoPass(t *testing.T) {
	t.Parallel()
	h := newCallback(t, nil)
	g := &getQueryCounter{memTable: h.db}
	h.cb.DB = g
	sweep(t, h)
	if gets, _ := g.counts(); gets != 0 || h.db.items[rescheduleMarkerID] != nil {
		t.Errorf("%d GetItem, marker %v: want none", gets, h.db.items[rescheduleMarkerID])
	}
}

// TestSweep_reschedulesAgainWhenCutShort: a pass that runs out of time
// writes no marker, and the next sweep completes it.
func TestSweep_reschedulesAgainWhenCutShort(t *testing.T) {
	t.Parallel()
	h, _, r := remindHarness(t, func(c *approval.Config) {
		c.SlackFormat = ""
		c.FollowupRev = approval.FollowupRev(c.Followup)
	})
	r.DueAt = r.ExpiresAt
	h.db.put(r)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(sweepReserve)) // no time left
	defer cancel()
	if res, _ := h.cb.Sweep(ctx); !res.More || h.db.items[rescheduleMarkerID] != nil {
		t.Fatalf("a sweep out of time: %+v, marker %v; want More and no marker", res, h.db.items[rescheduleMarkerID])
	}
	sweep(t, h)
	if got := h.db.request(r.ID); !got.DueAt.Equal(testNow.Add(10*time.Minute)) || h.db.items[rescheduleMarkerID] == nil {
		t.Errorf("after the next sweep: due %v, marker %v", got.DueAt, h.db.items[rescheduleMarkerID])
	}
}
