package approval

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// marshal is json.Marshal without HTML escaping: the bodies go to APIs, not
// into HTML, and stay readable.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Message is what every channel tells approvers about one request.
type Message struct {
	RequestID      string
	Gate           string
	Title          string
	Text           string
	Context        []Field
	RequestedBy    string
	ExecutionID    string
	StateMachineID string
	StateName      string
	ExpiresAt      time.Time
	ApproveURL     string
	RejectURL      string
}

// NewMessage returns the message for r with the given decision links.
func NewMessage(r Request, gate, approveURL, rejectURL string) Message {
	return Message{
		RequestID: r.ID, Gate: gate, Title: r.Title, Text: r.Text, Context: r.Context,
		RequestedBy: r.RequestedBy, ExecutionID: r.ExecutionID, StateMachineID: r.StateMachineID,
		StateName: r.StateName, ExpiresAt: r.ExpiresAt, ApproveURL: approveURL, RejectURL: rejectURL,
	}
}

// DefaultTitle is the title of a request whose payload has none.
func DefaultTitle(gate string) string {
	if gate == "" {
		return "Approval requested"
	}
	return "Approval requested: " + gate
}

// FormatTime renders t for people: minutes, UTC.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// ExecutionName returns the last part of an execution ARN.
func ExecutionName(arn string) string {
	return arn[strings.LastIndexByte(arn, ':')+1:]
}

var broadcast = regexp.MustCompile(`(?i)@(channel|here|everyone)\b`)

// EscapeMrkdwn makes s safe to show in Slack mrkdwn: it escapes &, < and >
// (so "<!here>", "<@U1>" and links stay text) and breaks "@channel",
// "@here" and "@everyone" with a word joiner so they mention nobody.
func EscapeMrkdwn(s string) string {
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	return broadcast.ReplaceAllString(s, "@\u2060$1")
}

// SlackApproverName renders an approver in mrkdwn: a mention for a Slack
// user, the escaped name otherwise.
func SlackApproverName(a Approver) string {
	// Outcomes recorded before identities were canonical hold the bare id.
	if u := strings.TrimPrefix(a.ID, IdentitySlack+":"); a.Via == ViaSlack && slackUserIDPattern.MatchString(u) {
		return "<@" + u + ">"
	}
	name := a.Name
	if name == "" {
		name = a.ID
	}
	return EscapeMrkdwn(name) + " (" + a.Via + ")"
}

// Block Kit limits.
const (
	slackFieldsPerSection = 10
	slackMaxSectionText   = 3000
	slackMaxFieldText     = 2000
)

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// slackBlocks renders the request part of every Slack message, then extra.
func slackBlocks(m Message, extra ...slack.Block) []slack.Block {
	blocks := []slack.Block{slack.NewHeaderBlock(plain(Truncate(m.Title, MaxTitleRunes)))}
	if m.Text != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(Truncate(EscapeMrkdwn(m.Text), slackMaxSectionText)), nil, nil))
	}
	for i := 0; i < len(m.Context); i += slackFieldsPerSection {
		var fields []*slack.TextBlockObject
		for _, f := range m.Context[i:min(i+slackFieldsPerSection, len(m.Context))] {
			fields = append(fields, mrkdwn(Truncate("*"+EscapeMrkdwn(f.Key)+"*\n"+EscapeMrkdwn(f.Value), slackMaxFieldText)))
		}
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	}
	var facts []slack.MixedElement
	if m.RequestedBy != "" {
		facts = append(facts, mrkdwn("Requested by *"+EscapeMrkdwn(m.RequestedBy)+"*"))
	}
	facts = append(facts, mrkdwn("Expires "+FormatTime(m.ExpiresAt)))
	if m.ExecutionID != "" {
		facts = append(facts, mrkdwn("Execution `"+EscapeMrkdwn(ExecutionName(m.ExecutionID))+"`"))
	}
	blocks = append(blocks, slack.NewContextBlock("facts", facts...))
	return append(blocks, extra...)
}

func slackButtons(build func(decision string) *slack.ButtonBlockElement) slack.Block {
	approve := build(DecisionApprove).WithStyle(slack.StylePrimary)
	reject := build(DecisionReject).WithStyle(slack.StyleDanger)
	return slack.NewActionBlock("decision", approve, reject)
}

func buttonLabel(decision string) *slack.TextBlockObject {
	if decision == DecisionApprove {
		return plain("Approve")
	}
	return plain("Reject")
}

