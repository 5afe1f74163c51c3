package acctest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// StateMachine builds a definition around a gate's Task state: the Approve
// state (task_state_json merged with Next, a ResultPath of $.approval unless
// it has one, and a Catch for rejections and timeouts), then Approved, Rejected and TimedOut pass states that keep
// what happened in the output.
func StateMachine(taskStateJSON string, overrides map[string]any) (string, error) {
	var approve map[string]any
	if err := json.Unmarshal([]byte(taskStateJSON), &approve); err != nil {
		return "", fmt.Errorf("task_state_json is not JSON: %w", err)
	}
	approve["Next"] = "Approved"
	if _, ok := approve["ResultPath"]; !ok {
		approve["ResultPath"] = "$.approval"
	}
	approve["Catch"] = []any{
		map[string]any{"ErrorEquals": []string{"ManualApproval.Rejected"}, "ResultPath": "$.error", "Next": "Rejected"},
		map[string]any{"ErrorEquals": []string{"States.Timeout", "States.HeartbeatTimeout"}, "ResultPath": "$.error", "Next": "TimedOut"},
	}
	for k, v := range overrides {
		approve[k] = v
	}
	def := map[string]any{
		"Comment": "manualapproval end-to-end test",
		"StartAt": "Approve",
		"States": map[string]any{
			"Approve":  approve,
			"Approved": map[string]any{"Type": "Pass", "Result": "approved", "ResultPath": "$.outcome", "End": true},
			"Rejected": map[string]any{"Type": "Pass", "Result": "rejected", "ResultPath": "$.outcome", "End": true},
			"TimedOut": map[string]any{"Type": "Pass", "Result": "timed out", "ResultPath": "$.outcome", "End": true},
		},
	}
	b, err := json.Marshal(def)
	return string(b), err
}

// CreateStateMachine creates a state machine (the role is not checked by
// the local AWS).
func CreateStateMachine(ctx context.Context, cfg aws.Config, name, definition string) (string, error) {
	out, err := sfn.NewFromConfig(cfg).CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String(name),
		Definition: aws.String(definition),
		RoleArn:    aws.String("arn:aws:iam::000000000000:role/" + name),
	})
	if err != nil {
		return "", fmt.Errorf("creating state machine %s: %w", name, err)
	}
	return aws.ToString(out.StateMachineArn), nil
}

// StartExecution starts an execution with input.
func StartExecution(ctx context.Context, cfg aws.Config, stateMachineARN, input string) (string, error) {
	out, err := sfn.NewFromConfig(cfg).StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(stateMachineARN), Input: aws.String(input)})
	if err != nil {
		return "", fmt.Errorf("starting an execution: %w", err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

// Describe returns the execution's status.
func Describe(ctx context.Context, cfg aws.Config, executionARN string) (*sfn.DescribeExecutionOutput, error) {
	return sfn.NewFromConfig(cfg).DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
}

// WaitDone polls the execution (every 2 ms, bounded by ctx) until it is no
// longer RUNNING.
func WaitDone(ctx context.Context, cfg aws.Config, executionARN string) (*sfn.DescribeExecutionOutput, error) {
	for {
		out, err := Describe(ctx, cfg, executionARN)
		if err != nil {
			return nil, err
		}
		if out.Status != sfntypes.ExecutionStatusRunning {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return out, fmt.Errorf("execution still RUNNING: %w", ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}
