package lambda

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// deadlineMargin is kept free before the function's deadline so the
// notifier can still answer after its channels gave up.
const deadlineMargin = 500 * time.Millisecond

// Notifier is the handler of the notifier function: Step Functions invokes
// it with an approval.Payload and a task token; it stores the request and
// sends every configured notification.
type Notifier struct {
	Base
	DB  DynamoDB
	SNS SNS
	// Rand is the source of request ids; nil means crypto/rand.
	Rand io.Reader

	once sync.Once
}

// NotifyResult is the notifier's answer (Step Functions ignores it for
// waitForTaskToken tasks; it helps when invoking the function by hand).
type NotifyResult struct {
	RequestID string   `json:"request_id"`
	Sent      []string `json:"sent"`
	Failed    []string `json:"failed,omitempty"`
}

// Handle processes one invocation. It fails (so the Task's Retry applies)
// when the payload is refused, the request cannot be stored or every
// channel failed.
func (n *Notifier) Handle(ctx context.Context, raw json.RawMessage) (NotifyResult, error) {
	n.once.Do(n.init)
	p, err := n.parsePayload(raw)
	if err != nil {
		n.Log.Error("payload refused", "error", err.Error())
		return NotifyResult{}, err
	}
	sec, err := n.loadSecrets(ctx)
	if err != nil {
		return NotifyResult{}, err
	}
	r, err := n.store(ctx, p)
	if err != nil {
		return NotifyResult{}, err
	}
	res := n.notify(ctx, sec, r)
	n.Log.Info("request", "request_id", r.ID, "execution", r.ExecutionID, "expires_at", r.ExpiresAt.Format(time.RFC3339),
		"sent", res.Sent, "failed", res.Failed)
	if len(res.Sent) == 0 {
		return res, fmt.Errorf("request %s: every notification channel failed (%s)", r.ID, strings.Join(res.Failed, "; "))
	}
	return res, nil
}

func (n *Notifier) init() {
	n.Base.init()
	if n.Rand == nil {
		n.Rand = rand.Reader
	}
}

// parsePayload checks size, token, state machine and requester, and
// resolves the requester into p.RequestedBy.
func (n *Notifier) parsePayload(raw json.RawMessage) (approval.Payload, error) {
	var p approval.Payload
	if len(raw) > approval.MaxPayloadBytes {
		return p, fmt.Errorf("payload of %d bytes is larger than the limit of %d bytes", len(raw), approval.MaxPayloadBytes)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("payload is not a valid approval payload: %w", err)
	}
	if p.Token == "" {
		return p, errors.New("payload has no task token: invoke the notifier with the resource arn:aws:states:::lambda:invoke.waitForTaskToken and the gate's task_state_json")
	}
	if allowed := n.Config.AllowedStateMachineARNs; len(allowed) > 0 {
		if p.StateMachineID == "" {
			return p, errors.New("payload has no state_machine_id but the gate only serves allowed_state_machine_arns: keep include_execution_context = true")
		}
		if !slices.Contains(allowed, p.StateMachineID) {
			return p, fmt.Errorf("state machine %s is not in the gate's allowed_state_machine_arns", p.StateMachineID)
		}
	}
	req, err := approval.ResolveRequester(p, n.Config.RequesterPath, n.Config.AllowSelfApproval)
	if err != nil {
		return p, err
	}
	p.RequestedBy = req // canonical from here on: store keeps it as it is
	return p, nil
}

// store writes a new request for p, drawing a fresh id on the (unlikely)
// collision.
func (n *Notifier) store(ctx context.Context, p approval.Payload) (approval.Request, error) {
	now := n.Now().UTC().Truncate(time.Second)
	title := strings.TrimSpace(p.Title)
	if title == "" {
		title = approval.DefaultTitle(n.Config.GateName)
	}
	r := approval.Request{
		Token: p.Token, ExecutionID: p.ExecutionID, StateMachineID: p.StateMachineID, StateName: p.StateName,
		Title:        approval.Truncate(title, approval.MaxTitleRunes),
		Text:         approval.Truncate(strings.TrimSpace(p.Text), approval.MaxTextRunes),
		Context:      approval.BuildContext(p),
		RequestedBy:  p.RequestedBy, // resolved by parsePayload
		CreatedAt:    now,
		ExpiresAt:    now.Add(time.Duration(n.Config.TimeoutSeconds) * time.Second),
		MinApprovals: max(n.Config.MinApprovals, 1),
		Status:       approval.StatusPending,
	}
	// The first thing due is the expiry (reminders, when configured, come
	// earlier): due_at puts the request into the status-due index.
	r.DueAt = r.ExpiresAt
	db := store{db: n.DB, table: n.Config.TableName}
	for range 3 {
		id, err := approval.NewRequestID(n.Rand)
		if err != nil {
			return r, err
		}
		r.ID = id
		if err = db.create(ctx, r); !errors.Is(err, errExists) {
			return r, err
		}
	}
	return r, errors.New("could not draw an unused request id")
}

