package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// identityModel is a gate model with the identity arguments given; the
// rest null (as an unset configuration is).
func identityModel(approvers, groups []string, minApprovals int64, allowSelf *bool, linkDecisions string, slack types.Object) gateResourceModel {
	m := gateResourceModel{
		Approvers:         setOf(approvers),
		ApproverGroups:    setOf(groups),
		MinApprovals:      types.Int64Value(minApprovals),
		AllowSelfApproval: types.BoolNull(),
		LinkDecisions:     types.StringNull(),
		Slack:             slack,
	}
	if allowSelf != nil {
		m.AllowSelfApproval = types.BoolValue(*allowSelf)
	}
	if linkDecisions != "" {
		m.LinkDecisions = types.StringValue(linkDecisions)
	}
	return m
}

func slackApp(teamID string) types.Object {
	team := types.StringNull()
	if teamID != "" {
		team = types.StringValue(teamID)
	}
	return types.ObjectValueMust(gateSlackAttrTypes, map[string]attr.Value{
		"webhook_url": types.StringNull(), "format": types.StringNull(), "bot_token": types.StringValue("xoxb-1"),
		"channel": types.StringValue("C1"), "signing_secret": types.StringValue("s"), "team_id": team,
		"enterprise_id": types.StringNull(), "app_id": types.StringNull(), "api_base_url": types.StringNull(),
		"webhook_url_wo": types.StringNull(), "webhook_url_wo_version": types.Int64Null(),
		"bot_token_wo": types.StringNull(), "bot_token_wo_version": types.Int64Null(),
		"signing_secret_wo": types.StringNull(), "signing_secret_wo_version": types.Int64Null(),
	})
}

// TestValidateIdentity: every configuration in which an identity control
// would be unenforced is refused on the attribute at fault; the others pass
// without an error or a warning.
func TestValidateIdentity(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	noSlack := types.ObjectNull(gateSlackAttrTypes)
	tests := []struct {
		name  string
		model gateResourceModel
		want  map[string]string // attribute path -> text of its error
	}{
		{name: "the default gate: the ban with links that approve", model: identityModel(nil, nil, 1, nil, "", noSlack),
			want: map[string]string{"allow_self_approval": "allow_self_approval = false (the default) bans the requester"}},
		{name: "the ban set explicitly", model: identityModel(nil, nil, 1, &no, "any", noSlack),
			want: map[string]string{"allow_self_approval": "a link is a bearer token"}},
		{name: "approvers with links that approve", model: identityModel([]string{"U024BE7LH"}, nil, 1, &yes, "", noSlack),
			want: map[string]string{"approvers": "approvers would not be enforced"}},
		{name: "a quorum with links that approve", model: identityModel(nil, nil, 2, &yes, "any", noSlack),
			want: map[string]string{"min_approvals": "min_approvals = 2 needs 2 distinct people"}},
		{name: "approver_groups without sso", model: identityModel(nil, []string{"deployers"}, 1, &yes, "reject_only", noSlack),
			want: map[string]string{"approver_groups": "Add an sso block"}},
		{name: "every control at once", model: identityModel([]string{"a@example.com"}, []string{"ops"}, 2, nil, "", noSlack),
			want: map[string]string{
				"approvers": "remove approvers", "approver_groups": "sso", "min_approvals": "set min_approvals = 1",
				"allow_self_approval": "set allow_self_approval = true",
			}},
		{name: "the Slack app without its workspace", model: identityModel([]string{"U024BE7LH"}, nil, 1, &yes, "reject_only", slackApp("")),
			want: map[string]string{"slack.team_id": "set slack.team_id"}},
		{name: "no identity control: links may approve", model: identityModel(nil, nil, 1, &yes, "", noSlack)},
		{name: "no identity control, Slack app without workspace", model: identityModel(nil, nil, 1, &yes, "", slackApp(""))},
		{name: "the ban with links that only reject", model: identityModel(nil, nil, 1, nil, "reject_only", noSlack)},
		{name: "approvers and a quorum in the Slack app, links inform", model: identityModel([]string{"U024BE7LH", "U024BE7LI"}, nil, 2, nil, "none", slackApp("T0GATE"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var diags diag.Diagnostics
			validateIdentity(context.Background(), tt.model, &diags)
			if diags.WarningsCount() != 0 {
				t.Errorf("warnings: %v", diags.Warnings())
			}
			got := map[string]string{}
			for _, d := range diags.Errors() {
				wp, ok := d.(diag.DiagnosticWithPath)
				if !ok {
					t.Fatalf("error without an attribute: %s", d.Detail())
				}
				got[wp.Path().String()] += d.Detail()
			}
			if len(got) != len(tt.want) {
				t.Fatalf("errors on %d attributes, want %d: %v", len(got), len(tt.want), got)
			}
			for p, text := range tt.want {
				if !strings.Contains(got[p], text) {
					t.Errorf("error on %s = %q, want it to contain %q", p, got[p], text)
				}
			}
		})
	}
}

// TestGateResource_identityValidation plans each refused combination and reads
// its message, and plans the allowed ones.
func TestGateResource_identityValidation(t *testing.T) {
	t.Parallel()
	const app = `slack = {
  bot_token      = "xoxb-1"
  channel        = "C1"
  signing_secret = "s"
%s}
`
	refused := []struct{ body, want string }{
		{`name = "t"`, `allow_self_approval = false \(the default\) bans the requester from approving their own request, but this gate's links`},
		{"name = \"t\"\nallow_self_approval = true\napprovers = [\"U024BE7LH\"]", `a link is a bearer token: it proves only that someone holds it, not who they are`},
		{"name = \"t\"\nallow_self_approval = true\nmin_approvals = 2", `min_approvals = 2 needs 2 distinct people`},
		{"name = \"t\"\nallow_self_approval = true\nlink_decisions = \"reject_only\"\napprover_groups = [\"ops\"]", `Approver Groups Need Single Sign-On`},
		{"name = \"t\"\nlink_decisions = \"none\"\n" + strings.Replace(app, "%s", "", 1), `Missing Slack Workspace`},
		{"name = \"t\"\nlink_decisions = \"sometimes\"\nallow_self_approval = true", `link_decisions value must be one of: \["any" "reject_only" "none"\]`},
		{"name = \"t\"\nallow_self_approval = true\nlink_decisions = \"none\"\napprovers = [\"Alice Smith\"]", `must be a verifiable identity`},
		{"name = \"t\"\nallow_self_approval = true\napprover_groups = [\"a,b\"]", `without commas`},
		{"name = \"t\"\nallow_self_approval = true\n" + strings.Replace(app, "%s", "  team_id = \"acme\"\n", 1), `must be a Slack workspace id`},
	}
	var steps []resource.TestStep
	for _, s := range refused {
		steps = append(steps, resource.TestStep{Config: testAccGateConfig_raw(s.body), PlanOnly: true, ExpectError: wrapped(s.want)})
	}
	for _, body := range []string{
		"name = \"t\"\nallow_self_approval = true",
		"name = \"t\"\nlink_decisions = \"reject_only\"",
		"name = \"t\"\nlink_decisions = \"none\"\napprovers = [\"U024BE7LH\", \"bob@example.com\", \"sso:00u1\", \"api:repo:org/app\"]\nmin_approvals = 2\n" +
			strings.Replace(app, "%s", "  team_id = \"T0GATE\"\n  enterprise_id = \"E0ORG\"\n  app_id = \"A0GATE\"\n", 1),
	} {
		steps = append(steps, resource.TestStep{Config: testAccGateConfig_raw(body), PlanOnly: true, ExpectNonEmptyPlan: true})
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps:                    steps,
	})
}
