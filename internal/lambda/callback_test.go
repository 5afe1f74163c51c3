package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

var testNow = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)

type cbHarness struct {
	t     *testing.T
	now   time.Time
	db    *memTable
	sfn   *sfnFake
	ssm   *ssmFake
	slack *fakeServer
	logs  *syncBuffer
	cb    *Callback
}

func newCallback(t *testing.T, mutate func(*approval.Config)) *cbHarness {
	t.Helper()
	h := &cbHarness{t: t, now: testNow, db: newMemTable(t), sfn: &sfnFake{}, ssm: newSSM("")}
	h.slack = newFakeServer(t, nil)
	cfg := testConfig(approval.RoleCallback)
	cfg.SlackAPIBaseURL = h.slack.URL
	if mutate != nil {
		mutate(&cfg)
	}
	log, buf := newLogger()
	h.logs = buf
	h.cb = &Callback{
		Base: Base{Config: cfg, SSM: h.ssm.api(), HTTP: h.slack.Client(), Now: func() time.Time { return h.now },
			Sleep: (&sleepRecorder{}).sleep, Log: log},
		DB: h.db, SFN: h.sfn,
	}
	t.Cleanup(func() { assertNoSecrets(t, buf.String()) })
	return h
}

func pendingRequest(id string) approval.Request {
	return approval.Request{
		ID: id, Token: testTaskToken, ExecutionID: "arn:aws:states:eu-west-1:123456789012:execution:deploy:run-1",
		StateMachineID: "arn:aws:states:eu-west-1:123456789012:stateMachine:deploy",
		Title:          "Deploy web", Context: []approval.Field{{Key: "env", Value: "prod"}}, RequestedBy: "carol",
		CreatedAt: testNow.Add(-time.Minute), ExpiresAt: testNow.Add(time.Hour), MinApprovals: 1,
		Status: approval.StatusPending, Votes: map[string]approval.Vote{},
		SlackChannel: "C0DEPLOY", SlackTS: "1700000000.000100",
	}
}

// decidedRequest is a request Alice approved through a link.
func decidedRequest(id, status string) approval.Request {
	r := pendingRequest(id)
	v := approval.Vote{Approver: approval.LinkApprover("Alice"), Decision: approval.DecisionApprove, At: testNow.Add(-30 * time.Second)}
	r, _, err := approval.Apply(r, approval.Policy{AllowSelfApproval: true}, v)
	if err != nil {
		panic(err)
	}
	r.Status = status
	return r
}

func (h *cbHarness) linkQuery(r approval.Request, d string) string {
	return approval.Link{ID: r.ID, Decision: d, Expires: r.ExpiresAt}.Query([]byte(testSigningKey))
}

func httpEvent(method, path, rawQuery, body string, headers map[string]string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, RawQueryString: rawQuery, Headers: headers, Body: body}
	ev.RequestContext.HTTP.Method = method
	ev.RequestContext.HTTP.Path = path
	return ev
}

func formEvent(path, rawQuery string, form url.Values) events.APIGatewayV2HTTPRequest {
	return httpEvent(http.MethodPost, path, rawQuery, form.Encode(), map[string]string{"content-type": "application/x-www-form-urlencoded"})
}

func (h *cbHarness) do(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	h.t.Helper()
	resp, err := h.cb.Handle(context.Background(), ev)
	if err != nil {
		h.t.Fatalf("Handle returned an error: %v", err)
	}
	return resp
}

func blockActionsPayload(userID, username, action, id string) string {
	b, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]string{"id": userID, "username": username, "name": username},
		"container": map[string]string{"type": "message", "channel_id": "C0DEPLOY", "message_ts": "1700000000.000100"},
		"channel":   map[string]string{"id": "C0DEPLOY"}, "message": map[string]string{"ts": "1700000000.000100"},
		"actions": []map[string]string{{"action_id": action, "value": id, "type": "button"}},
	})
	return string(b)
}

