package lambda

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// clickWithTrigger is a block_actions payload with a trigger_id.
func clickWithTrigger(userID, action, id string) string {
	var p map[string]any
	_ = json.Unmarshal([]byte(blockActionsPayload(userID, strings.ToLower(strings.TrimPrefix(userID, "U")), action, id)), &p)
	p["trigger_id"] = "1337.42.trigger"
	b, _ := json.Marshal(p)
	return string(b)
}

// viewSubmission is the view_submission of the modal opened (views.open
// body) with the given block values: a string sets a text, number or
// select value, a bool ticks a checkbox.
func viewSubmission(t *testing.T, userID, openBody string, values map[string]any) string {
	t.Helper()
	var open struct {
		View struct {
			CallbackID      string `json:"callback_id"`
			PrivateMetadata string `json:"private_metadata"`
			Blocks          []struct {
				Type    string         `json:"type"`
				BlockID string         `json:"block_id"`
				Element map[string]any `json:"element"`
			} `json:"blocks"`
		} `json:"view"`
	}
	if err := json.Unmarshal([]byte(openBody), &open); err != nil {
		t.Fatal(err)
	}
	state := map[string]any{}
	for _, b := range open.View.Blocks {
		if b.Type != "input" {
			continue
		}
		typ, _ := b.Element["type"].(string)
		el := map[string]any{"type": typ}
		v, given := values[b.BlockID]
		switch typ {
		case "checkboxes":
			el["selected_options"] = []any{}
			if v == true {
				el["selected_options"] = []any{map[string]any{"value": "true"}}
			}
		case "static_select":
			el["selected_option"] = nil
			if given {
				el["selected_option"] = map[string]any{"value": v}
			}
		default:
			el["value"] = nil
			if given {
				el["value"] = v
			}
		}
		state[b.BlockID] = map[string]any{"value": el}
	}
	p, _ := json.Marshal(map[string]any{
		"type": "view_submission", "user": map[string]string{"id": userID, "username": strings.ToLower(userID), "name": strings.ToLower(userID)},
		"view": map[string]any{
			"callback_id": open.View.CallbackID, "private_metadata": open.View.PrivateMetadata,
			"state": map[string]any{"values": state},
		},
	})
	return string(p)
}

func slackCalls(h *cbHarness, method string) []recorded {
	var out []recorded
	for _, r := range h.slack.requests() {
		if r.Path == "/"+method {
			out = append(out, r)
		}
	}
	return out
}

// TestCallback_slackModal: a click on a gate with inputs opens a modal and
// decides nothing; its submission decides with the values.
func TestCallback_slackModal(t *testing.T) {
	t.Parallel()
	h := newCallback(t, withInputs)
	id := reqID(50)
	h.db.put(pendingRequest(id))

	resp := h.do(h.slackEvent(clickWithTrigger("UBOB", "approve", id), h.now, nil))
	if resp.StatusCode != 200 || resp.Body != "" {
		t.Fatalf("click answer %d %q", resp.StatusCode, resp.Body)
	}
	opens := slackCalls(h, "views.open")
	if len(opens) != 1 || len(h.sfn.Calls()) != 0 {
		t.Fatalf("views.open calls %d, Step Functions calls %d", len(opens), len(h.sfn.Calls()))
	}
	for _, want := range []string{
		`"trigger_id":"1337.42.trigger"`, `"callback_id":"manualapproval_decision"`,
		`"block_id":"input.ticket"`, `"type":"plain_text_input"`, `"max_length":500`,
		`"block_id":"input.replicas"`, `"type":"number_input"`, `"is_decimal_allowed":true`,
		`"block_id":"input.confirm"`, `"type":"checkboxes"`,
		`"block_id":"input.env"`, `"type":"static_select"`, `"value":"prod"`,
		`"hint":{"text":"The ticket that tracks this change.","type":"plain_text"}`,
		`"label":{"text":"Comment","type":"plain_text"}`, `"submit":{"text":"Approve","type":"plain_text"}`,
	} {
		if !strings.Contains(opens[0].Body, want) {
			t.Errorf("views.open body lacks %s:\n%s", want, opens[0].Body)
		}
	}
	if r := h.db.request(id); r.Version != 0 || len(r.Votes) != 0 {
		t.Fatalf("the click changed the request: %+v", r)
	}

	sub := viewSubmission(t, "UBOB", opens[0].Body, map[string]any{
		"input.ticket": "OPS-9", "input.replicas": "2.5", "input.confirm": true, "input.env": "staging", "comment": "ship it",
	})
	resp = h.do(h.slackEvent(sub, h.now, nil))
	if resp.StatusCode != 200 || resp.Body != "" {
		t.Fatalf("submission answer %d %q", resp.StatusCode, resp.Body)
	}
	calls := h.sfn.Calls()
	if len(calls) != 1 || !calls[0].Success {
		t.Fatalf("Step Functions calls = %+v", calls)
	}
	var out approval.Outcome
	if err := json.Unmarshal([]byte(calls[0].Output), &out); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ticket": "OPS-9", "replicas": 2.5, "confirm": true, "env": "staging"}
	if diff := cmp.Diff(want, out.Inputs); diff != "" || out.Comment != "ship it" || out.Approvers[0].Via != approval.ViaSlack {
		t.Errorf("outcome %s (-want +got inputs):\n%s", calls[0].Output, diff)
	}
	if ups := slackCalls(h, "chat.update"); len(ups) != 1 || !strings.Contains(ups[0].Body, `"ts":"1700000000.000100"`) {
		t.Errorf("chat.update calls = %+v", ups)
	}
}

