// Package provider is the Terraform glue of the manualapproval provider: the
// provider configuration (an AWS configuration like hashicorp/aws's) and the
// manualapproval_gate resource. The AWS work is done by internal/gate.
package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/bundle"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

var (
	_ provider.Provider              = (*manualapprovalProvider)(nil)
	_ provider.ProviderWithFunctions = (*manualapprovalProvider)(nil)
)

// GateManager is what the gate resource needs from internal/gate. The
// provider hands a *gate.Manager to resources; unit tests hand a fake.
type GateManager interface {
	Create(ctx context.Context, spec gate.Spec) (gate.Status, error)
	Read(ctx context.Context, spec gate.Spec) (gate.Status, error)
	Update(ctx context.Context, spec gate.Spec, prior *gate.Prior) (gate.Status, error)
	Delete(ctx context.Context, name string) error
	Import(ctx context.Context, name string) (gate.Spec, gate.Status, error)
}

// providerData is what Configure hands to resources as ProviderData.
type providerData struct {
	// Manager does the AWS work. It is nil when ConfigUnknown is true.
	Manager GateManager
	// DefaultTags are the provider's default_tags, merged under each
	// resource's tags.
	DefaultTags map[string]string
	// DefaultTagsUnknown is true when default_tags depends on a value that is
	// known only after apply.
	DefaultTagsUnknown bool
	// Region is the AWS region the gates live in.
	// AccountID is the AWS account of the gates ("" when unknown: planning
	// a gate then fails, see refuseUnknownAccount).
	AccountID string
	Region    string
	// ConfigUnknown is true when the provider configuration depends on values
	// known only after apply and Terraform cannot defer: the resources can be
	// planned but not refreshed.
	ConfigUnknown bool
	// BundleSHA256 returns the hex SHA-256 of the embedded Lambda bundle for
	// an architecture (bundle.SHA256 outside tests).
	BundleSHA256 func(arch string) (string, error)
}

// ManagerFactory builds the gate Manager from the resolved AWS configuration.
type ManagerFactory func(cfg aws.Config, env gate.Env) GateManager

// manualapprovalProvider is the manualapproval provider.
type manualapprovalProvider struct {
	// version is "dev" for local builds, the release version otherwise, and
	// "test" in acceptance tests.
	version string

	newManager   ManagerFactory
	bundleSHA256 func(arch string) (string, error)
}

// New returns a function that builds the provider, as providerserver.Serve
// expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &manualapprovalProvider{
			version:      version,
			newManager:   func(cfg aws.Config, env gate.Env) GateManager { return gate.NewFromConfig(cfg, env) },
			bundleSHA256: bundle.SHA256,
		}
	}
}

// newWithFakes returns a provider whose resources use the given manager and
// bundle hash instead of AWS and the embedded bundle. It is meant for tests.
func newWithFakes(version string, m GateManager, bundleSHA256 func(arch string) (string, error)) func() provider.Provider {
	return func() provider.Provider {
		return &manualapprovalProvider{
			version:      version,
			newManager:   func(aws.Config, gate.Env) GateManager { return m },
			bundleSHA256: bundleSHA256,
		}
	}
}

// endpointServices are the names of the endpoints block's attributes, with
// the AWS SDK service id of each and the service's name in the SDK's
// AWS_ENDPOINT_URL_<SERVICE> environment variable.
var endpointServices = []struct {
	Attr, ServiceID, EnvSuffix string
}{
	{"apigatewayv2", "ApiGatewayV2", "APIGATEWAYV2"},
	{"dynamodb", "DynamoDB", "DYNAMODB"},
	{"iam", "IAM", "IAM"},
	{"lambda", "Lambda", "LAMBDA"},
	{"logs", "CloudWatch Logs", "CLOUDWATCH_LOGS"},
	{"sns", "SNS", "SNS"},
	{"ssm", "SSM", "SSM"},
	{"sts", "STS", "STS"},
}

