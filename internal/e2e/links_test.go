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
	"testing"
	"time"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// gateAttrs are what a scenario needs of an applied gate.
type gateAttrs struct {
	name, taskStateJSON, callbackURL, topicARN string
}

func attrsOf(s *terraform.State) gateAttrs {
	a := s.RootModule().Resources["manualapproval_gate.test"].Primary.Attributes
	return gateAttrs{name: a["name"], taskStateJSON: a["task_state_json"], callbackURL: a["callback_url"], topicARN: a["topic_arn"]}
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

// httpClient reaches execute-api URLs (http://<apiId>.execute-api.localhost:<port>)
// by dialling 127.0.0.1: *.localhost does not resolve here.
func httpClient() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 20 * time.Second,
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

func get(t *testing.T, link string) (int, string) {
	t.Helper()
	resp, err := httpClient().Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, link string, form url.Values) (int, string) {
	t.Helper()
	resp, err := httpClient().PostForm(link, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+/r/[A-Za-z0-9_-]+\?[^\s"<>]+`)

// links returns the approve and reject links in a text.
func links(t *testing.T, text string) (approve, reject string) {
	t.Helper()
	for _, l := range linkRE.FindAllString(text, -1) {
		u, err := url.Parse(l)
		if err != nil {
			continue
		}
		switch u.Query().Get("d") {
		case "approve":
			approve = l
		case "reject":
			reject = l
		}
	}
	if approve == "" || reject == "" {
		t.Fatalf("no approve/reject links in:\n%s", text)
	}
	return approve, reject
}

// TestE2E_linksBySNS: a gate with no Slack; the links reach people through
// the SNS topic (read by a subscribed function, since kumo drops e-mail).
func TestE2E_linksBySNS(t *testing.T) {
	preCheck(t)
	rName := acctest.RandomName()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		Steps: []resource.TestStep{{
			Config: config(fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  include_execution_context = false
}
`, rName)),
			Check: func(s *terraform.State) error {
				g := attrsOf(s)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				cfg, err := acctest.AWSConfig(ctx)
				if err != nil {
					return err
				}
				h, err := acctest.StartHandlers(ctx, cfg, local.Endpoint(), g.name+"-notifier", g.name+"-callback")
				if err != nil {
					return err
				}
				defer h.Stop()
				reader, err := acctest.StartSNSReader(ctx, cfg, g.topicARN, g.name+"-snsreader")
				if err != nil {
					return err
				}
				defer reader.Close()

				def, err := acctest.StateMachine(g.taskStateJSON, nil)
				if err != nil {
					return err
				}
				sm, err := acctest.CreateStateMachine(ctx, cfg, g.name+"-sm", def)
				if err != nil {
					return err
				}
				exec, err := acctest.StartExecution(ctx, cfg, sm, `{"requested_by":"carol","change":"deploy v1.2.3"}`)
				if err != nil {
					return err
				}
				msgs, err := reader.Wait(ctx, 1)
				if err != nil {
					t.Logf("notifier output:\n%s", h.Output(g.name+"-notifier"))
					return err
				}
				approve, _ := links(t, msgs[0].Message)
				code, page := get(t, approve)
				if code != http.StatusOK || !strings.Contains(page, "<form") {
					return fmt.Errorf("GET approve link: %d\n%s", code, page)
				}
				if d, _ := acctest.Describe(ctx, cfg, exec); d.Status != sfntypes.ExecutionStatusRunning {
					return fmt.Errorf("a GET decided: execution %s", d.Status)
				}
				code, page = post(t, approve, url.Values{"comment": {"ship it"}, "name": {"Alice"}})
				if code != http.StatusOK {
					return fmt.Errorf("POST approve: %d\n%s\ncallback output:\n%s", code, page, h.Output(g.name+"-callback"))
				}
				d, err := acctest.WaitDone(ctx, cfg, exec)
				if err != nil {
					return err
				}
				if d.Status != sfntypes.ExecutionStatusSucceeded {
					return fmt.Errorf("execution %s: %s %s", d.Status, deref(d.Error), deref(d.Cause))
				}
				var out struct {
					Outcome  string `json:"outcome"`
					Approval struct {
						Decision  string `json:"decision"`
						Comment   string `json:"comment"`
						RequestID string `json:"request_id"`
						DecidedAt string `json:"decided_at"`
						Approvers []struct{ ID, Name, Via string }
					} `json:"approval"`
				}
				if err := json.Unmarshal([]byte(deref(d.Output)), &out); err != nil {
					return err
				}
				a := out.Approval
				if out.Outcome != "approved" || a.Decision != "approved" || a.Comment != "ship it" || a.RequestID == "" || a.DecidedAt == "" ||
					len(a.Approvers) != 1 || a.Approvers[0].Via != "link" {
					return fmt.Errorf("output: %s", deref(d.Output))
				}
				return nil
			},
		}},
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
