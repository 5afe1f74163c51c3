package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestE2E_remindersTurnedOnLater: a request made while the gate had no
// reminders is due at its expiry. After an apply turns reminders on, the
// next sweep moves it to the new schedule and, its first reminder being
// past, reminds it; the sweep records the schedule so the next one does not
// read the pending requests again. Without the move it would never be
// reminded.
func TestE2E_remindersTurnedOnLater(t *testing.T) {
	preCheck(t)
	name := acctest.RandomName()
	gate := func(extra string) string {
		return config(fmt.Sprintf(`
resource "manualapproval_gate" "test" {
  name                = %[1]q
  allow_self_approval = true
  timeout_seconds     = 3600
  email_addresses     = ["oncall@example.com"]
%[2]s
}
`, name, extra))
	}
	const id = "earlier000001"
	world := func(s *terraform.State) (*world, context.CancelFunc, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cfg, err := acctest.AWSConfig(ctx)
		if err != nil {
			cancel()
			return nil, nil, err
		}
		w := &world{t: t, ctx: ctx, cfg: cfg, attrs: s.RootModule().Resources["manualapproval_gate.test"].Primary.Attributes}
		w.name = w.attrs["name"]
		return w, cancel, nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		Steps: []resource.TestStep{
			{
				// No reminders: a request made 2 minutes ago is due at its expiry.
				Config: gate(""),
				Check: func(s *terraform.State) error {
					w, cancel, err := world(s)
					if err != nil {
						return err
					}
					defer cancel()
					created := time.Now().Unix() - 120
					putPending(w, id, created, created+3600)
					return nil
				},
			},
			{
				Config: gate("  reminders = { after_seconds = 60, every_seconds = 600, max = 2 }"),
				Check: func(s *terraform.State) error {
					w, cancel, err := world(s)
					if err != nil {
						return err
					}
					defer cancel()
					if w.h, err = acctest.StartHandlers(w.ctx, w.cfg, local.Endpoint(), w.name+"-callback"); err != nil {
						return err
					}
					defer w.h.Stop()
					res, err := acctest.Tick(w.ctx, w.direct(), w.name)
					if err != nil {
						return err
					}
					if res.Reminded != 1 || res.Failed != 0 {
						return fmt.Errorf("the first sweep after reminders were turned on: %+v, want the earlier request reminded\ncallback output:\n%s", res, w.h.Output(w.name+"-callback"))
					}
					item := w.item(id)
					if due, created := attrInt(w, item, "due_at"), attrInt(w, item, "created_at"); due != created+60+600 {
						return fmt.Errorf("due_at %d, want the second reminder at created_at+660 = %d", due, created+660)
					}
					marker, err := w.ddb().GetItem(w.ctx, &dynamodb.GetItemInput{
						TableName: aws.String(w.attrs["table_name"]), ConsistentRead: aws.Bool(true),
						Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "#followup-schedule"}},
					})
					if err != nil || len(marker.Item) == 0 {
						return fmt.Errorf("the schedule marker: %v %w", marker, err)
					}
					// The next sweep reads no pending request: nothing is due.
					local.Proxy.Reset()
					if res, err := acctest.Tick(w.ctx, w.direct(), w.name); err != nil || res.Due != 0 || res.Reminded != 0 {
						return fmt.Errorf("the next sweep: %+v %w", res, err)
					}
					if q := local.Proxy.CountsBy("callback")["dynamodb:Query"]; q != 2 {
						return fmt.Errorf("the next sweep made %d queries, want the 2 of what is due", q)
					}
					return nil
				},
			},
		},
	})
}
