package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Reasons and inputs: require_reason and inputs of manualapproval_gate.

// reasonAndInputsAttributes are the schema attributes require_reason and
// inputs.
func reasonAndInputsAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"require_reason": schema.StringAttribute{
			MarkdownDescription: fmt.Sprintf("When a decision needs a reason (a comment that is not blank): one of %s. "+
				"`%s`: never required; `%s`: a rejection needs one; `%s`: every decision needs one. Defaults to `%s`. "+
				"The confirm page marks the comment as a required reason, the Slack app asks for it in a modal, and a decision without it "+
				"is refused (a 400 page). The reason is the outcome's `comment`.",
				quoted(approval.RequireReasonValues), approval.ReasonNever, approval.ReasonReject, approval.ReasonAlways, approval.ReasonNever),
			Optional:   true,
			Computed:   true,
			Default:    stringdefault.StaticString(approval.ReasonNever),
			Validators: []validator.String{stringvalidator.OneOf(approval.RequireReasonValues...)},
		},
		"inputs": schema.ListNestedAttribute{
			MarkdownDescription: fmt.Sprintf("Values approvers fill in with an approval (a ticket number, a target environment, a "+
				"confirmation), at most %d. The confirm page shows them as fields and the Slack app in a modal; the callback checks them "+
				"and refuses a decision that breaks a rule with a page that says which input and why. The values reach the state machine "+
				"in the task output (and a rejection's cause) under `inputs`, keyed by name: strings and choices as strings, numbers as "+
				"JSON numbers, bools as `true`/`false` (always present). An optional input left empty is absent. A rejection needs no inputs.",
				approval.MaxInputs),
			Optional: true,
			NestedObject: schema.NestedAttributeObject{
				Attributes: map[string]schema.Attribute{
					"name": schema.StringAttribute{
						MarkdownDescription: fmt.Sprintf("Name of the input, its key under `inputs` in the task output: 1 to %d characters, "+
							"a lower-case letter, then lower-case letters, digits and underscores (e.g. `ticket_id`). Names are distinct.",
							approval.MaxInputNameLength),
						Required: true,
					},
					"type": schema.StringAttribute{
						MarkdownDescription: fmt.Sprintf("Type of the value, one of %s: `%s` is one line of at most %d characters, "+
							"`%s` a decimal number, `%s` a checkbox, `%s` one of `choices`.", quoted(approval.InputTypes),
							approval.InputString, approval.MaxInputStringRunes, approval.InputNumber, approval.InputBool, approval.InputChoice),
						Required: true,
					},
					"choices": schema.ListAttribute{
						MarkdownDescription: fmt.Sprintf("The values to choose from: required for, and only for, the type `%s`; "+
							"1 to %d distinct values of 1 to %d characters.", approval.InputChoice, approval.MaxInputChoices, approval.MaxChoiceRunes),
						Optional:    true,
						ElementType: types.StringType,
					},
					"required": schema.BoolAttribute{
						MarkdownDescription: "Whether an approval must give the value (a required `bool` must be ticked: a confirmation). " +
							"Defaults to `false`.",
						Optional: true,
						Computed: true,
						Default:  booldefault.StaticBool(false),
					},
					"label": schema.StringAttribute{
						MarkdownDescription: fmt.Sprintf("Label shown to approvers. Defaults to the name; at most %d characters.", approval.MaxInputLabelRunes),
						Optional:            true,
					},
					"description": schema.StringAttribute{
						MarkdownDescription: fmt.Sprintf("Hint shown under the field; at most %d characters.", approval.MaxInputDescriptionRunes),
						Optional:            true,
					},
				},
			},
		},
	}
}

// requireReason is the Spec's RequireReason of a require_reason value: ""
// for the default, as the functions' environment has it.
func requireReason(v string) string {
	if v == approval.ReasonNever {
		return ""
	}
	return v
}

// gateInputModel is one element of inputs.
type gateInputModel struct {
	Name        types.String `tfsdk:"name"`
	Type        types.String `tfsdk:"type"`
	Choices     types.List   `tfsdk:"choices"`
	Required    types.Bool   `tfsdk:"required"`
	Label       types.String `tfsdk:"label"`
	Description types.String `tfsdk:"description"`
}

// gateInputAttrTypes are the attribute types of one input.
var gateInputAttrTypes = map[string]attr.Type{
	"name":        types.StringType,
	"type":        types.StringType,
	"choices":     types.ListType{ElemType: types.StringType},
	"required":    types.BoolType,
	"label":       types.StringType,
	"description": types.StringType,
}

// inputSpecs returns the inputs of a plan, state or configuration, and
// whether every value was known.
func inputSpecs(ctx context.Context, v types.List, diags *diag.Diagnostics) ([]approval.InputSpec, bool) {
	if v.IsNull() {
		return nil, true
	}
	if v.IsUnknown() {
		return nil, false
	}
	var in []gateInputModel
	diags.Append(v.ElementsAs(ctx, &in, false)...)
	known := true
	out := make([]approval.InputSpec, len(in))
	for i, m := range in {
		for _, s := range []types.String{m.Name, m.Type, m.Label, m.Description} {
			known = known && !s.IsUnknown()
		}
		known = known && !m.Required.IsUnknown() && isFullyKnown(ctx, m.Choices)
		out[i] = approval.InputSpec{
			Name: m.Name.ValueString(), Type: m.Type.ValueString(), Required: m.Required.ValueBool(),
			Label: m.Label.ValueString(), Description: m.Description.ValueString(),
		}
		if !m.Choices.IsNull() && !m.Choices.IsUnknown() {
			out[i].Choices = []string{}
			diags.Append(m.Choices.ElementsAs(ctx, &out[i].Choices, false)...)
		}
	}
	return out, known
}

// validateInputs refuses, at plan time, inputs the callback could not use:
// see approval.ValidateInputSpecs. Inputs with unknown values are checked
// at apply.
func validateInputs(ctx context.Context, v types.List, diags *diag.Diagnostics) {
	specs, known := inputSpecs(ctx, v, diags)
	if !known || diags.HasError() {
		return
	}
	for _, p := range approval.ValidateInputSpecs(specs) {
		at := path.Root("inputs")
		if p.Index >= 0 {
			at = at.AtListIndex(p.Index)
			if p.Attr != "" {
				at = at.AtName(p.Attr)
			}
		}
		diags.AddAttributeError(at, "Invalid Approver Input",
			fmt.Sprintf("The gate cannot ask approvers for these inputs: %s.", p.Message))
	}
}

// inputsValue is the inputs attribute of an imported gate (null for none).
func inputsValue(specs []approval.InputSpec) types.List {
	objType := types.ObjectType{AttrTypes: gateInputAttrTypes}
	if len(specs) == 0 {
		return types.ListNull(objType)
	}
	elems := make([]attr.Value, len(specs))
	for i, s := range specs {
		choices := types.ListNull(types.StringType)
		if s.Choices != nil {
			cs := make([]attr.Value, len(s.Choices))
			for j, c := range s.Choices {
				cs[j] = types.StringValue(c)
			}
			choices = types.ListValueMust(types.StringType, cs)
		}
		elems[i] = types.ObjectValueMust(gateInputAttrTypes, map[string]attr.Value{
			"name": types.StringValue(s.Name), "type": types.StringValue(s.Type), "choices": choices,
			"required": types.BoolValue(s.Required), "label": stringOrNull(s.Label), "description": stringOrNull(s.Description),
		})
	}
	return types.ListValueMust(objType, elems)
}