// fallbackText is the notification text of a Slack message. Slack formats
// a message's top-level text as mrkdwn (and notifies from it), so the title
// is escaped there: a title of "<!channel>" must not ping the channel. The
// header block shows the title as plain_text, which Slack never parses.
func fallbackText(m Message) string { return EscapeMrkdwn(m.Title) }

// slackMessage is the JSON body of an incoming webhook, chat.postMessage or
// chat.update call.
type slackMessage struct {
	Channel string        `json:"channel,omitempty"`
	TS      string        `json:"ts,omitempty"`
	Text    string        `json:"text"`
	Blocks  []slack.Block `json:"blocks"`
}

// SlackWebhookMessage renders m for a Slack incoming webhook: Block Kit with
// Approve and Reject link buttons (action ids "approve" and "reject").
func SlackWebhookMessage(m Message) ([]byte, error) {
	buttons := slackButtons(func(d string) *slack.ButtonBlockElement {
		url := m.ApproveURL
		if d == DecisionReject {
			url = m.RejectURL
		}
		return slack.NewButtonBlockElement(d, "", buttonLabel(d)).WithURL(url)
	})
	return marshal(slackMessage{Text: fallbackText(m), Blocks: slackBlocks(m, buttons)})
}

// SlackAppMessage renders m for chat.postMessage to channel: Block Kit with
// interactive Approve and Reject buttons whose value is the request id.
func SlackAppMessage(m Message, channel string) ([]byte, error) {
	buttons := slackButtons(func(d string) *slack.ButtonBlockElement {
		return slack.NewButtonBlockElement(d, m.RequestID, buttonLabel(d))
	})
	return marshal(slackMessage{Channel: channel, Text: fallbackText(m), Blocks: slackBlocks(m, buttons)})
}

// SlackStatusText is the line that replaces the buttons once a request is
// decided (o set) or has expired (o nil): "✅ Approved by <@U1> — comment".
func SlackStatusText(o *Outcome) string {
	if o == nil {
		return "⌛ Expired: the workflow no longer waits for this request."
	}
	names := make([]string, len(o.Approvers))
	for i, a := range o.Approvers {
		names[i] = SlackApproverName(a)
	}
	s := "✅ Approved by "
	if o.Decision == OutcomeRejected {
		s = "❌ Rejected by "
	}
	s += strings.Join(names, ", ")
	if o.Comment != "" {
		s += " — " + EscapeMrkdwn(o.Comment)
	}
	return s
}

// SlackUpdateMessage renders the chat.update body that replaces the message
// (channel, ts) of m with its final state: the request without buttons, then
// SlackStatusText(o).
func SlackUpdateMessage(m Message, channel, ts string, o *Outcome) ([]byte, error) {
	status := SlackStatusText(o)
	blocks := slackBlocks(m, slack.NewSectionBlock(mrkdwn(status), nil, nil))
	return marshal(slackMessage{Channel: channel, TS: ts, Text: fallbackText(m) + ": " + status, Blocks: blocks})
}

// SlackWorkflowVariables renders m for a Slack Workflow Builder trigger
// webhook: a flat object of string variables.
func SlackWorkflowVariables(m Message) ([]byte, error) {
	return marshal(map[string]string{
		"title":        m.Title,
		"text":         m.Text,
		"context":      contextText(m.Context),
		"approve_url":  m.ApproveURL,
		"reject_url":   m.RejectURL,
		"expires_at":   FormatTime(m.ExpiresAt),
		"execution":    m.ExecutionID,
		"request_id":   m.RequestID,
		"requested_by": m.RequestedBy,
		"gate":         m.Gate,
	})
}

