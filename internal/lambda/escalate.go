package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Escalation (the reminders issue, item 3), run by the sweep: a pending
// request whose next escalation step is due is claimed, then the step is
// notified.
//
// Claim first, then send: the step count (Followup.Escalated) and the next
// due_at are written with the version-checked update every writer of a
// request uses, before anything is sent. Of two overlapping sweeps (or a
// sweep and a click) only one write succeeds, so a step is notified at most
// once; a send that fails after the claim is logged, not retried (a second
// notice would be worse than a missing one for a step that also reaches
// people by its other channels and is followed by the expiry).
//
// A Slack app message in the step's channel is posted after the claim and
// then recorded in Followup.Posts with a second version-checked write
// (retried on conflict over a fresh read): its ts is known only once it is
// posted. Until recorded, a click on it is refused as "not the request's own
// message" (a second or so); if the request became final in between, the
// sweep shows the final state in the new message itself.

// maxPostAttempts bounds the compare-and-swap loop recording a post.
const maxPostAttempts = 8

// escalate notifies every escalation step of the pending request r that is
// due, in order, each once. It reports whether it took r in hand (false: no
// step is due, the caller goes on).
func (c *Callback) escalate(ctx context.Context, r approval.Request, count func(func(*SweepResult))) bool {
	if err := c.ready(ctx); err != nil {
		c.Log.Warn("escalation not checked", "request_id", r.ID, "error", err.Error())
		count(func(s *SweepResult) { s.Failed++ })
		return true
	}
	f := c.Config.Followup
	if due, ok := approval.NextEscalation(f, r); !ok || due.After(c.Now()) {
		return false
	}
	sec, err := c.loadSecrets(ctx)
	if err != nil {
		c.Log.Warn("escalation not sent", "request_id", r.ID, "error", err.Error())
		count(func(s *SweepResult) { s.Failed++ })
		return true
	}
	for r.Status == approval.StatusPending {
		due, ok := approval.NextEscalation(f, r)
		if !ok || due.After(c.Now()) {
			break
		}
		step := r.Followup.Escalated
		next := r
		next.Followup.Escalated++
		next.DueAt = approval.NextFollowup(f, next)
		next.WriteID = ""
		switch err := c.store().update(ctx, next); {
		case errors.Is(err, errConflict):
			count(func(s *SweepResult) { s.Skipped++ })
			return true
		case err != nil:
			c.Log.Warn("escalation claim failed", "request_id", r.ID, "error", err.Error())
			count(func(s *SweepResult) { s.Failed++ })
			return true
		}
		next.Version++
		count(func(s *SweepResult) { s.Escalated++ })
		r = c.notifyEscalation(ctx, sec, next, step)
	}
	return true
}

// notifyEscalation sends step (0-based) of r on each of its channels and
// returns r as last written (the Slack post recorded).
func (c *Callback) notifyEscalation(ctx context.Context, sec *Secrets, r approval.Request, step int) approval.Request {
	s := c.Config.Followup.Escalation[step]
	n := step + 1
	approve, reject := c.links(sec.SigningKey, r)
	m := approval.NewMessage(r, c.Config.GateName, approve, reject)
	var sent []string
	fail := func(channel string, err error) {
		c.Log.Warn("escalation not delivered", "request_id", r.ID, "step", n, "channel", channel, "error", redact(err).Error())
	}
	if s.SlackChannel != "" && c.Config.SlackFormat == approval.SlackFormatApp {
		if got, err := c.postEscalationSlack(ctx, sec, r, m, n, s); err != nil {
			fail("slack", err)
		} else {
			r = got
			sent = append(sent, "slack")
		}
	}
	if len(s.EmailAddresses) > 0 {
		if err := c.publishEscalation(ctx, m, n, s); err != nil {
			fail("email", err)
		} else {
			sent = append(sent, "email")
		}
	}
	if s.HasWebhookURL {
		var url string
		if step < len(sec.EscalationWebhooks) {
			url = sec.EscalationWebhooks[step]
		}
		body, err := approval.SlackWebhookEscalationMessage(m, approval.EscalationNote(n, s))
		if err == nil && url == "" {
			err = errors.New("no webhook URL for this step in the escalation webhooks parameter")
		}
		if err == nil {
			err = c.postJSON(ctx, url, body, nil, nil)
		}
		if err != nil {
			fail("slack_webhook", err)
		} else {
			sent = append(sent, "slack_webhook")
		}
	}
	if c.Config.ParamWebhookURL != "" {
		if err := c.postWebhookEvent(ctx, sec, m, n, s); err != nil {
			fail("webhook", err)
		} else {
			sent = append(sent, "webhook")
		}
	}
	if c.Config.Followup.Events != nil {
		c.PutEvent(ctx, approval.EventEscalated, r, approval.EventExtra{EscalationStep: n}) // logs its own failure
		sent = append(sent, "events")
	}
	c.Log.Info("escalated", "request_id", r.ID, "step", n, "sent", sent)
	return r
}

