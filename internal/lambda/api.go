package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// The machine-decision API, served when the gate has an api block:
//
//	GET  <callback_url>/api/v1/requests?status=pending[&limit=N][&next=T]
//	GET  <callback_url>/api/v1/requests/{id}
//	POST <callback_url>/api/v1/requests/{id}/decision   {"decision": "approve"|"reject", "comment": "…", "inputs": {…}}
//
// Every call carries "Authorization: Bearer <token>": an OpenID Connect token
// (a JWT) of the gate's issuer. The callback verifies it here with go-oidc,
// never trusting API Gateway to have done it: the signature against the keys
// the issuer publishes (discovery, then JWKS; cached for the warm process),
// the issuer, one of the gate's audiences, the expiry and not-before, and an
// algorithm the issuer advertises (so never "none"). The token becomes a vote
// (see apiVote) that goes through the one decide path (Callback.vote, then
// approval.Apply): the allowlist, quorum and self-approval rules are the
// same as for every other channel. The answers are JSON (see apiError).

// API limits.
const (
	// maxTokenBytes caps a bearer token; real ones are a few KB.
	maxTokenBytes = 16 << 10
	// defaultListLimit and maxListLimit bound a page of the list.
	defaultListLimit = 50
	maxListLimit     = 100
	// apiRealm names the protection space in WWW-Authenticate.
	apiRealm = "manualapproval"
)

// Status codes of the API's errors (the "error" member of the JSON body).
const (
	apiErrInvalidToken  = "invalid_token"
	apiErrForbidden     = "forbidden"
	apiErrNotFound      = "not_found"
	apiErrBadRequest    = "bad_request"
	apiErrTooLarge      = "too_large"
	apiErrDecided       = "already_decided"
	apiErrExpired       = "expired"
	apiErrNotDelivered  = "not_delivered"
	apiErrMethod        = "method_not_allowed"
	apiErrUnavailable   = "issuer_unavailable"
	apiErrInternal      = "internal_error"
	apiResultDecided    = "decided"
	apiResultCounted    = "counted"
	apiResultAlready    = "already_counted"
	apiResultDelivering = "being_delivered"
	apiStatusPending    = approval.StatusPending
	apiCursorScopeState = "status="
)

// apiVerifier caches the issuer's verifier (discovery document and key set)
// for the life of the warm process. A failed discovery is not cached.
type apiVerifier struct {
	mu sync.Mutex
	v  *oidc.IDTokenVerifier
}

// tokenVerifier returns the verifier of the gate's issuer, discovering it on
// first use.
func (c *Callback) tokenVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	c.apiv.mu.Lock()
	defer c.apiv.mu.Unlock()
	if c.apiv.v != nil {
		return c.apiv.v, nil
	}
	a := c.Config.API
	// The key set keeps the client for later key fetches (with the
	// context's values but not its deadline): c.HTTP bounds each fetch.
	pctx := oidc.ClientContext(ctx, c.HTTP)
	p, err := oidc.NewProvider(pctx, a.IssuerURL)
	if err != nil {
		return nil, fmt.Errorf("discovering OpenID Connect issuer %s: %w", a.IssuerURL, err)
	}
	// The audience is checked by the caller: any of several is accepted.
	// SupportedSigningAlgs stays empty: the algorithms the issuer advertises.
	c.apiv.v = p.VerifierContext(pctx, &oidc.Config{SkipClientIDCheck: true, Now: c.Now})
	return c.apiv.v, nil
}

// apiCaller is who a verified token names.
type apiCaller struct {
	ID     string // canonical identity: api:<claim value> or email:<address>
	Name   string
	Groups []string
}

// errTokenRefused is a token that proves nothing: the message says why.
type errTokenRefused struct{ why string }

func (e errTokenRefused) Error() string { return e.why }

