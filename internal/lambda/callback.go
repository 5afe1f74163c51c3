package lambda

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// slackBudget is how long the callback spends on a Slack interaction, so it
// answers within Slack's three seconds.
const slackBudget = 2500 * time.Millisecond

// Callback is the handler of the callback function behind the gate's HTTP
// API: GET and POST /r/{id} for signed links, POST /slack/interactions for
// the Slack app's buttons; /api/v1/… for machines (api.go).
type Callback struct {
	Base
	DB  DynamoDB
	SFN StepFunctions
	// Lambda and FunctionName, when set, let the callback hand a verified
	// Slack interaction to itself (InvocationType Event) and answer Slack
	// at once; without them it decides within Slack's three seconds.
	Lambda       LambdaInvoker
	FunctionName string
	// NotifierFunction is the gate's notifier, which the callback invokes
	// (asynchronously, with Lambda) to tell a final request's follow-ups
	// (finalize.go).
	NotifierFunction string
	// SNS publishes the sweep's reminders to the gate's topic and the
	// escalation steps' e-mails (nil: none are sent).
	SNS SNSPublisher

	once sync.Once
	sso  ssoRP       // the OpenID Connect relying party, when the gate has SSO
	apiv apiVerifier // api.go
	// rescheduled is set once the pending requests are known to follow the
	// gate's follow-up schedule (reschedule.go).
	rescheduled atomic.Bool
}

// Handle serves one HTTP API request (payload format 2.0). It never returns
// an error: every failure is a page or status code.
func (c *Callback) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	c.once.Do(c.init)
	start := c.Now()
	resp, route, id := c.route(ctx, req)
	c.Log.Info("http", "method", req.RequestContext.HTTP.Method, "route", route, "request_id", id,
		"status", resp.StatusCode, "duration_ms", c.Now().Sub(start).Milliseconds())
	return resp, nil
}

func (c *Callback) route(ctx context.Context, req events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, route, id string) {
	method := req.RequestContext.HTTP.Method
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	// Every route below but "unknown" reads the configuration document
	// first (cold start: with the secrets, in one call).
	if i := strings.Index(path+"/", approval.APIPathPrefix+"/"); i >= 0 {
		if !c.readyFor(ctx) {
			return apiError(http.StatusInternalServerError, apiErrInternal, "The gate could not read its configuration. Try again in a moment.", nil), "api", ""
		}
		resp, id = c.apiRoute(ctx, req, path[i+len(approval.APIPathPrefix):])
		return resp, "api", id
	}
	if strings.HasSuffix(path, "/slack/interactions") {
		if method != http.MethodPost {
			return methodNotAllowed(http.MethodPost), "slack", ""
		}
		if !c.readyFor(ctx) {
			return unreadyPage(), "slack", ""
		}
		resp, id = c.slack(ctx, req)
		return resp, "slack", id
	}
	if strings.HasSuffix(path, approval.SSOCallbackPath) {
		if method != http.MethodGet {
			return methodNotAllowed(http.MethodGet), "sso", ""
		}
		if !c.readyFor(ctx) {
			return unreadyPage(), "sso", ""
		}
		resp, id = c.ssoCallback(ctx, req)
		return resp, "sso", id
	}
	id, ok := requestID(req, path)
	if !ok {
		return errorPage(http.StatusNotFound, "Not found", "There is nothing here."), "unknown", ""
	}
	if !c.readyFor(ctx) {
		return unreadyPage(), "link", id
	}
	switch method {
	case http.MethodGet:
		return c.confirm(ctx, req, id), "link", id
	case http.MethodPost:
		return c.decideLink(ctx, req, id), "link", id
	}
	return methodNotAllowed(http.MethodGet + ", " + http.MethodPost), "link", id
}

// readyFor reads the configuration document (see Base.ready) and logs why
// it could not.
func (c *Callback) readyFor(ctx context.Context) bool {
	if err := c.ready(ctx); err != nil {
		c.Log.Error("configuration", "error", err.Error())
		return false
	}
	return true
}

