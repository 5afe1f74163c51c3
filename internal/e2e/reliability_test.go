package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// direct is the test's own AWS configuration without the proxy, so the
// test's reads and invocations are neither counted nor faulted: only the
// handlers' calls are.
func (w *world) direct() aws.Config {
	c := w.cfg.Copy()
	c.BaseEndpoint = aws.String(acctest.Endpoint)
	return c
}

// item reads request id from the gate's table.
func (w *world) item(id string) map[string]ddbtypes.AttributeValue {
	w.t.Helper()
	out, err := w.ddb().GetItem(w.ctx, &dynamodb.GetItemInput{
		TableName: aws.String(w.attrs["table_name"]), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if len(out.Item) == 0 {
		w.t.Fatalf("request %s is not in the table", id)
	}
	return out.Item
}

func attrS(item map[string]ddbtypes.AttributeValue, name string) string {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// linkID is the request id of a link (/r/<id>).
func linkID(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path[strings.LastIndex(u.Path, "/")+1:]
}

// invokeNotifier invokes the notifier directly (not through Step Functions,
// which on the local AWS ignores a failing notifier) and returns its answer
// and function error.
func (w *world) invokeNotifier(payload []byte) (answer string, functionError string) {
	w.t.Helper()
	out, err := lambda.NewFromConfig(w.direct()).Invoke(w.ctx, &lambda.InvokeInput{FunctionName: aws.String(w.name + "-notifier"), Payload: payload})
	if err != nil {
		w.t.Fatal(err)
	}
	return string(out.Payload), aws.ToString(out.FunctionError)
}

// sfnTracker counts, per task token, the SendTaskSuccess/SendTaskFailure
// calls the proxy forwarded to the local AWS and those a fault answered. It
// is the proxy's fault function; inject, if set, chooses the faults.
type sfnTracker struct {
	mu        sync.Mutex
	forwarded map[string]int
	faulted   map[string]int
	inject    func(c acctest.Call, token string) *acctest.Fault
}

func trackSFN(t *testing.T) *sfnTracker {
	s := &sfnTracker{forwarded: map[string]int{}, faulted: map[string]int{}}
	local.Proxy.SetFault(s.fault)
	t.Cleanup(func() { local.Proxy.SetFault(nil) })
	return s
}

func (s *sfnTracker) fault(c acctest.Call) *acctest.Fault {
	var token string
	if isSendTask(c.Op) {
		var in struct{ TaskToken string }
		_ = json.Unmarshal(c.Body, &in)
		token = in.TaskToken
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var f *acctest.Fault
	if s.inject != nil {
		f = s.inject(c, token)
	}
	if token != "" {
		if f != nil && (f.Status != 0 || f.Drop) {
			s.faulted[token]++
		} else {
			s.forwarded[token]++
		}
	}
	return f
}

func (s *sfnTracker) setInject(f func(c acctest.Call, token string) *acctest.Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject = f
}

func (s *sfnTracker) counts(token string) (forwarded, faulted int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.forwarded[token], s.faulted[token]
}

// isSendTask reports whether op is SendTaskSuccess or SendTaskFailure (the
// proxy names Step Functions by its signing name, "states").
func isSendTask(op string) bool {
	return strings.HasSuffix(op, ":SendTaskSuccess") || strings.HasSuffix(op, ":SendTaskFailure")
}

// ddb is a DynamoDB client for the test's own reads (the local AWS sends a
// checksum the SDK cannot match when not behind the proxy).
func (w *world) ddb() *dynamodb.Client {
	return dynamodb.NewFromConfig(w.direct(), func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
}

// faults installs f as the proxy's fault function for this scenario.
func faults(t *testing.T, f acctest.FaultFunc) {
	local.Proxy.SetFault(f)
	t.Cleanup(func() { local.Proxy.SetFault(nil) })
}

// onTable limits a fault to the calls on the gate's table.
func onTable(w *world, c acctest.Call) bool {
	return bytes.Contains(c.Body, []byte(`"TableName":"`+w.attrs["table_name"]+`"`))
}

// tryPost is post for other goroutines than the test's: a transport error
// is status 0 with the error as the page.
func tryPost(link string, form url.Values) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := httpClient().Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// figures collects numbers for RELIABILITY.md; the tests log them.
var figures sync.Map

func notifierPayload(token, change string) []byte {
	b, _ := json.Marshal(map[string]any{"token": token, "input": map[string]string{"requested_by": "carol", "change": change}})
	return b
}

// TestE2E_handlerFaults: the handlers on the local AWS while the proxy in
// front of it throttles, fails and drops their calls.
func TestE2E_handlerFaults(t *testing.T) {
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  timeout_seconds           = 120
  include_execution_context = false
  allow_self_approval       = true
}
`, acctest.RandomName()), []scenario{
		// First, while both handlers are cold (the readiness probes do not read
		// the parameters): SSM failing makes the invocation fail clearly, and
		// the failure is not cached.
		{"F1 SSM GetParameters failing on a cold start", func(w *world) {
			var ssmCalls atomic.Int32
			failSSM := func(c acctest.Call) *acctest.Fault {
				if c.Op != "ssm:GetParameters" {
					return nil
				}
				ssmCalls.Add(1)
				return &acctest.Fault{Status: 500, Code: "InternalServerError", Msg: "injected"}
			}
			faults(w.t, failSSM)
			for i := 1; i <= 2; i++ {
				answer, ferr := w.invokeNotifier(notifierPayload(w.liveToken(), "cold start"))
				if ferr == "" || !strings.Contains(answer, "reading SSM parameters") {
					w.t.Fatalf("notifier invocation %d with SSM down: function error %q, answer %s", i, ferr, answer)
				}
			}
			if n := ssmCalls.Load(); n != 6 {
				w.t.Errorf("%d ssm:GetParameters calls for two invocations, want 6 (3 SDK attempts each, nothing cached)", n)
			}
			local.Proxy.SetFault(nil)
			answer, ferr := w.invokeNotifier(notifierPayload(w.liveToken(), "cold start"))
			if ferr != "" || !strings.Contains(answer, `"request_id"`) {
				w.t.Fatalf("notifier once SSM is back: function error %q, answer %s", ferr, answer)
			}
			approve, _ := w.snsLinks()
			ssmCalls.Store(0)
			faults(w.t, failSSM)
			code, page := get(w.t, approve)
			if code != http.StatusInternalServerError || !strings.Contains(page, "Try again") {
				w.t.Fatalf("callback with SSM down: %d\n%s", code, page)
			}
			if !strings.Contains(w.h.Output(w.name+"-callback"), "reading SSM parameters") {
				w.t.Errorf("the callback does not log why it failed")
			}
			local.Proxy.SetFault(nil)
			if code, page = get(w.t, approve); code != http.StatusOK || !strings.Contains(page, "<form") {
				w.t.Fatalf("callback once SSM is back: %d\n%s", code, page)
			}
			figures.Store("ssm", fmt.Sprintf("notifier: 2 failed invocations (6 faulted GetParameters), then success; callback: 500 (%d faulted GetParameters) then 200", ssmCalls.Load()))
		}},
		{"F2 notifier: DynamoDB PutItem failing", func(w *world) {
			var puts atomic.Int32
			faults(w.t, func(c acctest.Call) *acctest.Fault {
				if c.Op == "dynamodb:PutItem" && onTable(w, c) {
					puts.Add(1)
					return &acctest.Fault{Status: 500, Code: "InternalServerError", Msg: "injected"}
				}
				return nil
			})
			local.Proxy.Reset()
			answer, ferr := w.invokeNotifier(notifierPayload(w.liveToken(), "put fails"))
			if ferr == "" || !strings.Contains(answer, "writing request") {
				w.t.Fatalf("notifier with PutItem failing: function error %q, answer %s", ferr, answer)
			}
			if n := local.Proxy.Counts()["sns:Publish"]; puts.Load() != 3 || n != 0 {
				w.t.Errorf("%d PutItem attempts (want 3), %d sns:Publish (want 0: nobody is told of an unstored request)", puts.Load(), n)
			}
			local.Proxy.SetFault(nil)
			if answer, ferr = w.invokeNotifier(notifierPayload(w.liveToken(), "put works")); ferr != "" {
				w.t.Fatalf("notifier once DynamoDB is back: %q %s", ferr, answer)
			}
			w.snsLinks()
		}},
		{"F3 DynamoDB throttled and failing once: the SDK retries, the person sees the normal pages", func(w *world) {
			e := w.start(`{"requested_by":"carol","change":"throttled"}`, nil)
			approve, _ := w.snsLinks()
			var mu sync.Mutex
			n := map[string]int{}
			faults(w.t, func(c acctest.Call) *acctest.Fault {
				if !onTable(w, c) {
					return nil
				}
				mu.Lock()
				defer mu.Unlock()
				n[c.Op]++
				switch {
				case c.Op == "dynamodb:GetItem" && n[c.Op] == 1:
					return &acctest.Fault{Status: 400, Code: "ProvisionedThroughputExceededException", Msg: "injected"}
				case c.Op == "dynamodb:GetItem" && n[c.Op] == 3:
					return &acctest.Fault{Status: 500, Code: "InternalServerError", Msg: "injected"}
				case c.Op == "dynamodb:UpdateItem" && n[c.Op] == 1:
					return &acctest.Fault{Status: 400, Code: "ThrottlingException", Msg: "injected"}
				case c.Op == "dynamodb:UpdateItem" && n[c.Op] == 3:
					return &acctest.Fault{Status: 500, Code: "InternalServerError", Msg: "injected"}
				}
				return nil
			})
			if code, page := get(w.t, approve); code != http.StatusOK || !strings.Contains(page, "<form") {
				w.t.Fatalf("confirm page with a throttled GetItem: %d\n%s", code, page)
			}
			code, page := post(w.t, approve, url.Values{"name": {"Alice"}})
			if code != http.StatusOK || !strings.Contains(page, "Approved by Alice") {
				w.t.Fatalf("decision with throttled/failing DynamoDB calls: %d\n%s", code, page)
			}
			if d, out := e.wait(); d.Status != "SUCCEEDED" || out["outcome"] != "approved" {
				w.t.Fatalf("execution %s %s", d.Status, deref(d.Output))
			}
			if s := attrS(w.item(linkID(w.t, approve)), "status"); s != "decided" {
				w.t.Errorf("item status %q, want decided", s)
			}
			mu.Lock()
			defer mu.Unlock()
			if n["dynamodb:GetItem"] != 4 || n["dynamodb:UpdateItem"] != 4 {
				w.t.Errorf("DynamoDB calls %v, want 4 GetItem (2 faulted) and 4 UpdateItem (2 faulted)", n)
			}
			figures.Store("ddb", fmt.Sprintf("%v (2 GetItem + 2 UpdateItem faulted, all retried by the SDK)", n))
		}},
		{"F3b the vote write applied but its answer lost: recognised, delivered at once, exactly once", func(w *world) {
			e := w.start(`{"requested_by":"carol","change":"lost answer"}`, nil)
			approve, _ := w.snsLinks()
			var mu sync.Mutex
			updates, sends := 0, 0
			faults(w.t, func(c acctest.Call) *acctest.Fault {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case isSendTask(c.Op):
					sends++
				case c.Op == "dynamodb:UpdateItem" && onTable(w, c):
					updates++
					if updates == 1 { // DynamoDB applies the vote; the answer never arrives
						return &acctest.Fault{Lost: true, Status: 500, Code: "InternalServerError", Msg: "injected after the write"}
					}
				}
				return nil
			})
			code, page := post(w.t, approve, url.Values{"name": {"Alice"}})
			if code != http.StatusOK || !strings.Contains(page, "Approved by Alice") {
				w.t.Fatalf("decision whose write answer was lost: %d, want 200 at once\n%s", code, page)
			}
			if d, out := e.wait(); d.Status != "SUCCEEDED" || out["outcome"] != "approved" {
				w.t.Fatalf("execution %s %s", d.Status, deref(d.Output))
			}
			mu.Lock()
			defer mu.Unlock()
			if sends != 1 {
				w.t.Errorf("%d SendTask* calls, want exactly 1", sends)
			}
			figures.Store("lost", fmt.Sprintf("vote write applied, answer lost: 200 at once, %d UpdateItem, %d SendTask*", updates, sends))
		}},
		{"F4 Step Functions failing beyond the retryer: 503, then exactly one delivery", func(w *world) {
			eA := w.start(`{"requested_by":"carol","change":"five 500s"}`, nil)
			approveA, _ := w.snsLinks()
			eB := w.start(`{"requested_by":"carol","change":"dropped connections"}`, nil)
			approveB, _ := w.snsLinks()
			idA, idB := linkID(w.t, approveA), linkID(w.t, approveB)
			tokA, tokB := attrS(w.item(idA), "token"), attrS(w.item(idB), "token")
			tr := trackSFN(w.t)
			var dropB atomic.Bool
			dropB.Store(true)
			tr.setInject(func(c acctest.Call, token string) *acctest.Fault {
				switch {
				case token == tokA && tr.faulted[tokA] < 5:
					return &acctest.Fault{Status: 500, Code: "InternalFailure", Msg: "injected"}
				case token == tokB && dropB.Load():
					return &acctest.Fault{Drop: true}
				}
				return nil
			})
			// Both clicks at once: each request retries within its budget and
			// gives up with a retryable page.
			type answer struct {
				code int
				page string
			}
			var ansA, ansB answer
			var wg sync.WaitGroup
			wg.Go(func() { ansA.code, ansA.page = tryPost(approveA, url.Values{"name": {"Alice"}}) })
			wg.Go(func() { ansB.code, ansB.page = tryPost(approveB, url.Values{"name": {"Alice"}}) })
			wg.Wait()
			for _, a := range []answer{ansA, ansB} {
				if a.code != http.StatusServiceUnavailable || !strings.Contains(a.page, "again") {
					w.t.Fatalf("click while Step Functions fails: %d, want 503 saying try again\n%s", a.code, a.page)
				}
			}
			fwdA, fltA := tr.counts(tokA)
			fwdB, fltB := tr.counts(tokB)
			if fwdA != 0 || fltA != 3 || fwdB != 0 || fltB != 3 {
				w.t.Errorf("first click: A forwarded %d faulted %d, B forwarded %d faulted %d; want 0/3 each (the SDK's 3 attempts)", fwdA, fltA, fwdB, fltB)
			}
			for _, x := range []struct {
				id string
				e  *execution
			}{{idA, eA}, {idB, eB}} {
				if s := attrS(w.item(x.id), "status"); s != "deciding" {
					w.t.Errorf("item %s status %q, want deciding", x.id, s)
				}
				if s := x.e.status(); s != "RUNNING" {
					w.t.Errorf("execution %s before the decision reached it", s)
				}
			}
			dropB.Store(false)
			// A retry within the re-send lease does not call Step Functions: the
			// request that decided may still be delivering.
			if code, page := post(w.t, approveB, url.Values{"name": {"Alice"}}); code != http.StatusAccepted || !strings.Contains(page, "being delivered") {
				w.t.Errorf("retry within the lease: %d, want 202 being delivered\n%s", code, page)
			}
			if fwd, flt := tr.counts(tokB); fwd != 0 || flt != 3 {
				w.t.Errorf("a retry within the lease called Step Functions: forwarded %d faulted %d", fwd, flt)
			}
			// After the lease (due_at: decided_at + 15 s), a retry re-sends.
			// The test ends the lease by moving due_at rather than waiting
			// 15 s: the lease is what due_at says (the sweep reads the same).
			for _, id := range []string{idA, idB} {
				if want := attrN(w.item(id), "due_at"); want == "" {
					w.t.Fatalf("deciding item %s has no due_at (the lease end)", id)
				}
				endLease(w, id)
			}
			var retryA, retryB answer
			wg.Go(func() { retryA.code, retryA.page = tryPost(approveA, url.Values{"name": {"Alice"}}) })
			wg.Go(func() { retryB.code, retryB.page = tryPost(approveB, url.Values{"name": {"Alice"}}) })
			wg.Wait()
			for _, a := range []answer{retryA, retryB} {
				if a.code != http.StatusOK || !strings.Contains(a.page, "Approved by Alice") {
					w.t.Fatalf("retry after the lease: %d\n%s", a.code, a.page)
				}
			}
			// Replays after the delivery: 409, no further call.
			for _, l := range []string{approveA, approveB} {
				if code, page := post(w.t, l, url.Values{"name": {"Alice"}}); code != http.StatusConflict {
					w.t.Errorf("replay after delivery: %d, want 409\n%s", code, page)
				}
			}
			for _, x := range []struct {
				id, token string
				e         *execution
			}{{idA, tokA, eA}, {idB, tokB, eB}} {
				d, out := x.e.wait()
				item := w.item(x.id)
				var stored map[string]any
				_ = json.Unmarshal([]byte(attrS(item, "outcome")), &stored)
				if d.Status != "SUCCEEDED" || attrS(item, "status") != "decided" || fmt.Sprint(out["approval"]) != fmt.Sprint(stored) ||
					path(out, "approval", "request_id") != x.id {
					w.t.Errorf("table and execution disagree: execution %s output %s; item status %s outcome %s",
						d.Status, deref(d.Output), attrS(item, "status"), attrS(item, "outcome"))
				}
				if fwd, flt := tr.counts(x.token); fwd != 1 {
					w.t.Errorf("request %s: %d SendTaskSuccess calls reached Step Functions (%d faulted), want exactly 1", x.id, fwd, flt)
				}
			}
			fwdA, fltA = tr.counts(tokA)
			fwdB, fltB = tr.counts(tokB)
			figures.Store("sfn", fmt.Sprintf("500s: %d faulted + %d delivered; dropped: %d faulted + %d delivered", fltA, fwdA, fltB, fwdB))
		}},
	})
	figures.Range(func(k, v any) bool { t.Logf("figure %s: %s", k, v); return true })
}

// TestE2E_concurrentClicks: two clicks at the same instant, 200 times, on
// 200 executions. Exactly one wins: one 200 and one 409 naming the winner,
// one SendTask* call, and the execution's output names the winner.
func TestE2E_concurrentClicks(t *testing.T) {
	const runs = 200
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  timeout_seconds           = 120
  include_execution_context = false
  allow_self_approval       = true
}
`, acctest.RandomName()), []scenario{
		{"C1 approve/reject and two approvers, 200 runs", func(w *world) {
			def, err := acctest.StateMachine(w.attrs["task_state_json"], nil)
			if err != nil {
				w.t.Fatal(err)
			}
			sm, err := acctest.CreateStateMachine(w.ctx, w.cfg, w.name+"-race", def)
			if err != nil {
				w.t.Fatal(err)
			}
			tr := trackSFN(w.t)
			local.Proxy.Reset()
			oneWinner, tokens := 0, map[string]bool{}
			start := time.Now()
			for i := range runs {
				arn, err := acctest.StartExecution(w.ctx, w.cfg, sm, `{"requested_by":"carol"}`)
				if err != nil {
					w.t.Fatal(err)
				}
				approve, reject := w.snsLinks()
				type click struct {
					name, link, decision string
					code                 int
					page                 string
				}
				clicks := []*click{{name: "Alice", link: approve, decision: "approved"}, {name: "Bob", link: reject, decision: "rejected"}}
				if i%2 == 1 { // two distinct approvers, min_approvals = 1
					clicks[1].link, clicks[1].decision = approve, "approved"
				}
				barrier := make(chan struct{})
				var wg sync.WaitGroup
				for _, c := range clicks {
					wg.Go(func() {
						<-barrier
						c.code, c.page = tryPost(c.link, url.Values{"name": {c.name}})
					})
				}
				close(barrier)
				wg.Wait()
				sort.Slice(clicks, func(a, b int) bool { return clicks[a].code == http.StatusOK && clicks[b].code != http.StatusOK })
				win, lose := clicks[0], clicks[1]
				// The loser sees the decision as decided (409) or, while the
				// winner is still delivering it, as being delivered (202).
				if win.code != http.StatusOK || (lose.code != http.StatusConflict && lose.code != http.StatusAccepted) {
					w.t.Fatalf("run %d: answers %d (%s) and %d (%s), want one 200 and one 409 or 202\n%s\n%s", i, win.code, win.name, lose.code, lose.name, win.page, lose.page)
				}
				if !strings.Contains(win.page, "by "+win.name) || !strings.Contains(lose.page, "by "+win.name) {
					w.t.Fatalf("run %d: the pages do not both name the winner %s:\n%s\n%s", i, win.name, win.page, lose.page)
				}
				e := &execution{w: w, arn: arn}
				d, out := e.wait()
				var approver any
				switch win.decision {
				case "approved":
					approver = path(out, "approval", "approvers")
				default:
					var cause map[string]any
					_ = json.Unmarshal([]byte(fmt.Sprint(path(out, "error", "Cause"))), &cause)
					approver = cause["approvers"]
				}
				as, _ := approver.([]any)
				if d.Status != "SUCCEEDED" || out["outcome"] != win.decision || len(as) != 1 || path(as[0], "name") != win.name {
					w.t.Fatalf("run %d: winner %s (%s) but execution %s output %s", i, win.name, win.decision, d.Status, deref(d.Output))
				}
				tok := attrS(w.item(linkID(w.t, approve)), "token")
				tokens[tok] = true
				if fwd, flt := tr.counts(tok); fwd != 1 || flt != 0 {
					w.t.Fatalf("run %d: %d SendTask* calls for the execution, want exactly 1", i, fwd)
				}
				oneWinner++
			}
			elapsed := time.Since(start)
			c := local.Proxy.Counts()
			calls := c["states:SendTaskSuccess"] + c["states:SendTaskFailure"]
			if calls != runs || len(tokens) != runs {
				w.t.Errorf("%d SendTask* calls for %d executions (%d distinct tokens)", calls, runs, len(tokens))
			}
			w.t.Logf("figure concurrency: %d runs, %d with exactly one winner, %d SendTask* calls (%d success, %d failure), %s",
				runs, oneWinner, calls, c["states:SendTaskSuccess"], c["states:SendTaskFailure"], elapsed.Round(time.Millisecond))
		}},
	})
}

// attrN is the number attribute name of item ("" when absent).
func attrN(item map[string]ddbtypes.AttributeValue, name string) string {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}

// endLease moves a deciding request's due_at (its re-send lease end) into
// the past, as if the lease had run out.
func endLease(w *world, id string) {
	w.t.Helper()
	past := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	if _, err := w.ddb().UpdateItem(w.ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(w.attrs["table_name"]), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}},
		UpdateExpression:          aws.String("SET due_at = :d"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":d": &ddbtypes.AttributeValueMemberN{Value: past}},
	}); err != nil {
		w.t.Fatal(err)
	}
}
