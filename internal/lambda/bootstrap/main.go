// Command bootstrap is the one binary of a gate's two Lambda functions
// (runtime provided.al2023). MANUALAPPROVAL_ROLE chooses the handler:
// "notifier" or "callback" (which also serves the schedule's sweep); the rest of the configuration comes from the
// environment (see approval.ConfigFromEnv).
//
// The AWS configuration is built by hand from the environment Lambda sets
// (AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)
// rather than with config.LoadDefaultConfig: in a function the credentials
// always come from there, and the default chain would link SSO, SSO-OIDC,
// STS, sign-in and IMDS clients that never run, which makes the bundle
// larger and the cold start slower. AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> are honoured (a local AWS), and so is
// AWS_SDK_UA_APP_ID (the app id the SDK sends in its User-Agent: the test
// harness names each handler with it to count its calls).
package main

import (
	"errors"
	"log/slog"
	"os"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/lambda"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := approval.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	awsCfg, err := awsConfig(os.Getenv)
	if err != nil {
		log.Error("AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	base := lambda.Base{Config: cfg, SSM: ssm.NewFromConfig(awsCfg, func(o *ssm.Options) {
		o.BaseEndpoint = endpoint(os.Getenv, "SSM", o.BaseEndpoint)
	}), Log: log, AllowLoopback: os.Getenv(lambda.EnvTestAllowLoopback) == "1"}
	// The decision events (sent only when the gate's configuration has
	// events): a client costs nothing until it is used.
	base.Events = eventbridge.NewFromConfig(awsCfg, func(o *eventbridge.Options) {
		o.BaseEndpoint = endpoint(os.Getenv, "EVENTBRIDGE", o.BaseEndpoint)
	})
	db := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = endpoint(os.Getenv, "DYNAMODB", o.BaseEndpoint)
	})
	sfnClient := sfn.NewFromConfig(awsCfg, func(o *sfn.Options) {
		o.BaseEndpoint = endpoint(os.Getenv, "SFN", o.BaseEndpoint)
	})
	snsClient := sns.NewFromConfig(awsCfg, func(o *sns.Options) {
		o.BaseEndpoint = endpoint(os.Getenv, "SNS", o.BaseEndpoint)
	})
	switch cfg.Role {
	case approval.RoleNotifier:
		h := &lambda.Notifier{Base: base, DB: db, SFN: sfnClient, SNS: snsClient}
		awslambda.Start(h.Handle)
	case approval.RoleCallback:
		h := &lambda.Callback{Base: base, DB: db, SFN: sfnClient, Lambda: lambdasvc.NewFromConfig(awsCfg, func(o *lambdasvc.Options) {
			o.BaseEndpoint = endpoint(os.Getenv, "LAMBDA", o.BaseEndpoint)
		}), FunctionName: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
			// The gate names its functions <gate>-<role> (internal/gate/names.go).
			NotifierFunction: cfg.GateName + "-" + string(approval.RoleNotifier),
			SNS:              snsClient}
		// HTTP requests, the schedule's sweep and its own Slack hand-over.
		awslambda.Start(h.Invoke)
	}
}

// awsConfig is the SDK configuration of a function: region and credentials
// from the environment Lambda sets, the standard retryer, and
// AWS_ENDPOINT_URL as every client's endpoint when it is set.
func awsConfig(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, errors.New("AWS_REGION is not set")
	}
	key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		return aws.Config{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, getenv("AWS_SESSION_TOKEN")),
		Retryer:     func() aws.Retryer { return retry.NewStandard() },
		HTTPClient:  awshttp.NewBuildableClient(),
	}
	if u := getenv("AWS_ENDPOINT_URL"); u != "" {
		cfg.BaseEndpoint = aws.String(u)
	}
	cfg.AppID = getenv("AWS_SDK_UA_APP_ID")
	return cfg, nil
}

// endpoint is AWS_ENDPOINT_URL_<SERVICE> when set, else def.
func endpoint(getenv func(string) string, service string, def *string) *string {
	if u := getenv("AWS_ENDPOINT_URL_" + service); u != "" {
		return aws.String(u)
	}
	return def
}
