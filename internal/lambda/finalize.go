package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Every message kept true (the reminders issue, item 4). When a request
// becomes final (decided on any channel, expired by the sweep, or a
// delivery that found the task closed), the callback:
//
//   - updates every Slack app message of the request in place (the
//     request's own and every later post in Followup.Posts): "Approved by
//     …", "Rejected by …", "Expired" or "Execution stopped", no buttons.
//     chat.update is idempotent, so two finalizers may both do it;
//   - hands the rest to the notifier (an asynchronous invocation): the
//     notifier holds the posting secrets (the Slack webhook URL, the
//     webhook's URL and secret) and the topic, the callback does not
//     (internal/gate/secrets.go), and it stays that way.
//
// The notifier then tells, once: the EventBridge event (Approval Decided or
// Approval Expired), the generic webhook's approval.decided or
// approval.expired, and, with notify_on_decision, a follow-up to the
// incoming webhook or workflow and a notice on the SNS topic. Two paths
// may finalize the same request (a re-send by the sweep and a retry click;
// two sweeps), so the notifier first marks the request told with a
// conditional write, and only the writer that wins sends. A follow-up lost
// after that mark is logged, not re-sent: a follow-up is sent at most once.

// jobFinalize is the kind of the callback's hand-over to the notifier.
const jobFinalize = "finalize"

// finalizeJob is the notifier's input for a final request.
type finalizeJob struct {
	Kind      string `json:"manualapproval"`
	RequestID string `json:"request_id"`
}

// ToldAttribute is the item attribute (N, unix seconds) set once the
// notifier has told a final request's follow-ups.
const ToldAttribute = "told_at"

const (
	// handOffTimeout bounds the asynchronous invocation of the notifier.
	handOffTimeout = 3 * time.Second
	// finalBudget bounds the follow-ups of one final request.
	finalBudget = 20 * time.Second
)

// finalize keeps every message of a request that just became final true.
// It never fails: what cannot be told is logged.
func (c *Callback) finalize(ctx context.Context, r approval.Request) {
	if !approval.IsFinal(r) {
		return
	}
	c.updateSlackMessages(ctx, r)
	c.handOffFinal(ctx, r.ID)
}

// updateSlackMessages shows r's final state in its Slack app message and in
// every later post (Followup.Posts), without buttons.
func (c *Callback) updateSlackMessages(ctx context.Context, r approval.Request) {
	if c.Config.SlackFormat != approval.SlackFormatApp {
		return
	}
	posts := r.Followup.Posts
	if r.SlackChannel != "" && r.SlackTS != "" {
		posts = append([]approval.Post{{Channel: r.SlackChannel, TS: r.SlackTS}}, posts...)
	}
	if len(posts) == 0 {
		return
	}
	sec, err := c.loadSecrets(ctx)
	if err != nil {
		c.Log.Warn("slack messages not updated", "request_id", r.ID, "error", err.Error())
		return
	}
	c.updateSlackPosts(ctx, sec, r, posts)
}

// updateSlackPosts shows final request r's state in each of posts (Slack
// app messages), without buttons.
func (c *Callback) updateSlackPosts(ctx context.Context, sec *Secrets, r approval.Request, posts []approval.Post) {
	m := approval.NewMessage(r, c.Config.GateName, "", "")
	var wg sync.WaitGroup
	for _, p := range posts {
		wg.Go(func() {
			body, err := approval.SlackFinalUpdate(m, p.Channel, p.TS, r)
			if err == nil {
				_, err = c.slackAPI(ctx, sec.SlackBotToken, "chat.update", body)
			}
			if err != nil {
				c.Log.Warn("slack message not updated", "request_id", r.ID, "channel", p.Channel, "error", err.Error())
			}
		})
	}
	wg.Wait()
}

// handOffFinal asks the notifier to tell r's follow-ups.
func (c *Callback) handOffFinal(ctx context.Context, id string) {
	if !c.Config.Followup.FinalFollowups {
		return // nothing to tell beyond the Slack app's messages
	}
	if c.Lambda == nil || c.NotifierFunction == "" {
		c.Log.Warn("follow-ups not handed over: no notifier to invoke", "request_id", id)
		return
	}
	job, _ := json.Marshal(finalizeJob{Kind: jobFinalize, RequestID: id}) // two strings
	if err := c.invokeAsync(ctx, c.NotifierFunction, handOffTimeout, job); err != nil {
		c.Log.Warn("follow-ups not handed over", "request_id", id, "error", err.Error())
	}
}

