package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

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
