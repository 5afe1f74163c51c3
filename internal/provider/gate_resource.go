package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

var (
	_ resource.Resource                   = (*gateResource)(nil)
	_ resource.ResourceWithConfigure      = (*gateResource)(nil)
	_ resource.ResourceWithImportState    = (*gateResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*gateResource)(nil)
	_ resource.ResourceWithValidateConfig = (*gateResource)(nil)
)

// NewGateResource returns the manualapproval_gate resource.
func NewGateResource() resource.Resource {
	return &gateResource{}
}

// gateResource is the manualapproval_gate resource.
type gateResource struct {
	data *providerData
}

func (r *gateResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_gate"
}

func (r *gateResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := configuredData(req.ProviderData, "Resource", &resp.Diagnostics); data != nil {
		r.data = data
	}
}

// configuredData is the provider's data handed to a resource or data source
// (kind), nil before the provider is configured.
func configuredData(v any, kind string, diags *diag.Diagnostics) *providerData {
	if v == nil {
		return nil
	}
	data, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected "+kind+" Configure Type",
			fmt.Sprintf("Expected *providerData, got: %T. This is always a bug in the provider and should be reported to the provider developers.", v))
	}
	return data
}

func (r *gateResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan gateResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !r.configured(&resp.Diagnostics, "Create") {
		return
	}
	spec, diags := gateSpec(ctx, plan, r.data.DefaultTags)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(applyWriteOnlySecrets(ctx, req.Config, nil, &spec)...)
	if resp.Diagnostics.HasError() {
		return
	}

	opCtx, cancel, limit, diags := withTimeout(ctx, plan.Timeouts, "create")
	defer cancel()
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	status, err := r.data.Manager.Create(opCtx, spec)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create Approval Gate",
			fmt.Sprintf("Creating the approval gate %q failed, and the parts already created were deleted again. "+
				"Fix the cause below (credentials and permissions, quotas, a name already in use, the endpoints) and apply again.\n\n"+
				"%sOriginal Error: %s", spec.Name, timeoutHint(opCtx, err, "create", limit), err))
		return
	}
	plan.applyApplied(spec, status)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setPrivate(ctx, resp.Private, nil, spec.Tags, status)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, updateFailedKey, nil)...)
	r.setIdentity(ctx, resp.Identity, spec.Name, &resp.Diagnostics)
}

func (r *gateResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state gateResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.data == nil {
		return
	}
	// The identity is known from the state alone: set it on every path,
	// a gate removed from the state included (the framework requires one
	// after any read without an error).
	r.setIdentity(ctx, resp.Identity, state.Name.ValueString(), &resp.Diagnostics)
	if r.data.ConfigUnknown {
		resp.Diagnostics.AddWarning("Approval Gate Not Refreshed",
			fmt.Sprintf("The provider configuration depends on values known only after apply, so the approval gate %q was not refreshed: "+
				"the plan uses its last known state. Apply the configuration the provider depends on first for an exact plan.", state.Name.ValueString()))
		return
	}
	spec, diags := gateSpec(ctx, state, r.data.DefaultTags)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	status, err := r.data.Manager.Read(ctx, spec)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read Approval Gate",
			fmt.Sprintf("Reading the approval gate %q from AWS failed. Check the credentials, the permissions to describe the gate's parts and the endpoints, then refresh again.\n\n"+
				"Original Error: %s", spec.Name, err))
		return
	}
	if !status.Found {
		resp.Diagnostics.AddWarning("Approval Gate Not Found",
			fmt.Sprintf("Approval Gate not found, removing from state: no part of the gate %q exists in AWS any more (it was deleted outside Terraform). "+
				"The next apply creates it again.", spec.Name))
		resp.State.RemoveResource(ctx)
		return
	}
	state.applyStatus(status)
	state.applyObserved(status.Observed, r.data.DefaultTags)
	state.Drift = listOf(status.Drift)
	resp.Diagnostics.Append(setPrivate(ctx, resp.Private, status.DriftParts, spec.Tags, status)...)
	if status.BundleSHA256 != "" {
		state.BundleSHA256 = types.StringValue(status.BundleSHA256)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *gateResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan gateResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !r.configured(&resp.Diagnostics, "Update") {
		return
	}
	spec, diags := gateSpec(ctx, plan, r.data.DefaultTags)
	resp.Diagnostics.Append(diags...)
	var prior gateResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	resp.Diagnostics.Append(applyWriteOnlySecrets(ctx, req.Config, &prior, &spec)...)
	if resp.Diagnostics.HasError() {
		return
	}

	opCtx, cancel, limit, diags := withTimeout(ctx, plan.Timeouts, "update")
	defer cancel()
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	priorGate, diags := priorOf(ctx, prior, req.Private, r.data.DefaultTags)
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	status, err := r.data.Manager.Update(opCtx, spec, priorGate)
	if err != nil {
		// Some parts may be half-converged: the next update converges them all.
		resp.Diagnostics.Append(markUpdateFailed(ctx, resp.Private)...)
		resp.Diagnostics.AddError("Unable to Update Approval Gate",
			fmt.Sprintf("Updating the approval gate %q failed; some of its parts may already be updated. "+
				"Fix the cause below (credentials and permissions, quotas, the endpoints) and apply again: the next update converges every part.\n\n"+
				"%sOriginal Error: %s", spec.Name, timeoutHint(opCtx, err, "update", limit), err))
		return
	}
	plan.applyApplied(spec, status)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setPrivate(ctx, resp.Private, nil, spec.Tags, status)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, updateFailedKey, nil)...)
	r.setIdentity(ctx, resp.Identity, spec.Name, &resp.Diagnostics)
}

