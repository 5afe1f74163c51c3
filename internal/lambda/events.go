package lambda

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// EventBridge is the part of *eventbridge.Client the handlers use to put the
// decision events (approval/events.go) on the gate's bus.
type EventBridge interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

const (
	// eventAttempts bounds the tries of one event whose entry failed with
	// a retryable error (PutEvents answers 200 with FailedEntryCount).
	eventAttempts = 3
	// eventTimeout bounds the sending of one event, retries included: an
	// event never holds up a decision.
	eventTimeout = 5 * time.Second
)

// retryableEntryErrors are the entry error codes worth another try
// (EventBridge API Reference, PutEventsResultEntry: "InternalFailure" and
// "ThrottlingException" are transient; the others are not).
var retryableEntryErrors = map[string]bool{"InternalFailure": true, "ThrottlingException": true}

// PutEvent puts one event of detailType (approval.EventRequested, …) about r
// on the gate's bus, when the gate sends events (events in its
// configuration); nothing otherwise. A failure is logged, never returned:
// an event never fails a decision or a notification. The reminders and
// escalation call it from the sweep with their extra (reminder number,
// escalation step):
//
//	c.PutEvent(ctx, approval.EventReminded, r, approval.EventExtra{Reminder: n})
//
// Callers must have read the configuration document first (ready).
func (b *Base) PutEvent(ctx context.Context, detailType string, r approval.Request, extra approval.EventExtra) {
	ev := b.Config.Followup.Events
	if ev == nil {
		return
	}
	log := b.Log.With("request_id", r.ID, "detail_type", detailType)
	if b.Events == nil {
		log.Error("event not sent: no EventBridge client")
		return
	}
	detail, err := approval.NewEventDetail(detailType, b.Config.GateName, r, extra, b.Now()).JSON()
	if err != nil {
		log.Error("event not sent", "error", err.Error())
		return
	}
	entry := ebtypes.PutEventsRequestEntry{
		Source: aws.String(approval.EventSource), DetailType: aws.String(detailType), Detail: aws.String(string(detail)),
		Time: aws.Time(b.Now()),
	}
	if r.ExecutionID != "" {
		entry.Resources = []string{r.ExecutionID}
	}
	// "" and "default" are the account's default bus: PutEvents without a
	// bus name puts there. A name or an ARN (another account's bus) is
	// passed as it is.
	if ev.BusName != "" && ev.BusName != approval.DefaultEventBusName {
		entry.EventBusName = aws.String(ev.BusName)
	}
	ctx, cancel := context.WithTimeout(ctx, eventTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		out, err := b.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
		if err != nil {
			// The SDK has retried throttling and 5xx answers already.
			log.Warn("event not sent", "error", err.Error())
			return
		}
		if out.FailedEntryCount == 0 && (len(out.Entries) == 0 || out.Entries[0].ErrorCode == nil) {
			log.Info("event sent")
			return
		}
		code, msg := "", ""
		if len(out.Entries) > 0 {
			code, msg = aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage)
		}
		if !retryableEntryErrors[code] || attempt == eventAttempts {
			log.Warn("event not sent", "error_code", code, "error", msg, "attempts", attempt)
			return
		}
		if b.Sleep(ctx, retryBase<<attempt) != nil {
			log.Warn("event not sent", "error_code", code, "error", msg, "attempts", attempt)
			return
		}
	}
}
