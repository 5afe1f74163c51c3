// Command local runs your own gate end to end on this machine: the local AWS
// (kumo, behind the proxy that repairs where it differs from AWS), the local
// Slack, and the handlers of every gate you apply against them, until
// Ctrl-C. It prints the environment to use in another shell:
//
//	make local                      # or: go run ./internal/cmd/local
//	# in another shell, with the printed exports:
//	terraform -chdir=my-config apply
//
// Kumo runs no Lambda code: this command watches for the functions of each
// applied gate (<name>-notifier and <name>-callback) and starts the real
// bootstrap binary for each, with the function's environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

const usage = `usage: local [-slack-addr 127.0.0.1:3000] [-teams-addr 127.0.0.1:3001] [-signing-secret S] [-poll 2s]

Starts the local AWS on 127.0.0.1:4566, a local Slack, a local Teams and, for every gate
applied against them, the gate's handlers; stops everything on Ctrl-C.
`

func main() {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage); fs.PrintDefaults() }
	slackAddr := fs.String("slack-addr", "127.0.0.1:3000", "address of the local Slack")
	teamsAddr := fs.String("teams-addr", "127.0.0.1:3001", "address of the local Teams")
	secret := fs.String("signing-secret", "local-signing-secret-0123456789abcdef", "signing secret of the local Slack app (slack.signing_secret_wo of an app gate)")
	poll := fs.Duration("poll", 2*time.Second, "how often to look for newly applied gates")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *slackAddr, *teamsAddr, *secret, *poll); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, slackAddr, teamsAddr, secret string, poll time.Duration) error {
	l, err := acctest.Start()
	if err != nil {
		return err
	}
	defer func() { fmt.Println("==> stopping the local AWS"); l.Stop() }()
	slack, err := acctest.StartSlackOn(slackAddr, secret)
	if err != nil {
		return err
	}
	defer slack.Close()
	teams, err := acctest.NewTeamsOn(teamsAddr)
	if err != nil {
		return err
	}
	defer teams.Close()

	fmt.Printf(`==> the local AWS is up on %[1]s, the local Slack on %[2]s/ (its inbox), the local Teams on %[10]s/ (its inbox)

In another shell:

  export AWS_ENDPOINT_URL=%[1]s AWS_REGION=%[3]s AWS_ACCESS_KEY_ID=%[4]s AWS_SECRET_ACCESS_KEY=%[5]s
  export TF_CLI_CONFIG_FILE=%[6]s

then apply a configuration with a gate (provider "manualapproval" {} is enough:
the variables point it at the local AWS; no terraform init). Slack for a gate:
  slack = { webhook_url_wo = %[7]q, webhook_url_wo_version = 1 }
or the app wiring: api_base_url = %[8]q, bot_token_wo = "xoxb-local",
channel = "C0LOCAL", signing_secret_wo = %[9]q (with their *_wo_version).
Microsoft Teams for a gate:
  teams = { webhook_url_wo = %[11]q, webhook_url_wo_version = 1 }
The handlers of each gate start here as soon as it is applied. Ctrl-C stops everything.

`, l.Endpoint(), slackAddr, acctest.Region, acctest.AccessKey, acctest.SecretKey, os.Getenv("TF_CLI_CONFIG_FILE"),
		slack.WebhookURL(), slack.APIBaseURL(), secret, teams.URL, teams.WebhookURL())

	cfg, err := acctest.AWSConfig(ctx)
	if err != nil {
		return err
	}
	lc := lambda.NewFromConfig(cfg)
	running := map[string]*acctest.Handlers{}
	defer func() {
		for name, h := range running {
			fmt.Printf("==> stopping the handlers of %s\n", name)
			h.Stop()
		}
	}()
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		gates, err := appliedGates(ctx, lc)
		if err != nil && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "local: listing functions:", err)
		}
		for _, name := range gates {
			if running[name] != nil {
				continue
			}
			h, err := acctest.StartHandlers(ctx, cfg, l.Endpoint(), name+"-notifier", name+"-callback")
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				fmt.Fprintf(os.Stderr, "local: starting the handlers of %s: %v\n", name, err)
				continue
			}
			running[name] = h
			fmt.Printf("==> gate %s: its handlers are running\n", name)
		}
		for name, h := range running {
			if !contains(gates, name) {
				fmt.Printf("==> gate %s is gone: stopping its handlers\n", name)
				h.Stop()
				delete(running, name)
			}
		}
		select {
		case <-ctx.Done():
			fmt.Println()
			return nil
		case <-t.C:
		}
	}
}

// appliedGates lists the gates whose two functions exist.
func appliedGates(ctx context.Context, lc *lambda.Client) ([]string, error) {
	fns := map[string]bool{}
	p := lambda.NewListFunctionsPaginator(lc, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range out.Functions {
			fns[aws.ToString(f.FunctionName)] = true
		}
	}
	var gates []string
	for fn := range fns {
		if name, ok := strings.CutSuffix(fn, "-notifier"); ok && fns[name+"-callback"] {
			gates = append(gates, name)
		}
	}
	sort.Strings(gates)
	return gates, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
