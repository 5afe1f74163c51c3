package approval

import (
	"encoding/json"
	"errors"
	"time"
)

// Stopped executions. When an execution that waits at a gate stops for
// another reason than the gate (it is stopped by hand, fails in a parallel
// branch, or reaches its own TimeoutSeconds), Step Functions sends a
// "Step Functions Execution Status Change" event to the account's default
// event bus (best effort). The gate's rule StoppedRuleSuffix matches those
// whose status is one of StoppedStatuses and invokes the callback with the
// event, which marks the execution's pending requests expired, with
// Followup.Ended = EndedStopped, and updates their messages.
//
// The event, as AWS documents it
// (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html,
// "Step Functions Execution Status Change"; startDate and stopDate are
// milliseconds since the epoch):
//
//	{
//	  "version": "0", "id": "315c1398-40ff-a850-213b-158f73e60175",
//	  "detail-type": "Step Functions Execution Status Change", "source": "aws.states",
//	  "account": "123456789012", "time": "2019-02-26T19:42:21Z", "region": "us-east-1",
//	  "resources": ["arn:aws:states:us-east-1:123456789012:execution:state-machine-name:execution-name"],
//	  "detail": {
//	    "executionArn": "arn:aws:states:us-east-1:123456789012:execution:state-machine-name:execution-name",
//	    "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:state-machine",
//	    "name": "execution-name", "status": "ABORTED",
//	    "startDate": 1551225014968, "stopDate": 1551225017576,
//	    "input": "{}", "output": null
//	  }
//	}
const (
	// StatusChangeSource and StatusChangeDetailType identify the event.
	StatusChangeSource     = "aws.states"
	StatusChangeDetailType = "Step Functions Execution Status Change"
	// ExecutionIndexName is the requests table's global secondary index on
	// execution_id (KEYS_ONLY): the callback finds an execution's requests
	// with one Query.
	ExecutionIndexName = "execution"
	// ExecutionAttribute is the item attribute holding the execution's ARN
	// ($$.Execution.Id), absent without execution context.
	ExecutionAttribute = "execution_id"
)

// StoppedStatuses are the execution statuses that end a wait without the
// gate: an execution the gate ended (its Task failed with
// ManualApproval.Rejected and nothing caught it) is FAILED too, but its
// requests are already final and are left alone.
var StoppedStatuses = []string{"ABORTED", "FAILED", "TIMED_OUT"}

// StatusChange is the part of a Step Functions Execution Status Change
// event the callback reads.
type StatusChange struct {
	ExecutionARN    string
	StateMachineARN string
	Status          string
	// StopDate is when the execution stopped (zero when the event has
	// none).
	StopDate time.Time
}

// ParseStatusChange reads an EventBridge event. ok is false when it is not a
// Step Functions Execution Status Change event; an error means it is one,
// but unreadable or without an execution ARN.
func ParseStatusChange(raw []byte) (c StatusChange, ok bool, err error) {
	var ev struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
		Detail     struct {
			ExecutionARN    string `json:"executionArn"`
			StateMachineARN string `json:"stateMachineArn"`
			Status          string `json:"status"`
			StopDate        *int64 `json:"stopDate"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return c, false, nil //nolint:nilerr // not an event: someone else's shape
	}
	if ev.Source != StatusChangeSource || ev.DetailType != StatusChangeDetailType {
		return c, false, nil
	}
	d := ev.Detail
	if d.ExecutionARN == "" {
		return c, true, errors.New("the status change event has no detail.executionArn")
	}
	c = StatusChange{ExecutionARN: d.ExecutionARN, StateMachineARN: d.StateMachineARN, Status: d.Status}
	if d.StopDate != nil {
		c.StopDate = time.UnixMilli(*d.StopDate).UTC()
	}
	return c, true, nil
}

// Stopped reports whether the status is one of StoppedStatuses.
func (c StatusChange) Stopped() bool {
	for _, s := range StoppedStatuses {
		if c.Status == s {
			return true
		}
	}
	return false
}

// StoppedPattern is the event pattern of the gate's stopped-executions rule:
// the status changes of StoppedStatuses, of the given state machines only
// when there are any (sorted by the caller).
func StoppedPattern(stateMachineARNs []string) string {
	detail := map[string]any{"status": StoppedStatuses}
	if len(stateMachineARNs) > 0 {
		detail["stateMachineArn"] = stateMachineARNs
	}
	b, _ := json.Marshal(map[string]any{
		"source":      []string{StatusChangeSource},
		"detail-type": []string{StatusChangeDetailType},
		"detail":      detail,
	})
	return string(b)
}

// MarkStopped records on r that its execution stopped (status, at): it is
// expired, with Followup.Ended EndedStopped. at may be zero (unknown).
func MarkStopped(r Request, status string, at time.Time) Request {
	r.Status = StatusExpired
	r.Followup.Ended = EndedStopped
	r.Followup.ExecutionStatus = status
	if !at.IsZero() {
		r.Followup.StoppedAt = at.Unix()
	}
	return r
}

// StoppedText says, for people, that r is closed because its execution
// stopped, with how and when when known: "This approval is closed: its
// execution was stopped (ABORTED) at 2026-12-02 13:51 UTC." Empty when r
// did not end so.
func StoppedText(r Request) string {
	if r.Followup.Ended != EndedStopped {
		return ""
	}
	s := "This approval is closed: its execution was stopped"
	if st := r.Followup.ExecutionStatus; st != "" {
		s += " (" + st + ")"
	}
	if r.Followup.StoppedAt > 0 {
		s += " at " + FormatTime(time.Unix(r.Followup.StoppedAt, 0))
	}
	return s + ". The workflow no longer waits for a decision."
}

// SlackStoppedStatusText is the status line of a Slack app message whose
// request's execution stopped.
func SlackStoppedStatusText(r Request) string {
	s := "⏹ Execution stopped"
	if st := r.Followup.ExecutionStatus; st != "" {
		s += " (" + st + ")"
	}
	if r.Followup.StoppedAt > 0 {
		s += " at " + FormatTime(time.Unix(r.Followup.StoppedAt, 0))
	}
	return s + ": the workflow no longer waits for this request."
}