func contextText(ctx []Field) string {
	var b strings.Builder
	for _, f := range ctx {
		b.WriteString(f.Key + ": " + f.Value + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// maxSubjectLen is below SNS's limit of 100 characters.
const maxSubjectLen = 99

// SNSSubject renders the subject of the SNS message (used by email): short,
// printable ASCII, one line.
func SNSSubject(m Message) string { return asciiSubject("Approval needed: " + m.Title) }

// asciiSubject makes s an SNS subject: printable ASCII, one line, at most
// maxSubjectLen characters.
func asciiSubject(subject string) string {
	s := []byte(strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, strings.Join(strings.Fields(subject), " ")))
	if len(s) > maxSubjectLen {
		s = append(s[:maxSubjectLen-3], "..."...)
	}
	return string(s)
}

// SNSMessage renders m as plain text for email and SMS subscribers.
func SNSMessage(m Message) string {
	var b strings.Builder
	b.WriteString(m.Title + "\n")
	if m.Text != "" {
		b.WriteString("\n" + m.Text + "\n")
	}
	if len(m.Context) > 0 {
		b.WriteString("\n" + contextText(m.Context) + "\n")
	}
	b.WriteString("\n")
	if m.RequestedBy != "" {
		b.WriteString("Requested by: " + m.RequestedBy + "\n")
	}
	b.WriteString("Expires: " + FormatTime(m.ExpiresAt) + "\n")
	if m.ExecutionID != "" {
		b.WriteString("Execution: " + m.ExecutionID + "\n")
	}
	b.WriteString("\nApprove: " + m.ApproveURL + "\nReject: " + m.RejectURL + "\n")
	b.WriteString("\nEach link opens a confirmation page; nothing is decided until you confirm there.\n")
	return b.String()
}

// WebhookPayload is the JSON body of the generic webhook.
type WebhookPayload struct {
	RequestID      string  `json:"request_id"`
	Gate           string  `json:"gate"`
	Title          string  `json:"title"`
	Text           string  `json:"text,omitempty"`
	Context        []Field `json:"context"`
	RequestedBy    string  `json:"requested_by,omitempty"`
	ExecutionID    string  `json:"execution_id,omitempty"`
	StateMachineID string  `json:"state_machine_id,omitempty"`
	StateName      string  `json:"state_name,omitempty"`
	ExpiresAt      string  `json:"expires_at"` // RFC 3339, UTC
	ApproveURL     string  `json:"approve_url"`
	RejectURL      string  `json:"reject_url"`
}

// WebhookBody renders m for the generic webhook.
func WebhookBody(m Message) ([]byte, error) {
	ctx := m.Context
	if ctx == nil {
		ctx = []Field{}
	}
	return marshal(WebhookPayload{
		RequestID: m.RequestID, Gate: m.Gate, Title: m.Title, Text: m.Text, Context: ctx,
		RequestedBy: m.RequestedBy, ExecutionID: m.ExecutionID, StateMachineID: m.StateMachineID,
		StateName: m.StateName, ExpiresAt: m.ExpiresAt.UTC().Format(time.RFC3339),
		ApproveURL: m.ApproveURL, RejectURL: m.RejectURL,
	})
}

// Headers of a webhook request. The signature covers the timestamp, the
// delivery id and the body, so a receiver can refuse a replayed request
// (an old timestamp, or a delivery id already seen) as well as a forged one.
const (
	// WebhookSignatureHeader carries WebhookSignature.
	WebhookSignatureHeader = "X-ManualApproval-Signature"
	// WebhookTimestampHeader is when the request was signed, in Unix seconds.
	WebhookTimestampHeader = "X-ManualApproval-Timestamp"
	// WebhookDeliveryHeader is the delivery's id, the same for each retry of
	// the delivery.
	WebhookDeliveryHeader = "X-ManualApproval-Delivery"
	// WebhookMaxAge is how old a request VerifyWebhookSignature accepts.
	WebhookMaxAge = 5 * time.Minute
)

// WebhookSignature returns "v1=<hex HMAC-SHA256>" of
// "v1:<timestamp>:<delivery>:<body>" with secret.
func WebhookSignature(secret []byte, timestamp int64, delivery string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("v1:" + strconv.FormatInt(timestamp, 10) + ":" + delivery + ":"))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Webhook verification errors.
var (
	ErrWebhookSignature = errors.New("webhook signature does not match")
	ErrWebhookStale     = errors.New("webhook timestamp is too old or in the future")
)

// VerifyWebhookSignature is what a receiver does with a webhook request
// (the recipe the security model guide shows): recompute the signature over
// the timestamp, delivery id and raw body, compare in constant time, and
// refuse a timestamp more than WebhookMaxAge away from now. It does not
// remember delivery ids: a receiver that must refuse every replay also keeps
// the ids it has seen for WebhookMaxAge.
func VerifyWebhookSignature(secret []byte, timestamp, delivery, signature string, body []byte, now time.Time) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrWebhookStale
	}
	if d := now.Sub(time.Unix(ts, 0)); d > WebhookMaxAge || d < -WebhookMaxAge {
		return ErrWebhookStale
	}
	if !hmac.Equal([]byte(WebhookSignature(secret, ts, delivery, body)), []byte(signature)) {
		return ErrWebhookSignature
	}
	return nil
}
