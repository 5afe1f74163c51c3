package approval

import (
	"strings"

	"github.com/slack-go/slack"
)

// What a final request (decided or expired) looks like on each channel: the
// Slack app messages are updated in place; channels whose messages cannot
// be edited (incoming webhooks, workflows, SNS) get a short follow-up when
// notify_on_decision is set.

// IsFinal reports whether r is decided or expired.
func IsFinal(r Request) bool { return r.Status == StatusDecided || r.Status == StatusExpired }

// finalOutcome is the outcome to show: none for an expired request (its
// outcome, if any, never reached the workflow).
func finalOutcome(r Request) *Outcome {
	if r.Status == StatusExpired {
		return nil
	}
	return r.Outcome
}

// SlackFinalText is the Slack line of a final request: "✅ Approved by …",
// "❌ Rejected by …", "⌛ Expired …" or "⏹ Execution stopped …".
func SlackFinalText(r Request) string {
	if r.Status == StatusExpired && r.Followup.Ended == EndedStopped {
		return SlackStoppedStatusText(r)
	}
	return SlackStatusText(finalOutcome(r))
}

// SlackFinalUpdate renders the chat.update body that shows r's final state
// in the message (channel, ts), without buttons.
func SlackFinalUpdate(m Message, channel, ts string, r Request) ([]byte, error) {
	status := SlackFinalText(r)
	blocks := slackBlocks(m, slack.NewSectionBlock(mrkdwn(status), nil, nil))
	return marshal(slackMessage{Channel: channel, TS: ts, Text: fallbackText(m) + ": " + status, Blocks: blocks})
}

// FinalText is the plain-text state of a final request: "Approved by alice
// (slack) — comment", "Rejected by …", "Expired" or "Execution stopped".
func FinalText(r Request) string {
	o := finalOutcome(r)
	switch {
	case r.Status == StatusExpired && r.Followup.Ended == EndedStopped:
		return strings.TrimPrefix(SlackStoppedStatusText(r), "⏹ ")
	case o == nil:
		return "Expired: the workflow no longer waits for this request."
	}
	names := make([]string, len(o.Approvers))
	for i, a := range o.Approvers {
		n := a.Name
		if n == "" {
			n = a.ID
		}
		names[i] = n + " (" + a.Via + ")"
	}
	s := "Approved by "
	if o.Decision == OutcomeRejected {
		s = "Rejected by "
	}
	s += strings.Join(names, ", ")
	if o.Comment != "" {
		s += " — " + o.Comment
	}
	return s
}

// SlackFollowupMessage renders the incoming-webhook follow-up of a final
// request: its title and state, no buttons.
func SlackFollowupMessage(m Message, r Request) ([]byte, error) {
	status := SlackFinalText(r)
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn("*"+EscapeMrkdwn(m.Title)+"*\n"+status), nil, nil)}
	return marshal(slackMessage{Text: fallbackText(m) + ": " + status, Blocks: blocks})
}

// SlackWorkflowFollowup renders the workflow trigger's follow-up: the same
// variables as the request (a workflow refuses a payload without them),
// the title prefixed with the state, the text the state, no links, and
// "status" set (the request's own variables leave it out).
func SlackWorkflowFollowup(m Message, r Request) ([]byte, error) {
	state := FinalText(r)
	return marshal(map[string]string{
		"title":        strings.SplitN(state, ":", 2)[0] + " — " + m.Title,
		"text":         state,
		"context":      contextText(m.Context),
		"approve_url":  "",
		"reject_url":   "",
		"expires_at":   FormatTime(m.ExpiresAt),
		"execution":    m.ExecutionID,
		"request_id":   m.RequestID,
		"requested_by": m.RequestedBy,
		"gate":         m.Gate,
		"status":       r.Status,
	})
}

// SNSFinalSubject is the subject of the SNS decision notice.
func SNSFinalSubject(m Message, r Request) string {
	word := "Expired"
	switch o := finalOutcome(r); {
	case r.Status == StatusExpired && r.Followup.Ended == EndedStopped:
		word = "Stopped"
	case o != nil && o.Decision == OutcomeRejected:
		word = "Rejected"
	case o != nil:
		word = "Approved"
	}
	return asciiSubject(word + ": " + m.Title)
}

// SNSFinalMessage is the text of the SNS decision notice: no links.
func SNSFinalMessage(m Message, r Request) string {
	var b strings.Builder
	b.WriteString(m.Title + "\n\n" + FinalText(r) + "\n\n")
	if m.ExecutionID != "" {
		b.WriteString("Execution: " + m.ExecutionID + "\n")
	}
	b.WriteString("Request: " + m.RequestID + "\n")
	return b.String()
}
