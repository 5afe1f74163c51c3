package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// The sso block: OpenID Connect sign-in in front of the gate's links.

// maxSSOClientSecretLength bounds sso.client_secret and its write-only form.
const maxSSOClientSecretLength = 4096

// ssoScopeRegexp is an OAuth scope token (RFC 6749 §3.3).
var ssoScopeRegexp = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)

// ssoClaimRegexp is a claim name: no white space (namespaced claims such as
// "https://example.com/groups" or "cognito:groups" are fine).
var ssoClaimRegexp = regexp.MustCompile(`^\S{1,128}$`)

func ssoSchemaAttribute() schema.Attribute {
	defaultScopes := make([]attr.Value, len(approval.DefaultSSOScopes))
	for i, s := range approval.DefaultSSOScopes {
		defaultScopes[i] = types.StringValue(s)
	}
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Single sign-on in front of every link (e-mail, SMS, Slack link buttons, webhook): an OpenID Connect " +
			"provider (Okta, Entra ID, Google, Auth0, Keycloak, Cognito, Dex…) identifies the person before the confirm page shows a decision. " +
			"A link without a sign-in cannot decide. The callback uses the authorization code flow with PKCE, `state` and `nonce`, verifies the " +
			"ID token against the issuer's discovery document and keys, and records the decision as the signed-in identity " +
			"(`{\"id\": \"email:alice@example.com\", \"name\": \"Alice\", \"via\": \"sso\"}`). The sign-in lasts " +
			fmt.Sprintf("%d minutes, for the one request whose link was opened. ", int(approval.SessionTTL.Minutes())) +
			"Register `sso_redirect_uri` as the client's redirect URI at the provider.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"issuer_url": schema.StringAttribute{
				MarkdownDescription: "Issuer URL of the OpenID Connect provider; `<issuer_url>/.well-known/openid-configuration` must be its discovery document. " +
					"Must use https (http only for a loopback host, for local tests) and have no query string.",
				Required:   true,
				Validators: []validator.String{urlValidator{noQuery: true}},
			},
			"client_id": schema.StringAttribute{
				MarkdownDescription: "Client (application) id of the gate at the provider.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 512)},
			},
			"client_secret": schema.StringAttribute{
				MarkdownDescription: "Client secret of the gate at the provider (a confidential web client). Stored in an SSM SecureString " +
					"parameter that only the callback function's role may read. Set it or `client_secret_wo` (with `client_secret_wo_version`) to create the gate.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, maxSSOClientSecretLength)},
			},
			"scopes": schema.ListAttribute{
				MarkdownDescription: fmt.Sprintf("Scopes asked for. Defaults to %s; must include `openid`. Add the scope your provider releases "+
					"groups with (e.g. `groups` for Okta) when you use `groups_claim`.", quoted(approval.DefaultSSOScopes)),
				Optional:    true,
				Computed:    true,
				ElementType: types.StringType,
				Default:     listdefault.StaticValue(types.ListValueMust(types.StringType, defaultScopes)),
				Validators: []validator.List{
					listvalidator.SizeBetween(1, 20),
					listvalidator.UniqueValues(),
					listvalidator.ValueStringsAre(stringvalidator.RegexMatches(ssoScopeRegexp, "must be an OAuth scope (printable characters, no spaces or quotes)")),
					containsOpenID{},
				},
			},
			"identity_claim": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("ID token claim that identifies the approver. Defaults to `%s`, which also requires the claim "+
					"`email_verified = true` and gives identities `email:<address>` (lower-cased); any other claim (e.g. `sub`, `oid`, "+
					"`preferred_username`) gives `sso:<value>`. Use the same form in `approvers` and `requested_by`.", approval.DefaultSSOIdentityClaim),
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(approval.DefaultSSOIdentityClaim),
				Validators: []validator.String{stringvalidator.RegexMatches(ssoClaimRegexp, "must be a claim name: 1 to 128 characters without white space")},
			},
			"groups_claim": schema.StringAttribute{
				MarkdownDescription: "ID token claim listing the approver's groups (e.g. `groups`, `cognito:groups`, `roles`), matched against " +
					"`approver_groups`. Defaults to none.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.RegexMatches(ssoClaimRegexp, "must be a claim name: 1 to 128 characters without white space")},
			},
		},
	}
}

func ssoRedirectURIAttribute() schema.Attribute {
	return schema.StringAttribute{
		MarkdownDescription: "Redirect URI to register at the single sign-on provider: `<callback_url>" + approval.SSOCallbackPath + "`.",
		Computed:            true,
	}
}

// containsOpenID checks that the scopes include openid: without it the
// provider sends no ID token.
type containsOpenID struct{}

var _ validator.List = containsOpenID{}

func (containsOpenID) Description(context.Context) string { return "value must include \"openid\"" }

func (v containsOpenID) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (containsOpenID) ValidateList(ctx context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	var scopes []types.String
	resp.Diagnostics.Append(req.ConfigValue.ElementsAs(ctx, &scopes, false)...)
	for _, s := range scopes {
		if s.IsUnknown() || s.ValueString() == "openid" {
			return
		}
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Missing openid Scope",
		fmt.Sprintf("Attribute %s must include \"openid\": without it the provider sends no ID token, so nobody could sign in. Add \"openid\" to the list.", req.Path))
}

