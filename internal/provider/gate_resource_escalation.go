package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// The escalation attribute (the reminders issue, item 3): steps that notify
// more people when nobody has decided after a delay, and may let more
// people decide from then on.

func escalationSchemaAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		MarkdownDescription: fmt.Sprintf("Escalation steps, in order, at most %d: when nobody has decided a request `after_seconds` after it was made, "+
			"the step notifies its `slack_channel`, `email_addresses` and `webhook_url` (and the gate's `webhook` receives an `approval.escalated` event), "+
			"each once; its `approvers` may decide from then on, under the same verified-identity rules as the gate's own `approvers`. "+
			"The gate's scheduled sweep runs once a minute, so a step comes up to a minute late. Defaults to none.", approval.MaxEscalationSteps),
		Optional: true,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"after_seconds": schema.Int64Attribute{
				MarkdownDescription: "Seconds after the request was made when the step comes: greater than the previous step's and less than `timeout_seconds`.",
				Required:            true,
			},
			"slack_channel": schema.StringAttribute{
				MarkdownDescription: "Slack channel id (e.g. `C0123456789`) where the request is posted again, with its buttons, mentioning the step's approvers. " +
					"Needs the Slack app wiring (`slack.format = \"app\"`), whose bot must be in the channel.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, 80)},
			},
			"email_addresses": schema.SetAttribute{
				MarkdownDescription: "E-mail addresses notified at this step, through the gate's escalation topic `<name>-escalation` " +
					"(one subscription per address, filtered on the steps that name it; each recipient confirms once).",
				Optional:    true,
				ElementType: types.StringType,
				Validators: []validator.Set{setvalidator.ValueStringsAre(
					stringvalidator.RegexMatches(emailRegexp, "must be an e-mail address such as oncall@example.com"),
				)},
			},
			"webhook_url": schema.StringAttribute{
				MarkdownDescription: "Slack incoming-webhook URL that receives the request again, with its links. A secret: kept in the gate's " +
					"`escalation-webhooks` SSM SecureString parameter. Must use https.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{urlValidator{sensitive: true}},
			},
			"approvers": schema.SetAttribute{
				MarkdownDescription: "Who may also decide from this step on, by verified identity: " + identityFormsDoc + ". " +
					"Needs the gate's own `approvers` or `approver_groups` (without them anyone may already decide) and a channel that verifies " +
					"identities (the Slack app, `sso` or `api`).",
				Optional:    true,
				ElementType: types.StringType,
				Validators:  []validator.Set{setvalidator.ValueStringsAre(identityValidator{})},
			},
		}},
	}
}

// gateEscalationModel is one escalation step.
type gateEscalationModel struct {
	AfterSeconds   types.Int64  `tfsdk:"after_seconds"`
	SlackChannel   types.String `tfsdk:"slack_channel"`
	EmailAddresses types.Set    `tfsdk:"email_addresses"`
	WebhookURL     types.String `tfsdk:"webhook_url"`
	Approvers      types.Set    `tfsdk:"approvers"`
}

// gateEscalationAttrTypes are the attribute types of one step.
var gateEscalationAttrTypes = map[string]attr.Type{
	"after_seconds":   types.Int64Type,
	"slack_channel":   types.StringType,
	"email_addresses": types.SetType{ElemType: types.StringType},
	"webhook_url":     types.StringType,
	"approvers":       types.SetType{ElemType: types.StringType},
}

// escalationSpecs are the steps of the escalation attribute.
func escalationSpecs(ctx context.Context, v types.List, diags *diag.Diagnostics) []gate.EscalationSpec {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	var steps []gateEscalationModel
	diags.Append(v.ElementsAs(ctx, &steps, false)...)
	out := make([]gate.EscalationSpec, 0, len(steps))
	for _, s := range steps {
		out = append(out, gate.EscalationSpec{
			AfterSeconds:   s.AfterSeconds.ValueInt64(),
			SlackChannel:   optionalString(s.SlackChannel),
			EmailAddresses: stringSet(ctx, s.EmailAddresses, diags),
			WebhookURL:     optionalString(s.WebhookURL),
			Approvers:      stringSet(ctx, s.Approvers, diags),
		})
	}
	return out
}

// escalationValue is the escalation attribute of an imported gate: the
// webhook URLs, secrets, cannot be read back.
func escalationValue(steps []gate.EscalationSpec) types.List {
	elemType := types.ObjectType{AttrTypes: gateEscalationAttrTypes}
	if len(steps) == 0 {
		return types.ListNull(elemType)
	}
	elems := make([]attr.Value, 0, len(steps))
	for _, s := range steps {
		orNullSet := func(v []string) types.Set {
			if len(v) == 0 {
				return types.SetNull(types.StringType)
			}
			return setOf(v)
		}
		elems = append(elems, types.ObjectValueMust(gateEscalationAttrTypes, map[string]attr.Value{
			"after_seconds":   types.Int64Value(s.AfterSeconds),
			"slack_channel":   stringOrNull(s.SlackChannel),
			"email_addresses": orNullSet(s.EmailAddresses),
			"webhook_url":     types.StringNull(),
			"approvers":       orNullSet(s.Approvers),
		}))
	}
	return types.ListValueMust(elemType, elems)
}

