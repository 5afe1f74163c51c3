package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// extraSecrets are secrets a test made up for a gate (Slack request
// signatures it sent): the log audit looks for them too.
var extraSecrets sync.Map // gate name -> *[]string

func addSecret(w *world, s string) {
	v, _ := extraSecrets.LoadOrStore(w.name, &[]string{})
	l := v.(*[]string)
	*l = append(*l, s)
}

// auditTotals sums what auditHandlerLogs checked, for RELIABILITY.md.
var auditTotals struct {
	gates, lines, secrets atomic.Int64
}

var sigRE = regexp.MustCompile(`sig=([A-Za-z0-9_-]{20,})`)

// auditHandlerLogs checks everything the gate's handlers wrote during its
// end-to-end run: no panic, and no task token (read from the table), no
// parameter value (signing key, Slack and webhook secrets, read with
// decryption), no link signature (from the SNS messages) and no Slack
// request signature the test sent. withGate calls it before it stops the
// handlers.
func auditHandlerLogs(t *testing.T, w *world) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	direct := w.direct()
	secrets := map[string]string{} // value -> what it is
	scan, err := w.ddb().Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(w.attrs["table_name"])})
	if err != nil {
		t.Errorf("log audit: scanning the table: %v", err)
		return
	}
	for _, it := range scan.Items {
		if tok := attrS(it, "token"); tok != "" {
			secrets[tok] = "task token"
		}
	}
	conf, err := lambda.NewFromConfig(direct).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.name + "-callback")})
	if err != nil {
		t.Errorf("log audit: %v", err)
		return
	}
	for k, name := range conf.Environment.Variables {
		if !strings.HasPrefix(k, "MANUALAPPROVAL_PARAM_") || name == "" {
			continue
		}
		p, err := ssm.NewFromConfig(direct).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			t.Errorf("log audit: reading %s: %v", name, err)
			continue
		}
		secrets[aws.ToString(p.Parameter.Value)] = "parameter " + name
	}
	if msgs, err := w.sns.Wait(ctx, 0); err == nil {
		for _, m := range msgs {
			for _, s := range sigRE.FindAllStringSubmatch(m.Message, -1) {
				secrets[s[1]] = "link signature"
			}
		}
	}
	if v, ok := extraSecrets.Load(w.name); ok {
		for _, s := range *v.(*[]string) {
			secrets[s] = "Slack request signature"
		}
	}
	lines := 0
	for _, fn := range []string{w.name + "-notifier", w.name + "-callback"} {
		for _, line := range strings.Split(w.h.Output(fn), "\n") {
			if line == "" {
				continue
			}
			lines++
			if strings.Contains(strings.ToLower(line), "panic") {
				t.Errorf("%s panicked: %s", fn, line)
			}
			for s, what := range secrets {
				if len(s) >= 8 && strings.Contains(line, s) {
					t.Errorf("%s logged a %s: %.200s", fn, what, strings.ReplaceAll(line, s, "<"+what+">"))
				}
			}
		}
	}
	auditTotals.gates.Add(1)
	auditTotals.lines.Add(int64(lines))
	auditTotals.secrets.Add(int64(len(secrets)))
	t.Logf("log audit of %s: %d log lines checked against %d secrets (%d task tokens)", w.name, lines, len(secrets), len(scan.Items))
}

const evil = `<script>alert(1)</script><img src=x onerror=alert(2)> <!channel> <@U0ADMIN> @channel @here *bold* <https://evil.example|click> &amp; "q" 'a'`

// pageIsSafe checks that a page shows evil only escaped.
func pageIsSafe(t *testing.T, what, page string) {
	t.Helper()
	if !utf8.ValidString(page) {
		t.Errorf("%s: page is not valid UTF-8", what)
	}
	for _, raw := range []string{"<script>", "<img", "<@U0ADMIN>", "<!channel>", "onerror=alert(2)>"} {
		if strings.Contains(page, raw) {
			t.Errorf("%s: page carries %q unescaped:\n%s", what, raw, page)
		}
	}
}

