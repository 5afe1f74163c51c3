package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/bundle"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// baselineResult compares a naive create (every part one after the other,
// the same SDK calls) with gate.Manager.Create.
type baselineResult struct {
	Naive, Manager           []time.Duration
	NaiveCalls, ManagerCalls int
}

// naive creates the parts of one gate named name strictly in sequence with
// the calls Manager.Create makes on a fresh gate: what a straightforward
// implementation without parallel phases would do.
type naive struct {
	cfg  aws.Config
	env  gate.Env
	name string
	hook string // Slack webhook URL
	tags map[string]string
}

func (n naive) create(ctx context.Context) error {
	iamc, ddb, sn := iam.NewFromConfig(n.cfg), dynamodb.NewFromConfig(n.cfg), sns.NewFromConfig(n.cfg)
	sm, logs := ssm.NewFromConfig(n.cfg), cloudwatchlogs.NewFromConfig(n.cfg)
	api, lc := apigatewayv2.NewFromConfig(n.cfg), lambda.NewFromConfig(n.cfg)
	arn := func(service, rest string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, n.env.Region, n.env.AccountID, rest)
	}
	var iamTags []iamtypes.Tag
	var ddbTags []ddbtypes.Tag
	var ssmTags []ssmtypes.Tag
	for k, v := range n.tags {
		iamTags = append(iamTags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		ddbTags = append(ddbTags, ddbtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		ssmTags = append(ssmTags, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"aws:SourceAccount":%q}}}]}`, n.env.AccountID)
	roleARN := map[string]string{}
	for _, kind := range []string{"notifier", "callback"} {
		out, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName: aws.String(n.name + "-" + kind), Path: aws.String("/manualapproval/"),
			AssumeRolePolicyDocument: aws.String(trust), Tags: iamTags,
			Description: aws.String("Approval gate " + n.name + ": " + kind + " function"),
		})
		if err != nil {
			return err
		}
		roleARN[kind] = aws.ToString(out.Role.Arn)
		policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"WriteOwnLogs","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":[%q]},{"Sid":"ReadGateSecrets","Effect":"Allow","Action":["ssm:GetParameters"],"Resource":[%q]},{"Sid":"Requests","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:UpdateItem"],"Resource":[%q]}]}`,
			arn("logs", "log-group:/aws/lambda/"+n.name+"-"+kind+":*"), arn("ssm", "parameter/manualapproval/"+n.name+"/*"), arn("dynamodb", "table/"+n.name+"-requests"))
		if _, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(n.name + "-" + kind), PolicyName: aws.String("manualapproval-gate"), PolicyDocument: aws.String(policy)}); err != nil {
			return err
		}
	}
	table := n.name + "-requests"
	if _, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest, Tags: ddbTags,
	}); err != nil {
		return err
	}
	if err := dynamodb.NewTableExistsWaiter(ddb).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 5*time.Minute); err != nil {
		return err
	}
	if _, err := ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(table), TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)}}); err != nil {
		return err
	}
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(n.name + "-approvals"), Attributes: map[string]string{"DisplayName": "Approvals"}})
	if err != nil {
		return err
	}
	for suffix, value := range map[string]string{"signing-key": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "slack-webhook-url": n.hook} {
		if _, err := sm.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String("/manualapproval/" + n.name + "/" + suffix), Value: aws.String(value),
			Type: ssmtypes.ParameterTypeSecureString, Tags: ssmTags,
		}); err != nil {
			return err
		}
	}
	for _, kind := range []string{"notifier", "callback"} {
		g := "/aws/lambda/" + n.name + "-" + kind
		if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g), Tags: n.tags}); err != nil {
			return err
		}
		if _, err := logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(g), RetentionInDays: aws.Int32(30)}); err != nil {
			return err
		}
	}
	a, err := api.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String(n.name + "-callback"), ProtocolType: apitypes.ProtocolTypeHttp, Tags: n.tags})
	if err != nil {
		return err
	}
	zip, err := bundle.Zip("arm64")
	if err != nil {
		return err
	}
	fnARN := map[string]string{}
	for _, kind := range []string{"notifier", "callback"} {
		c := approval.Config{
			Role: approval.Role(kind), GateName: n.name, TableName: table, TopicARN: aws.ToString(topic.TopicArn),
			CallbackBaseURL: aws.ToString(a.ApiEndpoint), ParamSigningKey: "/manualapproval/" + n.name + "/signing-key",
			ParamSlackWebhook: "/manualapproval/" + n.name + "/slack-webhook-url", MinApprovals: 1, TimeoutSeconds: 3600,
		}
		fn := n.name + "-" + kind
		out, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(fn), Role: aws.String(roleARN[kind]), Runtime: lambdatypes.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zip},
			Architectures: []lambdatypes.Architecture{lambdatypes.ArchitectureArm64}, MemorySize: aws.Int32(128),
			Timeout: aws.Int32(15), Environment: &lambdatypes.Environment{Variables: c.Env()}, Tags: n.tags,
		})
		if err != nil {
			return err
		}
		fnARN[kind] = aws.ToString(out.FunctionArn)
		if err := lambda.NewFunctionActiveV2Waiter(lc).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}, 5*time.Minute); err != nil {
			return err
		}
	}
	in, err := api.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{
		ApiId: a.ApiId, IntegrationType: apitypes.IntegrationTypeAwsProxy, IntegrationUri: aws.String(fnARN["callback"]),
		PayloadFormatVersion: aws.String("2.0"), TimeoutInMillis: aws.Int32(16000),
	})
	if err != nil {
		return err
	}
	for _, key := range []string{"GET /r/{id}", "POST /r/{id}", "POST /slack/interactions"} {
		if _, err := api.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String(key), Target: aws.String("integrations/" + aws.ToString(in.IntegrationId))}); err != nil {
			return err
		}
	}
	if _, err := api.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true), Tags: n.tags}); err != nil {
		return err
	}
	_, err = lc.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String(n.name + "-callback"), StatementId: aws.String("AllowExecutionFromAPIGateway"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com"),
		SourceArn: aws.String(arn("execute-api", aws.ToString(a.ApiId)+"/*/*")),
	})
	if err != nil {
		return err
	}
	// The callback's sweep schedule (issue 14): the rule, its target, the
	// callback's permission for it.
	var ebTags []ebtypes.Tag
	for k, v := range n.tags {
		ebTags = append(ebTags, ebtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	ev := eventbridge.NewFromConfig(n.cfg)
	rule, err := ev.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(n.name + "-sweep"), ScheduleExpression: aws.String("rate(1 minute)"),
		State: ebtypes.RuleStateEnabled, Tags: ebTags})
	if err != nil {
		return err
	}
	if _, err := ev.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(n.name + "-sweep"), Targets: []ebtypes.Target{{
		Id: aws.String("callback-sweep"), Arn: aws.String(fnARN["callback"]), Input: aws.String(approval.SweepInput),
	}}}); err != nil {
		return err
	}
	_, err = lc.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String(n.name + "-callback"), StatementId: aws.String("AllowExecutionFromEventBridgeSweep"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("events.amazonaws.com"), SourceArn: rule.RuleArn,
	})
	return err
}
