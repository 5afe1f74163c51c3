package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// proofFake is Step Functions as the notifier's proof sees it: the live task
// tokens (each of one state machine), the executions and their histories.
// Heartbeats on a token of a state machine outside allowedByRole fail with
// AccessDeniedException, as AWS does when the role's states:SendTaskHeartbeat
// does not cover the task's state machine.
type proofFake struct {
	mu            sync.Mutex
	live          map[string]string // token → state machine ARN
	closed        map[string]bool
	allowedByRole []string // empty: any
	executions    map[string]*sfn.DescribeExecutionOutput
	history       map[string][]sfntypes.HistoryEvent // newest first
	heartbeatErr  error
	calls         map[string]int
}

func newProofFake() *proofFake {
	return &proofFake{live: map[string]string{testTaskToken: testSM}, closed: map[string]bool{},
		executions: map[string]*sfn.DescribeExecutionOutput{}, history: map[string][]sfntypes.HistoryEvent{}, calls: map[string]int{}}
}

const testSM = "arn:aws:states:eu-west-1:123456789012:stateMachine:deploy"

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

func (f *proofFake) SendTaskHeartbeat(_ context.Context, in *sfn.SendTaskHeartbeatInput, _ ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["SendTaskHeartbeat"]++
	if f.heartbeatErr != nil {
		return nil, f.heartbeatErr
	}
	tok := aws.ToString(in.TaskToken)
	sm, ok := f.live[tok]
	switch {
	case f.closed[tok]:
		return nil, &sfntypes.TaskTimedOut{Message: aws.String("closed")}
	case !ok:
		return nil, &sfntypes.InvalidToken{Message: aws.String("Invalid token")}
	case len(f.allowedByRole) > 0 && !contains(f.allowedByRole, sm):
		return nil, apiErr("AccessDeniedException")
	}
	return &sfn.SendTaskHeartbeatOutput{}, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (f *proofFake) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DescribeExecution"]++
	ex, ok := f.executions[aws.ToString(in.ExecutionArn)]
	if !ok {
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("no such execution")}
	}
	return ex, nil
}

func (f *proofFake) GetExecutionHistory(_ context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["GetExecutionHistory"]++
	if !in.ReverseOrder {
		return nil, errors.New("the notifier must read the history newest first")
	}
	evs := f.history[aws.ToString(in.ExecutionArn)]
	start := 0
	if in.NextToken != nil {
		_ = json.Unmarshal([]byte(*in.NextToken), &start)
	}
	end := min(start+int(in.MaxResults), len(evs))
	out := &sfn.GetExecutionHistoryOutput{Events: evs[start:end]}
	if end < len(evs) {
		b, _ := json.Marshal(end)
		out.NextToken = aws.String(string(b))
	}
	return out, nil
}

// addExecution records a RUNNING execution of testSM whose state stateName
// scheduled the notifier with payload p, behind filler newer events.
func (f *proofFake) addExecution(p approval.Payload, stateName string, filler int) {
	f.executions[p.ExecutionID] = &sfn.DescribeExecutionOutput{
		ExecutionArn: aws.String(p.ExecutionID), StateMachineArn: aws.String(testSM), Status: sfntypes.ExecutionStatusRunning,
	}
	params, _ := json.Marshal(map[string]any{"FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:g-notifier", "Payload": p})
	evs := []sfntypes.HistoryEvent{}
	id := int64(filler + 10)
	for range filler {
		evs = append(evs, sfntypes.HistoryEvent{Id: id, Type: sfntypes.HistoryEventTypePassStateExited})
		id--
	}
	evs = append(evs,
		sfntypes.HistoryEvent{Id: 4, PreviousEventId: 3, Type: sfntypes.HistoryEventTypeTaskStarted},
		sfntypes.HistoryEvent{Id: 3, PreviousEventId: 2, Type: sfntypes.HistoryEventTypeTaskScheduled,
			TaskScheduledEventDetails: &sfntypes.TaskScheduledEventDetails{Parameters: aws.String(string(params)), Resource: aws.String("invoke.waitForTaskToken")}},
		sfntypes.HistoryEvent{Id: 2, PreviousEventId: 1, Type: sfntypes.HistoryEventTypeTaskStateEntered,
			StateEnteredEventDetails: &sfntypes.StateEnteredEventDetails{Name: aws.String(stateName)}},
		sfntypes.HistoryEvent{Id: 1, Type: sfntypes.HistoryEventTypeExecutionStarted},
	)
	f.history[p.ExecutionID] = evs
}

