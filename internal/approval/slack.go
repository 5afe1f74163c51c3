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
	User struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Name     string `json:"name"`
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
	Vote      Vote // without At
	Channel   string
	TS        string
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
	if in.User.ID == "" {
		return Action{}, errors.New("slack interaction without a user id")
	}
	name := in.User.Username
	if name == "" {
		name = in.User.Name
	}
	a := Action{
		RequestID: act.Value,
		Decision:  act.ActionID,
		Vote: Vote{
			Approver: Approver{ID: in.User.ID, Name: NormalizeName(name), Via: ViaSlack},
			Decision: act.ActionID,
			Aliases:  []string{in.User.Username, in.User.Name},
		},
		Channel: cmp.Or(in.Container.ChannelID, in.Channel.ID),
		TS:      cmp.Or(in.Container.MessageTS, in.Message.TS),
	}
	return a, nil
}
