package acctest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// PutStatusChange puts on the default event bus the "Step Functions
// Execution Status Change" event AWS sends when an execution ends
// (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html),
// built from DescribeExecution of executionARN: kumo's Step Functions emits
// no such event (KUMO.md "EventBridge and Scheduler"), so the harness sends
// it. The event goes through kumo's rules: a rule that matches it delivers
// it to its target, as on AWS (kumo delivers EventBridge → Lambda). It
// returns the execution as described. On AWS nobody may put an event with
// a source starting "aws.": this is for the local AWS only.
func PutStatusChange(ctx context.Context, cfg aws.Config, executionARN string) (*sfn.DescribeExecutionOutput, error) {
	d, err := sfn.NewFromConfig(cfg).DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
	if err != nil {
		return nil, fmt.Errorf("status change: describing %s: %w", executionARN, err)
	}
	ms := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.UnixMilli()
	}
	detail, err := json.Marshal(map[string]any{
		"executionArn":    executionARN,
		"stateMachineArn": aws.ToString(d.StateMachineArn),
		"name":            aws.ToString(d.Name),
		"status":          string(d.Status),
		"startDate":       ms(d.StartDate),
		"stopDate":        ms(d.StopDate),
		"input":           aws.ToString(d.Input),
		"output":          d.Output,
	})
	if err != nil {
		return nil, err
	}
	out, err := eventbridge.NewFromConfig(cfg).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source:     aws.String("aws.states"),
		DetailType: aws.String("Step Functions Execution Status Change"),
		Detail:     aws.String(string(detail)),
		Resources:  []string{executionARN},
	}}})
	if err != nil {
		return nil, fmt.Errorf("status change: putting the event: %w", err)
	}
	if out.FailedEntryCount > 0 {
		return nil, fmt.Errorf("status change: the event was refused: %s", aws.ToString(out.Entries[0].ErrorMessage))
	}
	return d, nil
}
