// Package gate is the AWS side of one approval gate: it creates, reads,
// updates and deletes the gate's parts (IAM roles, Lambda functions, the HTTP
// API, the DynamoDB table, the SNS topic, SSM parameters and log groups),
// orders them, rolls back a failed create and repairs drift. It knows nothing
// of Terraform types.
package gate

import "github.com/manualapproval/terraform-provider-manualapproval/internal/approval"

// Spec is the desired state of one gate: what the user configured, with
// defaults applied and tags already merged with the provider's default tags.
type Spec struct {
	Name        string
	Description string
	Tags        map[string]string // tags_all: default_tags merged with tags

	TimeoutSeconds int64

	Slack   *SlackSpec   // nil: no Slack
	Webhook *WebhookSpec // nil: no generic webhook
	SSO     *SSOSpec     // nil: links decide without a sign-in
	Teams   *TeamsSpec   // nil: no Microsoft Teams

	Approvers         []string // identities as the user wrote them (approval.ParseIdentity accepts each)
	ApproverGroups    []string
	LinkDecisions     string // approval.LinkDecisions*; "" means "any"
	MinApprovals      int
	AllowSelfApproval bool
	RequesterPath     string

	RequireReason string               // approval.ReasonNever, ReasonReject or ReasonAlways
	Inputs        []approval.InputSpec // values approvers fill in with their decision

	EmailAddresses []string
	SMSNumbers     []string

	AllowedStateMachineARNs []string // empty: every state machine of the account and region
	IncludeExecutionContext bool

	CallbackBaseURL string // optional custom domain; empty: the API's endpoint

	API *APISpec // nil: no machine-decision API (api_routes.go)

	// Followup is what happens while nobody answers and once a request is
	// final (approval/followup.go), written into the configuration
	// document: reminders, escalation, notify_on_decision and the decision
	// events (Events nil: none; BusName "" or "default": the account's
	// default bus).
	Followup approval.Followup
	// Escalation are the escalation steps (escalation.go), in order.
	Escalation []EscalationSpec

	LogRetentionDays       int32
	Architecture           string // "arm64" | "x86_64"
	MemoryMB               int32
	PermissionsBoundaryARN string
	KMSKeyARN              string
}

// SlackSpec is the Slack wiring. Format is "blocks" or "workflow" with
// WebhookURL, or "app" with BotToken, Channel and SigningSecret.
type SlackSpec struct {
	Format        string
	WebhookURL    string // sensitive
	BotToken      string // sensitive
	Channel       string
	SigningSecret string // sensitive
	APIBaseURL    string
	// The workspace, Enterprise Grid organisation and app the app's clicks
	// must come from ("" = not checked).
	TeamID, EnterpriseID, AppID string
}

// SSOSpec is the OpenID Connect sign-in in front of the links. Scopes and
// IdentityClaim have their defaults applied.
type SSOSpec struct {
	IssuerURL     string
	ClientID      string
	ClientSecret  string // sensitive
	Scopes        []string
	IdentityClaim string
	GroupsClaim   string
}

// TeamsSpec is the Microsoft Teams channel: a Teams Workflows "post to a
// channel when a webhook request is received" URL. WebhookURL is "" when it
// is not to be written (an import, a write-only form whose version did not
// change): the stored one is kept.
type TeamsSpec struct {
	WebhookURL string // sensitive: the URL's sig authorises posting
}

// WebhookSpec is a generic signed JSON webhook.
type WebhookSpec struct {
	URL    string
	Secret string // sensitive
}

// Status is what AWS says the gate is: the identifiers Terraform stores as
// computed attributes, and what differs from the Spec.
type Status struct {
	TopicARN            string
	TableName           string
	NotifierFunctionARN string
	CallbackFunctionARN string
	NotifierRoleARN     string
	CallbackRoleARN     string
	APIID               string
	CallbackURL         string
	BundleSHA256        string // hex SHA-256 of the deployed bundle zip
	// RuleARNs are the ARNs of the sweep's and the stopped-executions rules
	// by part (AWS and local AWSs spell a default-bus rule's ARN apart).
	RuleARNs map[Part]string

	TaskStateJSON          string
	StateMachinePolicyJSON string

	// Drift names each part that is missing or differs from the Spec, e.g.
	// "Lambda function deploy-prod-notifier: environment differs". Empty when
	// AWS matches the Spec.
	Drift []string
	// Observed are the read-back values of the arguments that map one to
	// one to an AWS setting, where AWS differs from the Spec (parts.go).
	Observed Observed
	// DriftParts are the parts a refresh found differing, in Drift or in
	// Observed: the next update converges them.
	DriftParts []Part
	// Found is false when no part of the gate exists at all (the gate was
	// deleted out of band).
	Found bool
}
