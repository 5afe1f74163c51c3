package gate

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Clients are the AWS service clients a gate needs, built once per provider.
type Clients struct {
	IAM      *iam.Client
	Lambda   *lambda.Client
	APIGW    *apigatewayv2.Client
	SNS      *sns.Client
	DynamoDB *dynamodb.Client
	SSM      *ssm.Client
	Logs     *cloudwatchlogs.Client
}

// Env is where the gate lives.
type Env struct {
	Partition string // "aws", "aws-us-gov", "aws-cn"
	Region    string
	AccountID string
	// APIGatewayEndpoint is the custom apigatewayv2 endpoint the provider was
	// configured with ("" for AWS). With a custom endpoint (a local AWS) the
	// callback URL is http://<apiId>.execute-api.<host>:<port>.
	APIGatewayEndpoint string
}

// Manager creates, reads, updates and deletes gates.
type Manager struct {
	c   Clients
	env Env
}

// New returns a Manager over the given clients.
func New(c Clients, env Env) *Manager { return &Manager{c: c, env: env} }

// NewFromConfig builds the clients once from cfg. Per-service endpoint
// overrides are already in cfg (BaseEndpoint or AWS_ENDPOINT_URL_<SERVICE>).
func NewFromConfig(cfg aws.Config, env Env, optFns ...func(*Options)) *Manager {
	var o Options
	for _, f := range optFns {
		f(&o)
	}
	ep := func(service string) *string {
		if u := o.Endpoints[service]; u != "" {
			return aws.String(u)
		}
		return nil
	}
	return New(Clients{
		IAM:      iam.NewFromConfig(cfg, func(c *iam.Options) { c.BaseEndpoint = or(ep("iam"), c.BaseEndpoint) }),
		Lambda:   lambda.NewFromConfig(cfg, func(c *lambda.Options) { c.BaseEndpoint = or(ep("lambda"), c.BaseEndpoint) }),
		APIGW:    apigatewayv2.NewFromConfig(cfg, func(c *apigatewayv2.Options) { c.BaseEndpoint = or(ep("apigatewayv2"), c.BaseEndpoint) }),
		SNS:      sns.NewFromConfig(cfg, func(c *sns.Options) { c.BaseEndpoint = or(ep("sns"), c.BaseEndpoint) }),
		DynamoDB: dynamodb.NewFromConfig(cfg, func(c *dynamodb.Options) { c.BaseEndpoint = or(ep("dynamodb"), c.BaseEndpoint) }),
		SSM:      ssm.NewFromConfig(cfg, func(c *ssm.Options) { c.BaseEndpoint = or(ep("ssm"), c.BaseEndpoint) }),
		Logs:     cloudwatchlogs.NewFromConfig(cfg, func(c *cloudwatchlogs.Options) { c.BaseEndpoint = or(ep("logs"), c.BaseEndpoint) }),
	}, env)
}

// Options tune NewFromConfig.
type Options struct {
	// Endpoints maps a service key (iam, lambda, apigatewayv2, sns, dynamodb,
	// ssm, logs) to a custom endpoint URL; it wins over the environment.
	Endpoints map[string]string
}

func or(a, b *string) *string {
	if a != nil {
		return a
	}
	return b
}