// errorTypeOf runs err through aws-lambda-go the way it answers the Runtime
// API: the errorType Step Functions sees.
func errorTypeOf(t *testing.T, err error) string {
	t.Helper()
	ive, ok := err.(messages.InvokeResponse_Error) //nolint:errorlint // aws-lambda-go asserts the type itself, not errors.As
	if !ok {
		t.Fatalf("handler error %T is not a messages.InvokeResponse_Error: aws-lambda-go would report its Go type name", err)
	}
	return ive.Type
}

// TestNotifier_errorTypes: each failure reaches Step Functions under a stable
// name. aws-lambda-go (lambda/errors.go, lambdaErrorResponse) reports the Go
// type name of a returned error ("errorString") unless the error is a
// messages.InvokeResponse_Error value, so the test checks both the value and
// what lambda.NewHandler, the function Start runs, returns.
func TestNotifier_errorTypes(t *testing.T) {
	t.Parallel()
	noToken := basicPayload()
	noToken.Token = ""
	forged := basicPayload()
	forged.Token = "forged-token"
	tests := []struct {
		name   string
		raw    json.RawMessage
		mutate func(*ntHarness)
		want   string
	}{
		{"not JSON", json.RawMessage(`[1]`), nil, approval.ErrorInvalidRequest},
		{"no token", payload(t, noToken), nil, approval.ErrorInvalidRequest},
		{"forged token", payload(t, forged), nil, approval.ErrorInvalidRequest},
		{"heartbeat throttled", payload(t, basicPayload()), func(h *ntHarness) { h.sfn.heartbeatErr = apiErr("ThrottlingException") }, approval.ErrorNotifyFailed},
		{"secrets unreadable", payload(t, basicPayload()), func(h *ntHarness) { delete(h.ssm.params, "/g/webhook-secret") }, approval.ErrorNotifyFailed},
		{"every channel failed", payload(t, basicPayload()), func(h *ntHarness) { h.snsErr = errors.New("AuthorizationError") }, approval.ErrorNotifyFailed},
	}
	fail := func(int, recorded) (int, map[string]string, string) { return 400, nil, "invalid_payload" }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newNotifier(t, approval.SlackFormatBlocks, fail, fail, func(c *approval.Config) { c.AllowedStateMachineARNs = nil })
			h.sfn.executions = map[string]*sfn.DescribeExecutionOutput{}
			h.n.SFN = noContextProof{h.sfn}
			if tt.mutate != nil {
				tt.mutate(h)
			}
			_, err := h.n.Handle(context.Background(), tt.raw)
			if got := errorTypeOf(t, err); got != tt.want {
				t.Errorf("errorType = %q, want %q (%v)", got, tt.want, err)
			}
			_, err = lambda.NewHandler(h.n.Handle).Invoke(context.Background(), tt.raw)
			if got := errorTypeOf(t, err); got != tt.want {
				t.Errorf("through lambda.NewHandler: errorType = %q, want %q", got, tt.want)
			}
		})
	}
}

// noContextProof hides the execution context checks (the payloads of
// TestNotifier_errorTypes name an execution the fake does not know).
type noContextProof struct{ *proofFake }

func (f noContextProof) DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, o ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	return &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, StateMachineArn: aws.String(testSM), Status: sfntypes.ExecutionStatusRunning}, nil
}

func (f noContextProof) GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, o ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	p := basicPayload()
	f.addExecution(p, p.StateName, 0)
	return f.proofFake.GetExecutionHistory(ctx, in, o...)
}

