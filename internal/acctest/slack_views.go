package acctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Modals: views.open and view submissions. A Click hands the callback a
// trigger_id, valid for three seconds, as Slack does; views.open with it
// opens a View, recorded here; SubmitView plays the person filling the modal
// in and pressing its submit button.

// View is a modal opened with views.open.
type View struct {
	ID        string         // V… as Slack assigns
	TriggerID string         // the trigger_id it was opened with
	Body      map[string]any // the view object
	Opened    time.Time
}

// Limits of a modal that Slack enforces (characters).
const (
	maxViewTitle    = 24
	maxViewButton   = 24
	maxViewBlocks   = 100
	maxViewMetadata = 3000
	maxCallbackID   = 255
	maxOptions      = 100
	maxOptionText   = 75
	maxOptionValue  = 150
	triggerLifetime = 3 * time.Second
)

// Views returns the modals opened so far, oldest first.
func (s *Slack) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]View(nil), s.views...)
}

// WaitViews waits until at least n modals have been opened and returns them.
func (s *Slack) WaitViews(ctx context.Context, n int) ([]View, error) {
	if err := s.wait(ctx, func() bool { return len(s.views) >= n }); err != nil {
		return s.Views(), fmt.Errorf("waiting for %d Slack modal(s), %d opened: %w", n, len(s.Views()), err)
	}
	return s.Views(), nil
}

// issueTriggerLocked returns a new trigger_id for an interaction.
func (s *Slack) issueTriggerLocked(respID string) string {
	now := time.Now()
	id := fmt.Sprintf("%d.%d.%s", now.Unix(), now.Nanosecond(), strings.ToLower(respID))
	if s.triggers == nil {
		s.triggers = map[string]time.Time{}
	}
	s.triggers[id] = now
	return id
}

func (s *Slack) viewsOpen(w http.ResponseWriter, obj map[string]any) {
	trigger, _ := obj["trigger_id"].(string)
	view, _ := obj["view"].(map[string]any)
	s.mu.Lock()
	issued, known := s.triggers[trigger]
	s.mu.Unlock()
	switch {
	case trigger == "" || !known:
		slackAPIError(w, "invalid_trigger_id")
		return
	case time.Since(issued) > triggerLifetime:
		slackAPIError(w, "expired_trigger_id")
		return
	case view == nil:
		slackAPIError(w, "invalid_arguments")
		return
	}
	if err := validateView(view); err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_arguments",
			"response_metadata": map[string]any{"messages": []string{"[ERROR] " + err.Error()}}})
		return
	}
	s.mu.Lock()
	delete(s.triggers, trigger) // a trigger opens one view
	s.seq++
	v := View{ID: fmt.Sprintf("V%08d", s.seq), TriggerID: trigger, Body: view, Opened: time.Now()}
	s.views = append(s.views, v)
	s.notifyLocked()
	s.mu.Unlock()
	out := map[string]any{"id": v.ID, "team_id": "T000LOCAL", "app_id": "A000LOCAL"}
	for k, val := range view {
		out[k] = val
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "view": out})
}

