package provider

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/bundle"
)

// The valid values of the gate's arguments: the validators and the
// documentation are built from these.
var (
	// gateNameRegexp is a gate name: the prefix of every part's name.
	gateNameRegexp = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// slackBotTokenRegexp is a Slack bot token.
	slackBotTokenRegexp = regexp.MustCompile(`^xoxb-[A-Za-z0-9-]+$`)
	// emailRegexp is a pragmatic e-mail address check (SNS validates the rest).
	emailRegexp = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)
	// e164Regexp is a phone number in E.164 form.
	e164Regexp = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)
	// stateMachineARNRegexp is a Step Functions state machine ARN.
	stateMachineARNRegexp = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$`)
	// iamPolicyARNRegexp is an IAM managed policy ARN.
	iamPolicyARNRegexp = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[\w+=,.@/-]+$`)
	// iamRoleARNRegexp is an IAM role ARN.
	iamRoleARNRegexp = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	// kmsKeyARNRegexp is a KMS key ARN.
	kmsKeyARNRegexp = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)
	// requesterPathRegexp is a JSONPath into the state input.
	requesterPathRegexp = regexp.MustCompile(`^\$\..+`)
	// accountIDRegexp is an AWS account id.
	accountIDRegexp = regexp.MustCompile(`^\d{12}$`)
	// sessionNameRegexp is an STS role session name.
	sessionNameRegexp = regexp.MustCompile(`^[\w+=,.@-]+$`)

	// slackFormats are the Slack wirings.
	slackFormats = []string{approval.SlackFormatBlocks, approval.SlackFormatWorkflow, approval.SlackFormatApp}
	// slackWebhookFormats are the Slack wirings that post to a webhook URL.
	slackWebhookFormats = []string{approval.SlackFormatBlocks, approval.SlackFormatWorkflow}
	// lambdaArchitectures are the architectures the Lambda bundle is built for.
	lambdaArchitectures = bundle.Architectures
	// logRetentionDays are the retention periods CloudWatch Logs accepts.
	logRetentionDays = []int64{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// Limits and defaults of the gate's arguments.
const (
	gateNameMaxLength         = 40
	defaultTimeoutSeconds     = 86400
	minTimeoutSeconds         = 60
	maxTimeoutSeconds         = 31536000
	defaultMinApprovals       = 1
	defaultLogRetentionDays   = 30
	defaultArchitecture       = "arm64"
	defaultMemoryMB           = 128
	minMemoryMB               = 128
	maxMemoryMB               = 10240
	minWebhookSecretLength    = 16
	defaultSlackAPIBaseURL    = "https://slack.com/api"
	requesterPathPrefix       = "$."
	defaultIncludeExecContext = true
)

// quoted renders values as a Markdown list of code spans: "`a`, `b`".
func quoted[T any](values []T) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("`%v`", v)
	}
	return strings.Join(parts, ", ")
}

// isLoopbackHost reports whether host is localhost or a loopback address
// (127.0.0.0/8, ::1).
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkURL returns what is wrong with a URL, or "". HTTPS is required, but
// plain HTTP is accepted for a loopback host (a local test server) or, with
// allowAnyHTTP, for any host (an AWS endpoint inside a private network).
func checkURL(s string, allowAnyHTTP, allowQuery bool) string {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("must be a valid URL: %s", err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "must be an absolute URL with a host, such as https://example.com/path"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowAnyHTTP && !isLoopbackHost(u.Hostname()) {
			return "must use https (http is accepted only for a loopback host: localhost, 127.0.0.0/8, ::1)"
		}
	default:
		return fmt.Sprintf("must use the https scheme, not %q", u.Scheme)
	}
	if !allowQuery && (u.RawQuery != "" || u.ForceQuery) {
		return "must not have a query string"
	}
	if u.Fragment != "" {
		return "must not have a fragment"
	}
	if u.User != nil {
		return "must not contain credentials"
	}
	return ""
}

// urlValidator checks a URL with checkURL.
type urlValidator struct {
	allowAnyHTTP bool
	noQuery      bool
	// sensitive keeps the value out of the error message.
	sensitive bool
}

var _ validator.String = urlValidator{}

func (v urlValidator) Description(_ context.Context) string {
	switch {
	case v.allowAnyHTTP:
		return "value must be an http or https URL"
	case v.noQuery:
		return "value must be an https URL without a query string (http only for a loopback host)"
	default:
		return "value must be an https URL (http only for a loopback host)"
	}
}

func (v urlValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v urlValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := checkURL(req.ConfigValue.ValueString(), v.allowAnyHTTP, !v.noQuery); problem != "" {
		got := req.ConfigValue.ValueString()
		if v.sensitive {
			got = "(sensitive value)"
		}
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid URL",
			fmt.Sprintf("Attribute %s %s, got: %s", req.Path, problem, got))
	}
}

// durationValidator checks a Go duration string within bounds.
type durationValidator struct {
	min, max time.Duration
}

var _ validator.String = durationValidator{}

func (v durationValidator) Description(_ context.Context) string {
	return fmt.Sprintf("value must be a duration such as \"1h\" or \"15m\", between %s and %s", v.min, v.max)
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d < v.min || d > v.max {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Duration",
			fmt.Sprintf("Attribute %s %s, got: %s", req.Path, v.Description(ctx), req.ConfigValue.ValueString()))
	}
}

// secretMatches checks a sensitive string against a regular expression
// without repeating the value in the error message.
type secretMatches struct {
	re      *regexp.Regexp
	message string
}

var _ validator.String = secretMatches{}

func (v secretMatches) Description(_ context.Context) string {
	return "value " + v.message
}

func (v secretMatches) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v secretMatches) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if !v.re.MatchString(req.ConfigValue.ValueString()) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Attribute Value",
			fmt.Sprintf("Attribute %s %s (the value is sensitive and not shown)", req.Path, v.message))
	}
}
