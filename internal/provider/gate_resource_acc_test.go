package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// testAccPreCheck skips acceptance tests unless TF_ACC is set (make test
// sets it and starts the local AWS in TestMain).
func testAccPreCheck(t *testing.T) {
	t.Helper()
	if testAccLocal == nil {
		t.Skip("acceptance test on the local AWS: run with TF_ACC=1 (make test does)")
	}
}

func testAccAWS(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := acctest.AWSConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// testAccCheckGateDestroy proves that destroy left zero parts of any gate
// in the state, looked up by name prefix in every service.
func testAccCheckGateDestroy(t *testing.T) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for _, rs := range s.RootModule().Resources {
			if rs.Type != "manualapproval_gate" {
				continue
			}
			parts, err := acctest.GateParts(context.Background(), testAccAWS(t), rs.Primary.ID)
			if err != nil {
				return err
			}
			if len(parts) > 0 {
				return fmt.Errorf("gate %s left parts behind:\n%s", rs.Primary.ID, strings.Join(parts, "\n"))
			}
		}
		return nil
	}
}

// testAccCheckGateParts checks that the gate has exactly want parts.
func testAccCheckGateParts(t *testing.T, name string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		parts, err := acctest.GateParts(context.Background(), testAccAWS(t), name)
		if err != nil {
			return err
		}
		if len(parts) != want {
			return fmt.Errorf("gate %s has %d parts, want %d:\n%s", name, len(parts), want, strings.Join(parts, "\n"))
		}
		return nil
	}
}

// testAccConfig is a configuration for the local AWS: the provider reads
// AWS_ENDPOINT_URL and credentials from the environment TestMain set.
func testAccConfig(body string) string {
	return `
terraform {
  required_providers {
    manualapproval = { source = "manualapproval/manualapproval" }
  }
}
` + body
}

func testAccGateConfig_basic(rName string) string {
	return testAccConfig(fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name            = %[1]q
  description     = "acceptance test"
  timeout_seconds = 3600
  # Links approve and prove no identity: no self-approval ban.
  allow_self_approval = true
  slack = {
    webhook_url = "http://127.0.0.1:9/hooks/T000/B000/XXXX"
  }
  email_addresses = ["oncall@example.com"]
  webhook = {
    url    = "https://hooks.example.com/approvals"
    secret = "0123456789abcdef0123"
  }
  tags = {
    team = "platform"
  }
}
`, rName))
}

func TestAccGate_basic(t *testing.T) {
	testAccPreCheck(t)
	rName := acctest.RandomName()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckGateDestroy(t),
		Steps: []resource.TestStep{
			{
				Config: testAccGateConfig_basic(rName),
				Check: resource.ComposeAggregateTestCheckFunc(
					// 2 roles, 2 functions, 2 log groups, API, table, topic, rule,
					// 5 parameters (configuration, signing key, Slack webhook,
					// webhook secret, webhook URL).
					testAccCheckGateParts(t, rName, 16),
					testAccCheckNoSecretInEnvironment(t, rName, "hooks/T000/B000/XXXX", "0123456789abcdef0123", "hooks.example.com/approvals"),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("id"), knownvalue.StringExact(rName)),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("table_name"), knownvalue.StringExact(rName+"-requests")),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("notifier_function_arn"), knownvalue.StringRegexp(regexp.MustCompile(`^arn:aws:lambda:us-east-1:\d{12}:function:`+rName+`-notifier$`))),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("callback_function_arn"), knownvalue.StringRegexp(regexp.MustCompile(`:function:`+rName+`-callback$`))),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("notifier_role_arn"), knownvalue.StringRegexp(regexp.MustCompile(`^arn:aws:iam::\d{12}:role/manualapproval/`+rName+`-notifier$`))),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("topic_arn"), knownvalue.StringRegexp(regexp.MustCompile(`:sns:us-east-1:\d{12}:`+rName+`-approvals$`))),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("callback_url"), knownvalue.StringRegexp(regexp.MustCompile(`^http://[0-9a-z-]+\.execute-api\.localhost:\d+$`))),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("bundle_sha256"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{64}$`))),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("task_state_json"), knownvalue.StringRegexp(regexp.MustCompile(`"Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken".*"TimeoutSeconds":3900`))),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("state_machine_policy_json"), knownvalue.StringRegexp(regexp.MustCompile(`"lambda:InvokeFunction"`))),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("drift"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("tags_all"), knownvalue.MapExact(map[string]knownvalue.Check{"team": knownvalue.StringExact("platform")})),
				},
			},
			{
				ResourceName:      "manualapproval_gate.test",
				ImportState:       true,
				ImportStateId:     rName,
				ImportStateVerify: true,
				// Secrets cannot be read back from AWS.
				ImportStateVerifyIgnore: []string{"slack.webhook_url", "webhook.url", "webhook.secret"},
			},
		},
	})
}

