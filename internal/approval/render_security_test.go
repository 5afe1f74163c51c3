package approval

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSlackTextNeverPings: every mrkdwn text of every Slack body, the
// notification (top-level) text included, shows a hostile title, text,
// context, requester and comment as text: no <!channel>, <!here>, <@U…>
// or link markup survives, and @channel/@here/@everyone are broken.
func TestSlackTextNeverPings(t *testing.T) {
	evil := "<!channel> <!here> <@U0ADMIN> <https://evil.example|click> @channel @here @everyone *b* &amp;"
	r := Request{
		ID: "AAAAAAAAAAAAAAAAAAAAAA", Title: evil, Text: evil, RequestedBy: evil,
		Context: []Field{{Key: evil, Value: evil}}, ExpiresAt: time.Unix(1_800_000_000, 0),
		ExecutionID: "arn:aws:states:eu-west-1:1:execution:sm:" + evil,
	}
	m := NewMessage(r, "gate", "https://cb.example/r/x?d=approve", "https://cb.example/r/x?d=reject")
	o := &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "mallory", Name: evil, Via: ViaLink}}, Comment: evil}
	bodies := map[string]func() ([]byte, error){
		"webhook": func() ([]byte, error) { return SlackWebhookMessage(m) },
		"app":     func() ([]byte, error) { return SlackAppMessage(m, "C1") },
		"update":  func() ([]byte, error) { return SlackUpdateMessage(m, "C1", "1.2", o) },
		"expired": func() ([]byte, error) { return SlackUpdateMessage(m, "C1", "1.2", nil) },
	}
	ping := regexp.MustCompile(`<[!@]|<https?:|(?i)@(channel|here|everyone)\b`)
	for name, render := range bodies {
		b, err := render()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var texts []string
		collectMrkdwn(t, b, &texts)
		if len(texts) == 0 {
			t.Fatalf("%s: no text found", name)
		}
		for _, s := range texts {
			if strings.Contains(s, "<@U0ADMIN>") || ping.MatchString(strings.ReplaceAll(s, "<@mallory>", "")) {
				t.Errorf("%s: text can ping or link: %q", name, s)
			}
		}
	}
}

// collectMrkdwn gathers the top-level text and every mrkdwn text object of
// a Slack body (plain_text is never parsed by Slack).
func collectMrkdwn(t *testing.T, body []byte, out *[]string) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if top, ok := v.(map[string]any)["text"].(string); ok {
		*out = append(*out, top)
	}
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if x["type"] == "mrkdwn" {
				if s, ok := x["text"].(string); ok {
					*out = append(*out, s)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
}