func (p *manualapprovalProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "manualapproval"
	resp.Version = p.version
}

func (p *manualapprovalProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	endpointAttrs := make(map[string]schema.Attribute, len(endpointServices))
	for _, s := range endpointServices {
		endpointAttrs[s.Attr] = schema.StringAttribute{
			MarkdownDescription: fmt.Sprintf("Custom endpoint URL for the %s API, e.g. a local AWS such as `http://127.0.0.1:4566`. "+
				"Wins over the `AWS_ENDPOINT_URL_%s` and `AWS_ENDPOINT_URL` environment variables.", s.ServiceID, s.EnvSuffix),
			Optional:   true,
			Validators: []validator.String{urlValidator{allowAnyHTTP: true}},
		}
	}
	endpointAttrs[unusedSFNEndpoint.Attr] = schema.StringAttribute{
		MarkdownDescription: "Has no effect, and is deprecated: the provider makes no Step Functions call (the gate's functions " +
			"call Step Functions from inside AWS, at its regional endpoint). Accepted so that existing configurations keep working; " +
			"it will be removed.",
		DeprecationMessage: "endpoints.sfn has no effect: the provider makes no Step Functions call. Remove it.",
		Optional:           true,
		Validators:         []validator.String{urlValidator{allowAnyHTTP: true}},
	}

	resp.Schema = schema.Schema{
		MarkdownDescription: "The `manualapproval` provider creates human-approval gates for AWS Step Functions. " +
			"It is configured like the `aws` provider: the standard AWS credential chain (environment, shared files, " +
			"`profile`, SSO, container and instance roles), an optional `assume_role`, `default_tags`, and per-service " +
			"`endpoints`. The SDK's `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` environment variables are honoured, " +
			"so the same configuration can point at AWS or at a local AWS.",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				MarkdownDescription: "AWS region the gates are created in. Defaults to the `AWS_REGION` or `AWS_DEFAULT_REGION` " +
					"environment variable, or the `region` of the shared configuration profile. Required by one of these means.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"profile": schema.StringAttribute{
				MarkdownDescription: "Name of the AWS shared configuration profile to use. Defaults to the `AWS_PROFILE` environment variable, then `default`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"shared_config_files": schema.ListAttribute{
				MarkdownDescription: "Paths of AWS shared configuration files. Defaults to `AWS_CONFIG_FILE`, then `~/.aws/config`.",
				Optional:            true,
				ElementType:         types.StringType,
			},
			"shared_credentials_files": schema.ListAttribute{
				MarkdownDescription: "Paths of AWS shared credentials files. Defaults to `AWS_SHARED_CREDENTIALS_FILE`, then `~/.aws/credentials`.",
				Optional:            true,
				ElementType:         types.StringType,
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "Maximum number of times an AWS API call is retried on throttling and transient errors, " +
					"with the SDK's exponential backoff. Defaults to the SDK's default (`AWS_MAX_ATTEMPTS`, else 2 retries); " +
					"must be at least `0`.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.AtLeast(0)},
			},
			"skip_credentials_validation": schema.BoolAttribute{
				MarkdownDescription: "Do not fail when the STS `GetCallerIdentity` call that validates the credentials fails. " +
					"Useful with a local AWS. The gates' IAM policies name the account's own resources, so the provider still needs " +
					"the account id: from `account_id` when set (then STS is not called), else from that STS call, which is still made; " +
					"when neither gives it, planning a gate fails with an error that says so. Defaults to `false`.",
				Optional: true,
			},
			"account_id": schema.StringAttribute{
				MarkdownDescription: "The AWS account id (12 digits) the gates are created in, used only with " +
					"`skip_credentials_validation = true`, instead of asking STS. Without `skip_credentials_validation` the " +
					"account id comes from STS `GetCallerIdentity`, and this must be unset or equal to it.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.RegexMatches(accountIDRegexp, "must be a 12-digit AWS account id")},
			},
		},
		Blocks: map[string]schema.Block{
			"assume_role": schema.SingleNestedBlock{
				MarkdownDescription: "An IAM role to assume (with STS `AssumeRole`, through the `sts` endpoint) with the credentials " +
					"of the credential chain. The temporary credentials are cached and refreshed before they expire.",
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
					"external_id": schema.StringAttribute{
						MarkdownDescription: "External id required by the role's trust policy, if any.",
						Optional:            true,
						Validators:          []validator.String{stringvalidator.LengthBetween(2, 1224)},
					},
					"duration": schema.StringAttribute{
						MarkdownDescription: "Duration of the assumed role session as a Go duration string such as `1h` or `15m`, " +
							"between `15m` and `12h`. Defaults to `15m`.",
						Optional:   true,
						Validators: []validator.String{durationValidator{min: 15 * time.Minute, max: 12 * time.Hour}},
					},
				},
			},
			"default_tags": schema.SingleNestedBlock{
				MarkdownDescription: "Tags applied to every AWS resource of every gate of this provider. A gate's own `tags` win on key conflicts.",
				Attributes: map[string]schema.Attribute{
					"tags": schema.MapAttribute{
						MarkdownDescription: "Map of tag keys to values.",
						Optional:            true,
						ElementType:         types.StringType,
					},
				},
			},
			"endpoints": schema.SingleNestedBlock{
				MarkdownDescription: "Custom endpoint URLs, one per AWS service. Each wins over the SDK's `AWS_ENDPOINT_URL_<SERVICE>` and " +
					"`AWS_ENDPOINT_URL` environment variables; a service without one uses those variables, then AWS.",
				Attributes: endpointAttrs,
			},
		},
	}
	addProviderParity(&resp.Schema)
}

