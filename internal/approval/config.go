// Package approval is the pure approval protocol shared by the provider and the
// Lambda handlers: the gate's runtime configuration (carried in the functions'
// environment), the request model, link signing, decision rules and message
// rendering. It does no I/O.
package approval

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Role selects what the bootstrap binary does in a given function.
type Role string

const (
	RoleNotifier Role = "notifier"
	RoleCallback Role = "callback"
)

// Slack wiring formats. SlackFormatNone means no Slack channel is configured.
const (
	SlackFormatNone     = ""
	SlackFormatBlocks   = "blocks"
	SlackFormatWorkflow = "workflow"
	SlackFormatApp      = "app"
)

// Environment variable names: the contract between internal/gate, which sets
// them on both functions, and internal/lambda, which reads them. Secrets are
// never in the environment; only the names of the SSM parameters holding them.
const (
	EnvRole                = "MANUALAPPROVAL_ROLE"
	EnvGateName            = "MANUALAPPROVAL_GATE"
	EnvTableName           = "MANUALAPPROVAL_TABLE"
	EnvTopicARN            = "MANUALAPPROVAL_TOPIC_ARN"
	EnvCallbackBaseURL     = "MANUALAPPROVAL_CALLBACK_BASE_URL"
	EnvParamSigningKey     = "MANUALAPPROVAL_PARAM_SIGNING_KEY"
	EnvParamSlackWebhook   = "MANUALAPPROVAL_PARAM_SLACK_WEBHOOK_URL"
	EnvParamSlackBotToken  = "MANUALAPPROVAL_PARAM_SLACK_BOT_TOKEN"
	EnvParamSlackSigning   = "MANUALAPPROVAL_PARAM_SLACK_SIGNING_SECRET"
	EnvParamWebhookSecret  = "MANUALAPPROVAL_PARAM_WEBHOOK_SECRET"
	EnvSlackFormat         = "MANUALAPPROVAL_SLACK_FORMAT"
	EnvSlackChannel        = "MANUALAPPROVAL_SLACK_CHANNEL"
	EnvSlackAPIBaseURL     = "MANUALAPPROVAL_SLACK_API_BASE_URL"
	EnvParamWebhookURL     = "MANUALAPPROVAL_PARAM_WEBHOOK_URL"
	EnvApprovers           = "MANUALAPPROVAL_APPROVERS"
	EnvMinApprovals        = "MANUALAPPROVAL_MIN_APPROVALS"
	EnvAllowSelfApproval   = "MANUALAPPROVAL_ALLOW_SELF_APPROVAL"
	EnvRequesterPath       = "MANUALAPPROVAL_REQUESTER_PATH"
	EnvAllowedStateMachine = "MANUALAPPROVAL_ALLOWED_STATE_MACHINE_ARNS"
	EnvTimeoutSeconds      = "MANUALAPPROVAL_TIMEOUT_SECONDS"
	EnvApproverGroups      = "MANUALAPPROVAL_APPROVER_GROUPS"
	EnvLinkDecisions       = "MANUALAPPROVAL_LINK_DECISIONS"
	EnvSlackTeamID         = "MANUALAPPROVAL_SLACK_TEAM_ID"
	EnvSlackEnterpriseID   = "MANUALAPPROVAL_SLACK_ENTERPRISE_ID"
	EnvSlackAppID          = "MANUALAPPROVAL_SLACK_APP_ID"

	EnvEscalationTopicARN      = "MANUALAPPROVAL_ESCALATION_TOPIC_ARN"
	EnvParamEscalationWebhooks = "MANUALAPPROVAL_PARAM_ESCALATION_WEBHOOKS"
	EnvParamTeamsWebhookURL    = "MANUALAPPROVAL_PARAM_TEAMS_WEBHOOK_URL"
	EnvFollowupRev             = "MANUALAPPROVAL_FOLLOWUP_REV"
)

// DefaultRequesterPath is where the requester is read from the state input.
const DefaultRequesterPath = "$.requested_by"

