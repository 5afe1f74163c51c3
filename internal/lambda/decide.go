package lambda

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

const (
	// maxVoteAttempts bounds the compare-and-swap loop of one vote.
	maxVoteAttempts = 8
	// sfnCallTimeout bounds one delivery to Step Functions (SDK retries
	// included).
	sfnCallTimeout = 10 * time.Second
	// resendAfter is how long after a decision another request may re-send
	// it: longer than sfnCallTimeout, so the request that decided is done
	// trying and two deliveries never overlap.
	resendAfter = sfnCallTimeout + 5*time.Second
)

var (
	// errStepFunctions: the decision is recorded (status deciding) but Step
	// Functions could not be told; the next attempt re-sends it.
	errStepFunctions = errors.New("the decision is recorded but Step Functions could not be told yet")
	// errTaskClosed: Step Functions no longer waits for the token (timed out,
	// stopped, or unknown), so the decision came too late.
	errTaskClosed = errors.New("the workflow no longer waits for this request")
	// errBeingDelivered: the request is deciding and its re-send lease has
	// not run out: the request that decided (or the sweep) may still be
	// delivering it. It is not decided yet, for anyone.
	errBeingDelivered = errors.New("the decision is being delivered to the workflow")
)

// taskClosed reports whether err is Step Functions saying the token is no
// longer open: TaskTimedOut, TaskDoesNotExist or InvalidToken.
func taskClosed(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "TaskTimedOut", "TaskDoesNotExist", "InvalidToken":
		return true
	}
	return false
}

func (c *Callback) store() store { return store{db: c.DB, table: c.Config.TableName} }

// vote records v on request id and, when it decides the request, tells Step
// Functions. Concurrent votes serialise on the item's version: each attempt
// reads the item, applies the rules and writes it back only if nobody wrote
// in between. A request left in status deciding by an earlier failure to
// reach Step Functions is re-sent first, once resendAfter has passed since
// the decision (before that, the request that decided may still be
// delivering it). check, when not nil, vets the request as read before
// anything else (a link must have been issued for it). It returns the
// request as last seen.
func (c *Callback) vote(ctx context.Context, id string, v approval.Vote, check func(approval.Request) error) (approval.Request, approval.Result, error) {
	db := c.store()
	var seen *approval.Request // the item as re-read after a conflict
	for range maxVoteAttempts {
		var r approval.Request
		if seen != nil {
			r = *seen
		} else {
			var err error
			if r, err = db.get(ctx, id); err != nil {
				return r, 0, err
			}
		}
		if check != nil {
			if err := check(r); err != nil {
				return approval.Request{}, 0, err
			}
		}
		if r.Status == approval.StatusDeciding {
			if c.Now().Before(leaseEnd(r)) {
				return r, 0, errBeingDelivered
			}
			claimed, err := db.claim(ctx, r, c.Now().Add(resendAfter))
			if errors.Is(err, errConflict) {
				seen = nil // someone else re-sends or voted: read again
				continue
			}
			if err != nil {
				return r, 0, err
			}
			if r, err = c.deliver(ctx, claimed, false); err != nil {
				return r, 0, err
			}
			if castDecidingVote(r, v) {
				return r, approval.Decided, nil
			}
			return r, 0, approval.ErrAlreadyDecided
		}
		next, res, err := approval.Apply(r, approval.PolicyFromConfig(c.Config), v)
		if err != nil || res == approval.AlreadyCounted {
			return next, res, err
		}
		if res == approval.Decided {
			// The re-send lease: until then only this request delivers;
			// after it, a click or the sweep re-sends (due_at in the index).
			next.DueAt = c.Now().Add(resendAfter)
		}
		next.WriteID = newWriteID()
		switch err := db.update(ctx, next); {
		case errors.Is(err, errConflict):
			// Either another writer got there first, or our own write
			// committed and its answer was lost (a 5xx or a dropped
			// connection after DynamoDB applied it), so the SDK's retry
			// failed the version condition. The write id tells them apart.
			got, gerr := db.get(ctx, id)
			if gerr != nil {
				return r, 0, gerr
			}
			if got.WriteID != next.WriteID {
				seen = &got
				continue
			}
			c.Log.Info("vote write committed despite an error answer", "request_id", id)
		case err != nil:
			return r, 0, err
		}
		next.Version++
		c.Log.Info("vote", "request_id", id, "decision", v.Decision, "approver", v.Approver.ID, "via", v.Approver.Via,
			"approvals", next.Approvals(), "needed", next.MinApprovals)
		if res == approval.Decided {
			next, err = c.deliver(ctx, next, true)
		}
		return next, res, err
	}
	return approval.Request{}, 0, fmt.Errorf("request %s: too many concurrent votes, try again", id)
}

// leaseEnd is when the re-send lease of a deciding request runs out.
func leaseEnd(r approval.Request) time.Time {
	t, _ := approval.NextDue(r, resendAfter)
	return t
}

