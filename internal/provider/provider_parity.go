package provider

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// Provider configuration on a par with hashicorp/aws: account guards, the
// full assume_role, assume_role_with_web_identity, retry_mode, the
// max_retries default, and ignore_tags.

const (
	// defaultMaxRetries is hashicorp/aws's default of max_retries.
	defaultMaxRetries = 25
	retryModeStandard = "standard"
	retryModeAdaptive = "adaptive"
)

// retryModes are the values of retry_mode.
var retryModes = []string{retryModeStandard, retryModeAdaptive}

// accountIDValidators check a set of AWS account ids.
var accountIDValidators = []validator.Set{setvalidator.ValueStringsAre(
	stringvalidator.RegexMatches(accountIDRegexp, "must be a 12-digit AWS account id"),
)}

// addProviderParity adds the attributes and blocks of this file to the
// provider's schema.
func addProviderParity(s *schema.Schema) {
	s.Attributes["allowed_account_ids"] = schema.SetAttribute{
		MarkdownDescription: "AWS account ids the provider may work in. The provider refuses to run with credentials of any other account. " +
			"Conflicts with `forbidden_account_ids`; needs the account id, so not with `skip_credentials_validation`.",
		Optional:    true,
		ElementType: types.StringType,
		Validators: append(slices.Clone(accountIDValidators),
			setvalidator.ConflictsWith(path.MatchRoot("forbidden_account_ids"))),
	}
	s.Attributes["forbidden_account_ids"] = schema.SetAttribute{
		MarkdownDescription: "AWS account ids the provider must not work in. The provider refuses to run with credentials of these accounts. " +
			"Conflicts with `allowed_account_ids`; needs the account id, so not with `skip_credentials_validation`.",
		Optional:    true,
		ElementType: types.StringType,
		Validators:  accountIDValidators,
	}
	s.Attributes["retry_mode"] = schema.StringAttribute{
		MarkdownDescription: fmt.Sprintf("How AWS API calls are retried, one of %s. Defaults to the `AWS_RETRY_MODE` environment variable, "+
			"else `%s`. `%s` also slows calls down client-side when the service throttles.", quoted(retryModes), retryModeStandard, retryModeAdaptive),
		Optional:   true,
		Validators: []validator.String{stringvalidator.OneOf(retryModes...)},
	}
	if a, ok := s.Attributes["max_retries"].(schema.Int64Attribute); ok {
		a.MarkdownDescription = fmt.Sprintf("Maximum number of times an AWS API call is retried on throttling and transient errors, "+
			"with exponential backoff. Defaults to the `AWS_MAX_ATTEMPTS` environment variable (attempts, the first included), else `%d` "+
			"(like hashicorp/aws); must be at least `0`.", defaultMaxRetries)
		s.Attributes["max_retries"] = a
	}

	ar, _ := s.Blocks["assume_role"].(schema.SingleNestedBlock)
	ar.Attributes["policy"] = schema.StringAttribute{
		MarkdownDescription: "IAM policy JSON that further restricts the assumed role's session (a session policy).",
		Optional:            true,
		Validators:          []validator.String{stringvalidator.LengthBetween(1, 2048)},
	}
	ar.Attributes["policy_arns"] = schema.SetAttribute{
		MarkdownDescription: "ARNs of IAM managed policies that further restrict the assumed role's session.",
		Optional:            true,
		ElementType:         types.StringType,
		Validators: []validator.Set{setvalidator.ValueStringsAre(
			stringvalidator.RegexMatches(iamPolicyARNRegexp, "must be an IAM policy ARN such as arn:aws:iam::123456789012:policy/name"))},
	}
	ar.Attributes["tags"] = schema.MapAttribute{
		MarkdownDescription: "Session tags of the assumed role's session.",
		Optional:            true,
		ElementType:         types.StringType,
	}
	ar.Attributes["transitive_tag_keys"] = schema.SetAttribute{
		MarkdownDescription: "Keys of the session `tags` that pass on to roles assumed from this session (role chaining).",
		Optional:            true,
		ElementType:         types.StringType,
	}
	ar.Attributes["source_identity"] = schema.StringAttribute{
		MarkdownDescription: "Source identity of the session, recorded in CloudTrail and kept through role chaining.",
		Optional:            true,
		Validators: []validator.String{
			stringvalidator.LengthBetween(2, 64),
			stringvalidator.RegexMatches(sessionNameRegexp, "must contain only letters, digits and =,.@-"),
		},
	}
	s.Blocks["assume_role"] = ar

	s.Blocks["assume_role_with_web_identity"] = schema.SingleNestedBlock{
		MarkdownDescription: "An IAM role to assume with STS `AssumeRoleWithWebIdentity` and an OIDC token (e.g. a CI system's), through the `sts` endpoint. " +
			"The temporary credentials are cached and refreshed before they expire. The SDK also does this by itself from the " +
			"`AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE` environment variables.",
		Attributes: map[string]schema.Attribute{
			"role_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the IAM role to assume. Required when the block is present.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.RegexMatches(iamRoleARNRegexp, "must be an IAM role ARN (arn:aws:iam::123456789012:role/name)")},
			},
			"session_name": schema.StringAttribute{
				MarkdownDescription: "Session name of the assumed role. Defaults to a name chosen by the SDK.",
				Optional:            true,
				Validators: []validator.String{
					stringvalidator.LengthBetween(2, 64),
					stringvalidator.RegexMatches(sessionNameRegexp, "must contain only letters, digits and =,.@-"),
				},
			},
			"web_identity_token": schema.StringAttribute{
				MarkdownDescription: "The OIDC token. Conflicts with `web_identity_token_file`; one of them is required.",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{stringvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("web_identity_token_file"))},
			},
			"web_identity_token_file": schema.StringAttribute{
				MarkdownDescription: "Path of a file holding the OIDC token, read again at each refresh.",
				Optional:            true,
			},
			"duration": schema.StringAttribute{
				MarkdownDescription: "Duration of the session as a Go duration string such as `1h`, between `15m` and `12h`. Defaults to `15m`.",
				Optional:            true,
				Validators:          []validator.String{durationValidator{min: 15 * time.Minute, max: 12 * time.Hour}},
			},
			"policy": schema.StringAttribute{
				MarkdownDescription: "IAM policy JSON that further restricts the session.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 2048)},
			},
			"policy_arns": schema.SetAttribute{
				MarkdownDescription: "ARNs of IAM managed policies that further restrict the session.",
				Optional:            true,
				ElementType:         types.StringType,
				Validators: []validator.Set{setvalidator.ValueStringsAre(
					stringvalidator.RegexMatches(iamPolicyARNRegexp, "must be an IAM policy ARN such as arn:aws:iam::123456789012:policy/name"))},
			},
		},
	}

	s.Blocks["ignore_tags"] = schema.SingleNestedBlock{
		MarkdownDescription: "Tags the provider neither reports as drift nor removes, e.g. those an organisation's tag policy or another tool adds " +
			"to every resource. A gate's own `tags` and the `default_tags` with these keys are still set on its parts.",
		Attributes: map[string]schema.Attribute{
			"keys": schema.SetAttribute{
				MarkdownDescription: "Tag keys to ignore.",
				Optional:            true,
				ElementType:         types.StringType,
			},
			"key_prefixes": schema.SetAttribute{
				MarkdownDescription: "Tag key prefixes to ignore, e.g. `org:`.",
				Optional:            true,
				ElementType:         types.StringType,
			},
		},
	}
}

