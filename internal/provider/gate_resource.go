package provider

import (
	"context"
	"errors"
	"fmt"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
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

// gateResourceDescription is the resource's documentation.
const gateResourceDescription = "An approval gate: everything a human-approval step in AWS Step Functions needs, so that a state machine " +
	"can wait for a person's decision with one Task state. The gate is a DynamoDB table of requests, a notifier Lambda function " +
	"(invoked with `waitForTaskToken`; it notifies Slack, an SNS topic with e-mail and SMS subscriptions and an optional signed webhook), " +
	"a callback Lambda function behind an API Gateway HTTP API (signed approve/reject links and Slack interactivity), " +
	"one least-privilege IAM role per function, SSM SecureString parameters for the secrets and CloudWatch log groups. " +
	"Every part's name starts with `name`.\n\n" +
	"Use it by merging `task_state_json` into a state machine definition and granting `state_machine_policy_json` to the " +
	"state machine's role.\n\n" +
	"`drift` lists the parts that differed from the configuration at the last refresh; a plan then shows an in-place update that repairs them.\n\n" +
	"**Secrets** (`slack.webhook_url`, `slack.bot_token`, `slack.signing_secret`, `webhook.secret`, `sso.client_secret`, `teams.webhook_url`) each have a write-only form " +
	"(`<name>_wo` with `<name>_wo_version`, Terraform 1.11 or later) that never reaches the plan or the state: prefer it. It may come from an " +
	"`ephemeral` variable.\n\n" +
	"**Import** with `terraform import manualapproval_gate.example <name>`, or an `import` block (`terraform plan -generate-config-out` writes a " +
	"configuration that validates). Secrets cannot be read back from AWS and need not be given again: while a secret is not set, the stored one is kept. " +
	"Setting it (a write-only form with a new version, or the sensitive form) writes it at the next apply."

func (r *gateResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	emptySet := setdefault.StaticValue(types.SetValueMust(types.StringType, nil))
	stable := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}

	resp.Schema = schema.Schema{
		MarkdownDescription: gateResourceDescription,
		Blocks:              map[string]schema.Block{"timeouts": timeoutsBlock(ctx)},
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The gate's name.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Name of the gate, the prefix of every part's name: 1 to %d letters, digits, hyphens and underscores. "+
					"Changing it replaces the gate.", gateNameMaxLength),
				Required: true,
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, gateNameMaxLength),
					stringvalidator.RegexMatches(gateNameRegexp, "must contain only letters, digits, hyphens and underscores"),
				},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description of the gate, set on its parts that have one. Defaults to `\"\"`; at most 256 characters.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          []validator.String{stringvalidator.LengthAtMost(256)},
			},
			"tags": schema.MapAttribute{
				MarkdownDescription: "Tags of every AWS resource of the gate. They win over the provider's `default_tags` on key conflicts.",
				Optional:            true,
				ElementType:         types.StringType,
			},
			"tags_all": schema.MapAttribute{
				MarkdownDescription: "The tags of every AWS resource of the gate: the provider's `default_tags` overlaid with `tags`.",
				Computed:            true,
				ElementType:         types.StringType,
			},
			"timeout_seconds": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How long an approval request waits for a decision, counted from when the notifier ran: "+
					"the Task state's `HeartbeatSeconds` (its `TimeoutSeconds` is 300 s longer, a backstop); the links expire with it. Defaults to `%d` (one day); between `%d` and `%d` (one year).",
					defaultTimeoutSeconds, minTimeoutSeconds, maxTimeoutSeconds),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(defaultTimeoutSeconds),
				Validators: []validator.Int64{int64validator.Between(minTimeoutSeconds, maxTimeoutSeconds)},
			},
			"slack": schema.SingleNestedAttribute{
				MarkdownDescription: fmt.Sprintf("Slack notification. One of three wirings, chosen by `format` (%s): "+
					"`blocks` posts a Block Kit message with Approve/Reject link buttons to an incoming webhook (`webhook_url`); "+
					"`workflow` triggers a Slack Workflow Builder webhook (`webhook_url`) with flat variables; "+
					"`app` posts with a bot (`bot_token`, `channel`) and receives interactive button clicks signed with `signing_secret`, "+
					"checking the clicking user against `approvers` and updating the message in place.", quoted(slackFormats)),
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"webhook_url": schema.StringAttribute{
						MarkdownDescription: "Slack incoming webhook or Workflow Builder webhook URL, for the formats " + quoted(slackWebhookFormats) +
							". Must use https (http only for a loopback host: `localhost`, `127.0.0.0/8`, `::1`). Stored in an SSM SecureString parameter.",
						Optional:   true,
						Sensitive:  true,
						Validators: []validator.String{urlValidator{sensitive: true}},
					},
					"format": schema.StringAttribute{
						MarkdownDescription: fmt.Sprintf("Slack wiring, one of %s. Defaults to `%s` when `bot_token` is set, else `%s`.",
							quoted(slackFormats), approval.SlackFormatApp, approval.SlackFormatBlocks),
						Optional:      true,
						Computed:      true,
						Validators:    []validator.String{stringvalidator.OneOf(slackFormats...)},
						PlanModifiers: []planmodifier.String{slackFormatDefault{}},
					},
					"bot_token": schema.StringAttribute{
						MarkdownDescription: "Slack bot token (`xoxb-…`) of the app, for the format `app`. Stored in an SSM SecureString parameter.",
						Optional:            true,
						Sensitive:           true,
						Validators:          []validator.String{secretMatches{re: slackBotTokenRegexp, message: "must be a Slack bot token starting with \"xoxb-\""}},
					},
					"channel": schema.StringAttribute{
						MarkdownDescription: "Slack channel id or name the bot posts to, for the format `app`.",
						Optional:            true,
						Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
					},
					"signing_secret": schema.StringAttribute{
						MarkdownDescription: "Signing secret of the Slack app, which verifies the interactivity requests, for the format `app`. " +
							"Stored in an SSM SecureString parameter.",
						Optional:   true,
						Sensitive:  true,
						Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
					},
					"team_id": schema.StringAttribute{
						MarkdownDescription: "Id (`T…`) of the Slack workspace the app's clicks must come from, for the format `app`: clicks from any other workspace are refused. " +
							"Required with the format `app` when an identity control (`approvers`, `approver_groups`, `min_approvals` > 1, the self-approval ban) is set.",
						Optional:   true,
						Validators: []validator.String{stringvalidator.RegexMatches(slackTeamIDRegexp, "must be a Slack workspace id such as T024BE7LD")},
					},
					"enterprise_id": schema.StringAttribute{
						MarkdownDescription: "Id (`E…`) of the Enterprise Grid organisation the app's clicks must come from, for the format `app`.",
						Optional:            true,
						Validators:          []validator.String{stringvalidator.RegexMatches(slackEnterpriseIDRegexp, "must be a Slack Enterprise Grid id such as E0AKF8L2Q")},
					},
					"app_id": schema.StringAttribute{
						MarkdownDescription: "Id (`A…`) of the Slack app whose clicks the gate accepts, for the format `app`: interactions sent to any other app are refused.",
						Optional:            true,
						Validators:          []validator.String{stringvalidator.RegexMatches(slackAppIDRegexp, "must be a Slack app id such as A0KRD7HC3")},
					},
					"api_base_url": schema.StringAttribute{
						MarkdownDescription: fmt.Sprintf("Base URL of the Slack Web API, for tests against a local Slack. Defaults to `%s`. "+
							"Must use https (http only for a loopback host).", defaultSlackAPIBaseURL),
						Optional:   true,
						Computed:   true,
						Default:    stringdefault.StaticString(defaultSlackAPIBaseURL),
						Validators: []validator.String{urlValidator{}},
					},
				},
			},
			"approvers": schema.SetAttribute{
				MarkdownDescription: "Who may decide, by verified identity: " + identityFormsDoc + ". " +
					"A Slack app click counts as its Slack user and, when the app may read profile e-mails (`users:read.email`), as that e-mail too. " +
					"Defaults to empty: anyone who receives the request may decide. A bearer link proves no identity: with approvers set, links cannot approve " +
					"unless `sso` puts a sign-in in front of them (see `link_decisions`). " +
					fmt.Sprintf("Kept with `approver_groups`, `allowed_state_machine_arns` and `inputs` in the gate's `config` SSM parameter, at most %d bytes of JSON together "+
						"(about 200 e-mail addresses with a few state machines); a larger configuration is refused at plan time.", approval.MaxConfigDocBytes),
				Optional:    true,
				Computed:    true,
				ElementType: types.StringType,
				Default:     emptySet,
				Validators:  []validator.Set{setvalidator.ValueStringsAre(identityValidator{})},
			},
			"approver_groups": schema.SetAttribute{
				MarkdownDescription: "Groups of the single sign-on identity provider (its groups claim), or of the API tokens (`api.groups_claim`), whose members may decide, besides `approvers`. Needs `sso` or `api.groups_claim`. Defaults to empty.",
				Optional:            true,
				Computed:            true,
				ElementType:         types.StringType,
				Default:             emptySet,
				Validators:          []validator.Set{setvalidator.ValueStringsAre(groupNameValidator{})},
			},
			"link_decisions": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("What a link (e-mail, SMS, Slack webhook and workflow, generic webhook) may decide, one of %s: "+
					"`%s` approve and reject; `%s` only reject (approve in the Slack app or through the API); `%s` nothing: links only inform and their pages say so. "+
					"Defaults to `%s`. A bearer link proves only possession, so without `sso` a gate with an identity control "+
					"(`approvers`, `approver_groups`, `min_approvals` > 1, `allow_self_approval = false`) must set `%s` or `%s`.",
					quoted(linkDecisions), approval.LinkDecisionsAny, approval.LinkDecisionsRejectOnly, approval.LinkDecisionsNone,
					approval.LinkDecisionsAny, approval.LinkDecisionsRejectOnly, approval.LinkDecisionsNone),
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(approval.LinkDecisionsAny),
				Validators: []validator.String{stringvalidator.OneOf(linkDecisions...)},
			},
			"min_approvals": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Number of distinct approvals that approve a request; one rejection rejects it. Defaults to `%d`; "+
					"between `1` and `%d`, and at most the number of `approvers` when they are set.", defaultMinApprovals, approval.MaxMinApprovals),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(defaultMinApprovals),
				Validators: []validator.Int64{int64validator.Between(1, approval.MaxMinApprovals)},
			},
			"allow_self_approval": schema.BoolAttribute{
				MarkdownDescription: "Whether the person who requested the approval (`requested_by`, or the value at `requester_path`) may approve it. Defaults to `false`: " +
					"the ban compares verified identities, so the requester must be one (a Slack user id, an e-mail address, `sso:<value>` or `api:<value>`, set by a trusted starter); " +
					"a request without one is refused by the notifier. A bearer link cannot prove who clicks it: without `sso`, keep the ban with `link_decisions` " +
					"`reject_only` or `none`, or set `true`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"requester_path": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("JSONPath in the state input of the requester's identity (a Slack user id, an e-mail address, `sso:<value>` or `api:<value>`), used to refuse self-approval. "+
					"Defaults to `%s`; must start with `%s`.", approval.DefaultRequesterPath, requesterPathPrefix),
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(approval.DefaultRequesterPath),
				Validators: []validator.String{stringvalidator.RegexMatches(requesterPathRegexp, "must be a JSONPath starting with \"$.\"")},
			},
			"email_addresses": schema.SetAttribute{
				MarkdownDescription: "E-mail addresses subscribed to the gate's SNS topic. Each recipient confirms the subscription once. Defaults to empty.",
				Optional:            true,
				Computed:            true,
				ElementType:         types.StringType,
				Default:             emptySet,
				Validators: []validator.Set{setvalidator.ValueStringsAre(
					stringvalidator.RegexMatches(emailRegexp, "must be an e-mail address such as oncall@example.com"),
				)},
			},
			"sms_numbers": schema.SetAttribute{
				MarkdownDescription: "Phone numbers in E.164 form (`+` and up to 15 digits, e.g. `+14155550100`) subscribed to the gate's SNS topic for SMS. Defaults to empty.",
				Optional:            true,
				Computed:            true,
				ElementType:         types.StringType,
				Default:             emptySet,
				Validators: []validator.Set{setvalidator.ValueStringsAre(
					stringvalidator.RegexMatches(e164Regexp, "must be a phone number in E.164 form such as +14155550100"),
				)},
			},
			"webhook": schema.SingleNestedAttribute{
				MarkdownDescription: "Generic JSON webhook: every request is POSTed to `url`, signed with HMAC-SHA256 using `secret`.",
				Optional:            true,
				Attributes: map[string]schema.Attribute{
					"url": schema.StringAttribute{
						MarkdownDescription: "URL the requests are POSTed to. Sensitive (it can carry a token) and stored in an SSM SecureString parameter, " +
							"not in the function's environment. Must use https (http only for a loopback host: `localhost`, `127.0.0.0/8`, `::1`, " +
							"which the deployed notifier refuses all the same: inside Lambda, loopback is the Runtime API; only the local test harness " +
							"lets it through). Redirects are not followed. Needed to create the gate; after an import it may be left out (the stored URL is kept).",
						Optional:   true,
						Sensitive:  true,
						Validators: []validator.String{urlValidator{}},
					},
					"secret": schema.StringAttribute{
						MarkdownDescription: fmt.Sprintf("Key of the HMAC-SHA256 signature of each request; at least %d characters. Stored in an SSM SecureString parameter. "+
							"Set it or `secret_wo` when the gate is created.", minWebhookSecretLength),
						Optional:   true,
						Sensitive:  true,
						Validators: []validator.String{stringvalidator.LengthAtLeast(minWebhookSecretLength)},
					},
				},
			},
			"sso":   ssoSchemaAttribute(),
			"teams": teamsSchemaAttribute(), // gate_resource_teams.go
			// gate_resource_events.go
			"events":             eventsSchemaAttribute(),
			"notify_on_decision": notifyOnDecisionAttribute(),
			"sso_redirect_uri":   ssoRedirectURIAttribute(),
			"allowed_state_machine_arns": schema.SetAttribute{
				MarkdownDescription: "ARNs of the state machines whose executions the callback may resume (`states:SendTaskSuccess`/`SendTaskFailure` " +
					"are scoped to them) and the notifier may serve (its `states:SendTaskHeartbeat`, which proves each invocation's task token, " +
					"and its reads of the caller's execution are scoped to them). Defaults to empty: every state machine of the account and region. " +
					"Each ARN appears twice in each function's IAM policy (its tasks and its executions): the provider refuses at plan a list that would make either policy larger than IAM's 10,240 characters.",
				Optional:    true,
				Computed:    true,
				ElementType: types.StringType,
				Default:     emptySet,
				Validators: []validator.Set{setvalidator.ValueStringsAre(
					stringvalidator.RegexMatches(stateMachineARNRegexp, "must be a state machine ARN such as arn:aws:states:eu-west-1:123456789012:stateMachine:deploy"),
				)},
			},
			"include_execution_context": schema.BoolAttribute{
				MarkdownDescription: "Whether `task_state_json` passes the execution id, state machine id and state name to the notifier, " +
					"which shows them in the notifications. The execution id also lets the gate close a request whose execution was stopped, " +
					"failed or timed out elsewhere: the gate's EventBridge rule `<name>-stopped` hands the callback Step Functions' status change event, " +
					"and the request's Slack app message says \"Execution stopped\". Without it such a request closes at its expiry, or at the first click. " +
					"Defaults to `true`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(defaultIncludeExecContext),
			},
			"callback_base_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the links, for a custom domain in front of the gate's HTTP API. Defaults to the API's own endpoint. " +
					"Must use https (http only for a loopback host) and have no query string.",
				Optional:   true,
				Validators: []validator.String{urlValidator{noQuery: true}},
			},
			"log_retention_days": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Retention of the functions' CloudWatch log groups, in days. Defaults to `%d`; one of %s.",
					defaultLogRetentionDays, quoted(logRetentionDays)),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(defaultLogRetentionDays),
				Validators: []validator.Int64{int64validator.OneOf(logRetentionDays...)},
			},
			"lambda_architecture": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Instruction set architecture of the Lambda functions. Defaults to `%s`; one of %s.",
					defaultArchitecture, quoted(lambdaArchitectures)),
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(defaultArchitecture),
				Validators: []validator.String{stringvalidator.OneOf(lambdaArchitectures...)},
			},
			"lambda_memory_mb": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Memory of each Lambda function, in MB. Defaults to `%d`; between `%d` and `%d`.",
					defaultMemoryMB, minMemoryMB, maxMemoryMB),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(defaultMemoryMB),
				Validators: []validator.Int64{int64validator.Between(minMemoryMB, maxMemoryMB)},
			},
			"permissions_boundary_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of an IAM managed policy set as the permissions boundary of the gate's IAM roles. Defaults to none.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.RegexMatches(iamPolicyARNRegexp, "must be an IAM policy ARN such as arn:aws:iam::123456789012:policy/boundary")},
			},
			"kms_key_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of a customer managed KMS key that encrypts the gate's data at rest (table, topic, parameters, logs). " +
					"Defaults to AWS managed keys.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.RegexMatches(kmsKeyARNRegexp, "must be a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")},
			},

			"api": apiSchemaAttribute(), // gate_resource_api.go

			"reminders":                  remindersSchemaAttribute(),  // gate_resource_followup.go
			"warn_before_expiry_seconds": warnBeforeExpiryAttribute(), // gate_resource_followup.go

			"topic_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the gate's SNS topic. Subscribe more endpoints to it as needed.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"table_name": schema.StringAttribute{
				MarkdownDescription: "Name of the gate's DynamoDB table of approval requests (the audit trail).",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"notifier_function_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the notifier Lambda function, the one the Task state invokes.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"callback_function_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the callback Lambda function, behind the HTTP API.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"notifier_role_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the notifier function's IAM role.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"callback_role_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the callback function's IAM role.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"api_id": schema.StringAttribute{
				MarkdownDescription: "Id of the gate's API Gateway HTTP API.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"callback_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the links and the Slack interactivity endpoint (`<callback_url>/slack/interactions`): " +
					"`callback_base_url` when set, else the HTTP API's endpoint.",
				Computed:      true,
				PlanModifiers: stable,
			},
			"api_url": apiURLAttribute(),
			"bundle_sha256": schema.StringAttribute{
				MarkdownDescription: "Hex SHA-256 of the Lambda deployment package. The package is embedded in the provider, so a provider " +
					"release with new handler code shows as an in-place update.",
				Computed: true,
			},
			"task_state_json": schema.StringAttribute{
				MarkdownDescription: "JSON of the Task state that asks for an approval: invokes the notifier with `waitForTaskToken`, with " +
					"`HeartbeatSeconds` = `timeout_seconds` (the notifier's heartbeat starts it), `TimeoutSeconds` 300 s longer as a backstop, " +
					"and a `Retry` on Lambda's transient errors and on `ManualApproval.NotifyFailed`. It has no `Next` or `End`: " +
					"`merge(jsondecode(manualapproval_gate.example.task_state_json), { Next = \"Deploy\" })`.",
				Computed:      true,
				PlanModifiers: stable,
			},
			"state_machine_policy_json": schema.StringAttribute{
				MarkdownDescription: "JSON of the least IAM policy a state machine's role needs to use the gate (invoking the notifier).",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"drift": schema.ListAttribute{
				MarkdownDescription: "Parts of the gate that were missing or differed from the configuration at the last refresh, e.g. " +
					"`Lambda function deploy-prod-notifier: environment differs`. Empty when AWS matches the configuration; " +
					"when not, the plan shows an in-place update that repairs them.",
				Computed:    true,
				ElementType: types.StringType,
			},
		},
	}
	for k, a := range reasonAndInputsAttributes() {
		resp.Schema.Attributes[k] = a
	}
	resp.Schema.Attributes["escalation"] = escalationSchemaAttribute()
	addWriteOnlySecrets(&resp.Schema)
}

