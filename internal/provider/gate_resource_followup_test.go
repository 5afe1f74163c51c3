package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestGateResource_followupValidation plans bad reminders and last calls
// and checks each message says the way out.
func TestGateResource_followupValidation(t *testing.T) {
	t.Parallel()
	const ch = "name = \"t\"\nallow_self_approval = true\nemail_addresses = [\"a@example.com\"]\ntimeout_seconds = 3600\n"
	steps := []struct{ body, want string }{
		{ch + "reminders = { after_seconds = 600, every_seconds = 30 }", `reminders.every_seconds is 30, but the gate's sweep runs once a minute(.|\n)*Set reminders.every_seconds to 60 or more`},
		{ch + "reminders = { after_seconds = 30, every_seconds = 600 }", `reminders.after_seconds is 30(.|\n)*Set reminders.after_seconds to 60 or more`},
		{ch + "reminders = { after_seconds = 3600, every_seconds = 600 }", `reminders.after_seconds \(3600\) is not less than timeout_seconds \(3600\)(.|\n)*Lower reminders.after_seconds below 3600, raise timeout_seconds`},
		{"name = \"t\"\nallow_self_approval = true\nemail_addresses = [\"a@example.com\"]\nreminders = { after_seconds = 86400, every_seconds = 600 }", `is not less than timeout_seconds \(86400\)`},
		{ch + "reminders = { after_seconds = 600, every_seconds = 600, max = 0 }", `reminders.max is 0: a request gets between 1 and 100 reminders`},
		{ch + "reminders = { after_seconds = 600, every_seconds = 600, max = 101 }", `reminders.max is 101`},
		{ch + "reminders = { after_seconds = 600 }", `attribute "every_seconds" is required`},
		{ch + "warn_before_expiry_seconds = 3600", `warn_before_expiry_seconds \(3600\) is not less than timeout_seconds \(3600\)(.|\n)*Lower warn_before_expiry_seconds below 3600`},
		{ch + "warn_before_expiry_seconds = 30", `warn_before_expiry_seconds is 30(.|\n)*Set warn_before_expiry_seconds to 60 or more, or remove it`},
	}
	var ts []resource.TestStep
	for _, s := range steps {
		ts = append(ts, resource.TestStep{Config: testAccGateConfig_raw(s.body), PlanOnly: true, ExpectError: wrapped(s.want)})
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories(newFakeManager()), Steps: ts})
}

func TestValidateFollowup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rem := func(after, every, most int64) types.Object {
		return types.ObjectValueMust(gateRemindersAttrTypes, map[string]attr.Value{
			"after_seconds": types.Int64Value(after), "every_seconds": types.Int64Value(every), "max": types.Int64Value(most),
		})
	}
	model := func(r types.Object, warn types.Int64, emails []string) gateResourceModel {
		return gateResourceModel{
			Slack: types.ObjectNull(gateSlackAttrTypes), Webhook: types.ObjectNull(gateWebhookAttrTypes),
			EmailAddresses: setOf(emails), SMSNumbers: types.SetNull(types.StringType), TimeoutSeconds: types.Int64Value(3600),
			Reminders: r, WarnBeforeExpirySeconds: warn,
		}
	}
	mail := []string{"a@example.com"}
	none := types.ObjectNull(gateRemindersAttrTypes)
	for name, tc := range map[string]struct {
		m    gateResourceModel
		want []string // summaries, errors and warnings
	}{
		"off":                        {model(none, types.Int64Null(), nil), nil},
		"fine":                       {model(rem(600, 600, 3), types.Int64Value(300), mail), nil},
		"every below a minute":       {model(rem(600, 59, 3), types.Int64Null(), mail), []string{"Invalid Reminders"}},
		"every exactly a minute":     {model(rem(600, 60, 3), types.Int64Null(), mail), nil},
		"first at the expiry":        {model(rem(3600, 600, 3), types.Int64Null(), mail), []string{"Invalid Reminders"}},
		"first after the last call":  {model(rem(3300, 600, 3), types.Int64Value(600), mail), []string{"Reminders Never Sent"}},
		"last call at the expiry":    {model(none, types.Int64Value(3600), mail), []string{"Invalid Last Call"}},
		"last call under a minute":   {model(none, types.Int64Value(59), mail), []string{"Invalid Last Call"}},
		"no channel":                 {model(rem(600, 600, 3), types.Int64Null(), nil), []string{"Reminders Reach Nobody"}},
		"no channel, last call only": {model(none, types.Int64Value(600), nil), []string{"Reminders Reach Nobody"}},
		"unknown timeout not judged": {func() gateResourceModel {
			m := model(rem(7200, 600, 3), types.Int64Null(), mail)
			m.TimeoutSeconds = types.Int64Unknown()
			return m
		}(), nil},
		"unknown reminders not judged": {model(types.ObjectUnknown(gateRemindersAttrTypes), types.Int64Unknown(), mail), nil},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var diags diag.Diagnostics
			validateFollowup(ctx, tc.m, &diags)
			var got []string
			for _, d := range diags {
				got = append(got, d.Summary())
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("diagnostics = %v, want %v (%v)", got, tc.want, diags)
			}
		})
	}
}

// TestGateResource_followupFakeLifecycle: reminders and the last call reach
// the gate's Spec (max defaulted), import reads them back, removing them
// clears them.
func TestGateResource_followupFakeLifecycle(t *testing.T) {
	t.Parallel()
	m := newFakeManager()
	rName := "tf-acc-test-remind"
	const addr = "manualapproval_gate.test"
	cfg := func(extra string) string {
		return testAccGateConfig_raw(fmt.Sprintf("name = %q\nallow_self_approval = true\nemail_addresses = [\"a@example.com\"]\ntimeout_seconds = 3600\n%s", rName, extra))
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(m),
		CheckDestroy: func(*terraform.State) error {
			if _, ok := m.spec(rName); ok {
				return fmt.Errorf("gate %s still exists", rName)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: cfg("reminders = { after_seconds = 600, every_seconds = 900 }\nwarn_before_expiry_seconds = 300"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("reminders").AtMapKey("max"), knownvalue.Int64Exact(defaultMaxReminders)),
				},
				Check: func(*terraform.State) error {
					s, _ := m.spec(rName)
					if s.Followup.Reminders == nil || *s.Followup.Reminders != (approval.Reminders{AfterSeconds: 600, EverySeconds: 900, Max: 3}) || s.Followup.WarnBeforeExpirySeconds != 300 {
						return fmt.Errorf("spec reminders %+v, warn %d", s.Followup.Reminders, s.Followup.WarnBeforeExpirySeconds)
					}
					return nil
				},
			},
			{ResourceName: addr, ImportState: true, ImportStateId: rName, ImportStateVerify: true},
			{
				Config: cfg(""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("reminders"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("warn_before_expiry_seconds"), knownvalue.Null()),
				},
				Check: func(*terraform.State) error {
					if s, _ := m.spec(rName); s.Followup.Reminders != nil || s.Followup.WarnBeforeExpirySeconds != 0 {
						return fmt.Errorf("spec still reminds: %+v", s.Followup.Reminders)
					}
					return nil
				},
			},
		},
	})
}