// assumeRoleWithWebIdentityModel is the assume_role_with_web_identity block.
type assumeRoleWithWebIdentityModel struct {
	RoleARN              types.String `tfsdk:"role_arn"`
	SessionName          types.String `tfsdk:"session_name"`
	WebIdentityToken     types.String `tfsdk:"web_identity_token"`
	WebIdentityTokenFile types.String `tfsdk:"web_identity_token_file"`
	Duration             types.String `tfsdk:"duration"`
	Policy               types.String `tfsdk:"policy"`
	PolicyARNs           types.Set    `tfsdk:"policy_arns"`
}

// ignoreTagsModel is the ignore_tags block.
type ignoreTagsModel struct {
	Keys        types.Set `tfsdk:"keys"`
	KeyPrefixes types.Set `tfsdk:"key_prefixes"`
}

// retryOptions returns the retryer and its maximum attempts from
// max_retries, retry_mode and the SDK's environment variables.
func retryOptions(data providerModel) (func() aws.Retryer, int) {
	attempts := defaultMaxRetries + 1
	if env := os.Getenv("AWS_MAX_ATTEMPTS"); env != "" {
		if n, err := strconv.Atoi(env); err == nil && n > 0 {
			attempts = n
		}
	}
	if !data.MaxRetries.IsNull() && !data.MaxRetries.IsUnknown() {
		// The SDK counts attempts, the first included.
		attempts = int(data.MaxRetries.ValueInt64()) + 1
	}
	mode := data.RetryMode.ValueString()
	if mode == "" {
		mode = strings.ToLower(os.Getenv("AWS_RETRY_MODE"))
	}
	standard := func(o *retry.StandardOptions) {
		o.RateLimiter = ratelimit.None
		o.MaxAttempts = attempts
	}
	if mode == retryModeAdaptive {
		return func() aws.Retryer {
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, standard)
			})
		}, attempts
	}
	return func() aws.Retryer { return retry.NewStandard(standard) }, attempts
}