// testAccCheckNoSecretInEnvironment: secrets go to SSM, never to a
// function's environment.
func testAccCheckNoSecretInEnvironment(t *testing.T, name string, secrets ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		c := lambda.NewFromConfig(testAccAWS(t))
		for _, kind := range []string{"notifier", "callback"} {
			fn, err := c.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name + "-" + kind)})
			if err != nil {
				return err
			}
			for k, v := range fn.Environment.Variables {
				for _, s := range secrets {
					if strings.Contains(v, s) {
						return fmt.Errorf("function %s-%s: a secret is in the environment variable %s", name, kind, k)
					}
				}
			}
		}
		return nil
	}
}

func testAccGateConfig_update(rName string) string {
	return testAccConfig(fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                = %[1]q
  description         = "acceptance test, updated"
  timeout_seconds     = 7200
  approvers           = ["U024BE7LH", "alice@example.com"]
  min_approvals       = 2
  allow_self_approval = true
  # A link proves no identity: approvers and the quorum are met in Slack or with sso.
  link_decisions = "none"
  requester_path      = "$.build.author"
  slack = {
    format      = "workflow"
    webhook_url = "http://127.0.0.1:9/workflows/T000/A000/XXXX"
  }
  email_addresses            = ["release@example.com", "oncall@example.com"]
  allowed_state_machine_arns = ["arn:aws:states:us-east-1:000000000000:stateMachine:deploy"]
  log_retention_days         = 7
  lambda_memory_mb           = 256
  lambda_architecture        = "x86_64"
  tags = {
    team = "platform"
    env  = "prod"
  }
}
`, rName))
}

func TestAccGate_update(t *testing.T) {
	testAccPreCheck(t)
	rName := acctest.RandomName()
	var apiID string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckGateDestroy(t),
		Steps: []resource.TestStep{
			{
				Config: testAccGateConfig_basic(rName),
				Check: func(s *terraform.State) error {
					apiID = s.RootModule().Resources["manualapproval_gate.test"].Primary.Attributes["api_id"]
					return nil
				},
			},
			{
				Config: testAccGateConfig_update(rName),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("manualapproval_gate.test", plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("task_state_json"), knownvalue.StringRegexp(regexp.MustCompile(`"HeartbeatSeconds":7200`))),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("drift"), knownvalue.ListSizeExact(0)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					// The webhook and its secret are gone: 14 parts.
					testAccCheckGateParts(t, rName, 14),
					func(s *terraform.State) error {
						if got := s.RootModule().Resources["manualapproval_gate.test"].Primary.Attributes["api_id"]; got != apiID {
							return fmt.Errorf("the API was replaced (%s → %s) by an in-place update", apiID, got)
						}
						return nil
					},
					testAccCheckFunction(t, rName+"-notifier", func(fn *lambda.GetFunctionOutput) error {
						c := fn.Configuration
						env := c.Environment.Variables
						switch {
						case aws.ToInt32(c.MemorySize) != 256:
							return fmt.Errorf("memory %d", aws.ToInt32(c.MemorySize))
						case string(c.Architectures[0]) != "x86_64":
							return fmt.Errorf("architecture %v", c.Architectures)
						case env["MANUALAPPROVAL_MIN_APPROVALS"] != "2" || env["MANUALAPPROVAL_APPROVERS"] != "" || env["MANUALAPPROVAL_LINK_DECISIONS"] != "none" ||
							env["MANUALAPPROVAL_PARAM_CONFIG"] != "/manualapproval/"+rName+"/config" ||
							env["MANUALAPPROVAL_SLACK_FORMAT"] != "workflow" || env["MANUALAPPROVAL_REQUESTER_PATH"] != "$.build.author" ||
							env["MANUALAPPROVAL_ALLOW_SELF_APPROVAL"] != "true" || env["MANUALAPPROVAL_TIMEOUT_SECONDS"] != "7200":
							return fmt.Errorf("environment %v", env)
						case fn.Tags["env"] != "prod":
							return fmt.Errorf("tags %v", fn.Tags)
						}
						return nil
					}),
					func(*terraform.State) error {
						// The approvers are in the configuration parameter, not in the environment.
						p, err := ssm.NewFromConfig(testAccAWS(t)).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/manualapproval/" + rName + "/config")})
						if err != nil {
							return err
						}
						if got, want := aws.ToString(p.Parameter.Value), `{"approvers":["U024BE7LH","alice@example.com"],"allowed_state_machine_arns":["arn:aws:states:us-east-1:000000000000:stateMachine:deploy"]}`; got != want {
							return fmt.Errorf("configuration parameter %s, want %s", got, want)
						}
						return nil
					},
					func(*terraform.State) error {
						g, err := cloudwatchlogs.NewFromConfig(testAccAWS(t)).DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/" + rName + "-")})
						if err != nil {
							return err
						}
						for _, lg := range g.LogGroups {
							if aws.ToInt32(lg.RetentionInDays) != 7 {
								return fmt.Errorf("%s retention %d", aws.ToString(lg.LogGroupName), aws.ToInt32(lg.RetentionInDays))
							}
						}
						return nil
					},
					func(*terraform.State) error {
						pol, err := iam.NewFromConfig(testAccAWS(t)).GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: aws.String(rName + "-callback"), PolicyName: aws.String("manualapproval-gate")})
						if err != nil {
							return err
						}
						if doc := aws.ToString(pol.PolicyDocument); !strings.Contains(doc, "stateMachine:deploy") || strings.Contains(doc, "stateMachine:*") {
							return fmt.Errorf("callback policy not scoped to the allowed state machine: %s", doc)
						}
						return nil
					},
				),
			},
		},
	})
}

func testAccCheckFunction(t *testing.T, name string, f func(*lambda.GetFunctionOutput) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		fn, err := lambda.NewFromConfig(testAccAWS(t)).GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			return err
		}
		if err := f(fn); err != nil {
			return fmt.Errorf("function %s: %w", name, err)
		}
		return nil
	}
}

func testAccManager(t *testing.T) *gate.Manager {
	return gate.NewFromConfig(testAccAWS(t), gate.Env{Region: acctest.Region, AccountID: "000000000000", APIGatewayEndpoint: testAccLocal.Endpoint()})
}

// TestAccGate_disappears: a gate deleted out of band leaves the state with
// a warning and the plan re-creates it.
func TestAccGate_disappears(t *testing.T) {
	testAccPreCheck(t)
	rName := acctest.RandomName()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckGateDestroy(t),
		Steps: []resource.TestStep{
			{
				Config: testAccGateConfig_basic(rName),
				Check: func(*terraform.State) error {
					return testAccManager(t).Delete(context.Background(), rName)
				},
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction("manualapproval_gate.test", plancheck.ResourceActionCreate)},
				},
			},
			{
				Config: testAccGateConfig_basic(rName),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("manualapproval_gate.test", plancheck.ResourceActionCreate)},
				},
				Check: testAccCheckGateParts(t, rName, 16),
			},
		},
	})
}

// TestAccGate_repair deletes or edits one part of each kind out of band: the
// plan shows an in-place update naming it, the apply restores it, and the
// plan after is empty.
func TestAccGate_repair(t *testing.T) {
	testAccPreCheck(t)
	rName := acctest.RandomName()
	ctx := context.Background()
	cfg := func() aws.Config { return testAccAWS(t) }
	apiID := func() string {
		apis, _ := apigatewayv2.NewFromConfig(cfg()).GetApis(ctx, &apigatewayv2.GetApisInput{})
		for _, a := range apis.Items {
			if aws.ToString(a.Name) == rName+"-callback" {
				return aws.ToString(a.ApiId)
			}
		}
		return ""
	}
	damage := []struct {
		what  string
		drift string
		f     func() error
	}{
		{"role", "IAM role " + rName + "-notifier: missing", func() error {
			c := iam.NewFromConfig(cfg())
			_, _ = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(rName + "-notifier"), PolicyName: aws.String("manualapproval-gate")})
			_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(rName + "-notifier")})
			return err
		}},
		{"role policy", "IAM role policy " + rName + "-callback/manualapproval-gate: document differs", func() error {
			_, err := iam.NewFromConfig(cfg()).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(rName + "-callback"), PolicyName: aws.String("manualapproval-gate"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
			return err
		}},
		{"function", "Lambda function " + rName + "-notifier: missing", func() error {
			_, err := lambda.NewFromConfig(cfg()).DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(rName + "-notifier")})
			return err
		}},
		{"function environment", "Lambda function " + rName + "-callback: environment differs", func() error {
			c := lambda.NewFromConfig(cfg())
			fn, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(rName + "-callback")})
			if err != nil {
				return err
			}
			env := fn.Environment.Variables
			env["MANUALAPPROVAL_MIN_APPROVALS"] = "0"
			_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(rName + "-callback"), Environment: &lambdatypes.Environment{Variables: env}})
			return err
		}},
		{"API", "API Gateway v2 API " + rName + "-callback: missing", func() error {
			_, err := apigatewayv2.NewFromConfig(cfg()).DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: aws.String(apiID())})
			return err
		}},
		{"route", `"POST /slack/interactions": missing`, func() error {
			c := apigatewayv2.NewFromConfig(cfg())
			id := apiID()
			routes, err := c.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(id)})
			if err != nil {
				return err
			}
			for _, r := range routes.Items {
				if aws.ToString(r.RouteKey) == "POST /slack/interactions" {
					_, err = c.DeleteRoute(ctx, &apigatewayv2.DeleteRouteInput{ApiId: aws.String(id), RouteId: r.RouteId})
				}
			}
			return err
		}},
		{"table", "DynamoDB table " + rName + "-requests: missing", func() error {
			_, err := dynamodb.NewFromConfig(cfg()).DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(rName + "-requests")})
			return err
		}},
		{"topic", "SNS topic " + rName + "-approvals: missing", func() error {
			_, err := sns.NewFromConfig(cfg()).DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:" + rName + "-approvals")})
			return err
		}},
		{"subscription", "read back: email_addresses=[]", func() error {
			c := sns.NewFromConfig(cfg())
			subs, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:" + rName + "-approvals")})
			if err != nil {
				return err
			}
			for _, s := range subs.Subscriptions {
				_, err = c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: s.SubscriptionArn})
			}
			return err
		}},
		{"signing key", "SSM parameter /manualapproval/" + rName + "/signing-key: missing", func() error {
			_, err := ssm.NewFromConfig(cfg()).DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/manualapproval/" + rName + "/signing-key")})
			return err
		}},
		{"log group retention", "read back: log_retention_days=1", func() error {
			_, err := cloudwatchlogs.NewFromConfig(cfg()).PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/aws/lambda/" + rName + "-notifier"), RetentionInDays: aws.Int32(1)})
			return err
		}},
		{"memory", "read back: lambda_memory_mb=256", func() error {
			_, err := lambda.NewFromConfig(cfg()).UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(rName + "-callback"), MemorySize: aws.Int32(256)})
			return err
		}},
		{"tags", "read back: tags=map[owner:someone-else team:platform]", func() error {
			_, err := dynamodb.NewFromConfig(cfg()).TagResource(ctx, &dynamodb.TagResourceInput{
				ResourceArn: aws.String("arn:aws:dynamodb:us-east-1:000000000000:table/" + rName + "-requests"),
				Tags:        []dynamodbtypes.Tag{{Key: aws.String("owner"), Value: aws.String("someone-else")}},
			})
			return err
		}},
		{"stopped-executions rule", "EventBridge rule " + rName + "-stopped: missing", func() error {
			c := eventbridge.NewFromConfig(cfg())
			if _, err := c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(rName + "-stopped"), Ids: []string{"callback-stopped"}}); err != nil {
				return err
			}
			_, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(rName + "-stopped")})
			return err
		}},
		{"log group", "CloudWatch Logs log group /aws/lambda/" + rName + "-callback: missing", func() error {
			_, err := cloudwatchlogs.NewFromConfig(cfg()).DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/aws/lambda/" + rName + "-callback")})
			return err
		}},
	}
	steps := []resource.TestStep{{Config: testAccGateConfig_basic(rName)}}
	for _, d := range damage {
		steps = append(steps, resource.TestStep{
			PreConfig: func() {
				if err := d.f(); err != nil {
					t.Fatalf("damaging the %s: %v", d.what, err)
				}
			},
			Config: testAccGateConfig_basic(rName),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("manualapproval_gate.test", plancheck.ResourceActionUpdate),
					expectDrift("manualapproval_gate.test", d.drift),
					// An argument that maps to one AWS setting shows the
					// value read back, not drift; the plan sets it again.
					// A repair keeps every name, so what state machines use
					// stays known at plan time; only a new API has a new URL.
					plancheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("task_state_json"), knownvalue.StringRegexp(regexp.MustCompile(`waitForTaskToken`))),
					plancheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("notifier_role_arn"), knownvalue.StringRegexp(regexp.MustCompile(`:role/manualapproval/`))),
					callbackURLCheck(d.what == "API"),
				},
			},
			Check: testAccCheckGateParts(t, rName, 16),
		})
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckGateDestroy(t),
		Steps:                    steps,
	})
}

func callbackURLCheck(apiRecreated bool) plancheck.PlanCheck {
	if apiRecreated {
		return plancheck.ExpectUnknownValue("manualapproval_gate.test", tfjsonpath.New("callback_url"))
	}
	return plancheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("callback_url"), knownvalue.StringRegexp(regexp.MustCompile(`^http://`)))
}

