package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// What happens while nobody answers: reminders and the last call. The
// gate's sweep (every minute) sends them; the checks here say at plan time
// what it could not keep.

// defaultMaxReminders is reminders.max when not set.
const defaultMaxReminders = 3

// minFollowupSeconds is the shortest delay of a follow-up: the sweep runs
// once a minute.
const minFollowupSeconds = approval.MinReminderEverySeconds

func remindersSchemaAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Reminders: while a request waits, its channels are notified again, the first time `after_seconds` after the request, " +
			"then every `every_seconds`, at most `max` times, and never at or after the expiry (nor, with `warn_before_expiry_seconds`, at or after the last call). " +
			"The Slack app replies in the request's thread mentioning the `approvers` who are Slack users; an incoming webhook or workflow gets a new short message " +
			"with the links; e-mail and SMS subscribers get a reminder with the links; the `webhook` gets an `approval.reminded` event, signed like every delivery. " +
			"The gate's sweep, which runs every minute, sends them, so a reminder comes up to a minute late; a sweep that missed several sends one. " +
			"A decided or expired request gets none. Defaults to none.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"after_seconds": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Seconds from the request to its first reminder: at least `%d`, and less than `timeout_seconds`.", minFollowupSeconds),
				Required:            true,
			},
			"every_seconds": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Seconds between reminders: at least `%d` (the sweep runs once a minute).", approval.MinReminderEverySeconds),
				Required:            true,
			},
			"max": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Most reminders a request gets. Defaults to `%d`; between `1` and `%d`.", defaultMaxReminders, approval.MaxReminders),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(defaultMaxReminders),
			},
		},
	}
}

func warnBeforeExpiryAttribute() schema.Int64Attribute {
	return schema.Int64Attribute{
		MarkdownDescription: fmt.Sprintf("Sends one last call this many seconds before a request expires, to the same channels as `reminders` "+
			"(\"Last call: expires in 10 minutes, at …\"; in Slack it is also shown in the channel). It replaces a reminder due at the same time, "+
			"and no reminder follows it. At least `%d`, and less than `timeout_seconds`. Defaults to none.", minFollowupSeconds),
		Optional: true,
	}
}

// gateRemindersAttrTypes are the attribute types of reminders.
var gateRemindersAttrTypes = map[string]attr.Type{
	"after_seconds": types.Int64Type,
	"every_seconds": types.Int64Type,
	"max":           types.Int64Type,
}

// gateRemindersModel is the reminders attribute.
type gateRemindersModel struct {
	AfterSeconds types.Int64 `tfsdk:"after_seconds"`
	EverySeconds types.Int64 `tfsdk:"every_seconds"`
	Max          types.Int64 `tfsdk:"max"`
}

// validateFollowup checks reminders and warn_before_expiry_seconds against
// the sweep's minute and the request's life. Unknown values are not judged.
func validateFollowup(ctx context.Context, cfg gateResourceModel, diags *diag.Diagnostics) {
	timeout := int64(defaultTimeoutSeconds)
	timeoutKnown := !cfg.TimeoutSeconds.IsUnknown()
	if !cfg.TimeoutSeconds.IsNull() {
		timeout = cfg.TimeoutSeconds.ValueInt64()
	}
	warn := cfg.WarnBeforeExpirySeconds
	if !cfg.Reminders.IsNull() || !warn.IsNull() {
		warnFollowupReach(cfg, diags)
	}
	if !warn.IsNull() && !warn.IsUnknown() {
		p := path.Root("warn_before_expiry_seconds")
		switch w := warn.ValueInt64(); {
		case w < minFollowupSeconds:
			diags.AddAttributeError(p, "Invalid Last Call",
				fmt.Sprintf("warn_before_expiry_seconds is %d, but the gate's sweep runs once a minute and could not keep a warning shorter than %d seconds. "+
					"Set warn_before_expiry_seconds to %d or more, or remove it.", w, minFollowupSeconds, minFollowupSeconds))
		case timeoutKnown && w >= timeout:
			diags.AddAttributeError(p, "Invalid Last Call",
				fmt.Sprintf("warn_before_expiry_seconds (%d) is not less than timeout_seconds (%d): the last call would come before the request itself. "+
					"Lower warn_before_expiry_seconds below %d, raise timeout_seconds, or remove warn_before_expiry_seconds.", w, timeout, timeout))
		}
	}
	if cfg.Reminders.IsNull() || cfg.Reminders.IsUnknown() {
		return
	}
	var rm gateRemindersModel
	diags.Append(cfg.Reminders.As(ctx, &rm, objectAsOptions)...)
	if diags.HasError() {
		return
	}
	root := path.Root("reminders")
	if v := rm.EverySeconds; !v.IsNull() && !v.IsUnknown() && v.ValueInt64() < approval.MinReminderEverySeconds {
		diags.AddAttributeError(root.AtName("every_seconds"), "Invalid Reminders",
			fmt.Sprintf("reminders.every_seconds is %d, but the gate's sweep runs once a minute and could not remind more often than every %d seconds. "+
				"Set reminders.every_seconds to %d or more.", v.ValueInt64(), approval.MinReminderEverySeconds, approval.MinReminderEverySeconds))
	}
	if v := rm.Max; !v.IsNull() && !v.IsUnknown() && (v.ValueInt64() < 1 || v.ValueInt64() > approval.MaxReminders) {
		diags.AddAttributeError(root.AtName("max"), "Invalid Reminders",
			fmt.Sprintf("reminders.max is %d: a request gets between 1 and %d reminders. Set reminders.max in that range, or remove reminders.",
				v.ValueInt64(), approval.MaxReminders))
	}
	after := rm.AfterSeconds
	if after.IsNull() || after.IsUnknown() {
		return
	}
	a := after.ValueInt64()
	switch {
	case a < minFollowupSeconds:
		diags.AddAttributeError(root.AtName("after_seconds"), "Invalid Reminders",
			fmt.Sprintf("reminders.after_seconds is %d, but the gate's sweep runs once a minute and could not remind sooner than %d seconds after the request. "+
				"Set reminders.after_seconds to %d or more.", a, minFollowupSeconds, minFollowupSeconds))
	case timeoutKnown && a >= timeout:
		diags.AddAttributeError(root.AtName("after_seconds"), "Invalid Reminders",
			fmt.Sprintf("reminders.after_seconds (%d) is not less than timeout_seconds (%d): the request expires before its first reminder, so none would be sent. "+
				"Lower reminders.after_seconds below %d, raise timeout_seconds, or remove reminders.", a, timeout, timeout))
	case timeoutKnown && !warn.IsNull() && !warn.IsUnknown() && warn.ValueInt64() < timeout && a >= timeout-warn.ValueInt64():
		diags.AddAttributeWarning(root.AtName("after_seconds"), "Reminders Never Sent",
			fmt.Sprintf("The first reminder (after %d seconds) comes at or after the last call (%d seconds before the expiry at %d seconds), "+
				"and no reminder follows the last call: only the last call will be sent. Lower reminders.after_seconds below %d, or remove reminders.",
				a, warn.ValueInt64(), timeout, timeout-warn.ValueInt64()))
	}
}