func (p *manualapprovalProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var data providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}

	if !req.Config.Raw.IsFullyKnown() {
		if req.ClientCapabilities.DeferralAllowed {
			resp.Deferred = &provider.Deferred{Reason: provider.DeferredReasonProviderConfigUnknown}
			return
		}
		// Like hashicorp/aws: plan with what is known; Terraform configures
		// the provider again with known values before apply.
		tflog.Warn(ctx, "provider configuration depends on values known only after apply; gates are planned without refresh")
		pd := &providerData{ConfigUnknown: true, BundleSHA256: p.bundleSHA256, Region: data.Region.ValueString()}
		pd.DefaultTags, pd.DefaultTagsUnknown = defaultTagsOf(ctx, data.DefaultTags)
		resp.ResourceData = pd
		resp.DataSourceData = pd
		return
	}

	cfg, env, diags := p.awsConfig(ctx, data)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	pd := &providerData{
		Manager:      p.newManager(cfg, env),
		AccountID:    env.AccountID,
		Region:       cfg.Region,
		BundleSHA256: p.bundleSHA256,
	}
	pd.DefaultTags, _ = defaultTagsOf(ctx, data.DefaultTags)
	resp.ResourceData = pd
	resp.DataSourceData = pd
}

// awsConfig resolves the AWS configuration and the gate environment from the
// provider configuration, the environment and the shared files.
func (p *manualapprovalProvider) awsConfig(ctx context.Context, data providerModel) (aws.Config, gate.Env, diag.Diagnostics) {
	var diags diag.Diagnostics

	var opts []func(*config.LoadOptions) error
	if v := data.Region.ValueString(); v != "" {
		opts = append(opts, config.WithRegion(v))
	}
	if v := data.Profile.ValueString(); v != "" {
		opts = append(opts, config.WithSharedConfigProfile(v))
	}
	if files := stringList(ctx, data.SharedConfigFiles, &diags); len(files) > 0 {
		opts = append(opts, config.WithSharedConfigFiles(files))
	}
	if files := stringList(ctx, data.SharedCredentialsFiles, &diags); len(files) > 0 {
		opts = append(opts, config.WithSharedCredentialsFiles(files))
	}
	// max_retries (default 25 like hashicorp/aws) and retry_mode; the SDK
	// counts attempts, the first included. Every call also has a deadline
	// (addCallDeadline), so retries never hold a plan for ever.
	newRetryer, attempts := retryOptions(data)
	opts = append(opts, config.WithRetryer(newRetryer), config.WithRetryMaxAttempts(attempts), config.WithHTTPClient(newHTTPClient()),
		config.WithAPIOptions([]func(*middleware.Stack) error{
			addCallDeadline,
			// The provider and its version in the User-Agent of every AWS call.
			awsmiddleware.AddUserAgentKeyValue("terraform-provider-manualapproval", p.version),
		}))
	endpoints := endpointsOf(data.Endpoints, &diags)
	if len(endpoints) > 0 {
		opts = append(opts, config.WithServiceOptions(endpointOverrides(endpoints)))
	}
	if diags.HasError() {
		return aws.Config{}, gate.Env{}, diags
	}

	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		diags.AddError("Unable to Load AWS Configuration",
			"The AWS configuration could not be loaded from the provider configuration, the environment and the shared configuration files. "+
				"Check `profile`, `shared_config_files`, `shared_credentials_files` and the AWS_* environment variables.\n\n"+
				"Original Error: "+err.Error())
		return aws.Config{}, gate.Env{}, diags
	}
	if cfg.Region == "" {
		diags.AddAttributeError(path.Root("region"), "Missing AWS Region",
			"The provider needs the AWS region to create the gates in. Set `region` in the provider configuration, "+
				"or the AWS_REGION or AWS_DEFAULT_REGION environment variable, or `region` in the shared configuration profile.")
		return aws.Config{}, gate.Env{}, diags
	}

	if !data.AssumeRole.IsNull() {
		var ar assumeRoleModel
		diags.Append(data.AssumeRole.As(ctx, &ar, objectAsOptions)...)
		if diags.HasError() {
			return aws.Config{}, gate.Env{}, diags
		}
		if ar.RoleARN.ValueString() == "" {
			diags.AddAttributeError(path.Root("assume_role").AtName("role_arn"), "Missing Role ARN",
				"The assume_role block needs role_arn, the ARN of the IAM role to assume. Set it, or remove the block.")
			return aws.Config{}, gate.Env{}, diags
		}
		cfg.Credentials = assumeRoleCredentials(ctx, cfg, ar, &diags)
	}
	if !data.AssumeRoleWithWebIdentity.IsNull() {
		var w assumeRoleWithWebIdentityModel
		diags.Append(data.AssumeRoleWithWebIdentity.As(ctx, &w, objectAsOptions)...)
		if diags.HasError() {
			return aws.Config{}, gate.Env{}, diags
		}
		// Like hashicorp/aws: the web identity role is assumed first, and
		// assume_role, if any, is assumed with its credentials.
		webCfg := cfg.Copy()
		webCfg.Credentials = aws.AnonymousCredentials{}
		creds := webIdentityCredentials(ctx, webCfg, w, &diags)
		if diags.HasError() {
			return aws.Config{}, gate.Env{}, diags
		}
		if !data.AssumeRole.IsNull() {
			var ar assumeRoleModel
			diags.Append(data.AssumeRole.As(ctx, &ar, objectAsOptions)...)
			base := cfg.Copy()
			base.Credentials = creds
			creds = assumeRoleCredentials(ctx, base, ar, &diags)
		}
		cfg.Credentials = creds
	}
	if diags.HasError() {
		return aws.Config{}, gate.Env{}, diags
	}

	env := gate.Env{
		Region:             cfg.Region,
		Partition:          partitionOfRegion(cfg.Region),
		APIGatewayEndpoint: aws.ToString(apigatewayv2.NewFromConfig(cfg).Options().BaseEndpoint),
		IgnoreTags:         ignoreTagsOf(ctx, data.IgnoreTags, &diags),
	}

	if !data.SkipCredentialsValidation.ValueBool() {
		account, partition, d := callerIdentity(ctx, cfg)
		diags.Append(d...)
		if diags.HasError() {
			return aws.Config{}, gate.Env{}, diags
		}
		if v := data.AccountID.ValueString(); v != "" && v != account {
			diags.AddAttributeError(path.Root("account_id"), "Account ID Does Not Match the Credentials",
				fmt.Sprintf("account_id is %s, but the credentials belong to account %s (STS GetCallerIdentity). "+
					"Remove account_id, or use credentials of account %s.", v, account, v))
			return aws.Config{}, gate.Env{}, diags
		}
		env.AccountID, env.Partition = account, partition
	} else {
		env.AccountID, env.Partition = accountWithoutValidation(ctx, cfg, data.AccountID.ValueString(), env.Partition)
	}
	// allowed_account_ids and forbidden_account_ids need the account the
	// credentials were verified to belong to, never one set by hand.
	verified := env.AccountID
	if data.SkipCredentialsValidation.ValueBool() {
		verified = ""
	}
	checkAccount(ctx, data, verified, &diags)
	if diags.HasError() {
		return aws.Config{}, gate.Env{}, diags
	}
	return cfg, env, diags
}

