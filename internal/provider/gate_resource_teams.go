package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// The teams block: a Microsoft Teams channel, reached through a Teams
// Workflows "Post to a channel when a webhook request is received" URL. The
// URL carries its own authorisation (the sig query parameter), so it is a
// secret with a write-only form (gate_resource_writeonly.go).

// teamsSchemaAttribute is the schema of teams. addWriteOnlySecrets adds
// webhook_url_wo and webhook_url_wo_version.
func teamsSchemaAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Microsoft Teams: each request is posted as an Adaptive Card (title, text, context fields, requester, expiry, and " +
			"Approve and Reject buttons opening the confirm page, through the single sign-on when `sso` is set) to a Teams Workflows URL: in Teams, " +
			"a channel's **Workflows**, template *Post to a channel when a webhook request is received*. Reminders and decisions follow as cards of their own " +
			"(a posted card cannot be edited through that URL). Set `webhook_url_wo` (preferred) or `webhook_url`.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"webhook_url": schema.StringAttribute{
				MarkdownDescription: "The Workflows URL (`https://…logic.azure.com/workflows/…` or `https://…powerplatform.com/…`). Anyone holding it can post " +
					"to the channel: it is stored in an SSM SecureString parameter, never in the functions' environment. Must use https " +
					"(http only for a loopback host, which the deployed notifier refuses all the same: only the local test harness lets it through). " +
					"Redirects are not followed.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{urlValidator{sensitive: true}},
			},
		},
	}
}

// gateTeamsAttrTypes are the attribute types of teams.
var gateTeamsAttrTypes = map[string]attr.Type{
	"webhook_url":            types.StringType,
	"webhook_url_wo":         types.StringType,
	"webhook_url_wo_version": types.Int64Type,
}

// teamsSpec is the gate's Teams wiring; nil without a teams block. The URL
// is "" when only the write-only form is set (applyWriteOnlySecrets writes
// it when its version changes).
func teamsSpec(ctx context.Context, o types.Object, diags *diag.Diagnostics) *gate.TeamsSpec {
	if o.IsNull() || o.IsUnknown() {
		return nil
	}
	var t gateTeamsModel
	diags.Append(o.As(ctx, &t, objectAsOptions)...)
	return &gate.TeamsSpec{WebhookURL: t.WebhookURL.ValueString()}
}

// teamsObject is the state of an imported gate's teams block: the URL
// cannot be read back.
func teamsObject(t *gate.TeamsSpec) types.Object {
	if t == nil {
		return types.ObjectNull(gateTeamsAttrTypes)
	}
	return types.ObjectValueMust(gateTeamsAttrTypes, map[string]attr.Value{
		"webhook_url":            nullIfEmpty(t.WebhookURL),
		"webhook_url_wo":         types.StringNull(),
		"webhook_url_wo_version": types.Int64Null(),
	})
}

// gateTeamsModel is the teams attribute.
type gateTeamsModel struct {
	WebhookURL types.String `tfsdk:"webhook_url"`

	// Write-only form (gate_resource_writeonly.go).
	WebhookURLWO        types.String `tfsdk:"webhook_url_wo"`
	WebhookURLWOVersion types.Int64  `tfsdk:"webhook_url_wo_version"`
}