// warnFollowupReach warns when reminders or a last call are set but the
// gate has no channel to send them to.
func warnFollowupReach(cfg gateResourceModel, diags *diag.Diagnostics) {
	for _, v := range []interface{ IsUnknown() bool }{cfg.Slack, cfg.Webhook, cfg.EmailAddresses, cfg.SMSNumbers} {
		if v.IsUnknown() {
			return
		}
	}
	empty := func(s types.Set) bool { return s.IsNull() || len(s.Elements()) == 0 }
	if cfg.Slack.IsNull() && cfg.Webhook.IsNull() && empty(cfg.EmailAddresses) && empty(cfg.SMSNumbers) {
		p := path.Root("reminders")
		if cfg.Reminders.IsNull() {
			p = path.Root("warn_before_expiry_seconds")
		}
		diags.AddAttributeWarning(p, "Reminders Reach Nobody",
			"reminders or warn_before_expiry_seconds is set, but the gate has no slack, webhook, email_addresses or sms_numbers to send them to: "+
				"they go only to whatever subscribes to the gate's topic_arn outside this configuration. "+
				"Add a channel, or remove reminders and warn_before_expiry_seconds.")
	}
}

// remindersSpec sets the reminders and the last call of the gate's Spec.
func remindersSpec(ctx context.Context, m gateResourceModel, spec *gate.Spec, diags *diag.Diagnostics) {
	if !m.WarnBeforeExpirySeconds.IsNull() && !m.WarnBeforeExpirySeconds.IsUnknown() {
		spec.Followup.WarnBeforeExpirySeconds = m.WarnBeforeExpirySeconds.ValueInt64()
	}
	if m.Reminders.IsNull() || m.Reminders.IsUnknown() {
		return
	}
	var rm gateRemindersModel
	diags.Append(m.Reminders.As(ctx, &rm, objectAsOptions)...)
	spec.Followup.Reminders = &approval.Reminders{
		AfterSeconds: rm.AfterSeconds.ValueInt64(),
		EverySeconds: rm.EverySeconds.ValueInt64(),
		Max:          int(int64OrDefault(rm.Max, defaultMaxReminders)),
	}
}

// remindersModel sets the reminders and the last call of an imported gate's
// state.
func remindersModel(spec gate.Spec, m *gateResourceModel) {
	m.WarnBeforeExpirySeconds = types.Int64Null()
	if spec.Followup.WarnBeforeExpirySeconds > 0 {
		m.WarnBeforeExpirySeconds = types.Int64Value(spec.Followup.WarnBeforeExpirySeconds)
	}
	m.Reminders = types.ObjectNull(gateRemindersAttrTypes)
	if rm := spec.Followup.Reminders; rm != nil {
		m.Reminders = types.ObjectValueMust(gateRemindersAttrTypes, map[string]attr.Value{
			"after_seconds": types.Int64Value(rm.AfterSeconds),
			"every_seconds": types.Int64Value(rm.EverySeconds),
			"max":           types.Int64Value(int64(rm.Max)),
		})
	}
}
