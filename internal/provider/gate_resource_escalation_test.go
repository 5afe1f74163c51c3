package provider

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// escalationApp is a gate with the Slack app wiring and approvers: every
// escalation feature is available.
const escalationApp = `name = "t"
link_decisions = "none"
approvers = ["UALICE"]
timeout_seconds = 3600
slack = { bot_token = "xoxb-1", channel = "C0DEPLOY", signing_secret = "s3cr3t-s3cr3t-s3cr3t", team_id = "T0TEAM" }
`

// TestGateResource_escalationValidation plans bad escalation steps and
// checks each message.
func TestGateResource_escalationValidation(t *testing.T) {
	t.Parallel()
	esc := func(steps string) string { return escalationApp + "escalation = [" + steps + "]" }
	step := func(after int, rest string) string {
		return fmt.Sprintf("{ after_seconds = %d, %s }", after, rest)
	}
	ch := `slack_channel = "C0BOSS"`
	steps := []struct{ body, want string }{
		{esc(step(1200, ch) + "," + step(600, ch)), `Escalation Steps Out of Order.*escalation\[1\].after_seconds \(600\) is not greater than escalation\[0\].after_seconds \(1200\)`},
		{esc(step(600, ch) + "," + step(600, ch)), `Escalation Steps Out of Order`},
		{esc(step(0, ch)), `escalation\[0\].after_seconds is 0`},
		{esc(step(3600, ch)), `Escalation Step After the Timeout.*escalation\[0\].after_seconds \(3600\) is not before timeout_seconds \(3600\)`},
		{esc(step(600, ch) + "," + step(7200, ch)), `escalation\[1\].after_seconds \(7200\) is not before timeout_seconds`},
		{esc(step(60, ch) + "," + step(120, ch) + "," + step(180, ch) + "," + step(240, ch) + "," + step(300, ch) + "," + step(360, ch)), `Too Many Escalation Steps.*6 steps; a gate takes at most 5`},
		{esc(step(600, `approvers = ["UBOSS"]`)), `Escalation Step Notifies Nobody.*escalation\[0\] has no slack_channel, email_addresses or webhook_url`},
		{esc(step(600, `email_addresses = []`)), `Escalation Step Notifies Nobody`},
		{esc(step(600, ch+`, approvers = ["the boss"]`)), `Invalid Approver Identity`},
		{esc(step(600, `email_addresses = ["not-an-address"]`)), `must be an e-mail address`},
		{esc(step(600, `webhook_url = "http://hooks.slack.com/services/T/B/XSECRETX"`)), `must use https.*got:\s+\(sensitive\s+value\)`},
		// A channel needs the Slack app's bot token.
		{"name = \"t\"\nslack = { webhook_url = \"https://hooks.slack.com/services/T/B/X\" }\nescalation = [" + step(600, ch) + "]", `Escalation Channel Needs the Slack App`},
		// Step approvers extend an allowlist: without one they mean nothing.
		{"name = \"t\"\nslack = { bot_token = \"xoxb-1\", channel = \"C0DEPLOY\", signing_secret = \"s3cr3t-s3cr3t-s3cr3t\" }\nescalation = [" +
			step(600, ch+`, approvers = ["UBOSS"]`) + "]", `Escalation Approvers Without Gate Approvers.*anyone who receives the request may already decide`},
		// No channel of the gate can verify who decides.
		{"name = \"t\"\nlink_decisions = \"none\"\napprovers = [\"alice@example.com\"]\nemail_addresses = [\"oncall@example.com\"]\nescalation = [" +
			step(600, `email_addresses = ["boss@example.com"], approvers = ["boss@example.com"]`) + "]", `Escalation Approvers Cannot Be Checked`},
	}
	var ts []resource.TestStep
	for _, s := range steps {
		ts = append(ts, resource.TestStep{Config: testAccGateConfig_raw(s.body), PlanOnly: true, ExpectError: wrapped("(?s)" + s.want)})
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories(newFakeManager()), Steps: ts})
}

// TestGateResource_escalationSpec: valid steps reach the gate's Spec in
// order, with their channel, addresses, webhook URL and approvers.
func TestGateResource_escalationSpec(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	const rName = "tf-acc-test-escalation"
	body := escalationApp + `
escalation = [
  { after_seconds = 600, slack_channel = "C0BOSS", approvers = ["UBOSS"] },
  { after_seconds = 1800, email_addresses = ["ceo@example.com"], webhook_url = "https://hooks.slack.com/services/T/B/X" },
]`
	body = "name = " + fmt.Sprintf("%q", rName) + body[len(`name = "t"`):]
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		CheckDestroy: func(*terraform.State) error {
			if _, ok := m.spec(rName); ok {
				return fmt.Errorf("gate %s still exists", rName)
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: testAccGateConfig_raw(body),
			Check: func(*terraform.State) error {
				s, _ := m.spec(rName)
				if len(s.Escalation) != 2 {
					return fmt.Errorf("escalation %+v", s.Escalation)
				}
				a, b := s.Escalation[0], s.Escalation[1]
				if a.AfterSeconds != 600 || a.SlackChannel != "C0BOSS" || !slices.Equal(a.Approvers, []string{"UBOSS"}) || a.WebhookURL != "" ||
					b.AfterSeconds != 1800 || !slices.Equal(b.EmailAddresses, []string{"ceo@example.com"}) || b.WebhookURL != "https://hooks.slack.com/services/T/B/X" {
					return fmt.Errorf("escalation %+v", s.Escalation)
				}
				return nil
			},
		}},
	})
}
