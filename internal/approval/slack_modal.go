package approval

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// The Slack app's decision modal. When a click needs a reason or inputs
// (NeedsModal), the callback opens a modal with views.open instead of
// deciding; its view_submission carries the values, which are checked with
// CheckDecisionInputs like a form's. Problems go back to Slack as
// {"response_action": "errors"} keyed by block id, and the modal stays open.

// ModalCallbackID is the callback_id of the decision modal.
const ModalCallbackID = "manualapproval_decision"

// Block ids of the modal: ModalReasonBlock for the comment, ModalInputBlock
// of each input; every element's action_id is modalValueAction.
const (
	ModalReasonBlock = "comment"
	modalValueAction = "value"
)

// ModalInputBlock is the block id of input name in the modal.
func ModalInputBlock(name string) string { return "input." + name }

// NeedsModal reports whether a Slack click on decision must open the modal:
// the gate requires a reason for it, or it is an approval and the gate has
// inputs.
func NeedsModal(c Config, decision string) bool {
	return ReasonRequired(c, decision) || (decision == DecisionApprove && len(c.Inputs) > 0)
}

// modalMetadata is the modal's private_metadata: what was clicked. Slack
// keeps it server-side and returns it with the submission, which Slack
// signs, so it is as trustworthy as the button's value.
type modalMetadata struct {
	RequestID string `json:"id"`
	Decision  string `json:"d"`
	Channel   string `json:"ch,omitempty"`
	TS        string `json:"ts,omitempty"`
}

// SlackTriggerID returns the trigger_id of a Slack interaction body
// ("payload=<json>"), "" if it has none.
func SlackTriggerID(body []byte) string {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	var in struct {
		TriggerID string `json:"trigger_id"`
	}
	_ = json.Unmarshal([]byte(form.Get("payload")), &in)
	return in.TriggerID
}

// SlackDecisionModal returns the views.open body of the decision modal for
// act, opened with triggerID, about the request titled title.
func SlackDecisionModal(c Config, act Action, triggerID, title string) ([]byte, error) {
	meta, err := json.Marshal(modalMetadata{RequestID: act.RequestID, Decision: act.Decision, Channel: act.Channel, TS: act.TS})
	if err != nil {
		return nil, err
	}
	plain := func(s string) map[string]any { return map[string]any{"type": "plain_text", "text": s} }
	heading, submit := "Approve request", "Approve"
	if act.Decision == DecisionReject {
		heading, submit = "Reject request", "Reject"
	}
	blocks := []any{map[string]any{"type": "section", "text": plain(Truncate(title, 3000))}}
	if act.Decision == DecisionApprove {
		for _, s := range c.Inputs {
			blocks = append(blocks, modalInputBlock(s))
		}
	}
	reason := map[string]any{
		"type": "input", "block_id": ModalReasonBlock, "label": plain("Comment"), "optional": true,
		"element": map[string]any{
			"type": "plain_text_input", "action_id": modalValueAction, "multiline": true, "max_length": MaxCommentRunes,
		},
	}
	if ReasonRequired(c, act.Decision) {
		reason["label"], reason["optional"] = plain("Reason"), false
	}
	blocks = append(blocks, reason)
	view := map[string]any{
		"type": "modal", "callback_id": ModalCallbackID, "private_metadata": string(meta),
		"title": plain(heading), "submit": plain(submit), "close": plain("Cancel"), "blocks": blocks,
	}
	return json.Marshal(map[string]any{"trigger_id": triggerID, "view": view})
}

func modalInputBlock(s InputSpec) map[string]any {
	plain := func(t string) map[string]any { return map[string]any{"type": "plain_text", "text": t} }
	var el map[string]any
	switch s.Type {
	case InputNumber:
		el = map[string]any{"type": "number_input", "is_decimal_allowed": true}
	case InputBool:
		el = map[string]any{"type": "checkboxes", "options": []any{
			map[string]any{"text": plain(s.DisplayLabel()), "value": "true"},
		}}
	case InputChoice:
		opts := make([]any, len(s.Choices))
		for i, ch := range s.Choices {
			opts[i] = map[string]any{"text": plain(ch), "value": ch}
		}
		el = map[string]any{"type": "static_select", "placeholder": plain("Choose…"), "options": opts}
	default:
		el = map[string]any{"type": "plain_text_input", "max_length": MaxInputStringRunes}
	}
	el["action_id"] = modalValueAction
	b := map[string]any{
		"type": "input", "block_id": ModalInputBlock(s.Name), "label": plain(s.DisplayLabel()),
		"optional": !s.Required, "element": el,
	}
	if s.Description != "" {
		b["hint"] = plain(s.Description)
	}
	return b
}

// Submission is a submitted decision modal.
type Submission struct {
	Action         // what was clicked, and by whom
	Comment string // the reason or comment
	// Inputs are the raw values by input name: strings (a number as typed,
	// a checkbox "true" or "false", a choice's value), absent when empty.
	Inputs map[string]any
}