// TestCallback_slackModalErrors: values that break a rule keep the modal
// open with each problem on its block, and decide nothing.
func TestCallback_slackModalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		decision string
		values   map[string]any
		want     map[string]string
	}{
		{"required missing", "approve", map[string]any{"input.replicas": "x"},
			map[string]string{"input.ticket": "is required to approve", "input.confirm": "must be ticked to approve", "input.replicas": "must be a number such as 42 or 2.5"}},
		{"reject without a reason", "reject", map[string]any{"comment": "  "},
			map[string]string{"comment": "a reason is required to reject this request: say why in the comment"}},
		{"text too long", "approve", map[string]any{"input.ticket": strings.Repeat("y", 501), "input.confirm": true},
			map[string]string{"input.ticket": "must be at most 500 characters (got 501)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, withInputs)
			id := reqID(51)
			h.db.put(pendingRequest(id))
			h.do(h.slackEvent(clickWithTrigger("UBOB", tt.decision, id), h.now, nil))
			opens := slackCalls(h, "views.open")
			if len(opens) != 1 {
				t.Fatalf("views.open calls %d", len(opens))
			}
			resp := h.do(h.slackEvent(viewSubmission(t, "UBOB", opens[0].Body, tt.values), h.now, nil))
			var got struct {
				ResponseAction string            `json:"response_action"`
				Errors         map[string]string `json:"errors"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil || resp.StatusCode != 200 || got.ResponseAction != "errors" {
				t.Fatalf("answer %d %q", resp.StatusCode, resp.Body)
			}
			if diff := cmp.Diff(tt.want, got.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if n := len(h.sfn.Calls()); n != 0 {
				t.Errorf("%d Step Functions calls", n)
			}
			if r := h.db.request(id); r.Status != approval.StatusPending || len(r.Votes) != 0 {
				t.Errorf("request changed: %s %v", r.Status, r.Votes)
			}
		})
	}
}

// TestCallback_slackModalWhenNeeded: the modal opens only when the click
// needs it, and never for someone whose vote could not count.
func TestCallback_slackModalWhenNeeded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		config    func(*approval.Config)
		user      string
		action    string
		wantOpen  bool
		wantSFN   int
		wantPaths []string
	}{
		{"reject needs no inputs: decides at once", func(c *approval.Config) { withInputs(c); c.RequireReason = approval.ReasonNever },
			"UBOB", "reject", false, 1, []string{"/chat.update"}},
		{"reason on reject only: approve decides at once", func(c *approval.Config) { c.RequireReason = approval.ReasonReject },
			"UBOB", "approve", false, 1, []string{"/chat.update"}},
		{"reason always: approve opens the modal", func(c *approval.Config) { c.RequireReason = approval.ReasonAlways },
			"UBOB", "approve", true, 0, []string{"/views.open"}},
		{"no modal for a non-approver", func(c *approval.Config) { withInputs(c); c.Approvers = []string{"UBOB"} },
			"UEVE", "approve", false, 0, []string{"/chat.postEphemeral"}},
		{"no modal for the requester", func(c *approval.Config) { withInputs(c); c.AllowSelfApproval = false },
			"UCAROL", "approve", false, 0, []string{"/chat.postEphemeral"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, tt.config)
			id := reqID(52)
			r := pendingRequest(id)
			r.RequestedBy = "slack:UCAROL"
			h.db.put(r)
			h.do(h.slackEvent(clickWithTrigger(tt.user, tt.action, id), h.now, nil))
			var paths []string
			for _, r := range h.slack.requests() {
				if r.Path != "/users.info" { // the e-mail identity lookup
					paths = append(paths, r.Path)
				}
			}
			if diff := cmp.Diff(tt.wantPaths, paths); diff != "" {
				t.Errorf("Slack calls (-want +got):\n%s", diff)
			}
			if n := len(h.sfn.Calls()); n != tt.wantSFN {
				t.Errorf("%d Step Functions calls, want %d", n, tt.wantSFN)
			}
		})
	}
}

// TestCallback_slackModalNotOpened: when views.open fails, the person is
// told, and nothing is decided.
func TestCallback_slackModalNotOpened(t *testing.T) {
	t.Parallel()
	h := newCallback(t, withInputs)
	h.slack.reply = func(_ int, r recorded) (int, map[string]string, string) {
		if r.Path == "/views.open" {
			return 200, nil, `{"ok":false,"error":"expired_trigger_id"}`
		}
		return 200, nil, `{"ok":true}`
	}
	id := reqID(53)
	h.db.put(pendingRequest(id))
	h.do(h.slackEvent(clickWithTrigger("UBOB", "approve", id), h.now, nil))
	eph := slackCalls(h, "chat.postEphemeral")
	if len(eph) != 1 || !strings.Contains(eph[0].Body, "the form could not be opened") {
		t.Fatalf("ephemerals = %+v", eph)
	}
	if len(h.sfn.Calls()) != 0 || h.db.request(id).Version != 0 {
		t.Error("something was decided")
	}
}

// TestCallback_slackSubmissionForged: a submission whose metadata is not a
// decision is refused.
func TestCallback_slackSubmissionForged(t *testing.T) {
	t.Parallel()
	h := newCallback(t, withInputs)
	id := reqID(54)
	h.db.put(pendingRequest(id))
	p, _ := json.Marshal(map[string]any{
		"type": "view_submission", "user": map[string]string{"id": "UBOB"},
		"view": map[string]any{"callback_id": approval.ModalCallbackID, "private_metadata": `{"id":"` + id + `","d":"delete"}`},
	})
	resp := h.do(h.slackEvent(string(p), h.now, nil))
	if resp.StatusCode != 400 || len(h.sfn.Calls()) != 0 {
		t.Fatalf("answer %d, %d Step Functions calls", resp.StatusCode, len(h.sfn.Calls()))
	}
}

// TestCallback_slackSubmissionOtherWorkspace: a modal submitted from another
// workspace or app is refused like a click from there, and decides nothing.
func TestCallback_slackSubmissionOtherWorkspace(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct{ team, app string }{
		"another workspace": {"T0EVIL", "A0GOOD"},
		"another app":       {"T0GOOD", "A0EVIL"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, func(c *approval.Config) { withInputs(c); c.SlackTeamID, c.SlackAppID = "T0GOOD", "A0GOOD" })
			id := reqID(55)
			h.db.put(pendingRequest(id))
			p, _ := json.Marshal(map[string]any{
				"type": "view_submission", "team": map[string]string{"id": tt.team}, "api_app_id": tt.app,
				"user": map[string]string{"id": "UBOB", "team_id": tt.team},
				"view": map[string]any{
					"callback_id":      approval.ModalCallbackID,
					"private_metadata": `{"id":"` + id + `","d":"reject","ch":"C0DEPLOY","ts":"1700000000.000100"}`,
					"state": map[string]any{"values": map[string]any{
						"comment": map[string]any{"value": map[string]any{"type": "plain_text_input", "value": "no"}},
					}},
				},
			})
			resp := h.do(h.slackEvent(string(p), h.now, nil))
			if resp.StatusCode != 403 || len(h.sfn.Calls()) != 0 || len(h.slack.requests()) != 0 {
				t.Fatalf("answer %d, %d Step Functions calls, Slack calls %v", resp.StatusCode, len(h.sfn.Calls()), h.slack.requests())
			}
			if r := h.db.request(id); r.Version != 0 || len(r.Votes) != 0 {
				t.Errorf("request changed: %+v", r)
			}
		})
	}
}