// unreadyPage answers when the configuration document cannot be read.
func unreadyPage() events.APIGatewayV2HTTPResponse {
	return errorPage(http.StatusInternalServerError, "Configuration unavailable",
		"The approval gate could not read its configuration. Try again in a minute; if it persists, tell the gate's owner.")
}

// requestID finds {id} of /r/{id}: from the path parameters when API
// Gateway gives them, else from the path (which may carry a stage prefix).
func requestID(req events.APIGatewayV2HTTPRequest, path string) (string, bool) {
	if id, ok := req.PathParameters["id"]; ok {
		return id, id != ""
	}
	i := strings.LastIndex(path, "/r/")
	if i < 0 {
		return "", false
	}
	id := path[i+len("/r/"):]
	return id, id != "" && !strings.Contains(id, "/")
}

func methodNotAllowed(allow string) events.APIGatewayV2HTTPResponse {
	return respond(http.StatusMethodNotAllowed, "text/plain; charset=utf-8", "method not allowed\n", map[string]string{"Allow": allow})
}

func internalError() events.APIGatewayV2HTTPResponse {
	return errorPage(http.StatusInternalServerError, "Something went wrong", "The request could not be processed. Try again in a moment.")
}

// verifiedLink checks the link of request id; on failure it returns the
// page to show.
func (c *Callback) verifiedLink(ctx context.Context, req events.APIGatewayV2HTTPRequest, id string) (approval.Link, *events.APIGatewayV2HTTPResponse) {
	sec, err := c.loadSecrets(ctx)
	if err != nil {
		c.Log.Error("secrets", "error", err.Error())
		resp := internalError()
		return approval.Link{}, &resp
	}
	l, err := approval.VerifyLink(sec.SigningKey, id, query(req), c.Now())
	switch {
	case errors.Is(err, approval.ErrLinkExpired):
		resp := errorPage(http.StatusGone, "Link expired", "This approval link has expired.")
		return l, &resp
	case err != nil:
		resp := invalidLink()
		return l, &resp
	}
	return l, nil
}

func invalidLink() events.APIGatewayV2HTTPResponse {
	return errorPage(http.StatusForbidden, "Invalid link", "This approval link is not valid. Use the link exactly as you received it.")
}

// errLinkMismatch: a correctly signed link whose expiry is not the one of
// the request it names, so it was not issued for this request (the notifier
// signs every link with the request's own expiry).
var errLinkMismatch = errors.New("the link was not issued for this request")

// linkMatches reports whether l was issued for r: links carry r's expiry.
func linkMatches(l approval.Link, r approval.Request) bool {
	return l.Expires.Unix() == r.ExpiresAt.Unix()
}

// confirm serves GET /r/{id}: the confirm page. It never decides anything.
func (c *Callback) confirm(ctx context.Context, req events.APIGatewayV2HTTPRequest, id string) events.APIGatewayV2HTTPResponse {
	l, bad := c.verifiedLink(ctx, req, id)
	if bad != nil {
		return *bad
	}
	r, err := c.store().get(ctx, id)
	if err != nil {
		return c.votePage(r, 0, err)
	}
	if !linkMatches(l, r) {
		return invalidLink()
	}
	if r.Status == approval.StatusDeciding {
		return c.deliveringPage(http.StatusOK, r, l)
	}
	if r.Status != approval.StatusPending {
		return c.votePage(r, 0, approval.ErrAlreadyDecided)
	}
	if c.Now().After(r.ExpiresAt) {
		return c.votePage(r, 0, approval.ErrExpired)
	}
	if c.ssoEnabled() {
		return c.confirmSSO(ctx, req, r, l)
	}
	// A bare link's vote would be refused (identity required, link_decisions,
	// no requester): say so now, and show no form.
	if _, _, err := approval.Apply(r, approval.PolicyFromConfig(c.Config), c.linkVote(l, "", "")); err != nil {
		return c.votePage(r, 0, err)
	}
	return c.formPage(http.StatusOK, r, l, "", "", "")
}

// linkVote is the vote of a bare signed link: anonymous, the typed name only
// a display note.
func (c *Callback) linkVote(l approval.Link, name, comment string) approval.Vote {
	return approval.Vote{Approver: approval.LinkApprover(name), Decision: l.Decision, Comment: comment, At: c.Now()}
}

