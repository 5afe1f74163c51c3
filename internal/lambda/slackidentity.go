package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// slackUserInfoBudget bounds the users.info look-up of a click, so the
// callback still answers Slack within its three seconds.
const slackUserInfoBudget = 800 * time.Millisecond

// slackUser is the part of a users.info answer the callback uses
// (https://docs.slack.dev/reference/methods/users.info: the profile's email
// needs the users:read.email scope; is_email_confirmed says the user
// confirmed it).
type slackUser struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	User  struct {
		ID               string `json:"id"`
		TeamID           string `json:"team_id"`
		Deleted          bool   `json:"deleted"`
		IsBot            bool   `json:"is_bot"`
		IsStranger       bool   `json:"is_stranger"`
		IsEmailConfirmed bool   `json:"is_email_confirmed"`
		Profile          struct {
			Email string `json:"email"`
		} `json:"profile"`
	} `json:"user"`
}

// slackEmailIdentity returns the "email:<addr>" identity of the Slack user
// who clicked, or "" when Slack gives no confirmed profile e-mail (the app
// lacks users:read.email, the user is external, deleted or a bot) or the
// look-up fails: the click then counts as its Slack user only.
func (c *Callback) slackEmailIdentity(ctx context.Context, token string, act approval.Action) string {
	if token == "" || act.UserID == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, slackUserInfoBudget)
	defer cancel()
	var u slackUser
	check := func(data []byte) error {
		u = slackUser{}
		if err := json.Unmarshal(data, &u); err != nil {
			return fmt.Errorf("slack users.info: malformed answer")
		}
		if !u.OK {
			return fmt.Errorf("slack users.info: %s", u.Error)
		}
		return nil
	}
	h := http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/x-www-form-urlencoded"}}
	body := []byte(url.Values{"user": {act.UserID}}.Encode())
	if err := c.postJSON(ctx, c.Config.SlackAPIBaseURL+"/users.info", body, h, check); err != nil {
		c.Log.Warn("slack user e-mail not read; the click counts as its Slack user only", "request_id", act.RequestID, "error", err.Error())
		return ""
	}
	switch {
	case u.User.ID != act.UserID, u.User.Deleted, u.User.IsBot, u.User.IsStranger, !u.User.IsEmailConfirmed:
		return ""
	case c.Config.SlackTeamID != "" && u.User.TeamID != c.Config.SlackTeamID && act.EnterpriseID == "":
		return ""
	}
	return approval.EmailIdentity(u.User.Profile.Email)
}
