package approval

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const modalRequestID = "AAECAwQFBgcICQoLDA0ODw"

func submissionBody(t testing.TB, callbackID, metadata string, values map[string]any) []byte {
	t.Helper()
	p, err := json.Marshal(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": "U024BE7LH", "username": "alice"},
		"view": map[string]any{"callback_id": callbackID, "private_metadata": metadata, "state": map[string]any{"values": values}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return []byte(url.Values{"payload": {string(p)}}.Encode())
}

func TestParseViewSubmission(t *testing.T) {
	t.Parallel()
	meta := `{"id":"` + modalRequestID + `","d":"approve","ch":"C1","ts":"1.2"}`
	values := map[string]any{
		"input.ticket":  map[string]any{"value": map[string]any{"type": "plain_text_input", "value": "OPS-1"}},
		"input.n":       map[string]any{"value": map[string]any{"type": "number_input", "value": "4.5"}},
		"input.ok":      map[string]any{"value": map[string]any{"type": "checkboxes", "selected_options": []any{map[string]any{"value": "true"}}}},
		"input.off":     map[string]any{"value": map[string]any{"type": "checkboxes", "selected_options": []any{}}},
		"input.env":     map[string]any{"value": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "prod"}}},
		"input.empty":   map[string]any{"value": map[string]any{"type": "static_select", "selected_option": nil}},
		"input.blank":   map[string]any{"value": map[string]any{"type": "plain_text_input", "value": nil}},
		"comment":       map[string]any{"value": map[string]any{"type": "plain_text_input", "value": "because"}},
		"someone.elses": map[string]any{"other": map[string]any{"type": "plain_text_input", "value": "x"}},
	}
	sub, ok, err := ParseViewSubmission(submissionBody(t, ModalCallbackID, meta, values))
	if !ok || err != nil {
		t.Fatalf("ok %v, err %v", ok, err)
	}
	if sub.RequestID != modalRequestID || sub.Decision != DecisionApprove || sub.Channel != "C1" || sub.TS != "1.2" ||
		sub.Vote.Approver.Via != ViaSlack || sub.Vote.Decision != DecisionApprove || sub.Comment != "because" {
		t.Errorf("submission %+v", sub)
	}
	want := map[string]any{"ticket": "OPS-1", "n": "4.5", "ok": "true", "off": "false", "env": "prod"}
	if diff := cmp.Diff(want, sub.Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}

	for name, tt := range map[string]struct {
		body   []byte
		wantOK bool
		err    string
	}{
		"a click":             {[]byte(url.Values{"payload": {`{"type":"block_actions"}`}}.Encode()), false, ""},
		"another app's modal": {submissionBody(t, "other", meta, nil), false, ""},
		"not a form":          {[]byte("%zz"), false, ""},
		"bad metadata":        {submissionBody(t, ModalCallbackID, "{", nil), true, "metadata"},
		"not a decision":      {submissionBody(t, ModalCallbackID, `{"id":"`+modalRequestID+`","d":"delete"}`, nil), true, "not a decision"},
		"malformed id":        {submissionBody(t, ModalCallbackID, `{"id":"x","d":"approve"}`, nil), true, "malformed request id"},
	} {
		_, ok, err := ParseViewSubmission(tt.body)
		if ok != tt.wantOK || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: ok %v err %v, want ok %v err %q", name, ok, err, tt.wantOK, tt.err)
		}
	}
}

