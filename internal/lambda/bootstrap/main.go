// Command bootstrap is the one binary of a gate's two Lambda functions
// (runtime provided.al2023). MANUALAPPROVAL_ROLE chooses the handler:
// "notifier" or "callback"; the rest of the configuration comes from the
// environment (see approval.ConfigFromEnv).
package main

import (
	"context"
	"log/slog"
	"os"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	base := lambda.Base{Config: cfg, SSM: ssm.NewFromConfig(awsCfg), Log: log}
	db := dynamodb.NewFromConfig(awsCfg)
	switch cfg.Role {
	case approval.RoleNotifier:
		h := &lambda.Notifier{Base: base, DB: db, SNS: sns.NewFromConfig(awsCfg)}
		awslambda.Start(h.Handle)
	case approval.RoleCallback:
		h := &lambda.Callback{Base: base, DB: db, SFN: sfn.NewFromConfig(awsCfg)}
		awslambda.Start(h.Handle)
	}
}