// signedLink builds a link signed with the gate's key (read from SSM), to
// forge expiries and ids a tampering user could not sign.
func (w *world) signedLink(base, id, decision string, exp time.Time) string {
	w.t.Helper()
	conf, err := lambda.NewFromConfig(w.direct()).GetFunctionConfiguration(w.ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.name + "-callback")})
	if err != nil {
		w.t.Fatal(err)
	}
	p, err := ssm.NewFromConfig(w.direct()).GetParameter(w.ctx, &ssm.GetParameterInput{
		Name: aws.String(conf.Environment.Variables[approval.EnvParamSigningKey]), WithDecryption: aws.Bool(true),
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return approval.Link{ID: id, Decision: decision, Expires: exp}.URL(base, []byte(aws.ToString(p.Parameter.Value)))
}

func with(link, key, value string) string {
	u, _ := url.Parse(link)
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func request(t *testing.T, method, link, contentType string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, link, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, req)
}

// TestE2E_badInput: hostile requests at the HTTP level on the deployed
// callback; each gets its documented status and page, the execution is
// untouched until a legitimate decision, and the pages and Slack messages
// show hostile text only escaped.
func TestE2E_badInput(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, appSigningSecret)
	slack.SetBotToken("xoxb-e2e-token")
	tried := 0
	withGate(t, appGate(slack, ""), []scenario{
		{"B1 hostile requests on links and Slack", func(w *world) {
			cb := w.attrs["callback_url"]
			def, err := acctest.StateMachine(w.attrs["task_state_json"], nil)
			if err != nil {
				w.t.Fatal(err)
			}
			// The Approve state with per-step overrides carrying hostile text.
			var sm map[string]any
			_ = json.Unmarshal([]byte(def), &sm)
			approve := path(sm, "States", "Approve").(map[string]any)
			payload := path(approve, "Parameters", "Payload").(map[string]any)
			payload["title"], payload["text"] = evil, evil
			payload["fields"] = map[string]any{evil: evil, "long": strings.Repeat("x", 5000)}
			// The requester must be an identity under the self-approval ban;
			// an sso: value may still carry markup.
			e := w.start(`{"requested_by":"sso:<i>carol</i>"}`, map[string]any{"Parameters": approve["Parameters"]})
			approveURL, rejectURL := w.snsLinks()
			id := linkID(w.t, approveURL)
			m := nextMessage(w, slack, 1)

			// The Slack message: the notification text and every mrkdwn text
			// escaped, nobody pinged (the header is plain_text, never parsed).
			if texts := slackTexts(m.Body); len(texts) < 3 {
				w.t.Errorf("Slack message: only %d texts: %v", len(texts), m.Body)
			} else {
				for _, s := range texts {
					if pings.MatchString(s) {
						w.t.Errorf("Slack message text can ping or link: %q", s)
					}
				}
			}

			// The confirm page shows every field escaped.
			code, page := get(w.t, rejectURL)
			if code != http.StatusOK || !strings.Contains(page, "&lt;script&gt;") || !strings.Contains(page, "&lt;i&gt;carol&lt;/i&gt;") {
				w.t.Fatalf("confirm page: %d\n%s", code, page)
			}
			pageIsSafe(w.t, "confirm page", page)
			// The approve link of a gate whose links only reject: no form,
			// the same escaped fields.
			code, page = get(w.t, approveURL)
			if code != http.StatusForbidden || strings.Contains(page, "<form") || !strings.Contains(page, "can only reject") || !strings.Contains(page, "&lt;script&gt;") {
				w.t.Fatalf("approve link page: %d\n%s", code, page)
			}
			pageIsSafe(w.t, "approve link page", page)

			type tc struct {
				name, method, link, ctype string
				body                      []byte
				want                      int
				contains                  string
			}
			form := "application/x-www-form-urlencoded"
			var cases []tc
			sig := func(l string) string { u, _ := url.Parse(l); return u.Query().Get("sig") }(approveURL)
			for _, i := range []int{0, 1, 7, 13, 21, 29, 36, len(sig) - 1} {
				b := []byte(sig)
				b[i] = "AB"[boolInt(b[i] == 'A')]
				cases = append(cases,
					tc{fmt.Sprintf("sig byte %d (GET)", i), "GET", with(approveURL, "sig", string(b)), "", nil, 403, "Invalid link"},
					tc{fmt.Sprintf("sig byte %d (POST)", i), "POST", with(approveURL, "sig", string(b)), form, []byte("name=Eve"), 403, "Invalid link"})
			}
			exp := expiresOf(w.t, approveURL)
			cases = append(cases,
				tc{"sig missing", "GET", with(approveURL, "sig", ""), "", nil, 403, "Invalid link"},
				tc{"decision swapped", "POST", with(approveURL, "d", "reject"), form, []byte("name=Eve"), 403, "Invalid link"},
				tc{"exp tampered", "POST", with(approveURL, "exp", strconv.FormatInt(exp.Unix()+3600, 10)), form, []byte("name=Eve"), 403, "Invalid link"},
				tc{"expired (signed)", "GET", w.signedLink(cb, id, "approve", time.Now().Add(-time.Minute)), "", nil, 410, "expired"},
				tc{"expired (signed, POST)", "POST", w.signedLink(cb, id, "approve", time.Now().Add(-time.Minute)), form, []byte("name=Eve"), 410, "expired"},
				tc{"exp beyond the request's (signed)", "GET", w.signedLink(cb, id, "approve", exp.Add(365*24*time.Hour)), "", nil, 403, "Invalid link"},
				tc{"exp beyond the request's (signed, POST)", "POST", w.signedLink(cb, id, "approve", exp.Add(time.Hour)), form, []byte("name=Eve"), 403, "Invalid link"},
				tc{"exp before the request's (signed, POST)", "POST", w.signedLink(cb, id, "reject", exp.Add(-time.Minute)), form, []byte("name=Eve"), 403, "Invalid link"},
				tc{"unknown id (signed)", "GET", w.signedLink(cb, randomID(), "approve", exp), "", nil, 404, "no such approval request"},
				tc{"unknown id (signed, POST)", "POST", w.signedLink(cb, randomID(), "approve", exp), form, []byte("name=Eve"), 404, "no such approval request"},
				tc{"malformed id", "GET", strings.Replace(approveURL, "/r/"+id, "/r/"+id[:10]+"%21%21", 1), "", nil, 403, "Invalid link"},
				tc{"PUT (no route: API Gateway answers)", "PUT", approveURL, form, []byte("name=Eve"), 404, "Not Found"},
				tc{"DELETE (no route: API Gateway answers)", "DELETE", approveURL, "", nil, 404, "Not Found"},
				tc{"PATCH (no route: API Gateway answers)", "PATCH", approveURL, form, []byte("name=Eve"), 404, "Not Found"},
				tc{"oversized form", "POST", approveURL, form, []byte("name=Eve&comment=" + strings.Repeat("a", 65<<10)), 413, "too large"},
				tc{"malformed form", "POST", approveURL, form, []byte("name=Eve&comment=%zz"), 400, "could not be read"},
				tc{"approve by a link that can only reject", "POST", approveURL, form, []byte("name=U0ALICE01"), 403, "can only reject"},
				tc{"GET on the Slack route", "GET", cb + "/slack/interactions", "", nil, 404, "Not Found"},
			)
			for _, c := range cases {
				code, page := request(w.t, c.method, c.link, c.ctype, c.body)
				if code != c.want || !strings.Contains(strings.ToLower(page), strings.ToLower(c.contains)) {
					w.t.Errorf("%s: %d, want %d with %q\n%.600s", c.name, code, c.want, c.contains, page)
				}
				pageIsSafe(w.t, c.name, page)
				tried++
			}

			// Slack: signatures, payloads, approvers.
			type slackCase struct {
				name   string
				mutate func(req *http.Request, b []byte) []byte
				want   int
			}
			resign := func(ts string) func(req *http.Request, b []byte) []byte {
				return func(req *http.Request, b []byte) []byte {
					req.Header.Set("X-Slack-Request-Timestamp", ts)
					s := acctest.SlackSignature(appSigningSecret, ts, b)
					addSecret(w, strings.TrimPrefix(s, "v0="))
					req.Header.Set("X-Slack-Signature", s)
					return b
				}
			}
			replace := func(body []byte) func(req *http.Request, b []byte) []byte {
				return func(req *http.Request, _ []byte) []byte {
					ts := strconv.FormatInt(time.Now().Unix(), 10)
					return resign(ts)(req, body)
				}
			}
			slackCases := []slackCase{
				{"Slack signature wrong", func(req *http.Request, b []byte) []byte {
					req.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
					return b
				}, 401},
				{"Slack signature missing", func(req *http.Request, b []byte) []byte { req.Header.Del("X-Slack-Signature"); return b }, 401},
				{"Slack timestamp missing", func(req *http.Request, b []byte) []byte { req.Header.Del("X-Slack-Request-Timestamp"); return b }, 401},
				{"Slack body changed after signing", func(req *http.Request, b []byte) []byte { return append(b, '&', 'x') }, 401},
				{"Slack stale (-10 min)", resign(strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)), 401},
				{"Slack future (+10 min)", resign(strconv.FormatInt(time.Now().Add(10*time.Minute).Unix(), 10)), 401},
				{"Slack malformed JSON (signed)", replace([]byte("payload=%7B%22type%22%3A")), 400},
				{"Slack payload not a form (signed)", replace([]byte("%zz")), 400},
				{"Slack no user (signed)", replace([]byte(url.Values{"payload": {`{"type":"block_actions","actions":[{"action_id":"approve","value":"` + id + `"}]}`}}.Encode())), 400},
				{"Slack other interaction (signed, ignored)", replace([]byte(url.Values{"payload": {`{"type":"view_submission","user":{"id":"U0ALICE01"}}`}}.Encode())), 200},
				{"Slack oversized (signed)", replace([]byte("payload=" + strings.Repeat("a", 65<<10))), 413},
			}
			for _, c := range slackCases {
				resp, body, err := slack.ClickWith(w.ctx, cb, m, "approve", "U0ALICE01", "alice", c.mutate)
				if err != nil || resp.StatusCode != c.want {
					w.t.Errorf("%s: %v %v %s, want %d", c.name, err, status(resp), body, c.want)
				}
				tried++
			}
			for _, c := range []struct{ user, name, action, note string }{
				{"U0MALLORY", "mallory", "approve", "not an approver"},
				{"U0MALLORY", "<!channel>", "reject", "not an approver"},
			} {
				before := len(slack.Ephemerals())
				if resp, body, err := slack.Click(w.ctx, cb, m, c.action, c.user, c.name); err != nil || resp.StatusCode != http.StatusOK {
					w.t.Errorf("non-approver %s: %v %v %s", c.action, err, status(resp), body)
				}
				// The click is acknowledged first and finished after: wait
				// for its note.
				ectx, ecancel := context.WithTimeout(w.ctx, time.Minute)
				eph, _ := slack.WaitEphemerals(ectx, before+1)
				ecancel()
				if len(eph) != before+1 || !strings.Contains(fmt.Sprint(eph[len(eph)-1]), c.note) {
					w.t.Errorf("non-approver %s: ephemerals %v", c.action, eph[before:])
				}
				tried++
			}

			// Nothing was decided (every click above has been answered).
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("a refused request decided: execution %s", s)
			}
			if it := w.item(id); attrS(it, "status") != "pending" {
				w.t.Fatalf("a refused request changed the item: status %s", attrS(it, "status"))
			}

			// A legitimate decision (links reject) with a hostile, non-UTF-8
			// name and comment.
			code, page = request(w.t, "POST", rejectURL, form, []byte("name=%FF%FE%3Cb%3EZed%3C%2Fb%3E&comment="+url.QueryEscape(evil)+"%FF"))
			if code != http.StatusOK || !strings.Contains(page, "&lt;b&gt;Zed&lt;/b&gt;") {
				w.t.Fatalf("legitimate decision: %d\n%s", code, page)
			}
			pageIsSafe(w.t, "result page", page)
			d, out := e.wait()
			var cause map[string]any
			_ = json.Unmarshal([]byte(fmt.Sprint(path(out, "error", "Cause"))), &cause)
			if d.Status != "SUCCEEDED" || out["outcome"] != "rejected" || !strings.HasPrefix(fmt.Sprint(cause["comment"]), "<script>") ||
				!utf8.ValidString(deref(d.Output)) {
				w.t.Errorf("execution %s output %s", d.Status, deref(d.Output))
			}
			// Replays: the link again, the other link, a Slack click.
			for _, c := range []struct{ method, link string }{{"POST", approveURL}, {"POST", rejectURL}, {"GET", approveURL}, {"GET", rejectURL}} {
				code, page := request(w.t, c.method, c.link, form, []byte("name=Eve"))
				if code != http.StatusConflict || !strings.Contains(page, "Zed") {
					w.t.Errorf("replay %s %s: %d, want 409 naming the decision\n%s", c.method, c.link, code, page)
				}
				pageIsSafe(w.t, "replay", page)
				tried++
			}
			if resp, body, err := slack.Click(w.ctx, cb, m, "reject", "U0BOB0001", "bob"); err != nil || resp.StatusCode != http.StatusOK {
				w.t.Errorf("Slack click after the decision: %v %v %s", err, status(resp), body)
			}
			tried++
			if upd, err := slack.WaitUpdate(w.ctx, m.TS); err != nil {
				w.t.Errorf("message not updated after a late click: %v", err)
			} else {
				for _, s := range slackTexts(upd) {
					if pings.MatchString(s) {
						w.t.Errorf("the update can ping or link: %q", s)
					}
				}
			}
		}},
		{"B2 long and non-UTF-8 context through the notifier", func(w *world) {
			tok := w.liveToken()
			raw := []byte("{\"token\":\"" + tok + "\",\"title\":\"bad \xff\xfe title <b>x</b>\",\"text\":\"\xc3\x28 text\"," +
				"\"fields\":{\"k\xffey\":\"v\xc3\x28alue <script>\",\"long\":\"" + strings.Repeat("é", 60000) + "\"," +
				`"surrogate":"\ud800 lone"},"input":{"requested_by":"dave@example.com"}}`)
			if utf8.Valid(raw) {
				w.t.Fatal("the payload should not be valid UTF-8")
			}
			answer, ferr := w.invokeNotifier(raw)
			if ferr != "" {
				w.t.Fatalf("notifier refused invalid UTF-8 and long values: %q %s", ferr, answer)
			}
			tried++
			_, rejectLink := w.snsLinks()
			msgs, _ := w.sns.Wait(w.ctx, w.seen)
			if sns := msgs[w.seen-1]; !utf8.ValidString(sns.Message) || !utf8.ValidString(sns.Subject) || len(sns.Message) > 64<<10 {
				w.t.Errorf("SNS message: valid %v, %d bytes", utf8.ValidString(sns.Message), len(sns.Message))
			}
			code, page := get(w.t, rejectLink)
			if code != http.StatusOK || !strings.Contains(page, "…") || !strings.Contains(page, "\uFFFD") || len(page) > 64<<10 {
				w.t.Errorf("confirm page: %d, %d bytes (want the long value cut and bad bytes replaced)\n%.2000s", code, len(page), page)
			}
			pageIsSafe(w.t, "confirm page of bad UTF-8", page)
			it := w.item(linkID(w.t, rejectLink))
			for k, v := range it {
				if s := attrS(it, k); s != "" && !utf8.ValidString(s) {
					w.t.Errorf("item attribute %s is not valid UTF-8: %q", k, v)
				}
			}
			m := nextMessage(w, slack, 2)
			if b, _ := json.Marshal(m.Body); !utf8.Valid(b) {
				w.t.Errorf("Slack message is not valid UTF-8")
			}
			// Larger than Step Functions' 256 KiB: refused.
			big := []byte(`{"token":"x","text":"` + strings.Repeat("a", 300<<10) + `"}`)
			if answer, ferr := w.invokeNotifier(big); ferr == "" || !strings.Contains(answer, "larger than the limit") {
				w.t.Errorf("oversized payload: %q %.300s", ferr, answer)
			}
			tried++
			// Under the self-approval ban the requester must be an identity:
			// left out, a display name or a mention is refused, and nobody is
			// notified.
			before := len(slack.Messages())
			for p, want := range map[string]string{
				`{"token":"e2e-no-requester","input":{"change":"x"}}`:                    "names no requester",
				`{"token":"e2e-name-requester","input":{"requested_by":"Carol Smith"}}`:  "not a verifiable identity",
				`{"token":"e2e-mention-requester","requested_by":"<@U0CAROL01>"}`:        "not a verifiable identity",
				`{"token":"e2e-requester-email","requested_by":"carol","input":{"x":1}}`: "requested_by is not a verifiable identity",
			} {
				if answer, ferr := w.invokeNotifier([]byte(p)); ferr == "" || !strings.Contains(answer, want) {
					w.t.Errorf("payload %s: %q %.300s, want a refusal with %q", p, ferr, answer, want)
				}
				tried++
			}
			if n := len(slack.Messages()); n != before {
				w.t.Errorf("a refused payload posted %d Slack messages", n-before)
			}
			for _, p := range []string{`{"token":`, `[]`, `{"token":""}`, `"x"`} {
				if answer, ferr := w.invokeNotifier([]byte(p)); ferr == "" {
					w.t.Errorf("malformed payload %s accepted: %s", p, answer)
				}
				tried++
			}
		}},
		{"L1 least privilege (every state machine allowed)", func(w *world) { checkLeastPrivilege(w, nil) }},
	})
	t.Logf("figure bad inputs: %d tried", tried)
}

