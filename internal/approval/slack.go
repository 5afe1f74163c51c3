package approval

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Slack request signing (v0): X-Slack-Signature is "v0=" + hex
// HMAC-SHA256(signing secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw
// body). slack.NewSecretsVerifier implements the same scheme but checks the
// timestamp against the wall clock, which a handler with an injected clock
// (and a test of Slack's published example from 2018) cannot use; this is
// the same twenty lines with the clock passed in.

// Slack request headers.
const (
	SlackSignatureHeader = "X-Slack-Signature"
	SlackTimestampHeader = "X-Slack-Request-Timestamp"
)

// SlackMaxSkew is how far a Slack request timestamp may be from now.
const SlackMaxSkew = 5 * time.Minute

// Slack signature errors.
var (
	ErrSlackSignature = errors.New("invalid Slack signature")
	ErrSlackTimestamp = errors.New("missing or stale Slack request timestamp")
)

// SlackSignature returns the v0 signature of body sent at timestamp ts.
func SlackSignature(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySlackSignature checks a Slack request: ts must be unix seconds no
// more than SlackMaxSkew from now, and sig must be the v0 signature of body
// (compared in constant time).
func VerifySlackSignature(secret []byte, ts, sig string, body []byte, now time.Time) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrSlackTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > SlackMaxSkew || d < -SlackMaxSkew {
		return ErrSlackTimestamp
	}
	if !hmac.Equal([]byte(sig), []byte(SlackSignature(secret, ts, body))) {
		return ErrSlackSignature
	}
	return nil
}

// Interaction is the part of a Slack block_actions payload the callback
// uses. The payload is parsed into this small struct rather than
// slack.InteractionCallback, which decodes (and can fail on) every block
// and view type Slack may send.
type Interaction struct {
	Type string `json:"type"`
	// APIAppID is the app the interaction was sent to.
	APIAppID string `json:"api_app_id"`
	// Team is the workspace the click came from; Enterprise is its
	// Enterprise Grid organisation (null outside Grid).
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
	Enterprise *struct {
		ID string `json:"id"`
	} `json:"enterprise"`
	User struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Name     string `json:"name"`
		TeamID   string `json:"team_id"`
	} `json:"user"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Container struct {
		ChannelID string `json:"channel_id"`
		MessageTS string `json:"message_ts"`
	} `json:"container"`
	Message struct {
		TS string `json:"ts"`
	} `json:"message"`
	Actions []struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
	} `json:"actions"`
}

// Action is one decision clicked in Slack.
type Action struct {
	RequestID string
	Decision  string
	Vote      Vote   // without At; IDs holds the clicking Slack user
	UserID    string // the clicking Slack user's id (U…/W…)
	Channel   string
	TS        string
	// Where the click came from (empty when Slack did not say).
	TeamID       string
	EnterpriseID string
	AppID        string
}

// Slack origin errors.
var (
	ErrSlackWorkspace = errors.New("this Slack workspace is not the gate's")
	ErrSlackApp       = errors.New("this Slack app is not the gate's")
	ErrSlackMessage   = errors.New("this click does not come from the request's own Slack message")
)

// CheckSlackOrigin refuses a click that does not come from the gate's
// workspace, organisation or app (CheckSlackWorkspace) or from the request's
// own message (CheckSlackMessage).
func CheckSlackOrigin(a Action, c Config, r Request) error {
	if err := CheckSlackWorkspace(a, c); err != nil {
		return err
	}
	return CheckSlackMessage(a, r)
}

// CheckSlackWorkspace refuses a click that does not come from the gate's
// workspace (team_id), Enterprise Grid organisation (enterprise_id) or app
// (app_id), each checked when configured.
func CheckSlackWorkspace(a Action, c Config) error {
	switch {
	case c.SlackTeamID != "" && a.TeamID != c.SlackTeamID:
		return ErrSlackWorkspace
	case c.SlackEnterpriseID != "" && a.EnterpriseID != c.SlackEnterpriseID:
		return ErrSlackWorkspace
	case c.SlackAppID != "" && a.AppID != c.SlackAppID:
		return ErrSlackApp
	}
	return nil
}

// CheckSlackMessage refuses a click on another message than the request's
// own (the channel and ts recorded when the app posted it, or a later post
// recorded in r.Followup.Posts, such as an escalation step's message): a
// button copied into another message, or a request the app never posted.
func CheckSlackMessage(a Action, r Request) error {
	if a.Channel == "" || a.TS == "" {
		return ErrSlackMessage
	}
	if a.Channel == r.SlackChannel && a.TS == r.SlackTS {
		return nil
	}
	for _, p := range r.Followup.Posts {
		if a.Channel == p.Channel && a.TS == p.TS {
			return nil
		}
	}
	return ErrSlackMessage
}

// ErrNotDecision is returned by ParseInteraction for payloads that are not a
// click on an Approve or Reject button (other interactions are ignored).
var ErrNotDecision = errors.New("not a decision")

// ParseInteraction parses the form body of a Slack interactivity request
// ("payload=<json>") into the decision it carries.
func ParseInteraction(body []byte) (Action, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Action{}, fmt.Errorf("parsing Slack interaction form: %w", err)
	}
	var in Interaction
	if err := json.Unmarshal([]byte(form.Get("payload")), &in); err != nil {
		return Action{}, fmt.Errorf("parsing Slack interaction payload: %w", err)
	}
	if in.Type != "block_actions" || len(in.Actions) != 1 {
		return Action{}, ErrNotDecision
	}
	act := in.Actions[0]
	if act.ActionID != DecisionApprove && act.ActionID != DecisionReject {
		return Action{}, ErrNotDecision
	}
	if !ValidRequestID(act.Value) {
		return Action{}, fmt.Errorf("%w: malformed request id", ErrNotDecision)
	}
	if !slackUserIDPattern.MatchString(in.User.ID) {
		return Action{}, errors.New("slack interaction without a valid user id")
	}
	name := in.User.Username
	if name == "" {
		name = in.User.Name
	}
	a := Action{
		RequestID: act.Value,
		Decision:  act.ActionID,
		Vote: Vote{
			Approver: Approver{ID: IdentitySlack + ":" + in.User.ID, Name: NormalizeName(name), Via: ViaSlack},
			Decision: act.ActionID,
			IDs:      []string{IdentitySlack + ":" + in.User.ID},
		},
		UserID:  in.User.ID,
		Channel: cmp.Or(in.Container.ChannelID, in.Channel.ID),
		TS:      cmp.Or(in.Container.MessageTS, in.Message.TS),
		TeamID:  cmp.Or(in.Team.ID, in.User.TeamID),
		AppID:   in.APIAppID,
	}
	if in.Enterprise != nil {
		a.EnterpriseID = in.Enterprise.ID
	}
	return a, nil
}
