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

// TestTeamsTextNeverLinks: every TextBlock and Fact of every Teams card
// shows a hostile title, text, context, requester and comment as text: no
// Markdown link, emphasis, <at> mention, entity or DATE function survives
// (each markup character is escaped), and the text still reads as typed.
func TestTeamsTextNeverLinks(t *testing.T) {
	evil := "[click](https://evil.example) **b** _i_ <at>all</at> &lt; {{DATE(2017-02-14T06:08:00Z)}} `c` ![img](https://evil.example/x.png)\n- item\n1. one"
	r := Request{
		ID: "AAAAAAAAAAAAAAAAAAAAAA", Title: evil, Text: evil, RequestedBy: evil,
		Context: []Field{{Key: evil, Value: evil}}, ExpiresAt: time.Unix(1_800_000_000, 0),
		ExecutionID: "arn:aws:states:eu-west-1:1:execution:sm:" + evil,
	}
	m := NewMessage(r, "gate", "https://cb.example/r/x?d=approve", "https://cb.example/r/x?d=reject")
	o := &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "mallory", Name: evil, Via: ViaLink}}, Comment: evil}
	bodies := map[string]func() ([]byte, error){
		"card":     func() ([]byte, error) { return TeamsCard(m) },
		"reminder": func() ([]byte, error) { return TeamsReminderCard(m, true) },
		"decision": func() ([]byte, error) { return TeamsDecisionCard(m, o) },
		"expired":  func() ([]byte, error) { return TeamsDecisionCard(m, nil) },
	}
	// An unescaped markup character: one preceded by an even number of
	// backslashes (none included).
	markup := regexp.MustCompile(`(^|[^\\])(\\\\)*[\[\]()<>&{}` + "`" + `!_~]`)
	for name, render := range bodies {
		b, err := render()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var c struct {
			Attachments []struct {
				Content struct {
					Body []struct {
						Text  string `json:"text"`
						Facts []struct{ Title, Value string }
					} `json:"body"`
					Actions []struct{ URL string } `json:"actions"`
				} `json:"content"`
			} `json:"attachments"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, e := range c.Attachments[0].Content.Body {
			texts = append(texts, e.Text)
			for _, f := range e.Facts {
				texts = append(texts, f.Title, f.Value)
			}
		}
		seen := false
		for _, s := range texts {
			if markup.MatchString(s) {
				t.Errorf("%s: text has unescaped markup: %q", name, s)
			}
			if strings.Contains(unescapeCommonMark(s), "[click](https://evil.example)") {
				seen = true
			}
			if regexp.MustCompile(`(?m)^[-+]|^\d+\.`).MatchString(s) {
				t.Errorf("%s: a line starts a list: %q", name, s)
			}
		}
		if !seen && name != "expired" {
			t.Errorf("%s: the hostile text is not shown as text", name)
		}
		for _, a := range c.Attachments[0].Content.Actions {
			if strings.Contains(a.URL, "evil") {
				t.Errorf("%s: an action opens %s", name, a.URL)
			}
		}
	}
}
