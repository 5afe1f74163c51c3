package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestE2E_teams: a gate posting to a (local) Microsoft Teams channel
// through a Workflows URL given write-only.
func TestE2E_teams(t *testing.T) {
	preCheck(t)
	teams, err := acctest.NewTeams()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(teams.Close)
	hook := teams.WebhookURL()
	u, _ := url.Parse(hook)
	sig := u.Query().Get("sig")
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  include_execution_context = false
  allow_self_approval       = true
  teams = {
    webhook_url_wo         = %[2]q
    webhook_url_wo_version = 1
  }
}
`, acctest.RandomName(), hook), []scenario{
		{"T1 a Teams card posted and its link approving", func(w *world) {
			// Teams throttles the first post: the notifier waits the
			// Retry-After and posts again.
			teams.FailNext(1, http.StatusTooManyRequests, "1")
			e := w.start(`{"requested_by":"carol","change":"deploy v2.0 [notes](https://evil.example)"}`, nil)
			posts, err := teams.WaitPosts(w.ctx, 1)
			if err != nil {
				w.t.Fatal(err)
			}
			p := posts[0]
			if got := teams.Attempts(); got != 2 {
				w.t.Errorf("%d attempts, want 2 (429, then 202)", got)
			}
			texts := strings.Join(p.Texts, "\n")
			if !strings.Contains(texts, approval.DefaultTitle(w.name)) || !strings.Contains(texts, "carol") {
				w.t.Errorf("card texts: %q", texts)
			}
			if !slices.Contains(p.Facts, [2]string{"change", `deploy v2.0 \[notes\]\(https://evil.example\)`}) {
				w.t.Errorf("card facts (the change, its Markdown escaped): %q", p.Facts)
			}
			approve, ok := p.Action("Approve")
			if _, okReject := p.Action("Reject"); !ok || !okReject {
				w.t.Fatalf("card buttons: %+v", p.Actions)
			}
			code, page := get(w.t, approve.URL)
			if code != http.StatusOK || !strings.Contains(page, "<form") || !strings.Contains(page, "deploy v2.0") {
				w.t.Fatalf("GET approve link: %d\n%s", code, page)
			}
			if s := e.status(); s != "RUNNING" {
				w.t.Fatalf("a GET decided: execution %s", s)
			}
			if code, page = post(w.t, approve.URL, url.Values{"comment": {"from Teams"}, "name": {"Alice"}}); code != http.StatusOK {
				w.t.Fatalf("POST approve: %d\n%s", code, page)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" || out["outcome"] != "approved" || path(out, "approval", "comment") != "from Teams" {
				w.t.Fatalf("execution %s, output %s", d.Status, deref(d.Output))
			}
			// The local Teams's inbox, as a person sees the card.
			png, err := acctest.ScreenshotPage(w.ctx, teams.URL+"/")
			if err != nil {
				w.t.Fatal(err)
			}
			saveScreenshot(w.t, "teams-e2e-inbox.png", png)
		}},
		{"T2 the Workflows URL is in no state, environment or log", func(w *world) {
			for k, v := range w.attrs {
				if strings.Contains(v, sig) {
					w.t.Errorf("state attribute %s holds the Teams URL", k)
				}
			}
			if w.attrs["teams.webhook_url"] != "" || w.attrs["teams.webhook_url_wo_version"] != "1" {
				w.t.Errorf("state teams: url %q, version %q", w.attrs["teams.webhook_url"], w.attrs["teams.webhook_url_wo_version"])
			}
			direct := w.direct()
			param := ""
			for _, fn := range []string{w.name + "-notifier", w.name + "-callback"} {
				conf, err := lambda.NewFromConfig(direct).GetFunctionConfiguration(w.ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
				if err != nil {
					w.t.Fatal(err)
				}
				for k, v := range conf.Environment.Variables {
					if strings.Contains(v, sig) || strings.Contains(v, teams.URL) {
						w.t.Errorf("%s: environment variable %s holds the Teams URL", fn, k)
					}
				}
				param = conf.Environment.Variables[approval.EnvParamTeamsWebhookURL]
				if param == "" {
					w.t.Errorf("%s: no %s", fn, approval.EnvParamTeamsWebhookURL)
				}
				if out := w.h.Output(fn); strings.Contains(out, sig) {
					w.t.Errorf("%s: the log holds the Teams URL's signature", fn)
				}
			}
			p, err := ssm.NewFromConfig(direct).GetParameter(w.ctx, &ssm.GetParameterInput{Name: aws.String(param), WithDecryption: aws.Bool(true)})
			if err != nil {
				w.t.Fatal(err)
			}
			if p.Parameter.Type != ssmtypes.ParameterTypeSecureString || aws.ToString(p.Parameter.Value) != hook {
				w.t.Errorf("parameter %s: type %s, holds the URL: %v", param, p.Parameter.Type, aws.ToString(p.Parameter.Value) == hook)
			}
		}},
	})
}
