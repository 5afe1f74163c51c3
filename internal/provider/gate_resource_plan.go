// The manualapproval_gate resource: its validation and plan modification
// (gate_resource.go has its operations).

package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

func (r *gateResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg gateResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}

	if !cfg.Slack.IsNull() && !cfg.Slack.IsUnknown() {
		var s gateSlackModel
		resp.Diagnostics.Append(cfg.Slack.As(ctx, &s, objectAsOptions)...)
		if resp.Diagnostics.HasError() {
			return
		}
		validateSlack(s, &resp.Diagnostics)
	}
	if !cfg.SSO.IsNull() && !cfg.SSO.IsUnknown() {
		var s gateSSOModel
		resp.Diagnostics.Append(cfg.SSO.As(ctx, &s, objectAsOptions)...)
		if resp.Diagnostics.HasError() {
			return
		}
		validateSSO(ctx, s, &resp.Diagnostics)
	}
	validateIdentity(ctx, cfg, &resp.Diagnostics)
	validateEscalation(ctx, cfg, &resp.Diagnostics)

	validateInputs(ctx, cfg.Inputs, &resp.Diagnostics)
	validateAPI(ctx, cfg, &resp.Diagnostics)
	validateFollowup(ctx, cfg, &resp.Diagnostics)
	validateWriteOnlySecrets(cfg, &resp.Diagnostics)
	warnGateReach(ctx, cfg, &resp.Diagnostics)

	if !cfg.MinApprovals.IsNull() && !cfg.MinApprovals.IsUnknown() && !cfg.Approvers.IsNull() && !cfg.Approvers.IsUnknown() {
		n := len(cfg.Approvers.Elements())
		if minApprovals := cfg.MinApprovals.ValueInt64(); n > 0 && minApprovals > int64(n) {
			resp.Diagnostics.AddAttributeError(path.Root("min_approvals"), "Invalid Attribute Combination",
				fmt.Sprintf("min_approvals (%d) is greater than the number of approvers (%d): no request could ever be approved. "+
					"Lower min_approvals, add approvers, or remove approvers to let anyone decide.", minApprovals, n))
		}
	}
	validatePolicySize(ctx, cfg, &resp.Diagnostics)
	validateConfigDocSize(ctx, cfg, &resp.Diagnostics)
}

// validateSlack checks the combination of the slack attributes. Unknown
// values are not checked.
func validateSlack(s gateSlackModel, diags *diag.Diagnostics) {
	if s.Format.IsUnknown() {
		return
	}
	root := path.Root("slack")
	// A secret counts as set in either form; unknown counts as set. A
	// missing secret is checked when the gate is created
	// (planWriteOnlySecrets): an imported gate keeps its stored secrets.
	webhookURL := orWriteOnly(s.WebhookURL, s.WebhookURLWO)
	botToken := orWriteOnly(s.BotToken, s.BotTokenWO)
	signingSecret := orWriteOnly(s.SigningSecret, s.SigningSecretWO)
	if s.Format.IsNull() && set(webhookURL) && set(botToken) {
		diags.AddAttributeError(root.AtName("bot_token"), "Invalid Attribute Combination",
			"slack.webhook_url and slack.bot_token cannot be used together: webhook_url is for the formats \"blocks\" and \"workflow\", "+
				"bot_token (with channel and signing_secret) for the format \"app\". Remove one of them.")
		return
	}
	format := effectiveSlackFormat(s.Format.ValueString(), set(botToken))

	switch format {
	case approval.SlackFormatBlocks, approval.SlackFormatWorkflow:
		for _, a := range []struct {
			name string
			v    types.String
		}{
			{"bot_token", botToken}, {"channel", s.Channel}, {"signing_secret", signingSecret},
			// The app's clicks are checked against these: a webhook has no clicks.
			{"team_id", s.TeamID}, {"enterprise_id", s.EnterpriseID}, {"app_id", s.AppID},
		} {
			if set(a.v) {
				diags.AddAttributeError(root.AtName(a.name), "Invalid Attribute Combination",
					fmt.Sprintf("slack.%s is only used with format \"app\", but the format is %q, which posts to webhook_url. "+
						"Remove slack.%s, or set format = \"app\" and remove webhook_url.", a.name, format, a.name))
			}
		}
	case approval.SlackFormatApp:
		if set(webhookURL) {
			diags.AddAttributeError(root.AtName("webhook_url"), "Invalid Attribute Combination",
				"slack.webhook_url cannot be used with format \"app\", which posts with bot_token to channel. "+
					"Remove webhook_url, or use format \"blocks\" or \"workflow\" without bot_token.")
		}
		if !set(s.Channel) {
			diags.AddAttributeError(root.AtName("channel"), "Missing Slack App Attribute",
				"The Slack format \"app\" needs bot_token, channel and signing_secret: set slack.channel.")
		}
	}
}

