package approval

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Reminders and the last call (the reminders issue): when they are due, and
// what they say on each channel. The sweep (internal/lambda/remind.go) acts
// on them; everything here is pure.
//
// A pending request's reminder schedule is a list of slots: slot k (from 0)
// is CreatedAt + AfterSeconds + k·EverySeconds, for k < Max, kept only while
// it is before the last call (or, without one, the expiry).
// FollowupState.RemindersSent counts the slots used: a sweep that runs late
// and finds several slots passed sends one reminder and uses them all, so
// nobody gets a burst. The last call is due at ExpiresAt −
// WarnBeforeExpirySeconds, once; it takes the place of a reminder due at the
// same time and ends the reminders.

// Follow-up kinds: what a due follow-up is.
const (
	FollowupReminder = "reminder"
	FollowupLastCall = "last_call"
)

// checkReminders refuses reminder settings the sweep cannot keep; the
// provider refuses them at plan time with more context, this guards the
// configuration document itself (ParseConfigDoc).
func (f Followup) checkReminders() error {
	if rm := f.Reminders; rm != nil {
		switch {
		case rm.EverySeconds < MinReminderEverySeconds:
			return fmt.Errorf("reminders.every_seconds is %d, below %d", rm.EverySeconds, MinReminderEverySeconds)
		case rm.AfterSeconds < MinReminderEverySeconds:
			return fmt.Errorf("reminders.after_seconds is %d, below %d", rm.AfterSeconds, MinReminderEverySeconds)
		case rm.Max < 1 || rm.Max > MaxReminders:
			return fmt.Errorf("reminders.max is %d, not between 1 and %d", rm.Max, MaxReminders)
		}
	}
	if w := f.WarnBeforeExpirySeconds; w != 0 && w < MinReminderEverySeconds {
		return fmt.Errorf("warn_before_expiry_seconds is %d, below %d", w, MinReminderEverySeconds)
	}
	return nil
}

// reminderSlot is slot k of f's schedule for r, and false when there is no
// such slot (past Max, or at or after the cutoff).
func reminderSlot(f Followup, r Request, k int) (time.Time, bool) {
	rm := f.Reminders
	if rm == nil || k >= rm.Max || rm.EverySeconds <= 0 || r.Followup.LastCallSent {
		return time.Time{}, false
	}
	t := r.CreatedAt.Add(time.Duration(rm.AfterSeconds+int64(k)*rm.EverySeconds) * time.Second)
	if !t.Before(reminderCutoff(f, r)) {
		return time.Time{}, false
	}
	return t, true
}

// reminderCutoff is when reminders stop: the last call when there is one,
// else the expiry.
func reminderCutoff(f Followup, r Request) time.Time {
	if t, ok := lastCallAt(f, r); ok {
		return t
	}
	return r.ExpiresAt
}

// lastCallAt is when r's last call is due, and false when f has none.
func lastCallAt(f Followup, r Request) (time.Time, bool) {
	if f.WarnBeforeExpirySeconds <= 0 {
		return time.Time{}, false
	}
	t := r.ExpiresAt.Add(-time.Duration(f.WarnBeforeExpirySeconds) * time.Second)
	if t.Before(r.CreatedAt) {
		// The request lives shorter than the warning (the timeout was
		// lowered below it): its first notification is its last call.
		return time.Time{}, false
	}
	return t, true
}

// nextReminder is when r's next reminder is due (zero: none).
func nextReminder(f Followup, r Request) time.Time {
	t, _ := reminderSlot(f, r, r.Followup.RemindersSent)
	return t
}

// nextLastCall is when r's last call is due (zero: none, or sent).
func nextLastCall(f Followup, r Request) time.Time {
	if r.Followup.LastCallSent {
		return time.Time{}
	}
	t, _ := lastCallAt(f, r)
	return t
}

