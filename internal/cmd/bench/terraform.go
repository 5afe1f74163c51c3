package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// tfOps are the Terraform operations measured, in the order they run.
var tfOps = []string{"create", "refresh", "update", "destroy"}

// tfRun is one operation on N gates.
type tfRun struct {
	Wall   time.Duration
	Counts map[string]int
	// AWSBusy is the time at least one AWS call was in flight (the union
	// of the calls' intervals, timed by the proxy): what kumo's answers
	// take of the wall time.
	AWSBusy time.Duration
	// OpTime is kumo's time answering each API operation, summed over its
	// calls: which answers slow down as gates accumulate.
	OpTime map[string]time.Duration
}

// opTime sums the calls' times by API operation.
func opTime(calls []acctest.Timed) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, c := range calls {
		out[c.Op] += c.Took
	}
	return out
}

// busy is the length of the union of the calls' intervals.
func busy(calls []acctest.Timed) time.Duration {
	s := slices.Clone(calls)
	slices.SortFunc(s, func(a, b acctest.Timed) int { return a.Start.Compare(b.Start) })
	var total time.Duration
	var from, to time.Time
	for _, c := range s {
		end := c.Start.Add(c.Took)
		switch {
		case to.IsZero():
			from, to = c.Start, end
		case c.Start.After(to):
			total += to.Sub(from)
			from, to = c.Start, end
		case end.After(to):
			to = end
		}
	}
	if !to.IsZero() {
		total += to.Sub(from)
	}
	return total
}

// calls is the AWS calls of the run without sts:GetCallerIdentity (once
// per provider start, not per gate).
func (r tfRun) calls() int {
	n := 0
	for op, c := range r.Counts {
		if op != "sts:GetCallerIdentity" {
			n += c
		}
	}
	return n
}

// split divides the calls (without sts:GetCallerIdentity) into reads
// (Get*, List*, Describe*) and writes.
func (r tfRun) split() (reads, writes int) {
	for op, c := range r.Counts {
		if op == "sts:GetCallerIdentity" {
			continue
		}
		if acctest.IsRead(op) {
			reads += c
		} else {
			writes += c
		}
	}
	return reads, writes
}

// tfResult is every run of every operation for one number of gates.
type tfResult struct {
	Gates int
	Runs  map[string][]tfRun // by operation
}

const tfConfig = `terraform {
  required_providers {
    manualapproval = { source = "manualapproval/manualapproval" }
  }
}

provider "manualapproval" {}

variable "prefix" { type = string }
variable "gates" { type = number }
variable "retention" { type = number }
variable "tags" { type = map(string) }
variable "webhook_url" {
  type      = string
  sensitive = true
}

resource "manualapproval_gate" "g" {
  count                     = var.gates
  name                      = "${var.prefix}-${count.index}"
  timeout_seconds           = 3600
  include_execution_context = false
  allow_self_approval       = true
  log_retention_days        = var.retention
  tags                      = var.tags
  slack                     = { webhook_url = var.webhook_url }
}
`

// terraformBench runs the terraform CLI with the provider in bin/ (found
// through dev_overrides) against the local AWS through the counting proxy.
type terraformBench struct {
	tf, dir, rc string
	env         []string
	proxy       *acctest.Proxy
	parallelism int
}

func newTerraformBench(root, tf string, proxy *acctest.Proxy, webhook string, parallelism int) (*terraformBench, error) {
	dir := filepath.Join(root, ".tmp", "bench", "tf")
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(tfConfig), 0o644); err != nil {
		return nil, err
	}
	rc := filepath.Join(root, ".tmp", "bench", "terraformrc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf("disable_checkpoint = true\nprovider_installation {\n  dev_overrides {\n    \"manualapproval/manualapproval\" = %q\n  }\n  direct {}\n}\n", filepath.Join(root, "bin"))), 0o644); err != nil {
		return nil, err
	}
	env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"AWS_ENDPOINT_URL="+proxy.URL, "TF_VAR_webhook_url="+webhook)
	return &terraformBench{tf: tf, dir: dir, rc: rc, env: env, proxy: proxy, parallelism: parallelism}, nil
}

func (t *terraformBench) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, t.tf, append([]string{"-chdir=" + t.dir}, args...)...)
	cmd.Env = t.env
	// On Ctrl-C, let terraform stop its provider and save its state.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// cycle creates n gates, refreshes them (a plan that must find no change),
// updates log_retention_days and tags of all, and destroys them.
func (t *terraformBench) cycle(ctx context.Context, n int, prefix string) (map[string]tfRun, error) {
	vars := func(retention int, tags string) []string {
		return []string{"-input=false", "-no-color", fmt.Sprintf("-parallelism=%d", t.parallelism),
			"-var=prefix=" + prefix, fmt.Sprintf("-var=gates=%d", n), fmt.Sprintf("-var=retention=%d", retention), "-var=tags=" + tags}
	}
	initial, updated := vars(30, `{bench="initial"}`), vars(60, `{bench="updated",owner="perf"}`)
	steps := []struct {
		op   string
		args []string
		ok   func(error) bool
	}{
		{"create", append([]string{"apply", "-auto-approve"}, initial...), nil},
		// -detailed-exitcode: 0 no change, 2 changes (drift: a failure here).
		{"refresh", append([]string{"plan", "-detailed-exitcode"}, initial...), nil},
		{"update", append([]string{"apply", "-auto-approve"}, updated...), nil},
		{"destroy", append([]string{"destroy", "-auto-approve"}, updated...), nil},
	}
	out := map[string]tfRun{}
	defer t.proxy.Record(false)
	for _, s := range steps {
		t.proxy.Reset()
		t.proxy.Record(true)
		start := time.Now()
		log, err := t.run(ctx, s.args...)
		wall := time.Since(start)
		if err != nil {
			if s.op != "destroy" {
				_, _ = t.run(context.WithoutCancel(ctx), append([]string{"destroy", "-auto-approve"}, updated...)...)
			}
			return nil, fmt.Errorf("terraform %s of %d gate(s): %w\n%s", s.op, n, err, tail(log, 4000))
		}
		timed := t.proxy.Timings()
		out[s.op] = tfRun{Wall: wall, Counts: t.proxy.Counts(), AWSBusy: busy(timed), OpTime: opTime(timed)}
	}
	return out, nil
}

func (t *terraformBench) version(ctx context.Context) string {
	out, err := t.run(ctx, "version")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
}
