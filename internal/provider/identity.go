package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// The gate's identity arguments.
var (
	// linkDecisions are the valid link_decisions values.
	linkDecisions = approval.LinkDecisionsValues
	// slackTeamIDRegexp, slackEnterpriseIDRegexp and slackAppIDRegexp are
	// Slack workspace, Enterprise Grid organisation and app ids.
	slackTeamIDRegexp       = regexp.MustCompile(`^T[A-Z0-9]{2,}$`)
	slackEnterpriseIDRegexp = regexp.MustCompile(`^E[A-Z0-9]{2,}$`)
	slackAppIDRegexp        = regexp.MustCompile(`^A[A-Z0-9]{2,}$`)
)

// identityFormsDoc documents what approvers accepts.
const identityFormsDoc = "Slack user ids (`U…` or `W…`), e-mail addresses (verified by the identity provider, the Slack profile or the API token), " +
	"`sso:<value>` (the single sign-on `identity_claim` when it is not `email`) or `api:<value>` (the API token's `identity_claim` when it is not `email`)"

// identityValidator checks that a string is an identity approval.ParseIdentity
// accepts.
type identityValidator struct{}

var _ validator.String = identityValidator{}

func (identityValidator) Description(context.Context) string {
	return "must be a Slack user id (U…/W…), an e-mail address, sso:<value> or api:<value>"
}

func (v identityValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (identityValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := approval.ParseIdentity(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Approver Identity",
			fmt.Sprintf("%s must be a verifiable identity: a Slack user id such as U024BE7LH, an e-mail address such as alice@example.com, "+
				"sso:<value> or api:<value>. A display name identifies nobody. Original Error: %s", req.Path, err))
	}
}

// groupNameValidator checks an approver group: not empty, no comma (the
// handlers' configuration joins groups with commas), no surrounding space.
type groupNameValidator struct{}

var _ validator.String = groupNameValidator{}

func (groupNameValidator) Description(context.Context) string {
	return "must be a group name without commas or surrounding white space"
}

func (v groupNameValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (groupNameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	g := req.ConfigValue.ValueString()
	if g == "" || strings.TrimSpace(g) != g || strings.Contains(g, ",") {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Approver Group",
			fmt.Sprintf("%s must be a group name as the identity provider's groups claim carries it, without commas or surrounding white space, got %q.", req.Path, g))
	}
}

// linksProveIdentity reports whether the gate's links prove who decides:
// true when a single sign-on (sso) block puts a login in front of every
// link (an unknown sso counts as present: it will be set).
func linksProveIdentity(m gateResourceModel) bool {
	return !m.SSO.IsNull()
}

// validateIdentity refuses, at plan time, every configuration in which an
// identity control would be silently unenforced: links that can approve and
// cannot prove identity, with approvers, approver_groups, min_approvals > 1
// or the self-approval ban; approver_groups without single sign-on; a Slack
// app counted as identity without the workspace it must come from.
// Unknown values are not checked.
func validateIdentity(ctx context.Context, cfg gateResourceModel, diags *diag.Diagnostics) {
	known := func(v interface{ IsUnknown() bool }) bool { return !v.IsUnknown() }
	if !known(cfg.Approvers) || !known(cfg.ApproverGroups) || !known(cfg.MinApprovals) ||
		!known(cfg.AllowSelfApproval) || !known(cfg.LinkDecisions) || !known(cfg.Slack) {
		return
	}
	hasSSO := linksProveIdentity(cfg)

	if !cfg.ApproverGroups.IsNull() && len(cfg.ApproverGroups.Elements()) > 0 && !hasSSO {
		diags.AddAttributeError(path.Root("approver_groups"), "Approver Groups Need Single Sign-On",
			"approver_groups matches the groups claim of the single sign-on identity provider, and this gate has no sso block, "+
				"so no vote could ever carry a group. Add an sso block, or list people in approvers instead of approver_groups.")
	}

	type control struct {
		attr, what, drop string
	}
	var controls []control
	if !cfg.Approvers.IsNull() && len(cfg.Approvers.Elements()) > 0 {
		controls = append(controls, control{"approvers", "approvers limits who may decide",
			"remove approvers to let anyone who holds a link decide"})
	}
	if !cfg.ApproverGroups.IsNull() && len(cfg.ApproverGroups.Elements()) > 0 {
		controls = append(controls, control{"approver_groups", "approver_groups limits who may decide",
			"remove approver_groups"})
	}
	if minApprovals := cfg.MinApprovals.ValueInt64(); !cfg.MinApprovals.IsNull() && minApprovals > 1 {
		controls = append(controls, control{"min_approvals", fmt.Sprintf("min_approvals = %d needs %d distinct people", minApprovals, minApprovals),
			"set min_approvals = 1"})
	}
	if cfg.AllowSelfApproval.IsNull() || !cfg.AllowSelfApproval.ValueBool() {
		controls = append(controls, control{"allow_self_approval",
			"allow_self_approval = false (the default) bans the requester from approving their own request",
			"set allow_self_approval = true to let the requester approve their own request"})
	}
	if len(controls) == 0 {
		return
	}

	linkDecisions := cfg.LinkDecisions.ValueString()
	if linkDecisions == "" {
		linkDecisions = approval.LinkDecisionsAny
	}
	if linkDecisions == approval.LinkDecisionsAny && !hasSSO {
		for _, c := range controls {
			diags.AddAttributeError(path.Root(c.attr), "Identity Control Not Enforceable Through Links",
				fmt.Sprintf("%s, but this gate's links (e-mail, SMS, Slack webhook and workflow, the generic webhook) can approve "+
					"(link_decisions = %q) and a link is a bearer token: it proves only that someone holds it, not who they are, "+
					"so whoever it is forwarded to could approve as anyone and %s would not be enforced. Do one of: "+
					"add an sso block so that every link asks for a sign-in; "+
					"decide in the Slack app (slack.format = \"app\", which knows the clicking user) and set link_decisions = %q (links can only reject) or %q (links only inform); "+
					"set link_decisions = %q or %q; "+
					"or %s.",
					c.what, approval.LinkDecisionsAny, c.attr,
					approval.LinkDecisionsRejectOnly, approval.LinkDecisionsNone,
					approval.LinkDecisionsRejectOnly, approval.LinkDecisionsNone, c.drop))
		}
	}

	// A Slack app click counts as a verified identity only from the gate's
	// own workspace.
	if cfg.Slack.IsNull() {
		return
	}
	var s gateSlackModel
	diags.Append(cfg.Slack.As(ctx, &s, objectAsOptions)...)
	if s.Format.IsUnknown() || s.BotToken.IsUnknown() || s.TeamID.IsUnknown() {
		return
	}
	if effectiveSlackFormat(s.Format.ValueString(), !s.BotToken.IsNull()) == approval.SlackFormatApp && s.TeamID.IsNull() {
		names := make([]string, len(controls))
		for i, c := range controls {
			names[i] = c.attr
		}
		diags.AddAttributeError(path.Root("slack").AtName("team_id"), "Missing Slack Workspace",
			fmt.Sprintf("The Slack app (format \"app\") counts each click as its Slack user for %s, so the gate must know which workspace "+
				"its clicks may come from: set slack.team_id to the workspace id (T…, shown in the app's settings and in the workspace's URL "+
				"app.slack.com/client/T…), and slack.enterprise_id on Enterprise Grid. Clicks from any other workspace are then refused.",
				strings.Join(names, ", ")))
	}
}

// typesString is a shorthand for the model's optional strings.
func optionalString(v types.String) string {
	if v.IsNull() || v.IsUnknown() {
		return ""
	}
	return v.ValueString()
}