// callerIdentity checks the credentials and returns the account id and the
// partition of the caller.
func callerIdentity(ctx context.Context, cfg aws.Config) (account, partition string, diags diag.Diagnostics) {
	const fix = "Set credentials by one of the AWS credential chain's means: the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY " +
		"(and AWS_SESSION_TOKEN) environment variables, `profile` or AWS_PROFILE with a shared configuration or credentials file, " +
		"AWS SSO (`aws sso login`), a web identity token, or a container or instance role; `assume_role` then assumes a role with them. " +
		"Against a local AWS that accepts any credentials, set dummy AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or set " +
		"`skip_credentials_validation = true`."
	if cfg.Credentials == nil {
		diags.AddError("No Valid AWS Credentials Found", "The provider found no AWS credentials. "+fix)
		return "", "", diags
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		diags.AddError("No Valid AWS Credentials Found", "The provider could not retrieve AWS credentials. "+fix+"\n\nOriginal Error: "+err.Error())
		return "", "", diags
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		diags.AddError("Unable to Validate AWS Credentials",
			"STS GetCallerIdentity failed with the configured credentials: they are invalid or expired, or the STS endpoint "+
				"(`endpoints.sts`, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL) cannot be reached. "+fix+"\n\nOriginal Error: "+err.Error())
		return "", "", diags
	}
	account = aws.ToString(out.Account)
	partition = partitionOfRegion(cfg.Region)
	if a, err := arn.Parse(aws.ToString(out.Arn)); err == nil && a.Partition != "" {
		partition = a.Partition
	}
	return account, partition, diags
}

