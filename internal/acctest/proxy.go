package acctest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Proxy sits between the code under test and the local AWS. It names each
// AWS call by service and operation and counts it, lets a test inject a
// fault into chosen calls, and repairs responses where kumo differs from
// AWS in ways that would break a correct client (listed in kumoRepairs).
type Proxy struct {
	URL string // http://127.0.0.1:<port>

	srv *http.Server
	ln  net.Listener

	mu     sync.Mutex
	counts map[string]int
	byApp  map[string]map[string]int // counts per caller (SDK app id)
	fault  FaultFunc
	seq    int
	record bool
	log    []Timed
}

// Timed is one forwarded call with its timing, kept while recording (see
// Record): when it reached the proxy and how long the answer took
// (injected latency included).
type Timed struct {
	Op    string // "service:Operation"
	App   string // the caller's SDK app id (User-Agent "app/<id>"), or ""
	Start time.Time
	Took  time.Duration
}

// Call is one AWS call seen by the proxy.
type Call struct {
	Seq  int    // 1-based, across all operations since the last Reset
	N    int    // 1-based, for this operation since the last Reset
	Op   string // "service:Operation", e.g. "lambda:CreateFunction"
	App  string // the caller's SDK app id (AWS_SDK_UA_APP_ID), or ""
	Path string // the request's URL path (names the resource of REST calls)
	Body []byte // the request body
}

// FaultFunc decides what to do with a call: nil forwards it untouched.
type FaultFunc func(c Call) *Fault

// Fault is what the proxy does instead of (or besides) forwarding a call.
type Fault struct {
	// Status, with Code and Msg, answers the call with an AWS error and
	// does not forward it.
	Status int
	Code   string // AWS error code, e.g. ThrottlingException
	Msg    string
	// Drop closes the connection without an answer (not forwarded).
	Drop bool
	// Latency delays the call; with no Status or Drop it is then forwarded.
	Latency time.Duration
	// Rewrite, with no Status or Drop, forwards the call and replaces the
	// body of kumo's answer with Rewrite(body).
	Rewrite func(body []byte) []byte
	// Lost, with Status or Drop, forwards the call first and then answers
	// with the error or drops the connection: the call took effect, but
	// the caller never learns it (an answer lost on the way, a 5xx after
	// the commit).
	Lost bool
}

// StartProxy starts a proxy to target (usually Endpoint) on a free port.
func StartProxy(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), ln: ln, counts: map[string]int{}, byApp: map[string]map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = repairResponse
	p.srv = &http.Server{Handler: p.handler(rp)}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() { _ = p.srv.Close() }

// SetFault installs (or, with nil, removes) a fault function.
func (p *Proxy) SetFault(f FaultFunc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

// Counts returns the calls seen per operation since the last Reset.
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// CountsBy returns the calls seen per operation since the last Reset from
// callers whose SDK app id is app (the handlers the harness starts carry
// their role as app id: see StartHandlers). "" is every caller without one.
func (p *Proxy) CountsBy(app string) map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.byApp[app]))
	for k, v := range p.byApp[app] {
		out[k] = v
	}
	return out
}

// Record starts (true) or stops (false) keeping every call with its timing;
// starting clears what was kept. Off by default: the log grows with every
// call.
func (p *Proxy) Record(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.record, p.log = on, nil
}

// Timings returns the calls kept since Record(true), in the order their
// answers came back.
func (p *Proxy) Timings() []Timed {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Timed(nil), p.log...)
}

// Total is the number of calls seen since the last Reset.
func (p *Proxy) Total() int {
	n := 0
	for _, v := range p.Counts() {
		n += v
	}
	return n
}

// Reset clears the counts.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
	p.byApp = map[string]map[string]int{}
	p.seq = 0
}

// IsRead reports whether an operation ("service:Action") only reads
// (Get*, List*, Describe*).
func IsRead(op string) bool {
	_, action, _ := strings.Cut(op, ":")
	return strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List") || strings.HasPrefix(action, "Describe")
}

// FormatCounts renders counts one "op n" per line, sorted.
func FormatCounts(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %d\n", k, c[k])
	}
	return b.String()
}

