package lambda

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestCallback_linkBoundToRequest: a correctly signed link whose expiry is
// not the request's was not issued for it (the notifier signs every link
// with the request's own expiry), so it is refused like a tampered one,
// whether it expires later ("not yet valid" for the request) or earlier.
func TestCallback_linkBoundToRequest(t *testing.T) {
	id := reqID(7)
	for _, shift := range []time.Duration{time.Hour, 24 * 365 * time.Hour, -time.Minute} {
		for _, named := range []bool{true, false} {
			h := newCallback(t, nil)
			r := pendingRequest(id)
			h.db.put(r)
			q := approval.Link{ID: id, Decision: approval.DecisionApprove, Expires: r.ExpiresAt.Add(shift)}.Query([]byte(testSigningKey))
			if resp := h.do(httpEvent(http.MethodGet, "/r/"+id, q, "", nil)); resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Body, "Invalid link") {
				t.Errorf("GET with exp shifted by %s: %d\n%s", shift, resp.StatusCode, resp.Body)
			}
			form := url.Values{}
			if named {
				form.Set("name", "Bob")
			}
			if resp := h.do(formEvent("/r/"+id, q, form)); resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Body, "Invalid link") {
				t.Errorf("POST (named %v) with exp shifted by %s: %d\n%s", named, shift, resp.StatusCode, resp.Body)
			}
			if got := h.db.request(id); got.Status != approval.StatusPending || len(got.Votes) != 0 {
				t.Errorf("exp shifted by %s: request changed: %+v", shift, got)
			}
			if n := len(h.sfn.Calls()); n != 0 {
				t.Errorf("exp shifted by %s: %d Step Functions calls", shift, n)
			}
		}
	}
}

// TestCallback_secretsNotCachedOnFailure: an SSM failure on a cold start
// fails the request clearly (500 page, logged) and the next request reads
// the parameters again and succeeds.
func TestCallback_secretsNotCachedOnFailure(t *testing.T) {
	h := newCallback(t, nil)
	id := reqID(8)
	r := pendingRequest(id)
	h.db.put(r)
	fail := true
	working := h.ssm.api()
	calls := 0
	h.cb.SSM = getParametersFunc(func(ctx context.Context, in *ssm.GetParametersInput, o ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
		calls++
		if fail {
			return nil, errors.New("InternalServerError: SSM is down")
		}
		return working.GetParameters(ctx, in, o...)
	})
	ev := httpEvent(http.MethodGet, "/r/"+id, h.linkQuery(r, approval.DecisionApprove), "", nil)
	if resp := h.do(ev); resp.StatusCode != http.StatusInternalServerError || !strings.Contains(resp.Body, "Try again") {
		t.Fatalf("with SSM down: %d\n%s", resp.StatusCode, resp.Body)
	}
	if !strings.Contains(h.logs.String(), "reading SSM parameters") {
		t.Errorf("the failure is not logged clearly:\n%s", h.logs.String())
	}
	fail = false
	if resp := h.do(ev); resp.StatusCode != http.StatusOK {
		t.Fatalf("after SSM is back: %d\n%s", resp.StatusCode, resp.Body)
	}
	if resp := h.do(ev); resp.StatusCode != http.StatusOK || calls != 2 {
		t.Fatalf("third request: %d, %d SSM calls (want 2: the failure is not cached, the success is)", resp.StatusCode, calls)
	}
}

// fuzzStatuses is every status the callback may answer when its AWS
// dependencies work (500 and 503 need a failing dependency).
var fuzzStatuses = map[int]bool{200: true, 400: true, 401: true, 403: true, 404: true, 405: true, 409: true, 410: true, 413: true}

// okTransport answers every Slack Web API call with ok.
type okTransport struct{}

