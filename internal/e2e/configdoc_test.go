package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// TestE2E_manyApprovers: a gate with 200 e-mail approvers and as many
// allowed state machines as IAM's policy cap and the 8 KB document allow (their lists are in the
// gate's configuration parameter, not in the 4 KB environment) serves a
// request, and one of the approvers decides through the API.
func TestE2E_manyApprovers(t *testing.T) {
	preCheck(t)
	iss, err := acctest.StartTokenIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	name := acctest.RandomName()
	var approvers, machines []string
	for i := range 200 {
		approvers = append(approvers, fmt.Sprintf("email:a%03d@ex.io", i))
	}
	// The fixture names the state machine of the n-th start <gate>-sm<n>.
	for i := 1; i <= 60; i++ {
		next := append(slices.Clone(machines), fmt.Sprintf("arn:aws:states:us-east-1:000000000000:stateMachine:%s-sm%d", name, i))
		spec := gate.Spec{Name: name, Approvers: approvers, AllowedStateMachineARNs: next}
		if _, chars := gate.LargestRolePolicy(spec); chars > approval.MaxPolicyChars || gate.ConfigDoc(spec).CheckSize() != nil {
			break
		}
		machines = next
	}
	if len(machines) < 20 {
		t.Fatalf("only %d state machines fit the IAM policy", len(machines))
	}
	list := func(v []string) string { return `["` + strings.Join(v, `", "`) + `"]` }
	token := func(w *world, email string) string {
		tok := iss.Token(iss.Claims(apiAudience, "user-"+email, map[string]any{"email": email, "email_verified": true}))
		addSecret(w, tok)
		return tok
	}
	withGate(t, fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                       = %[1]q
  timeout_seconds            = 300
  include_execution_context  = false
  approvers                  = %[2]s
  allowed_state_machine_arns = %[3]s
  link_decisions             = "none"
  api = {
    issuer_url     = %[4]q
    audiences      = [%[5]q]
    identity_claim = "email"
  }
}

output "api_url" {
  value = manualapproval_gate.test.api_url
}
`, name, list(approvers), list(machines), iss.URL, apiAudience), []scenario{
		{"1 one of 200 approvers decides through the API", func(w *world) {
			// The local AWS resolves no $$.StateMachine.Id (kumo-fidelity.md):
			// the Task state names its state machine, the first one started.
			var task map[string]any
			if err := json.Unmarshal([]byte(w.attrs["task_state_json"]), &task); err != nil {
				w.t.Fatal(err)
			}
			params, _ := task["Parameters"].(map[string]any)
			pl, _ := params["Payload"].(map[string]any)
			if pl == nil {
				w.t.Fatalf("task_state_json has no Payload: %s", w.attrs["task_state_json"])
			}
			pl["state_machine_id"] = machines[0]
			ts, _ := json.Marshal(task)
			e := w.startWith(string(ts), `{"requested_by":"email:carol@example.com","change":"many-1"}`, nil)
			id := w.pendingByChange(token(w, "a137@ex.io"), "many-1")
			if code, body := w.apiDecide(id, token(w, "mallory@ex.io"), `{"decision":"approve"}`); code == http.StatusOK && body["result"] == "decided" {
				w.t.Fatalf("a non-approver decided: %d %v", code, body)
			}
			code, body := w.apiDecide(id, token(w, "a137@ex.io"), `{"decision":"approve"}`)
			if code != http.StatusOK || body["result"] != "decided" {
				w.t.Fatalf("approval by a listed approver: %d %v", code, body)
			}
			d, out := e.wait()
			if d.Status != "SUCCEEDED" {
				w.t.Fatalf("execution %s: %s", d.Status, deref(d.Cause))
			}
			approversOut, _ := path(out, "approval", "approvers").([]any)
			if len(approversOut) != 1 || path(approversOut[0], "id") != "email:a137@ex.io" {
				w.t.Errorf("output %v", out)
			}
		}},
	})
}
