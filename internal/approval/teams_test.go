package approval

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTeamsGolden(t *testing.T) {
	t.Parallel()
	m := testMessage()
	approved := &Outcome{Decision: OutcomeApproved, Approvers: []Approver{{ID: "email:alice@example.com", Name: "alice", Via: ViaSSO}, {ID: "bob", Name: "Bob [x](https://evil.example)", Via: ViaLink}},
		Comment: "ok *ship* <at>everyone</at>", DecidedAt: "2026-11-25T08:00:00Z", RequestID: testID}
	rejected := &Outcome{Decision: OutcomeRejected, Approvers: []Approver{{ID: "anonymous", Via: ViaLink}}, RequestID: testID}
	tests := []struct {
		file   string
		render func() ([]byte, error)
	}{
		{"teams_card.json", func() ([]byte, error) { return TeamsCard(m) }},
		{"teams_reminder.json", func() ([]byte, error) { return TeamsReminderCard(m, false) }},
		{"teams_last_call.json", func() ([]byte, error) { return TeamsReminderCard(m, true) }},
		{"teams_approved.json", func() ([]byte, error) { return TeamsDecisionCard(m, approved) }},
		{"teams_rejected.json", func() ([]byte, error) { return TeamsDecisionCard(m, rejected) }},
		{"teams_expired.json", func() ([]byte, error) { return TeamsDecisionCard(m, nil) }},
		{"teams_stopped.json", func() ([]byte, error) { return TeamsStoppedCard(m) }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			b, err := tt.render()
			golden(t, tt.file, indentJSON(t, b, err))
		})
	}
}

// teamsDoc is the shape of a Teams Workflows post, for assertions that do
// not depend on the golden files.
type teamsDoc struct {
	Type        string `json:"type"`
	Attachments []struct {
		ContentType string           `json:"contentType"`
		ContentURL  *string          `json:"contentUrl"`
		Content     *json.RawMessage `json:"content"`
	} `json:"attachments"`
}

func decodeTeamsCard(t *testing.T, b []byte) AdaptiveCard {
	t.Helper()
	var d teamsDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Type != "message" || len(d.Attachments) != 1 || d.Attachments[0].ContentType != TeamsCardContentType || d.Attachments[0].Content == nil {
		t.Fatalf("not a Workflows message with one Adaptive Card: %s", b)
	}
	if !strings.Contains(string(b), `"contentUrl":null`) {
		t.Errorf("contentUrl is not null: %s", b)
	}
	var c AdaptiveCard
	if err := json.Unmarshal(*d.Attachments[0].Content, &c); err != nil {
		t.Fatal(err)
	}
	if c.Type != "AdaptiveCard" || c.Version != TeamsCardVersion {
		t.Fatalf("card type %q version %q", c.Type, c.Version)
	}
	return c
}

// TestTeamsCardButtons: the card's only actions are Approve and Reject,
// opening the signed links as they are.
func TestTeamsCardButtons(t *testing.T) {
	t.Parallel()
	m := testMessage()
	for name, render := range map[string]func() ([]byte, error){
		"card":     func() ([]byte, error) { return TeamsCard(m) },
		"reminder": func() ([]byte, error) { return TeamsReminderCard(m, false) },
	} {
		b, err := render()
		if err != nil {
			t.Fatal(err)
		}
		c := decodeTeamsCard(t, b)
		want := []CardAction{
			{Type: "Action.OpenUrl", Title: "Approve", URL: m.ApproveURL, Style: "positive"},
			{Type: "Action.OpenUrl", Title: "Reject", URL: m.RejectURL, Style: "destructive"},
		}
		if diff := cmp.Diff(want, c.Actions); diff != "" {
			t.Errorf("%s: actions (-want +got):\n%s", name, diff)
		}
	}
	for name, render := range map[string]func() ([]byte, error){
		"decision": func() ([]byte, error) { return TeamsDecisionCard(m, nil) },
		"stopped":  func() ([]byte, error) { return TeamsStoppedCard(m) },
	} {
		b, err := render()
		if err != nil {
			t.Fatal(err)
		}
		if c := decodeTeamsCard(t, b); len(c.Actions) != 0 {
			t.Errorf("%s: a final card has buttons: %+v", name, c.Actions)
		}
	}
}

// unescapeCommonMark undoes CommonMark backslash escapes of ASCII
// punctuation: what a reader sees of an escaped text.
func unescapeCommonMark(s string) string {
	return regexp.MustCompile("\\\\([!-/:-@\\[-`{-~])").ReplaceAllString(s, "$1")
}

func TestEscapeTeamsMarkdown(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain text 42", "plain text 42"},
		{"[click](https://evil.example)", `\[click\]\(https://evil.example\)`},
		{"**bold** _it_ ~s~", `\*\*bold\*\* \_it\_ \~s\~`},
		{"<at>all</at> &amp;", `\<at\>all\</at\> \&amp;`},
		{"{{DATE(2017-02-14T06:08:00Z)}}", `\{\{DATE\(2017-02-14T06:08:00Z\)\}\}`},
		{"- item\n+ item\n 1. one\n2) two\n# h\n> q", "\\- item\n\\+ item\n 1\\. one\n2\\) two\n\\# h\n\\> q"},
		{"a - b 1. c", "a - b 1. c"},
		{`back\slash`, `back\\slash`},
	}
	for _, tt := range tests {
		got := EscapeTeamsMarkdown(tt.in)
		if got != tt.want {
			t.Errorf("EscapeTeamsMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back := unescapeCommonMark(got); back != tt.in {
			t.Errorf("EscapeTeamsMarkdown(%q) reads as %q", tt.in, back)
		}
	}
}

// TestTeamsCardSize: the largest request the notifier stores, every
// character one that escaping doubles, still fits in a Teams message.
func TestTeamsCardSize(t *testing.T) {
	t.Parallel()
	ctx := make([]Field, MaxContextFields)
	for i := range ctx {
		ctx[i] = Field{Key: strings.Repeat("*", 20), Value: strings.Repeat("[", MaxContextBytes/MaxContextFields-20)}
	}
	m := Message{
		RequestID: testID, Title: strings.Repeat("_", MaxTitleRunes), Text: strings.Repeat("<", MaxTextRunes), Context: ctx,
		RequestedBy: strings.Repeat("`", 200), ExecutionID: "arn:aws:states:eu-west-1:123456789012:execution:deploy:" + strings.Repeat("x", 80),
		ExpiresAt: time.Unix(1_800_000_000, 0), ApproveURL: "https://api.example/r/" + strings.Repeat("A", 200), RejectURL: "https://api.example/r/" + strings.Repeat("B", 200),
	}
	b, err := TeamsCard(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > TeamsMaxMessageBytes {
		t.Errorf("card of %d bytes is over Teams's %d", len(b), TeamsMaxMessageBytes)
	}
}
