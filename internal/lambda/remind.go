package lambda

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Reminders and the last call (the reminders issue). The sweep finds a
// pending request due before its expiry (its due_at is approval.NextFollowup)
// and sends what approval.DueFollowup says is due: one reminder, or the
// last call.
//
// Claim, then send. The sweep first writes the request's new follow-up state
// and its next due_at with the version compare-and-swap (store.update): of
// two overlapping sweeps only one wins, and only the winner sends. A send
// that fails after the claim is logged and not retried: the next reminder
// (or the last call, or the expiry) comes at its own time. Sending first
// and recording after would instead re-send to every channel that did
// receive it whenever the record or one channel failed; a missed reminder
// is the smaller harm (the request itself and its buttons are still there).

// SNSPublisher is the part of *sns.Client the sweep uses for reminders.
type SNSPublisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// sweepFollowup handles a pending request due before its expiry: it claims
// what is due and sends it. Nothing due (the configuration changed, or the
// index was stale) only moves due_at.
func (c *Callback) sweepFollowup(ctx context.Context, r approval.Request, stop time.Time, count func(func(*SweepResult))) {
	// The follow-up settings are in the configuration document.
	if err := c.ready(ctx); err != nil {
		c.Log.Warn("sweep: configuration not read", "request_id", r.ID, "error", err.Error())
		count(func(s *SweepResult) { s.Failed++ })
		return
	}
	now := c.Now()
	f := c.Config.Followup
	kind, st := approval.DueFollowup(f, r, now)
	claimed := r
	claimed.Followup = st
	claimed.DueAt = approval.NextFollowup(f, claimed)
	claimed.WriteID = ""
	if err := c.store().update(ctx, claimed); err != nil {
		if errors.Is(err, errConflict) {
			count(func(s *SweepResult) { s.Skipped++ })
			return
		}
		c.Log.Warn("sweep update failed", "request_id", r.ID, "error", err.Error())
		count(func(s *SweepResult) { s.Failed++ })
		return
	}
	claimed.Version++
	if kind == "" {
		count(func(s *SweepResult) { s.Skipped++ })
		return
	}
	// Sending may use the time up to the function's deadline: the claim is
	// written, an interrupted send is not made up.
	sctx, cancel := context.WithTimeout(ctx, stop.Sub(c.Now())+sweepReserve/2)
	defer cancel()
	rm := approval.Reminder{Kind: kind, Now: now, Mentions: c.Config.Approvers}
	if kind == approval.FollowupReminder {
		rm.Number = st.RemindersSent
	}
	sent, failed := c.remind(sctx, claimed, rm)
	count(func(s *SweepResult) { s.Reminded++ })
	c.Log.Info("reminded", "request_id", r.ID, "kind", kind, "number", rm.Number, "sent", sent, "failed", failed,
		"late_ms", now.Sub(r.DueAt).Milliseconds(), "next_due", claimed.DueAt.Format(time.RFC3339))
}

// remind sends rm about r to every configured channel at once, and returns
// the channels that took it and those that failed (logged).
func (c *Callback) remind(ctx context.Context, r approval.Request, rm approval.Reminder) (sent, failed []string) {
	sec, err := c.loadSecrets(ctx)
	if err != nil {
		c.Log.Warn("reminder not sent", "request_id", r.ID, "error", err.Error())
		return nil, []string{"secrets"}
	}
	approve, reject := c.links(sec.SigningKey, r)
	rm.Message = approval.NewMessage(r, c.Config.GateName, approve, reject)
	chans := c.reminderChannels(sec, r, rm)
	errs := sendAll(ctx, chans)
	for i, ch := range chans {
		if errs[i] != nil {
			failed = append(failed, ch.name)
			c.Log.Warn("reminder failed", "request_id", r.ID, "channel", ch.name, "error", errs[i].Error())
			continue
		}
		sent = append(sent, ch.name)
	}
	return sent, failed
}

