package lambda

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

const testParamConfig = "/g/config"

// withConfigDoc moves the document's fields of c into the configuration
// parameter, as the gate does: the environment names only the parameter.
func withConfigDoc(f *ssmFake, c *approval.Config, doc approval.ConfigDoc) {
	c.ParamConfig = testParamConfig
	c.Approvers, c.ApproverGroups, c.AllowedStateMachineARNs, c.Inputs = nil, nil, nil, nil
	f.mu.Lock()
	defer f.mu.Unlock()
	f.params[testParamConfig] = doc.Render()
}

// The notifier reads the allowed state machines from the configuration
// document before it checks the payload: a state machine not in it is
// refused (InvalidRequest) after one GetParameters call that also read the
// secrets; one in it is served without a second call.
func TestNotifier_configDocument(t *testing.T) {
	t.Parallel()
	other := approval.ConfigDoc{AllowedStateMachineARNs: []string{"arn:aws:states:eu-west-1:123456789012:stateMachine:other"}}
	h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, nil)
	withConfigDoc(h.ssm, &h.n.Config, other)
	_, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
	if err == nil || fnErrorType(err) != approval.ErrorInvalidRequest || !strings.Contains(err.Error(), "not in the gate's allowed_state_machine_arns") {
		t.Fatalf("err = %v (%s), want an InvalidRequest naming allowed_state_machine_arns", err, fnErrorType(err))
	}
	if h.db.puts != 0 || len(h.slack.requests()) != 0 || h.ssm.calls != 1 {
		t.Errorf("refused payload: %d puts, %d Slack posts, %d GetParameters calls (want 0, 0, 1)", h.db.puts, len(h.slack.requests()), h.ssm.calls)
	}

	deploy := approval.ConfigDoc{AllowedStateMachineARNs: []string{basicPayload().StateMachineID}, Approvers: []string{"erin@example.com"}}
	ok := newNotifier(t, approval.SlackFormatBlocks, nil, nil, nil)
	withConfigDoc(ok.ssm, &ok.n.Config, deploy)
	if _, err := ok.n.Handle(context.Background(), payload(t, basicPayload())); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if ok.ssm.calls != 1 || ok.db.puts != 1 {
		t.Errorf("%d GetParameters calls and %d puts, want 1 and 1", ok.ssm.calls, ok.db.puts)
	}
	if !slices.Equal(ok.n.Config.Approvers, deploy.Approvers) {
		t.Errorf("approvers = %v, want the document's %v", ok.n.Config.Approvers, deploy.Approvers)
	}
}

// A configuration parameter that is missing or not a document is the
// gate's failure (NotifyFailed), and nothing is stored or sent.
func TestNotifier_configDocumentUnreadable(t *testing.T) {
	t.Parallel()
	for name, value := range map[string]string{"missing": "", "not a document": `{"approvers":["not an identity"]}`} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, nil)
			withConfigDoc(h.ssm, &h.n.Config, approval.ConfigDoc{})
			if value == "" {
				delete(h.ssm.params, testParamConfig)
			} else {
				h.ssm.params[testParamConfig] = value
			}
			_, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
			if err == nil || fnErrorType(err) != approval.ErrorNotifyFailed || !strings.Contains(err.Error(), testParamConfig) {
				t.Fatalf("err = %v (%s), want a NotifyFailed naming %s", err, fnErrorType(err), testParamConfig)
			}
			if h.db.puts != 0 || len(h.slack.requests()) != 0 {
				t.Errorf("%d puts, %d Slack posts after an unreadable configuration", h.db.puts, len(h.slack.requests()))
			}
		})
	}
}

// The callback reads the document before routing: its inputs and approvers
// come from it; without it every page is a 500 and nothing is read or
// written.
func TestCallback_configDocument(t *testing.T) {
	t.Parallel()
	doc := approval.ConfigDoc{Approvers: []string{"U0ALICE"}, Inputs: []approval.InputSpec{{Name: "ticket", Type: approval.InputString, Label: "Ticket"}}}
	h := newCallback(t, nil)
	withConfigDoc(h.ssm, &h.cb.Config, doc)
	r := pendingRequest(reqID(3))
	h.db.put(r)
	resp := h.do(httpEvent(http.MethodGet, "/r/"+r.ID, h.linkQuery(r, approval.DecisionApprove), "", nil))
	if !strings.Contains(resp.Body, "Sign-in required") {
		t.Fatalf("page %d does not apply the document's approvers (a link alone must not approve):\n%s", resp.StatusCode, resp.Body)
	}
	if h.ssm.calls != 1 || !slices.Equal(h.cb.Config.Approvers, []string{"U0ALICE"}) {
		t.Errorf("%d GetParameters calls, approvers %v", h.ssm.calls, h.cb.Config.Approvers)
	}

	bad := newCallback(t, nil)
	withConfigDoc(bad.ssm, &bad.cb.Config, doc)
	delete(bad.ssm.params, testParamConfig)
	bad.db.put(r)
	resp = bad.do(httpEvent(http.MethodGet, "/r/"+r.ID, bad.linkQuery(r, approval.DecisionApprove), "", nil))
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(resp.Body, "configuration") {
		t.Fatalf("without the document: %d\n%s", resp.StatusCode, resp.Body)
	}
}

// fnErrorType is the errorType Handle's function error reports.
func fnErrorType(err error) string {
	var fe messages.InvokeResponse_Error
	if errors.As(err, &fe) {
		return fe.Type
	}
	return ""
}