// slackEvent is a signed Slack interaction; headerName maps the canonical
// header names (to test case-insensitive lookup).
func (h *cbHarness) slackEvent(payload string, at time.Time, headerName func(string) string) events.APIGatewayV2HTTPRequest {
	body := url.Values{"payload": {payload}}.Encode()
	ts := strconv.FormatInt(at.Unix(), 10)
	sig := approval.SlackSignature([]byte(testSlackSecret), ts, []byte(body))
	if headerName == nil {
		headerName = strings.ToLower
	}
	return httpEvent(http.MethodPost, "/slack/interactions", "", body, map[string]string{
		headerName(approval.SlackTimestampHeader): ts, headerName(approval.SlackSignatureHeader): sig,
		headerName("Content-Type"): "application/x-www-form-urlencoded",
	})
}

func TestCallback_statuses(t *testing.T) {
	t.Parallel()
	id, other := reqID(1), reqID(2)
	closed := func(code string) func(int) error {
		return func(int) error {
			switch code {
			case "TaskTimedOut":
				return &sfntypes.TaskTimedOut{Message: aws.String("closed")}
			case "InvalidToken":
				return &sfntypes.InvalidToken{Message: aws.String("bad")}
			}
			return &sfntypes.TaskDoesNotExist{Message: aws.String("gone")}
		}
	}
	big := strings.Repeat("x", MaxBodyBytes+1)
	tests := []struct {
		name     string
		config   func(*approval.Config)
		seed     []approval.Request
		sfnFail  func(int) error
		req      func(h *cbHarness) events.APIGatewayV2HTTPRequest
		want     int
		contains string
		sfnCalls int
		status   string // status of request id afterwards ("" = not checked)
	}{
		{name: "confirm page", seed: []approval.Request{pendingRequest(id)}, want: 200, contains: "Approve this request?", status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("GET", "/r/"+id, h.linkQuery(pendingRequest(id), "approve"), "", nil)
			}},
		{name: "confirm page for reject, stage prefix", seed: []approval.Request{pendingRequest(id)}, want: 200, contains: "Reject this request?",
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("GET", "/prod/r/"+id, h.linkQuery(pendingRequest(id), "reject"), "", nil)
			}},
		{name: "confirm page from path parameters and query map", seed: []approval.Request{pendingRequest(id)}, want: 200, contains: "Deploy web",
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				q, _ := url.ParseQuery(h.linkQuery(pendingRequest(id), "approve"))
				ev := httpEvent("GET", "", "", "", nil)
				ev.PathParameters = map[string]string{"id": id}
				ev.QueryStringParameters = map[string]string{"d": q.Get("d"), "exp": q.Get("exp"), "sig": q.Get("sig")}
				return ev
			}},
		{name: "tampered signature", seed: []approval.Request{pendingRequest(id)}, want: 403, status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				q := h.linkQuery(pendingRequest(id), "approve")
				return httpEvent("GET", "/r/"+id, strings.Replace(q, "sig=", "sig=A", 1), "", nil)
			}},
		{name: "link of another request", seed: []approval.Request{pendingRequest(id), pendingRequest(other)}, want: 403,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("GET", "/r/"+other, h.linkQuery(pendingRequest(id), "approve"), "", nil)
			}},
		{name: "tampered POST", seed: []approval.Request{pendingRequest(id)}, want: 403, status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				q := strings.Replace(h.linkQuery(pendingRequest(id), "reject"), "d=reject", "d=approve", 1)
				return formEvent("/r/"+id, q, url.Values{"name": {"x"}})
			}},
		{name: "expired link", seed: []approval.Request{pendingRequest(id)}, want: 410, contains: "expired",
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				h.now = testNow.Add(time.Hour + time.Second)
				return httpEvent("GET", "/r/"+id, h.linkQuery(pendingRequest(id), "approve"), "", nil)
			}},
		{name: "unknown id", want: 404,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("GET", "/r/"+id, h.linkQuery(pendingRequest(id), "approve"), "", nil)
			}},
		{name: "unknown id on POST", want: 404,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{"name": {"x"}})
			}},
		{name: "unknown path", want: 404,
			req: func(*cbHarness) events.APIGatewayV2HTTPRequest { return httpEvent("GET", "/favicon.ico", "", "", nil) }},
		{name: "wrong method on link", want: 405,
			req: func(*cbHarness) events.APIGatewayV2HTTPRequest { return httpEvent("PUT", "/r/"+id, "", "", nil) }},
		{name: "wrong method on slack", want: 405,
			req: func(*cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("GET", "/slack/interactions", "", "", nil)
			}},
		{name: "body too large", seed: []approval.Request{pendingRequest(id)}, want: 413, status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("POST", "/r/"+id, h.linkQuery(pendingRequest(id), "approve"), "comment="+big, nil)
			}},
		{name: "base64 body too large", seed: []approval.Request{pendingRequest(id)}, want: 413,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				ev := httpEvent("POST", "/r/"+id, h.linkQuery(pendingRequest(id), "approve"), base64.StdEncoding.EncodeToString([]byte("comment="+big)), nil)
				ev.IsBase64Encoded = true
				return ev
			}},
		{name: "slack body too large", want: 413,
			req: func(*cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("POST", "/slack/interactions", "", big, nil)
			}},
		{name: "already decided (GET)", seed: []approval.Request{decidedRequest(id, approval.StatusDecided)}, want: 409, contains: "Approved by Alice (link) on 2026-11-25 07:59 UTC",
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("GET", "/r/"+id, h.linkQuery(pendingRequest(id), "reject"), "", nil)
			}},
		{name: "already decided (POST)", seed: []approval.Request{decidedRequest(id, approval.StatusDecided)}, want: 409, contains: "Approved by Alice (link)",
			status: approval.StatusDecided,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "reject"), url.Values{"name": {"Bob"}})
			}},
		{name: "decided too late earlier", seed: []approval.Request{decidedRequest(id, approval.StatusExpired)}, want: 410,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{"name": {"Bob"}})
			}},
		{name: "approve", seed: []approval.Request{pendingRequest(id)}, want: 200, contains: "Approved by Bob (link)", sfnCalls: 1, status: approval.StatusDecided,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{"name": {"Bob"}})
			}},
		{name: "TaskTimedOut", seed: []approval.Request{pendingRequest(id)}, sfnFail: closed("TaskTimedOut"), want: 410, sfnCalls: 1, status: approval.StatusExpired,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{})
			}},
		{name: "InvalidToken", seed: []approval.Request{pendingRequest(id)}, sfnFail: closed("InvalidToken"), want: 410, sfnCalls: 1, status: approval.StatusExpired,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "reject"), url.Values{})
			}},
		{name: "TaskDoesNotExist", seed: []approval.Request{pendingRequest(id)}, sfnFail: closed("TaskDoesNotExist"), want: 410, sfnCalls: 1,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{})
			}},
		{name: "Step Functions down", seed: []approval.Request{pendingRequest(id)}, sfnFail: func(int) error { return errors.New("throttled") },
			want: 503, sfnCalls: 1, status: approval.StatusDeciding,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{})
			}},
		{name: "attack: a link approves under the self-approval ban (GET)", config: banSelf, seed: []approval.Request{pendingRequest(id)},
			want: 403, contains: "A link proves only that you hold it", status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("GET", "/r/"+id, h.linkQuery(pendingRequest(id), "approve"), "", nil)
			}},
		{name: "attack: a link approves under the self-approval ban (POST)", config: banSelf, seed: []approval.Request{pendingRequest(id)},
			want: 403, contains: "Sign-in required", status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{"name": {"Bob"}})
			}},
		{name: "a link rejects under the self-approval ban", config: banSelf, seed: []approval.Request{pendingRequest(id)},
			want: 200, contains: "Rejected by Bob (link)", sfnCalls: 1, status: approval.StatusDecided,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "reject"), url.Values{"name": {"Bob"}})
			}},
		{name: "attack: a link approves a gate with approvers", config: func(c *approval.Config) { c.Approvers = []string{"slack:UBOB"} },
			seed: []approval.Request{pendingRequest(id)}, want: 403, contains: "Sign-in required", status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{"name": {"UBOB"}})
			}},
		{name: "attack: a link meets a quorum by a typed name", seed: []approval.Request{func() approval.Request { r := pendingRequest(id); r.MinApprovals = 2; return r }()},
			want: 403, contains: "Sign-in required", status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{"name": {"Alice"}})
			}},
		{name: "link_decisions none: GET shows no form", config: func(c *approval.Config) { c.LinkDecisions = approval.LinkDecisionsNone },
			seed: []approval.Request{pendingRequest(id)}, want: 403, contains: "Links cannot decide", status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("GET", "/r/"+id, h.linkQuery(pendingRequest(id), "reject"), "", nil)
			}},
		{name: "link_decisions none: POST decides nothing", config: func(c *approval.Config) { c.LinkDecisions = approval.LinkDecisionsNone },
			seed: []approval.Request{pendingRequest(id)}, want: 403, contains: "Links cannot decide", status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "reject"), url.Values{})
			}},
		{name: "link_decisions reject_only: approve link refused", config: func(c *approval.Config) { c.LinkDecisions = approval.LinkDecisionsRejectOnly },
			seed: []approval.Request{pendingRequest(id)}, want: 403, contains: "can only reject", status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("GET", "/r/"+id, h.linkQuery(pendingRequest(id), "approve"), "", nil)
			}},
		{name: "link_decisions reject_only: reject link shows its form", config: func(c *approval.Config) { c.LinkDecisions = approval.LinkDecisionsRejectOnly },
			seed: []approval.Request{pendingRequest(id)}, want: 200, contains: "Reject this request?", status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return httpEvent("GET", "/r/"+id, h.linkQuery(pendingRequest(id), "reject"), "", nil)
			}},
		{name: "slack bad signature", want: 401, seed: []approval.Request{pendingRequest(id)}, status: approval.StatusPending,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				ev := h.slackEvent(blockActionsPayload("UBOB", "bob", "approve", id), h.now, nil)
				ev.Body += "&x=1"
				return ev
			}},
		{name: "slack stale timestamp", want: 401, seed: []approval.Request{pendingRequest(id)},
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return h.slackEvent(blockActionsPayload("UBOB", "bob", "approve", id), h.now.Add(-SlackSkewForTest-time.Second), nil)
			}},
		{name: "slack missing timestamp", want: 401, seed: []approval.Request{pendingRequest(id)},
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				ev := h.slackEvent(blockActionsPayload("UBOB", "bob", "approve", id), h.now, nil)
				delete(ev.Headers, "x-slack-request-timestamp")
				return ev
			}},
		{name: "slack not configured", want: 404, config: func(c *approval.Config) { c.SlackFormat = approval.SlackFormatBlocks },
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return h.slackEvent(blockActionsPayload("UBOB", "bob", "approve", id), h.now, nil)
			}},
		{name: "slack other interaction ignored", want: 200,
			req: func(h *cbHarness) events.APIGatewayV2HTTPRequest {
				return h.slackEvent(`{"type":"view_closed","user":{"id":"U1"}}`, h.now, nil)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, tt.config)
			h.sfn.fail = tt.sfnFail
			for _, r := range tt.seed {
				h.db.put(r)
			}
			resp := h.do(tt.req(h))
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d; body:\n%s", resp.StatusCode, tt.want, resp.Body)
			}
			if !strings.Contains(resp.Body, tt.contains) {
				t.Errorf("body does not contain %q:\n%s", tt.contains, resp.Body)
			}
			if got := len(h.sfn.Calls()); got != tt.sfnCalls {
				t.Errorf("%d Step Functions calls, want %d", got, tt.sfnCalls)
			}
			if tt.status != "" {
				if got := h.db.request(id).Status; got != tt.status {
					t.Errorf("request status = %q, want %q", got, tt.status)
				}
			}
			if resp.StatusCode == 405 && resp.Headers["Allow"] == "" {
				t.Error("405 without Allow")
			}
		})
	}
}

