package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// TestGateResource_configDocumentTooLarge: lists SSM cannot store in the gate's
// configuration parameter are refused at plan time, with the sizes and the
// ways out.
func TestGateResource_configDocumentTooLarge(t *testing.T) {
	t.Parallel()
	var approvers []string
	for i := range 400 {
		approvers = append(approvers, fmt.Sprintf("%q", fmt.Sprintf("email:approver%03d@example.com", i)))
	}
	body := "name = \"t\"\nlink_decisions = \"none\"\napprovers = [" + strings.Join(approvers, ", ") + "]"
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories(newFakeManager()), Steps: []resource.TestStep{{
		Config: testAccGateConfig_raw(body), PlanOnly: true,
		ExpectError: wrapped(`Gate Configuration Too Large(.|\n)*approvers \(400\)(.|\n)*above the 8192 bytes`),
	}}})
}
