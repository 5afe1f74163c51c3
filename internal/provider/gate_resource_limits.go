package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// validatePolicySize refuses at plan time a gate whose IAM inline policy
// would be larger than IAM accepts (approval.MaxPolicyChars), which would
// otherwise fail in the middle of the first apply. Unknown values are not
// checked.
func validatePolicySize(ctx context.Context, cfg gateResourceModel, diags *diag.Diagnostics) {
	if cfg.Name.IsUnknown() || cfg.KMSKeyARN.IsUnknown() || !isFullyKnown(ctx, cfg.AllowedStateMachineARNs) {
		return
	}
	spec := gate.Spec{Name: cfg.Name.ValueString(), KMSKeyARN: cfg.KMSKeyARN.ValueString()}
	if !cfg.AllowedStateMachineARNs.IsNull() {
		diags.Append(cfg.AllowedStateMachineARNs.ElementsAs(ctx, &spec.AllowedStateMachineARNs, false)...)
	}
	kind, chars := gate.LargestRolePolicy(spec)
	if chars <= approval.MaxPolicyChars {
		return
	}
	diags.AddAttributeError(path.Root("allowed_state_machine_arns"), "IAM Policy Too Large",
		fmt.Sprintf("The gate's %s role would need an inline policy of up to %d characters, above IAM's limit of %d: "+
			"each of the %d allowed_state_machine_arns appears in it twice (its tasks and its executions). "+
			"Allow fewer state machines, split them between several gates, or leave allowed_state_machine_arns empty "+
			"to allow every state machine of the account and region.", kind, chars, approval.MaxPolicyChars, len(spec.AllowedStateMachineARNs)))
}

// validateConfigDocSize refuses at plan time lists too long for the gate's
// configuration parameter (approval.MaxConfigDocBytes): approvers,
// approver_groups, allowed_state_machine_arns and inputs are stored there as
// one JSON document. Unknown values are not checked.
func validateConfigDocSize(ctx context.Context, cfg gateResourceModel, diags *diag.Diagnostics) {
	var spec gate.Spec
	for _, l := range []struct {
		v   types.Set
		dst *[]string
	}{{cfg.Approvers, &spec.Approvers}, {cfg.ApproverGroups, &spec.ApproverGroups}, {cfg.AllowedStateMachineARNs, &spec.AllowedStateMachineARNs}} {
		if !isFullyKnown(ctx, l.v) {
			return
		}
		if !l.v.IsNull() {
			diags.Append(l.v.ElementsAs(ctx, l.dst, false)...)
		}
	}
	var sub diag.Diagnostics
	inputs, known := inputSpecs(ctx, cfg.Inputs, &sub)
	if !known || sub.HasError() || diags.HasError() {
		return
	}
	spec.Inputs = inputs
	doc := gate.ConfigDoc(spec)
	n := len(doc.Render())
	if n <= approval.MaxConfigDocBytes {
		return
	}
	diags.AddAttributeError(path.Root("approvers"), "Gate Configuration Too Large",
		fmt.Sprintf("The gate keeps approvers (%d), approver_groups (%d), allowed_state_machine_arns (%d) and inputs (%d) "+
			"in one SSM parameter, as a JSON document of %d bytes here, above the %d bytes SSM stores in a parameter "+
			"(the Advanced tier). Shorten the lists: for example grant approval to an approver_groups group instead of "+
			"listing its members, allow fewer state machines, or split the workflows between several gates.",
			len(spec.Approvers), len(spec.ApproverGroups), len(spec.AllowedStateMachineARNs), len(spec.Inputs), n, approval.MaxConfigDocBytes))
}