// validateSSO checks the sso block's combinations (unknown values are not
// checked).
func validateSSO(ctx context.Context, s gateSSOModel, diags *diag.Diagnostics) {
	claim := s.IdentityClaim.ValueString()
	if s.IdentityClaim.IsNull() {
		claim = approval.DefaultSSOIdentityClaim
	}
	if s.IdentityClaim.IsUnknown() || s.Scopes.IsNull() || s.Scopes.IsUnknown() || claim != approval.DefaultSSOIdentityClaim {
		return
	}
	var scopes []types.String
	diags.Append(s.Scopes.ElementsAs(ctx, &scopes, false)...)
	for _, sc := range scopes {
		if sc.IsUnknown() || sc.ValueString() == "email" {
			return
		}
	}
	diags.AddAttributeWarning(path.Root("sso").AtName("scopes"), "E-mail Scope Missing",
		"sso.identity_claim is \"email\" (the default) but sso.scopes lacks \"email\": most providers release the email and "+
			"email_verified claims only with that scope, and without them nobody can sign in. Add \"email\" to sso.scopes, or set "+
			"sso.identity_claim to a claim your provider always sends (e.g. \"sub\").")
}

// ssoSpec builds the gate's SSOSpec from the sso block (nil when unset).
func ssoSpec(ctx context.Context, o types.Object, diags *diag.Diagnostics) *gate.SSOSpec {
	if o.IsNull() || o.IsUnknown() {
		return nil
	}
	var s gateSSOModel
	diags.Append(o.As(ctx, &s, objectAsOptions)...)
	spec := &gate.SSOSpec{
		IssuerURL:     s.IssuerURL.ValueString(),
		ClientID:      s.ClientID.ValueString(),
		ClientSecret:  s.ClientSecret.ValueString(),
		IdentityClaim: stringOrDefault(s.IdentityClaim, approval.DefaultSSOIdentityClaim),
		GroupsClaim:   s.GroupsClaim.ValueString(),
	}
	if !s.Scopes.IsNull() && !s.Scopes.IsUnknown() {
		diags.Append(s.Scopes.ElementsAs(ctx, &spec.Scopes, false)...)
	}
	if len(spec.Scopes) == 0 {
		spec.Scopes = slices.Clone(approval.DefaultSSOScopes)
	}
	return spec
}

// ssoObject is the state of an imported gate's sso block: the client secret
// cannot be read back.
func ssoObject(s *gate.SSOSpec) types.Object {
	if s == nil {
		return types.ObjectNull(gateSSOAttrTypes)
	}
	scopes := s.Scopes
	if len(scopes) == 0 {
		scopes = approval.DefaultSSOScopes
	}
	vals := make([]attr.Value, len(scopes))
	for i, v := range scopes {
		vals[i] = types.StringValue(v)
	}
	claim := s.IdentityClaim
	if claim == "" {
		claim = approval.DefaultSSOIdentityClaim
	}
	return types.ObjectValueMust(gateSSOAttrTypes, map[string]attr.Value{
		"issuer_url":               types.StringValue(s.IssuerURL),
		"client_id":                types.StringValue(s.ClientID),
		"client_secret":            types.StringNull(),
		"client_secret_wo":         types.StringNull(),
		"client_secret_wo_version": types.Int64Null(),
		"scopes":                   types.ListValueMust(types.StringType, vals),
		"identity_claim":           types.StringValue(claim),
		"groups_claim":             stringOrNull(s.GroupsClaim),
	})
}

// ssoRedirectURI is the planned or applied sso_redirect_uri for a
// callback_url.
func ssoRedirectURI(callbackURL types.String) types.String {
	if callbackURL.IsUnknown() || callbackURL.IsNull() {
		return types.StringUnknown()
	}
	return types.StringValue(approval.SSORedirectURI(strings.TrimRight(callbackURL.ValueString(), "/")))
}

// gateSSOAttrTypes are the attribute types of sso.
var gateSSOAttrTypes = map[string]attr.Type{
	"issuer_url":               types.StringType,
	"client_id":                types.StringType,
	"client_secret":            types.StringType,
	"client_secret_wo":         types.StringType,
	"client_secret_wo_version": types.Int64Type,
	"scopes":                   types.ListType{ElemType: types.StringType},
	"identity_claim":           types.StringType,
	"groups_claim":             types.StringType,
}

// gateSSOModel is the sso attribute.
type gateSSOModel struct {
	IssuerURL             types.String `tfsdk:"issuer_url"`
	ClientID              types.String `tfsdk:"client_id"`
	ClientSecret          types.String `tfsdk:"client_secret"`
	ClientSecretWO        types.String `tfsdk:"client_secret_wo"`
	ClientSecretWOVersion types.Int64  `tfsdk:"client_secret_wo_version"`
	Scopes                types.List   `tfsdk:"scopes"`
	IdentityClaim         types.String `tfsdk:"identity_claim"`
	GroupsClaim           types.String `tfsdk:"groups_claim"`
}