// newRetryer is the SDK's standard retryer without its client-side retry
// quota: under sustained throttling across many gates, the token bucket
// fails calls with "retry quota exceeded" that a retry with backoff would
// get through (terraform-provider-aws does the same). retryOptions builds
// the configured one the same way.
func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None })
}

// partitionOfRegion returns the AWS partition of a region name.
func partitionOfRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	default:
		return "aws"
	}
}

func (p *manualapprovalProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewGateResource,
	}
}

func (p *manualapprovalProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewGateDataSource,
	}
}

func (p *manualapprovalProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		NewTaskStateFunction,
	}
}

// defaultTagsOf returns the tags of the default_tags block, and whether they
// are unknown.
func defaultTagsOf(ctx context.Context, obj types.Object) (map[string]string, bool) {
	if obj.IsNull() {
		return nil, false
	}
	if obj.IsUnknown() {
		return nil, true
	}
	var dt defaultTagsModel
	if diags := obj.As(ctx, &dt, objectAsOptions); diags.HasError() {
		return nil, true
	}
	if dt.Tags.IsUnknown() {
		return nil, true
	}
	var d diag.Diagnostics
	tags := stringMap(ctx, dt.Tags, &d)
	if d.HasError() {
		return nil, true
	}
	return tags, false
}

