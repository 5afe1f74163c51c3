package gate

import (
	"context"
	"testing"
	"time"
)

// TestWaitBudget: the resource's timeouts (a deadline on ctx) bound every
// wait; without one the wait's own bound applies.
func TestWaitBudget(t *testing.T) {
	if got := waitBudget(context.Background(), 10*time.Minute); got != 10*time.Minute {
		t.Errorf("without a deadline: %s, want the default", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if got := waitBudget(ctx, 10*time.Minute); got <= 10*time.Minute || got > time.Hour {
		t.Errorf("with an hour left: %s, want the hour (the operation's timeout replaces the default)", got)
	}
}
