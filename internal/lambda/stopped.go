package lambda

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Stopped executions (issue 11, "every message kept true"): the gate's rule
// <gate>-stopped (internal/gate/stopped.go) invokes the callback with Step
// Functions' "Step Functions Execution Status Change" event when an
// execution is ABORTED, FAILED or TIMED_OUT (approval.ParseStatusChange
// cites AWS's shape). The callback finds the execution's requests through
// the execution index (one Query, never a scan), checks with
// DescribeExecution that the execution did stop, marks each pending one
// expired with Followup.Ended "stopped" (a conditional update on the
// item's version: a concurrent vote wins or is re-read), and updates its
// Slack app message to "Execution stopped", without buttons.
//
// A request being delivered (deciding) is left alone: its delivery finds
// the task closed and ends it (deliver), and a decided one is final. AWS
// delivers the events best effort: a request whose event never came is
// found out by the next click, whose SendTask* answers that the task is
// closed; deliver then asks DescribeExecution why (stoppedExecution).

// stoppedAttempts bounds the re-reads of a request that changed while it
// was being marked.
const stoppedAttempts = 3

// StoppedResult counts what one stopped-execution event did.
type StoppedResult struct {
	Found   int `json:"found"`   // the execution's requests in the index
	Expired int `json:"expired"` // pending requests marked stopped
	Skipped int `json:"skipped"` // not pending (deciding, final) when read
	Failed  int `json:"failed"`  // not marked (retried by EventBridge when the function fails)
}

// Stopped handles a stopped execution's status change event.
func (c *Callback) Stopped(ctx context.Context, ev approval.StatusChange) (StoppedResult, error) {
	c.once.Do(c.init)
	var res StoppedResult
	if !ev.Stopped() {
		return res, nil
	}
	var (
		startKey map[string]types.AttributeValue
		firstErr error
		// verified: Step Functions itself said the execution stopped.
		verified bool
	)
	for {
		out, err := c.DB.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(c.Config.TableName), IndexName: aws.String(approval.ExecutionIndexName),
			KeyConditionExpression:    aws.String("#ex = :ex"),
			ExpressionAttributeNames:  map[string]string{"#ex": approval.ExecutionAttribute},
			ExpressionAttributeValues: map[string]types.AttributeValue{":ex": str(ev.ExecutionARN)},
			ExclusiveStartKey:         startKey,
		})
		if err != nil {
			c.Log.Error("stopped execution: query failed", "execution_id", ev.ExecutionARN, "error", err.Error())
			return res, err
		}
		for _, it := range out.Items {
			id, ok := it["id"].(*types.AttributeValueMemberS)
			if !ok {
				continue
			}
			res.Found++
			switch err := c.markStopped(ctx, id.Value, &ev, &verified); {
			case errors.Is(err, errNotPending):
				res.Skipped++
			case errors.Is(err, errNotStopped):
				// Not confirmed: nothing to mark, nothing to retry.
				c.Log.Warn("stopped execution: not confirmed by step functions; nothing marked", "execution_id", ev.ExecutionARN, "event_status", ev.Status)
				return res, nil
			case err != nil:
				c.Log.Warn("stopped execution: request not marked", "request_id", id.Value, "error", err.Error())
				res.Failed++
				firstErr = cmpErr(firstErr, err)
			default:
				res.Expired++
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		startKey = out.LastEvaluatedKey
	}
	c.Log.Info("stopped execution", "execution_id", ev.ExecutionARN, "status", ev.Status,
		"found", res.Found, "expired", res.Expired, "skipped", res.Skipped, "failed", res.Failed)
	// A failure makes the invocation fail, so EventBridge retries it (its
	// default retry policy); the requests already marked are skipped then.
	return res, firstErr
}

// errNotPending: the request is not pending (any more), nothing to mark.
var errNotPending = errors.New("request is not pending")

// cmpErr keeps the first error.
func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// errNotStopped: DescribeExecution does not confirm the event.
var errNotStopped = errors.New("step functions does not confirm that the execution stopped")

// markStopped marks request id expired because its execution stopped, and
// updates its Slack app message. Before the first request it marks, it asks
// Step Functions (DescribeExecution, *verified) whether the execution did
// stop, and takes the status and stop date from there: an event that did
// not come from Step Functions (only the gate's rule and its own API may
// invoke the callback, but a rule's pattern is not proof) cannot close a
// live request.
func (c *Callback) markStopped(ctx context.Context, id string, ev *approval.StatusChange, verified *bool) error {
	db := c.store()
	for range stoppedAttempts {
		r, err := db.get(ctx, id)
		if errors.Is(err, errNotFound) {
			return errNotPending
		}
		if err != nil {
			return err
		}
		// The index is eventually consistent: the item itself must be of
		// this execution.
		if r.Status != approval.StatusPending || r.ExecutionID != ev.ExecutionARN {
			return errNotPending
		}
		if !*verified {
			status, at, ok := c.stoppedExecution(ctx, r)
			if !ok {
				return errNotStopped
			}
			ev.Status, ev.StopDate, *verified = status, at, true
		}
		r = approval.MarkStopped(r, ev.Status, ev.StopDate)
		r.WriteID = ""
		switch err := db.update(ctx, r); {
		case errors.Is(err, errConflict):
			continue // a vote or the sweep wrote: read again
		case err != nil:
			return err
		}
		c.finalize(ctx, r)
		return nil
	}
	return errConflict
}

// stoppedExecution asks Step Functions whether r's execution stopped
// (ABORTED, FAILED, TIMED_OUT), for a request whose task turned out closed:
// the status change event never came, or not yet. ok is false when r has
// no execution id (no execution context), the execution still runs or
// succeeded, or DescribeExecution failed (logged).
func (c *Callback) stoppedExecution(ctx context.Context, r approval.Request) (status string, at time.Time, ok bool) {
	if r.ExecutionID == "" {
		return "", time.Time{}, false
	}
	sctx, cancel := context.WithTimeout(ctx, sfnCallTimeout)
	defer cancel()
	out, err := c.SFN.DescribeExecution(sctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(r.ExecutionID)})
	if err != nil {
		c.Log.Warn("execution not described", "request_id", r.ID, "error", err.Error())
		return "", time.Time{}, false
	}
	status = string(out.Status)
	if !slices.Contains(approval.StoppedStatuses, status) {
		return "", time.Time{}, false
	}
	return status, aws.ToTime(out.StopDate), true
}