// postEscalationSlack posts the request with its buttons in the step's
// channel, mentioning the step's approvers, and records the post.
func (c *Callback) postEscalationSlack(ctx context.Context, sec *Secrets, r approval.Request, m approval.Message, n int, s approval.EscalationStep) (approval.Request, error) {
	body, err := approval.SlackAppEscalationMessage(m, s.SlackChannel, approval.EscalationNote(n, s))
	if err != nil {
		return r, err
	}
	resp, err := c.slackAPI(ctx, sec.SlackBotToken, "chat.postMessage", body)
	if err != nil {
		return r, err
	}
	post := approval.Post{Channel: resp.Channel, TS: resp.TS}
	got, err := c.recordPost(ctx, r, post)
	if err != nil {
		// The message is out; its buttons refuse clicks until recorded.
		c.Log.Warn("escalation message not remembered", "request_id", r.ID, "error", err.Error())
		return r, nil
	}
	if approval.IsFinal(got) {
		// Decided, expired or stopped between the claim and the post (its
		// finalize did not know this message): show it, as finalize would.
		c.updateSlackPosts(ctx, sec, got, []approval.Post{post})
	}
	return got, nil
}

// recordPost adds p to the request's Followup.Posts with a version-checked
// write, re-reading on conflict, and returns the request as written.
func (c *Callback) recordPost(ctx context.Context, r approval.Request, p approval.Post) (approval.Request, error) {
	db := c.store()
	for range maxPostAttempts {
		r.Followup.Posts = append(append([]approval.Post(nil), r.Followup.Posts...), p)
		err := db.setFollowup(ctx, r)
		if err == nil {
			r.Version++
			return r, nil
		}
		if !errors.Is(err, errConflict) {
			return r, err
		}
		if r, err = db.get(ctx, r.ID); err != nil {
			return r, err
		}
	}
	return r, fmt.Errorf("recording the escalation message of request %s: too many concurrent writes", r.ID)
}

// setFollowup writes r's follow-up state if the item still has r.Version,
// and bumps the version (errConflict otherwise): every writer that read the
// item before must read it again, so none writes the old state back.
func (s store) setFollowup(ctx context.Context, r approval.Request) error {
	b, err := json.Marshal(r.Followup)
	if err != nil {
		return err
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 s.key(r.ID),
		UpdateExpression:    aws.String("SET #followup = :followup, #version = :newversion"),
		ConditionExpression: aws.String("attribute_exists(id) AND #version = :oldversion"),
		ExpressionAttributeNames: map[string]string{
			"#followup": approval.FollowupAttribute, "#version": "version",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":followup": str(string(b)), ":newversion": num(r.Version + 1), ":oldversion": num(r.Version),
		},
	})
	if isConditionFailed(err) {
		return errConflict
	}
	if err != nil {
		return fmt.Errorf("updating the follow-up state of request %s: %w", r.ID, err)
	}
	return nil
}

// publishEscalation publishes step n to the escalation topic with the
// message attribute its subscriptions filter on, so only the step's
// addresses receive it.
func (c *Callback) publishEscalation(ctx context.Context, m approval.Message, n int, s approval.EscalationStep) error {
	if c.Config.EscalationTopicARN == "" || c.SNS == nil {
		return errors.New("the gate has no escalation topic")
	}
	subject, body, err := approval.EscalationSNSMessage(m, n, s)
	if err != nil {
		return err
	}
	_, err = c.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(c.Config.EscalationTopicARN), Subject: aws.String(subject),
		Message: aws.String(body), MessageStructure: aws.String("json"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			approval.EscalationStepAttribute: {DataType: aws.String("String"), StringValue: aws.String(strconv.Itoa(n))},
		},
	})
	return err
}

// postWebhookEvent sends the approval.escalated event to the gate's
// webhook, signed as the request's own notification.
func (c *Callback) postWebhookEvent(ctx context.Context, sec *Secrets, m approval.Message, n int, s approval.EscalationStep) error {
	body, err := approval.WebhookEscalatedBody(m, n, s)
	if err != nil {
		return err
	}
	return c.postSignedWebhook(ctx, sec, body)
}