// banSelf turns the self-approval ban on (the provider's default).
func banSelf(c *approval.Config) { c.AllowSelfApproval = false }

// SlackSkewForTest is the allowed Slack clock skew.
const SlackSkewForTest = approval.SlackMaxSkew

func TestCallback_approveSendsOutcome(t *testing.T) {
	t.Parallel()
	for _, d := range []string{approval.DecisionApprove, approval.DecisionReject} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, nil)
			id := reqID(3)
			h.db.put(pendingRequest(id))
			resp := h.do(formEvent("/r/"+id, h.linkQuery(pendingRequest(id), d), url.Values{"name": {"Bob  Builder"}, "comment": {"  looks good "}}))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			want := approval.Outcome{
				Decision:  map[string]string{"approve": "approved", "reject": "rejected"}[d],
				Approvers: []approval.Approver{{ID: approval.AnonymousLinkApprover, Name: "Bob Builder", Via: "link"}},
				Comment:   "looks good", DecidedAt: "2026-11-25T08:00:00Z", RequestID: id,
			}
			calls := h.sfn.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d calls", len(calls))
			}
			c := calls[0]
			doc := c.Output
			if d == approval.DecisionReject {
				doc = c.Cause
				if c.Success || c.Error != approval.ErrorRejected {
					t.Errorf("reject sent %+v", c)
				}
			} else if !c.Success {
				t.Errorf("approve sent %+v", c)
			}
			if c.Token != testTaskToken {
				t.Errorf("token %q", c.Token)
			}
			var got approval.Outcome
			if err := json.Unmarshal([]byte(doc), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(&want, h.db.request(id).Outcome); diff != "" {
				t.Errorf("stored outcome (-want +got):\n%s", diff)
			}
			if !strings.Contains(h.logs.String(), `"msg":"decision"`) {
				t.Errorf("no decision log line:\n%s", h.logs)
			}
		})
	}
}