// Config is the runtime configuration of one gate's handlers. The gate
// renders it into each function's environment with Env; the handlers parse
// it back with ConfigFromEnv.
type Config struct {
	Role     Role
	GateName string

	TableName       string
	TopicARN        string
	CallbackBaseURL string // no trailing slash; links are CallbackBaseURL + "/r/<id>?…"

	// SSM SecureString parameter names. Empty means "not configured".
	ParamSigningKey    string
	ParamSlackWebhook  string
	ParamSlackBotToken string
	ParamSlackSigning  string
	ParamWebhookSecret string
	ParamWebhookURL    string // the webhook URL can carry a token: a secret

	SlackFormat     string // one of the SlackFormat* constants
	SlackChannel    string
	SlackAPIBaseURL string

	Approvers               []string // identities (ParseIdentity); empty with ApproverGroups empty = anyone
	MinApprovals            int
	AllowSelfApproval       bool
	RequesterPath           string
	AllowedStateMachineARNs []string // empty = any state machine of the account and region
	TimeoutSeconds          int64

	// ApproverGroups are IdP groups whose members may decide (needs sso).
	ApproverGroups []string `json:"approver_groups,omitempty"`
	// LinkDecisions is one of the LinkDecisions* constants; ConfigFromEnv
	// defaults it to LinkDecisionsAny.
	LinkDecisions string `json:"link_decisions,omitempty"`
	// The Slack workspace (team), Enterprise Grid organisation and app the
	// gate's Slack app clicks must come from; empty = not checked.
	SlackTeamID       string `json:"slack_team_id,omitempty"`
	SlackEnterpriseID string `json:"slack_enterprise_id,omitempty"`
	SlackAppID        string `json:"slack_app_id,omitempty"`

	// SSO is the sign-in in front of links (off when not configured).
	// ParamSSOClientSecret is set for the callback only.
	SSO                  SSO    `json:"sso"`
	ParamSSOClientSecret string `json:"param_sso_client_secret,omitempty"`
	// RequireReason is one of RequireReasonValues; empty means ReasonNever.
	RequireReason string `json:"require_reason,omitempty"`
	// Inputs are the values approvers fill in (see inputs.go).
	Inputs []InputSpec `json:"inputs,omitempty"`
	// API is the machine-decision API; nil = off (see api.go).
	API *APIConfig `json:"api,omitempty"`
	// ParamConfig names the configuration parameter (configdoc.go). When
	// set, Env leaves the document's fields out of the environment and the
	// handlers read them from the parameter.
	ParamConfig string `json:"param_config,omitempty"`

	// Followup is read from the configuration document (followup.go).
	Followup Followup `json:"followup"`
	// EscalationTopicARN is the SNS topic of the escalation steps' e-mail
	// addresses ("" = none); ParamEscalationWebhooks the SecureString
	// parameter of their webhook URLs and ParamTeamsWebhookURL the one of
	// the Teams Workflows URL ("" = not configured).
	EscalationTopicARN      string `json:"escalation_topic_arn,omitempty"`
	ParamEscalationWebhooks string `json:"param_escalation_webhooks,omitempty"`
	ParamTeamsWebhookURL    string `json:"param_teams_webhook_url,omitempty"`
	// FollowupRev names the follow-up schedule (FollowupRev): when it
	// changes, the sweep moves the pending requests' next due time to the
	// new schedule once ("" = no schedule: nothing to move).
	FollowupRev string `json:"followup_rev,omitempty"`
}

// Env renders c as environment variables. Empty optional values are omitted,
// so the map is stable and compares equal to what Lambda returns.
func (c Config) Env() map[string]string {
	env := map[string]string{
		EnvRole:              string(c.Role),
		EnvGateName:          c.GateName,
		EnvTableName:         c.TableName,
		EnvMinApprovals:      strconv.Itoa(c.MinApprovals),
		EnvAllowSelfApproval: strconv.FormatBool(c.AllowSelfApproval),
		EnvTimeoutSeconds:    strconv.FormatInt(c.TimeoutSeconds, 10),
	}
	put := func(k, v string) {
		if v != "" {
			env[k] = v
		}
	}
	put(EnvTopicARN, c.TopicARN)
	put(EnvCallbackBaseURL, c.CallbackBaseURL)
	put(EnvParamSigningKey, c.ParamSigningKey)
	put(EnvParamSlackWebhook, c.ParamSlackWebhook)
	put(EnvParamSlackBotToken, c.ParamSlackBotToken)
	put(EnvParamSlackSigning, c.ParamSlackSigning)
	put(EnvParamWebhookSecret, c.ParamWebhookSecret)
	put(EnvSlackFormat, c.SlackFormat)
	put(EnvSlackChannel, c.SlackChannel)
	put(EnvSlackAPIBaseURL, c.SlackAPIBaseURL)
	put(EnvParamWebhookURL, c.ParamWebhookURL)
	put(EnvParamConfig, c.ParamConfig)
	if c.ParamConfig != "" {
		c.Approvers, c.AllowedStateMachineARNs, c.ApproverGroups, c.Inputs = nil, nil, nil, nil
	}
	put(EnvApprovers, joinSorted(c.Approvers))
	if c.RequesterPath != "" && c.RequesterPath != DefaultRequesterPath {
		env[EnvRequesterPath] = c.RequesterPath
	}
	put(EnvAllowedStateMachine, joinSorted(c.AllowedStateMachineARNs))
	put(EnvApproverGroups, joinSorted(c.ApproverGroups))
	if c.LinkDecisions != "" && c.LinkDecisions != LinkDecisionsAny {
		env[EnvLinkDecisions] = c.LinkDecisions
	}
	put(EnvSlackTeamID, c.SlackTeamID)
	put(EnvSlackEnterpriseID, c.SlackEnterpriseID)
	put(EnvSlackAppID, c.SlackAppID)
	c.SSO.env(put)
	put(EnvParamSSOClientSecret, c.ParamSSOClientSecret)
	put(EnvEscalationTopicARN, c.EscalationTopicARN)
	put(EnvParamEscalationWebhooks, c.ParamEscalationWebhooks)
	put(EnvParamTeamsWebhookURL, c.ParamTeamsWebhookURL)
	put(EnvFollowupRev, c.FollowupRev)
	c.putInputsEnv(env)
	c.API.putEnv(put)
	return env
}