func (r *gateResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Resource Configure Type",
			fmt.Sprintf("Expected *providerData, got: %T. This is always a bug in the provider and should be reported to the provider developers.", req.ProviderData))
		return
	}
	r.data = data
}

func (r *gateResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg gateResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}

	if !cfg.Slack.IsNull() && !cfg.Slack.IsUnknown() {
		var s gateSlackModel
		resp.Diagnostics.Append(cfg.Slack.As(ctx, &s, objectAsOptions)...)
		if resp.Diagnostics.HasError() {
			return
		}
		validateSlack(s, &resp.Diagnostics)
	}
	if !cfg.SSO.IsNull() && !cfg.SSO.IsUnknown() {
		var s gateSSOModel
		resp.Diagnostics.Append(cfg.SSO.As(ctx, &s, objectAsOptions)...)
		if resp.Diagnostics.HasError() {
			return
		}
		validateSSO(ctx, s, &resp.Diagnostics)
	}
	validateIdentity(ctx, cfg, &resp.Diagnostics)
	validateEscalation(ctx, cfg, &resp.Diagnostics)

	validateInputs(ctx, cfg.Inputs, &resp.Diagnostics)
	validateAPI(ctx, cfg, &resp.Diagnostics)
	validateFollowup(ctx, cfg, &resp.Diagnostics)
	validateWriteOnlySecrets(cfg, &resp.Diagnostics)
	warnGateReach(ctx, cfg, &resp.Diagnostics)

	if !cfg.MinApprovals.IsNull() && !cfg.MinApprovals.IsUnknown() && !cfg.Approvers.IsNull() && !cfg.Approvers.IsUnknown() {
		n := len(cfg.Approvers.Elements())
		if minApprovals := cfg.MinApprovals.ValueInt64(); n > 0 && minApprovals > int64(n) {
			resp.Diagnostics.AddAttributeError(path.Root("min_approvals"), "Invalid Attribute Combination",
				fmt.Sprintf("min_approvals (%d) is greater than the number of approvers (%d): no request could ever be approved. "+
					"Lower min_approvals, add approvers, or remove approvers to let anyone decide.", minApprovals, n))
		}
	}
	validatePolicySize(ctx, cfg, &resp.Diagnostics)
	validateConfigDocSize(ctx, cfg, &resp.Diagnostics)
}

