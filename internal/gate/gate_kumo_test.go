package gate_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

func TestMain(m *testing.M) {
	if !acctest.Enabled() {
		os.Exit(m.Run())
	}
	l, err := acctest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	local = l
	code := m.Run()
	l.Stop()
	os.Exit(code)
}

var local *acctest.Local

func newManager(t *testing.T) (*gate.Manager, aws.Config) {
	t.Helper()
	if !acctest.Enabled() {
		t.Skip("acceptance test on the local AWS: set TF_ACC=1 (make test does)")
	}
	cfg, err := acctest.AWSConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return gate.NewFromConfig(cfg, gate.Env{Partition: "aws", Region: acctest.Region, AccountID: "000000000000", APIGatewayEndpoint: local.Endpoint()}), cfg
}

func testSpec(name string) gate.Spec {
	return gate.Spec{
		Name:           name,
		Description:    "test gate",
		Tags:           map[string]string{"team": "platform"},
		TimeoutSeconds: 3600,
		Slack:          &gate.SlackSpec{Format: "blocks", WebhookURL: "http://127.0.0.1:9/hook"},
		Webhook:        &gate.WebhookSpec{URL: "https://hooks.example.com/approvals", Secret: "0123456789abcdef0123"},
		Approvers:      []string{"U024BE7LH"},
		MinApprovals:   1,
		RequesterPath:  "$.requested_by",
		EmailAddresses: []string{"oncall@example.com"},
		// No SMS numbers: kumo v0.33.1 answers "Failed to parse request body"
		// to Subscribe with an E.164 endpoint (it reads "+1555…" as a number).
		IncludeExecutionContext: true,
		LogRetentionDays:        30,
		Architecture:            "arm64",
		MemoryMB:                128,
	}
}