// NextFollowup is the next time something is due for pending request r: the
// earliest of its next reminder, its last call and its expiry. The notifier
// stores it as the new request's due_at and the sweep after each follow-up.
func NextFollowup(f Followup, r Request) time.Time {
	next := r.ExpiresAt
	// One candidate a kind of follow-up (zero: nothing of that kind is
	// left); another kind adds its line.
	for _, t := range []time.Time{
		nextReminder(f, r),
		nextLastCall(f, r),
		nextEscalationTime(f, r),
	} {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	return next
}

// DueFollowup is the follow-up due for pending request r at now ("" when
// none: nothing due yet, or r has expired), and r's follow-up state once it
// is sent. Of a last call and reminders due together only the last call is
// sent; of several reminders due, one.
func DueFollowup(f Followup, r Request, now time.Time) (kind string, next FollowupState) {
	next = r.Followup
	if !now.Before(r.ExpiresAt) {
		return "", next
	}
	// used counts the slots passed by now.
	used := next.RemindersSent
	for {
		t, ok := reminderSlot(f, r, used)
		if !ok || t.After(now) {
			break
		}
		used++
	}
	if t := nextLastCall(f, r); !t.IsZero() && !t.After(now) {
		next.LastCallSent = true
		next.RemindersSent = used
		return FollowupLastCall, next
	}
	if used > next.RemindersSent {
		next.RemindersSent = used
		return FollowupReminder, next
	}
	return "", next
}

// Reminder is one reminder or last call of a request, as the channels say it.
type Reminder struct {
	Message
	// Kind is FollowupReminder or FollowupLastCall.
	Kind string
	// Number is the reminder's slot (1-based); 0 for a last call.
	Number int
	// Now is when it is sent (for "expires in 10 minutes").
	Now time.Time
	// Mentions are the approvers to name: identities ("slack:U1",
	// "email:a@example.com", …). Slack users are mentioned in Slack.
	Mentions []string
}

// ExpiresIn renders the time left before t, from now, for people: "10
// minutes", "1 hour 5 minutes", "less than a minute".
func ExpiresIn(now, t time.Time) string {
	d := t.Sub(now).Round(time.Minute)
	if d < time.Minute {
		return "less than a minute"
	}
	h, m := int(d/time.Hour), int((d%time.Hour)/time.Minute)
	unit := func(n int, s string) string {
		if n == 1 {
			return "1 " + s
		}
		return strconv.Itoa(n) + " " + s + "s"
	}
	switch {
	case h == 0:
		return unit(m, "minute")
	case m == 0:
		return unit(h, "hour")
	}
	return unit(h, "hour") + " " + unit(m, "minute")
}

// headline is the first line of a reminder, without the title:
// "Reminder: still waiting for a decision" or "Last call: expires in 10
// minutes, at 2026-12-02 15:04 UTC".
func (rm Reminder) headline() string {
	when := "expires in " + ExpiresIn(rm.Now, rm.ExpiresAt) + ", at " + FormatTime(rm.ExpiresAt)
	if rm.Kind == FollowupLastCall {
		return "Last call: " + when
	}
	return "Reminder: still waiting for a decision; " + when
}

// ReminderText is the plain text of a reminder: the headline, the title
// and, when given, the names of the approvers.
func ReminderText(rm Reminder) string {
	s := rm.headline() + "\n" + rm.Title
	if len(rm.Mentions) > 0 {
		names := make([]string, len(rm.Mentions))
		for i, id := range rm.Mentions {
			names[i] = mentionPlain(id)
		}
		s += "\nApprovers: " + strings.Join(names, ", ")
	}
	return s
}

// mentionPlain renders an identity as text: its value ("U024BE7LH",
// "alice@example.com"). Approvers are given as written in the
// configuration ("U024BE7LH", "alice@example.com") or canonical.
func mentionPlain(id string) string {
	if c, err := ParseIdentity(id); err == nil {
		id = c
	}
	if _, v, ok := strings.Cut(id, ":"); ok {
		return v
	}
	return id
}

// mentionMrkdwn renders an identity in mrkdwn: a mention for a Slack user,
// the escaped value otherwise.
func mentionMrkdwn(id string) string {
	if c, err := ParseIdentity(id); err == nil {
		id = c
	}
	if u, ok := strings.CutPrefix(id, IdentitySlack+":"); ok && slackUserIDPattern.MatchString(u) {
		return "<@" + u + ">"
	}
	return EscapeMrkdwn(mentionPlain(id))
}

// reminderMrkdwn is the reminder's mrkdwn: an emoji, the headline, the
// title in bold, then the approvers mentioned.
func reminderMrkdwn(rm Reminder) string {
	emoji := "⏰ "
	if rm.Kind == FollowupLastCall {
		emoji = "⌛ "
	}
	s := emoji + EscapeMrkdwn(rm.headline()) + "\n*" + EscapeMrkdwn(strings.Join(strings.Fields(rm.Title), " ")) + "*"
	if len(rm.Mentions) > 0 {
		names := make([]string, len(rm.Mentions))
		for i, id := range rm.Mentions {
			names[i] = mentionMrkdwn(id)
		}
		s += "\n" + strings.Join(names, " ")
	}
	return Truncate(s, slackMaxSectionText)
}

// slackThreadReply is the body of chat.postMessage in a thread.
type slackThreadReply struct {
	Channel  string `json:"channel"`
	ThreadTS string `json:"thread_ts,omitempty"`
	Text     string `json:"text"`
	// Broadcast shows the reply in the channel too ("Also send to
	// #channel"): a last call should not stay hidden in the thread.
	Broadcast bool `json:"reply_broadcast,omitempty"`
}

// SlackReminderReply renders the chat.postMessage body of a reminder as a
// reply in the thread of the request's message (channel, ts), mentioning
// the approvers who are Slack users. The buttons stay on the message above.
func SlackReminderReply(rm Reminder, channel, ts string) ([]byte, error) {
	return marshal(slackThreadReply{
		Channel: channel, ThreadTS: ts, Text: reminderMrkdwn(rm), Broadcast: rm.Kind == FollowupLastCall,
	})
}

// SlackWebhookReminder renders a reminder for a Slack incoming webhook: a
// short message (the reminder and the link buttons).
func SlackWebhookReminder(rm Reminder) ([]byte, error) {
	buttons := slackButtons(func(d string) *slack.ButtonBlockElement {
		url := rm.ApproveURL
		if d == DecisionReject {
			url = rm.RejectURL
		}
		return slack.NewButtonBlockElement(d, "", buttonLabel(d)).WithURL(url)
	})
	text := reminderMrkdwn(rm)
	return marshal(slackMessage{Text: text, Blocks: []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil), buttons}})
}

