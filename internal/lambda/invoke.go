package lambda

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Invoke is the callback function's entry point. One function serves three
// kinds of invocation, told apart by their shape:
//
//   - the gate's schedule: approval.SweepInput ({"manualapproval":"sweep"}) or an
//     EventBridge "Scheduled Event": Sweep;
//   - the gate's stopped-executions rule: a Step Functions Execution Status
//     Change event (approval.ParseStatusChange): Stopped;
//   - its own asynchronous hand-over of a verified Slack click
//     ({"manualapproval":"slack-interaction", …}): runSlackJob;
//   - anything else is an HTTP API request (payload format 2.0): Handle.
func (c *Callback) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	c.once.Do(c.init)
	var kind struct {
		Manualapproval string `json:"manualapproval"`
		Source         string `json:"source"`
		DetailType     string `json:"detail-type"`
	}
	_ = json.Unmarshal(raw, &kind)
	switch {
	case kind.Manualapproval == "sweep", kind.Source == "aws.events" && kind.DetailType == "Scheduled Event":
		return c.Sweep(ctx)
	case kind.Source == approval.StatusChangeSource:
		ev, ok, err := approval.ParseStatusChange(raw)
		if !ok || err != nil {
			c.Log.Warn("unreadable status change event", "error", fmt.Sprint(err))
			return struct{}{}, nil
		}
		return c.Stopped(ctx, ev)
	case kind.Manualapproval == jobSlack:
		c.runSlackJob(ctx, raw)
		return struct{}{}, nil
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		// An unreadable request is a 400 page, not a function error.
		return errorPage(400, "Bad request", "The request could not be read."), nil //nolint:nilerr // answered, not failed
	}
	return c.Handle(ctx, req)
}