// validateEscalation refuses at plan time the escalation steps the sweep
// could not keep or that would mean nothing: more than
// approval.MaxEscalationSteps, steps out of order or at or after the
// timeout, a step that notifies nobody, a Slack channel without the Slack
// app, and step approvers that a gate letting anyone decide, or no channel
// able to verify them, would make meaningless. Unknown values are not
// judged.
func validateEscalation(ctx context.Context, cfg gateResourceModel, diags *diag.Diagnostics) {
	if cfg.Escalation.IsNull() || cfg.Escalation.IsUnknown() {
		return
	}
	var steps []gateEscalationModel
	if d := cfg.Escalation.ElementsAs(ctx, &steps, false); d.HasError() {
		diags.Append(d...)
		return
	}
	root := path.Root("escalation")
	if len(steps) > approval.MaxEscalationSteps {
		diags.AddAttributeError(root, "Too Many Escalation Steps",
			fmt.Sprintf("escalation has %d steps; a gate takes at most %d. Merge steps (a step can notify a channel, e-mail addresses and a webhook at once).",
				len(steps), approval.MaxEscalationSteps))
	}
	timeout := int64OrDefault(cfg.TimeoutSeconds, defaultTimeoutSeconds)
	app, appKnown := gateSlackApp(ctx, cfg)
	var prev int64
	for i, s := range steps {
		at := root.AtListIndex(i)
		if !s.AfterSeconds.IsUnknown() {
			after := s.AfterSeconds.ValueInt64()
			switch {
			case after <= 0:
				diags.AddAttributeError(at.AtName("after_seconds"), "Invalid Escalation Step",
					fmt.Sprintf("escalation[%d].after_seconds is %d: a step comes a positive number of seconds after the request was made.", i, after))
			case i > 0 && after <= prev:
				diags.AddAttributeError(at.AtName("after_seconds"), "Escalation Steps Out of Order",
					fmt.Sprintf("escalation[%d].after_seconds (%d) is not greater than escalation[%d].after_seconds (%d): steps come in the order they are listed, "+
						"each strictly later than the one before. Sort the steps by after_seconds.", i, after, i-1, prev))
			}
			if !cfg.TimeoutSeconds.IsUnknown() && after >= timeout {
				diags.AddAttributeError(at.AtName("after_seconds"), "Escalation Step After the Timeout",
					fmt.Sprintf("escalation[%d].after_seconds (%d) is not before timeout_seconds (%d): the request has expired by then, so the step would never come. "+
						"Lower after_seconds or raise timeout_seconds.", i, after, timeout))
			}
			prev = after
		}
		if s.SlackChannel.IsUnknown() || s.EmailAddresses.IsUnknown() || s.WebhookURL.IsUnknown() {
			continue
		}
		if s.SlackChannel.IsNull() && (s.EmailAddresses.IsNull() || len(s.EmailAddresses.Elements()) == 0) && s.WebhookURL.IsNull() {
			diags.AddAttributeError(at, "Escalation Step Notifies Nobody",
				fmt.Sprintf("escalation[%d] has no slack_channel, email_addresses or webhook_url: nobody would hear of it. Add one, or remove the step.", i))
		}
		if !s.SlackChannel.IsNull() && appKnown && !app {
			diags.AddAttributeError(at.AtName("slack_channel"), "Escalation Channel Needs the Slack App",
				fmt.Sprintf("escalation[%d].slack_channel posts the request with its buttons through the Slack app's bot token, and this gate's slack "+
					"block is not the Slack app wiring (format \"app\" with bot_token, channel and signing_secret). Use the Slack app wiring, or notify "+
					"this step with webhook_url (a Slack incoming webhook) instead.", i))
		}
		validateEscalationApprovers(ctx, cfg, i, s, diags)
	}
}

// validateEscalationApprovers checks one step's approvers against the
// gate: they extend an allowlist, so the gate must have one, and they are
// verified identities, so a channel of the gate must verify them.
func validateEscalationApprovers(ctx context.Context, cfg gateResourceModel, i int, s gateEscalationModel, diags *diag.Diagnostics) {
	if s.Approvers.IsNull() || s.Approvers.IsUnknown() || len(s.Approvers.Elements()) == 0 {
		return
	}
	at := path.Root("escalation").AtListIndex(i).AtName("approvers")
	if cfg.Approvers.IsUnknown() || cfg.ApproverGroups.IsUnknown() {
		return
	}
	empty := func(v types.Set) bool { return v.IsNull() || len(v.Elements()) == 0 }
	if empty(cfg.Approvers) && empty(cfg.ApproverGroups) {
		diags.AddAttributeError(at, "Escalation Approvers Without Gate Approvers",
			fmt.Sprintf("escalation[%d].approvers would let more people decide from the step on, but this gate has neither approvers nor approver_groups: "+
				"anyone who receives the request may already decide, so the step's approvers would mean nothing. "+
				"Set the gate's approvers (or approver_groups) to the people who may decide from the start, or remove the step's approvers "+
				"(the step still notifies its channels).", i))
		return
	}
	if ok, known := approversVerifiable(ctx, cfg); known && !ok {
		diags.AddAttributeError(at, "Escalation Approvers Cannot Be Checked",
			fmt.Sprintf("escalation[%d].approvers names people who may decide, but no channel of the gate can tell who decides: only the Slack app wiring "+
				"(slack.format \"app\") checks the clicking user, single sign-on (sso) the person opening a link, and the api block the token's identity; "+
				"a bare link sent by Slack webhook, e-mail, SMS or webhook proves none. Use the Slack app wiring, add sso or api, or remove the step's approvers.", i))
	}
}
