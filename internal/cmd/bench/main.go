// Command bench is `make bench`: it measures the gate on the local AWS
// (kumo, started with the test harness) and writes BENCHMARKS.md and a plot.
//
//  1. the approval path through one gate: StartExecution → the local Slack
//     records the message, and POST decision → the execution resumes;
//  2. the terraform CLI creating, refreshing, updating and destroying 1, 10
//     and 50 gates, with the AWS calls the provider makes (counted by the
//     harness's proxy);
//  3. a naive sequential create of one gate against gate.Manager.Create;
//  4. the Lambda bundle's size, the handler's cold start and its peak RSS;
//  5. 1,000 pending approvals decided by 50 concurrent clients (BENCH_SCALE=full:
//     10,000 by 100, and 200 gates through terraform);
//  6. single sign-on in front of links: the IdP round trips of a sign-in,
//     its latency, and a decision with the session;
//  7. the AWS calls of each handler invocation, cold and warm, where the time
//     of a decision goes, and the cost model (cost.go, prices.go): what one
//     approval and an idle month of a gate cost at AWS list prices;
//  8. the sweep over 10 and 1,000 pending requests on one gate, 5 % of them
//     due a reminder (BENCH_SCALE=full: and 10,000): its calls, time and
//     the reminders' lateness (sweepscale.go).
//
// Every process it starts is stopped by its pid; every name is unique.
package main

