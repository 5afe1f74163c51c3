package provider

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// setBaseEndpoint sets the BaseEndpoint of a service client's options. The
// services are those of endpointServices.
func setBaseEndpoint(options any, endpoint string) {
	ep := aws.String(endpoint)
	switch o := options.(type) {
	case *apigatewayv2.Options:
		o.BaseEndpoint = ep
	case *cloudwatchlogs.Options:
		o.BaseEndpoint = ep
	case *dynamodb.Options:
		o.BaseEndpoint = ep
	case *iam.Options:
		o.BaseEndpoint = ep
	case *lambda.Options:
		o.BaseEndpoint = ep
	case *sns.Options:
		o.BaseEndpoint = ep
	case *ssm.Options:
		o.BaseEndpoint = ep
	case *sts.Options:
		o.BaseEndpoint = ep
	}
}

// stringList returns the elements of a list or set of strings, sorted for
// sets. Null and unknown give nil.
func stringList(ctx context.Context, v interface {
	IsNull() bool
	IsUnknown() bool
	ElementsAs(context.Context, any, bool) diag.Diagnostics
}, diags *diag.Diagnostics) []string {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	var out []string
	diags.Append(v.ElementsAs(ctx, &out, false)...)
	return out
}

// stringSet returns the sorted elements of a set of strings; an empty set
// gives nil.
func stringSet(ctx context.Context, v types.Set, diags *diag.Diagnostics) []string {
	out := stringList(ctx, v, diags)
	if len(out) == 0 {
		return nil
	}
	sort.Strings(out)
	return out
}

// stringMap returns a map of strings. Null and unknown give nil.
func stringMap(ctx context.Context, v types.Map, diags *diag.Diagnostics) map[string]string {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	var out map[string]string
	diags.Append(v.ElementsAs(ctx, &out, false)...)
	return out
}

// setOf returns a set of strings; nil gives an empty set.
func setOf(values []string) types.Set {
	elems := make([]attr.Value, 0, len(values))
	for _, v := range values {
		elems = append(elems, types.StringValue(v))
	}
	return types.SetValueMust(types.StringType, elems)
}

// listOf returns a list of strings; nil gives an empty list.
func listOf(values []string) types.List {
	elems := make([]attr.Value, 0, len(values))
	for _, v := range values {
		elems = append(elems, types.StringValue(v))
	}
	return types.ListValueMust(types.StringType, elems)
}

// mapOf returns a map of strings; nil gives an empty map.
func mapOf(m map[string]string) types.Map {
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

// mapOrNull returns a map of strings, null when m is empty.
func mapOrNull(m map[string]string) types.Map {
	if len(m) == 0 {
		return types.MapNull(types.StringType)
	}
	return mapOf(m)
}

// mergeTags returns the provider's default tags overlaid with a resource's
// tags: the resource wins on key conflicts.
func mergeTags(defaults, tags map[string]string) map[string]string {
	out := make(map[string]string, len(defaults)+len(tags))
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range tags {
		out[k] = v
	}
	return out
}

// stringOrNull returns a null string for "".
func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