// validateSlack checks the combination of the slack attributes. Unknown
// values are not checked.
func validateSlack(s gateSlackModel, diags *diag.Diagnostics) {
	if s.Format.IsUnknown() {
		return
	}
	root := path.Root("slack")
	// A secret counts as set in either form; unknown counts as set. A
	// missing secret is checked when the gate is created
	// (planWriteOnlySecrets): an imported gate keeps its stored secrets.
	webhookURL := orWriteOnly(s.WebhookURL, s.WebhookURLWO)
	botToken := orWriteOnly(s.BotToken, s.BotTokenWO)
	signingSecret := orWriteOnly(s.SigningSecret, s.SigningSecretWO)
	if s.Format.IsNull() && set(webhookURL) && set(botToken) {
		diags.AddAttributeError(root.AtName("bot_token"), "Invalid Attribute Combination",
			"slack.webhook_url and slack.bot_token cannot be used together: webhook_url is for the formats \"blocks\" and \"workflow\", "+
				"bot_token (with channel and signing_secret) for the format \"app\". Remove one of them.")
		return
	}
	format := effectiveSlackFormat(s.Format.ValueString(), set(botToken))

	switch format {
	case approval.SlackFormatBlocks, approval.SlackFormatWorkflow:
		for _, a := range []struct {
			name string
			v    types.String
		}{
			{"bot_token", botToken}, {"channel", s.Channel}, {"signing_secret", signingSecret},
			// The app's clicks are checked against these: a webhook has no clicks.
			{"team_id", s.TeamID}, {"enterprise_id", s.EnterpriseID}, {"app_id", s.AppID},
		} {
			if set(a.v) {
				diags.AddAttributeError(root.AtName(a.name), "Invalid Attribute Combination",
					fmt.Sprintf("slack.%s is only used with format \"app\", but the format is %q, which posts to webhook_url. "+
						"Remove slack.%s, or set format = \"app\" and remove webhook_url.", a.name, format, a.name))
			}
		}
	case approval.SlackFormatApp:
		if set(webhookURL) {
			diags.AddAttributeError(root.AtName("webhook_url"), "Invalid Attribute Combination",
				"slack.webhook_url cannot be used with format \"app\", which posts with bot_token to channel. "+
					"Remove webhook_url, or use format \"blocks\" or \"workflow\" without bot_token.")
		}
		if !set(s.Channel) {
			diags.AddAttributeError(root.AtName("channel"), "Missing Slack App Attribute",
				"The Slack format \"app\" needs bot_token, channel and signing_secret: set slack.channel.")
		}
	}
}