// SlackWorkflowReminder renders a reminder for a Slack Workflow Builder
// webhook: the same variables as the request (a workflow refuses others),
// the title prefixed with the headline's first words and the text replaced
// by the reminder.
func SlackWorkflowReminder(rm Reminder) ([]byte, error) {
	m := rm.Message
	prefix := "Reminder: "
	if rm.Kind == FollowupLastCall {
		prefix = "Last call: "
	}
	m.Title = Truncate(prefix+m.Title, MaxTitleRunes)
	m.Text = ReminderText(rm)
	return SlackWorkflowVariables(m)
}

// SNSReminderSubject is the subject of a reminder e-mail.
func SNSReminderSubject(rm Reminder) string {
	m := rm.Message
	if rm.Kind == FollowupLastCall {
		m.Title = "last call, " + m.Title
	} else {
		m.Title = "reminder, " + m.Title
	}
	return SNSSubject(m)
}

// SNSReminderJSON is the body of an SNS publish (MessageStructure=json) of
// a reminder: the reminder and the links for e-mail, one line and the
// review link for SMS.
func SNSReminderJSON(rm Reminder) (string, error) {
	full := ReminderText(rm) + "\n\nApprove: " + rm.ApproveURL + "\nReject: " + rm.RejectURL +
		"\n\nEach link opens a confirmation page; nothing is decided until you confirm there.\n"
	sms := rm.headline() + ": " + strings.Join(strings.Fields(rm.Title), " ")
	const sep = "\nReview: "
	room := MaxSMSChars - utf8.RuneCountInString(sep+rm.ApproveURL)
	sms = Truncate(sms, max(room, 1)) + sep + rm.ApproveURL
	b, err := marshal(map[string]string{"default": full, "email": full, "sms": Truncate(sms, MaxSMSChars)})
	return string(b), err
}

// Webhook event names: the "event" field of a follow-up delivery.
const WebhookEventReminded = "approval.reminded"

// WebhookReminderPayload is the generic webhook's body for a reminder or
// last call: the request (as in the first delivery) with the event's name,
// its kind and number.
type WebhookReminderPayload struct {
	Event string `json:"event"`
	// Kind is "reminder" or "last_call".
	Kind string `json:"kind"`
	// Reminder is the reminder's number (1-based); 0 for a last call.
	Reminder int    `json:"reminder,omitempty"`
	SentAt   string `json:"sent_at"` // RFC 3339, UTC
	WebhookPayload
}

// WebhookReminderBody renders a reminder for the generic webhook.
func WebhookReminderBody(rm Reminder) ([]byte, error) {
	ctx := rm.Context
	if ctx == nil {
		ctx = []Field{}
	}
	return marshal(WebhookReminderPayload{
		Event: WebhookEventReminded, Kind: rm.Kind, Reminder: rm.Number, SentAt: rm.Now.UTC().Format(time.RFC3339),
		WebhookPayload: WebhookPayload{
			RequestID: rm.RequestID, Gate: rm.Gate, Title: rm.Title, Text: rm.Text, Context: ctx,
			RequestedBy: rm.RequestedBy, ExecutionID: rm.ExecutionID, StateMachineID: rm.StateMachineID,
			StateName: rm.StateName, ExpiresAt: rm.ExpiresAt.UTC().Format(time.RFC3339),
			ApproveURL: rm.ApproveURL, RejectURL: rm.RejectURL,
		},
	})
}

// nextEscalationTime is NextEscalation as a candidate of NextFollowup (zero
// when no step is left).
func nextEscalationTime(f Followup, r Request) time.Time {
	if t, ok := NextEscalation(f, r); ok {
		return t
	}
	return time.Time{}
}
