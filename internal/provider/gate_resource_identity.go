package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ resource.ResourceWithIdentity = (*gateResource)(nil)

// gateIdentityModel is the gate's resource identity (Terraform 1.12 or
// later): what names it uniquely, as hashicorp/aws's regional resources do.
type gateIdentityModel struct {
	Name      types.String `tfsdk:"name"`
	Region    types.String `tfsdk:"region"`
	AccountID types.String `tfsdk:"account_id"`
}

func (r *gateResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"name": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "The gate's name.",
			},
			"region": identityschema.StringAttribute{
				OptionalForImport: true,
				Description:       "The AWS region of the gate; defaults to the provider's region and must equal it.",
			},
			"account_id": identityschema.StringAttribute{
				OptionalForImport: true,
				Description:       "The AWS account of the gate; defaults to the provider's account and must equal it.",
			},
		},
	}
}

// setIdentity records the gate's identity, when Terraform supports
// identities (id is nil before Terraform 1.12).
func (r *gateResource) setIdentity(ctx context.Context, id *tfsdk.ResourceIdentity, name string, diags *diag.Diagnostics) {
	if id == nil || r.data == nil {
		return
	}
	m := gateIdentityModel{Name: types.StringValue(name), Region: types.StringValue(r.data.Region), AccountID: types.StringNull()}
	if r.data.AccountID != "" {
		m.AccountID = types.StringValue(r.data.AccountID)
	}
	diags.Append(id.Set(ctx, m)...)
}

// importName is the name of the gate to import: the import id, or the
// identity's name. An identity in another region or account than the
// provider's is refused: the gate would be looked for in the wrong place.
func (r *gateResource) importName(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) string {
	if req.ID != "" || req.Identity == nil {
		return req.ID
	}
	var id gateIdentityModel
	if diags.Append(req.Identity.Get(ctx, &id)...); diags.HasError() {
		return ""
	}
	if v := id.Region.ValueString(); v != "" && r.data != nil && v != r.data.Region {
		diags.AddAttributeError(path.Root("region"), "Identity In Another Region",
			fmt.Sprintf("The identity names region %s, but this provider manages region %s. Import with a provider configured for %s "+
				"(an aliased provider with region = %q and provider = manualapproval.<alias> in the import block).", v, r.data.Region, v, v))
	}
	if v := id.AccountID.ValueString(); v != "" && r.data != nil && r.data.AccountID != "" && v != r.data.AccountID {
		diags.AddAttributeError(path.Root("account_id"), "Identity In Another Account",
			fmt.Sprintf("The identity names account %s, but this provider's credentials are for account %s. Import with a provider "+
				"whose credentials (or assume_role) are for account %s.", v, r.data.AccountID, v))
	}
	return id.Name.ValueString()
}
