package gate

import (
	"fmt"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Kinds of function. Each gate has one function, role and log group per kind.
const (
	kindNotifier = "notifier"
	kindCallback = "callback"
)

var kinds = []string{kindNotifier, kindCallback}

// Tag keys the gate adds to every part, so parts can be found by gate.
const (
	tagGate      = "manualapproval:gate"
	iamPath      = "/manualapproval/"
	paramRoot    = "/manualapproval/"
	apiStageName = "$default"
	permissionID = "AllowExecutionFromAPIGateway"
)

// Parameter suffixes under paramRoot + name + "/".
const (
	paramSigningKey    = "signing-key"
	paramSlackWebhook  = "slack-webhook-url"
	paramSlackBotToken = "slack-bot-token"
	paramSlackSigning  = "slack-signing-secret"
	paramWebhookSecret = "webhook-secret"
	paramWebhookURL    = "webhook-url"
	// paramSSOClientSecret is readable by the callback's role only.
	paramSSOClientSecret = "sso-client-secret"
	// paramTeamsWebhookURL is the Teams Workflows URL (its sig is a secret).
	paramTeamsWebhookURL = "teams-webhook-url"
	// paramConfig is the configuration document (approval.ConfigDoc): a
	// String parameter both roles read.
	paramConfig = "config"
)

var allParams = []string{paramConfig, paramSigningKey, paramSlackWebhook, paramSlackBotToken, paramSlackSigning, paramWebhookSecret, paramWebhookURL, paramSSOClientSecret, paramTeamsWebhookURL, paramEscalationWebhooks}

// names derives every part's name from the gate's name.
type names struct{ gate string }

func (n names) function(kind string) string { return n.gate + "-" + kind }
func (n names) role(kind string) string     { return n.gate + "-" + kind }
func (n names) policy() string              { return "manualapproval-gate" }
func (n names) logGroup(kind string) string { return "/aws/lambda/" + n.function(kind) }
func (n names) table() string               { return n.gate + "-requests" }
func (n names) topic() string               { return n.gate + "-approvals" }
func (n names) api() string                 { return n.gate + "-callback" }
func (n names) paramPrefix() string         { return paramRoot + n.gate + "/" }
func (n names) param(suffix string) string  { return n.paramPrefix() + suffix }

// arns builds the ARNs a gate's policies name.
type arns struct {
	env Env
	n   names
}

func (a arns) base(service string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:", a.env.partition(), service, a.env.Region, a.env.AccountID)
}
func (a arns) table() string { return a.base("dynamodb") + "table/" + a.n.table() }
func (a arns) topic() string { return a.base("sns") + a.n.topic() }
func (a arns) logGroup(kind string) string {
	return a.base("logs") + "log-group:" + a.n.logGroup(kind) + ":*"
}
func (a arns) function(kind string) string {
	return a.base("lambda") + "function:" + a.n.function(kind)
}
func (a arns) eventBus(bus string) string {
	return approval.EventBusARN(bus, a.env.partition(), a.env.Region, a.env.AccountID)
}
func (a arns) anyStateMachine() string { return a.base("states") + "stateMachine:*" }
func (a arns) executeAPI(apiID string) string {
	return a.base("execute-api") + apiID + "/*/*"
}

func (e Env) partition() string {
	if e.Partition == "" {
		return "aws"
	}
	return e.Partition
}
