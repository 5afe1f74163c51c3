package lambda

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// A SendTask* call that answers TaskTimedOut (or TaskDoesNotExist,
// InvalidToken) says only that the token is closed, not why: an earlier
// attempt of ours may have delivered the decision (its answer lost, or a
// re-send after a delivery that seemed to fail), or the task timed out or
// its execution was stopped before anything reached it. Before claiming
// delivery the callback reads the execution's history
// (states:GetExecutionHistory, scoped to the allowed state machines'
// executions):
//
//   - a TaskSucceeded whose output, or a TaskFailed (ManualApproval.Rejected)
//     whose cause, is this request's outcome (its request_id) proves delivery;
//   - otherwise a TaskTimedOut, ExecutionTimedOut, ExecutionAborted or an
//     ExecutionFailed with States.Timeout proves that the task closed without
//     it;
//   - anything else (no execution id: include_execution_context off; the
//     history unreadable) is unknown, and the caller keeps its old rule.
//
// AWS: "GetExecutionHistory" and "HistoryEvent" in the Step Functions API
// Reference (TaskSucceededEventDetails.Output, TaskFailedEventDetails.Error
// and Cause). kumo records only Execution* events (kumo-fidelity "8 SFN
// GetExecutionHistory"), so there a delivered task is "unknown" and a
// timed-out one shows as ExecutionFailed States.Timeout; the unit tests
// cover AWS's shapes.

// historyPages bounds the history read (newest first, 1,000 events a page).
const historyPages = 5

type deliveryVerdict int

const (
	deliveryUnknown deliveryVerdict = iota
	deliveryProven
	deliveryMissed
)

func (v deliveryVerdict) String() string {
	switch v {
	case deliveryProven:
		return "delivered"
	case deliveryMissed:
		return "not delivered"
	}
	return "unknown"
}

// deliveryPerHistory tells whether r's outcome reached its execution.
func (c *Callback) deliveryPerHistory(ctx context.Context, r approval.Request) deliveryVerdict {
	if r.ExecutionID == "" {
		return deliveryUnknown
	}
	missed := false
	var next *string
	for range historyPages {
		out, err := c.SFN.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{
			ExecutionArn: aws.String(r.ExecutionID), ReverseOrder: true, MaxResults: 1000, NextToken: next,
			IncludeExecutionData: aws.Bool(true),
		})
		if err != nil {
			c.Log.Warn("execution history not read", "request_id", r.ID, "error", err.Error())
			return deliveryUnknown
		}
		for _, e := range out.Events {
			switch {
			case e.Type == sfntypes.HistoryEventTypeTaskSucceeded && e.TaskSucceededEventDetails != nil:
				if isOutcomeOf(aws.ToString(e.TaskSucceededEventDetails.Output), r.ID) {
					return deliveryProven
				}
			case e.Type == sfntypes.HistoryEventTypeTaskFailed && e.TaskFailedEventDetails != nil:
				d := e.TaskFailedEventDetails
				if aws.ToString(d.Error) == approval.ErrorRejected && isOutcomeOf(aws.ToString(d.Cause), r.ID) {
					return deliveryProven
				}
			case e.Type == sfntypes.HistoryEventTypeTaskTimedOut, e.Type == sfntypes.HistoryEventTypeExecutionTimedOut,
				e.Type == sfntypes.HistoryEventTypeExecutionAborted:
				missed = true
			case e.Type == sfntypes.HistoryEventTypeExecutionFailed && e.ExecutionFailedEventDetails != nil &&
				aws.ToString(e.ExecutionFailedEventDetails.Error) == "States.Timeout":
				missed = true
			}
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	if missed {
		return deliveryMissed
	}
	return deliveryUnknown
}

// isOutcomeOf reports whether s is an outcome JSON of request id.
func isOutcomeOf(s, id string) bool {
	var o struct {
		RequestID string `json:"request_id"`
	}
	return json.Unmarshal([]byte(s), &o) == nil && o.RequestID == id
}
