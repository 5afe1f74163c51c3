package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// NotifierSFN is the part of *sfn.Client the notifier uses to prove that an
// invocation comes from a live task of an allowed state machine.
type NotifierSFN interface {
	SendTaskHeartbeat(ctx context.Context, in *sfn.SendTaskHeartbeatInput, opts ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, opts ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, opts ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
}

// Bounds of the proof.
const (
	// maxTaskTokenLength is the longest task token Step Functions accepts
	// (SendTaskHeartbeat's taskToken: 1 to 2,048 characters).
	maxTaskTokenLength = 2048
	// historyPageSize and maxHistoryPages bound the search of the execution's
	// history for the task's TaskScheduled event. It is among the newest
	// events when the notifier runs (TaskScheduled, TaskStarted), so reading
	// the history newest first finds it on the first page unless hundreds of
	// parallel branches moved in between.
	historyPageSize = 100
	maxHistoryPages = 5
)

// proof is what proving an invocation cost, for the logs.
type proof struct {
	calls int
	// fromHistory: the payload was replaced by the one Step Functions
	// recorded in the execution's history.
	fromHistory bool
}

// prove checks that p's task token is a live task of an allowed state
// machine, so a direct invocation with a forged or stolen token notifies
// nobody. It returns the payload to use: with execution context, the one
// Step Functions itself recorded for the task, not the one received.
//
//  1. SendTaskHeartbeat on the token (always). It fails with
//     TaskDoesNotExist or InvalidToken for a made-up token and TaskTimedOut
//     for a closed one. AWS evaluates states:SendTask* against the task's
//     state machine, and the notifier's role may heartbeat only the allowed
//     state machines' tasks, so on AWS a heartbeat that succeeds proves an
//     allowed, live task (AccessDenied otherwise). The heartbeat also
//     restarts the Task's HeartbeatSeconds clock (see
//     approval.HeartbeatGraceSeconds).
//  2. With execution context (execution_id in the payload):
//     DescribeExecution must show the execution RUNNING and its state machine
//     allowed and equal to the payload's; the execution's history must hold
//     the TaskScheduled event that carried this very token, entered from the
//     state named in the payload. That event's parameters are what Step
//     Functions sent: their Payload replaces the received one, so the title,
//     text, fields, input and requester shown to approvers are the
//     execution's own, whoever invoked the function.
func (n *Notifier) prove(ctx context.Context, p approval.Payload) (approval.Payload, proof, error) {
	var pr proof
	if n.SFN == nil {
		return p, pr, notifyFailed(errors.New("the notifier has no Step Functions client to prove the task token; this is always a bug in the provider"))
	}
	if len(p.Token) > maxTaskTokenLength {
		return p, pr, invalidRequest(fmt.Errorf("task token of %d characters is longer than Step Functions' %d", len(p.Token), maxTaskTokenLength))
	}
	pr.calls++
	if _, err := n.SFN.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(p.Token)}); err != nil {
		return p, pr, classifyProofError("the task token", err)
	}
	if p.ExecutionID == "" {
		return p, pr, nil
	}

	pr.calls++
	ex, err := n.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(p.ExecutionID)})
	if err != nil {
		return p, pr, classifyProofError("execution "+p.ExecutionID, err)
	}
	if ex.Status != sfntypes.ExecutionStatusRunning {
		return p, pr, invalidRequest(fmt.Errorf("execution %s is %s, not RUNNING", p.ExecutionID, ex.Status))
	}
	sm := aws.ToString(ex.StateMachineArn)
	if allowed := n.Config.AllowedStateMachineARNs; len(allowed) > 0 && !slices.Contains(allowed, sm) {
		return p, pr, invalidRequest(fmt.Errorf("execution %s belongs to state machine %s, which is not in the gate's allowed_state_machine_arns", p.ExecutionID, sm))
	}
	if p.StateMachineID != "" && !slices.Contains([]string{sm, aws.ToString(ex.StateMachineVersionArn), aws.ToString(ex.StateMachineAliasArn)}, p.StateMachineID) {
		return p, pr, invalidRequest(fmt.Errorf("payload names state machine %s but execution %s belongs to %s", p.StateMachineID, p.ExecutionID, sm))
	}

	recorded, calls, err := n.scheduledPayload(ctx, p)
	pr.calls += calls
	if err != nil {
		return p, pr, err
	}
	pr.fromHistory = true
	return recorded, pr, nil
}

