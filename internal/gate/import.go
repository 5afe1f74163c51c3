package gate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Import rebuilds the non-secret Spec of an existing gate from AWS: most of
// it is in the notifier's environment. Secrets (Slack webhook URL, bot token,
// signing secret, webhook URL and secret) cannot be read back and come back empty;
// IncludeExecutionContext is not stored in AWS and comes back true.
func (m *Manager) Import(ctx context.Context, name string) (Spec, Status, error) {
	r := m.newRun(Spec{Name: name}, false)
	fn, err := m.c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(r.n.function(kindNotifier))})
	if hasCode(err, "ResourceNotFoundException") {
		return Spec{}, Status{}, fmt.Errorf("importing approval gate %q: its notifier function %s does not exist: %w", name, r.n.function(kindNotifier), ErrNotFound)
	}
	if err != nil {
		return Spec{}, Status{}, fmt.Errorf("reading Lambda Function (%s): %w", r.n.function(kindNotifier), err)
	}
	cfg := fn.Configuration
	var env map[string]string
	if cfg.Environment != nil {
		env = cfg.Environment.Variables
	}
	hc, err := approval.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		return Spec{}, Status{}, fmt.Errorf("importing approval gate %q: the notifier's environment is not a gate's: %w", name, err)
	}
	if hc.ParamConfig != "" {
		if err := r.importConfigDoc(ctx, &hc); err != nil {
			return Spec{}, Status{}, fmt.Errorf("importing approval gate %q: %w", name, err)
		}
	}
	spec := Spec{
		Name:                    name,
		TimeoutSeconds:          hc.TimeoutSeconds,
		Approvers:               hc.Approvers,
		ApproverGroups:          hc.ApproverGroups,
		LinkDecisions:           hc.LinkDecisions,
		MinApprovals:            hc.MinApprovals,
		AllowSelfApproval:       hc.AllowSelfApproval,
		RequesterPath:           hc.RequesterPath,
		Inputs:                  hc.Inputs,
		AllowedStateMachineARNs: hc.AllowedStateMachineARNs,
		IncludeExecutionContext: true,
		MemoryMB:                aws.ToInt32(cfg.MemorySize),
		Architecture:            "arm64",
	}
	specFollowup(&spec, hc.Followup)
	spec.Escalation = importedEscalation(hc.Followup.Escalation)
	if hc.RequireReason != approval.ReasonNever { // "" is the default
		spec.RequireReason = hc.RequireReason
	}
	if len(cfg.Architectures) > 0 {
		spec.Architecture = string(cfg.Architectures[0])
	}
	if d, ok := gateDescription(name, kindNotifier, aws.ToString(cfg.Description)); ok {
		spec.Description = d
	}
	spec.Tags = r.observedTags(fn.Tags)
	if hc.SlackFormat != "" {
		spec.Slack = &SlackSpec{
			Format: hc.SlackFormat, Channel: hc.SlackChannel, APIBaseURL: hc.SlackAPIBaseURL,
			TeamID: hc.SlackTeamID, EnterpriseID: hc.SlackEnterpriseID, AppID: hc.SlackAppID,
		}
	}
	if hc.ParamWebhookSecret != "" {
		spec.Webhook = &WebhookSpec{} // its URL and secret are secrets: not read back
	}
	if hc.ParamTeamsWebhookURL != "" {
		spec.Teams = &TeamsSpec{} // its URL is a secret: not read back
	}
	if o := hc.SSO; o.Enabled() {
		spec.SSO = &SSOSpec{IssuerURL: o.IssuerURL, ClientID: o.ClientID, Scopes: o.Scopes, IdentityClaim: o.IdentityClaim, GroupsClaim: o.GroupsClaim}
	}
	spec.API = apiSpecFromConfig(hc.API)

	// The rest: retention, subscriptions, boundary, key, custom domain.
	if err := parallel(ctx,
		func(ctx context.Context) error {
			groups, err := r.describeLogGroups(ctx)
			if g := groups[r.n.logGroup(kindNotifier)]; err == nil && g != nil {
				spec.LogRetentionDays = aws.ToInt32(g.RetentionInDays)
			}
			return err
		},
		func(ctx context.Context) error {
			subs, err := r.listSubscriptions(ctx, r.a.topic())
			if hasCode(err, "NotFound") {
				return nil
			}
			for s := range subs {
				if s.protocol == "email" {
					spec.EmailAddresses = append(spec.EmailAddresses, s.endpoint)
				} else {
					spec.SMSNumbers = append(spec.SMSNumbers, s.endpoint)
				}
			}
			return wrapf(err, "listing SNS Topic (%s) subscriptions", r.n.topic())
		},
		func(ctx context.Context) error {
			out, err := m.c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(r.n.role(kindNotifier))})
			if err == nil && out.Role.PermissionsBoundary != nil {
				spec.PermissionsBoundaryARN = aws.ToString(out.Role.PermissionsBoundary.PermissionsBoundaryArn)
			}
			if hasCode(err, "NoSuchEntity") {
				return nil
			}
			return wrapf(err, "reading IAM Role (%s)", r.n.role(kindNotifier))
		},
		func(ctx context.Context) error {
			out, err := m.c.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(r.n.table())})
			if err == nil {
				spec.KMSKeyARN = tableKMSKey(out.Table)
			}
			if hasCode(err, "ResourceNotFoundException") {
				return nil
			}
			return wrapf(err, "reading DynamoDB Table (%s)", r.n.table())
		},
		func(ctx context.Context) error {
			api, err := r.findAPI(ctx)
			if err == nil && api != nil && hc.CallbackBaseURL != "" {
				r.spec.CallbackBaseURL = ""
				if derived := r.callbackURL(aws.ToString(api.ApiId), aws.ToString(api.ApiEndpoint)); derived != hc.CallbackBaseURL {
					spec.CallbackBaseURL = hc.CallbackBaseURL
				}
			}
			return err
		},
	); err != nil {
		return Spec{}, Status{}, fmt.Errorf("importing approval gate %q: %w", name, err)
	}
	st, err := m.Read(ctx, spec)
	if err != nil {
		return Spec{}, Status{}, err
	}
	return spec, st, nil
}
