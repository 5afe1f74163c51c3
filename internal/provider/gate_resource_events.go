package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// The decision events (events) and the follow-ups of channels whose
// messages cannot be edited (notify_on_decision): approval/events.go and
// internal/lambda/finalize.go.

func eventsSchemaAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: fmt.Sprintf("Puts an event on Amazon EventBridge at each step of a request's life: source `%s`, detail types "+
			"`%s`, `%s`, `%s`, `%s` and `%s`. The detail is a versioned JSON schema (`schema_version = \"%s\"`, documented in "+
			"[`docs/events/v1.schema.json`](https://github.com/manualapproval/terraform-provider-manualapproval/blob/main/docs/events/v1.schema.json)): "+
			"gate, request and execution ids, title, requester, status, and for a decision who decided (identities, names, channel), when, "+
			"the comment and the inputs; never the task token and never a decision link. Both functions may `events:PutEvents` on this bus only. "+
			"An event that cannot be put is logged and never fails a decision. Defaults to no events.",
			approval.EventSource, approval.EventRequested, approval.EventReminded, approval.EventEscalated, approval.EventDecided,
			approval.EventExpired, approval.EventSchemaVersion),
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"bus_name": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Name of the event bus in the gate's account and region, or the ARN of a bus in the gate's region "+
					"(`arn:aws:events:<region>:<account>:event-bus/<name>`, e.g. a central bus of another account whose resource policy "+
					"lets the gate's roles put events). Defaults to `%s`, the account's default bus.", approval.DefaultEventBusName),
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(approval.DefaultEventBusName),
				Validators: []validator.String{eventBusValidator{}},
			},
		},
	}
}

func notifyOnDecisionAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: "Whether channels whose messages cannot be edited get a short follow-up once a request is decided or expires: " +
			"the Slack incoming webhook (`format = \"blocks\"`) and workflow post \"Approved by …\", \"Rejected by …\", \"Expired\" or " +
			"\"Execution stopped\", and the SNS topic gets a decision notice. The Slack app's messages are always updated in place, and the " +
			"generic webhook always receives `approval.decided` and `approval.expired`. Sent once per request. Defaults to `false`.",
		Optional: true,
		Computed: true,
		Default:  booldefault.StaticBool(false),
	}
}

// gateEventsAttrTypes are the events attribute's types.
var gateEventsAttrTypes = map[string]attr.Type{"bus_name": types.StringType}

// gateEventsModel is the events attribute.
type gateEventsModel struct {
	BusName types.String `tfsdk:"bus_name"`
}

// eventBusValidator refuses what PutEvents would refuse as an EventBusName.
type eventBusValidator struct{}

func (eventBusValidator) Description(context.Context) string {
	return "must be an event bus name or an event bus ARN"
}

func (v eventBusValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (eventBusValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := approval.CheckEventBus(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Event Bus",
			fmt.Sprintf("events.bus_name %q %s. Use the name of a bus of the gate's account and region (\"default\" for the "+
				"account's default bus), or the full ARN of a bus.", req.ConfigValue.ValueString(), err.Error()))
	}
}

// eventsSpec builds the events and notify_on_decision part of the
// gate's follow-up settings.
func eventsSpec(ctx context.Context, m gateResourceModel, f *approval.Followup, diags *diag.Diagnostics) {
	f.NotifyOnDecision = m.NotifyOnDecision.ValueBool()
	f.Events = nil
	if m.Events.IsNull() || m.Events.IsUnknown() {
		return
	}
	var e gateEventsModel
	diags.Append(m.Events.As(ctx, &e, objectAsOptions)...)
	f.Events = &approval.Events{BusName: stringOrDefault(e.BusName, approval.DefaultEventBusName)}
}

// eventsObject is the events attribute of an imported gate.
func eventsObject(e *approval.Events) types.Object {
	if e == nil {
		return types.ObjectNull(gateEventsAttrTypes)
	}
	bus := e.BusName
	if bus == "" {
		bus = approval.DefaultEventBusName
	}
	return types.ObjectValueMust(gateEventsAttrTypes, map[string]attr.Value{"bus_name": types.StringValue(bus)})
}