func (r *gateResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state gateResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.configured(&resp.Diagnostics, "Delete") {
		return
	}
	opCtx, cancel, limit, diags := withTimeout(ctx, state.Timeouts, "delete")
	defer cancel()
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}
	if err := r.data.Manager.Delete(opCtx, state.Name.ValueString()); err != nil {
		resp.Diagnostics.AddError("Unable to Delete Approval Gate",
			fmt.Sprintf("Deleting the approval gate %q failed; some of its parts may remain. "+
				"Fix the cause below (usually permissions) and destroy again: parts already gone are skipped.\n\n"+
				"%sOriginal Error: %s", state.Name.ValueString(), timeoutHint(opCtx, err, "delete", limit), err))
	}
}

func (r *gateResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	name := r.importName(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if len(name) < 1 || len(name) > gateNameMaxLength || !gateNameRegexp.MatchString(name) {
		resp.Diagnostics.AddError("Invalid Import ID",
			fmt.Sprintf("The import id must be the gate's name: 1 to %d letters, digits, hyphens and underscores, got: %q. "+
				"Example: terraform import manualapproval_gate.example deploy-prod", gateNameMaxLength, name))
		return
	}
	if !r.configured(&resp.Diagnostics, "Import") {
		return
	}

	spec, status, err := r.data.Manager.Import(ctx, name)
	if errors.Is(err, gate.ErrNotFound) {
		resp.Diagnostics.AddError("Cannot Import Non-Existent Approval Gate",
			fmt.Sprintf("No approval gate named %q exists in region %s. Check the name and the provider's region and credentials.\n\n"+
				"Original Error: %s", name, r.data.Region, err))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Import Approval Gate",
			fmt.Sprintf("Reading the approval gate %q from AWS failed. Check the credentials, the permissions and the endpoints, then import again.\n\n"+
				"Original Error: %s", name, err))
		return
	}
	if spec.Name == "" {
		spec.Name = name
	}
	m := modelFromSpec(spec, status, r.data.DefaultTags)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	r.setIdentity(ctx, resp.Identity, spec.Name, &resp.Diagnostics)
}

// configured reports whether the resource can call AWS, adding an error
// naming the operation when it cannot.
func (r *gateResource) configured(diags *diag.Diagnostics, op string) bool {
	if r.data != nil && r.data.Manager != nil && !r.data.ConfigUnknown {
		return true
	}
	diags.AddError(fmt.Sprintf("Unable to %s Approval Gate", op),
		"The provider is not configured: its configuration depends on values that are not known yet. "+
			"Apply the resources the provider configuration depends on first (terraform apply -target=…), then apply again. "+
			"If the configuration is fully known, this is always a bug in the provider and should be reported to the provider developers.")
	return false
}
