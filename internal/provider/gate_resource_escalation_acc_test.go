package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

func testAccGateConfig_escalation(rName string) string {
	return testAccConfig(fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                = %[1]q
  timeout_seconds     = 3600
  allow_self_approval = true
  email_addresses     = ["oncall@example.com"]
  escalation = [
    { after_seconds = 600, email_addresses = ["boss@example.com"] },
    { after_seconds = 1800, email_addresses = ["boss@example.com", "ceo@example.com"], webhook_url = "https://hooks.slack.com/services/T0/B0/ESCALATE" },
  ]
}
`, rName))
}

// TestAccGate_escalation: the escalation topic on the local AWS: created
// with the gate (one filtered subscription per address, the webhook URLs'
// parameter), a subscription deleted out of band shows in the plan and the
// apply repairs it, destroy leaves nothing.
func TestAccGate_escalation(t *testing.T) {
	testAccPreCheck(t)
	rName := acctest.RandomName()
	topicARN := "arn:aws:sns:us-east-1:000000000000:" + rName + "-escalation"
	subscribed := func(email string) (string, error) {
		out, err := sns.NewFromConfig(testAccAWS(t)).ListSubscriptionsByTopic(context.Background(), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
		if err != nil {
			return "", err
		}
		for _, s := range out.Subscriptions {
			if aws.ToString(s.Endpoint) == email {
				return aws.ToString(s.SubscriptionArn), nil
			}
		}
		return "", nil
	}
	checkSubscribed := func(emails ...string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			for _, e := range emails {
				arn, err := subscribed(e)
				if err != nil {
					return fmt.Errorf("listing the subscriptions of %s: %w", topicARN, err)
				}
				if arn == "" {
					return fmt.Errorf("%s is not subscribed to %s", e, topicARN)
				}
			}
			return nil
		}
	}
	// 2 roles, 2 functions, the API, the table, the topic, 2 log groups, the
	// sweep's and the stopped executions' rules, 2 parameters
	// (configuration, signing key), and the escalation topic and its
	// webhook URLs' parameter.
	const parts = 15
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckGateDestroy(t),
		Steps: []resource.TestStep{
			{
				Config: testAccGateConfig_escalation(rName),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("drift"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownValue("manualapproval_gate.test", tfjsonpath.New("escalation"), knownvalue.ListSizeExact(2)),
				},
				Check: resource.ComposeTestCheckFunc(testAccCheckGateParts(t, rName, parts), checkSubscribed("boss@example.com", "ceo@example.com")),
			},
			{
				PreConfig: func() {
					arn, err := subscribed("ceo@example.com")
					if err == nil && arn != "" {
						_, err = sns.NewFromConfig(testAccAWS(t)).Unsubscribe(context.Background(), &sns.UnsubscribeInput{SubscriptionArn: aws.String(arn)})
					}
					if err != nil || arn == "" {
						t.Fatalf("deleting ceo@example.com's subscription: %q %v", arn, err)
					}
				},
				Config: testAccGateConfig_escalation(rName),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("manualapproval_gate.test", plancheck.ResourceActionUpdate),
					expectDrift("manualapproval_gate.test", "SNS subscription email ceo@example.com on "+rName+"-escalation: missing"),
				}},
				Check: resource.ComposeTestCheckFunc(testAccCheckGateParts(t, rName, parts), checkSubscribed("boss@example.com", "ceo@example.com")),
			},
		},
	})
}