// effectiveSlackFormat is format, or its default: "app" with a bot token,
// else "blocks".
func effectiveSlackFormat(format string, hasBotToken bool) string {
	switch {
	case format != "":
		return format
	case hasBotToken:
		return approval.SlackFormatApp
	default:
		return approval.SlackFormatBlocks
	}
}

func (r *gateResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or validation without a configured provider
	}
	if refuseUnknownAccount(r.data, &resp.Diagnostics) {
		return
	}
	var plan gateResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *gateResourceModel
	if !req.State.Raw.IsNull() {
		state = &gateResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}

	// (a) The embedded bundle: new handler code is an in-place update.
	if plan.LambdaArchitecture.IsUnknown() {
		plan.BundleSHA256 = types.StringUnknown()
	} else {
		arch := plan.LambdaArchitecture.ValueString()
		sum, err := r.data.BundleSHA256(arch)
		if err != nil {
			resp.Diagnostics.AddError("Lambda Bundle Missing",
				fmt.Sprintf("The Lambda deployment package for %s is not embedded in this build of the provider, so no gate can be deployed. "+
					"This is always a bug in the provider and should be reported to the provider developers.\n\nOriginal Error: %s", arch, err))
			return
		}
		plan.BundleSHA256 = types.StringValue(sum)
	}

	// A secret the wiring needs is set when the gate is created.
	planWriteOnlySecrets(ctx, req.Config, state == nil, &resp.Diagnostics)

	// (b) Create and Update converge every part: no drift after apply.
	plan.Drift = listOf(nil)

	// (c) tags_all.
	if r.data.DefaultTagsUnknown || !isFullyKnown(ctx, plan.Tags) {
		plan.TagsAll = types.MapUnknown(types.StringType)
	} else {
		tags := stringMap(ctx, plan.Tags, &resp.Diagnostics)
		plan.TagsAll = mapOf(mergeTags(r.data.DefaultTags, tags))
	}

	// (d) Computed values whose inputs change.
	if state != nil {
		// Repairing drift re-creates missing parts under the same names, so
		// their ARNs (and the task state and policy built from them) stay;
		// only a re-created API gets a new id, and with it a new URL.
		if gate.DriftRecreatesAPI(stringList(ctx, state.Drift, &resp.Diagnostics)) {
			plan.APIID = types.StringUnknown()
			if plan.CallbackBaseURL.IsNull() {
				plan.CallbackURL = types.StringUnknown()
			}
		}
		if !plan.TimeoutSeconds.Equal(state.TimeoutSeconds) || !plan.IncludeExecutionContext.Equal(state.IncludeExecutionContext) {
			plan.TaskStateJSON = types.StringUnknown()
		}
		if !plan.CallbackBaseURL.Equal(state.CallbackBaseURL) {
			plan.CallbackURL = types.StringUnknown()
		}
	}
	plan.SSORedirectURI = ssoRedirectURI(plan.CallbackURL)

	plan.APIURL = planAPIURL(plan.API, plan.CallbackURL)

	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
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
	state.Drift = listOf(status.Drift)
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
	status, err := r.data.Manager.Update(opCtx, spec)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Update Approval Gate",
			fmt.Sprintf("Updating the approval gate %q failed; some of its parts may already be updated. "+
				"Fix the cause below (credentials and permissions, quotas, the endpoints) and apply again: the update converges every part.\n\n"+
				"%sOriginal Error: %s", spec.Name, timeoutHint(opCtx, err, "update", limit), err))
		return
	}
	plan.applyApplied(spec, status)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
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