// channel is one notification route.
type channel struct {
	name string
	send func(context.Context) error
}

// notify sends every configured channel concurrently, within ctx's deadline.
func (n *Notifier) notify(ctx context.Context, sec *Secrets, r approval.Request) NotifyResult {
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-deadlineMargin))
		defer cancel()
	}
	approve, reject := n.links(sec.SigningKey, r)
	m := approval.NewMessage(r, n.Config.GateName, approve, reject)
	chans := n.channels(sec, r, m)
	errs := make([]error, len(chans))
	var wg sync.WaitGroup
	for i, c := range chans {
		wg.Go(func() { errs[i] = c.send(ctx) })
	}
	wg.Wait()
	res := NotifyResult{RequestID: r.ID, Sent: []string{}}
	for i, c := range chans {
		if errs[i] != nil {
			res.Failed = append(res.Failed, c.name+": "+errs[i].Error())
			n.Log.Warn("notification failed", "request_id", r.ID, "channel", c.name, "error", errs[i].Error())
		} else {
			res.Sent = append(res.Sent, c.name)
		}
	}
	sort.Strings(res.Sent)
	return res
}

// channels lists the configured notification routes.
func (n *Notifier) channels(sec *Secrets, r approval.Request, m approval.Message) []channel {
	var out []channel
	postRendered := func(name, url string, render func(approval.Message) ([]byte, error), header func([]byte) http.Header) {
		out = append(out, channel{name, func(ctx context.Context) error {
			if url == "" {
				return errors.New("no URL configured")
			}
			body, err := render(m)
			if err != nil {
				return err
			}
			var h http.Header
			if header != nil {
				h = header(body)
			}
			return n.postJSON(ctx, url, body, h, nil)
		}})
	}
	switch n.Config.SlackFormat {
	case approval.SlackFormatBlocks:
		postRendered("slack", sec.SlackWebhookURL, approval.SlackWebhookMessage, nil)
	case approval.SlackFormatWorkflow:
		postRendered("slack", sec.SlackWebhookURL, approval.SlackWorkflowVariables, nil)
	case approval.SlackFormatApp:
		out = append(out, channel{"slack", func(ctx context.Context) error { return n.postSlackApp(ctx, sec, r, m) }})
	}
	if n.Config.WebhookURL != "" {
		postRendered("webhook", n.Config.WebhookURL, approval.WebhookBody, func(body []byte) http.Header {
			return http.Header{approval.WebhookSignatureHeader: {approval.WebhookSignature(sec.WebhookSecret, body)}}
		})
	}
	if n.Config.TopicARN != "" {
		out = append(out, channel{"sns", func(ctx context.Context) error {
			_, err := n.SNS.Publish(ctx, &sns.PublishInput{
				TopicArn: aws.String(n.Config.TopicARN),
				Subject:  aws.String(approval.SNSSubject(m)),
				Message:  aws.String(approval.SNSMessage(m)),
			})
			return err
		}})
	}
	return out
}

// postSlackApp posts the interactive message and remembers where it is.
func (n *Notifier) postSlackApp(ctx context.Context, sec *Secrets, r approval.Request, m approval.Message) error {
	body, err := approval.SlackAppMessage(m, n.Config.SlackChannel)
	if err != nil {
		return err
	}
	resp, err := n.slackAPI(ctx, sec.SlackBotToken, "chat.postMessage", body)
	if err != nil {
		return err
	}
	db := store{db: n.DB, table: n.Config.TableName}
	if err := db.setSlackMessage(ctx, r.ID, resp.Channel, resp.TS); err != nil {
		// The message is out; only in-place updates are lost.
		n.Log.Warn("slack message not remembered", "request_id", r.ID, "error", err.Error())
	}
	return nil
}