// TestNotifier_proof: a direct invocation notifies nobody unless its token is
// a live task of an allowed state machine; with execution context the
// execution's own record is what approvers see.
func TestNotifier_proof(t *testing.T) {
	t.Parallel()
	otherSM := "arn:aws:states:eu-west-1:123456789012:stateMachine:other"
	tests := []struct {
		name   string
		p      func() approval.Payload
		setup  func(f *proofFake, p approval.Payload)
		want   string // "" = accepted
		wantTy string
	}{
		{"made-up token", func() approval.Payload { p := noCtx(); p.Token = "x"; return p }, nil, "not a task of Step Functions (InvalidToken)", approval.ErrorInvalidRequest},
		{"closed token", noCtx, func(f *proofFake, _ approval.Payload) { f.closed[testTaskToken] = true }, "already closed", approval.ErrorInvalidRequest},
		{"token of a state machine the role may not heartbeat", noCtx, func(f *proofFake, _ approval.Payload) {
			f.live[testTaskToken] = otherSM
			f.allowedByRole = []string{testSM}
		}, "not of an allowed state machine", approval.ErrorInvalidRequest},
		{"token too long", func() approval.Payload { p := noCtx(); p.Token = strings.Repeat("t", 2049); return p }, nil, "longer than Step Functions' 2048", approval.ErrorInvalidRequest},
		{"live token, no context", noCtx, nil, "", ""},
		{"execution unknown", basicPayload, func(f *proofFake, p approval.Payload) { delete(f.executions, p.ExecutionID) }, "does not exist (ExecutionDoesNotExist)", approval.ErrorInvalidRequest},
		{"execution not running", basicPayload, func(f *proofFake, p approval.Payload) {
			f.addExecution(p, p.StateName, 0)
			f.executions[p.ExecutionID].Status = sfntypes.ExecutionStatusSucceeded
		}, "is SUCCEEDED, not RUNNING", approval.ErrorInvalidRequest},
		{"execution of another state machine than the payload says", basicPayload, func(f *proofFake, p approval.Payload) {
			f.addExecution(p, p.StateName, 0)
			f.executions[p.ExecutionID].StateMachineArn = aws.String(otherSM)
		}, "belongs to " + otherSM, approval.ErrorInvalidRequest},
		{"token not scheduled by this execution", basicPayload, func(f *proofFake, p approval.Payload) {
			q := p
			q.Token = "another-token"
			f.addExecution(q, p.StateName, 0)
		}, "no task of execution", approval.ErrorInvalidRequest},
		{"state name differs", basicPayload, func(f *proofFake, p approval.Payload) { f.addExecution(p, "OtherStep", 0) }, "issued by state", approval.ErrorInvalidRequest},
		{"history without the task", basicPayload, func(f *proofFake, p approval.Payload) { delete(f.history, p.ExecutionID) },
			"no task of execution", approval.ErrorInvalidRequest},
		{"found on a later page", basicPayload, func(f *proofFake, p approval.Payload) { f.addExecution(p, p.StateName, 250) }, "", ""},
		{"accepted", basicPayload, func(f *proofFake, p approval.Payload) { f.addExecution(p, p.StateName, 0) }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, nil)
			p := tt.p()
			if tt.setup != nil {
				tt.setup(h.sfn, p)
			}
			res, err := h.n.Handle(context.Background(), payload(t, p))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Sent) == 0 {
					t.Errorf("nobody notified: %+v", res)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if got := errorTypeOf(t, err); got != tt.wantTy {
				t.Errorf("errorType = %q, want %q", got, tt.wantTy)
			}
			if h.db.puts != 0 || len(h.slack.requests()) != 0 || len(h.hook.requests()) != 0 || len(h.published) != 0 {
				t.Errorf("refused invocation had effects: %d puts, %d Slack posts, %d webhook posts, %d publishes",
					h.db.puts, len(h.slack.requests()), len(h.hook.requests()), len(h.published))
			}
		})
	}
}

func noCtx() approval.Payload {
	p := basicPayload()
	p.ExecutionID, p.StateMachineID, p.StateName = "", "", ""
	return p
}

// TestNotifier_proofUsesRecordedPayload: a caller that holds a genuine token
// and invokes the notifier with its own title and input gets the
// execution's own record shown, not its forgery.
func TestNotifier_proofUsesRecordedPayload(t *testing.T) {
	t.Parallel()
	h := newNotifier(t, approval.SlackFormatNone, nil, nil, nil)
	genuine := basicPayload()
	genuine.Title = "Production: deploy v42"
	h.sfn.addExecution(genuine, genuine.StateName, 3)
	forged := genuine
	forged.Title = "Staging: docs typo fix"
	forged.Input = json.RawMessage(`{"env":"staging"}`)
	if _, err := h.n.Handle(context.Background(), payload(t, forged)); err != nil {
		t.Fatal(err)
	}
	r := h.db.request(wantID)
	if r.Title != genuine.Title || r.RequestedBy != "carol" {
		t.Errorf("stored title %q requester %q: want the execution's own (%q, carol)", r.Title, r.RequestedBy, genuine.Title)
	}
	if got := h.sfn.calls; got["SendTaskHeartbeat"] != 1 || got["DescribeExecution"] != 1 || got["GetExecutionHistory"] != 1 {
		t.Errorf("calls %v, want one of each", got)
	}
	if !strings.Contains(h.logs.String(), `"from_history":true`) {
		t.Error("proof not logged")
	}
}