// gateSpec builds the gate's Spec from a plan or a state, with the defaults
// applied and the tags merged with the provider's default tags.
func gateSpec(ctx context.Context, m gateResourceModel, defaultTags map[string]string) (gate.Spec, diag.Diagnostics) {
	var diags diag.Diagnostics
	spec := gate.Spec{
		Name:                    m.Name.ValueString(),
		Description:             m.Description.ValueString(),
		Tags:                    mergeTags(defaultTags, stringMap(ctx, m.Tags, &diags)),
		TimeoutSeconds:          int64OrDefault(m.TimeoutSeconds, defaultTimeoutSeconds),
		Approvers:               stringSet(ctx, m.Approvers, &diags),
		ApproverGroups:          stringSet(ctx, m.ApproverGroups, &diags),
		LinkDecisions:           stringOrDefault(m.LinkDecisions, approval.LinkDecisionsAny),
		MinApprovals:            int(int64OrDefault(m.MinApprovals, defaultMinApprovals)),
		AllowSelfApproval:       m.AllowSelfApproval.ValueBool(),
		RequesterPath:           stringOrDefault(m.RequesterPath, approval.DefaultRequesterPath),
		RequireReason:           requireReason(m.RequireReason.ValueString()),
		EmailAddresses:          stringSet(ctx, m.EmailAddresses, &diags),
		SMSNumbers:              stringSet(ctx, m.SMSNumbers, &diags),
		AllowedStateMachineARNs: stringSet(ctx, m.AllowedStateMachineARNs, &diags),
		IncludeExecutionContext: m.IncludeExecutionContext.IsNull() || m.IncludeExecutionContext.ValueBool(),
		CallbackBaseURL:         strings.TrimRight(m.CallbackBaseURL.ValueString(), "/"),
		LogRetentionDays:        int32(int64OrDefault(m.LogRetentionDays, defaultLogRetentionDays)),
		Architecture:            stringOrDefault(m.LambdaArchitecture, defaultArchitecture),
		MemoryMB:                int32(int64OrDefault(m.LambdaMemoryMB, defaultMemoryMB)),
		PermissionsBoundaryARN:  m.PermissionsBoundaryARN.ValueString(),
		KMSKeyARN:               m.KMSKeyARN.ValueString(),
	}
	spec.Inputs, _ = inputSpecs(ctx, m.Inputs, &diags)
	if !m.Slack.IsNull() && !m.Slack.IsUnknown() {
		var s gateSlackModel
		diags.Append(m.Slack.As(ctx, &s, objectAsOptions)...)
		spec.Slack = &gate.SlackSpec{
			Format:        effectiveSlackFormat(s.Format.ValueString(), s.BotToken.ValueString() != ""),
			WebhookURL:    s.WebhookURL.ValueString(),
			BotToken:      s.BotToken.ValueString(),
			Channel:       s.Channel.ValueString(),
			SigningSecret: s.SigningSecret.ValueString(),
			APIBaseURL:    strings.TrimRight(stringOrDefault(s.APIBaseURL, defaultSlackAPIBaseURL), "/"),
			TeamID:        optionalString(s.TeamID),
			EnterpriseID:  optionalString(s.EnterpriseID),
			AppID:         optionalString(s.AppID),
		}
	}
	if !m.Webhook.IsNull() && !m.Webhook.IsUnknown() {
		var w gateWebhookModel
		diags.Append(m.Webhook.As(ctx, &w, objectAsOptions)...)
		spec.Webhook = &gate.WebhookSpec{URL: w.URL.ValueString(), Secret: w.Secret.ValueString()}
	}
	spec.SSO = ssoSpec(ctx, m.SSO, &diags)
	spec.Teams = teamsSpec(ctx, m.Teams, &diags)
	spec.API = apiSpec(ctx, m.API, &diags)
	eventsSpec(ctx, m, &spec.Followup, &diags)
	remindersSpec(ctx, m, &spec, &diags)
	spec.Escalation = escalationSpecs(ctx, m.Escalation, &diags)
	return spec, diags
}