// authenticate verifies the request's bearer token. It returns the caller,
// or the answer to give: 401 for a missing or invalid token, 403 for a valid
// token whose identity cannot be used, 503 when the issuer cannot be reached.
func (c *Callback) authenticate(ctx context.Context, req events.APIGatewayV2HTTPRequest) (apiCaller, *events.APIGatewayV2HTTPResponse) {
	raw, ok := bearerToken(header(req, "Authorization"))
	if !ok {
		// RFC 6750 §3.1: no error code in the challenge when no token was sent.
		resp := apiError(http.StatusUnauthorized, apiErrInvalidToken, "Send an OpenID Connect token of the gate's issuer: Authorization: Bearer <token>.",
			map[string]string{"WWW-Authenticate": `Bearer realm="` + apiRealm + `"`})
		return apiCaller{}, &resp
	}
	claims, err := c.verifyToken(ctx, raw)
	var refused errTokenRefused
	switch {
	case errors.As(err, &refused):
		c.Log.Info("api token refused", "reason", refused.why)
		resp := apiError(http.StatusUnauthorized, apiErrInvalidToken, capitalize(refused.why)+".", map[string]string{
			"WWW-Authenticate": fmt.Sprintf(`Bearer realm=%q, error="invalid_token", error_description=%q`, apiRealm, refused.why),
		})
		return apiCaller{}, &resp
	case err != nil:
		c.Log.Error("api issuer", "error", err.Error())
		resp := apiError(http.StatusServiceUnavailable, apiErrUnavailable, "The token issuer's keys could not be read. Try again in a moment.", nil)
		return apiCaller{}, &resp
	}
	a := c.Config.API
	id, err := approval.APIIdentity(a.Claim(), claims)
	if err != nil {
		c.Log.Info("api identity refused", "error", err.Error())
		resp := apiError(http.StatusForbidden, apiErrForbidden, capitalize(err.Error())+".", nil)
		return apiCaller{}, &resp
	}
	groups, err := approval.TokenGroups(a.GroupsClaim, claims)
	if err != nil {
		resp := apiError(http.StatusForbidden, apiErrForbidden, capitalize(err.Error())+".", nil)
		return apiCaller{}, &resp
	}
	return apiCaller{ID: id, Name: approval.TokenName(claims, id), Groups: groups}, nil
}

// bearerToken reads "Bearer <token>" (the scheme is case-insensitive).
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	tok = strings.TrimSpace(tok)
	return tok, ok && strings.EqualFold(scheme, "Bearer") && tok != ""
}

// verifyToken checks a raw token and returns its claims. A token that does
// not verify is an errTokenRefused; any other error is the issuer's.
func (c *Callback) verifyToken(ctx context.Context, raw string) (map[string]any, error) {
	if len(raw) > maxTokenBytes {
		return nil, errTokenRefused{fmt.Sprintf("the token is longer than %d bytes", maxTokenBytes)}
	}
	if strings.Count(raw, ".") != 2 {
		return nil, errTokenRefused{"the token is not a signed JWT (header.payload.signature)"}
	}
	v, err := c.tokenVerifier(ctx)
	if err != nil {
		return nil, err
	}
	t, err := v.Verify(ctx, raw)
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return nil, errTokenRefused{"the token has expired"}
	case err != nil && strings.Contains(err.Error(), "issued by a different provider"):
		return nil, errTokenRefused{"the token was issued by another issuer than the gate's"}
	case err != nil && strings.Contains(err.Error(), "failed to verify signature") && isFetchError(err):
		return nil, err // the keys could not be fetched: not the token's fault
	case err != nil && unverifiedIssuer(raw) != "" && unverifiedIssuer(raw) != c.Config.API.IssuerURL:
		// Said only to help the caller: the claim is not trusted.
		return nil, errTokenRefused{"the token was issued by another issuer than the gate's"}
	case err != nil:
		return nil, errTokenRefused{"the token is malformed, unsigned, or not signed by the gate's issuer"}
	}
	if !slices.ContainsFunc(t.Audience, func(a string) bool { return slices.Contains(c.Config.API.Audiences, a) }) {
		return nil, errTokenRefused{"the token's audience is not one of the gate's audiences"}
	}
	var claims map[string]any
	if err := t.Claims(&claims); err != nil {
		return nil, errTokenRefused{"the token's claims are not a JSON object"}
	}
	return claims, nil
}

