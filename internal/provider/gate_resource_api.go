package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// The api block: decisions by machines (CI jobs, scripts) with an OpenID
// Connect bearer token, under <callback_url>/api/v1.

const maxAPIAudienceLength = 512

// claimNameRegexp is a JWT claim name: printable, no white space.
var claimNameRegexp = regexp.MustCompile(`^[^\s]{1,128}$`)

func apiSchemaAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Decisions by machines: CI jobs and scripts decide through `<callback_url>/api/v1` " +
			"(`GET /api/v1/requests?status=pending`, `GET /api/v1/requests/{id}`, `POST /api/v1/requests/{id}/decision`) with an " +
			"OpenID Connect bearer token of `issuer_url` (a GitHub Actions or GitLab CI OIDC token, an IdP client-credentials token). " +
			"The callback verifies every token itself: signature against the issuer's published keys, issuer, one of `audiences`, expiry. " +
			"The caller's identity is `api:<identity_claim value>` (or `email:<address>` with `identity_claim = \"email\"` and a verified e-mail), " +
			"matched against `approvers` like every other channel: the same allowlist, quorum and self-approval rules apply. " +
			"A public issuer (GitHub, GitLab) mints tokens for anyone, for any audience, so `approvers` must name the API identities allowed to decide.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"issuer_url": schema.StringAttribute{
				MarkdownDescription: "Issuer of the tokens, exactly as in their `iss` claim and the issuer's discovery document " +
					"(`<issuer_url>/.well-known/openid-configuration`), e.g. `https://token.actions.githubusercontent.com`. " +
					"Must use https (http only for a loopback host, for local tests) and have no query string.",
				Required:   true,
				Validators: []validator.String{urlValidator{noQuery: true}, issuerURLValidator{}},
			},
			"audiences": schema.SetAttribute{
				MarkdownDescription: fmt.Sprintf("Accepted audiences: a token's `aud` must contain one of them. At least one, each 1 to %d characters, "+
					"e.g. the audience a GitHub Actions job asks for with `core.getIDToken(audience)`.", maxAPIAudienceLength),
				Required:    true,
				ElementType: types.StringType,
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(stringvalidator.LengthBetween(1, maxAPIAudienceLength)),
				},
			},
			"identity_claim": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Claim that names the caller. Defaults to `%s`; the identity is `api:<value>`. "+
					"With `email`, the identity is `email:<lower-cased address>` and the token must say `email_verified = true`.", approval.DefaultAPIIdentityClaim),
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(approval.DefaultAPIIdentityClaim),
				Validators: []validator.String{stringvalidator.RegexMatches(claimNameRegexp, "must be a claim name: 1 to 128 characters without white space")},
			},
			"groups_claim": schema.StringAttribute{
				MarkdownDescription: "Claim holding the caller's groups (a list of strings). Defaults to none.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.RegexMatches(claimNameRegexp, "must be a claim name: 1 to 128 characters without white space")},
			},
		},
	}
}

func apiURLAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "Base URL of the machine-decision API, `<callback_url>" + approval.APIPathPrefix + "`, when `api` is set; null otherwise.",
		Computed:            true,
	}
}

// issuerURLValidator refuses an issuer given as its discovery document's
// URL: the issuer is the URL without "/.well-known/openid-configuration".
type issuerURLValidator struct{}

var _ validator.String = issuerURLValidator{}

func (issuerURLValidator) Description(_ context.Context) string {
	return "value must be the issuer URL, not its discovery document URL"
}

func (v issuerURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (issuerURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if s := req.ConfigValue.ValueString(); strings.Contains(s, "/.well-known/") {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Issuer URL",
			fmt.Sprintf("Attribute %s must be the issuer itself, exactly as in the tokens' iss claim, not its discovery document: "+
				"remove \"/.well-known/…\", got: %s", req.Path, s))
	}
}

// gateAPIAttrTypes are the attribute types of api.
var gateAPIAttrTypes = map[string]attr.Type{
	"issuer_url":     types.StringType,
	"audiences":      types.SetType{ElemType: types.StringType},
	"identity_claim": types.StringType,
	"groups_claim":   types.StringType,
}

// gateAPIModel is the api attribute.
type gateAPIModel struct {
	IssuerURL     types.String `tfsdk:"issuer_url"`
	Audiences     types.Set    `tfsdk:"audiences"`
	IdentityClaim types.String `tfsdk:"identity_claim"`
	GroupsClaim   types.String `tfsdk:"groups_claim"`
}