// finalizeRequest is the notifier's side: tell a final request's
// follow-ups once. The request is read again (the input only names it), so
// an invocation by anyone else can only make the notifier tell the truth,
// once.
func (n *Notifier) finalizeRequest(ctx context.Context, id string) (NotifyResult, error) {
	res := NotifyResult{RequestID: id, Sent: []string{}}
	if err := n.ready(ctx); err != nil {
		return res, notifyFailed(err)
	}
	ctx, cancel := context.WithTimeout(ctx, finalBudget)
	defer cancel()
	db := store{db: n.DB, table: n.Config.TableName}
	r, err := db.get(ctx, id)
	switch {
	case errors.Is(err, errNotFound):
		// Nothing to tell, and a retry would find nothing either.
		n.Log.Warn("follow-ups not told: no such request", "request_id", id)
		return res, nil
	case err != nil:
		return res, notifyFailed(err)
	case !approval.IsFinal(r):
		n.Log.Info("follow-ups not due", "request_id", id, "status", r.Status)
		return res, nil
	}
	sec, err := n.loadSecrets(ctx)
	if err != nil {
		return res, notifyFailed(err)
	}
	chans := n.finalChannels(sec, r)
	if len(chans) == 0 {
		return res, nil
	}
	switch err := db.markTold(ctx, r, n.Now()); {
	case errors.Is(err, errConflict):
		n.Log.Info("follow-ups already told", "request_id", id)
		return res, nil
	case err != nil:
		return res, notifyFailed(err)
	}
	errs := sendAll(ctx, chans)
	for i, ch := range chans {
		if errs[i] != nil {
			res.Failed = append(res.Failed, ch.name+": "+errs[i].Error())
			n.Log.Warn("follow-up failed", "request_id", id, "channel", ch.name, "error", errs[i].Error())
		} else {
			res.Sent = append(res.Sent, ch.name)
		}
	}
	sort.Strings(res.Sent)
	n.Log.Info("follow-ups", "request_id", id, "status", r.Status, "sent", res.Sent, "failed", res.Failed)
	return res, nil
}

// finalChannels are the follow-ups of final request r the gate asks for.
func (n *Notifier) finalChannels(sec *Secrets, r approval.Request) []channel {
	var out []channel
	m := approval.NewMessage(r, n.Config.GateName, "", "")
	detailType, hook := approval.EventDecided, approval.WebhookEventDecided
	if r.Status == approval.StatusExpired {
		detailType, hook = approval.EventExpired, approval.WebhookEventExpired
	}
	if n.Config.Followup.Events != nil {
		out = append(out, channel{"events", func(ctx context.Context) error {
			n.PutEvent(ctx, detailType, r, approval.EventExtra{}) // logs its own failure
			return nil
		}})
	}
	if n.Config.ParamWebhookURL != "" {
		out = append(out, channel{"webhook", func(ctx context.Context) error {
			body, err := approval.WebhookEventBody(hook, approval.NewEventDetail(detailType, n.Config.GateName, r, approval.EventExtra{}, n.Now()))
			if err != nil {
				return err
			}
			return n.postSignedWebhook(ctx, sec, body)
		}})
	}
	// A Teams card cannot be edited: its follow-up card always says how the
	// request ended, so the first card's buttons are not taken for live.
	if n.Config.ParamTeamsWebhookURL != "" {
		out = append(out, channel{"teams", func(ctx context.Context) error {
			var (
				card []byte
				err  error
			)
			if r.Followup.Ended == approval.EndedStopped {
				card, err = approval.TeamsStoppedCard(m)
			} else {
				o := r.Outcome
				if r.Status == approval.StatusExpired {
					o = nil // expired: no decision reached the workflow
				}
				card, err = approval.TeamsDecisionCard(m, o)
			}
			if err != nil {
				return err
			}
			return n.postTeams(ctx, card)
		}})
	}
	if !n.Config.Followup.NotifyOnDecision {
		return out
	}
	post := func(render func(approval.Message, approval.Request) ([]byte, error)) func(context.Context) error {
		return func(ctx context.Context) error {
			body, err := render(m, r)
			if err != nil {
				return err
			}
			return n.postJSON(ctx, sec.SlackWebhookURL, body, nil, nil)
		}
	}
	switch n.Config.SlackFormat {
	case approval.SlackFormatBlocks:
		out = append(out, channel{"slack", post(approval.SlackFollowupMessage)})
	case approval.SlackFormatWorkflow:
		out = append(out, channel{"slack", post(approval.SlackWorkflowFollowup)})
	}
	if n.Config.TopicARN != "" {
		out = append(out, channel{"sns", func(ctx context.Context) error {
			_, err := n.SNS.Publish(ctx, &sns.PublishInput{
				TopicArn: aws.String(n.Config.TopicARN), Subject: aws.String(approval.SNSFinalSubject(m, r)),
				Message: aws.String(approval.SNSFinalMessage(m, r)),
			})
			return err
		}})
	}
	return out
}

// markTold records that r's follow-ups are being told, if nobody has: the
// item must still be in r's final status and not told yet (errConflict
// otherwise).
func (s store) markTold(ctx context.Context, r approval.Request, now time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      s.key(r.ID),
		UpdateExpression:         aws.String("SET #told = :told"),
		ConditionExpression:      aws.String("attribute_exists(id) AND attribute_not_exists(#told) AND #status = :status"),
		ExpressionAttributeNames: map[string]string{"#told": ToldAttribute, "#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":told": num(now.Unix()), ":status": str(r.Status),
		},
	})
	if isConditionFailed(err) {
		return errConflict
	}
	if err != nil {
		return fmt.Errorf("marking request %s told: %w", r.ID, err)
	}
	return nil
}