// unverifiedIssuer is the iss claim of a token whose signature did not
// verify, or "": only to word the refusal.
func unverifiedIssuer(raw string) string {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Iss string `json:"iss"`
	}
	_ = json.Unmarshal(b, &c)
	return c.Iss
}

// isFetchError reports whether a signature failure was the key set's fetch
// failing (go-oidc says "fetching keys" then).
func isFetchError(err error) bool {
	return strings.Contains(err.Error(), "fetching keys")
}

// apiError is an error answer: {"error": code, "message": text} (code ""
// omits the member).
func apiError(status int, code, msg string, extra map[string]string) events.APIGatewayV2HTTPResponse {
	body := map[string]any{"message": msg}
	if code != "" {
		body["error"] = code
	}
	return apiJSON(status, body, extra)
}

func apiJSON(status int, v any, extra map[string]string) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal_error","message":"the answer could not be encoded"}`)
	}
	return respond(status, "application/json", string(b)+"\n", extra)
}

// apiRoute serves /api/v1/… (rest is the path after /api/v1).
func (c *Callback) apiRoute(ctx context.Context, req events.APIGatewayV2HTTPRequest, rest string) (events.APIGatewayV2HTTPResponse, string) {
	notFound := apiError(http.StatusNotFound, apiErrNotFound, "There is nothing here.", nil)
	if c.Config.API == nil {
		return notFound, ""
	}
	method := req.RequestContext.HTTP.Method
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	var allow, id string
	switch {
	case len(parts) == 1 && parts[0] == "requests":
		allow = http.MethodGet
	case len(parts) == 2 && parts[0] == "requests":
		allow, id = http.MethodGet, parts[1]
	case len(parts) == 3 && parts[0] == "requests" && parts[2] == "decision":
		allow, id = http.MethodPost, parts[1]
	default:
		return notFound, ""
	}
	if method != allow {
		return apiError(http.StatusMethodNotAllowed, apiErrMethod, "Use "+allow+".", map[string]string{"Allow": allow}), id
	}
	caller, bad := c.authenticate(ctx, req)
	if bad != nil {
		return *bad, id
	}
	switch {
	case id == "":
		return c.apiList(ctx, req, caller), ""
	case !approval.ValidRequestID(id):
		return apiError(http.StatusNotFound, apiErrNotFound, "There is no such approval request.", nil), ""
	case method == http.MethodGet:
		return c.apiGet(ctx, caller, id), id
	}
	return c.apiDecide(ctx, req, caller, id), id
}

// mayRead reports whether the caller may see requests: anyone the gate
// would let vote (an approver by identity or group), or anyone when the
// gate names no approvers. The context of a request is for its approvers.
func (c *Callback) mayRead(caller apiCaller) bool {
	return approval.PolicyFromConfig(c.Config).Allows([]string{caller.ID}, caller.Groups)
}

func forbiddenRead() events.APIGatewayV2HTTPResponse {
	return apiError(http.StatusForbidden, apiErrForbidden, "You are not an approver of this gate.", nil)
}

// apiRequest is a request as the API shows it: never its task token.
type apiRequest struct {
	ID             string            `json:"id"`
	Status         string            `json:"status"`
	Title          string            `json:"title"`
	Text           string            `json:"text,omitempty"`
	Context        []approval.Field  `json:"context"`
	RequestedBy    string            `json:"requested_by,omitempty"`
	ExecutionID    string            `json:"execution_id,omitempty"`
	StateMachineID string            `json:"state_machine_id,omitempty"`
	StateName      string            `json:"state_name,omitempty"`
	CreatedAt      string            `json:"created_at"`
	ExpiresAt      string            `json:"expires_at"`
	MinApprovals   int               `json:"min_approvals"`
	Approvals      int               `json:"approvals"`
	Votes          []apiVoteView     `json:"votes"`
	Outcome        *approval.Outcome `json:"outcome,omitempty"`
	Links          map[string]string `json:"links,omitempty"`
}

type apiVoteView struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Via      string `json:"via"`
	Decision string `json:"decision"`
	Comment  string `json:"comment,omitempty"`
	At       string `json:"at"`
}