// modelFromSpec builds the state of an imported gate. Secrets cannot be read
// back, so they are null; tags are the gate's tags without the provider's
// default tags.
func modelFromSpec(spec gate.Spec, status gate.Status, defaultTags map[string]string) gateResourceModel {
	tags := map[string]string{}
	for k, v := range spec.Tags {
		if dv, ok := defaultTags[k]; !ok || dv != v {
			tags[k] = v
		}
	}
	orInt := func(v, def int64) types.Int64 {
		if v == 0 {
			v = def
		}
		return types.Int64Value(v)
	}
	orString := func(v, def string) types.String {
		if v == "" {
			v = def
		}
		return types.StringValue(v)
	}

	m := gateResourceModel{
		Timeouts:                nullTimeouts(),
		ID:                      types.StringValue(spec.Name),
		Name:                    types.StringValue(spec.Name),
		Description:             types.StringValue(spec.Description),
		Tags:                    mapOrNull(tags),
		TagsAll:                 mapOf(spec.Tags),
		TimeoutSeconds:          orInt(spec.TimeoutSeconds, defaultTimeoutSeconds),
		Slack:                   types.ObjectNull(gateSlackAttrTypes),
		Approvers:               setOf(spec.Approvers),
		ApproverGroups:          setOf(spec.ApproverGroups),
		LinkDecisions:           orString(spec.LinkDecisions, approval.LinkDecisionsAny),
		MinApprovals:            orInt(int64(spec.MinApprovals), defaultMinApprovals),
		AllowSelfApproval:       types.BoolValue(spec.AllowSelfApproval),
		RequesterPath:           orString(spec.RequesterPath, approval.DefaultRequesterPath),
		RequireReason:           orString(spec.RequireReason, approval.ReasonNever),
		Inputs:                  inputsValue(spec.Inputs),
		EmailAddresses:          setOf(spec.EmailAddresses),
		SMSNumbers:              setOf(spec.SMSNumbers),
		Webhook:                 types.ObjectNull(gateWebhookAttrTypes),
		SSO:                     ssoObject(spec.SSO),
		Teams:                   teamsObject(spec.Teams),
		AllowedStateMachineARNs: setOf(spec.AllowedStateMachineARNs),
		IncludeExecutionContext: types.BoolValue(spec.IncludeExecutionContext),
		CallbackBaseURL:         stringOrNull(spec.CallbackBaseURL),
		LogRetentionDays:        orInt(int64(spec.LogRetentionDays), defaultLogRetentionDays),
		LambdaArchitecture:      orString(spec.Architecture, defaultArchitecture),
		LambdaMemoryMB:          orInt(int64(spec.MemoryMB), defaultMemoryMB),
		PermissionsBoundaryARN:  stringOrNull(spec.PermissionsBoundaryARN),
		KMSKeyARN:               stringOrNull(spec.KMSKeyARN),
		BundleSHA256:            stringOrNull(status.BundleSHA256),
		Drift:                   listOf(status.Drift),
		API:                     apiObject(spec.API),
		Events:                  eventsObject(spec.Followup.Events),
		NotifyOnDecision:        types.BoolValue(spec.Followup.NotifyOnDecision),
		Escalation:              escalationValue(spec.Escalation),
	}
	if s := spec.Slack; s != nil {
		m.Slack = types.ObjectValueMust(gateSlackAttrTypes, map[string]attr.Value{
			"webhook_url":    types.StringNull(),
			"format":         types.StringValue(effectiveSlackFormat(s.Format, s.BotToken != "")),
			"bot_token":      types.StringNull(),
			"channel":        stringOrNull(s.Channel),
			"signing_secret": types.StringNull(),
			"team_id":        stringOrNull(s.TeamID),
			"enterprise_id":  stringOrNull(s.EnterpriseID),
			"app_id":         stringOrNull(s.AppID),
			"api_base_url":   orString(s.APIBaseURL, defaultSlackAPIBaseURL),

			"webhook_url_wo":            types.StringNull(),
			"webhook_url_wo_version":    types.Int64Null(),
			"bot_token_wo":              types.StringNull(),
			"bot_token_wo_version":      types.Int64Null(),
			"signing_secret_wo":         types.StringNull(),
			"signing_secret_wo_version": types.Int64Null(),
		})
	}
	if w := spec.Webhook; w != nil {
		m.Webhook = types.ObjectValueMust(gateWebhookAttrTypes, map[string]attr.Value{
			"url":    nullIfEmpty(w.URL), // a secret: empty after import
			"secret": types.StringNull(),

			"secret_wo":         types.StringNull(),
			"secret_wo_version": types.Int64Null(),
		})
	}
	remindersModel(spec, &m)
	m.applyStatus(status)
	return m
}