// effectiveSlackFormat is format, or its default: "app" with a bot token,
// else "blocks".
func effectiveSlackFormat(format string, hasBotToken bool) string {
	switch {
	case format != "":
		return format
	case hasBotToken:
		return approval.SlackFormatApp
	default:
		return approval.SlackFormatBlocks
	}
}

func (r *gateResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or validation without a configured provider
	}
	if refuseUnknownAccount(r.data, &resp.Diagnostics) {
		return
	}
	var plan gateResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *gateResourceModel
	if !req.State.Raw.IsNull() {
		state = &gateResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}

	// (a) The embedded bundle: new handler code is an in-place update.
	if plan.LambdaArchitecture.IsUnknown() {
		plan.BundleSHA256 = types.StringUnknown()
	} else {
		arch := plan.LambdaArchitecture.ValueString()
		sum, err := r.data.BundleSHA256(arch)
		if err != nil {
			resp.Diagnostics.AddError("Lambda Bundle Missing",
				fmt.Sprintf("The Lambda deployment package for %s is not embedded in this build of the provider, so no gate can be deployed. "+
					"This is always a bug in the provider and should be reported to the provider developers.\n\nOriginal Error: %s", arch, err))
			return
		}
		plan.BundleSHA256 = types.StringValue(sum)
	}

	// A secret the wiring needs is set when the gate is created.
	planWriteOnlySecrets(ctx, req.Config, state == nil, &resp.Diagnostics)

	// (b) Create and Update converge every part: no drift after apply.
	plan.Drift = listOf(nil)

	// (c) tags_all.
	if r.data.DefaultTagsUnknown || !isFullyKnown(ctx, plan.Tags) {
		plan.TagsAll = types.MapUnknown(types.StringType)
	} else {
		tags := stringMap(ctx, plan.Tags, &resp.Diagnostics)
		plan.TagsAll = mapOf(mergeTags(r.data.DefaultTags, tags))
	}

	// (d) Computed values whose inputs change.
	if state != nil {
		// Repairing drift re-creates missing parts under the same names, so
		// their ARNs (and the task state and policy built from them) stay;
		// only a re-created API gets a new id, and with it a new URL.
		if gate.DriftRecreatesAPI(stringList(ctx, state.Drift, &resp.Diagnostics)) {
			plan.APIID = types.StringUnknown()
			if plan.CallbackBaseURL.IsNull() {
				plan.CallbackURL = types.StringUnknown()
			}
		}
		if !plan.TimeoutSeconds.Equal(state.TimeoutSeconds) || !plan.IncludeExecutionContext.Equal(state.IncludeExecutionContext) {
			plan.TaskStateJSON = types.StringUnknown()
		}
		if !plan.CallbackBaseURL.Equal(state.CallbackBaseURL) {
			plan.CallbackURL = types.StringUnknown()
		}
	}
	plan.SSORedirectURI = ssoRedirectURI(plan.CallbackURL)

	plan.APIURL = planAPIURL(plan.API, plan.CallbackURL)

	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}