// endpointsOf returns the endpoints block as a map from the SDK service id
// to the URL.
func endpointsOf(obj types.Object, diags *diag.Diagnostics) map[string]string {
	if obj.IsNull() || obj.IsUnknown() {
		return nil
	}
	attrs := obj.Attributes()
	m := make(map[string]types.String, len(attrs))
	for k, v := range attrs {
		s, ok := v.(types.String)
		if !ok {
			diags.AddError("Unexpected Endpoints Type",
				fmt.Sprintf("The endpoints attribute %q is a %T, not a string. This is always a bug in the provider and should be reported to the provider developers.", k, v))
			return nil
		}
		m[k] = s
	}
	out := map[string]string{}
	for _, s := range endpointServices {
		if v := m[s.Attr].ValueString(); v != "" {
			out[s.ServiceID] = v
		}
	}
	return out
}

// endpointOverrides returns an aws.Config ServiceOptions callback that sets
// the BaseEndpoint of each service client with a custom endpoint. It runs
// after the SDK resolved AWS_ENDPOINT_URL*, so the provider's endpoints win.
func endpointOverrides(endpoints map[string]string) func(serviceID string, options any) {
	return func(serviceID string, options any) {
		ep, ok := endpoints[serviceID]
		if !ok {
			return
		}
		setBaseEndpoint(options, ep)
	}
}

// objectAsOptions are the options of every types.Object As call.
var objectAsOptions = basetypes.ObjectAsOptions{}

// providerModel is the provider configuration.
type providerModel struct {
	Region                    types.String `tfsdk:"region"`
	Profile                   types.String `tfsdk:"profile"`
	SharedConfigFiles         types.List   `tfsdk:"shared_config_files"`
	SharedCredentialsFiles    types.List   `tfsdk:"shared_credentials_files"`
	MaxRetries                types.Int64  `tfsdk:"max_retries"`
	SkipCredentialsValidation types.Bool   `tfsdk:"skip_credentials_validation"`
	AccountID                 types.String `tfsdk:"account_id"`
	AssumeRole                types.Object `tfsdk:"assume_role"`
	DefaultTags               types.Object `tfsdk:"default_tags"`
	Endpoints                 types.Object `tfsdk:"endpoints"`

	// provider_parity.go
	AllowedAccountIDs         types.Set    `tfsdk:"allowed_account_ids"`
	ForbiddenAccountIDs       types.Set    `tfsdk:"forbidden_account_ids"`
	RetryMode                 types.String `tfsdk:"retry_mode"`
	AssumeRoleWithWebIdentity types.Object `tfsdk:"assume_role_with_web_identity"`
	IgnoreTags                types.Object `tfsdk:"ignore_tags"`
}

// assumeRoleModel is the assume_role block.
type assumeRoleModel struct {
	RoleARN     types.String `tfsdk:"role_arn"`
	SessionName types.String `tfsdk:"session_name"`
	ExternalID  types.String `tfsdk:"external_id"`
	Duration    types.String `tfsdk:"duration"`

	// provider_parity.go
	Policy            types.String `tfsdk:"policy"`
	PolicyARNs        types.Set    `tfsdk:"policy_arns"`
	Tags              types.Map    `tfsdk:"tags"`
	TransitiveTagKeys types.Set    `tfsdk:"transitive_tag_keys"`
	SourceIdentity    types.String `tfsdk:"source_identity"`
}

// defaultTagsModel is the default_tags block.
type defaultTagsModel struct {
	Tags types.Map `tfsdk:"tags"`
}