// scheduledPayload finds, newest first, the TaskScheduled event of p's
// execution whose parameters carry p's token, checks the state it was
// scheduled by, and returns the Payload of its parameters.
func (n *Notifier) scheduledPayload(ctx context.Context, p approval.Payload) (approval.Payload, int, error) {
	in := &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(p.ExecutionID), ReverseOrder: true, MaxResults: historyPageSize, IncludeExecutionData: aws.Bool(true),
	}
	var (
		found      *approval.Payload
		enteredID  int64
		calls      int
		stateNames = map[int64]string{}
	)
	for range maxHistoryPages {
		calls++
		out, err := n.SFN.GetExecutionHistory(ctx, in)
		if err != nil {
			return p, calls, classifyProofError("the history of execution "+p.ExecutionID, err)
		}
		for _, ev := range out.Events {
			switch {
			case ev.Type == sfntypes.HistoryEventTypeTaskStateEntered && ev.StateEnteredEventDetails != nil:
				stateNames[ev.Id] = aws.ToString(ev.StateEnteredEventDetails.Name)
			case found == nil && ev.Type == sfntypes.HistoryEventTypeTaskScheduled && ev.TaskScheduledEventDetails != nil:
				if rp, ok := payloadWithToken(aws.ToString(ev.TaskScheduledEventDetails.Parameters), p.Token); ok {
					found, enteredID = &rp, ev.PreviousEventId
				}
			}
		}
		if found != nil {
			if name, ok := stateNames[enteredID]; ok {
				if p.StateName != "" && name != p.StateName {
					return p, calls, invalidRequest(fmt.Errorf("the task token was issued by state %q of execution %s, not by %q", name, p.ExecutionID, p.StateName))
				}
				return completeRecorded(*found, p, name), calls, nil
			}
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if found != nil {
		// The state's entry is older than what was read: the token is the
		// execution's own, the state name cannot be checked.
		return completeRecorded(*found, p, p.StateName), calls, nil
	}
	return p, calls, invalidRequest(fmt.Errorf("no task of execution %s was scheduled with this task token (newest %d events read)", p.ExecutionID, maxHistoryPages*historyPageSize))
}

// completeRecorded fills the execution context of a payload read from the
// history, where the context object's values are already resolved.
func completeRecorded(rec, received approval.Payload, stateName string) approval.Payload {
	rec.Token = received.Token
	if rec.ExecutionID == "" {
		rec.ExecutionID = received.ExecutionID
	}
	if rec.StateMachineID == "" {
		rec.StateMachineID = received.StateMachineID
	}
	if stateName != "" {
		rec.StateName = stateName
	}
	return rec
}

// payloadWithToken parses the parameters of a TaskScheduled event of the
// Lambda integration ({"FunctionName": …, "Payload": {…}}) and returns its
// Payload when that carries token.
func payloadWithToken(parameters, token string) (approval.Payload, bool) {
	var params struct {
		Payload json.RawMessage `json:"Payload"`
	}
	if json.Unmarshal([]byte(parameters), &params) != nil || len(params.Payload) == 0 {
		return approval.Payload{}, false
	}
	var p approval.Payload
	if json.Unmarshal(params.Payload, &p) != nil || p.Token != token {
		return approval.Payload{}, false
	}
	return p, true
}

// classifyProofError turns an AWS error met while proving what into a
// function error: an answer about the token or the execution itself is a
// refusal (InvalidRequest); anything else (throttling, 5xx, a network
// error) may pass (NotifyFailed).
func classifyProofError(what string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "TaskDoesNotExist", "InvalidToken":
			return invalidRequest(fmt.Errorf("%s is not a task of Step Functions (%s): refused, nobody notified", what, api.ErrorCode()))
		case "TaskTimedOut":
			return invalidRequest(fmt.Errorf("%s belongs to a task that is already closed (TaskTimedOut): refused, nobody notified", what))
		case "AccessDeniedException", "AccessDenied":
			return invalidRequest(fmt.Errorf("%s is not of an allowed state machine: the notifier's role may only use the tasks and executions "+
				"of the gate's allowed_state_machine_arns (%s): refused, nobody notified", what, api.ErrorCode()))
		case "ExecutionDoesNotExist", "InvalidArn":
			return invalidRequest(fmt.Errorf("%s does not exist (%s): refused, nobody notified", what, api.ErrorCode()))
		}
	}
	return notifyFailed(fmt.Errorf("proving %s: %w", what, err))
}
