package acctest

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestSlackViews: a click's trigger_id opens the gate's modal once, and a
// submission carries the values typed into it, signed.
func TestSlackViews(t *testing.T) {
	s := startSlack(t)
	s.SetBotToken(testBotToken)
	m := postApp(t, s)
	cb := startCapture(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusOK) })
	callback := "http://127.0.0.1:" + cb.port

	var answer []byte
	resp, _, err := s.Click(t.Context(), callback, m, "approve", "U024BE7LH", "spengler")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, click := cb.last(t)
	act, err := approval.ParseInteraction(click)
	if err != nil {
		t.Fatal(err)
	}
	cfg := approval.Config{RequireReason: approval.ReasonAlways, Inputs: []approval.InputSpec{
		{Name: "ticket", Type: approval.InputString, Required: true},
		{Name: "replicas", Type: approval.InputNumber},
		{Name: "confirm", Type: approval.InputBool},
		{Name: "env", Type: approval.InputChoice, Choices: []string{"staging", "prod"}},
	}}
	body, err := approval.SlackDecisionModal(cfg, act, approval.SlackTriggerID(click), "Deploy web")
	if err != nil {
		t.Fatal(err)
	}
	if out := apiCall(t, s, testBotToken, "views.open", body); out["ok"] != true {
		t.Fatalf("views.open answered %v", out)
	}
	// A trigger opens one view.
	if out := apiCall(t, s, testBotToken, "views.open", body); out["error"] != "invalid_trigger_id" {
		t.Errorf("second views.open answered %v", out)
	}
	if out := apiCall(t, s, testBotToken, "views.open", []byte(`{"trigger_id":"made.up","view":{"type":"modal"}}`)); out["error"] != "invalid_trigger_id" {
		t.Errorf("views.open with an unknown trigger answered %v", out)
	}
	views, err := s.WaitViews(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}

	resp, answer, err = s.SubmitView(t.Context(), callback, views[0], "U024BE7LH", "spengler", map[string]any{
		"input.ticket": "OPS-1", "input.replicas": "4", "input.confirm": true, "input.env": "prod", "comment": "why not",
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(answer) != 0 {
		t.Fatalf("submission answered %d %q", resp.StatusCode, answer)
	}
	r, sub := cb.last(t)
	if err := verify(r, sub); err != nil {
		t.Fatalf("signature: %v", err)
	}
	got, ok, err := approval.ParseViewSubmission(sub)
	if !ok || err != nil {
		t.Fatalf("ParseViewSubmission: %v %v", ok, err)
	}
	if got.RequestID != goldenID || got.Decision != approval.DecisionApprove || got.Channel != "C0DEPLOY" || got.TS != m.TS ||
		got.Vote.Approver.Via != approval.ViaSlack || got.Comment != "why not" {
		t.Errorf("submission %+v", got)
	}
	want := map[string]any{"ticket": "OPS-1", "replicas": "4", "confirm": "true", "env": "prod"}
	if diff := cmp.Diff(want, got.Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
}

// TestSlackViewsRefusesWhatSlackRefuses: views.open checks the modal like
// Slack does.
func TestSlackViewsRefusesWhatSlackRefuses(t *testing.T) {
	s := startSlack(t)
	s.SetBotToken(testBotToken)
	for name, view := range map[string]map[string]any{
		"not a modal":  {"type": "home"},
		"long title":   {"type": "modal", "title": map[string]any{"type": "plain_text", "text": "A title that is too long for Slack"}, "blocks": []any{}},
		"no blocks":    {"type": "modal", "title": map[string]any{"type": "plain_text", "text": "t"}, "blocks": []any{}},
		"no action id": {"type": "modal", "title": map[string]any{"type": "plain_text", "text": "t"}, "blocks": []any{map[string]any{"type": "input", "label": map[string]any{"type": "plain_text", "text": "l"}, "element": map[string]any{"type": "plain_text_input"}}}},
	} {
		s.mu.Lock()
		trigger := s.issueTriggerLocked(name)
		s.mu.Unlock()
		b, _ := json.Marshal(map[string]any{"trigger_id": trigger, "view": view})
		if out := apiCall(t, s, testBotToken, "views.open", b); out["ok"] != false || out["error"] != "invalid_arguments" {
			t.Errorf("%s: views.open answered %v", name, out)
		}
	}
	if len(s.Views()) != 0 {
		t.Errorf("views opened: %v", s.Views())
	}
}