// formPage shows the confirm form; status and problem serve a page that
// shows the form again with what to correct.
func (c *Callback) formPage(status int, r approval.Request, l approval.Link, name, comment, problem string) events.APIGatewayV2HTTPResponse {
	return c.formPageWith(status, r, l, name, comment, problem, nil, formProblems{})
}

// formPageWith is formPage with the inputs as typed and the problems found
// with them.
func (c *Callback) formPageWith(status int, r approval.Request, l approval.Link, name, comment, problem string, typed url.Values, probs formProblems) events.APIGatewayV2HTTPResponse {
	return c.confirmForm(status, r, l, name, comment, problem, typed, probs, nil)
}

// confirmForm is the confirm page's form: a bare link's (s nil, with the
// optional display name) or a signed-in person's.
func (c *Callback) confirmForm(status int, r approval.Request, l approval.Link, name, comment, problem string, typed url.Values, probs formProblems, s *approval.SSOSession) events.APIGatewayV2HTTPResponse {
	heading := "Approve this request?"
	if l.Decision == approval.DecisionReject {
		heading = "Reject this request?"
	}
	if len(probs.Other) > 0 {
		problem = strings.TrimSpace(problem + " " + capitalize(strings.Join(probs.Other, "; ")) + ".")
	}
	f := &pageForm{
		Approve: l.Decision == approval.DecisionApprove, Name: name, Comment: comment,
		ReasonRequired: approval.ReasonRequired(c.Config, l.Decision), ReasonProblem: probs.Reason,
		Inputs: pageInputs(c.Config, l.Decision, typed, probs),
	}
	if s != nil {
		f.Name, f.SignedInAs, f.Identity, f.Needed = "", signedInAs(*s), s.Identity, r.MinApprovals
	}
	return html(status, page{Heading: heading, Message: problem, IsError: problem != "", Request: newPageRequest(r), Form: f}, nil)
}

// decideLink serves POST /r/{id}: the confirm page's form decides.
func (c *Callback) decideLink(ctx context.Context, req events.APIGatewayV2HTTPRequest, id string) events.APIGatewayV2HTTPResponse {
	l, bad := c.verifiedLink(ctx, req, id)
	if bad != nil {
		return *bad
	}
	if c.ssoEnabled() {
		return c.decideSSO(ctx, req, id, l)
	}
	b, err := body(req)
	if errors.Is(err, errBodyTooLarge) {
		return errorPage(http.StatusRequestEntityTooLarge, "Too large", "The form is too large.")
	}
	form, perr := url.ParseQuery(string(b))
	if err != nil || perr != nil {
		return errorPage(http.StatusBadRequest, "Bad request", "The form could not be read.")
	}
	return c.castLinkVote(ctx, id, l, c.linkVote(l, form.Get("name"), form.Get("comment")), form, nil)
}

// castLinkVote checks the reason and inputs of a link's form (a bare
// link's, or a signed-in person's: s) and casts v with them; a form that
// breaks a rule is shown again with what to correct, and nothing decided.
func (c *Callback) castLinkVote(ctx context.Context, id string, l approval.Link, v approval.Vote, form url.Values, s *approval.SSOSession) events.APIGatewayV2HTTPResponse {
	inputs, ierr := approval.CheckDecisionInputs(c.Config, l.Decision, v.Comment, formInputs(form))
	if ierr != nil {
		r, err := c.store().get(ctx, id)
		if err != nil {
			return c.votePage(r, 0, err)
		}
		if !linkMatches(l, r) {
			return invalidLink()
		}
		if r.Status == approval.StatusPending {
			return c.confirmForm(http.StatusBadRequest, r, l, v.Approver.Name, v.Comment,
				"Please correct the fields marked below: nothing was decided.", form, newFormProblems(c.Config, l.Decision, ierr), s)
		}
	}
	v.Inputs = inputs
	r, res, err := c.vote(ctx, id, v, func(r approval.Request) error {
		if !linkMatches(l, r) {
			return errLinkMismatch
		}
		return nil
	})
	if errors.Is(err, errBeingDelivered) {
		return c.deliveringPage(deliveringStatus, r, l)
	}
	return c.votePage(r, res, err)
}