func (p *Proxy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		op, app := Operation(r, body), appID(r)
		start := time.Now()
		p.mu.Lock()
		p.counts[op]++
		if p.byApp[app] == nil {
			p.byApp[app] = map[string]int{}
		}
		p.byApp[app][op]++
		p.seq++
		c := Call{Seq: p.seq, N: p.counts[op], Op: op, App: app, Path: r.URL.Path, Body: body}
		fault := p.fault
		p.mu.Unlock()
		defer func() {
			took := time.Since(start)
			p.mu.Lock()
			if p.record {
				p.log = append(p.log, Timed{Op: op, App: app, Start: start, Took: took})
			}
			p.mu.Unlock()
		}()
		if fault != nil {
			if f := fault(c); f != nil {
				if f.Latency > 0 {
					select {
					case <-time.After(f.Latency):
					case <-r.Context().Done():
						return
					}
				}
				if f.Status != 0 || f.Drop {
					if f.Lost {
						next.ServeHTTP(discard{}, r)
					}
					writeFault(w, r, f)
					return
				}
				if f.Rewrite != nil {
					r = r.WithContext(context.WithValue(r.Context(), rewriteKey{}, f.Rewrite))
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// discard is a ResponseWriter that drops the answer (Fault.Lost).
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// writeFault answers a call with f: a dropped connection, or an AWS error
// in the shape of the call's protocol, so the SDK classifies it as it would
// AWS's own answer (error code, message, retryability):
//   - Query (IAM, SNS): an XML ErrorResponse, Type Sender (4xx) or Receiver (5xx);
//   - JSON 1.0/1.1 (DynamoDB, SSM, CloudWatch Logs; X-Amz-Target): {"__type","message"};
//   - REST-JSON (Lambda, API Gateway v2): the code in X-Amzn-ErrorType, and
//     Lambda's body {"Type":"User"|"Service","message"} or API Gateway's {"message"}.
func writeFault(w http.ResponseWriter, r *http.Request, f *Fault) {
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
	}
	w.Header().Set("X-Amzn-RequestId", "fault-injected")
	msg, _ := json.Marshal(f.Msg)
	switch {
	case strings.Contains(r.Header.Get("Content-Type"), "x-www-form-urlencoded"):
		typ := "Sender"
		if f.Status >= 500 {
			typ = "Receiver"
		}
		var code, text bytes.Buffer
		_ = xml.EscapeText(&code, []byte(f.Code))
		_ = xml.EscapeText(&text, []byte(f.Msg))
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fault-injected</RequestId></ErrorResponse>`, typ, code.String(), text.String())
	case r.Header.Get("X-Amz-Target") != "":
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			ct = "application/x-amz-json-1.1"
		}
		code, _ := json.Marshal(f.Code)
		body := fmt.Sprintf(`{"__type":%s,"message":%s}`, code, msg)
		w.Header().Set("Content-Type", ct)
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_") {
			// DynamoDB checksums every answer, errors included.
			w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
		}
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, body)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", f.Code)
		w.WriteHeader(f.Status)
		if service(r) == "lambda" {
			typ := "User"
			if f.Status >= 500 {
				typ = "Service"
			}
			fmt.Fprintf(w, `{"Type":%q,"message":%s}`, typ, msg)
			return
		}
		fmt.Fprintf(w, `{"message":%s}`, msg)
	}
}

// service is the signing name of the call's service (from its
// Authorization header), or "unknown".
func service(r *http.Request) string {
	if m := authService.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	return "unknown"
}

// appID is the caller's SDK app id: the "app/<id>" of its User-Agent
// (the SDKs send AWS_SDK_UA_APP_ID there), or "".
func appID(r *http.Request) string {
	for _, f := range strings.Fields(r.Header.Get("User-Agent")) {
		if id, ok := strings.CutPrefix(f, "app/"); ok {
			return id
		}
	}
	return ""
}

var (
	authService = regexp.MustCompile(`Credential=[^/]+/[^/]+/[^/]+/([^/]+)/`)
	restOps     = []struct {
		service, method string
		path            *regexp.Regexp
		op              string
	}{
		{"lambda", "POST", regexp.MustCompile(`^/2015-03-31/functions/?$`), "CreateFunction"},
		{"lambda", "GET", regexp.MustCompile(`^/2015-03-31/functions/?$`), "ListFunctions"},
		{"lambda", "GET", regexp.MustCompile(`^/2015-03-31/functions/[^/]+/?$`), "GetFunction"},
		{"lambda", "DELETE", regexp.MustCompile(`^/2015-03-31/functions/[^/]+/?$`), "DeleteFunction"},
		{"lambda", "GET", regexp.MustCompile(`^/2015-03-31/functions/[^/]+/configuration$`), "GetFunctionConfiguration"},
		{"lambda", "PUT", regexp.MustCompile(`^/2015-03-31/functions/[^/]+/configuration$`), "UpdateFunctionConfiguration"},
		{"lambda", "PUT", regexp.MustCompile(`^/2015-03-31/functions/[^/]+/code$`), "UpdateFunctionCode"},
		{"lambda", "GET", regexp.MustCompile(`^/2015-03-31/functions/[^/]+/policy$`), "GetPolicy"},
		{"lambda", "POST", regexp.MustCompile(`^/2015-03-31/functions/[^/]+/policy$`), "AddPermission"},
		{"lambda", "DELETE", regexp.MustCompile(`^/2015-03-31/functions/[^/]+/policy/[^/]+$`), "RemovePermission"},
		{"lambda", "POST", regexp.MustCompile(`^/2015-03-31/functions/[^/]+/invocations$`), "Invoke"},
		{"lambda", "POST", regexp.MustCompile(`^/2017-03-31/tags/`), "TagResource"},
		{"lambda", "DELETE", regexp.MustCompile(`^/2017-03-31/tags/`), "UntagResource"},
		{"apigateway", "POST", regexp.MustCompile(`^/v2/apis/?$`), "CreateApi"},
		{"apigateway", "GET", regexp.MustCompile(`^/v2/apis/?$`), "GetApis"},
		{"apigateway", "GET", regexp.MustCompile(`^/v2/apis/[^/]+/?$`), "GetApi"},
		{"apigateway", "DELETE", regexp.MustCompile(`^/v2/apis/[^/]+/?$`), "DeleteApi"},
		{"apigateway", "POST", regexp.MustCompile(`^/v2/apis/[^/]+/integrations/?$`), "CreateIntegration"},
		{"apigateway", "GET", regexp.MustCompile(`^/v2/apis/[^/]+/integrations/?$`), "GetIntegrations"},
		{"apigateway", "PATCH", regexp.MustCompile(`^/v2/apis/[^/]+/integrations/[^/]+$`), "UpdateIntegration"},
		{"apigateway", "POST", regexp.MustCompile(`^/v2/apis/[^/]+/routes/?$`), "CreateRoute"},
		{"apigateway", "GET", regexp.MustCompile(`^/v2/apis/[^/]+/routes/?$`), "GetRoutes"},
		{"apigateway", "PATCH", regexp.MustCompile(`^/v2/apis/[^/]+/routes/[^/]+$`), "UpdateRoute"},
		{"apigateway", "DELETE", regexp.MustCompile(`^/v2/apis/[^/]+/routes/[^/]+$`), "DeleteRoute"},
		{"apigateway", "POST", regexp.MustCompile(`^/v2/apis/[^/]+/stages/?$`), "CreateStage"},
		{"apigateway", "GET", regexp.MustCompile(`^/v2/apis/[^/]+/stages/?$`), "GetStages"},
		{"apigateway", "POST", regexp.MustCompile(`^/v2/tags/`), "TagResource"},
		{"apigateway", "DELETE", regexp.MustCompile(`^/v2/tags/`), "UntagResource"},
	}
)

// Operation names an AWS call as "service:Operation" from its X-Amz-Target
// header, its Action= form field or its REST method and path.
func Operation(r *http.Request, body []byte) string {
	svc := service(r)
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return svc + ":" + t[strings.LastIndex(t, ".")+1:]
	}
	if strings.Contains(r.Header.Get("Content-Type"), "x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			return svc + ":" + v.Get("Action")
		}
	}
	for _, ro := range restOps {
		if ro.service == svc && ro.method == r.Method && ro.path.MatchString(r.URL.Path) {
			return svc + ":" + ro.op
		}
	}
	return svc + ":" + r.Method + " " + r.URL.Path
}

// kumoRepairs rewrite kumo v0.33.1 answers that differ from AWS in ways a
// correct client cannot read:
//   - SNS TagResource/UntagResource answer without the (empty) Result
//     element, which the SDK requires;
//   - DynamoDB answers carry no X-Amz-Crc32, so the SDK warns on every call.
var kumoRepairs = []struct {
	from, to string
}{
	{"<TagResourceResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">", "<TagResourceResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><TagResourceResult></TagResourceResult>"},
	{"<UntagResourceResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">", "<UntagResourceResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><UntagResourceResult></UntagResourceResult>"},
}

type rewriteKey struct{}

func repairResponse(resp *http.Response) error {
	if rw, ok := resp.Request.Context().Value(rewriteKey{}).(func([]byte) []byte); ok {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		body = rw(body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		resp.Header.Del("X-Amz-Crc32")
	}
	isDDB := strings.HasPrefix(resp.Request.Header.Get("X-Amz-Target"), "DynamoDB_")
	isXML := strings.Contains(resp.Header.Get("Content-Type"), "xml")
	if !isDDB && !isXML {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if isXML {
		for _, r := range kumoRepairs {
			body = bytes.Replace(body, []byte(r.from), []byte(r.to), 1)
		}
	}
	if isDDB {
		resp.Header.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}