import (
	"context"
	"crypto/rand"
	"debug/buildinfo"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

type options struct {
	scale                                                string
	executions, loadN, clients, coldStarts, baselineRuns int
	sweeps                                               int
	sweepPending                                         []int
	sweepRounds                                          int
	ssoDecisions, slackDecisions                         int
	gates                                                []int
	tfRuns                                               map[int]int
	parallelism                                          int
	poll                                                 time.Duration
	out, plot                                            string
	note                                                 string
	skip                                                 map[string]bool
}

func main() {
	var o options
	var gates, tfRuns, skip, sweepPending string
	// BENCH_SCALE=full is issue 13's scale: 10,000 pending approvals decided
	// by 100 clients, and 200 gates; the default run stays within 10 minutes.
	o.scale = os.Getenv("BENCH_SCALE")
	loadN, clients, gatesDef, runsDef := 1000, 50, "1,10,50", "1:5,10:3,50:3"
	pendingDef, roundsDef := "10,1000", 3
	switch o.scale {
	case "", "default":
		o.scale = "default"
	case "full":
		loadN, clients, gatesDef, runsDef = 10000, 100, "1,10,50,200", "1:5,10:3,50:3,200:1"
		pendingDef = "10,1000,10000"
	case "small":
		loadN, clients, gatesDef, runsDef = 200, 20, "1,10", "1:2,10:1"
		roundsDef = 2
	default:
		fatal(fmt.Errorf("BENCH_SCALE=%q: want full, small or nothing", o.scale))
	}
	flag.IntVar(&o.executions, "executions", 200, "executions through one gate, one at a time (approval path; at least 2: the first is cold)")
	flag.IntVar(&o.loadN, "load", loadN, "pending approvals decided at once (load; BENCH_SCALE=full: 10000)")
	flag.IntVar(&o.clients, "clients", clients, "concurrent clients deciding them (BENCH_SCALE=full: 100)")
	flag.IntVar(&o.sweeps, "sweeps", 20, "runs of the sweep on the idle gate (cost of the schedule)")
	flag.StringVar(&sweepPending, "sweep-pending", pendingDef, "numbers of pending requests on one gate the sweep runs over, 5 % of them due (BENCH_SCALE=full adds 10000)")
	flag.IntVar(&o.sweepRounds, "sweep-rounds", roundsDef, "sweeps at each number of pending requests")
	flag.IntVar(&o.ssoDecisions, "sso-decisions", 100, "decisions through a gate with single sign-on, each signing in anew")
	flag.IntVar(&o.slackDecisions, "slack-decisions", 50, "decisions through a gate with the Slack app (click → chat.update), at least 2")
	flag.IntVar(&o.coldStarts, "cold-starts", 25, "handler cold starts measured")
	flag.IntVar(&o.baselineRuns, "baseline-runs", 9, "creates of one gate, naive and Manager.Create each")
	flag.StringVar(&gates, "gates", gatesDef, "numbers of gates terraform creates, refreshes, updates and destroys (BENCH_SCALE=full adds 200)")
	flag.StringVar(&tfRuns, "tf-runs", runsDef, "runs per number of gates (gates:runs,...); others run once")
	flag.IntVar(&o.parallelism, "parallelism", 10, "terraform -parallelism")
	flag.DurationVar(&o.poll, "poll", time.Millisecond, "DescribeExecution poll interval after a decision")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "the report to write")
	flag.StringVar(&o.plot, "plot", "BENCHMARKS.png", "the plot to write (PNG)")
	flag.StringVar(&o.note, "note", "", "what else the machine was doing, for the report (e.g. \"two other test suites running\")")
	flag.StringVar(&skip, "skip", "", "sections to skip: lambda,baseline,approval,load,sweepscale,slackapp,sso,terraform")
	flag.Parse()
	if o.executions < 2 || o.slackDecisions < 2 {
		fatal(errors.New("-executions and -slack-decisions: at least 2 (the first runs cold)"))
	}
	var err error
	if o.gates, err = parseInts(gates); err != nil {
		fatal(fmt.Errorf("-gates: %w", err))
	}
	if o.sweepPending, err = parseInts(sweepPending); err != nil {
		fatal(fmt.Errorf("-sweep-pending: %w", err))
	}
	if o.sweepRounds < 1 {
		fatal(errors.New("-sweep-rounds: at least 1"))
	}
	if o.tfRuns, err = parseRuns(tfRuns); err != nil {
		fatal(fmt.Errorf("-tf-runs: %w", err))
	}
	o.skip = map[string]bool{}
	for _, s := range strings.Split(skip, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.skip[s] = true
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func step(format string, args ...any) {
	fmt.Printf("%s ==> %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, o options) error {
	root, err := acctest.RepoRoot()
	if err != nil {
		return err
	}
	if err := os.Chdir(root); err != nil {
		return err
	}
	res := &results{Command: commandLine(), Started: time.Now(), Machine: machineFacts(root), Opts: o}
	defer func() { res.Machine.LoadEnd = loadAvg() }()

	if !o.skip["lambda"] {
		step("Lambda bundle sizes and handler cold start (%d starts)", o.coldStarts)
		lr := &lambdaResult{}
		if lr.ZipBytes, err = zipSizes(); err != nil {
			return err
		}
		bin, err := acctest.BootstrapBinary()
		if err != nil {
			return err
		}
		if lr.ColdStarts, err = coldStart(ctx, bin, o.coldStarts); err != nil {
			return fmt.Errorf("cold start: %w", err)
		}
		res.Lambda = lr
	}

	step("starting the local AWS (kumo on %s) and the counting proxy", acctest.Addr)
	local, err := acctest.Start()
	if err != nil {
		return err
	}
	defer func() { step("stopping the local AWS"); local.Stop() }()
	slack, err := acctest.StartSlack("bench-signing-secret-0123456789")
	if err != nil {
		return err
	}
	defer slack.Close()

	cfg, err := config.LoadDefaultConfig(ctx) // through the proxy (AWS_ENDPOINT_URL)
	if err != nil {
		return err
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return err
	}
	env := gate.Env{Partition: "aws", Region: cfg.Region, AccountID: aws.ToString(id.Account), APIGatewayEndpoint: acctest.Endpoint}
	mgr := gate.NewFromConfig(cfg, env)
	nonce := randomName(6)

	if !o.skip["baseline"] {
		step("baseline: one gate created naively (every call in sequence) vs Manager.Create, %d runs each", o.baselineRuns)
		if res.Baseline, err = runBaseline(ctx, cfg, env, mgr, local.Proxy, slack.WebhookURL(), nonce, o.baselineRuns); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
	}

	// terraform before the approval load: the load leaves 10,000
	// executions in the local AWS, whose answers to the gates' calls then
	// slow down (measured: create at 200 gates, kumo's time per gate
	// 0.09 → 0.16 s after the load, 0.10 → 0.13 s without it).
	if !o.skip["terraform"] {
		tf, err := exec.LookPath("terraform")
		if err != nil {
			if tf = filepath.Join(root, "bin", "terraform"); !exists(tf) {
				return errors.New("terraform is not on PATH")
			}
		}
		if !exists(filepath.Join(root, "bin", "terraform-provider-manualapproval")) {
			return errors.New("the provider is not built: run `make build` (make bench does)")
		}
		tb, err := newTerraformBench(root, tf, local.Proxy, slack.WebhookURL(), o.parallelism)
		if err != nil {
			return err
		}
		res.Machine.Terraform = tb.version(ctx)
		for _, n := range o.gates {
			r := tfResult{Gates: n, Runs: map[string][]tfRun{}}
			runs := max(1, o.tfRuns[n])
			for k := range runs {
				prefix := fmt.Sprintf("b%s%d%d", nonce, n, k)
				step("terraform: %d gate(s), run %d/%d (create, refresh, update, destroy; -parallelism=%d)", n, k+1, runs, o.parallelism)
				c, err := tb.cycle(ctx, n, prefix)
				if err != nil {
					return err
				}
				for _, op := range tfOps {
					r.Runs[op] = append(r.Runs[op], c[op])
				}
				g := c["refresh"].calls()
				step("  create %s, refresh %s (%d calls), update %s, destroy %s", secs(c["create"].Wall), secs(c["refresh"].Wall), g, secs(c["update"].Wall), secs(c["destroy"].Wall))
			}
			res.Terraform = append(res.Terraform, r)
		}
	}

	if !o.skip["approval"] || !o.skip["load"] {
		if err := runApproval(ctx, o, res, cfg, mgr, local, slack, nonce); err != nil {
			return err
		}
	}

	if !o.skip["sweepscale"] {
		if res.SweepScale, err = runSweepScale(ctx, o, cfg, mgr, local, nonce); err != nil {
			return fmt.Errorf("sweep at scale: %w", err)
		}
	}

	if !o.skip["slackapp"] {
		if res.SlackApp, err = runSlackApp(ctx, o, cfg, mgr, local, slack, nonce); err != nil {
			return fmt.Errorf("slack app: %w", err)
		}
	}

	if !o.skip["sso"] {
		if res.SSO, err = runSSO(ctx, o, cfg, mgr, local, slack, nonce); err != nil {
			return fmt.Errorf("single sign-on: %w", err)
		}
	}

	res.Took = time.Since(res.Started)
	res.Machine.LoadEnd = loadAvg()
	fmt.Println()
	fmt.Print(res.table())
	if err := os.MkdirAll(filepath.Dir(o.plot), 0o755); err != nil && filepath.Dir(o.plot) != "." {
		return err
	}
	f, err := os.Create(o.plot)
	if err != nil {
		return err
	}
	if err := plotPNG(f, res.charts(), 520, 420); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(o.out, []byte(res.markdown(o.plot)), 0o644); err != nil {
		return err
	}
	step("wrote %s and %s in %s", o.out, o.plot, secs(res.Took))
	return nil
}

func runBaseline(ctx context.Context, cfg aws.Config, env gate.Env, mgr *gate.Manager, proxy *acctest.Proxy, hook, nonce string, runs int) (*baselineResult, error) {
	r := &baselineResult{}
	for i := range runs {
		// Alternate, so drift of the machine hits both alike.
		name := fmt.Sprintf("bn%s%d", nonce, i)
		proxy.Reset()
		t0 := time.Now()
		err := naive{cfg: cfg, env: env, name: name, hook: hook, tags: map[string]string{"manualapproval:gate": name}}.create(ctx)
		d := time.Since(t0)
		r.NaiveCalls = proxy.Total()
		if derr := mgr.Delete(context.WithoutCancel(ctx), name); derr != nil && err == nil {
			err = derr
		}
		if err != nil {
			return nil, fmt.Errorf("naive create: %w", err)
		}
		r.Naive = append(r.Naive, d)

		name = fmt.Sprintf("bm%s%d", nonce, i)
		proxy.Reset()
		t0 = time.Now()
		_, err = mgr.Create(ctx, benchSpec(name, hook))
		d = time.Since(t0)
		r.ManagerCalls = proxy.Total()
		if derr := mgr.Delete(context.WithoutCancel(ctx), name); derr != nil && err == nil {
			err = derr
		}
		if err != nil {
			return nil, fmt.Errorf("Manager.Create: %w", err)
		}
		r.Manager = append(r.Manager, d)
	}
	return r, nil
}

// benchSpec is the gate every section uses: Slack incoming webhook, no
// execution context in messages, the provider's defaults otherwise, but
// allow_self_approval = true: links without single sign-on prove no
// identity, so with the ban on (the default) the provider refuses the
// configuration and an anonymous link never approves.
func benchSpec(name, hook string) gate.Spec {
	return gate.Spec{
		Name: name, TimeoutSeconds: 3600, MinApprovals: 1, RequesterPath: approval.DefaultRequesterPath, AllowSelfApproval: true,
		Slack:            &gate.SlackSpec{Format: approval.SlackFormatBlocks, WebhookURL: hook},
		LogRetentionDays: 30, Architecture: "arm64", MemoryMB: 128,
	}
}

// benchGate is one gate under measure: created, its handlers running, and
// a state machine waiting at it.
type benchGate struct {
	st gate.Status
	h  *acctest.Handlers
	// direct is for the harness's own calls (start, poll), straight to
	// kumo; the handlers' go through the counting proxy.
	direct aws.Config
	sm     string // the state machine's ARN
	sfn    *sfn.Client
}

// startBenchGate creates the gate of spec, starts its handlers and a state
// machine that waits at it; stop stops the handlers and deletes the gate
// (what names it in a failed deletion's message).
func startBenchGate(ctx context.Context, cfg aws.Config, mgr *gate.Manager, local *acctest.Local, spec gate.Spec, what string) (*benchGate, func(), error) {
	name := spec.Name
	st, err := mgr.Create(ctx, spec)
	if err != nil {
		return nil, nil, err
	}
	del := func() {
		if err := mgr.Delete(context.WithoutCancel(ctx), name); err != nil {
			fmt.Fprintf(os.Stderr, "bench: deleting %s: %v\n", what, err)
		}
	}
	h, err := acctest.StartHandlers(ctx, cfg, local.Endpoint(), name+"-notifier", name+"-callback")
	if err != nil {
		del()
		return nil, nil, err
	}
	stop := func() { h.Stop(); del() }
	direct := cfg.Copy()
	direct.BaseEndpoint = aws.String(acctest.Endpoint)
	def, err := acctest.StateMachine(st.TaskStateJSON, nil)
	if err == nil {
		var sm string
		if sm, err = acctest.CreateStateMachine(ctx, direct, name+"-sm", def); err == nil {
			return &benchGate{st: st, h: h, direct: direct, sm: sm, sfn: sfn.NewFromConfig(direct)}, stop, nil
		}
	}
	stop()
	return nil, nil, err
}

func runApproval(ctx context.Context, o options, res *results, cfg aws.Config, mgr *gate.Manager, local *acctest.Local, slack *acctest.Slack, nonce string) error {
	name := "ba" + nonce
	step("approval path: creating gate %s (Slack webhook to the local Slack, include_execution_context = false)", name)
	g, stop, err := startBenchGate(ctx, cfg, mgr, local, benchSpec(name, slack.WebhookURL()), "the gate")
	if err != nil {
		return err
	}
	defer stop()
	st, h, direct, sm := g.st, g.h, g.direct, g.sm
	b := &approvalBench{cfg: direct, sfn: g.sfn, slack: slack, sm: sm, nonce: nonce, http: acctest.HTTPClient(),
		proxy: local.Proxy, handler: h, cbFn: name + "-callback", table: st.TableName}
	b.http.Timeout = time.Minute
	progress := func(s string) { step("  %s", s) }
	if !o.skip["approval"] {
		step("approval path: %d executions, one at a time (poll every %s)", o.executions, o.poll)
		if res.Approval, err = b.sequential(ctx, o.executions, o.poll, progress); err != nil {
			return fmt.Errorf("approval path: %w\ncallback output (tail):\n%s", err, tail(h.Output(name+"-callback"), 2000))
		}
		step("idle: %d runs of the sweep with nothing due", o.sweeps)
		if res.Sweep, err = b.sweeps(ctx, name, o.sweeps); err != nil {
			return fmt.Errorf("sweep: %w\ncallback output (tail):\n%s", err, tail(h.Output(name+"-callback"), 2000))
		}
	}
	if !o.skip["load"] {
		step("load: %d executions started at once, decided by %d concurrent clients", o.loadN, o.clients)
		// Bounded in time as in count: a load that cannot finish in this
		// time is a failure, not a figure.
		lctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		if res.Load, err = b.load(lctx, o.loadN, o.clients, 50, progress); err != nil {
			return fmt.Errorf("load: %w\ncallback output (tail):\n%s", err, tail(h.Output(name+"-callback"), 2000))
		}
	}
	return nil
}

// loadTimeout bounds the load section (10,000 approvals take minutes on a
// loaded 2-core machine).
const loadTimeout = 20 * time.Minute

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func randomName(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

func commandLine() string {
	args := append([]string{"bench"}, os.Args[1:]...)
	if s := os.Getenv("BENCH_SCALE"); s != "" {
		args = append([]string{"BENCH_SCALE=" + s}, args...)
	}
	return strings.Join(args, " ")
}

// machine is what the figures were measured on.
type machine struct {
	NProc              int
	CPU, OS, GoVersion string
	Kumo, Terraform    string
	LoadStart, LoadEnd string
	MemTotal           string
}

func machineFacts(root string) machine {
	m := machine{NProc: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, LoadStart: loadAvg(), Kumo: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if l, _, ok := strings.Cut(string(b), "\n"); ok {
			m.MemTotal = strings.Join(strings.Fields(strings.TrimPrefix(l, "MemTotal:")), " ")
		}
	}
	if bin, err := acctest.KumoBinary(); err == nil {
		if bi, err := buildinfo.ReadFile(bin); err == nil {
			m.Kumo = "github.com/sivchari/kumo " + bi.Main.Version
			for _, d := range bi.Deps {
				if d.Path == "github.com/sivchari/kumo" {
					m.Kumo = d.Path + " " + d.Version
				}
			}
		}
	}
	_ = root
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("no numbers")
	}
	return out, nil
}

func parseRuns(s string) (map[int]int, error) {
	out := map[int]int{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, ":")
		g, err1 := strconv.Atoi(k)
		r, err2 := strconv.Atoi(v)
		if !ok || err1 != nil || err2 != nil || g < 1 || r < 1 {
			return nil, fmt.Errorf("%q is not gates:runs", f)
		}
		out[g] = r
	}
	return out, nil
}
