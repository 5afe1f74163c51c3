package awsacc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

func randomName() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return NamePrefix + hex.EncodeToString(b)
}

func testAccGateConfig_basic(name string) string {
	return fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                      = %[1]q
  timeout_seconds           = 900
  include_execution_context = true
  allow_self_approval       = true
}
`, name)
}

// TestAccAWS_approval applies a gate in the account, checks that a plan
// after the apply is empty (no drift on real AWS), imports it, then runs a
// real execution through it: the request is found in the gate's table
// (through the status-due index), approved through the gate's public HTTPS
// endpoint with a link signed by the gate's own key, and the execution
// succeeds with the approval as output. t.Cleanup removes the gate, the
// state machine and its role, also when the test fails.
func TestAccAWS_approval(t *testing.T) {
	preCheck(t)
	ctx := t.Context()
	cfg, env, err := awsConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name := randomName()
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if err := gate.NewFromConfig(cfg, env).Delete(cctx, name); err != nil {
			t.Errorf("cleanup: deleting gate %s: %v", name, err)
		}
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		Steps: []resource.TestStep{
			{
				Config: testAccGateConfig_basic(name),
				Check: func(s *terraform.State) error {
					rs, ok := s.RootModule().Resources["manualapproval_gate.test"]
					if !ok {
						return errors.New("manualapproval_gate.test not in the state")
					}
					return approveOnce(ctx, t, cfg, name, rs.Primary.Attributes)
				},
			},
			{Config: testAccGateConfig_basic(name), PlanOnly: true},
			{ResourceName: "manualapproval_gate.test", ImportState: true, ImportStateId: name, ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"drift"}},
		},
	})
}

// approveOnce runs one execution through the gate and approves it.
func approveOnce(ctx context.Context, t *testing.T, cfg aws.Config, name string, attrs map[string]string) error {
	smName := name + "-sm"
	ic := iam.NewFromConfig(cfg)
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String(smName), Path: aws.String(testRolePath),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"states.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		return fmt.Errorf("creating the state machine's role: %w", err)
	}
	t.Cleanup(func() { _ = deleteRole(context.Background(), ic, smName) })
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName: aws.String(smName), PolicyName: aws.String("gate"), PolicyDocument: aws.String(attrs["state_machine_policy_json"]),
	}); err != nil {
		return fmt.Errorf("attaching the gate's state_machine_policy_json: %w", err)
	}
	def, err := acctest.StateMachine(attrs["task_state_json"], nil)
	if err != nil {
		return err
	}
	sc := sfn.NewFromConfig(cfg)
	var smARN string
	// A new role takes a while to be usable by Step Functions (IAM
	// propagation): retry the creation for up to two minutes.
	for deadline := time.Now().Add(2 * time.Minute); ; {
		out, err := sc.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name: aws.String(smName), Definition: aws.String(def), RoleArn: role.Role.Arn,
		})
		if err == nil {
			smARN = aws.ToString(out.StateMachineArn)
			break
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "AccessDenied") && !strings.Contains(err.Error(), "assume") {
			return fmt.Errorf("creating state machine %s: %w", smName, err)
		}
		if err := sleep(ctx, 5*time.Second); err != nil {
			return err
		}
	}
	t.Cleanup(func() {
		_, _ = sc.DeleteStateMachine(context.Background(), &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(smARN)})
	})
	exec, err := sc.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smARN), Input: aws.String(`{"requested_by":"carol","change":"testacc-aws"}`)})
	if err != nil {
		return fmt.Errorf("starting an execution: %w", err)
	}
	execARN := aws.ToString(exec.ExecutionArn)

	// The request, from the gate's table: the pending requests through the
	// status-due index (a GSI read is eventually consistent: poll).
	var id string
	var expires int64
	db := dynamodb.NewFromConfig(cfg)
	for deadline := time.Now().Add(2 * time.Minute); id == ""; {
		out, err := db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(attrs["table_name"]), IndexName: aws.String(approval.DueIndexName),
			KeyConditionExpression:   aws.String("#st = :st AND #due <= :far"),
			ExpressionAttributeNames: map[string]string{"#st": "status", "#due": approval.DueAttribute},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
				":st": &ddbtypes.AttributeValueMemberS{Value: approval.StatusPending}, ":far": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(time.Now().Add(24*time.Hour).Unix(), 10)},
			},
		})
		if err != nil {
			return fmt.Errorf("querying pending requests: %w", err)
		}
		for _, it := range out.Items {
			if e, ok := it["execution_id"].(*ddbtypes.AttributeValueMemberS); ok && e.Value == execARN {
				id = it["id"].(*ddbtypes.AttributeValueMemberS).Value         //nolint:forcetypeassert // the notifier writes it
				n := it["expires_at"].(*ddbtypes.AttributeValueMemberN).Value //nolint:forcetypeassert // the notifier writes it
				expires, _ = strconv.ParseInt(n, 10, 64)
			}
		}
		if id == "" && time.Now().After(deadline) {
			return fmt.Errorf("no pending request for %s in %s after 2 minutes", execARN, attrs["table_name"])
		}
		if id == "" {
			if err := sleep(ctx, 2*time.Second); err != nil {
				return err
			}
		}
	}

	// The decision, through the gate's public HTTPS endpoint: the link the
	// notifier would have sent, signed with the gate's key from SSM.
	// (With the machine API of the identity issue, this is where a POST to
	// /api/v1/requests/{id}/decision with an OIDC bearer token goes.)
	key, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String("/manualapproval/" + name + "/signing-key"), WithDecryption: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("reading the signing key: %w", err)
	}
	link := approval.Link{ID: id, Decision: approval.DecisionApprove, Expires: time.Unix(expires, 0)}.URL(attrs["callback_url"], []byte(aws.ToString(key.Parameter.Value)))
	if !strings.HasPrefix(link, "https://") {
		return fmt.Errorf("the callback URL is not public HTTPS: %s", attrs["callback_url"])
	}
	resp, err := (&http.Client{Timeout: time.Minute}).PostForm(link, url.Values{"name": {"testacc-aws"}, "comment": {"approved by make testacc-aws"}})
	if err != nil {
		return fmt.Errorf("approving: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("approving: HTTP %d", resp.StatusCode)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; {
		d, err := sc.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execARN)})
		if err != nil {
			return err
		}
		if d.Status != "RUNNING" {
			var out struct {
				Approval approval.Outcome `json:"approval"`
			}
			_ = json.Unmarshal([]byte(aws.ToString(d.Output)), &out)
			if d.Status != "SUCCEEDED" || out.Approval.Decision != approval.OutcomeApproved || out.Approval.RequestID != id {
				return fmt.Errorf("execution %s, output %s: want SUCCEEDED with the approval of %s", d.Status, aws.ToString(d.Output), id)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("execution still RUNNING 2 minutes after the approval")
		}
		if err := sleep(ctx, 2*time.Second); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
