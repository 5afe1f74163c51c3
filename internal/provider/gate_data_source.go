package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

var _ datasource.DataSourceWithConfigure = (*gateDataSource)(nil)

// NewGateDataSource returns the manualapproval_gate data source: a gate
// looked up by name, so that a team can use a gate another workspace owns.
func NewGateDataSource() datasource.DataSource { return &gateDataSource{} }

type gateDataSource struct{ data *providerData }

// gateDataSourceModel is the data source's state. Every attribute but name
// is computed: what a state machine needs (task_state_json,
// state_machine_policy_json), where people and machines decide
// (callback_url, api_url) and the parts' identifiers. No secret is read.
type gateDataSourceModel struct {
	Name                    types.String `tfsdk:"name"`
	ID                      types.String `tfsdk:"id"`
	Region                  types.String `tfsdk:"region"`
	Description             types.String `tfsdk:"description"`
	TimeoutSeconds          types.Int64  `tfsdk:"timeout_seconds"`
	Approvers               types.Set    `tfsdk:"approvers"`
	ApproverGroups          types.Set    `tfsdk:"approver_groups"`
	MinApprovals            types.Int64  `tfsdk:"min_approvals"`
	AllowedStateMachineARNs types.Set    `tfsdk:"allowed_state_machine_arns"`
	TaskStateJSON           types.String `tfsdk:"task_state_json"`
	StateMachinePolicyJSON  types.String `tfsdk:"state_machine_policy_json"`
	CallbackURL             types.String `tfsdk:"callback_url"`
	APIURL                  types.String `tfsdk:"api_url"`
	NotifierFunctionARN     types.String `tfsdk:"notifier_function_arn"`
	CallbackFunctionARN     types.String `tfsdk:"callback_function_arn"`
	NotifierRoleARN         types.String `tfsdk:"notifier_role_arn"`
	CallbackRoleARN         types.String `tfsdk:"callback_role_arn"`
	TopicARN                types.String `tfsdk:"topic_arn"`
	TableName               types.String `tfsdk:"table_name"`
	Drift                   types.List   `tfsdk:"drift"`
	Tags                    types.Map    `tfsdk:"tags"`
}

func (d *gateDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_gate"
}

func (d *gateDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	computedSet := func(desc string) schema.SetAttribute {
		return schema.SetAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up an approval gate by name, in the provider's account and region, so that a workspace that does not " +
			"own a gate can use it: merge `task_state_json` into a state machine definition and grant `state_machine_policy_json` to the " +
			"state machine's role, as with the `manualapproval_gate` resource.\n\n" +
			"A platform team owns the gate (its channels, approvers and secrets) in its workspace; an application team reads it here. " +
			"No secret is read: the data source needs `lambda:GetFunction`, `ssm:GetParameters` on the gate's configuration parameter " +
			"and the read permissions of the gate's parts. A gate whose `allowed_state_machine_arns` does not include the reader's " +
			"state machine refuses its requests (`ManualApproval.InvalidRequest`): check `allowed_state_machine_arns`.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The gate's name (the `name` of its `manualapproval_gate` resource).",
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, gateNameMaxLength),
					stringvalidator.RegexMatches(gateNameRegexp, "must contain only letters, digits, hyphens and underscores"),
				},
			},
			"id":                         computed("The gate's name."),
			"region":                     computed("The AWS region of the gate (the provider's)."),
			"description":                computed("The gate's description."),
			"timeout_seconds":            schema.Int64Attribute{Computed: true, MarkdownDescription: "How long a request waits for a decision."},
			"approvers":                  computedSet("Who may decide (canonical identities); empty means anyone who receives a link."),
			"approver_groups":            computedSet("Identity-provider groups whose members may decide."),
			"min_approvals":              schema.Int64Attribute{Computed: true, MarkdownDescription: "How many distinct approvers must approve."},
			"allowed_state_machine_arns": computedSet("The state machines whose requests the gate accepts; empty means any of the account and region."),
			"task_state_json":            computed("The Task state to merge into a state machine definition (JSON), as the resource's `task_state_json`."),
			"state_machine_policy_json":  computed("The IAM policy a state machine's role needs to use the gate (JSON)."),
			"callback_url":               computed("The base URL of the gate's links and Slack interactivity."),
			"api_url":                    computed("The machine-decision API's base URL; null when the gate has no `api`."),
			"notifier_function_arn":      computed("ARN of the notifier Lambda function."),
			"callback_function_arn":      computed("ARN of the callback Lambda function."),
			"notifier_role_arn":          computed("ARN of the notifier's IAM role."),
			"callback_role_arn":          computed("ARN of the callback's IAM role."),
			"topic_arn":                  computed("ARN of the SNS topic of e-mail and SMS notifications."),
			"table_name":                 computed("Name of the DynamoDB table of requests."),
			"drift": schema.ListAttribute{
				Computed: true, ElementType: types.StringType,
				MarkdownDescription: "The parts of the gate that differ from its own configuration, or are missing (empty when the gate is whole). " +
					"A gate with drift may not work: its owners repair it with `terraform apply`.",
			},
			"tags": schema.MapAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "The gate's tags (without the provider's `ignore_tags`)."},
		},
	}
}