// TestE2E_leastPrivilegeAllowedMachines: a gate limited to some state
// machines, with every secret configured.
func TestE2E_leastPrivilegeAllowedMachines(t *testing.T) {
	preCheck(t)
	slack := startSlack(t, appSigningSecret)
	allowed := []string{"arn:aws:states:us-east-1:000000000000:stateMachine:allowed-one", "arn:aws:states:us-east-1:000000000000:stateMachine:allowed-two"}
	withGate(t, appGate(slack, fmt.Sprintf(`
  allowed_state_machine_arns = [%q, %q]
  webhook = {
    url    = "http://127.0.0.1:9/hook"
    secret = "e2e-webhook-secret-0123456789"
  }
`, allowed[0], allowed[1])), []scenario{
		{"L2 least privilege (two state machines allowed)", func(w *world) { checkLeastPrivilege(w, allowed) }},
	})
}

// ownParams are the parameters each function of a Slack app gate with a
// webhook may read: both read the configuration document; the notifier
// posts to the webhook, whose URL can carry a token (a secret).
var ownParams = map[string][]string{
	"notifier": {"config", "signing-key", "slack-bot-token", "webhook-secret", "webhook-url"},
	"callback": {"config", "signing-key", "slack-bot-token", "slack-signing-secret"},
}