// nullIfEmpty is s, or null when s is empty.
func nullIfEmpty(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// slackFormatDefault plans slack.format when it is not configured: "app"
// with a bot_token, else "blocks".
type slackFormatDefault struct{}

var _ planmodifier.String = slackFormatDefault{}

func (slackFormatDefault) Description(_ context.Context) string {
	return fmt.Sprintf("defaults to %q when bot_token is set, else %q", approval.SlackFormatApp, approval.SlackFormatBlocks)
}

func (m slackFormatDefault) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (slackFormatDefault) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if !req.ConfigValue.IsNull() {
		return
	}
	var token, tokenWO types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, req.Path.ParentPath().AtName("bot_token"), &token)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, req.Path.ParentPath().AtName("bot_token_wo"), &tokenWO)...)
	token = orWriteOnly(token, tokenWO)
	switch {
	case token.IsUnknown():
		resp.PlanValue = types.StringUnknown()
	default:
		resp.PlanValue = types.StringValue(effectiveSlackFormat("", !token.IsNull()))
	}
}

// isFullyKnown reports whether v and everything in it is known.
func isFullyKnown(ctx context.Context, v attr.Value) bool {
	tv, err := v.ToTerraformValue(ctx)
	return err == nil && tv.IsFullyKnown()
}

func int64OrDefault(v types.Int64, def int64) int64 {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	return v.ValueInt64()
}

func stringOrDefault(v types.String, def string) string {
	if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
		return def
	}
	return v.ValueString()
}

// applyStatus stores what AWS says in the computed attributes.
func (m *gateResourceModel) applyStatus(s gate.Status) {
	m.ID = m.Name
	// A part found missing by a refresh has no identifier now: keep the
	// last known one (drift names the part; the repair re-creates it under
	// the same name).
	set := func(dst *types.String, v string) {
		if v != "" || dst.IsNull() || dst.IsUnknown() {
			*dst = types.StringValue(v)
		}
	}
	set(&m.TopicARN, s.TopicARN)
	set(&m.TableName, s.TableName)
	set(&m.NotifierFunctionARN, s.NotifierFunctionARN)
	set(&m.CallbackFunctionARN, s.CallbackFunctionARN)
	set(&m.NotifierRoleARN, s.NotifierRoleARN)
	set(&m.CallbackRoleARN, s.CallbackRoleARN)
	set(&m.APIID, s.APIID)
	set(&m.CallbackURL, s.CallbackURL)
	m.SSORedirectURI = ssoRedirectURI(m.CallbackURL)
	m.APIURL = planAPIURL(m.API, m.CallbackURL)
	set(&m.TaskStateJSON, s.TaskStateJSON)
	set(&m.StateMachinePolicyJSON, s.StateMachinePolicyJSON)
}

// applyApplied stores the result of Create or Update: the gate now matches
// spec.
func (m *gateResourceModel) applyApplied(spec gate.Spec, s gate.Status) {
	m.applyStatus(s)
	m.TagsAll = mapOf(spec.Tags)
	m.Drift = listOf(nil)
	if m.BundleSHA256.IsUnknown() || m.BundleSHA256.IsNull() {
		m.BundleSHA256 = types.StringValue(s.BundleSHA256)
	}
	if !m.Slack.IsNull() && spec.Slack != nil {
		attrs := m.Slack.Attributes()
		if f, ok := attrs["format"].(types.String); ok && f.IsUnknown() {
			attrs["format"] = types.StringValue(spec.Slack.Format)
			m.Slack = types.ObjectValueMust(gateSlackAttrTypes, attrs)
		}
	}
}