// reminderChannels lists the channels a reminder goes to, one line each:
// the channels of the first notification that can be notified again.
func (c *Callback) reminderChannels(sec *Secrets, r approval.Request, rm approval.Reminder) []channel {
	var out []channel
	add := func(name string, send func(context.Context) error) { out = append(out, channel{name, send}) }
	post := func(url string, render func(approval.Reminder) ([]byte, error)) func(context.Context) error {
		return func(ctx context.Context) error {
			if url == "" {
				return errors.New("no URL configured")
			}
			body, err := render(rm)
			if err != nil {
				return err
			}
			return c.postJSON(ctx, url, body, nil, nil)
		}
	}
	switch c.Config.SlackFormat {
	case approval.SlackFormatApp:
		add("slack", func(ctx context.Context) error { return c.remindSlackApp(ctx, sec, r, rm) })
	case approval.SlackFormatBlocks:
		add("slack", post(sec.SlackWebhookURL, approval.SlackWebhookReminder))
	case approval.SlackFormatWorkflow:
		add("slack", post(sec.SlackWebhookURL, approval.SlackWorkflowReminder))
	}
	if c.Config.ParamWebhookURL != "" {
		add("webhook", func(ctx context.Context) error {
			body, err := approval.WebhookReminderBody(rm)
			if err != nil {
				return err
			}
			return c.postSignedWebhook(ctx, sec, body)
		})
	}
	if c.Config.TopicARN != "" && c.SNS != nil {
		add("sns", func(ctx context.Context) error { return c.remindSNS(ctx, rm) })
	}
	if c.Config.ParamTeamsWebhookURL != "" {
		add("teams", func(ctx context.Context) error {
			card, err := approval.TeamsReminderCard(rm.Message, rm.Kind == approval.FollowupLastCall)
			if err != nil {
				return err
			}
			return c.postTeams(ctx, card)
		})
	}
	if c.Config.Followup.Events != nil {
		add("events", func(ctx context.Context) error {
			c.PutEvent(ctx, approval.EventReminded, r, approval.EventExtra{Reminder: rm.Number, LastCall: rm.Kind == approval.FollowupLastCall})
			return nil // logged by PutEvent; an event never holds a reminder back
		})
	}
	return out
}

// remindSlackApp replies in the thread of the request's message, or, when
// its place was not remembered, posts to the gate's channel.
func (c *Callback) remindSlackApp(ctx context.Context, sec *Secrets, r approval.Request, rm approval.Reminder) error {
	channel, ts := r.SlackChannel, r.SlackTS
	if channel == "" || ts == "" {
		channel, ts = c.Config.SlackChannel, ""
	}
	body, err := approval.SlackReminderReply(rm, channel, ts)
	if err != nil {
		return err
	}
	_, err = c.slackAPI(ctx, sec.SlackBotToken, "chat.postMessage", body)
	return err
}

// remindSNS publishes the reminder to the gate's topic.
func (c *Callback) remindSNS(ctx context.Context, rm approval.Reminder) error {
	body, err := approval.SNSReminderJSON(rm)
	if err != nil {
		return err
	}
	_, err = c.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(c.Config.TopicARN), Subject: aws.String(approval.SNSReminderSubject(rm)),
		Message: aws.String(body), MessageStructure: aws.String("json"),
	})
	return err
}

// postSignedWebhook posts body to the gate's webhook, signed as every
// webhook delivery is (webhookHeaders).
func (b *Base) postSignedWebhook(ctx context.Context, sec *Secrets, body []byte) error {
	if sec.WebhookURL == "" {
		return errors.New("no URL configured")
	}
	delivery, err := approval.NewRequestID(rand.Reader)
	if err != nil {
		return err
	}
	return b.postJSON(ctx, sec.WebhookURL, body, webhookHeaders(sec.WebhookSecret, b.Now().Unix(), delivery, body), nil)
}

// webhookHeaders are the headers of a webhook delivery: its signature over
// the timestamp, the delivery id and the body. One delivery id and timestamp
// serve every attempt of a delivery: a receiver refuses a timestamp older
// than approval.WebhookMaxAge and may drop a delivery id it has seen.
func webhookHeaders(secret []byte, ts int64, delivery string, body []byte) http.Header {
	return http.Header{
		approval.WebhookSignatureHeader: {approval.WebhookSignature(secret, ts, delivery, body)},
		approval.WebhookTimestampHeader: {strconv.FormatInt(ts, 10)},
		approval.WebhookDeliveryHeader:  {delivery},
	}
}
