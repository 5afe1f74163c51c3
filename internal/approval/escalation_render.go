package approval

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// What an escalation step sends: the request again, headed by a note that
// says it was escalated and who may now decide too.

// WebhookEventEscalated is the generic webhook's event of an escalation
// step (WebhookEscalatedBody).
const WebhookEventEscalated = "approval.escalated"

// EscalationNote is the mrkdwn line heading an escalation step's Slack
// messages: step n (1-based) and, when the step adds approvers, who they
// are (Slack users mentioned, other identities as text).
func EscalationNote(n int, s EscalationStep) string {
	note := "⏫ *Escalated* (step " + strconv.Itoa(n) + "): nobody has decided this request yet."
	if len(s.Approvers) == 0 {
		return note
	}
	names := make([]string, 0, len(s.Approvers))
	for _, a := range s.Approvers {
		names = append(names, identityMention(a))
	}
	return note + " Now also deciding: " + strings.Join(names, ", ") + "."
}

// identityMention renders an identity for Slack: "<@U…>" for a Slack user
// (a mention), the escaped value otherwise.
func identityMention(a string) string {
	id, err := ParseIdentity(a)
	if err != nil {
		return EscapeMrkdwn(a)
	}
	kind, value, _ := strings.Cut(id, ":")
	if kind == IdentitySlack {
		return "<@" + value + ">"
	}
	return EscapeMrkdwn(value)
}

// EscalationPlainNote is EscalationNote for e-mail: plain text.
func EscalationPlainNote(n int, s EscalationStep) string {
	note := "Escalated (step " + strconv.Itoa(n) + "): nobody has decided this request yet."
	if len(s.Approvers) == 0 {
		return note
	}
	names := make([]string, 0, len(s.Approvers))
	for _, a := range s.Approvers {
		if id, err := ParseIdentity(a); err == nil {
			_, a, _ = strings.Cut(id, ":")
		}
		names = append(names, a)
	}
	return note + " Now also deciding: " + strings.Join(names, ", ") + "."
}

// SlackAppEscalationMessage renders m for chat.postMessage to an escalation
// step's channel: the note, then the request with interactive buttons, as
// SlackAppMessage.
func SlackAppEscalationMessage(m Message, channel, note string) ([]byte, error) {
	buttons := slackButtons(func(d string) *slack.ButtonBlockElement {
		return slack.NewButtonBlockElement(d, m.RequestID, buttonLabel(d))
	})
	blocks := append([]slack.Block{slack.NewSectionBlock(mrkdwn(note), nil, nil)}, slackBlocks(m, buttons)...)
	return marshal(slackMessage{Channel: channel, Text: "Escalated: " + fallbackText(m), Blocks: blocks})
}

// SlackWebhookEscalationMessage renders m for an escalation step's Slack
// incoming webhook: the note, then the request with link buttons.
func SlackWebhookEscalationMessage(m Message, note string) ([]byte, error) {
	buttons := slackButtons(func(d string) *slack.ButtonBlockElement {
		url := m.ApproveURL
		if d == DecisionReject {
			url = m.RejectURL
		}
		return slack.NewButtonBlockElement(d, "", buttonLabel(d)).WithURL(url)
	})
	blocks := append([]slack.Block{slack.NewSectionBlock(mrkdwn(note), nil, nil)}, slackBlocks(m, buttons)...)
	return marshal(slackMessage{Text: "Escalated: " + fallbackText(m), Blocks: blocks})
}

// EscalationSNSMessage renders m for the escalation topic: the subject and
// the MessageStructure=json body (e-mail is the only protocol subscribed).
func EscalationSNSMessage(m Message, n int, s EscalationStep) (subject, body string, err error) {
	full := EscalationPlainNote(n, s) + "\n\n" + SNSMessage(m)
	b, err := marshal(map[string]string{"default": full, "email": full})
	subject = SNSSubject(Message{Title: "(escalated) " + m.Title})
	return subject, string(b), err
}

// WebhookEscalated is the generic webhook's body of an escalation step:
// the request's payload with the event name and the step (1-based).
type WebhookEscalated struct {
	Event string `json:"event"`
	WebhookPayload
	EscalationStep int      `json:"escalation_step"`
	Approvers      []string `json:"escalation_approvers,omitempty"`
}

// WebhookEscalatedBody renders the approval.escalated event of step n.
func WebhookEscalatedBody(m Message, n int, s EscalationStep) ([]byte, error) {
	b, err := WebhookBody(m)
	if err != nil {
		return nil, err
	}
	var p WebhookPayload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	ids, _ := CanonicalIdentities(s.Approvers)
	return marshal(WebhookEscalated{Event: WebhookEventEscalated, WebhookPayload: p, EscalationStep: n, Approvers: ids})
}
