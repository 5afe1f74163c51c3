// The manualapproval_gate resource: its model and the conversions between
// the model, gate.Spec and gate.Status (gate_resource.go has its operations).

package provider

import (
	"context"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

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