func mustParts(t *testing.T, cfg aws.Config, name string) []string {
	t.Helper()
	parts, err := acctest.GateParts(t.Context(), cfg, name)
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

// TestGate_lifecycle creates a gate, checks every part, breaks each kind of
// part out of band, sees Read report it, repairs it with Update, and deletes.
func TestGate_lifecycle(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	spec := testSpec(name)

	st, err := m.Create(ctx, spec)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), name) })

	parts := mustParts(t, cfg, name)
	// 2 roles, 2 functions, 1 API, 1 table, 1 topic, 5 parameters
	// (configuration, signing key, Slack webhook, webhook secret, webhook
	// URL), 2 log groups, 2 EventBridge rules (the sweep's schedule, the
	// stopped executions).
	if len(parts) != 16 {
		t.Errorf("parts after create = %d, want 16:\n%s", len(parts), strings.Join(parts, "\n"))
	}
	if !strings.HasPrefix(st.CallbackURL, "http://"+st.APIID+".execute-api.localhost:") {
		t.Errorf("callback URL %q is not the local execute-api form", st.CallbackURL)
	}
	if !strings.HasSuffix(st.NotifierFunctionARN, ":function:"+name+"-notifier") || st.TopicARN == "" || st.APIID == "" || st.TableName != name+"-requests" {
		t.Errorf("status incomplete: %+v", st)
	}
	if !strings.Contains(st.TaskStateJSON, st.NotifierFunctionARN) || !strings.Contains(st.StateMachinePolicyJSON, st.NotifierFunctionARN) {
		t.Error("task state or state machine policy does not name the notifier")
	}

	// The function environment carries configuration and parameter names, never a secret;
	// the approvers are in the configuration parameter.
	fn, err := lambda.NewFromConfig(cfg).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name + "-notifier")})
	if err != nil {
		t.Fatal(err)
	}
	env := fn.Environment.Variables
	for k, v := range env {
		if strings.Contains(v, "0123456789abcdef0123") || strings.Contains(v, "127.0.0.1:9/hook") {
			t.Errorf("secret in the function environment: %s=%s", k, v)
		}
	}
	if env["MANUALAPPROVAL_APPROVERS"] != "" || env["MANUALAPPROVAL_PARAM_CONFIG"] != "/manualapproval/"+name+"/config" || env["MANUALAPPROVAL_CALLBACK_BASE_URL"] != st.CallbackURL || env["MANUALAPPROVAL_TOPIC_ARN"] != st.TopicARN {
		t.Errorf("function environment: %v", env)
	}
	if fn.Runtime != lambdatypes.RuntimeProvidedal2023 || !slices.Equal(fn.Architectures, []lambdatypes.Architecture{"arm64"}) {
		t.Errorf("runtime %s arch %v", fn.Runtime, fn.Architectures)
	}
	key, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/manualapproval/" + name + "/signing-key"), WithDecryption: aws.Bool(true)})
	if err != nil || len(aws.ToString(key.Parameter.Value)) != 64 || key.Parameter.Type != "SecureString" {
		t.Errorf("signing key parameter: %v %+v", err, key)
	}

	got, err := m.Read(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Found || len(got.Drift) != 0 {
		t.Fatalf("fresh gate: found=%v drift=%v", got.Found, got.Drift)
	}
	if got.CallbackURL != st.CallbackURL || got.NotifierRoleARN != st.NotifierRoleARN || got.BundleSHA256 != st.BundleSHA256 || got.TaskStateJSON != st.TaskStateJSON {
		t.Errorf("read differs from create:\n%+v\n%+v", got, st)
	}

	// Out-of-band damage, one per kind of part.
	damage := map[string]func() error{
		"role policy": func() error {
			_, err := iam.NewFromConfig(cfg).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name + "-callback"), PolicyName: aws.String("manualapproval-gate"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}`)})
			return err
		},
		"function env": func() error {
			_, err := lambda.NewFromConfig(cfg).UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name + "-notifier"), Environment: &lambdatypes.Environment{Variables: map[string]string{"X": "1"}}})
			return err
		},
		"route": func() error {
			c := apigatewayv2.NewFromConfig(cfg)
			routes, err := c.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(st.APIID)})
			if err != nil {
				return err
			}
			for _, r := range routes.Items {
				if aws.ToString(r.RouteKey) == "POST /r/{id}" {
					_, err = c.DeleteRoute(ctx, &apigatewayv2.DeleteRouteInput{ApiId: aws.String(st.APIID), RouteId: r.RouteId})
				}
			}
			return err
		},
		// Auto-deploy turned off and the stage's throttling changed: kumo,
		// like AWS, refuses CreateStage of an existing stage
		// (ConflictException), so the repair must update it in place.
		"stage": func() error {
			_, err := apigatewayv2.NewFromConfig(cfg).UpdateStage(ctx, &apigatewayv2.UpdateStageInput{
				ApiId: aws.String(st.APIID), StageName: aws.String("$default"), AutoDeploy: aws.Bool(false),
				DefaultRouteSettings: &apitypes.RouteSettings{ThrottlingBurstLimit: aws.Int32(5000), ThrottlingRateLimit: aws.Float64(10000)},
			})
			return err
		},
		"retention": func() error {
			_, err := cloudwatchlogs.NewFromConfig(cfg).PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/aws/lambda/" + name + "-callback"), RetentionInDays: aws.Int32(1)})
			return err
		},
		"subscription": func() error {
			c := sns.NewFromConfig(cfg)
			subs, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(st.TopicARN)})
			if err != nil {
				return err
			}
			for _, s := range subs.Subscriptions {
				if aws.ToString(s.Protocol) == "email" {
					_, err = c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: s.SubscriptionArn})
				}
			}
			return err
		},
		"table": func() error {
			_, err := dynamodb.NewFromConfig(cfg).DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name + "-requests")})
			return err
		},
		"parameter": func() error {
			_, err := ssm.NewFromConfig(cfg).DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/manualapproval/" + name + "/webhook-secret")})
			return err
		},
		"function": func() error {
			_, err := lambda.NewFromConfig(cfg).DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name + "-callback")})
			return err
		},
		"schedule": func() error {
			_, err := eventbridge.NewFromConfig(cfg).PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name + "-sweep"), ScheduleExpression: aws.String("rate(1 hour)"), State: ebtypes.RuleStateDisabled})
			return err
		},
		"schedule target": func() error {
			_, err := eventbridge.NewFromConfig(cfg).PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name + "-sweep"), Targets: []ebtypes.Target{
				{Id: aws.String("callback-sweep"), Arn: aws.String(st.NotifierFunctionARN), Input: aws.String(`{}`)},
			}})
			return err
		},
		"schedule rule": func() error {
			c := eventbridge.NewFromConfig(cfg)
			if _, err := c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(name + "-sweep"), Ids: []string{"callback-sweep"}}); err != nil {
				return err
			}
			_, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name + "-sweep")})
			return err
		},
		"schedule permission": func() error {
			_, err := lambda.NewFromConfig(cfg).RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(name + "-callback"), StatementId: aws.String("AllowExecutionFromEventBridgeSweep")})
			return err
		},
		"stopped pattern": func() error {
			_, err := eventbridge.NewFromConfig(cfg).PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name + "-stopped"),
				EventPattern: aws.String(`{"source":["aws.states"]}`), State: ebtypes.RuleStateEnabled})
			return err
		},
		"stopped target input": func() error {
			_, err := eventbridge.NewFromConfig(cfg).PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name + "-stopped"), Targets: []ebtypes.Target{
				{Id: aws.String("callback-stopped"), Arn: aws.String(st.CallbackFunctionARN), Input: aws.String(`{"manualapproval":"sweep"}`)},
			}})
			return err
		},
		"stopped rule": func() error {
			c := eventbridge.NewFromConfig(cfg)
			if _, err := c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(name + "-stopped"), Ids: []string{"callback-stopped"}}); err != nil {
				return err
			}
			_, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name + "-stopped")})
			return err
		},
		"stopped permission": func() error {
			_, err := lambda.NewFromConfig(cfg).RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(name + "-callback"), StatementId: aws.String("AllowExecutionFromEventBridgeStopped")})
			return err
		},
	}
	wantDrift := map[string]string{
		"role policy":          "IAM role policy " + name + "-callback/manualapproval-gate: document differs",
		"function env":         "Lambda function " + name + "-notifier: environment differs",
		"route":                `API Gateway v2 route ` + st.APIID + ` "POST /r/{id}": missing`,
		"stage":                "API Gateway v2 stage " + st.APIID + "/$default: auto-deploy or throttling differs",
		"table":                "DynamoDB table " + name + "-requests: missing",
		"parameter":            "SSM parameter /manualapproval/" + name + "/webhook-secret: missing",
		"function":             "Lambda function " + name + "-callback: missing",
		"schedule":             "EventBridge rule " + name + "-sweep: schedule is \"rate(1 hour)\"",
		"schedule target":      "EventBridge rule " + name + "-sweep: target invokes " + st.NotifierFunctionARN,
		"schedule rule":        "EventBridge rule " + name + "-sweep: missing",
		"schedule permission":  "Lambda permission " + name + "-callback/AllowExecutionFromEventBridgeSweep: missing",
		"stopped pattern":      "EventBridge rule " + name + "-stopped: event pattern differs",
		"stopped target input": "EventBridge rule " + name + "-stopped: target input differs",
		"stopped rule":         "EventBridge rule " + name + "-stopped: missing",
		"stopped permission":   "Lambda permission " + name + "-callback/AllowExecutionFromEventBridgeStopped: missing",
	}
	// Arguments that map to one AWS setting are read back, not drift.
	wantObserved := map[string]func(o gate.Observed) bool{
		"retention":    func(o gate.Observed) bool { return o.LogRetentionDays != nil && *o.LogRetentionDays == 1 },
		"subscription": func(o gate.Observed) bool { return o.EmailAddresses != nil && len(*o.EmailAddresses) == 0 },
	}
	for what, f := range damage {
		t.Run(what, func(t *testing.T) {
			if err := f(); err != nil {
				t.Fatalf("damaging: %v", err)
			}
			got, err := m.Read(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			if obs, ok := wantObserved[what]; ok {
				if !obs(got.Observed) || len(got.Drift) != 0 {
					t.Errorf("observed %+v (drift %v), want the damaged value read back and no drift", got.Observed, got.Drift)
				}
			} else if !slices.ContainsFunc(got.Drift, func(d string) bool { return strings.HasPrefix(d, wantDrift[what]) }) {
				t.Errorf("drift %v does not report %q", got.Drift, wantDrift[what])
			}
			if len(got.DriftParts) == 0 {
				t.Fatalf("the refresh attributes the damage to no part")
			}
			// The repair converges the parts the refresh found differing,
			// and only those (the prior spec is the configuration).
			if _, err := m.Update(ctx, spec, &gate.Prior{Spec: spec, Status: st, DriftParts: got.DriftParts}); err != nil {
				t.Fatalf("repair: %v", err)
			}
			checkNoDrift(t, m, spec, "after repair")
		})
	}

	// An update in place: new settings reach every part.
	spec.LogRetentionDays = 7
	spec.Approvers = []string{"U024BE7LH", "W012A3CDE"}
	spec.MinApprovals = 2
	spec.EmailAddresses = []string{"release@example.com"}
	spec.Tags = map[string]string{"team": "platform", "env": "prod"}
	spec.Webhook = nil
	up, err := m.Update(ctx, spec, nil)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if up.APIID != st.APIID || up.NotifierFunctionARN != st.NotifierFunctionARN {
		t.Error("an in-place update replaced the API or the function")
	}
	if got, err := m.Read(ctx, spec); err != nil || len(got.Drift) != 0 {
		t.Errorf("after update: err=%v drift=%v", err, got.Drift)
	}
	if parts := mustParts(t, cfg, name); slices.Contains(parts, "ssm-parameter /manualapproval/"+name+"/webhook-secret") {
		t.Error("the webhook secret parameter survived removing the webhook")
	}

	// Import rebuilds the non-secret configuration.
	imp, _, err := m.Import(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if imp.LogRetentionDays != 7 || imp.MinApprovals != 2 || len(imp.Approvers) != 2 || !slices.Equal(imp.EmailAddresses, []string{"release@example.com"}) ||
		imp.Tags["env"] != "prod" || imp.Description != "test gate" || imp.Slack == nil || imp.Slack.Format != "blocks" {
		t.Errorf("import: %+v", imp)
	}

	if err := m.Delete(ctx, name); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if parts := mustParts(t, cfg, name); len(parts) != 0 {
		t.Errorf("left behind after delete:\n%s", strings.Join(parts, "\n"))
	}
	if got, err := m.Read(ctx, spec); err != nil || got.Found {
		t.Errorf("read after delete: found=%v err=%v", got.Found, err)
	}
	if err := m.Delete(ctx, name); err != nil {
		t.Errorf("deleting a deleted gate: %v", err)
	}
}

// TestGate_createRollback: when a part cannot be created, the create
// removes every part it made and says what failed.
func TestGate_createRollback(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	// Someone else's log group with the name the callback's would have.
	logs := cloudwatchlogs.NewFromConfig(cfg)
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/aws/lambda/" + name + "-callback")}); err != nil {
		t.Fatal(err)
	}
	_, err := m.Create(ctx, testSpec(name))
	if err == nil {
		t.Fatal("create succeeded over an existing log group")
	}
	if !strings.Contains(err.Error(), "creating CloudWatch Logs Log Group (/aws/lambda/"+name+"-callback): it already exists") {
		t.Errorf("error does not say what failed: %v", err)
	}
	if !strings.Contains(err.Error(), "The rollback succeeded") {
		t.Errorf("error does not say the rollback succeeded: %v", err)
	}
	parts := mustParts(t, cfg, name)
	if d := slices.Compare(parts, []string{"log-group /aws/lambda/" + name + "-callback"}); d != 0 {
		t.Errorf("after the failed create, want only the pre-existing log group, got:\n%s", strings.Join(parts, "\n"))
	}
}