// ConfigFromEnv parses the configuration written by Env. getenv is usually
// os.Getenv.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Role:                    Role(getenv(EnvRole)),
		GateName:                getenv(EnvGateName),
		TableName:               getenv(EnvTableName),
		TopicARN:                getenv(EnvTopicARN),
		CallbackBaseURL:         strings.TrimRight(getenv(EnvCallbackBaseURL), "/"),
		ParamSigningKey:         getenv(EnvParamSigningKey),
		ParamSlackWebhook:       getenv(EnvParamSlackWebhook),
		ParamSlackBotToken:      getenv(EnvParamSlackBotToken),
		ParamSlackSigning:       getenv(EnvParamSlackSigning),
		ParamWebhookSecret:      getenv(EnvParamWebhookSecret),
		SlackFormat:             getenv(EnvSlackFormat),
		SlackChannel:            getenv(EnvSlackChannel),
		SlackAPIBaseURL:         getenv(EnvSlackAPIBaseURL),
		ParamWebhookURL:         getenv(EnvParamWebhookURL),
		Approvers:               splitList(getenv(EnvApprovers)),
		RequesterPath:           getenv(EnvRequesterPath),
		AllowedStateMachineARNs: splitList(getenv(EnvAllowedStateMachine)),
		ApproverGroups:          splitList(getenv(EnvApproverGroups)),
		LinkDecisions:           getenv(EnvLinkDecisions),
		SlackTeamID:             getenv(EnvSlackTeamID),
		SlackEnterpriseID:       getenv(EnvSlackEnterpriseID),
		SlackAppID:              getenv(EnvSlackAppID),
		ParamSSOClientSecret:    getenv(EnvParamSSOClientSecret),
		ParamConfig:             getenv(EnvParamConfig),
		EscalationTopicARN:      getenv(EnvEscalationTopicARN),
		ParamEscalationWebhooks: getenv(EnvParamEscalationWebhooks),
		ParamTeamsWebhookURL:    getenv(EnvParamTeamsWebhookURL),
		FollowupRev:             getenv(EnvFollowupRev),
	}
	if c.RequesterPath == "" {
		c.RequesterPath = DefaultRequesterPath
	}
	if c.LinkDecisions == "" {
		c.LinkDecisions = LinkDecisionsAny
	}
	if _, err := CanonicalIdentities(c.Approvers); err != nil {
		return c, fmt.Errorf("%s: %w", EnvApprovers, err)
	}
	if !slices.Contains(LinkDecisionsValues, c.LinkDecisions) {
		return c, fmt.Errorf("%s must be one of %s, got %q", EnvLinkDecisions, strings.Join(LinkDecisionsValues, ", "), c.LinkDecisions)
	}
	switch c.Role {
	case RoleNotifier, RoleCallback:
	default:
		return c, fmt.Errorf("%s must be %q or %q, got %q", EnvRole, RoleNotifier, RoleCallback, c.Role)
	}
	if c.TableName == "" {
		return c, fmt.Errorf("%s is not set", EnvTableName)
	}
	if c.ParamSigningKey == "" {
		return c, fmt.Errorf("%s is not set", EnvParamSigningKey)
	}
	switch c.SlackFormat {
	case SlackFormatNone, SlackFormatBlocks, SlackFormatWorkflow, SlackFormatApp:
	default:
		return c, fmt.Errorf("%s: unknown Slack format %q", EnvSlackFormat, c.SlackFormat)
	}
	var err error
	if c.API, err = apiConfigFromEnv(getenv); err != nil {
		return c, err
	}
	if c.MinApprovals, err = atoiDefault(getenv(EnvMinApprovals), 1); err != nil || c.MinApprovals < 1 {
		return c, fmt.Errorf("%s must be a whole number ≥ 1, got %q", EnvMinApprovals, getenv(EnvMinApprovals))
	}
	if v := getenv(EnvAllowSelfApproval); v != "" {
		if c.AllowSelfApproval, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("%s must be true or false, got %q", EnvAllowSelfApproval, v)
		}
	}
	if v := getenv(EnvTimeoutSeconds); v != "" {
		if c.TimeoutSeconds, err = strconv.ParseInt(v, 10, 64); err != nil || c.TimeoutSeconds <= 0 {
			return c, fmt.Errorf("%s must be a positive whole number, got %q", EnvTimeoutSeconds, v)
		}
	} else {
		c.TimeoutSeconds = 86400
	}
	if c.SSO, err = ssoFromEnv(getenv); err != nil {
		return c, err
	}
	if err := c.inputsFromEnv(getenv); err != nil {
		return c, err
	}
	return c, nil
}

func atoiDefault(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

func joinSorted(v []string) string {
	s := append([]string(nil), v...)
	sort.Strings(s)
	return strings.Join(s, ",")
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