// votePage renders the result of a vote, or of looking a request up.
func (c *Callback) votePage(r approval.Request, res approval.Result, err error) events.APIGatewayV2HTTPResponse {
	result := func(status int, heading, msg string) events.APIGatewayV2HTTPResponse {
		p := page{Heading: heading, Message: msg}
		if r.ID != "" {
			p.Request = newPageRequest(r)
		}
		return html(status, p, nil)
	}
	switch {
	case err == nil && res == approval.Decided:
		return result(http.StatusOK, capitalize(r.Outcome.Decision), describeOutcome(r.Outcome)+". The workflow has been told. Thank you.")
	case err == nil && res == approval.Counted:
		return result(http.StatusOK, "Approval recorded", progress(r))
	case err == nil && res == approval.AlreadyCounted:
		return result(http.StatusOK, "Already counted", "Your approval was already recorded. "+progress(r))
	case errors.Is(err, errNotFound):
		return errorPage(http.StatusNotFound, "Not found", "There is no such approval request. It may have expired and been removed.")
	case errors.Is(err, errLinkMismatch):
		return invalidLink()
	case (errors.Is(err, errTaskClosed) || errors.Is(err, approval.ErrAlreadyDecided)) && approval.StoppedText(r) != "":
		return result(http.StatusGone, "Execution stopped", approval.StoppedText(r))
	case errors.Is(err, approval.ErrExpired), errors.Is(err, errTaskClosed),
		errors.Is(err, approval.ErrAlreadyDecided) && r.Status == approval.StatusExpired:
		return result(http.StatusGone, "Expired", "The workflow no longer waits for this request: it timed out, was stopped or was already decided.")
	case errors.Is(err, approval.ErrAlreadyDecided):
		return result(http.StatusConflict, "Already decided", describeOutcome(r.Outcome)+".")
	case errors.Is(err, approval.ErrIdentityRequired):
		return result(http.StatusForbidden, "Sign-in required",
			"A link proves only that you hold it, not who you are, and this gate only counts approvals from verified people "+
				"(it has approvers, approver groups, a quorum or the self-approval ban). Approve by signing in, if the gate offers it, "+
				"or with the buttons of the gate's Slack app. You can still reject with a reject link.")
	case errors.Is(err, approval.ErrLinkCannotDecide):
		return result(http.StatusForbidden, "Links cannot decide",
			"This gate's links only inform: decide with the gate's Slack app or its API.")
	case errors.Is(err, approval.ErrLinkCannotApprove):
		return result(http.StatusForbidden, "Links can only reject",
			"This gate's links can only reject: approve with the gate's Slack app or its API.")
	case errors.Is(err, approval.ErrNoRequester):
		return result(http.StatusForbidden, "Not allowed",
			"This request does not say who asked for it, so the rule that nobody approves their own request cannot be checked, and nobody can approve it. Reject it and start it again with requested_by set.")
	case errors.Is(err, approval.ErrSelfApproval), errors.Is(err, approval.ErrNotApprover):
		return result(http.StatusForbidden, "Not allowed", capitalize(err.Error())+".")
	case errors.Is(err, errBeingDelivered):
		return result(deliveringStatus, "Being delivered", beingDeliveredText(r))
	case errors.Is(err, errNotAllowed):
		return result(http.StatusInternalServerError, "Not allowed to resume the workflow", notAllowedHelp)
	case errors.Is(err, approval.ErrTooManyVotes):
		return result(http.StatusConflict, "Too many votes", capitalize(err.Error())+".")
	case errors.Is(err, errStepFunctions):
		return result(http.StatusServiceUnavailable, "Not sent yet", "Your decision is recorded, but the workflow could not be told yet. It is re-sent automatically; you may also submit the form again in a moment.")
	}
	c.Log.Error("vote failed", "request_id", r.ID, "error", fmt.Sprint(err))
	return internalError()
}