// validateView checks a modal against the rules the gate's modal can break.
func validateView(v map[string]any) error {
	if v["type"] != "modal" {
		return fmt.Errorf("view.type must be modal, got %v", v["type"])
	}
	if err := checkText(v["title"], "plain_text", maxViewTitle); err != nil {
		return fmt.Errorf("view.title: %w", err)
	}
	for _, k := range []string{"submit", "close"} {
		if b, ok := v[k]; ok {
			if err := checkText(b, "plain_text", maxViewButton); err != nil {
				return fmt.Errorf("view.%s: %w", k, err)
			}
		}
	}
	if md, _ := v["private_metadata"].(string); utf8.RuneCountInString(md) > maxViewMetadata {
		return fmt.Errorf("view.private_metadata is longer than %d", maxViewMetadata)
	}
	if id, _ := v["callback_id"].(string); len(id) > maxCallbackID {
		return fmt.Errorf("view.callback_id is longer than %d", maxCallbackID)
	}
	blocks := objects(v["blocks"])
	if len(blocks) == 0 || len(blocks) > maxViewBlocks {
		return fmt.Errorf("view.blocks must have 1 to %d blocks", maxViewBlocks)
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		id, _ := b["block_id"].(string)
		if id != "" {
			if ids[id] || len(id) > maxBlockID {
				return fmt.Errorf("blocks[%d].block_id %q is repeated or too long", i, id)
			}
			ids[id] = true
		}
		if b["type"] != "input" {
			if err := validateBlock(b); err != nil {
				return fmt.Errorf("blocks[%d]: %w", i, err)
			}
			continue
		}
		if err := checkText(b["label"], "plain_text", 2000); err != nil {
			return fmt.Errorf("blocks[%d].label: %w", i, err)
		}
		el, _ := b["element"].(map[string]any)
		if el == nil {
			return fmt.Errorf("blocks[%d] has no element", i)
		}
		if a, _ := el["action_id"].(string); a == "" || len(a) > maxActionID {
			return fmt.Errorf("blocks[%d].element needs an action_id", i)
		}
		switch el["type"] {
		case "plain_text_input", "number_input":
			if n, ok := el["max_length"].(float64); ok && (n < 1 || n > 3000) {
				return fmt.Errorf("blocks[%d].element.max_length must be 1 to 3000", i)
			}
		case "checkboxes", "static_select":
			opts := objects(el["options"])
			if len(opts) == 0 || len(opts) > maxOptions {
				return fmt.Errorf("blocks[%d].element must have 1 to %d options", i, maxOptions)
			}
			for j, o := range opts {
				if err := checkText(o["text"], "", maxOptionText); err != nil {
					return fmt.Errorf("blocks[%d].element.options[%d].text: %w", i, j, err)
				}
				if val, _ := o["value"].(string); val == "" || len(val) > maxOptionValue {
					return fmt.Errorf("blocks[%d].element.options[%d].value must be 1 to %d characters", i, j, maxOptionValue)
				}
			}
		default:
			return fmt.Errorf("blocks[%d].element.type %v is not one the local Slack knows", i, el["type"])
		}
	}
	return nil
}

// SubmitView does what Slack does when userID fills in the modal v and
// presses its submit button: it POSTs a signed view_submission to
// callbackURL+"/slack/interactions". values are keyed by block id: a string
// is typed into a text or number field or selects an option of a select, a
// bool ticks (or not) a checkbox; blocks without a value are left empty.
// It returns the callback's answer (its body already read).
func (s *Slack) SubmitView(ctx context.Context, callbackURL string, v View, userID, userName string, values map[string]any) (*http.Response, []byte, error) {
	state := map[string]any{}
	for _, b := range objects(v.Body["blocks"]) {
		if b["type"] != "input" {
			continue
		}
		id, _ := b["block_id"].(string)
		el, _ := b["element"].(map[string]any)
		typ, _ := el["type"].(string)
		action, _ := el["action_id"].(string)
		val, given := values[id]
		got := map[string]any{"type": typ}
		switch typ {
		case "checkboxes":
			got["selected_options"] = []any{}
			if val == true {
				got["selected_options"] = []any{objects(el["options"])[0]}
			}
		case "static_select":
			got["selected_option"] = nil
			for _, o := range objects(el["options"]) {
				if given && o["value"] == val {
					got["selected_option"] = o
				}
			}
		default:
			got["value"] = nil
			if given {
				got["value"] = val
			}
		}
		state[id] = map[string]any{action: got}
	}
	s.mu.Lock()
	team, enterprise, app := s.TeamID, s.EnterpriseID, s.AppID
	s.mu.Unlock()
	var grid any // null outside Enterprise Grid, as Slack sends it
	if enterprise != "" {
		grid = map[string]any{"id": enterprise, "name": "local grid"}
	}
	view := map[string]any{"id": v.ID, "team_id": team, "app_id": app, "state": map[string]any{"values": state},
		"hash": fmt.Sprintf("%d.local", time.Now().UnixNano())}
	for _, k := range []string{"type", "callback_id", "private_metadata", "title", "submit", "close", "blocks"} {
		if x, ok := v.Body[k]; ok {
			view[k] = x
		}
	}
	payload := map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": team, "domain": "local"},
		"enterprise": grid,
		"user":       map[string]any{"id": userID, "username": userName, "name": userName, "team_id": team},
		"api_app_id": app,
		"token":      "LocalVerificationToken",
		"trigger_id": v.TriggerID + ".submit",
		"view":       view,
	}
	j, err := json.Marshal(payload)
	if err != nil {
		return nil, nil, fmt.Errorf("submit view: %w", err)
	}
	body := []byte(url.Values{"payload": {string(j)}}.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(callbackURL, "/")+"/slack/interactions", bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("submit view: %w", err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Slackbot 1.0 (local)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackSign(s.SigningSecret, ts, body))
	resp, err := HTTPClient().Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("submit view: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSlackBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return resp, data, fmt.Errorf("submit view: reading the answer: %w", err)
	}
	return resp, data, nil
}
