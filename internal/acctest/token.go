package acctest

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// LiveTask is a task that waits for a callback: what a test needs to invoke
// a gate's notifier directly with a genuine task token, since the notifier
// refuses tokens that are not live tasks (internal/lambda/proof.go).
type LiveTask struct {
	Token           string
	StateMachineARN string
	ExecutionARN    string
}

// StartLiveTask starts an execution of a new state machine (name) whose only
// state is a Task on a new Step Functions activity, and takes the task's
// token as an activity worker would. The Task has HeartbeatSeconds (the
// local AWS crashes on a heartbeat for a task without it) and waits up to
// ten minutes; stop the execution with Close.
func StartLiveTask(ctx context.Context, cfg aws.Config, name string) (*LiveTask, error) {
	c := sfn.NewFromConfig(cfg)
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("creating activity %s: %w", name, err)
	}
	def := fmt.Sprintf(`{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":%q,"HeartbeatSeconds":300,"TimeoutSeconds":600,"End":true}}}`,
		aws.ToString(act.ActivityArn))
	sm, err := CreateStateMachine(ctx, cfg, name, def)
	if err != nil {
		return nil, err
	}
	ex, err := StartExecution(ctx, cfg, sm, `{}`)
	if err != nil {
		return nil, err
	}
	for {
		task, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
		if err != nil {
			return nil, fmt.Errorf("taking the task of %s: %w", name, err)
		}
		if tok := aws.ToString(task.TaskToken); tok != "" {
			return &LiveTask{Token: tok, StateMachineARN: sm, ExecutionARN: ex}, nil
		}
	}
}

// Close ends the task's execution.
func (l *LiveTask) Close(ctx context.Context, cfg aws.Config) error {
	_, err := sfn.NewFromConfig(cfg).StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(l.ExecutionARN)})
	return err
}