// newWriteID returns a random id for one conditional write.
func newWriteID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// castDecidingVote reports whether v is part of r's outcome (a retry by
// someone whose vote decided it).
func castDecidingVote(r approval.Request, v approval.Vote) bool {
	if r.Outcome == nil || (r.Outcome.Decision == approval.OutcomeApproved) != (v.Decision == approval.DecisionApprove) {
		return false
	}
	for _, a := range r.Outcome.Approvers {
		if approval.VoteKey(a) != approval.VoteKey(v.Approver) {
			continue
		}
		// Bare links are all "anonymous": the typed name tells the decider
		// retrying apart from another holder. It only chooses the page
		// shown (the outcome is the same either way), never a decision.
		if a.ID != approval.AnonymousLinkApprover || a.Name == approval.NormalizeName(v.Approver.Name) {
			return true
		}
	}
	return false
}

// deliver sends r's outcome to Step Functions and records that it did. A
// closed token is judged by the execution's history (history.go): delivered
// by an earlier attempt (status decided) or closed without it (status
// expired, errTaskClosed). When the history cannot tell, first decides: on
// a first attempt the decision came too late (expired); on a re-send an
// earlier attempt most likely got through (decided).
func (c *Callback) deliver(ctx context.Context, r approval.Request, first bool) (approval.Request, error) {
	o := r.Outcome
	if o == nil {
		return r, fmt.Errorf("request %s is deciding without an outcome", r.ID)
	}
	out, err := json.Marshal(o)
	if err != nil {
		return r, err
	}
	sctx, cancel := context.WithTimeout(ctx, sfnCallTimeout)
	defer cancel()
	if o.Decision == approval.OutcomeApproved {
		_, err = c.SFN.SendTaskSuccess(sctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(r.Token), Output: aws.String(string(out))})
	} else {
		_, err = c.SFN.SendTaskFailure(sctx, &sfn.SendTaskFailureInput{
			TaskToken: aws.String(r.Token), Error: aws.String(approval.ErrorRejected), Cause: aws.String(string(out)),
		})
	}
	var result error
	verdict := deliveryUnknown
	if err != nil && taskClosed(err) {
		// Closed: by our own earlier attempt, or without the decision?
		// The execution's history says, where it can (history.go).
		verdict = c.deliveryPerHistory(ctx, r)
	}
	switch {
	case err == nil:
		r.Status = approval.StatusDecided
	case taskClosed(err) && verdict == deliveryProven:
		r.Status = approval.StatusDecided
	case taskClosed(err) && (first || verdict == deliveryMissed):
		r.Status, result = approval.StatusExpired, errTaskClosed
		// Closed without the decision: if the execution was stopped (and
		// its status change event has not marked the request yet), say so
		// on the pages and the message.
		if status, at, ok := c.stoppedExecution(ctx, r); ok {
			r = approval.MarkStopped(r, status, at)
		}
	case taskClosed(err):
		// A re-send, and the history cannot tell: an earlier attempt
		// most likely got through (the rule before the history check).
		r.Status = approval.StatusDecided
		c.Log.Warn("delivery not verified", "request_id", r.ID, "history", verdict.String())
	case sfnAccessDenied(err):
		c.Log.Error("configuration error: step functions refused the callback; add the request's state machine to allowed_state_machine_arns",
			"request_id", r.ID, "state_machine", r.StateMachineID, "setting", "allowed_state_machine_arns", "error", err.Error())
		return r, fmt.Errorf("%w: %w", errNotAllowed, err)
	default:
		c.Log.Error("step functions call failed", "request_id", r.ID, "decision", o.Decision, "error", err.Error())
		return r, fmt.Errorf("%w: %w", errStepFunctions, err)
	}
	switch err := c.store().update(ctx, r); {
	case err == nil:
		r.Version++
	case !errors.Is(err, errConflict): // a concurrent re-send recorded it: fine
		c.Log.Warn("final status not recorded", "request_id", r.ID, "status", r.Status, "error", err.Error())
	}
	ids, vias := make([]string, len(o.Approvers)), make([]string, len(o.Approvers))
	for i, a := range o.Approvers {
		ids[i], vias[i] = a.ID, a.Via
	}
	c.Log.Info("decision", "request_id", r.ID, "decision", o.Decision, "approver", strings.Join(ids, ","),
		"via", strings.Join(vias, ","), "status", r.Status)
	// Final either way (decided, or expired: the task was closed): every
	// message is made to say so (finalize.go).
	c.finalize(ctx, r)
	return r, result
}

// describeOutcome says who decided and when, for people.
func describeOutcome(o *approval.Outcome) string {
	if o == nil {
		return ""
	}
	names := make([]string, len(o.Approvers))
	for i, a := range o.Approvers {
		n := a.Name
		if n == "" {
			n = a.ID
		}
		names[i] = n + " (" + a.Via + ")"
	}
	when := o.DecidedAt
	if t, err := time.Parse(time.RFC3339, o.DecidedAt); err == nil {
		when = approval.FormatTime(t)
	}
	return fmt.Sprintf("%s by %s on %s", capitalize(o.Decision), strings.Join(names, ", "), when)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