func TestSlackViewErrors(t *testing.T) {
	t.Parallel()
	c := Config{RequireReason: ReasonAlways, Inputs: []InputSpec{{Name: "ticket", Type: InputString, Required: true}}}
	_, err := CheckDecisionInputs(c, DecisionApprove, "", map[string]any{"zzz": "1"})
	var got struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if jerr := json.Unmarshal(SlackViewErrors(c, DecisionApprove, err), &got); jerr != nil {
		t.Fatal(jerr)
	}
	want := map[string]string{
		"comment":      `a reason is required to approve this request: say why in the comment; input "zzz": this gate has no such input (it takes "ticket")`,
		"input.ticket": "is required to approve",
	}
	if diff := cmp.Diff(want, got.Errors); diff != "" || got.ResponseAction != "errors" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	// Any other error lands on the reason block.
	if b := string(SlackViewErrors(c, DecisionReject, errors.New("boom"))); b != `{"errors":{"comment":"boom"},"response_action":"errors"}` {
		t.Errorf("answer %s", b)
	}
}

func TestSlackDecisionModal(t *testing.T) {
	t.Parallel()
	c := Config{RequireReason: ReasonReject, Inputs: []InputSpec{{Name: "ticket", Type: InputString, Required: true}}}
	act := Action{RequestID: modalRequestID, Decision: DecisionReject, Channel: "C1", TS: "1.2"}
	b, err := SlackDecisionModal(c, act, "T1", "Deploy <web> & *all*")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`"trigger_id":"T1"`, `"title":{"text":"Reject request","type":"plain_text"}`,
		`"label":{"text":"Reason","type":"plain_text"}`, `"optional":false`,
		`"text":{"text":"Deploy \u003cweb\u003e \u0026 *all*","type":"plain_text"}`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("modal lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "input.ticket") {
		t.Errorf("the reject modal asks for inputs:\n%s", s)
	}
	for _, tt := range []struct {
		c    Config
		d    string
		want bool
	}{
		{Config{}, DecisionApprove, false},
		{Config{RequireReason: ReasonReject}, DecisionApprove, false},
		{Config{RequireReason: ReasonReject}, DecisionReject, true},
		{Config{RequireReason: ReasonAlways}, DecisionApprove, true},
		{c, DecisionApprove, true},
		{Config{Inputs: c.Inputs}, DecisionReject, false},
	} {
		if got := NeedsModal(tt.c, tt.d); got != tt.want {
			t.Errorf("NeedsModal(%+v, %s) = %v", tt.c, tt.d, got)
		}
	}
}

// FuzzParseViewSubmission: any body is parsed without a panic, and what a
// submission yields is a decision on a well-formed request id.
func FuzzParseViewSubmission(f *testing.F) {
	f.Add(submissionBody(f, ModalCallbackID, `{"id":"`+modalRequestID+`","d":"approve"}`, map[string]any{
		"input.a": map[string]any{"value": map[string]any{"type": "plain_text_input", "value": "x"}},
	}))
	f.Add([]byte("payload=%7B%7D"))
	f.Fuzz(func(t *testing.T, body []byte) {
		sub, ok, err := ParseViewSubmission(body)
		if !ok || err != nil {
			return
		}
		if !ValidRequestID(sub.RequestID) || (sub.Decision != DecisionApprove && sub.Decision != DecisionReject) {
			t.Fatalf("accepted %+v", sub)
		}
	})
}

// FuzzCheckDecisionInputs: any values are checked without a panic, and what
// is accepted has the input's type.
func FuzzCheckDecisionInputs(f *testing.F) {
	f.Add("OPS-1", "3", "true", "prod", "comment")
	f.Add("", "1e400", "maybe", "x", "")
	c := inputsConfig(ReasonReject)
	f.Fuzz(func(t *testing.T, ticket, replicas, confirm, env, comment string) {
		in := map[string]any{"ticket": ticket, "replicas": replicas, "confirm": confirm, "env": env}
		for _, d := range []string{DecisionApprove, DecisionReject} {
			out, err := CheckDecisionInputs(c, d, comment, in)
			if err != nil {
				continue
			}
			for k, v := range out {
				var ok bool
				switch k {
				case "replicas":
					_, ok = v.(float64)
				case "confirm":
					_, ok = v.(bool)
				default:
					_, ok = v.(string)
				}
				if !ok {
					t.Fatalf("%s = %#v", k, v)
				}
			}
		}
	})
}
