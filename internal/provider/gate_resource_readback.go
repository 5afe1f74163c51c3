package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// Plans like hashicorp/aws: a refresh writes what AWS holds into the
// arguments that map one to one to an AWS setting (memory, architecture,
// log retention, description, permissions boundary, KMS key, tags,
// subscriptions), so a plan shows the difference on the argument
// (lambda_memory_mb: 128 → 512) and lifecycle.ignore_changes applies to
// it. drift lists only what no argument shows (a missing part, a policy, a
// route, a permission).
//
// An update converges only what changed (gate.Prior): the parts whose
// inputs differ between the state and the plan, and the parts the refresh
// found differing, which the refresh keeps in the resource's private
// state under driftPartsKey.

// driftPartsKey is the private state key of the parts the last refresh
// found differing (a JSON list of gate.Part). Absent (a state written by an
// older provider): the next update converges every part.
const driftPartsKey = "drift_parts"

// updateFailedKey marks a gate whose last update failed: some parts may be
// half-converged, so the next update converges every part whatever the
// refreshes in between find ("true"; removed by a successful apply).
const updateFailedKey = "update_failed"

// tagsKey is the private state key of the tags (tags_all) the parts hold
// that the last refresh did not find differing, or the last apply wrote.
const tagsKey = "tags"

// ruleARNsKey is the private state key of the gate's EventBridge rules'
// ARNs by part (no attribute shows them; a retag needs them).
const ruleARNsKey = "rule_arns"

// applyObserved writes the values AWS holds into the arguments they map to.
func (m *gateResourceModel) applyObserved(o gate.Observed, defaultTags map[string]string) {
	if o.Description != nil {
		m.Description = types.StringValue(*o.Description)
	}
	if o.MemoryMB != nil {
		m.LambdaMemoryMB = types.Int64Value(int64(*o.MemoryMB))
	}
	if o.Architecture != nil {
		m.LambdaArchitecture = types.StringValue(*o.Architecture)
	}
	if o.LogRetentionDays != nil {
		m.LogRetentionDays = types.Int64Value(int64(*o.LogRetentionDays))
	}
	if o.PermissionsBoundaryARN != nil {
		m.PermissionsBoundaryARN = stringOrNull(*o.PermissionsBoundaryARN)
	}
	if o.KMSKeyARN != nil {
		m.KMSKeyARN = stringOrNull(*o.KMSKeyARN)
	}
	if o.Tags != nil {
		// tags_all is what the part holds; tags, what default_tags do not
		// explain (a default tag with another value is the resource's).
		own := map[string]string{}
		for k, v := range o.Tags {
			if dv, ok := defaultTags[k]; !ok || dv != v {
				own[k] = v
			}
		}
		m.TagsAll = mapOf(o.Tags)
		m.Tags = mapOrNull(own)
	}
	if o.EmailAddresses != nil {
		m.EmailAddresses = setOf(*o.EmailAddresses)
	}
	if o.SMSNumbers != nil {
		m.SMSNumbers = setOf(*o.SMSNumbers)
	}
}

// privateState is the part of the framework's private state the gate
// uses (Get and Set of ReadRequest, UpdateRequest and their responses).
type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// markUpdateFailed makes the next update converge every part.
func markUpdateFailed(ctx context.Context, p privateState) diag.Diagnostics {
	return p.SetKey(ctx, updateFailedKey, []byte("true"))
}

// setPrivate records the parts to converge at the next update, the tags
// the others hold, and the rules' ARNs (kept when status has none).
func setPrivate(ctx context.Context, p privateState, parts []gate.Part, tags map[string]string, status gate.Status) diag.Diagnostics {
	if parts == nil {
		parts = []gate.Part{}
	}
	var diags diag.Diagnostics
	b, err := json.Marshal(parts)
	if err != nil {
		diags.AddError("Unable to Record Drift", err.Error())
		return diags
	}
	diags.Append(p.SetKey(ctx, driftPartsKey, b)...)
	if tags != nil {
		b, err := json.Marshal(tags)
		if err != nil {
			diags.AddError("Unable to Record the Tags", err.Error())
			return diags
		}
		diags.Append(p.SetKey(ctx, tagsKey, b)...)
	}
	if len(status.RuleARNs) > 0 {
		b, err := json.Marshal(status.RuleARNs)
		if err != nil {
			diags.AddError("Unable to Record the Rules' ARNs", err.Error())
			return diags
		}
		diags.Append(p.SetKey(ctx, ruleARNsKey, b)...)
	}
	return diags
}

// priorOf is what the state knows of the gate before an update, or nil
// when it does not know which parts differ (a state written by an older
// provider, or the last update failed): the update then converges every
// part.
func priorOf(ctx context.Context, prior gateResourceModel, p privateState, defaultTags map[string]string) (*gate.Prior, diag.Diagnostics) {
	b, diags := p.GetKey(ctx, driftPartsKey)
	if diags.HasError() || len(b) == 0 {
		return nil, diags
	}
	if failed, d := p.GetKey(ctx, updateFailedKey); !d.HasError() && string(failed) == "true" {
		return nil, diags
	}
	var parts []gate.Part
	if err := json.Unmarshal(b, &parts); err != nil {
		diags.AddWarning("Approval Gate Private State Unreadable",
			fmt.Sprintf("The record of which parts of the gate differ could not be read, so this update converges every part: %s", err))
		return nil, diags
	}
	var tags map[string]string
	if b, d := p.GetKey(ctx, tagsKey); !d.HasError() && len(b) > 0 {
		if json.Unmarshal(b, &tags) != nil {
			tags = nil // unreadable: the state's tags_all
		}
	}
	var ruleARNs map[gate.Part]string
	if b, d := p.GetKey(ctx, ruleARNsKey); !d.HasError() && len(b) > 0 {
		_ = json.Unmarshal(b, &ruleARNs) // unreadable: the retag asks AWS
	}
	spec, d := gateSpec(ctx, prior, defaultTags)
	diags.Append(d...)
	// The tags the parts hold: tags_all as applied or read back, whatever
	// default_tags say now.
	if !prior.TagsAll.IsNull() && !prior.TagsAll.IsUnknown() {
		spec.Tags = stringMap(ctx, prior.TagsAll, &diags)
	}
	if diags.HasError() {
		return nil, diags
	}
	return &gate.Prior{
		Spec: spec,
		Status: gate.Status{
			TopicARN:            prior.TopicARN.ValueString(),
			TableName:           prior.TableName.ValueString(),
			NotifierFunctionARN: prior.NotifierFunctionARN.ValueString(),
			CallbackFunctionARN: prior.CallbackFunctionARN.ValueString(),
			NotifierRoleARN:     prior.NotifierRoleARN.ValueString(),
			CallbackRoleARN:     prior.CallbackRoleARN.ValueString(),
			APIID:               prior.APIID.ValueString(),
			CallbackURL:         prior.CallbackURL.ValueString(),
			BundleSHA256:        prior.BundleSHA256.ValueString(),
			RuleARNs:            ruleARNs,
		},
		DriftParts: parts,
		Tags:       tags,
	}, diags
}
