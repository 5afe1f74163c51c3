package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// world is one applied gate with its handlers running, ready for scenarios.
type world struct {
	t       *testing.T
	ctx     context.Context
	cfg     aws.Config
	name    string
	attrs   map[string]string
	outputs map[string]string // the configuration's string outputs
	h       *acctest.Handlers
	sns     *acctest.SNSReader
	machine int32
	seen    int // SNS messages consumed by earlier scenarios
}

// scenario is one named end-to-end check; scenarios of a gate run in order.
type scenario struct {
	name string
	run  func(w *world)
}

func config(body string) string {
	return `
terraform {
  required_providers {
    manualapproval = { source = "manualapproval/manualapproval" }
  }
}
` + body
}

// withGate applies the gate config (a manualapproval_gate "test"), starts
// its handlers and an SNS reader, runs each scenario as a subtest, then
// destroys the gate.
func withGate(t *testing.T, gateConfig string, scenarios []scenario) {
	t.Helper()
	preCheck(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		Steps: []resource.TestStep{{
			Config: config(gateConfig),
			Check: func(s *terraform.State) error {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				cfg, err := acctest.AWSConfig(ctx)
				if err != nil {
					return err
				}
				w := &world{t: t, ctx: ctx, cfg: cfg, attrs: s.RootModule().Resources["manualapproval_gate.test"].Primary.Attributes, outputs: map[string]string{}}
				for k, o := range s.RootModule().Outputs {
					if v, ok := o.Value.(string); ok {
						w.outputs[k] = v
					}
				}
				w.name = w.attrs["name"]
				if w.h, err = acctest.StartHandlers(ctx, cfg, local.Endpoint(), w.name+"-notifier", w.name+"-callback"); err != nil {
					return err
				}
				defer w.h.Stop()
				if w.sns, err = acctest.StartSNSReader(ctx, cfg, w.attrs["topic_arn"], w.name+"-snsreader"); err != nil {
					return err
				}
				defer w.sns.Close()
				defer auditHandlerLogs(t, w) // security_test.go: no secret in any log line, no panic
				for _, sc := range scenarios {
					t.Run(sc.name, func(t *testing.T) {
						sctx, cancel := context.WithTimeout(ctx, time.Minute)
						defer cancel()
						w.t, w.ctx = t, sctx
						defer func() {
							if t.Failed() {
								t.Logf("notifier output:\n%s\ncallback output:\n%s", w.h.Output(w.name+"-notifier"), w.h.Output(w.name+"-callback"))
							}
						}()
						sc.run(w)
					})
				}
				return nil
			},
		}},
	})
}

// execution is one run of a state machine around the gate.
type execution struct {
	w   *world
	arn string
}

// start creates a state machine around the gate's Task state (with
// overrides of the Approve state) and starts it.
func (w *world) start(input string, overrides map[string]any) *execution {
	w.t.Helper()
	return w.startWith(w.attrs["task_state_json"], input, overrides)
}

// startWith is start around another Task state for the gate (e.g. one the
// task_state function built).
func (w *world) startWith(taskStateJSON, input string, overrides map[string]any) *execution {
	w.t.Helper()
	def, err := acctest.StateMachine(taskStateJSON, overrides)
	if err != nil {
		w.t.Fatal(err)
	}
	n := atomic.AddInt32(&w.machine, 1)
	sm, err := acctest.CreateStateMachine(w.ctx, w.cfg, fmt.Sprintf("%s-sm%d", w.name, n), def)
	if err != nil {
		w.t.Fatal(err)
	}
	arn, err := acctest.StartExecution(w.ctx, w.cfg, sm, input)
	if err != nil {
		w.t.Fatal(err)
	}
	return &execution{w: w, arn: arn}
}

func (e *execution) status() string {
	e.w.t.Helper()
	d, err := acctest.Describe(e.w.ctx, e.w.cfg, e.arn)
	if err != nil {
		e.w.t.Fatal(err)
	}
	return string(d.Status)
}

// wait waits for the execution to end and decodes its output.
func (e *execution) wait() (*sfn.DescribeExecutionOutput, map[string]any) {
	e.w.t.Helper()
	d, err := acctest.WaitDone(e.w.ctx, e.w.cfg, e.arn)
	if err != nil {
		e.w.t.Fatal(err)
	}
	var out map[string]any
	if d.Output != nil {
		if err := json.Unmarshal([]byte(*d.Output), &out); err != nil {
			e.w.t.Fatalf("output is not JSON: %v", err)
		}
	}
	return d, out
}

// snsLinks waits for the next SNS message and returns its links.
func (w *world) snsLinks() (approve, reject string) {
	w.t.Helper()
	w.seen++
	msgs, err := w.sns.Wait(w.ctx, w.seen)
	if err != nil {
		w.t.Fatal(err)
	}
	return links(w.t, msgs[w.seen-1].Message)
}

// httpClient reaches execute-api URLs (http://<apiId>.execute-api.localhost:<port>)
// by dialling 127.0.0.1: *.localhost does not resolve here.
func httpClient() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		// A bound for a hung request, not a latency expectation: on a busy
		// machine a decision (up to 10 s of Step Functions retries) through
		// the local API Gateway may take long.
		Timeout: time.Minute,
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, _ := net.SplitHostPort(addr)
			if strings.HasSuffix(host, ".localhost") || host == "localhost" {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return d.DialContext(ctx, network, addr)
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, link string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, link, nil)
	return do(t, req)
}

func post(t *testing.T, link string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+/r/[A-Za-z0-9_-]+\?[^\s"<>]+`)

// links returns the approve and reject links in a text.
func links(t *testing.T, text string) (approve, reject string) {
	t.Helper()
	for _, l := range linkRE.FindAllString(text, -1) {
		u, err := url.Parse(strings.ReplaceAll(l, "&amp;", "&"))
		if err != nil {
			continue
		}
		switch u.Query().Get("d") {
		case "approve":
			approve = u.String()
		case "reject":
			reject = u.String()
		}
	}
	if approve == "" || reject == "" {
		t.Fatalf("no approve/reject links in:\n%s", text)
	}
	return approve, reject
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// path reads a nested value of a decoded JSON object.
func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