func (okTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"ok":true,"channel":"C0DEPLOY","ts":"1700000000.000100"}`)), Request: req}, nil
}

// FuzzCallbackHandle drives the callback's HTTP handler over fakes with
// arbitrary requests: it never panics, never returns an error, answers a
// status of the documented set with valid UTF-8 and the security headers,
// and only a signed request can change the stored request. mode steers the
// fuzzer past the signatures: bit 0 replaces the query with a valid signed
// link (bit 1: reject instead of approve), bit 2 signs the body as Slack
// would, bit 3 base64-encodes the body as API Gateway does for forms.
func FuzzCallbackHandle(f *testing.F) {
	id := reqID(9)
	f.Add("GET", "/r/"+id, "d=approve&exp=1&sig=x", "content-type: text/html", []byte(""), uint8(1))
	f.Add("POST", "/r/"+id, "", "content-type: application/x-www-form-urlencoded", []byte("name=Bob&comment=ok"), uint8(1))
	f.Add("POST", "/r/"+id, "", "", []byte("name=%zz"), uint8(3))
	f.Add("POST", "/r/"+id, "", "", []byte("bmFtZT1Cb2I="), uint8(9))
	f.Add("PUT", "/r/"+id, "", "", []byte(""), uint8(0))
	f.Add("POST", "/slack/interactions", "", "", []byte(url.Values{"payload": {blockActionsPayload("UBOB", "bob", "approve", id)}}.Encode()), uint8(4))
	f.Add("POST", "/slack/interactions", "", "", []byte("payload=%7B%22type%22%3A%22block_actions%22%7D"), uint8(4))
	f.Add("POST", "/slack/interactions", "", "x-slack-signature: v0=00\nx-slack-request-timestamp: 1", []byte("payload={}"), uint8(0))
	f.Add("GET", "/stage/r/"+id+"/x", "d=approve&d=reject", "", []byte("\xff\xfe"), uint8(0))
	f.Add("DELETE", "/", "", "", []byte(""), uint8(0))
	f.Fuzz(func(t *testing.T, method, path, rawQuery, headerLines string, body []byte, mode uint8) {
		now := testNow
		db := newMemTable(t)
		r := pendingRequest(id)
		r.RequestedBy = "Carol"
		db.put(r)
		sf := &sfnFake{}
		cfg := testConfig(approval.RoleCallback)
		cfg.SlackAPIBaseURL = "https://slack.invalid/api"
		log, logs := newLogger()
		cb := &Callback{
			Base: Base{Config: cfg, SSM: newSSM("").api(), HTTP: &http.Client{Transport: okTransport{}},
				Now: func() time.Time { return now }, Sleep: (&sleepRecorder{}).sleep, Log: log},
			DB: db, SFN: sf,
		}
		headers := map[string]string{}
		for _, line := range strings.Split(headerLines, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				headers[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		signed := false
		if mode&1 != 0 {
			d := approval.DecisionApprove
			if mode&2 != 0 {
				d = approval.DecisionReject
			}
			rawQuery = approval.Link{ID: id, Decision: d, Expires: r.ExpiresAt}.Query([]byte(testSigningKey))
			signed = true
		}
		if mode&4 != 0 {
			ts := strconv.FormatInt(now.Unix(), 10)
			headers["x-slack-request-timestamp"] = ts
			headers["x-slack-signature"] = approval.SlackSignature([]byte(testSlackSecret), ts, body)
			signed = true
		}
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, RawQueryString: rawQuery, Headers: headers, Body: string(body)}
		if mode&8 != 0 {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
		ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = method, path
		resp, err := cb.Handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		if !fuzzStatuses[resp.StatusCode] {
			t.Fatalf("status %d is not documented\n%s\nlogs: %s", resp.StatusCode, resp.Body, logs.String())
		}
		if !utf8.ValidString(resp.Body) {
			t.Fatalf("the answer is not valid UTF-8: %q", resp.Body)
		}
		if resp.Headers["Content-Security-Policy"] == "" || resp.Headers["X-Content-Type-Options"] != "nosniff" {
			t.Fatalf("security headers missing: %v", resp.Headers)
		}
		if strings.Contains(resp.Body, "<script") {
			t.Fatalf("a page carries a script: %s", resp.Body)
		}
		if got := db.request(id); !signed && (got.Status != approval.StatusPending || len(got.Votes) != 0 || len(sf.Calls()) != 0) {
			t.Fatalf("an unsigned request changed the request: %+v, %d Step Functions calls", got, len(sf.Calls()))
		}
		if n := len(sf.Calls()); n > 1 {
			t.Fatalf("%d Step Functions calls for one request", n)
		}
		assertNoSecrets(t, logs.String())
	})
}

// lostAnswerTable applies an UpdateItem and then loses the answer, the
// first lose times: as the SDK does after a 5xx or a dropped connection, it
// sends the same call again, which now fails its version condition.
type lostAnswerTable struct {
	*memTable
	lose int
}

func (l *lostAnswerTable) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := l.memTable.UpdateItem(ctx, in, o...)
	if err != nil || l.lose == 0 {
		return out, err
	}
	l.lose--
	return l.memTable.UpdateItem(ctx, in, o...) // the SDK's retry
}

// TestCallback_voteWriteAnswerLost: the write that decides commits but its
// answer is lost; the retry fails its condition. The callback recognises
// its own write (write_id) and delivers at once: 200, one Step Functions
// call, status decided (it used to answer 503 and wait for a retry after
// the re-send lease).
func TestCallback_voteWriteAnswerLost(t *testing.T) {
	for _, d := range []string{approval.DecisionApprove, approval.DecisionReject} {
		h := newCallback(t, nil)
		id := reqID(10)
		r := pendingRequest(id)
		h.db.put(r)
		h.cb.DB = &lostAnswerTable{memTable: h.db, lose: 1}
		resp := h.do(formEvent("/r/"+id, h.linkQuery(r, d), url.Values{"name": {"Bob"}}))
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "by Bob") {
			t.Fatalf("%s: %d\n%s", d, resp.StatusCode, resp.Body)
		}
		if n := len(h.sfn.Calls()); n != 1 {
			t.Errorf("%s: %d Step Functions calls, want 1", d, n)
		}
		if got := h.db.request(id); got.Status != approval.StatusDecided {
			t.Errorf("%s: status %s, want decided", d, got.Status)
		}
	}
	// Another writer's conflicting write is still a conflict: the second
	// voter sees the first one's decision, as being delivered (it is
	// deciding: the other writer has not told Step Functions yet).
	h := newCallback(t, nil)
	id := reqID(11)
	r := pendingRequest(id)
	h.db.put(r)
	first := true
	h.db.afterGet = func() {
		if first {
			first = false
			other := pendingRequest(id)
			other, _, _ = approval.Apply(other, approval.Policy{}, approval.Vote{Approver: approval.LinkApprover("Alice"), Decision: approval.DecisionReject, At: testNow})
			other.Version = 1
			other.WriteID = "someone-else"
			h.db.put(other)
		}
	}
	resp := h.do(formEvent("/r/"+id, h.linkQuery(r, approval.DecisionApprove), url.Values{"name": {"Bob"}}))
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(resp.Body, "Rejected by Alice") || !strings.Contains(resp.Body, "being delivered") {
		t.Fatalf("conflicting writer: %d, want 202 naming the other decision as being delivered\n%s", resp.StatusCode, resp.Body)
	}
}