func (d *gateDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := configuredData(req.ProviderData, "Data Source", &resp.Diagnostics); data != nil {
		d.data = data
	}
}

func (d *gateDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m gateDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.data == nil || d.data.Manager == nil || d.data.ConfigUnknown {
		resp.Diagnostics.AddError("Unable to Read Approval Gate",
			"The provider is not configured: its configuration depends on values that are not known yet. "+
				"Apply the resources the provider configuration depends on first (terraform apply -target=…), then apply again.")
		return
	}
	name := m.Name.ValueString()
	spec, st, err := d.data.Manager.Import(ctx, name)
	if errors.Is(err, gate.ErrNotFound) {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Approval Gate Not Found",
			fmt.Sprintf("No approval gate named %q exists in region %s of this account. Check the name and the provider's "+
				"region, account and credentials; the gate's owners create it with the manualapproval_gate resource.\n\nOriginal Error: %s",
				name, d.data.Region, err))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read Approval Gate",
			fmt.Sprintf("Reading the approval gate %q from AWS failed. Check the credentials, the permissions and the endpoints.\n\nOriginal Error: %s", name, err))
		return
	}
	resp.Diagnostics.Append(gateDataSourceState(&m, spec, st, d.data.Region)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// gateDataSourceState fills m from what AWS says of the gate.
func gateDataSourceState(m *gateDataSourceModel, spec gate.Spec, st gate.Status, region string) (diags diag.Diagnostics) {
	str := func(s string) types.String {
		if s == "" {
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	set := func(v []string) types.Set {
		elems := make([]attr.Value, 0, len(v))
		for _, s := range v {
			elems = append(elems, types.StringValue(s))
		}
		out, d := types.SetValue(types.StringType, elems)
		diags = append(diags, d...)
		return out
	}
	m.ID = types.StringValue(spec.Name)
	m.Region = types.StringValue(region)
	m.Description = types.StringValue(spec.Description)
	m.TimeoutSeconds = types.Int64Value(spec.TimeoutSeconds)
	m.Approvers = set(spec.Approvers)
	m.ApproverGroups = set(spec.ApproverGroups)
	m.MinApprovals = types.Int64Value(int64(max(spec.MinApprovals, 1)))
	m.AllowedStateMachineARNs = set(spec.AllowedStateMachineARNs)
	m.TaskStateJSON = str(st.TaskStateJSON)
	m.StateMachinePolicyJSON = str(st.StateMachinePolicyJSON)
	m.CallbackURL = str(st.CallbackURL)
	m.APIURL = types.StringNull()
	if spec.API != nil && st.CallbackURL != "" {
		m.APIURL = types.StringValue(st.CallbackURL + approval.APIPathPrefix)
	}
	m.NotifierFunctionARN = str(st.NotifierFunctionARN)
	m.CallbackFunctionARN = str(st.CallbackFunctionARN)
	m.NotifierRoleARN = str(st.NotifierRoleARN)
	m.CallbackRoleARN = str(st.CallbackRoleARN)
	m.TopicARN = str(st.TopicARN)
	m.TableName = str(st.TableName)
	drift := append([]string(nil), st.Drift...)
	sort.Strings(drift)
	elems := make([]attr.Value, 0, len(drift))
	for _, s := range drift {
		elems = append(elems, types.StringValue(s))
	}
	var d diag.Diagnostics
	m.Drift, d = types.ListValue(types.StringType, elems)
	diags = append(diags, d...)
	tags := make(map[string]attr.Value, len(spec.Tags))
	for k, v := range spec.Tags {
		tags[k] = types.StringValue(v)
	}
	m.Tags, d = types.MapValue(types.StringType, tags)
	diags = append(diags, d...)
	return diags
}