// TestCallback_retryResends covers a decision recorded but not delivered:
// the next POST re-sends the same outcome, and a closed token on that retry
// counts as delivered.
func TestCallback_retryResends(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		second     error
		retryName  string
		wantStatus int
	}{
		{"second attempt succeeds", nil, "Bob", 200},
		{"second attempt finds the token closed", &sfntypes.TaskTimedOut{Message: aws.String("closed")}, "Bob", 200},
		{"another holder retries", nil, "Dave", 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, nil)
			id := reqID(4)
			h.db.put(pendingRequest(id))
			h.sfn.fail = func(n int) error {
				if n == 0 {
					return errors.New("connection reset")
				}
				return tt.second
			}
			q := h.linkQuery(pendingRequest(id), approval.DecisionApprove)
			if resp := h.do(formEvent("/r/"+id, q, url.Values{"name": {"Bob"}})); resp.StatusCode != 503 {
				t.Fatalf("first POST: %d", resp.StatusCode)
			}
			h.now = h.now.Add(time.Minute)
			resp := h.do(formEvent("/r/"+id, q, url.Values{"name": {tt.retryName}}))
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("retry: %d\n%s", resp.StatusCode, resp.Body)
			}
			calls := h.sfn.Calls()
			if len(calls) != 2 || calls[0] != calls[1] {
				t.Errorf("calls differ or missing: %+v", calls)
			}
			r := h.db.request(id)
			if r.Status != approval.StatusDecided || len(r.Votes) != 1 {
				t.Errorf("status %q with %d votes", r.Status, len(r.Votes))
			}
			// A third POST neither re-sends nor decides again.
			h.do(formEvent("/r/"+id, q, url.Values{"name": {"Bob"}}))
			if n := len(h.sfn.Calls()); n != 2 {
				t.Errorf("%d calls after a decided request was posted again", n)
			}
		})
	}
}