// view renders r for the API. A pending request past its expiry shows as
// expired.
func (c *Callback) view(r approval.Request) apiRequest {
	status := r.Status
	if status == approval.StatusPending && c.Now().After(r.ExpiresAt) {
		status = approval.StatusExpired
	}
	ctx := r.Context
	if ctx == nil {
		ctx = []approval.Field{}
	}
	v := apiRequest{
		ID: r.ID, Status: status, Title: r.Title, Text: r.Text, Context: ctx, RequestedBy: r.RequestedBy,
		ExecutionID: r.ExecutionID, StateMachineID: r.StateMachineID, StateName: r.StateName,
		CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339), ExpiresAt: r.ExpiresAt.UTC().Format(time.RFC3339),
		MinApprovals: max(r.MinApprovals, 1), Approvals: r.Approvals(), Votes: []apiVoteView{}, Outcome: r.Outcome,
		Links: map[string]string{"decision": c.Config.CallbackBaseURL + approval.APIPathPrefix + "/requests/" + r.ID + "/decision"},
	}
	for _, vt := range r.Votes {
		v.Votes = append(v.Votes, apiVoteView{
			ID: vt.Approver.ID, Name: vt.Approver.Name, Via: vt.Approver.Via, Decision: vt.Decision,
			Comment: vt.Comment, At: vt.At.UTC().Format(time.RFC3339),
		})
	}
	slices.SortFunc(v.Votes, func(a, b apiVoteView) int { return strings.Compare(a.At+a.Via+a.ID, b.At+b.Via+b.ID) })
	return v
}

// apiGet serves GET /api/v1/requests/{id}.
func (c *Callback) apiGet(ctx context.Context, caller apiCaller, id string) events.APIGatewayV2HTTPResponse {
	if !c.mayRead(caller) {
		return forbiddenRead()
	}
	r, err := c.store().get(ctx, id)
	switch {
	case errors.Is(err, errNotFound):
		return apiError(http.StatusNotFound, apiErrNotFound, "There is no such approval request. It may have expired and been removed.", nil)
	case err != nil:
		c.Log.Error("api get", "request_id", id, "error", err.Error())
		return apiError(http.StatusInternalServerError, apiErrInternal, "The request could not be read. Try again in a moment.", nil)
	}
	return apiJSON(http.StatusOK, c.view(r), nil)
}

// apiList serves GET /api/v1/requests: the pending requests, oldest due
// first, through the status-due index (never a scan), a page at a time.
func (c *Callback) apiList(ctx context.Context, req events.APIGatewayV2HTTPRequest, caller apiCaller) events.APIGatewayV2HTTPResponse {
	if !c.mayRead(caller) {
		return forbiddenRead()
	}
	q := query(req)
	for k := range q {
		if k != "status" && k != "limit" && k != "next" {
			return apiError(http.StatusBadRequest, apiErrBadRequest, fmt.Sprintf("Unknown query parameter %q: use status, limit and next.", approval.Truncate(k, 40)), nil)
		}
	}
	status := q.Get("status")
	if status == "" {
		status = apiStatusPending
	}
	if status != apiStatusPending {
		return apiError(http.StatusBadRequest, apiErrBadRequest, fmt.Sprintf("status must be %q, got %q: only pending requests are listed; read any other by its id.", apiStatusPending, approval.Truncate(status, 40)), nil)
	}
	limit := defaultListLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxListLimit {
			return apiError(http.StatusBadRequest, apiErrBadRequest, fmt.Sprintf("limit must be a whole number from 1 to %d, got %q.", maxListLimit, approval.Truncate(s, 20)), nil)
		}
		limit = n
	}
	sec, err := c.loadSecrets(ctx)
	if err != nil {
		c.Log.Error("secrets", "error", err.Error())
		return apiError(http.StatusInternalServerError, apiErrInternal, "The request could not be processed. Try again in a moment.", nil)
	}
	scope := apiCursorScopeState + status
	in := c.store().statusQuery(status, time.Time{}, int32(limit), nil)
	if next := q.Get("next"); next != "" {
		last, err := approval.DecodeCursor(sec.SigningKey, scope, next)
		if err != nil {
			return apiError(http.StatusBadRequest, apiErrBadRequest, capitalize(err.Error())+".", nil)
		}
		in.ExclusiveStartKey = fromCursor(last)
	}
	out, err := c.DB.Query(ctx, in)
	if err != nil {
		c.Log.Error("api list", "error", err.Error())
		return apiError(http.StatusInternalServerError, apiErrInternal, "The requests could not be listed. Try again in a moment.", nil)
	}
	list := []apiRequest{}
	for _, item := range out.Items {
		r, err := c.fullItem(ctx, item)
		if errors.Is(err, errNotFound) {
			continue // removed since the index was read
		}
		if err != nil {
			c.Log.Error("api list", "error", err.Error())
			return apiError(http.StatusInternalServerError, apiErrInternal, "The requests could not be listed. Try again in a moment.", nil)
		}
		if r.Status != status || !c.Now().Before(r.ExpiresAt) {
			continue // the index is eventually consistent; expired ones wait for their TTL
		}
		list = append(list, c.view(r))
	}
	body := map[string]any{"requests": list}
	if len(out.LastEvaluatedKey) > 0 {
		cur, err := approval.EncodeCursor(sec.SigningKey, scope, toCursor(out.LastEvaluatedKey))
		if err != nil {
			c.Log.Error("api list cursor", "error", err.Error())
			return apiError(http.StatusInternalServerError, apiErrInternal, "The requests could not be listed. Try again in a moment.", nil)
		}
		body["next"] = cur
	}
	return apiJSON(http.StatusOK, body, nil)
}

