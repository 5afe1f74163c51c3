package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestWarnGateReach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	slack := func(format, hook, bot string) types.Object {
		str := func(v string) types.String {
			if v == "" {
				return types.StringNull()
			}
			return types.StringValue(v)
		}
		attrs := map[string]attr.Value{}
		for k, typ := range gateSlackAttrTypes {
			if typ == types.Int64Type {
				attrs[k] = types.Int64Null()
			} else {
				attrs[k] = types.StringNull()
			}
		}
		attrs["format"], attrs["webhook_url"], attrs["bot_token_wo"] = str(format), str(hook), str(bot)
		return types.ObjectValueMust(gateSlackAttrTypes, attrs)
	}
	none := types.ObjectNull(gateSlackAttrTypes)
	teams := types.ObjectValueMust(gateTeamsAttrTypes, map[string]attr.Value{
		"webhook_url": types.StringNull(), "webhook_url_wo": types.StringValue("https://h.example/t"), "webhook_url_wo_version": types.Int64Value(1),
	})
	tests := map[string]struct {
		model gateResourceModel
		want  []string
	}{
		"nobody": {model: gateResourceModel{Slack: none}, want: []string{"Approval Gate Notifies Nobody"}},
		"nobody, empty sets": {model: gateResourceModel{Slack: none, EmailAddresses: setOf(nil), SMSNumbers: setOf(nil)},
			want: []string{"Approval Gate Notifies Nobody"}},
		"e-mail":               {model: gateResourceModel{Slack: none, EmailAddresses: setOf([]string{"a@example.com"})}},
		"slack webhook":        {model: gateResourceModel{Slack: slack("", "https://h.example/x", "")}},
		"approvers, webhook":   {model: gateResourceModel{Slack: slack("", "https://h.example/x", ""), Approvers: setOf([]string{"U1AAA"})}, want: []string{"Approvers Cannot Be Checked"}},
		"approvers, e-mail":    {model: gateResourceModel{Slack: none, EmailAddresses: setOf([]string{"a@example.com"}), Approvers: setOf([]string{"U1AAA"})}, want: []string{"Approvers Cannot Be Checked"}},
		"approvers, slack app": {model: gateResourceModel{Slack: slack("", "", "xoxb-1"), Approvers: setOf([]string{"U1AAA"})}},
		"teams":                {model: gateResourceModel{Slack: none, Teams: teams}},
		"approvers, teams":     {model: gateResourceModel{Slack: none, Teams: teams, Approvers: setOf([]string{"U1AAA"})}, want: []string{"Approvers Cannot Be Checked"}},
		"unknown slack":        {model: gateResourceModel{Slack: types.ObjectUnknown(gateSlackAttrTypes), Approvers: setOf([]string{"U1AAA"})}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := tt.model
			if m.Webhook.IsNull() && !m.Webhook.IsUnknown() {
				m.Webhook = types.ObjectNull(gateWebhookAttrTypes)
			}
			var diags diag.Diagnostics
			warnGateReach(ctx, m, &diags)
			var got []string
			for _, d := range diags {
				got = append(got, d.Summary())
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("warnings = %v, want %v", got, tt.want)
			}
		})
	}
}