// checkLeastPrivilege reads back both roles' inline policies and both
// functions' environments.
func checkLeastPrivilege(w *world, allowed []string) {
	direct := w.direct()
	ic := iam.NewFromConfig(direct)
	region := w.cfg.Region
	account := "000000000000"
	own := func(service, rest string) string {
		return "arn:aws:" + service + ":" + region + ":" + account + ":" + rest
	}
	checked := 0
	for _, kind := range []string{"notifier", "callback"} {
		role := w.name + "-" + kind
		names, err := ic.ListRolePolicies(w.ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
		if err != nil {
			w.t.Fatal(err)
		}
		if len(names.PolicyNames) != 1 {
			w.t.Errorf("role %s has inline policies %v, want exactly one", role, names.PolicyNames)
		}
		attached, err := ic.ListAttachedRolePolicies(w.ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
		if err == nil && len(attached.AttachedPolicies) > 0 {
			w.t.Errorf("role %s has managed policies attached: %v", role, attached.AttachedPolicies)
		}
		for _, pn := range names.PolicyNames {
			out, err := ic.GetRolePolicy(w.ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(pn)})
			if err != nil {
				w.t.Fatal(err)
			}
			doc, err := url.QueryUnescape(aws.ToString(out.PolicyDocument)) // AWS URL-encodes it (the local AWS does not)
			if err != nil {
				w.t.Fatal(err)
			}
			var pd struct {
				Statement []struct {
					Effect           string
					Action, Resource any
					NotAction        any
					NotResource      any
				}
			}
			if err := json.Unmarshal([]byte(doc), &pd); err != nil {
				w.t.Fatalf("policy %s/%s: %v", role, pn, err)
			}
			allowedRes := map[string]bool{
				own("dynamodb", "table/"+w.attrs["table_name"]):            true,
				w.attrs["topic_arn"]:                                       true,
				own("logs", "log-group:/aws/lambda/"+w.name+"-"+kind+":*"): true,
			}
			// Each function reads only its own secrets (a Slack app gate
			// with a webhook): the notifier the posting ones, the callback
			// the ones that verify and answer.
			for _, p := range ownParams[kind] {
				allowedRes[own("ssm", "parameter/manualapproval/"+w.name+"/"+p)] = true
			}
			for _, sm := range allowed {
				allowedRes[sm] = true
				// The notifier's proof and the callback's re-send check read
				// the allowed machines' executions.
				allowedRes[strings.Replace(sm, ":stateMachine:", ":execution:", 1)+":*"] = true
			}
			if len(allowed) == 0 {
				allowedRes[own("states", "execution:*")] = true
			}
			if kind == "callback" {
				// The sweep's index, the stopped executions' index, the
				// callback itself (the Slack hand-over) and the notifier (a
				// final request's follow-ups).
				allowedRes[own("dynamodb", "table/"+w.attrs["table_name"]+"/index/status-due")] = true
				allowedRes[own("dynamodb", "table/"+w.attrs["table_name"]+"/index/execution")] = true
				allowedRes[own("lambda", "function:"+w.name+"-callback")] = true
				allowedRes[own("lambda", "function:"+w.name+"-notifier")] = true
			}
			for _, st := range pd.Statement {
				checked++
				if st.Effect != "Allow" || st.NotAction != nil || st.NotResource != nil {
					w.t.Errorf("%s: statement %+v is not a plain Allow", role, st)
				}
				for _, a := range list(st.Action) {
					if strings.Contains(a, "*") {
						w.t.Errorf("%s: wildcard action %q", role, a)
					}
				}
				for _, r := range list(st.Resource) {
					sendTask := strings.HasPrefix(fmt.Sprint(list(st.Action)), "[states:SendTask")
					switch {
					case allowedRes[r]:
					case r == own("states", "stateMachine:*") && len(allowed) == 0 && sendTask:
						// the documented exception: no allowed_state_machine_arns
						// (the callback's SendTaskSuccess/Failure, the notifier's
						// SendTaskHeartbeat that proves a task)
					case r == own("states", "execution:*") && len(allowed) == 0 && kind == "notifier":
						// the same exception: the proof reads the caller's execution
					default:
						w.t.Errorf("%s: resource %q is not this gate's (actions %v)", role, r, st.Action)
					}
					if sendTask && len(allowed) > 0 && !allowedRes[r] {
						w.t.Errorf("%s: SendTask* on %q, not an allowed state machine", role, r)
					}
				}
			}
		}
		conf, err := lambda.NewFromConfig(direct).GetFunctionConfiguration(w.ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(w.name + "-" + kind)})
		if err != nil {
			w.t.Fatal(err)
		}
		var named []string
		for k, v := range conf.Environment.Variables {
			if strings.HasPrefix(k, "MANUALAPPROVAL_PARAM_") {
				named = append(named, strings.TrimPrefix(v, "/manualapproval/"+w.name+"/"))
			}
		}
		slices.Sort(named)
		want := slices.Sorted(slices.Values(ownParams[kind]))
		if _, err := ssm.NewFromConfig(direct).GetParameter(w.ctx, &ssm.GetParameterInput{Name: aws.String("/manualapproval/" + w.name + "/webhook-secret")}); err != nil {
			want = slices.DeleteFunc(want, func(p string) bool { return p == "webhook-secret" || p == "webhook-url" }) // a gate without webhook
		}
		if !slices.Equal(named, want) {
			w.t.Errorf("%s: its environment names the parameters %v, want exactly its own %v", kind, named, want)
		}
		secrets := []string{appSigningSecret, "xoxb-e2e-token", "e2e-webhook-secret-0123456789"}
		for k, v := range conf.Environment.Variables {
			if strings.HasPrefix(k, "MANUALAPPROVAL_PARAM_") {
				p, err := ssm.NewFromConfig(direct).GetParameter(w.ctx, &ssm.GetParameterInput{Name: aws.String(v), WithDecryption: aws.Bool(true)})
				if err != nil {
					w.t.Fatal(err)
				}
				secrets = append(secrets, aws.ToString(p.Parameter.Value))
			}
		}
		for k, v := range conf.Environment.Variables {
			for _, s := range secrets {
				if len(s) >= 8 && strings.Contains(v, s) {
					w.t.Errorf("%s: environment variable %s carries a secret", kind, k)
				}
			}
		}
	}
	w.t.Logf("figure least privilege: %d statements checked", checked)
}

// pings matches mrkdwn that mentions or links: <!channel>, <@U…>, <https:…>
// and bare @channel/@here/@everyone.
var pings = regexp.MustCompile(`<[!@#]|<https?:|(?i)@(channel|here|everyone)\b`)

// slackTexts returns a Slack body's top-level text and every mrkdwn text.
func slackTexts(body map[string]any) []string {
	var out []string
	if s, ok := body["text"].(string); ok {
		out = append(out, s)
	}
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if x["type"] == "mrkdwn" {
				if s, ok := x["text"].(string); ok {
					out = append(out, s)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(body)
	return out
}

func list(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func expiresOf(t *testing.T, link string) time.Time {
	t.Helper()
	u, _ := url.Parse(link)
	n, err := strconv.ParseInt(u.Query().Get("exp"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(n, 0)
}
