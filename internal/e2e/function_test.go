package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestE2E_taskStateFunction: one gate, a step built by
// provider::manualapproval::task_state (JSONPath) with its own title, text,
// fields and timeout; the notifier shows them and the decision lands at the
// result path.
func TestE2E_taskStateFunction(t *testing.T) {
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  timeout_seconds           = 600
  include_execution_context = false
  allow_self_approval       = true
}

output "deploy_step" {
  value = jsonencode(provider::manualapproval::task_state(manualapproval_gate.test, {
    title           = "Deploy checkout to production?"
    text            = "Release train 42"
    fields          = { version = "$.build.version", author = "$.build.author" }
    timeout_seconds = 300
    result_path     = "$.deploy_approval"
  }))
}
`, acctest.RandomName()), []scenario{
		{"task_state function, JSONPath", func(w *world) {
			step := w.outputs["deploy_step"]
			if !strings.Contains(step, `"TimeoutSeconds":300`) {
				w.t.Fatalf("step: %s", step)
			}
			e := w.startWith(step, `{"build":{"version":"v1.4.2","author":"dana"},"noise":"not shown"}`, nil)
			w.seen++
			msgs, err := w.sns.Wait(w.ctx, w.seen)
			if err != nil {
				w.t.Fatal(err)
			}
			msg := msgs[w.seen-1]
			for _, want := range []string{"Deploy checkout to production?", "Release train 42", "v1.4.2", "dana"} {
				if !strings.Contains(msg.Subject+"\n"+msg.Message, want) {
					w.t.Errorf("the notification lacks %q:\n%s\n%s", want, msg.Subject, msg.Message)
				}
			}
			approve, _ := links(w.t, msg.Message)
			if code, page := get(w.t, approve); code != http.StatusOK || !strings.Contains(page, "Deploy checkout to production?") || !strings.Contains(page, "v1.4.2") {
				w.t.Errorf("confirm page %d:\n%s", code, page)
			}
			if code, page := post(w.t, approve, url.Values{"name": {"Alice"}}); code != http.StatusOK {
				w.t.Fatalf("approve: %d %s", code, page)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" || path(out, "deploy_approval", "decision") != "approved" || path(out, "build", "version") != "v1.4.2" {
				w.t.Errorf("execution %s output %s", d.Status, deref(d.Output))
			}
		}},
	})
}