func progress(r approval.Request) string {
	return fmt.Sprintf("%d of %d approvals so far.", r.Approvals(), r.MinApprovals)
}

// slack serves POST /slack/interactions.
func (c *Callback) slack(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, string) {
	text := func(status int, s string) events.APIGatewayV2HTTPResponse {
		return respond(status, "text/plain; charset=utf-8", s, nil)
	}
	if c.Config.SlackFormat != approval.SlackFormatApp || c.Config.ParamSlackSigning == "" {
		return text(http.StatusNotFound, "not found\n"), ""
	}
	ctx, cancel := context.WithTimeout(ctx, slackBudget)
	defer cancel()
	b, err := body(req)
	switch {
	case errors.Is(err, errBodyTooLarge):
		return text(http.StatusRequestEntityTooLarge, "too large\n"), ""
	case err != nil:
		return text(http.StatusBadRequest, "bad request\n"), ""
	}
	sec, err := c.loadSecrets(ctx)
	if err != nil {
		c.Log.Error("secrets", "error", err.Error())
		return text(http.StatusInternalServerError, "internal error\n"), ""
	}
	ts, sig := header(req, approval.SlackTimestampHeader), header(req, approval.SlackSignatureHeader)
	if err := approval.VerifySlackSignature(sec.SlackSigningSecret, ts, sig, b, c.Now()); err != nil {
		return text(http.StatusUnauthorized, "unauthorized\n"), ""
	}
	if sub, ok, serr := approval.ParseViewSubmission(b); ok {
		if serr != nil {
			return text(http.StatusBadRequest, "bad request\n"), ""
		}
		// A submission completes a click: the same workspace and identity.
		if err := approval.CheckSlackWorkspace(sub.Action, c.Config); err != nil {
			c.Log.Warn("slack submission refused", "request_id", sub.RequestID, "team", sub.TeamID, "enterprise", sub.EnterpriseID,
				"app", sub.AppID, "error", err.Error())
			return text(http.StatusForbidden, "forbidden\n"), sub.RequestID
		}
		if e := c.slackEmailIdentity(ctx, sec.SlackBotToken, sub.Action); e != "" {
			sub.Vote.IDs = append(sub.Vote.IDs, e)
		}
		return c.slackSubmission(ctx, sec, sub), sub.RequestID
	}
	act, err := approval.ParseInteraction(b)
	switch {
	case errors.Is(err, approval.ErrNotDecision):
		return text(http.StatusOK, ""), ""
	case err != nil:
		return text(http.StatusBadRequest, "bad request\n"), ""
	}
	if err := approval.CheckSlackWorkspace(act, c.Config); err != nil {
		// Nothing is read, written or posted for another workspace or app.
		c.Log.Warn("slack click refused", "request_id", act.RequestID, "team", act.TeamID, "enterprise", act.EnterpriseID,
			"app", act.AppID, "error", err.Error())
		return text(http.StatusForbidden, "forbidden\n"), act.RequestID
	}
	if approval.NeedsModal(c.Config, act.Decision) {
		// A trigger_id is valid for three seconds: the modal is opened now,
		// within the request; its submission decides (slackSubmission).
		if e := c.slackEmailIdentity(ctx, sec.SlackBotToken, act); e != "" {
			act.Vote.IDs = append(act.Vote.IDs, e)
		}
		act.Vote.At = c.Now()
		c.slackOpenModal(ctx, sec, act, approval.SlackTriggerID(b))
		return text(http.StatusOK, ""), act.RequestID
	}
	// Acknowledge at once and decide after the answer (slackjob.go); only
	// if the hand-over fails is the click handled here, within Slack's 3 s.
	if c.enqueueSlack(ctx, sec, b) {
		return text(http.StatusOK, ""), act.RequestID
	}
	c.slackDecide(ctx, sec, act)
	return text(http.StatusOK, ""), act.RequestID
}

