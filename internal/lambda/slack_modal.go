package lambda

import (
	"context"
	"errors"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// The Slack app's decision modal (see approval.NeedsModal): a click that
// needs a reason or inputs opens it; its submission decides.

// errModalNotOpened: views.open failed (the trigger_id lives three seconds).
var errModalNotOpened = errors.New("the decision form could not be opened in Slack")

// slackOpenModal answers a click that needs the modal: it checks, without
// recording anything, that the vote could count (pending, an approver, not
// the requester), then opens the modal with the click's trigger_id. A vote
// that could not count is answered as a click would be.
func (c *Callback) slackOpenModal(ctx context.Context, sec *Secrets, act approval.Action, triggerID string) {
	r, err := c.store().get(ctx, act.RequestID)
	var res approval.Result
	if err == nil {
		err = approval.CheckSlackMessage(act, r)
	}
	if err == nil {
		_, res, err = approval.Apply(r, approval.PolicyFromConfig(c.Config), act.Vote)
	}
	if err != nil || res == approval.AlreadyCounted {
		c.slackReply(ctx, sec, act, r, res, err)
		return
	}
	body, err := approval.SlackDecisionModal(c.Config, act, triggerID, r.Title)
	if err == nil {
		_, err = c.slackAPI(ctx, sec.SlackBotToken, "views.open", body)
	}
	if err != nil {
		c.Log.Warn("slack modal not opened", "request_id", act.RequestID, "error", err.Error())
		c.slackReply(ctx, sec, act, r, 0, errModalNotOpened)
		return
	}
	c.Log.Info("slack modal opened", "request_id", act.RequestID, "decision", act.Decision)
}

// slackSubmission decides with a submitted modal: values that break a rule
// keep the modal open with the problems on their fields; otherwise the vote
// is cast as a click's, and the modal closes.
func (c *Callback) slackSubmission(ctx context.Context, sec *Secrets, sub approval.Submission) events.APIGatewayV2HTTPResponse {
	inputs, err := approval.CheckDecisionInputs(c.Config, sub.Decision, sub.Comment, sub.Inputs)
	if err != nil {
		c.Log.Info("slack modal refused", "request_id", sub.RequestID, "error", err.Error())
		return respond(http.StatusOK, "application/json", string(approval.SlackViewErrors(c.Config, sub.Decision, err)), nil)
	}
	v := sub.Vote
	v.Comment, v.Inputs, v.At = sub.Comment, inputs, c.Now()
	r, res, err := c.vote(ctx, sub.RequestID, v, func(r approval.Request) error {
		return approval.CheckSlackMessage(sub.Action, r)
	})
	c.slackReply(ctx, sec, sub.Action, r, res, err)
	return respond(http.StatusOK, "text/plain; charset=utf-8", "", nil)
}