// fullItem decodes an item read through the index; when the index does not
// project every attribute, it reads the item itself.
func (c *Callback) fullItem(ctx context.Context, item map[string]types.AttributeValue) (approval.Request, error) {
	_, hasToken := item["token"]
	_, hasCreated := item["created_at"]
	if hasToken && hasCreated {
		return fromItem(item)
	}
	id, _ := item["id"].(*types.AttributeValueMemberS)
	if id == nil {
		return approval.Request{}, errors.New("index item without an id")
	}
	return c.store().get(ctx, id.Value)
}

func toCursor(key map[string]types.AttributeValue) map[string]approval.CursorAttr {
	out := make(map[string]approval.CursorAttr, len(key))
	for k, v := range key {
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			out[k] = approval.CursorAttr{S: aws.String(x.Value)}
		case *types.AttributeValueMemberN:
			out[k] = approval.CursorAttr{N: aws.String(x.Value)}
		}
	}
	return out
}

func fromCursor(last map[string]approval.CursorAttr) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(last))
	for k, v := range last {
		if v.S != nil {
			out[k] = str(*v.S)
		} else {
			out[k] = &types.AttributeValueMemberN{Value: *v.N}
		}
	}
	return out
}

// apiVote is the vote a verified caller casts: their canonical identity,
// through the API.
func apiVote(caller apiCaller, d approval.APIDecision, now time.Time) approval.Vote {
	return approval.Vote{
		Approver: approval.Approver{ID: caller.ID, Name: caller.Name, Via: approval.ViaAPI},
		IDs:      []string{caller.ID}, Groups: caller.Groups,
		Decision: d.Decision, Comment: d.Comment, Inputs: d.Inputs, At: now,
	}
}

// apiDecide serves POST /api/v1/requests/{id}/decision.
func (c *Callback) apiDecide(ctx context.Context, req events.APIGatewayV2HTTPRequest, caller apiCaller, id string) events.APIGatewayV2HTTPResponse {
	b, err := body(req)
	switch {
	case errors.Is(err, errBodyTooLarge):
		return apiError(http.StatusRequestEntityTooLarge, apiErrTooLarge, fmt.Sprintf("The body is larger than %d bytes.", MaxBodyBytes), nil)
	case err != nil:
		return apiError(http.StatusBadRequest, apiErrBadRequest, "The body could not be read (invalid base64).", nil)
	}
	d, err := approval.ParseAPIDecision(b)
	if err != nil {
		return apiError(http.StatusBadRequest, apiErrBadRequest, capitalize(strings.TrimPrefix(err.Error(), approval.ErrBadDecisionBody.Error()+": "))+".", nil)
	}
	if d.Inputs, err = checkAPIInputs(c.Config, d); err != nil {
		b := map[string]any{"error": apiErrBadRequest, "message": capitalize(err.Error()) + "."}
		var ie *approval.InputsError
		if errors.As(err, &ie) {
			problems := make([]string, len(ie.Problems))
			for i, p := range ie.Problems {
				problems[i] = p.String()
			}
			b["problems"] = problems
		}
		return apiJSON(http.StatusBadRequest, b, nil)
	}
	r, res, err := c.vote(ctx, id, apiVote(caller, d, c.Now()), nil)
	return c.apiVoteAnswer(r, res, err)
}

