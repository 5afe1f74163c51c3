// The manualapproval_gate resource: its schema and the slack.format default
// (gate_resource.go has its operations).

package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
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
)

// gateResourceDescription is the resource's documentation.
const gateResourceDescription = "An approval gate: everything a human-approval step in AWS Step Functions needs, so that a state machine " +
	"can wait for a person's decision with one Task state. The gate is a DynamoDB table of requests, a notifier Lambda function " +
	"(invoked with `waitForTaskToken`; it notifies Slack, an SNS topic with e-mail and SMS subscriptions and an optional signed webhook), " +
	"a callback Lambda function behind an API Gateway HTTP API (signed approve/reject links and Slack interactivity), " +
	"one least-privilege IAM role per function, SSM SecureString parameters for the secrets and CloudWatch log groups. " +
	"Every part's name starts with `name`.\n\n" +
	"Use it by merging `task_state_json` into a state machine definition and granting `state_machine_policy_json` to the " +
	"state machine's role.\n\n" +
	"**Refresh and plans** work as in the AWS provider: a refresh writes what AWS holds into the arguments that map to one AWS setting " +
	"(`lambda_memory_mb`, `lambda_architecture`, `log_retention_days`, `description`, `permissions_boundary_arn`, `kms_key_arn`, `tags`, " +
	"`email_addresses`, `sms_numbers`), so a plan shows the change on the argument (`lambda_memory_mb: 512 -> 128`) and " +
	"`lifecycle.ignore_changes` keeps a value changed outside Terraform. `drift` lists what no argument shows (a missing part, a policy, " +
	"a route, a permission); a plan then shows an in-place update that repairs it. An update changes only the parts whose settings " +
	"changed, and those the refresh found differing; a tag change is applied to every part in place.\n\n" +
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
				MarkdownDescription: "What the last refresh found missing or differing in the parts of the gate that no argument shows, e.g. " +
					"`Lambda function deploy-prod-notifier: environment differs` (a missing part, an IAM policy, an API route, a permission, an escalation subscription). " +
					"Differences in arguments that map to one AWS setting are read back into those arguments instead. Empty when AWS matches the configuration; " +
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
