// Command demo is `make demo`: on the local AWS, it applies
// examples/quickstart (an approval gate wired to a local Slack), runs the
// gate's handlers, starts a state machine that waits at the gate, shows the
// local Slack inbox and the approve/reject links, and waits for a decision.
// With -decide approve|reject it decides by itself, for scripts. Ctrl-C
// stops everything it started.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

func main() {
	decide := flag.String("decide", "", `decide by itself: "approve" or "reject" (default: wait for a person)`)
	wait := flag.Duration("wait", 30*time.Minute, "how long to wait for a person")
	keep := flag.Bool("keep", false, "keep the local AWS, Slack and handlers up after the decision, until Ctrl-C: "+
		"try the links again (replay), let them expire, browse the inbox")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: demo [-decide approve|reject] [-wait 30m] [-keep]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *decide != "" && *decide != "approve" && *decide != "reject" {
		fmt.Fprintln(os.Stderr, `demo: -decide must be "approve" or "reject"`)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, *decide, *wait, *keep)
	switch {
	case err != nil && ctx.Err() != nil:
		// Ctrl-C: everything was stopped on the way out.
		fmt.Println("\n==> stopped (Ctrl-C)")
	case err != nil:
		fmt.Fprintln(os.Stderr, "\ndemo: "+err.Error())
		os.Exit(1)
	}
}

func step(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

func run(ctx context.Context, decide string, wait time.Duration, keep bool) (err error) {
	root, err := acctest.RepoRoot()
	if err != nil {
		return err
	}
	tf, err := exec.LookPath("terraform")
	if err != nil {
		if tf = filepath.Join(root, "bin", "terraform"); !fileExists(tf) {
			return errors.New("terraform is not on PATH (make demo builds one into bin/ when it is missing)")
		}
	}

	step("starting the local AWS (kumo) on %s", acctest.Addr)
	k, err := acctest.StartKumo()
	if err != nil {
		return err
	}
	defer func() { step("stopping the local AWS"); k.Stop() }()

	const signingSecret = "demo-signing-secret-0123456789abcdef"
	slack, err := acctest.StartSlack(signingSecret)
	if err != nil {
		return err
	}
	defer slack.Close()
	step("local Slack is up: inbox at %s/", slack.URL)

	// Terraform, offline: the provider built by `make build`, found through
	// dev_overrides; the example is copied so its state stays out of the tree.
	work := filepath.Join(root, ".tmp", "demo")
	_ = os.RemoveAll(work)
	if err := copyDir(filepath.Join(root, "examples", "quickstart"), work); err != nil {
		return err
	}
	rc := filepath.Join(root, ".tmp", "demo.tfrc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    "manualapproval/manualapproval" = %q
  }
  direct {}
}
disable_checkpoint = true
`, filepath.Join(root, "bin"))), 0o644); err != nil {
		return err
	}
	name := "demo-" + time.Now().UTC().Format("150405")
	tfEnv := append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"TF_VAR_name="+name, "TF_VAR_slack_webhook_url="+slack.WebhookURL(), "TF_VAR_include_execution_context=false")
	terraform := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, tf, append([]string{"-chdir=" + work}, args...)...)
		cmd.Env = tfEnv
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if err != nil {
			return nil, fmt.Errorf("terraform %s: %w\n%s", args[0], err, out.String())
		}
		return []byte(out.String()), nil
	}
	step("terraform apply examples/quickstart (gate %q)", name)
	start := time.Now()
	if _, err := terraform("apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		return err
	}
	step("applied in %s", time.Since(start).Round(time.Millisecond))
	raw, err := exec.CommandContext(ctx, tf, "-chdir="+work, "output", "-json").Output()
	if err != nil {
		return fmt.Errorf("terraform output: %w", err)
	}
	var outputs map[string]struct{ Value any }
	if err := json.Unmarshal(raw, &outputs); err != nil {
		return fmt.Errorf("terraform output: %w", err)
	}
	str := func(k string) string { s, _ := outputs[k].Value.(string); return s }
	taskState, callbackURL := str("task_state_json"), str("callback_url")
	if taskState == "" || callbackURL == "" {
		return fmt.Errorf("examples/quickstart must output task_state_json and callback_url, got %s", raw)
	}
	slack.SetCallbackURL(callbackURL)

	cfg, err := acctest.AWSConfig(ctx)
	if err != nil {
		return err
	}
	step("starting the gate's handlers (the real bootstrap binary, one process per function)")
	h, err := acctest.StartHandlers(ctx, cfg, acctest.Endpoint, name+"-notifier", name+"-callback")
	if err != nil {
		return err
	}
	defer func() { step("stopping the handlers"); h.Stop() }()

	def, err := acctest.StateMachine(taskState, nil)
	if err != nil {
		return err
	}
	sm, err := acctest.CreateStateMachine(ctx, cfg, name+"-release", def)
	if err != nil {
		return err
	}
	input := `{"requested_by":"dana","change":"deploy checkout v1.4.2 to production","ticket":"CHG-1042"}`
	execARN, err := acctest.StartExecution(ctx, cfg, sm, input)
	if err != nil {
		return err
	}
	step("started execution %s", execARN)
	step("the state machine is waiting at the gate; waiting for the Slack message")
	msgs, err := slack.WaitMessages(ctx, 1)
	if err != nil {
		return fmt.Errorf("no Slack message arrived: %w\nnotifier output:\n%s", err, h.Output(name+"-notifier"))
	}
	m := msgs[0]
	// The execution context, as a notification shows it on AWS (the local
	// AWS does not resolve $$.Execution.Id in a Task's Parameters, so the
	// demo's gate does not pass it to the notifier).
	fmt.Printf(`
  Execution:     %s
  State machine: %s
  State:         Approve (input: %s)

  Slack inbox:   %s/
  Approve:       %s
  Reject:        %s

  Open a link in a browser (*.localhost reaches this machine), or the inbox.
`, execARN, sm, input, slack.URL, m.ApproveURL, m.RejectURL)

	if decide != "" {
		link := m.ApproveURL
		if decide == "reject" {
			link = m.RejectURL
		}
		step("deciding %q by itself (as a person would: GET the confirm page, then POST it)", decide)
		if err := decideByLink(ctx, link); err != nil {
			return err
		}
	} else {
		step("waiting up to %s for a decision (Ctrl-C stops everything)", wait)
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	d, err := acctest.WaitDone(wctx, cfg, execARN)
	if err != nil {
		return err
	}
	var pretty map[string]any
	if d.Output != nil {
		_ = json.Unmarshal([]byte(*d.Output), &pretty)
	}
	step("execution %s: the state machine took the %q path", d.Status, fmt.Sprint(pretty["outcome"]))
	if pretty != nil {
		b, _ := json.MarshalIndent(pretty, "  ", "  ")
		fmt.Printf("  output: %s\n", b)
	}
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		return fmt.Errorf("the execution ended %s", d.Status)
	}
	if keep {
		fmt.Printf(`
  Still up (-keep): open the links again (a decided request says so), wait for
  them to expire, or browse the inbox at %s/. Ctrl-C stops everything.
`, slack.URL)
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// decideByLink does what a person does with a link: open the confirm page,
// then submit it with a comment.
func decideByLink(ctx context.Context, link string) error {
	c := acctest.HTTPClient()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the confirm page answered %d", resp.StatusCode)
	}
	return acctest.PostDecision(ctx, c, link, "decided by make demo", "make demo")
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// copyDir copies the regular files of a folder (not its subfolders).
func copyDir(from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return fmt.Errorf("reading %s: %w", from, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
