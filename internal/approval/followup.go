package approval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// What happens while nobody answers (the reminders issue): reminders, a last
// call before the expiry, escalation steps, the follow-ups that keep every
// message true once a request is final, and the decision events. The gate
// writes these settings into the configuration document (configdoc.go); the
// sweep (internal/lambda/sweep.go) acts on them through the status-due index.

// Limits of the follow-up settings, checked at plan time by the provider and
// again by ParseConfigDoc.
const (
	// MinReminderEverySeconds is the shortest reminder period: the sweep
	// runs once a minute, so a shorter period could not be kept.
	MinReminderEverySeconds = 60
	// MaxReminders caps reminders.max.
	MaxReminders = 100
	// MaxEscalationSteps caps the escalation list.
	MaxEscalationSteps = 5
)

// Reminders re-notify a pending request's channels: the first AfterSeconds
// after the request was made, then every EverySeconds, at most Max times.
type Reminders struct {
	AfterSeconds int64 `json:"after_seconds"`
	EverySeconds int64 `json:"every_seconds"`
	Max          int   `json:"max"`
}

// EscalationStep notifies more people AfterSeconds after the request was
// made. Approvers, when set, may decide from then on, under the same
// verified-identity rules as the gate's own approvers. The step's
// incoming-webhook URL is a secret: it is not in the document but in the
// parameter Config.ParamEscalationWebhooks (a JSON array of strings, one per
// step, "" for a step without one); HasWebhookURL says the step has one. Its
// e-mail addresses are subscribed by the gate to Config.EscalationTopicARN
// with the filter policy {"escalation_step": ["<n>"]} (n = index + 1): the
// handler publishes with that message attribute.
type EscalationStep struct {
	AfterSeconds   int64    `json:"after_seconds"`
	SlackChannel   string   `json:"slack_channel,omitempty"`
	EmailAddresses []string `json:"email_addresses,omitempty"`
	HasWebhookURL  bool     `json:"webhook_url,omitempty"`
	Approvers      []string `json:"approvers,omitempty"`
}

// EscalationStepAttribute is the SNS message attribute that routes an
// escalation notice to its step's subscribers.
const EscalationStepAttribute = "escalation_step"

// Events sends the decision events to EventBridge. BusName "" is the
// account's default bus.
type Events struct {
	BusName string `json:"bus_name,omitempty"`
}

// EventSource is the source of every event the gate puts on EventBridge.
const EventSource = "manualapproval"

// The events' detail types.
const (
	EventRequested = "Approval Requested"
	EventReminded  = "Approval Reminded"
	EventEscalated = "Approval Escalated"
	EventDecided   = "Approval Decided"
	EventExpired   = "Approval Expired"
)

// Followup is the part of the configuration document about what happens
// while nobody answers and once a request is final. Its zero value is off.
type Followup struct {
	Reminders               *Reminders       `json:"reminders,omitempty"`
	WarnBeforeExpirySeconds int64            `json:"warn_before_expiry_seconds,omitempty"`
	Escalation              []EscalationStep `json:"escalation,omitempty"`
	// NotifyOnDecision posts a short follow-up to channels whose message
	// cannot be edited (incoming webhooks, workflows, Teams, SNS).
	NotifyOnDecision bool    `json:"notify_on_decision,omitempty"`
	Events           *Events `json:"events,omitempty"`
	// FinalFollowups says that a final request has follow-ups beyond the
	// Slack app's updates (events, the webhook's decided and expired
	// events, Teams cards, notify_on_decision): only then does the callback
	// hand a final request over to the notifier (finalize.go), so a gate
	// without any pays no invocation for it. The gate computes it.
	FinalFollowups bool `json:"final_followups,omitempty"`
}

// FollowupState is what has been sent for an open request besides its first
// notification, stored as the item's attribute "followup" (compact JSON,
// absent while empty). The sweep reads it to know what is due next; the
// updates that keep every message true read Posts.
type FollowupState struct {
	RemindersSent int  `json:"reminders_sent,omitempty"`
	LastCallSent  bool `json:"last_call_sent,omitempty"`
	// Escalated is how many escalation steps have been notified.
	Escalated int `json:"escalated,omitempty"`
	// Posts are the messages posted after the first one that can be
	// updated later (e.g. a Slack app message in an escalation step's
	// channel): every one shows the final state.
	Posts []Post `json:"posts,omitempty"`
	// Ended says why an expired request ended when it was not its own
	// timeout: "stopped" (the execution was stopped, failed or timed out
	// elsewhere). Empty otherwise.
	Ended string `json:"ended,omitempty"`
	// ExecutionStatus and StoppedAt say, for Ended "stopped", how and when
	// the execution stopped (ABORTED, FAILED or TIMED_OUT; unix seconds),
	// as the status change event or DescribeExecution told (stopped.go);
	// empty when unknown.
	ExecutionStatus string `json:"execution_status,omitempty"`
	StoppedAt       int64  `json:"stopped_at,omitempty"`
}

// Post is one message that can be updated: a Slack app message (channel and
// ts).
type Post struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// IsZero reports whether nothing was recorded.
func (f FollowupState) IsZero() bool {
	return f.RemindersSent == 0 && !f.LastCallSent && f.Escalated == 0 && len(f.Posts) == 0 && f.Ended == "" &&
		f.ExecutionStatus == "" && f.StoppedAt == 0
}

// FollowupAttribute is the request item's attribute holding FollowupState.
const FollowupAttribute = "followup"

// FollowupRev names f's schedule: what decides when a pending request is
// next due (reminders, the last call, the escalation steps' times). ""
// when f schedules nothing. A request made under another schedule is due
// at the wrong time; the sweep moves it (internal/lambda/reschedule.go).
func FollowupRev(f Followup) string {
	var after []int64
	for _, s := range f.Escalation {
		after = append(after, s.AfterSeconds)
	}
	if f.Reminders == nil && f.WarnBeforeExpirySeconds == 0 && len(after) == 0 {
		return ""
	}
	b, _ := json.Marshal(struct {
		Reminders  *Reminders `json:"r,omitempty"`
		LastCall   int64      `json:"w,omitempty"`
		Escalation []int64    `json:"e,omitempty"`
	}{f.Reminders, f.WarnBeforeExpirySeconds, after})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
