package lambda

import (
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// A request in status deciding is decided in the table but not yet in the
// workflow: its delivery may still fail (and be re-sent by a later click or
// the sweep). It is never shown as decided: pages and Slack say "being
// delivered" and keep their buttons, so nobody is told "approved" while the
// workflow never hears it.

// beingDeliveredText says what is happening to r's decision.
func beingDeliveredText(r approval.Request) string {
	what := "A decision"
	if r.Outcome != nil {
		what = describeOutcome(r.Outcome)
	}
	return what + " is being delivered to the workflow. It is re-sent automatically until the workflow has it; open this link again later to see the result."
}

// deliveringPage is the page of a deciding request: the decision so far,
// and the form, which stays usable (a submission after the lease re-sends
// the decision).
func (c *Callback) deliveringPage(status int, r approval.Request, l approval.Link) events.APIGatewayV2HTTPResponse {
	return html(status, page{
		Heading: "Being delivered", Message: beingDeliveredText(r),
		Request: newPageRequest(r),
		Form:    &pageForm{Approve: l.Decision == approval.DecisionApprove},
	}, nil)
}

// slackBeingDelivered is the private note to someone who clicks a deciding
// request's buttons; the message itself is left as it is (buttons
// included) until the workflow has the decision.
func slackBeingDelivered(r approval.Request) string {
	what := "A decision"
	if r.Outcome != nil {
		what = approval.SlackStatusText(r.Outcome)
	}
	return "Being delivered: " + what + " is being delivered to the workflow. This message is updated once the workflow has it."
}

// deliveringStatus is the HTTP status of a vote that met a deciding request
// within its lease: accepted, not done.
const deliveringStatus = http.StatusAccepted
