package approval

import (
	"regexp"
	"strings"
)

// Microsoft Teams: a gate posts Adaptive Cards to a Teams Workflows URL, the
// trigger "When a Teams webhook request is received" of the template "Post
// to a channel when a webhook request is received" (Power Automate). The
// trigger takes the Bot Framework message shape, one attachment holding the
// card, and the flow posts attachments[0].content to the channel:
//
//	{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
//	  "contentUrl":null,"content":{"type":"AdaptiveCard","version":"1.4",…}}]}
//
// See "Create Incoming Webhooks" (Microsoft Teams platform docs:
// https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook):
// Microsoft 365 connectors are retired in favour of Workflows and their
// trigger "When a Teams webhook request is received"; Workflows take
// Adaptive Cards only; a message is at most 28 KB; more than four requests
// a second are throttled with HTTP 429, to be retried with backoff. The
// cards declare Adaptive Card 1.4 and use only TextBlock, FactSet and
// Action.OpenUrl (schema 1.0) with an action style (1.2): nothing a Teams
// client of the last years fails to render (https://adaptivecards.io/explorer/).

// Teams card constants.
const (
	// TeamsCardContentType is the attachment content type of an Adaptive Card.
	TeamsCardContentType = "application/vnd.microsoft.card.adaptive"
	// TeamsCardVersion is the Adaptive Card schema version of the cards.
	TeamsCardVersion = "1.4"
	// TeamsMaxMessageBytes is Teams's limit on one message, card included.
	TeamsMaxMessageBytes = 28 << 10

	teamsSchema      = "http://adaptivecards.io/schemas/adaptive-card.json"
	teamsMaxFactText = 500
)

// TeamsMessage is the body a Teams Workflows webhook trigger takes.
type TeamsMessage struct {
	Type        string            `json:"type"` // "message"
	Attachments []TeamsAttachment `json:"attachments"`
}

// TeamsAttachment is one attachment of a TeamsMessage: an Adaptive Card.
type TeamsAttachment struct {
	ContentType string       `json:"contentType"`
	ContentURL  *string      `json:"contentUrl"` // always null
	Content     AdaptiveCard `json:"content"`
}

// AdaptiveCard is the subset of the Adaptive Card schema the gate uses.
type AdaptiveCard struct {
	Schema  string        `json:"$schema"`
	Type    string        `json:"type"` // "AdaptiveCard"
	Version string        `json:"version"`
	MSTeams *CardMSTeams  `json:"msteams,omitempty"`
	Body    []CardElement `json:"body"`
	Actions []CardAction  `json:"actions,omitempty"`
}

// CardMSTeams holds Teams's extensions of a card: "Full" width.
type CardMSTeams struct {
	Width string `json:"width,omitempty"`
}

// CardElement is a TextBlock (Text set) or a FactSet (Facts set).
type CardElement struct {
	Type     string     `json:"type"`
	Text     string     `json:"text,omitempty"`
	Wrap     bool       `json:"wrap,omitempty"`
	Weight   string     `json:"weight,omitempty"`
	Size     string     `json:"size,omitempty"`
	Color    string     `json:"color,omitempty"`
	IsSubtle bool       `json:"isSubtle,omitempty"`
	Spacing  string     `json:"spacing,omitempty"`
	Facts    []CardFact `json:"facts,omitempty"`
}

// CardFact is one fact of a FactSet.
type CardFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// CardAction is an Action.OpenUrl.
type CardAction struct {
	Type  string `json:"type"` // "Action.OpenUrl"
	Title string `json:"title"`
	URL   string `json:"url"`
	Style string `json:"style,omitempty"` // "positive" | "destructive"
}

// teamsEscapeChars are the CommonMark punctuation characters that start
// markup anywhere in a line: emphasis (* _ ~), links and images ([ ] ( ) !),
// autolinks, HTML and Teams <at> mentions (< >), entities (&), code (`),
// Adaptive Card DATE/TIME functions ({{ }}) and the escape itself (\).
const teamsEscapeChars = "\\`*_[]()<>!&~{}|#"

// lineStartMarkup matches what makes markup only at the start of a line:
// list items (-, +, 1. or 1)), headings (#) and quotes (>).
var lineStartMarkup = regexp.MustCompile(`(?m)^([ \t]*)([-+]|\d+[.)])`)

// EscapeTeamsMarkdown makes s show as typed in an Adaptive Card TextBlock or
// Fact, which render a subset of CommonMark (bold, italic, lists, links:
// https://learn.microsoft.com/adaptive-cards/authoring-cards/text-features):
// every markup character is backslash-escaped, as CommonMark allows for any
// ASCII punctuation, so "[click](https://evil.example)" stays text, not a
// link whose target is hidden, and "<at>" mentions nobody.
func EscapeTeamsMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(teamsEscapeChars, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return lineStartMarkup.ReplaceAllStringFunc(b.String(), func(m string) string {
		return m[:len(m)-1] + "\\" + m[len(m)-1:]
	})
}

