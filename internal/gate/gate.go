package gate

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
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
	Events   *eventbridge.Client
}

// Env is where the gate lives.
type Env struct {
	Partition string // "aws", "aws-us-gov", "aws-cn"
	Region    string
	AccountID string
	// APIGatewayEndpoint is the custom apigatewayv2 endpoint the provider was
	// configured with ("" for AWS). With a loopback endpoint (a local AWS) the
	// callback URL is http://<apiId>.execute-api.localhost:<port>; any other
	// custom endpoint (VPC endpoint, FIPS, proxy) is AWS under another name,
	// and the callback URL is the API's ApiEndpoint.
	APIGatewayEndpoint string
	// IgnoreTags are tags the gate neither reports as drift nor removes
	// (the provider's ignore_tags).
	IgnoreTags IgnoreTags
}

// Manager creates, reads, updates and deletes gates.
type Manager struct {
	c   Clients
	env Env
}

// New returns a Manager over the given clients.
func New(c Clients, env Env) *Manager { return &Manager{c: c, env: env} }

// NewFromConfig builds the clients once from cfg. Per-service endpoint
// overrides come with cfg (ServiceOptions, or AWS_ENDPOINT_URL_<SERVICE>).
func NewFromConfig(cfg aws.Config, env Env) *Manager {
	return New(Clients{
		IAM:      iam.NewFromConfig(cfg),
		Lambda:   lambda.NewFromConfig(cfg),
		APIGW:    apigatewayv2.NewFromConfig(cfg),
		SNS:      sns.NewFromConfig(cfg),
		DynamoDB: dynamodb.NewFromConfig(cfg),
		SSM:      ssm.NewFromConfig(cfg),
		Logs:     cloudwatchlogs.NewFromConfig(cfg),
		Events:   eventbridge.NewFromConfig(cfg),
	}, env)
}