// TestCallback_linksCannotMeetAQuorum: one link holder typing several
// names meets no quorum (issue's first attack), and a Slack click and a link
// named like the Slack user do not count as two (the last one).
func TestCallback_linksCannotMeetAQuorum(t *testing.T) {
	t.Parallel()
	h := newCallback(t, nil)
	id := reqID(5)
	r := pendingRequest(id)
	r.MinApprovals = 2
	h.db.put(r)
	q := h.linkQuery(r, approval.DecisionApprove)
	for _, name := range []string{"Alice", "Bob", "Carol"} {
		resp := h.do(formEvent("/r/"+id, q, url.Values{"name": {name}}))
		if resp.StatusCode != 403 || !strings.Contains(resp.Body, "Sign-in required") {
			t.Fatalf("%s: %d:\n%s", name, resp.StatusCode, resp.Body)
		}
	}
	resp := h.do(h.slackEvent(blockActionsPayload("UBOB", "bob", "approve", id), h.now, nil))
	if resp.StatusCode != 200 {
		t.Fatalf("slack click: %d", resp.StatusCode)
	}
	if resp := h.do(formEvent("/r/"+id, q, url.Values{"name": {"bob"}})); resp.StatusCode != 403 {
		t.Fatalf("link named bob after UBOB: %d:\n%s", resp.StatusCode, resp.Body)
	}
	if n := len(h.sfn.Calls()); n != 0 {
		t.Fatalf("%d Step Functions calls, want none", n)
	}
	got := h.db.request(id)
	if got.Status != approval.StatusPending || got.Approvals() != 1 {
		t.Errorf("status %q with %d approvals, want pending with 1", got.Status, got.Approvals())
	}
}