// assumeRoleCredentials returns the credentials of the assume_role block:
// STS AssumeRole with every option of hashicorp/aws's block.
func assumeRoleCredentials(ctx context.Context, cfg aws.Config, ar assumeRoleModel, diags *diag.Diagnostics) aws.CredentialsProvider {
	in := &sts.AssumeRoleInput{RoleArn: aws.String(ar.RoleARN.ValueString())}
	in.RoleSessionName = aws.String(ar.SessionName.ValueString())
	if ar.SessionName.ValueString() == "" {
		in.RoleSessionName = aws.String(fmt.Sprintf("terraform-provider-manualapproval-%d", time.Now().UnixNano()))
	}
	if v := ar.ExternalID.ValueString(); v != "" {
		in.ExternalId = aws.String(v)
	}
	if v := ar.Duration.ValueString(); v != "" {
		d, _ := time.ParseDuration(v) // validated by the schema
		in.DurationSeconds = aws.Int32(int32(d / time.Second))
	}
	if v := ar.Policy.ValueString(); v != "" {
		in.Policy = aws.String(v)
	}
	for _, a := range stringSet(ctx, ar.PolicyARNs, diags) {
		in.PolicyArns = append(in.PolicyArns, ststypes.PolicyDescriptorType{Arn: aws.String(a)})
	}
	tags := stringMap(ctx, ar.Tags, diags)
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		in.Tags = append(in.Tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	in.TransitiveTagKeys = stringSet(ctx, ar.TransitiveTagKeys, diags)
	if v := ar.SourceIdentity.ValueString(); v != "" {
		in.SourceIdentity = aws.String(v)
	}
	client := sts.NewFromConfig(cfg)
	return aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		out, err := client.AssumeRole(ctx, in)
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("assuming IAM Role (%s): %w", aws.ToString(in.RoleArn), err)
		}
		c := out.Credentials
		return aws.Credentials{
			AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken),
			Source: "AssumeRoleProvider", CanExpire: true, Expires: aws.ToTime(c.Expiration),
		}, nil
	}))
}

