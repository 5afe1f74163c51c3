package awsacc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// awsConfig is the runner's AWS configuration, and the gate environment it
// names (partition, region, account from STS).
func awsConfig(ctx context.Context) (aws.Config, gate.Env, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, gate.Env{}, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, gate.Env{}, errors.New("no AWS region: set AWS_REGION")
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return aws.Config{}, gate.Env{}, fmt.Errorf("checking the AWS credentials (sts:GetCallerIdentity): %w", err)
	}
	partition := strings.SplitN(aws.ToString(id.Arn), ":", 3)[1]
	return cfg, gate.Env{Partition: partition, Region: cfg.Region, AccountID: aws.ToString(id.Account)}, nil
}

// sweep removes every gate and test state machine whose name starts with
// NamePrefix: what an interrupted run (a killed process, a lost network)
// left behind. Gates are found by any part that names them (the function,
// the table, the schedule rule), so a half-deleted gate is found too, and
// removed with the gate's own Delete.
func sweep(ctx context.Context) error {
	cfg, env, err := awsConfig(ctx)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	fns := lambda.NewListFunctionsPaginator(lambda.NewFromConfig(cfg), &lambda.ListFunctionsInput{})
	for fns.HasMorePages() {
		page, err := fns.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing functions: %w", err)
		}
		for _, f := range page.Functions {
			n := aws.ToString(f.FunctionName)
			for _, suffix := range []string{"-notifier", "-callback"} {
				if g, ok := strings.CutSuffix(n, suffix); ok && strings.HasPrefix(n, NamePrefix) {
					names[g] = true
				}
			}
		}
	}
	tables := dynamodb.NewListTablesPaginator(dynamodb.NewFromConfig(cfg), &dynamodb.ListTablesInput{})
	for tables.HasMorePages() {
		page, err := tables.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing tables: %w", err)
		}
		for _, t := range page.TableNames {
			if g, ok := strings.CutSuffix(t, "-requests"); ok && strings.HasPrefix(t, NamePrefix) {
				names[g] = true
			}
		}
	}
	rules, err := eventbridge.NewFromConfig(cfg).ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String(NamePrefix)})
	if err != nil {
		return fmt.Errorf("listing rules: %w", err)
	}
	for _, r := range rules.Rules {
		for _, suffix := range []string{"-sweep", "-stopped"} {
			if g, ok := strings.CutSuffix(aws.ToString(r.Name), suffix); ok {
				names[g] = true
			}
		}
	}
	m := gate.NewFromConfig(cfg, env)
	var errs []error
	for g := range names {
		if err := m.Delete(ctx, g); err != nil {
			errs = append(errs, fmt.Errorf("deleting gate %s: %w", g, err))
		}
	}
	// The tests' state machines and their roles.
	sc := sfn.NewFromConfig(cfg)
	sms := sfn.NewListStateMachinesPaginator(sc, &sfn.ListStateMachinesInput{})
	for sms.HasMorePages() {
		page, err := sms.NextPage(ctx)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("listing state machines: %w", err))...)
		}
		for _, s := range page.StateMachines {
			if strings.HasPrefix(aws.ToString(s.Name), NamePrefix) {
				if _, err := sc.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: s.StateMachineArn}); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	ic := iam.NewFromConfig(cfg)
	roles := iam.NewListRolesPaginator(ic, &iam.ListRolesInput{PathPrefix: aws.String(testRolePath)})
	for roles.HasMorePages() {
		page, err := roles.NextPage(ctx)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("listing roles: %w", err))...)
		}
		for _, r := range page.Roles {
			if strings.HasPrefix(aws.ToString(r.RoleName), NamePrefix) {
				if err := deleteRole(ctx, ic, aws.ToString(r.RoleName)); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// testRolePath is the IAM path of the tests' state machine roles.
const testRolePath = "/manualapproval-testacc/"

func deleteRole(ctx context.Context, ic *iam.Client, name string) error {
	pols, err := ic.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("listing the policies of role %s: %w", name, err)
	}
	for _, p := range pols.PolicyNames {
		if _, err := ic.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)}); err != nil {
			return fmt.Errorf("deleting policy %s of role %s: %w", p, name, err)
		}
	}
	if _, err := ic.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil {
		return fmt.Errorf("deleting role %s: %w", name, err)
	}
	return nil
}