// TestCallback_race runs two decisions that both read the request before
// either writes: exactly one reaches Step Functions.
func TestCallback_race(t *testing.T) {
	t.Parallel()
	for _, votes := range [][2]string{{"approve", "reject"}, {"approve", "approve"}, {"reject", "reject"}} {
		t.Run(votes[0]+"-"+votes[1], func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, nil)
			id := reqID(6)
			h.db.put(pendingRequest(id))
			var barrier sync.WaitGroup
			barrier.Add(2)
			var reads atomic.Int32
			h.db.afterGet = func() { // the first two reads meet at the barrier
				if reads.Add(1) <= 2 {
					barrier.Done()
					barrier.Wait()
				}
			}
			var mu sync.Mutex
			var statuses []int
			var wg sync.WaitGroup
			for i, d := range votes {
				wg.Go(func() {
					resp := h.do(formEvent("/r/"+id, h.linkQuery(pendingRequest(id), d), url.Values{"name": {fmt.Sprint("person", i)}}))
					mu.Lock()
					statuses = append(statuses, resp.StatusCode)
					mu.Unlock()
				})
			}
			wg.Wait()
			if n := len(h.sfn.Calls()); n != 1 {
				t.Errorf("%d Step Functions calls, want 1", n)
			}
			ok, conflict := 0, 0
			for _, s := range statuses {
				switch s {
				case 200:
					ok++
				case 409:
					conflict++
				}
			}
			if ok != 1 || conflict != 1 {
				t.Errorf("statuses %v, want one 200 and one 409", statuses)
			}
		})
	}
}