// webIdentityCredentials returns the credentials of the
// assume_role_with_web_identity block.
func webIdentityCredentials(ctx context.Context, cfg aws.Config, w assumeRoleWithWebIdentityModel, diags *diag.Diagnostics) aws.CredentialsProvider {
	root := path.Root("assume_role_with_web_identity")
	if w.RoleARN.ValueString() == "" {
		diags.AddAttributeError(root.AtName("role_arn"), "Missing Role ARN",
			"The assume_role_with_web_identity block needs role_arn, the ARN of the IAM role to assume. Set it, or remove the block.")
		return nil
	}
	var token stscreds.IdentityTokenRetriever
	switch {
	case w.WebIdentityToken.ValueString() != "":
		token = staticToken(w.WebIdentityToken.ValueString())
	case w.WebIdentityTokenFile.ValueString() != "":
		token = stscreds.IdentityTokenFile(w.WebIdentityTokenFile.ValueString())
	default:
		diags.AddAttributeError(root.AtName("web_identity_token"), "Missing Web Identity Token",
			"The assume_role_with_web_identity block needs the OIDC token: set web_identity_token, or web_identity_token_file to a file holding it.")
		return nil
	}
	arns := stringSet(ctx, w.PolicyARNs, diags)
	return aws.NewCredentialsCache(stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(cfg), w.RoleARN.ValueString(), token,
		func(o *stscreds.WebIdentityRoleOptions) {
			if v := w.SessionName.ValueString(); v != "" {
				o.RoleSessionName = v
			}
			if v := w.Duration.ValueString(); v != "" {
				o.Duration, _ = time.ParseDuration(v) // validated by the schema
			}
			if v := w.Policy.ValueString(); v != "" {
				o.Policy = aws.String(v)
			}
			for _, a := range arns {
				o.PolicyARNs = append(o.PolicyARNs, ststypes.PolicyDescriptorType{Arn: aws.String(a)})
			}
		}))
}

// staticToken is a web identity token given in the configuration.
type staticToken string

func (t staticToken) GetIdentityToken() ([]byte, error) { return []byte(t), nil }

// checkAccount refuses an account outside allowed_account_ids or in
// forbidden_account_ids.
func checkAccount(ctx context.Context, data providerModel, account string, diags *diag.Diagnostics) {
	allowed := stringSet(ctx, data.AllowedAccountIDs, diags)
	forbidden := stringSet(ctx, data.ForbiddenAccountIDs, diags)
	if len(allowed) == 0 && len(forbidden) == 0 {
		return
	}
	if account == "" {
		attr := "allowed_account_ids"
		if len(allowed) == 0 {
			attr = "forbidden_account_ids"
		}
		diags.AddAttributeError(path.Root(attr), "Unable to Check the AWS Account",
			fmt.Sprintf("%s needs the account id of the credentials, which the provider reads with STS GetCallerIdentity; "+
				"skip_credentials_validation = true skips that call. Remove skip_credentials_validation, or remove %s.", attr, attr))
		return
	}
	if len(allowed) > 0 && !slices.Contains(allowed, account) {
		diags.AddAttributeError(path.Root("allowed_account_ids"), "AWS Account Not Allowed",
			fmt.Sprintf("The credentials are of AWS account %s, which is not in allowed_account_ids (%s): the provider refuses to work in it. "+
				"Use credentials of an allowed account (profile, assume_role, the AWS_* environment variables), or add the account to allowed_account_ids.",
				account, strings.Join(allowed, ", ")))
	}
	if slices.Contains(forbidden, account) {
		diags.AddAttributeError(path.Root("forbidden_account_ids"), "AWS Account Forbidden",
			fmt.Sprintf("The credentials are of AWS account %s, which is in forbidden_account_ids: the provider refuses to work in it. "+
				"Use credentials of another account (profile, assume_role, the AWS_* environment variables), or remove it from forbidden_account_ids.", account))
	}
}

// ignoreTagsOf returns the ignore_tags block as the gate's IgnoreTags.
func ignoreTagsOf(ctx context.Context, obj types.Object, diags *diag.Diagnostics) gate.IgnoreTags {
	if obj.IsNull() || obj.IsUnknown() {
		return gate.IgnoreTags{}
	}
	var m ignoreTagsModel
	diags.Append(obj.As(ctx, &m, objectAsOptions)...)
	return gate.IgnoreTags{Keys: stringSet(ctx, m.Keys, diags), KeyPrefixes: stringSet(ctx, m.KeyPrefixes, diags)}
}