// gateSlackAttrTypes are the attribute types of slack.
var gateSlackAttrTypes = map[string]attr.Type{
	"webhook_url":    types.StringType,
	"format":         types.StringType,
	"bot_token":      types.StringType,
	"channel":        types.StringType,
	"signing_secret": types.StringType,
	"team_id":        types.StringType,
	"enterprise_id":  types.StringType,
	"app_id":         types.StringType,
	"api_base_url":   types.StringType,

	"webhook_url_wo":            types.StringType,
	"webhook_url_wo_version":    types.Int64Type,
	"bot_token_wo":              types.StringType,
	"bot_token_wo_version":      types.Int64Type,
	"signing_secret_wo":         types.StringType,
	"signing_secret_wo_version": types.Int64Type,
}

// gateWebhookAttrTypes are the attribute types of webhook.
var gateWebhookAttrTypes = map[string]attr.Type{
	"url":    types.StringType,
	"secret": types.StringType,

	"secret_wo":         types.StringType,
	"secret_wo_version": types.Int64Type,
}

// gateResourceModel is the manualapproval_gate resource.
type gateResourceModel struct {
	ID                      types.String `tfsdk:"id"`
	Name                    types.String `tfsdk:"name"`
	Description             types.String `tfsdk:"description"`
	Tags                    types.Map    `tfsdk:"tags"`
	TagsAll                 types.Map    `tfsdk:"tags_all"`
	TimeoutSeconds          types.Int64  `tfsdk:"timeout_seconds"`
	Slack                   types.Object `tfsdk:"slack"`
	Approvers               types.Set    `tfsdk:"approvers"`
	ApproverGroups          types.Set    `tfsdk:"approver_groups"`
	LinkDecisions           types.String `tfsdk:"link_decisions"`
	MinApprovals            types.Int64  `tfsdk:"min_approvals"`
	AllowSelfApproval       types.Bool   `tfsdk:"allow_self_approval"`
	RequesterPath           types.String `tfsdk:"requester_path"`
	RequireReason           types.String `tfsdk:"require_reason"`
	Inputs                  types.List   `tfsdk:"inputs"`
	EmailAddresses          types.Set    `tfsdk:"email_addresses"`
	SMSNumbers              types.Set    `tfsdk:"sms_numbers"`
	Webhook                 types.Object `tfsdk:"webhook"`
	SSO                     types.Object `tfsdk:"sso"`
	Teams                   types.Object `tfsdk:"teams"`
	SSORedirectURI          types.String `tfsdk:"sso_redirect_uri"`
	AllowedStateMachineARNs types.Set    `tfsdk:"allowed_state_machine_arns"`
	IncludeExecutionContext types.Bool   `tfsdk:"include_execution_context"`
	CallbackBaseURL         types.String `tfsdk:"callback_base_url"`
	LogRetentionDays        types.Int64  `tfsdk:"log_retention_days"`
	LambdaArchitecture      types.String `tfsdk:"lambda_architecture"`
	LambdaMemoryMB          types.Int64  `tfsdk:"lambda_memory_mb"`
	PermissionsBoundaryARN  types.String `tfsdk:"permissions_boundary_arn"`
	KMSKeyARN               types.String `tfsdk:"kms_key_arn"`
	API                     types.Object `tfsdk:"api"`
	Events                  types.Object `tfsdk:"events"`
	NotifyOnDecision        types.Bool   `tfsdk:"notify_on_decision"`
	Reminders               types.Object `tfsdk:"reminders"`
	WarnBeforeExpirySeconds types.Int64  `tfsdk:"warn_before_expiry_seconds"`
	Escalation              types.List   `tfsdk:"escalation"`

	TopicARN               types.String `tfsdk:"topic_arn"`
	TableName              types.String `tfsdk:"table_name"`
	NotifierFunctionARN    types.String `tfsdk:"notifier_function_arn"`
	CallbackFunctionARN    types.String `tfsdk:"callback_function_arn"`
	NotifierRoleARN        types.String `tfsdk:"notifier_role_arn"`
	CallbackRoleARN        types.String `tfsdk:"callback_role_arn"`
	APIID                  types.String `tfsdk:"api_id"`
	CallbackURL            types.String `tfsdk:"callback_url"`
	APIURL                 types.String `tfsdk:"api_url"`
	BundleSHA256           types.String `tfsdk:"bundle_sha256"`
	TaskStateJSON          types.String `tfsdk:"task_state_json"`
	StateMachinePolicyJSON types.String `tfsdk:"state_machine_policy_json"`
	Drift                  types.List   `tfsdk:"drift"`

	// Timeouts is the timeouts block (gate_resource_timeouts.go).
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

// gateSlackModel is the slack attribute.
type gateSlackModel struct {
	WebhookURL    types.String `tfsdk:"webhook_url"`
	Format        types.String `tfsdk:"format"`
	BotToken      types.String `tfsdk:"bot_token"`
	Channel       types.String `tfsdk:"channel"`
	SigningSecret types.String `tfsdk:"signing_secret"`
	TeamID        types.String `tfsdk:"team_id"`
	EnterpriseID  types.String `tfsdk:"enterprise_id"`
	AppID         types.String `tfsdk:"app_id"`
	APIBaseURL    types.String `tfsdk:"api_base_url"`

	// Write-only forms (gate_resource_writeonly.go).
	WebhookURLWO           types.String `tfsdk:"webhook_url_wo"`
	WebhookURLWOVersion    types.Int64  `tfsdk:"webhook_url_wo_version"`
	BotTokenWO             types.String `tfsdk:"bot_token_wo"`
	BotTokenWOVersion      types.Int64  `tfsdk:"bot_token_wo_version"`
	SigningSecretWO        types.String `tfsdk:"signing_secret_wo"`
	SigningSecretWOVersion types.Int64  `tfsdk:"signing_secret_wo_version"`
}

// gateWebhookModel is the webhook attribute.
type gateWebhookModel struct {
	URL    types.String `tfsdk:"url"`
	Secret types.String `tfsdk:"secret"`

	// Write-only form (gate_resource_writeonly.go).
	SecretWO        types.String `tfsdk:"secret_wo"`
	SecretWOVersion types.Int64  `tfsdk:"secret_wo_version"`
}
