package gate

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestRolePolicy_reminders: with reminders or a last call the callback's
// sweep re-notifies the channels, so its role gains exactly the posting
// secrets of the configured channels and sns:Publish on the gate's topic;
// without them it has neither.
func TestRolePolicy_reminders(t *testing.T) {
	t.Parallel()
	param := func(s string) string {
		return "arn:aws:ssm:eu-west-1:111122223333:parameter/manualapproval/deploy-prod/" + s
	}
	base := Spec{Name: "deploy-prod", Slack: &SlackSpec{Format: "blocks", WebhookURL: "https://hooks.slack.com/services/T/B/x"},
		Webhook: &WebhookSpec{URL: "https://hooks.example.com/a", Secret: "0123456789abcdef0123"}}
	withReminders, withLastCall := base, base
	withReminders.Followup.Reminders = &approval.Reminders{AfterSeconds: 600, EverySeconds: 600, Max: 3}
	withLastCall.Followup.WarnBeforeExpirySeconds = 300
	for name, tc := range map[string]struct {
		spec    Spec
		reminds bool
	}{"none": {base, false}, "reminders": {withReminders, true}, "last call": {withLastCall, true}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var params []string
			publish := false
			for _, st := range rolePolicy(testEnv, tc.spec, kindCallback).Statement {
				if slices.Contains(st.Action, "ssm:GetParameters") {
					params = st.Resource
				}
				if slices.Contains(st.Action, "sns:Publish") {
					publish = true
					if d := cmp.Diff([]string{"arn:aws:sns:eu-west-1:111122223333:deploy-prod-approvals"}, st.Resource); d != "" {
						t.Errorf("sns:Publish beyond the gate's topic (-want +got):\n%s", d)
					}
				}
			}
			posting := []string{param("slack-webhook-url"), param("webhook-secret"), param("webhook-url")}
			for _, p := range posting {
				if slices.Contains(params, p) != tc.reminds {
					t.Errorf("callback reads %s: %v, want %v", p, slices.Contains(params, p), tc.reminds)
				}
			}
			if publish != tc.reminds {
				t.Errorf("callback may publish: %v, want %v", publish, tc.reminds)
			}
			c := (&run{spec: tc.spec, n: names{tc.spec.Name}}).handlerConfig(kindCallback, "arn:topic", "https://cb")
			if (c.ParamWebhookURL != "") != tc.reminds || (c.ParamSlackWebhook != "") != tc.reminds {
				t.Errorf("callback environment names the posting secrets: %v, want %v", c.ParamWebhookURL != "", tc.reminds)
			}
		})
	}
}

// TestConfigDoc_reminders: the reminders travel in the
// configuration document and come back on import.
func TestConfigDoc_reminders(t *testing.T) {
	t.Parallel()
	spec := Spec{Name: "g", Followup: approval.Followup{Reminders: &approval.Reminders{AfterSeconds: 600, EverySeconds: 300, Max: 3}, WarnBeforeExpirySeconds: 120}}
	doc, err := approval.ParseConfigDoc(ConfigDoc(spec).Render())
	if err != nil {
		t.Fatal(err)
	}
	var back Spec
	specFollowup(&back, doc.Followup)
	if d := cmp.Diff(spec.Followup.Reminders, back.Followup.Reminders); d != "" || back.Followup.WarnBeforeExpirySeconds != 120 {
		t.Errorf("round trip (-want +got):\n%s, warn %d", d, back.Followup.WarnBeforeExpirySeconds)
	}
	if got := ConfigDoc(Spec{Name: "g"}).Render(); got != "{}" {
		t.Errorf("document without follow-ups %s, want {}", got)
	}
}