// validateAPI refuses an api block that would let anyone the issuer mints a
// token for decide: the allowlist must name identities a token can have.
func validateAPI(ctx context.Context, cfg gateResourceModel, diags *diag.Diagnostics) {
	if cfg.API.IsNull() || cfg.API.IsUnknown() || !isFullyKnown(ctx, cfg.Approvers) || !isFullyKnown(ctx, cfg.ApproverGroups) {
		return
	}
	var a gateAPIModel
	diags.Append(cfg.API.As(ctx, &a, objectAsOptions)...)
	if diags.HasError() || a.IdentityClaim.IsUnknown() || !isFullyKnown(ctx, cfg.Approvers) {
		return
	}
	claim := a.IdentityClaim.ValueString()
	if claim == "" {
		claim = approval.DefaultAPIIdentityClaim
	}
	want, example := "api:", "api:repo:my-org/my-repo:environment:prod"
	if claim == "email" {
		want, example = "email:", "ci-bot@example.com"
	}
	for _, ap := range stringSet(ctx, cfg.Approvers, diags) {
		if id, err := approval.ParseIdentity(ap); err == nil && strings.HasPrefix(id, want) {
			return
		}
	}
	if apiHasGroups(ctx, cfg) && !cfg.ApproverGroups.IsNull() && len(cfg.ApproverGroups.Elements()) > 0 {
		return // members of approver_groups, by the tokens' groups claim
	}
	diags.AddAttributeError(path.Root("approvers"), "API Without API Approvers",
		fmt.Sprintf("The api block accepts every token that %s issues for one of the audiences, and a public issuer (GitHub Actions, GitLab CI) "+
			"issues such tokens to anyone who asks, for any audience they name. So approvers must name the API identities allowed to decide: "+
			"with identity_claim = %q those are %q entries, e.g. %q. Add them to approvers, set api.groups_claim with approver_groups, or remove the api block.",
			a.IssuerURL.ValueString(), claim, want+"…", example))
}

// apiHasGroups reports whether API tokens can carry groups: the api block
// sets groups_claim (unknown counts as set).
func apiHasGroups(ctx context.Context, cfg gateResourceModel) bool {
	if cfg.API.IsNull() || cfg.API.IsUnknown() {
		return false
	}
	var a gateAPIModel
	if diags := cfg.API.As(ctx, &a, objectAsOptions); diags.HasError() {
		return false
	}
	return !a.GroupsClaim.IsNull()
}

// apiSpec builds the gate's APISpec from the api attribute (nil: no API).
func apiSpec(ctx context.Context, v types.Object, diags *diag.Diagnostics) *gate.APISpec {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	var a gateAPIModel
	diags.Append(v.As(ctx, &a, objectAsOptions)...)
	return &gate.APISpec{
		IssuerURL:     a.IssuerURL.ValueString(),
		Audiences:     stringSet(ctx, a.Audiences, diags),
		IdentityClaim: stringOrDefault(a.IdentityClaim, approval.DefaultAPIIdentityClaim),
		GroupsClaim:   a.GroupsClaim.ValueString(),
	}
}

// apiObject is the api attribute of an imported gate.
func apiObject(a *gate.APISpec) types.Object {
	if a == nil {
		return types.ObjectNull(gateAPIAttrTypes)
	}
	claim := a.IdentityClaim
	if claim == "" {
		claim = approval.DefaultAPIIdentityClaim
	}
	return types.ObjectValueMust(gateAPIAttrTypes, map[string]attr.Value{
		"issuer_url":     types.StringValue(a.IssuerURL),
		"audiences":      setOf(a.Audiences),
		"identity_claim": types.StringValue(claim),
		"groups_claim":   stringOrNull(a.GroupsClaim),
	})
}

// planAPIURL is api_url for a plan: null without api, else callback_url
// plus the API's path (unknown while callback_url is).
func planAPIURL(api types.Object, callbackURL types.String) types.String {
	switch {
	case api.IsNull():
		return types.StringNull()
	case api.IsUnknown() || callbackURL.IsUnknown() || callbackURL.IsNull():
		return types.StringUnknown()
	}
	return types.StringValue(callbackURL.ValueString() + approval.APIPathPrefix)
}