func TestCallback_htmlIsInert(t *testing.T) {
	t.Parallel()
	const xss = `<script>alert(1)</script><img src=x onerror=alert(2)>"'`
	h := newCallback(t, nil)
	id := reqID(7)
	r := pendingRequest(id)
	r.Title, r.Text, r.RequestedBy = xss, xss, xss
	r.Context = []approval.Field{{Key: xss, Value: xss}}
	h.db.put(r)
	q := h.linkQuery(r, approval.DecisionApprove)
	r.MinApprovals = 2
	other := reqID(17)
	r.ID = other
	h.db.put(r)
	pages := []events.APIGatewayV2HTTPResponse{
		h.do(httpEvent("GET", "/r/"+id, q, "", nil)),
		h.do(formEvent("/r/"+other, h.linkQuery(r, approval.DecisionApprove), url.Values{"comment": {xss}, "name": {xss}})), // refused
		h.do(formEvent("/r/"+id, q, url.Values{"comment": {xss}, "name": {xss}})),
	}
	for i, p := range pages {
		if strings.Contains(p.Body, "<script") || strings.Contains(p.Body, "<img") {
			t.Errorf("page %d (status %d) contains live markup:\n%s", i, p.StatusCode, p.Body)
		}
		if !strings.Contains(p.Body, "&lt;script&gt;") {
			t.Errorf("page %d does not show the escaped text:\n%s", i, p.Body)
		}
		for k, want := range map[string]string{
			"Content-Type":    "text/html; charset=utf-8",
			"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
			"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
		} {
			if p.Headers[k] != want {
				t.Errorf("page %d header %s = %q, want %q", i, k, p.Headers[k], want)
			}
		}
	}

}

func TestCallback_base64Form(t *testing.T) {
	t.Parallel()
	h := newCallback(t, nil)
	id := reqID(8)
	h.db.put(pendingRequest(id))
	ev := formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{"name": {"Bob"}, "comment": {"from base64"}})
	ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(ev.Body)), true
	if resp := h.do(ev); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	if got := h.db.request(id).Outcome.Comment; got != "from base64" {
		t.Errorf("comment %q", got)
	}
}