// checkAPIInputs vets a decision's reason and inputs under the gate's
// require_reason and inputs, as the confirm page and the Slack modal do.
func checkAPIInputs(c approval.Config, d approval.APIDecision) (map[string]any, error) {
	return approval.CheckDecisionInputs(c, d.Decision, d.Comment, d.Inputs)
}

// apiVoteAnswer is the answer to a vote: 200 with the request, or the
// error's status.
func (c *Callback) apiVoteAnswer(r approval.Request, res approval.Result, err error) events.APIGatewayV2HTTPResponse {
	withRequest := func(status int, code, msg string) events.APIGatewayV2HTTPResponse {
		b := map[string]any{"message": msg}
		if code != "" {
			b["error"] = code
		} else {
			b["result"] = apiResultDelivering
		}
		if r.ID != "" {
			b["request"] = c.view(r)
		}
		return apiJSON(status, b, nil)
	}
	ok := func(result, msg string) events.APIGatewayV2HTTPResponse {
		return apiJSON(http.StatusOK, map[string]any{"result": result, "message": msg, "request": c.view(r)}, nil)
	}
	switch {
	case err == nil && res == approval.Decided:
		return ok(apiResultDecided, describeOutcome(r.Outcome)+". The workflow has been told.")
	case err == nil && res == approval.Counted:
		return ok(apiResultCounted, "Your approval is recorded. "+progress(r))
	case err == nil && res == approval.AlreadyCounted:
		return ok(apiResultAlready, "Your approval was already recorded. "+progress(r))
	case errors.Is(err, errNotFound):
		return apiError(http.StatusNotFound, apiErrNotFound, "There is no such approval request. It may have expired and been removed.", nil)
	case (errors.Is(err, errTaskClosed) || errors.Is(err, approval.ErrAlreadyDecided)) && approval.StoppedText(r) != "":
		return withRequest(http.StatusGone, apiErrExpired, approval.StoppedText(r))
	case errors.Is(err, approval.ErrExpired), errors.Is(err, errTaskClosed),
		errors.Is(err, approval.ErrAlreadyDecided) && r.Status == approval.StatusExpired:
		return withRequest(http.StatusGone, apiErrExpired, "The workflow no longer waits for this request: it timed out, was stopped or was already decided.")
	case errors.Is(err, approval.ErrAlreadyDecided):
		return withRequest(http.StatusConflict, apiErrDecided, capitalize(describeOutcome(r.Outcome))+".")
	case errors.Is(err, approval.ErrSelfApproval), errors.Is(err, approval.ErrNotApprover),
		errors.Is(err, approval.ErrNoRequester), errors.Is(err, approval.ErrIdentityRequired):
		return apiError(http.StatusForbidden, apiErrForbidden, capitalize(err.Error())+".", nil)
	case errors.Is(err, approval.ErrInvalidDecision):
		return apiError(http.StatusBadRequest, apiErrBadRequest, capitalize(err.Error())+".", nil)
	case errors.Is(err, errBeingDelivered):
		return withRequest(deliveringStatus, "", beingDeliveredText(r))
	case errors.Is(err, errStepFunctions):
		return withRequest(http.StatusServiceUnavailable, apiErrNotDelivered, "Your decision is recorded, but the workflow could not be told yet. Send it again in a moment.")
	}
	c.Log.Error("api vote failed", "request_id", r.ID, "error", fmt.Sprint(err))
	return apiError(http.StatusInternalServerError, apiErrInternal, "The request could not be processed. Try again in a moment.", nil)
}
