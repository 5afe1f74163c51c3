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
	// SFN proves each invocation's task token (see prove).
	SFN NotifierSFN
	// Rand is the source of request ids; nil means crypto/rand.
	Rand io.Reader

	once sync.Once
	subs subscriptionCache
}

// NotifyResult is the notifier's answer (Step Functions ignores it for
// waitForTaskToken tasks; it helps when invoking the function by hand).
type NotifyResult struct {
	RequestID string   `json:"request_id"`
	Sent      []string `json:"sent"`
	Failed    []string `json:"failed,omitempty"`
	// Undelivered are the channels that sent nothing on purpose, with why
	// (an SNS topic without a confirmed subscription). They do not count as
	// delivered: with none delivered, the notifier fails.
	Undelivered []string `json:"undelivered,omitempty"`
}

// Handle processes one invocation. It fails with a function error Step
// Functions can Retry and Catch by name: approval.ErrorInvalidRequest when
// the payload is refused (nobody is notified), approval.ErrorNotifyFailed
// when the secrets cannot be read, the request cannot be stored or every
// channel failed.
func (n *Notifier) Handle(ctx context.Context, raw json.RawMessage) (NotifyResult, error) {
	res, err := n.handle(ctx, raw)
	if err != nil {
		n.Log.Error("notifier failed", "error_type", ErrorType(err), "error", err.Error())
	}
	return res, functionError(err)
}

func (n *Notifier) handle(ctx context.Context, raw json.RawMessage) (NotifyResult, error) {
	n.once.Do(n.init)
	var job finalizeJob
	if json.Unmarshal(raw, &job) == nil && job.Kind == jobFinalize {
		return n.finalizeRequest(ctx, job.RequestID)
	}
	p, err := decodePayload(raw)
	if err != nil {
		return NotifyResult{}, invalidRequest(err)
	}
	// The allowed state machines and the approvers are in the configuration
	// document: read it (with the secrets) before checking the payload
	// against them. Not being able to read it is the gate's failure.
	if err := n.ready(ctx); err != nil {
		return NotifyResult{}, notifyFailed(err)
	}
	if p, err = n.checkPayload(p); err != nil {
		return NotifyResult{}, invalidRequest(err)
	}
	start := time.Now()
	p, pr, err := n.prove(ctx, p)
	n.Log.Info("proof", "calls", pr.calls, "duration_ms", float64(time.Since(start).Microseconds())/1000, "from_history", pr.fromHistory, "ok", err == nil)
	if err != nil {
		return NotifyResult{}, err
	}
	// A payload read back from the execution's history replaces the
	// received one: resolve its requester again (idempotent on the received
	// payload, whose requester checkPayload already resolved).
	if p.RequestedBy, err = approval.ResolveRequester(p, n.Config.RequesterPath, n.Config.AllowSelfApproval); err != nil {
		return NotifyResult{}, invalidRequest(err)
	}
	sec, err := n.loadSecrets(ctx)
	if err != nil {
		return NotifyResult{}, notifyFailed(err)
	}
	r, err := n.store(ctx, p)
	if err != nil {
		return NotifyResult{}, notifyFailed(err)
	}
	// The event goes out while the channels send: it waits for nothing
	// and nothing waits for it but the answer.
	var events sync.WaitGroup
	events.Go(func() { n.PutEvent(ctx, approval.EventRequested, r, approval.EventExtra{}) })
	res := n.notify(ctx, sec, r)
	events.Wait()
	n.Log.Info("request", "request_id", r.ID, "execution", r.ExecutionID, "expires_at", r.ExpiresAt.Format(time.RFC3339),
		"sent", res.Sent, "failed", res.Failed, "undelivered", res.Undelivered)
	if len(res.Sent) == 0 {
		return res, notifyFailed(fmt.Errorf("request %s: every notification channel failed (%s)", r.ID, strings.Join(append(res.Failed, res.Undelivered...), "; ")))
	}
	return res, nil
}

func (n *Notifier) init() {
	n.Base.init()
	if n.Rand == nil {
		n.Rand = rand.Reader
	}
}

// decodePayload checks size and token: what needs no configuration.
func decodePayload(raw json.RawMessage) (approval.Payload, error) {
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
	return p, nil
}

// checkPayload checks state machine and requester against the gate's
// configuration, and resolves the requester into p.RequestedBy.
func (n *Notifier) checkPayload(p approval.Payload) (approval.Payload, error) {
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
		RequestedBy:  p.RequestedBy, // resolved by checkPayload
		CreatedAt:    now,
		ExpiresAt:    now.Add(time.Duration(n.Config.TimeoutSeconds) * time.Second),
		MinApprovals: max(n.Config.MinApprovals, 1),
		Status:       approval.StatusPending,
	}
	// The first thing due: a reminder, the last call, an escalation step,
	// or the expiry. due_at puts the request into the status-due index.
	r.DueAt = approval.NextFollowup(n.Config.Followup, r)
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

// channel is one notification route: of a request, a reminder or an
// escalation, or a final request's follow-ups.
type channel struct {
	name string
	send func(context.Context) error
}

// sendAll sends on every channel at once and returns each one's error, in
// the order of chans.
func sendAll(ctx context.Context, chans []channel) []error {
	errs := make([]error, len(chans))
	var wg sync.WaitGroup
	for i, c := range chans {
		wg.Go(func() { errs[i] = c.send(ctx) })
	}
	wg.Wait()
	return errs
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
	errs := sendAll(ctx, chans)
	res := NotifyResult{RequestID: r.ID, Sent: []string{}}
	for i, c := range chans {
		var nd *errNotDelivered
		if errors.As(errs[i], &nd) {
			res.Undelivered = append(res.Undelivered, c.name+": "+nd.reason)
			n.Log.Warn("notification not delivered", "request_id", r.ID, "channel", c.name, "reason", nd.reason)
			continue
		}
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
	if n.Config.ParamWebhookURL != "" {
		// One delivery id and timestamp for every attempt of this delivery
		// (webhookHeaders).
		delivery, err := approval.NewRequestID(rand.Reader)
		ts := n.Now().Unix()
		postRendered("webhook", sec.WebhookURL, approval.WebhookBody, func(body []byte) http.Header {
			return webhookHeaders(sec.WebhookSecret, ts, delivery, body)
		})
		if err != nil {
			out[len(out)-1].send = func(context.Context) error { return err }
		}
	}
	if n.Config.ParamTeamsWebhookURL != "" {
		out = append(out, channel{"teams", func(ctx context.Context) error {
			card, err := approval.TeamsCard(m)
			if err != nil {
				return err
			}
			return n.postTeams(ctx, card)
		}})
	}
	if n.Config.TopicARN != "" {
		out = append(out, channel{"sns", func(ctx context.Context) error { return n.publishSNS(ctx, r, m) }})
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