// ParseViewSubmission parses a Slack interaction body. ok is false when it
// is not a submission of the decision modal (the caller tries
// ParseInteraction). The person is read as ParseInteraction reads a click.
func ParseViewSubmission(body []byte) (sub Submission, ok bool, err error) {
	// A body that is no form has no submission: ParseInteraction reports it.
	form, _ := url.ParseQuery(string(body))
	payload := []byte(form.Get("payload"))
	var v struct {
		Type string `json:"type"`
		View struct {
			CallbackID      string `json:"callback_id"`
			PrivateMetadata string `json:"private_metadata"`
			State           struct {
				Values map[string]map[string]struct {
					Type           string  `json:"type"`
					Value          *string `json:"value"`
					SelectedOption *struct {
						Value string `json:"value"`
					} `json:"selected_option"`
					SelectedOptions []struct {
						Value string `json:"value"`
					} `json:"selected_options"`
				} `json:"values"`
			} `json:"state"`
		} `json:"view"`
	}
	derr := json.Unmarshal(payload, &v)
	if v.Type != "view_submission" || v.View.CallbackID != ModalCallbackID {
		return sub, false, nil
	}
	if derr != nil {
		return sub, true, fmt.Errorf("parsing Slack view submission: %w", derr)
	}
	var meta modalMetadata
	if err := json.Unmarshal([]byte(v.View.PrivateMetadata), &meta); err != nil {
		return sub, true, fmt.Errorf("parsing the decision modal's metadata: %w", err)
	}
	// The person, their workspace and app are read by ParseInteraction, as
	// for a click: the submission is rewritten as the click it completes.
	var click map[string]any
	if err := json.Unmarshal(payload, &click); err != nil {
		return sub, true, fmt.Errorf("parsing Slack view submission: %w", err)
	}
	delete(click, "view")
	click["type"] = "block_actions"
	click["actions"] = []any{map[string]any{"action_id": meta.Decision, "value": meta.RequestID, "type": "button"}}
	click["container"] = map[string]any{"type": "message", "channel_id": meta.Channel, "message_ts": meta.TS}
	click["channel"] = map[string]any{"id": meta.Channel}
	click["message"] = map[string]any{"ts": meta.TS}
	b, err := json.Marshal(click)
	if err != nil {
		return sub, true, err
	}
	act, err := ParseInteraction([]byte(url.Values{"payload": {string(b)}}.Encode()))
	if err != nil {
		if errors.Is(err, ErrNotDecision) {
			err = fmt.Errorf("the decision modal's metadata is not a decision: %w", err)
		}
		return sub, true, err
	}
	sub.Action = act
	blocks := make([]string, 0, len(v.View.State.Values))
	for k := range v.View.State.Values {
		blocks = append(blocks, k)
	}
	sort.Strings(blocks)
	for _, block := range blocks {
		el, found := v.View.State.Values[block][modalValueAction]
		if !found {
			continue
		}
		var val any
		switch {
		case el.Type == "checkboxes":
			val = "false"
			for _, o := range el.SelectedOptions {
				if o.Value == "true" {
					val = "true"
				}
			}
		case el.SelectedOption != nil:
			val = el.SelectedOption.Value
		case el.Value != nil:
			val = *el.Value
		default:
			continue
		}
		if block == ModalReasonBlock {
			sub.Comment, _ = val.(string)
			continue
		}
		if name, isInput := strings.CutPrefix(block, "input."); isInput {
			if sub.Inputs == nil {
				sub.Inputs = map[string]any{}
			}
			sub.Inputs[name] = val
		}
	}
	return sub, true, nil
}

// SlackViewErrors returns the answer to a view submission that keeps the
// modal open with err's problems shown on their blocks. Problems about
// inputs the modal does not show go on the reason block.
func SlackViewErrors(c Config, decision string, err error) []byte {
	errs := map[string]string{}
	var ie *InputsError
	if errors.As(err, &ie) {
		shown := map[string]bool{}
		if decision == DecisionApprove {
			for _, s := range c.Inputs {
				shown[s.Name] = true
			}
		}
		var other []string
		for _, p := range ie.Problems {
			switch {
			case p.Input == "":
				errs[ModalReasonBlock] = p.Message
			case shown[p.Input]:
				errs[ModalInputBlock(p.Input)] = p.Message
			default:
				other = append(other, p.String())
			}
		}
		if len(other) > 0 {
			errs[ModalReasonBlock] = strings.TrimPrefix(errs[ModalReasonBlock]+"; "+strings.Join(other, "; "), "; ")
		}
	} else {
		errs[ModalReasonBlock] = err.Error()
	}
	b, _ := json.Marshal(map[string]any{"response_action": "errors", "errors": errs})
	return b
}