func TestCallback_slack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		approvers  []string
		user       string
		action     string
		headerCase func(string) string
		seed       func(id string) approval.Request
		banSelf    bool
		wantSFN    int
		wantPaths  []string
		wantText   string
		wantStatus string
	}{
		{name: "approver approves (AWS lower-case headers)", approvers: []string{"slack:UBOB"}, user: "UBOB", action: "approve",
			wantSFN: 1, wantPaths: []string{"/chat.update"}, wantText: "✅ Approved by <@UBOB>", wantStatus: approval.StatusDecided},
		{name: "anyone rejects (emulator header case)", user: "UBOB", action: "reject", headerCase: func(s string) string { return s },
			wantSFN: 1, wantPaths: []string{"/chat.update"}, wantText: "❌ Rejected by <@UBOB>", wantStatus: approval.StatusDecided},
		{name: "non-approver", approvers: []string{"slack:UBOB"}, user: "UEVE", action: "approve",
			wantPaths: []string{"/chat.postEphemeral"}, wantText: "You are not an approver", wantStatus: approval.StatusPending},
		{name: "requester approves", user: "UCAROL", action: "approve", banSelf: true,
			seed: func(id string) approval.Request {
				r := pendingRequest(id)
				r.RequestedBy = "slack:UCAROL"
				return r
			},
			wantPaths: []string{"/chat.postEphemeral"}, wantText: "own request", wantStatus: approval.StatusPending},
		{name: "click after the decision", user: "UBOB", action: "reject",
			seed:      func(id string) approval.Request { return decidedRequest(id, approval.StatusDecided) },
			wantPaths: []string{"/chat.update", "/chat.postEphemeral"}, wantText: "✅ Approved by Alice (link)", wantStatus: approval.StatusDecided},
		{name: "quorum progress", user: "UBOB", action: "approve",
			seed: func(id string) approval.Request {
				r := pendingRequest(id)
				r.MinApprovals = 2
				return r
			},
			wantPaths: []string{"/chat.postEphemeral"}, wantText: "1 of 2 approvals", wantStatus: approval.StatusPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, func(c *approval.Config) { c.Approvers, c.AllowSelfApproval = tt.approvers, !tt.banSelf })
			id := reqID(9)
			seed := pendingRequest(id)
			if tt.seed != nil {
				seed = tt.seed(id)
			}
			h.db.put(seed)
			username := strings.ToLower(strings.TrimPrefix(tt.user, "U"))
			resp := h.do(h.slackEvent(blockActionsPayload(tt.user, username, tt.action, id), h.now, tt.headerCase))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			if n := len(h.sfn.Calls()); n != tt.wantSFN {
				t.Errorf("%d Step Functions calls, want %d", n, tt.wantSFN)
			}
			var reqs []recorded
			var paths []string
			for _, r := range h.slack.requests() {
				if r.Path == "/users.info" {
					continue // TestCallback_slackIdentity covers it
				}
				reqs = append(reqs, r)
				paths = append(paths, r.Path)
				if r.Header.Get("Authorization") != "Bearer "+testBotToken {
					t.Errorf("%s without the bot token", r.Path)
				}
			}
			if diff := cmp.Diff(tt.wantPaths, paths); diff != "" {
				t.Fatalf("Slack calls (-want +got):\n%s", diff)
			}
			var body struct{ Channel, TS, Text, User string }
			if err := json.Unmarshal([]byte(reqs[0].Body), &body); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(body.Text, tt.wantText) || body.Channel != "C0DEPLOY" {
				t.Errorf("Slack call %+v, want text with %q", body, tt.wantText)
			}
			if tt.wantPaths[0] == "/chat.update" && body.TS != "1700000000.000100" {
				t.Errorf("chat.update ts %q", body.TS)
			}
			if tt.wantPaths[0] == "/chat.postEphemeral" && body.User != tt.user {
				t.Errorf("ephemeral to %q", body.User)
			}
			r := h.db.request(id)
			if r.Status != tt.wantStatus {
				t.Errorf("status %q, want %q", r.Status, tt.wantStatus)
			}
			if tt.wantSFN == 0 && !tt.banSelf && tt.seed == nil && (r.Version != 0 || len(r.Votes) != 0) {
				t.Errorf("request changed: version %d, votes %v", r.Version, r.Votes)
			}
		})
	}
}

func TestCallback_secretsReadOnce(t *testing.T) {
	t.Parallel()
	h := newCallback(t, nil)
	id := reqID(10)
	h.db.put(pendingRequest(id))
	for range 3 {
		h.do(httpEvent("GET", "/r/"+id, h.linkQuery(pendingRequest(id), "approve"), "", nil))
	}
	if h.ssm.calls != 1 {
		t.Errorf("%d GetParameters calls, want 1", h.ssm.calls)
	}
}

// TestCallback_freshDecidingIsNotResent: while the request that decided may
// still be delivering, nobody else calls Step Functions.
func TestCallback_freshDecidingIsNotResent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		after    time.Duration
		voter    string
		want     int
		sfnCalls int
	}{
		{"the decider, at once", time.Second, "Alice", 503, 0},
		{"another link holder, at once", time.Second, "Bob", 409, 0},
		{"the decider, after the lease", resendAfter + time.Second, "Alice", 200, 1},
		{"another link holder, after the lease", resendAfter + time.Second, "Bob", 409, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, nil)
			id := reqID(11)
			r := decidedRequest(id, approval.StatusDeciding) // decided 30 s before testNow
			h.db.put(r)
			h.now = testNow.Add(-30*time.Second + tt.after)
			resp := h.do(formEvent("/r/"+id, h.linkQuery(r, approval.DecisionApprove), url.Values{"name": {tt.voter}}))
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if n := len(h.sfn.Calls()); n != tt.sfnCalls {
				t.Errorf("%d Step Functions calls, want %d", n, tt.sfnCalls)
			}
		})
	}
}