func teamsText(s string, opts ...func(*CardElement)) CardElement {
	e := CardElement{Type: "TextBlock", Text: s, Wrap: true}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func bolder(e *CardElement) { e.Weight = "Bolder"; e.Size = "Medium" }
func faint(e *CardElement)  { e.IsSubtle = true; e.Size = "Small"; e.Spacing = "Small" }

// teamsHeader is the request part every card starts with: the title, then
// (full only) the text and the context as a FactSet.
func teamsHeader(m Message, full bool) []CardElement {
	body := []CardElement{teamsText(EscapeTeamsMarkdown(Truncate(m.Title, MaxTitleRunes)), bolder)}
	if !full {
		return body
	}
	if m.Text != "" {
		body = append(body, teamsText(EscapeTeamsMarkdown(Truncate(m.Text, MaxTextRunes))))
	}
	if len(m.Context) > 0 {
		facts := make([]CardFact, len(m.Context))
		for i, f := range m.Context {
			facts[i] = CardFact{Title: EscapeTeamsMarkdown(Truncate(f.Key, teamsMaxFactText)), Value: EscapeTeamsMarkdown(Truncate(f.Value, teamsMaxFactText))}
		}
		body = append(body, CardElement{Type: "FactSet", Facts: facts})
	}
	return body
}

// teamsFacts is the subtle line under the request: requester, expiry,
// execution.
func teamsFacts(m Message) CardElement {
	var parts []string
	if m.RequestedBy != "" {
		parts = append(parts, "Requested by **"+EscapeTeamsMarkdown(m.RequestedBy)+"**")
	}
	parts = append(parts, "Expires "+FormatTime(m.ExpiresAt))
	if m.ExecutionID != "" {
		parts = append(parts, "Execution "+EscapeTeamsMarkdown(ExecutionName(m.ExecutionID)))
	}
	return teamsText(strings.Join(parts, " · "), faint)
}

// teamsButtons are the Approve and Reject buttons: they open the request's
// signed links, whose GET shows the confirm page (through the sign-in when
// the gate has single sign-on), as the links in e-mails do.
func teamsButtons(m Message) []CardAction {
	return []CardAction{
		{Type: "Action.OpenUrl", Title: "Approve", URL: m.ApproveURL, Style: "positive"},
		{Type: "Action.OpenUrl", Title: "Reject", URL: m.RejectURL, Style: "destructive"},
	}
}

func teamsCard(body []CardElement, actions []CardAction) ([]byte, error) {
	return marshal(TeamsMessage{Type: "message", Attachments: []TeamsAttachment{{
		ContentType: TeamsCardContentType,
		Content: AdaptiveCard{
			Schema: teamsSchema, Type: "AdaptiveCard", Version: TeamsCardVersion,
			MSTeams: &CardMSTeams{Width: "Full"}, Body: body, Actions: actions,
		},
	}}})
}

// TeamsCard renders the request m as the body of a Teams Workflows webhook
// post: its title, text and context (a FactSet), requester and expiry, and
// Approve and Reject buttons opening the signed links.
func TeamsCard(m Message) ([]byte, error) {
	return teamsCard(append(teamsHeader(m, true), teamsFacts(m)), teamsButtons(m))
}

// TeamsReminderCard renders a follow-up card for a request still pending:
// "still waiting" (lastCall false) or the last call before it expires, with
// the title, expiry and the same buttons.
func TeamsReminderCard(m Message, lastCall bool) ([]byte, error) {
	line := "⏰ **Reminder:** still waiting for a decision."
	if lastCall {
		line = "⚠️ **Last call:** this request expires at " + FormatTime(m.ExpiresAt) + "."
	}
	body := append([]CardElement{teamsText(line)}, teamsHeader(m, false)...)
	return teamsCard(append(body, teamsFacts(m)), teamsButtons(m))
}

// TeamsStatusText is the line of a decision card: "✅ Approved by **alice** via
// link — comment", "❌ Rejected by …", or, o nil, the expiry.
func TeamsStatusText(o *Outcome) string {
	if o == nil {
		return "⌛ **Expired:** the workflow no longer waits for this request."
	}
	names := make([]string, len(o.Approvers))
	for i, a := range o.Approvers {
		name := a.Name
		if name == "" {
			name = a.ID
		}
		names[i] = "**" + EscapeTeamsMarkdown(name) + "** via " + EscapeTeamsMarkdown(a.Via)
	}
	s := "✅ Approved by "
	if o.Decision == OutcomeRejected {
		s = "❌ Rejected by "
	}
	s += strings.Join(names, ", ")
	if o.Comment != "" {
		s += " — " + EscapeTeamsMarkdown(o.Comment)
	}
	return s
}

// TeamsDecisionCard renders the follow-up card of a request decided (o set)
// or expired (o nil): the title and the status line, without buttons (a
// posted card cannot be edited through a Workflows URL).
func TeamsDecisionCard(m Message, o *Outcome) ([]byte, error) {
	return teamsCard(append(teamsHeader(m, false), teamsText(TeamsStatusText(o))), nil)
}

// TeamsStoppedCard renders the follow-up card of a request whose execution
// stopped before anyone decided.
func TeamsStoppedCard(m Message) ([]byte, error) {
	return teamsCard(append(teamsHeader(m, false),
		teamsText("⏹️ **Execution stopped:** the workflow no longer waits for this request.")), nil)
}
