package approval

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// The decision events: what the gate tells EventBridge (source EventSource,
// the Event* detail types) and the generic webhook (WebhookEvent*) about a
// request's life. The detail is one versioned JSON schema, documented in
// docs/events/v1.schema.json: a field is only ever added to version 1;
// renaming or removing one makes version 2.
//
// The detail never carries the task token nor a decision link: a link is a
// bearer secret (whoever holds it may decide), and an event is read by every
// rule and target of the bus.

// EventSchemaVersion is the detail's "schema_version".
const EventSchemaVersion = "1"

// The generic webhook's events (its body's "event"), besides the request
// itself (a body without "event", see WebhookPayload).
const (
	WebhookEventDecided = "approval.decided"
	WebhookEventExpired = "approval.expired"
)

// Why a request ended without a decision (EventDetail.Ended).
const (
	// EndedTimeout: nobody decided before the request's expiry.
	EndedTimeout = "timeout"
	// EndedStopped: the execution was stopped, failed or timed out
	// elsewhere (FollowupState.Ended).
	EndedStopped = "stopped"
	// EndedClosed: a decision was made, but Step Functions no longer waited
	// for it when it was sent.
	EndedClosed = "closed"
)

// EventDetail is the detail of every event.
type EventDetail struct {
	SchemaVersion  string `json:"schema_version"`
	Gate           string `json:"gate"`
	RequestID      string `json:"request_id"`
	ExecutionID    string `json:"execution_id,omitempty"`
	StateMachineID string `json:"state_machine_id,omitempty"`
	StateName      string `json:"state_name,omitempty"`
	Title          string `json:"title"`
	RequestedBy    string `json:"requested_by,omitempty"`
	// Status is the request's status: pending, deciding, decided or
	// expired.
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"` // RFC 3339, UTC
	ExpiresAt string `json:"expires_at"` // RFC 3339, UTC
	// Time is when what the event tells happened (RFC 3339, UTC).
	Time string `json:"time"`

	// Decision is approved or rejected (Approval Decided).
	Decision string `json:"decision,omitempty"`
	// DecidedBy are the people whose votes decided, in the order they
	// voted (Approval Decided).
	DecidedBy []EventApprover `json:"decided_by,omitempty"`
	// Via is how the deciding vote came: link, slack, sso or api.
	Via       string         `json:"via,omitempty"`
	DecidedAt string         `json:"decided_at,omitempty"` // RFC 3339, UTC
	Comment   string         `json:"comment,omitempty"`
	Inputs    map[string]any `json:"inputs,omitempty"`

	// Ended says why a request expired: EndedTimeout, EndedStopped or
	// EndedClosed (Approval Expired).
	Ended string `json:"ended,omitempty"`
	// Reminder is the reminder's number, from 1 (Approval Reminded); LastCall
	// marks the last call before the expiry.
	Reminder int  `json:"reminder,omitempty"`
	LastCall bool `json:"last_call,omitempty"`
	// EscalationStep is the step's number, from 1 (Approval Escalated).
	EscalationStep int `json:"escalation_step,omitempty"`
}

// EventApprover is one decider: Id is the verified identity
// ("slack:U…", "email:…", "sso:…", "api:…") or "anonymous" for a bare link;
// Name a display note, never an identity.
type EventApprover struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Via  string `json:"via"`
}

// EventExtra is what an event adds to the request's state.
type EventExtra struct {
	Reminder       int
	LastCall       bool
	EscalationStep int
}

// NewEventDetail builds the detail of an event of detailType about r, at now.
func NewEventDetail(detailType, gate string, r Request, extra EventExtra, now time.Time) EventDetail {
	rfc := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	d := EventDetail{
		SchemaVersion: EventSchemaVersion, Gate: gate, RequestID: r.ID,
		ExecutionID: r.ExecutionID, StateMachineID: r.StateMachineID, StateName: r.StateName,
		Title: r.Title, RequestedBy: r.RequestedBy, Status: r.Status,
		CreatedAt: rfc(r.CreatedAt), ExpiresAt: rfc(r.ExpiresAt), Time: rfc(now),
		Reminder: extra.Reminder, LastCall: extra.LastCall, EscalationStep: extra.EscalationStep,
	}
	switch detailType {
	case EventDecided:
		if o := r.Outcome; o != nil {
			d.Decision, d.Comment, d.DecidedAt, d.Inputs = o.Decision, o.Comment, o.DecidedAt, o.Inputs
			for _, a := range o.Approvers {
				d.DecidedBy = append(d.DecidedBy, EventApprover{ID: a.ID, Name: a.Name, Via: a.Via})
			}
			if n := len(o.Approvers); n > 0 {
				d.Via = o.Approvers[n-1].Via
			}
		}
	case EventExpired:
		d.Ended = EndedReason(r)
	}
	return d
}

// EndedReason says why an expired request ended.
func EndedReason(r Request) string {
	switch {
	case r.Followup.Ended == EndedStopped:
		return EndedStopped
	case r.Outcome != nil:
		return EndedClosed
	}
	return EndedTimeout
}

// JSON renders the detail (compact, no HTML escaping).
func (d EventDetail) JSON() ([]byte, error) { return marshal(d) }

// WebhookEventBody is the generic webhook's body for an event: the detail
// with "event" (WebhookEventDecided or WebhookEventExpired) first.
func WebhookEventBody(event string, d EventDetail) ([]byte, error) {
	return marshal(struct {
		Event string `json:"event"`
		EventDetail
	}{event, d})
}

// DefaultEventBusName is the account's default event bus.
const DefaultEventBusName = "default"

// MaxEventBusNameLength is the longest bus name or ARN PutEvents accepts.
const MaxEventBusNameLength = 256

// eventBusRegexp is the EventBusName of PutEvents (EventBridge API
// Reference, PutEventsRequestEntry): a name, or the ARN of a bus
// (arn:<partition>:events:<region>:<account>:event-bus/<name>).
var (
	eventBusNameRegexp = regexp.MustCompile(`^[/.\-_A-Za-z0-9]+$`)
	eventBusARNRegexp  = regexp.MustCompile(`^arn:aws[a-z-]*:events:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:event-bus/([/.\-_A-Za-z0-9]+)$`)
)

// ErrEventBus is the reason a bus name is refused.
var ErrEventBus = errors.New("must be an event bus name (letters, digits and . - _ /) or the ARN of one " +
	"(arn:aws:events:<region>:<account>:event-bus/<name>), at most 256 characters")

// CheckEventBus checks an events.bus_name value.
func CheckEventBus(s string) error {
	if s == "" || len(s) > MaxEventBusNameLength {
		return ErrEventBus
	}
	if len(s) > 4 && s[:4] == "arn:" {
		if !eventBusARNRegexp.MatchString(s) {
			return ErrEventBus
		}
		return nil
	}
	if !eventBusNameRegexp.MatchString(s) {
		return ErrEventBus
	}
	return nil
}

// EventBusARN is the ARN of bus (a name or an ARN) in the given partition,
// region and account: what events:PutEvents is allowed on.
func EventBusARN(bus, partition, region, account string) string {
	if bus == "" {
		bus = DefaultEventBusName
	}
	if eventBusARNRegexp.MatchString(bus) {
		return bus
	}
	if partition == "" {
		partition = "aws"
	}
	return fmt.Sprintf("arn:%s:events:%s:%s:event-bus/%s", partition, region, account, bus)
}
