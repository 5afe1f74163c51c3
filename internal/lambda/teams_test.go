package lambda

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/google/go-cmp/cmp"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

const testTeamsParam = "/g/teams-webhook-url"

// newTeamsNotifier is a notifier whose channels are the local Teams and,
// withSNS, the SNS topic.
func newTeamsNotifier(t *testing.T, withSNS bool) (*ntHarness, *acctest.Teams) {
	t.Helper()
	tm, err := acctest.NewTeams()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tm.Close)
	h := newNotifier(t, approval.SlackFormatNone, nil, nil, func(c *approval.Config) {
		c.ParamWebhookURL, c.ParamWebhookSecret, c.ParamTeamsWebhookURL = "", "", testTeamsParam
		if !withSNS {
			c.TopicARN = ""
		}
	})
	h.ssm.params[testTeamsParam] = tm.WebhookURL()
	return h, tm
}

// TestNotifier_teams: the card reaches the Teams Workflows URL read from
// SSM (in the one GetParameters call), with the signed links as its buttons.
func TestNotifier_teams(t *testing.T) {
	t.Parallel()
	h, tm := newTeamsNotifier(t, false)
	res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"teams"}, res.Sent); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	posts := tm.Posts()
	if len(posts) != 1 {
		t.Fatalf("%d Teams posts (refused: %v)", len(posts), tm.Refused())
	}
	approve, ok1 := posts[0].Action("Approve")
	reject, ok2 := posts[0].Action("Reject")
	if !ok1 || !ok2 {
		t.Fatalf("buttons %+v", posts[0].Actions)
	}
	verifyLinks(t, approve.URL, reject.URL)
	if h.ssm.calls != 1 {
		t.Errorf("%d GetParameters calls, want 1", h.ssm.calls)
	}
}

// TestNotifier_teamsRetryAfter: a throttled flow (429 with Retry-After) is
// retried after the time it asks for, then the card is posted once.
func TestNotifier_teamsRetryAfter(t *testing.T) {
	t.Parallel()
	h, tm := newTeamsNotifier(t, false)
	tm.FailNext(2, http.StatusTooManyRequests, "2")
	res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"teams"}, res.Sent); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	if tm.Attempts() != 3 || len(tm.Posts()) != 1 {
		t.Errorf("%d attempts, %d posts; want 3 and 1", tm.Attempts(), len(tm.Posts()))
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second, 2 * time.Second}, h.sleeps.sleeps); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

// TestNotifier_teamsFails: a failing Teams counts like any channel: with
// SNS delivered the request stands; alone, the notifier fails with
// ManualApproval.NotifyFailed, and the URL is in neither the error nor the
// logs.
func TestNotifier_teamsFails(t *testing.T) {
	t.Parallel()
	t.Run("with SNS", func(t *testing.T) {
		t.Parallel()
		h, tm := newTeamsNotifier(t, true)
		tm.FailNext(maxAttempts, http.StatusServiceUnavailable, "")
		res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"sns"}, res.Sent); diff != "" || len(res.Failed) != 1 || !strings.HasPrefix(res.Failed[0], "teams: HTTP 503") {
			t.Errorf("sent (-want +got):\n%s\nfailed %v", diff, res.Failed)
		}
	})
	t.Run("alone", func(t *testing.T) {
		t.Parallel()
		h, tm := newTeamsNotifier(t, false)
		tm.Close()
		_, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
		var fe messages.InvokeResponse_Error
		if !errors.As(err, &fe) || fe.Type != approval.ErrorNotifyFailed || !strings.Contains(err.Error(), "teams") {
			t.Fatalf("err = %v", err)
		}
		if strings.Contains(err.Error(), "/workflows/") || strings.Contains(err.Error(), "sig=") {
			t.Errorf("the URL is in the error: %v", err)
		}
	})
}

// TestPostTeams: the follow-up sender posts a rendered card, and says so
// when the gate has no Teams.
func TestPostTeams(t *testing.T) {
	t.Parallel()
	h, tm := newTeamsNotifier(t, false)
	h.n.init()
	card, err := approval.TeamsDecisionCard(approval.Message{Title: "Deploy"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.n.postTeams(context.Background(), card); err != nil {
		t.Fatal(err)
	}
	if posts := tm.Posts(); len(posts) != 1 || !strings.Contains(posts[0].Texts[1], "Expired") {
		t.Errorf("posts %+v", posts)
	}
	h.n.Config.ParamTeamsWebhookURL = ""
	if err := h.n.postTeams(context.Background(), card); !errors.Is(err, errTeamsNotConfigured) {
		t.Errorf("without Teams: err = %v", err)
	}
}
