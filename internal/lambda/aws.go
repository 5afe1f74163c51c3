// Package lambda holds the two handlers that run inside a gate's functions:
// the Notifier, invoked by Step Functions with a task token, and the
// Callback, behind the gate's HTTP API. Both are structs over narrow
// interfaces copying the AWS SDK methods they call, so tests run them over
// fakes; internal/lambda/bootstrap wires them to the real clients.
package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// DynamoDB is the part of *dynamodb.Client the handlers use.
type DynamoDB interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// StepFunctions is the part of *sfn.Client the callback uses.
type StepFunctions interface {
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, opts ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, opts ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

// LambdaInvoker is the part of *lambda.Client the callback uses to hand a
// verified Slack interaction to itself (InvocationType Event).
type LambdaInvoker interface {
	Invoke(ctx context.Context, in *awslambda.InvokeInput, opts ...func(*awslambda.Options)) (*awslambda.InvokeOutput, error)
}

// SNS is the part of *sns.Client the notifier uses.
type SNS interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
	ListSubscriptionsByTopic(ctx context.Context, in *sns.ListSubscriptionsByTopicInput, opts ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
}

// SSM is the part of *ssm.Client both handlers use.
type SSM interface {
	GetParameters(ctx context.Context, in *ssm.GetParametersInput, opts ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
}

// Base is what both handlers share: configuration, secrets, HTTP, clock and
// logger. Zero-valued HTTP, Now, Sleep and Log get working defaults.
type Base struct {
	Config approval.Config
	SSM    SSM
	HTTP   *http.Client
	Now    func() time.Time
	Sleep  func(context.Context, time.Duration) error
	Log    *slog.Logger
	// AllowLoopback lets the handlers post to loopback addresses: only the
	// test harness sets it (see EnvTestAllowLoopback).
	AllowLoopback bool
	// Events puts the decision events (events.go); nil sends none.
	Events EventBridge

	cache *secretCache // set by init
}

// secretCache holds the secrets once read.
type secretCache struct {
	mu      sync.Mutex
	secrets *Secrets
}

func (b *Base) init() {
	b.cache = &secretCache{}
	if b.HTTP == nil {
		b.HTTP = newHTTPClient(b.AllowLoopback)
	} else if b.HTTP.CheckRedirect == nil {
		c := *b.HTTP
		c.CheckRedirect = noRedirects
		b.HTTP = &c
	}
	if b.Now == nil {
		b.Now = time.Now
	}
	if b.Sleep == nil {
		b.Sleep = sleepContext
	}
	if b.Log == nil {
		b.Log = slog.New(slog.DiscardHandler)
	}
	if b.Config.SlackAPIBaseURL == "" {
		b.Config.SlackAPIBaseURL = DefaultSlackAPIBaseURL
	}
}

// DefaultSlackAPIBaseURL is Slack's Web API, used when the gate sets none.
const DefaultSlackAPIBaseURL = "https://slack.com/api"

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Secrets are the values of the gate's SSM parameters. Unconfigured ones
// are empty.
type Secrets struct {
	SigningKey         []byte
	SlackWebhookURL    string
	SlackBotToken      string
	SlackSigningSecret []byte
	WebhookSecret      []byte
	WebhookURL         string
	SSOClientSecret    string
	TeamsWebhookURL    string
	// EscalationWebhooks are the escalation steps' Slack incoming-webhook
	// URLs, one per step ("" for a step without one).
	EscalationWebhooks []string
}

// loadSecrets reads the gate's parameters with one ssm:GetParameters call
// (with decryption) on first use and caches them for the life of the
// process. A failure is not cached.
func (b *Base) loadSecrets(ctx context.Context) (*Secrets, error) {
	b.cache.mu.Lock()
	defer b.cache.mu.Unlock()
	if b.cache.secrets != nil {
		return b.cache.secrets, nil
	}
	c := b.Config
	var names []string
	for _, n := range []string{c.ParamConfig, c.ParamSigningKey, c.ParamSlackWebhook, c.ParamSlackBotToken, c.ParamSlackSigning, c.ParamWebhookSecret, c.ParamWebhookURL, c.ParamSSOClientSecret, c.ParamTeamsWebhookURL, c.ParamEscalationWebhooks} {
		if n != "" {
			names = append(names, n)
		}
	}
	out, err := b.SSM.GetParameters(ctx, &ssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("reading SSM parameters %s: %w", strings.Join(names, ", "), err)
	}
	if len(out.InvalidParameters) > 0 {
		return nil, fmt.Errorf("SSM parameters not found: %s", strings.Join(out.InvalidParameters, ", "))
	}
	values := map[string]string{}
	for _, p := range out.Parameters {
		values[aws.ToString(p.Name)] = aws.ToString(p.Value)
	}
	for _, n := range names {
		if _, ok := values[n]; !ok {
			return nil, fmt.Errorf("SSM parameter %s missing from GetParameters answer", n)
		}
	}
	s := &Secrets{
		SigningKey:         []byte(values[c.ParamSigningKey]),
		SlackWebhookURL:    values[c.ParamSlackWebhook],
		SlackBotToken:      values[c.ParamSlackBotToken],
		SlackSigningSecret: []byte(values[c.ParamSlackSigning]),
		WebhookSecret:      []byte(values[c.ParamWebhookSecret]),
		WebhookURL:         values[c.ParamWebhookURL],
		SSOClientSecret:    values[c.ParamSSOClientSecret],
		TeamsWebhookURL:    values[c.ParamTeamsWebhookURL],
	}
	if c.ParamEscalationWebhooks != "" {
		if err := json.Unmarshal([]byte(values[c.ParamEscalationWebhooks]), &s.EscalationWebhooks); err != nil {
			return nil, fmt.Errorf("SSM parameter %s is not a JSON array of strings", c.ParamEscalationWebhooks)
		}
	}
	if len(s.SigningKey) < approval.MinSigningKeyBytes {
		return nil, fmt.Errorf("SSM parameter %s: signing key shorter than %d bytes", c.ParamSigningKey, approval.MinSigningKeyBytes)
	}
	if c.ParamConfig != "" {
		doc, err := approval.ParseConfigDoc(values[c.ParamConfig])
		if err != nil {
			return nil, fmt.Errorf("SSM parameter %s: %w", c.ParamConfig, err)
		}
		// Written once, under the lock, before any reader: every entry
		// point calls ready (or loadSecrets) before reading these fields.
		doc.Apply(&b.Config)
	}
	b.cache.secrets = s
	return s, nil
}

// ready reads the gate's configuration document, when it keeps one, so that
// b.Config holds its approvers, approver groups, allowed state machines and
// inputs. Every entry point calls it before anything reads those fields. The
// document comes in the same cold-start ssm:GetParameters call as the secrets.
func (b *Base) ready(ctx context.Context) error {
	if b.Config.ParamConfig == "" {
		return nil
	}
	_, err := b.loadSecrets(ctx)
	return err
}

// links returns the approve and reject links of request r.
func (b *Base) links(key []byte, r approval.Request) (approve, reject string) {
	l := approval.Link{ID: r.ID, Decision: approval.DecisionApprove, Expires: r.ExpiresAt}
	approve = l.URL(b.Config.CallbackBaseURL, key)
	l.Decision = approval.DecisionReject
	return approve, l.URL(b.Config.CallbackBaseURL, key)
}

// redact drops the URL from an *url.Error: webhook URLs are secrets.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", ue.Op, ue.Err)
	}
	return err
}
