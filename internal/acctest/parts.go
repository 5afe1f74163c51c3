package acctest

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// AWSConfig is an SDK configuration for the local AWS (the environment
// StartKumo and Start set).
func AWSConfig(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx)
}

// GateParts lists every part of the gate named name that exists in the
// local AWS, as "kind name" strings, looked up by name prefix in every
// service a gate uses. An empty list means the gate left nothing behind.
func GateParts(ctx context.Context, cfg aws.Config, name string) ([]string, error) {
	prefix := name + "-"
	var parts []string
	add := func(kind, id string) { parts = append(parts, kind+" "+id) }

	roles, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		return nil, fmt.Errorf("listing roles: %w", err)
	}
	for _, r := range roles.Roles {
		if strings.HasPrefix(aws.ToString(r.RoleName), prefix) {
			add("iam-role", aws.ToString(r.RoleName))
		}
	}
	fns, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		return nil, fmt.Errorf("listing functions: %w", err)
	}
	for _, f := range fns.Functions {
		if strings.HasPrefix(aws.ToString(f.FunctionName), prefix) {
			add("lambda-function", aws.ToString(f.FunctionName))
		}
	}
	apis, err := apigatewayv2.NewFromConfig(cfg).GetApis(ctx, &apigatewayv2.GetApisInput{})
	if err != nil {
		return nil, fmt.Errorf("listing APIs: %w", err)
	}
	for _, a := range apis.Items {
		if strings.HasPrefix(aws.ToString(a.Name), prefix) {
			add("apigatewayv2-api", aws.ToString(a.Name)+"/"+aws.ToString(a.ApiId))
		}
	}
	tables, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	for _, t := range tables.TableNames {
		if strings.HasPrefix(t, prefix) {
			add("dynamodb-table", t)
		}
	}
	topics, err := sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil {
		return nil, fmt.Errorf("listing topics: %w", err)
	}
	for _, t := range topics.Topics {
		arn := aws.ToString(t.TopicArn)
		if strings.HasPrefix(arn[strings.LastIndex(arn, ":")+1:], prefix) {
			add("sns-topic", arn)
		}
	}
	params, err := ssm.NewFromConfig(cfg).GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/manualapproval/" + name), Recursive: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("listing parameters: %w", err)
	}
	for _, p := range params.Parameters {
		add("ssm-parameter", aws.ToString(p.Name))
	}
	groups, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/" + prefix)})
	if err != nil {
		return nil, fmt.Errorf("listing log groups: %w", err)
	}
	for _, g := range groups.LogGroups {
		add("log-group", aws.ToString(g.LogGroupName))
	}
	rules, err := eventbridge.NewFromConfig(cfg).ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String(prefix)})
	if err != nil {
		return nil, fmt.Errorf("listing EventBridge rules: %w", err)
	}
	for _, r := range rules.Rules {
		add("eventbridge-rule", aws.ToString(r.Name))
	}
	sort.Strings(parts)
	return parts, nil
}