// slackDecide records a verified Slack click and answers in Slack.
func (c *Callback) slackDecide(ctx context.Context, sec *Secrets, act approval.Action) {
	if e := c.slackEmailIdentity(ctx, sec.SlackBotToken, act); e != "" {
		act.Vote.IDs = append(act.Vote.IDs, e)
	}
	act.Vote.At = c.Now()
	r, res, err := c.vote(ctx, act.RequestID, act.Vote, func(r approval.Request) error {
		return approval.CheckSlackMessage(act, r)
	})
	c.slackReply(ctx, sec, act, r, res, err)
}

// slackReply updates the message in place once the request is final, and
// tells the clicking user privately about anything else.
func (c *Callback) slackReply(ctx context.Context, sec *Secrets, act approval.Action, r approval.Request, res approval.Result, err error) {
	var note string
	final := false
	switch {
	case err == nil && res == approval.Decided:
		final = true
	case err == nil && res == approval.Counted:
		note = "Your approval is recorded. " + progress(r)
	case err == nil && res == approval.AlreadyCounted:
		note = "Your approval was already recorded. " + progress(r)
	case errors.Is(err, approval.ErrNotApprover):
		note = "You are not an approver of this request."
	case errors.Is(err, approval.ErrSelfApproval):
		note = "You cannot approve your own request."
	case errors.Is(err, approval.ErrSlackMessage):
		note = "This button does not belong to the request's own message: use the buttons of the message the gate posted."
	case errors.Is(err, approval.ErrNoRequester):
		note = "This request does not say who asked for it, so nobody can approve it (the self-approval ban cannot be checked). You can reject it."
	case errors.Is(err, approval.ErrTooManyVotes):
		note = capitalize(err.Error()) + "."
	case errors.Is(err, errNotFound):
		note = "This approval request no longer exists."
	case (errors.Is(err, errTaskClosed) || errors.Is(err, approval.ErrAlreadyDecided)) && approval.StoppedText(r) != "":
		final, r.Outcome = true, nil
		note = approval.StoppedText(r)
	case errors.Is(err, approval.ErrExpired), errors.Is(err, errTaskClosed):
		final, r.Outcome = true, nil
		note = "Too late: the workflow no longer waits for this request."
	case errors.Is(err, approval.ErrAlreadyDecided):
		final = true
		if r.Status == approval.StatusExpired {
			r.Outcome = nil
		}
		note = "Already decided: " + approval.SlackStatusText(r.Outcome)
	case errors.Is(err, errBeingDelivered):
		note = slackBeingDelivered(r)
	case errors.Is(err, errNotAllowed):
		note = notAllowedHelp
	case errors.Is(err, errStepFunctions):
		note = "Your decision is recorded but the workflow could not be told yet. It is re-sent automatically; you may also click again in a moment."
	case errors.Is(err, errModalNotOpened):
		note = "This request needs a reason or inputs, but the form could not be opened. Click again in a moment."
	default:
		c.Log.Error("slack vote failed", "request_id", act.RequestID, "error", fmt.Sprint(err))
		note = "Something went wrong. Try again in a moment."
	}
	channel, ts := cmp.Or(act.Channel, r.SlackChannel), cmp.Or(act.TS, r.SlackTS)
	if final && res == approval.Decided && err == nil && finalizedPost(r, channel, ts) {
		final = false // the decision's finalize updated it (finalize.go)
	}
	if final && channel != "" && ts != "" {
		c.updateSlackPosts(ctx, sec, r, []approval.Post{{Channel: channel, TS: ts}})
	}
	if note == "" {
		return
	}
	body, _ := json.Marshal(map[string]string{"channel": act.Channel, "user": act.UserID, "text": note})
	if _, perr := c.slackAPI(ctx, sec.SlackBotToken, "chat.postEphemeral", body); perr != nil {
		c.Log.Warn("slack ephemeral not sent", "request_id", act.RequestID, "error", perr.Error())
	}
}

// finalizedPost reports whether the Slack message (channel, ts) is one that
// finalize updates: the request's own or a later post.
func finalizedPost(r approval.Request, channel, ts string) bool {
	if channel == r.SlackChannel && ts == r.SlackTS {
		return true
	}
	for _, p := range r.Followup.Posts {
		if p.Channel == channel && p.TS == ts {
			return true
		}
	}
	return false
}