// expectDrift checks that the prior state's drift (what the refresh found)
// has an entry containing want; "read back: ATTR=VALUE" checks instead
// that the refresh wrote VALUE (fmt %v) into ATTR and left drift empty.
func expectDrift(addr, want string) plancheck.PlanCheck { return driftCheck{addr, want} }

type driftCheck struct{ addr, want string }

func (c driftCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		drift, _ := before["drift"].([]any)
		if attr, value, ok := strings.Cut(strings.TrimPrefix(c.want, "read back: "), "="); ok && strings.HasPrefix(c.want, "read back: ") {
			if got := fmt.Sprint(before[attr]); got != value || len(drift) != 0 {
				resp.Error = fmt.Errorf("%s: %s = %s after the refresh (drift %v), want %s read back and no drift", c.addr, attr, got, drift, value)
			}
			return
		}
		if slices.ContainsFunc(drift, func(d any) bool { s, _ := d.(string); return strings.Contains(s, c.want) }) {
			return
		}
		resp.Error = fmt.Errorf("%s: drift %v does not contain %q", c.addr, drift, c.want)
		return
	}
	resp.Error = fmt.Errorf("%s not in the plan", c.addr)
}

func TestAccGate_tags(t *testing.T) {
	testAccPreCheck(t)
	rName := acctest.RandomName()
	config := func(defaultEnv, team string) string {
		return testAccConfig(fmt.Sprintf(`
provider "manualapproval" {
  default_tags {
    tags = {
      env   = %[2]q
      owner = "platform"
    }
  }
}

resource "manualapproval_gate" "test" {
  name                = %[1]q
  allow_self_approval = true
  tags = {
    team  = %[3]q
    owner = "payments"
  }
}
`, rName, defaultEnv, team))
	}
	tagsOf := func(want map[string]string) resource.TestCheckFunc {
		return testAccCheckFunction(t, rName+"-callback", func(fn *lambda.GetFunctionOutput) error {
			for k, v := range want {
				if fn.Tags[k] != v {
					return fmt.Errorf("tag %s = %q, want %q (tags %v)", k, fn.Tags[k], v, fn.Tags)
				}
			}
			return nil
		})
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckGateDestroy(t),
		Steps: []resource.TestStep{
			{
				Config: config("staging", "checkout"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("tags_all"), knownvalue.MapExact(map[string]knownvalue.Check{
						"env": knownvalue.StringExact("staging"), "owner": knownvalue.StringExact("payments"), "team": knownvalue.StringExact("checkout"),
					})),
				},
				Check: tagsOf(map[string]string{"env": "staging", "owner": "payments", "team": "checkout", "manualapproval:gate": rName}),
			},
			{
				Config: config("prod", "billing"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("manualapproval_gate.test", plancheck.ResourceActionUpdate)},
				},
				Check: tagsOf(map[string]string{"env": "prod", "owner": "payments", "team": "billing"}),
			},
		},
	})
}
