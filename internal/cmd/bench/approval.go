package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// approvalResult is the approval path measured one execution at a time.
type approvalResult struct {
	Notify, Resume latency
	// PollRTT is the median round trip of one DescribeExecution: the
	// granularity of "resumed" (polled every PollInterval after each answer).
	PollRTT, PollInterval time.Duration
	Page, Answer          latency // confirm page GET; decision POST sent → answered

	// AWS calls of each invocation, through the proxy: the first
	// execution's (cold: the handler processes' first invocations) and the
	// next one's (warm); WarmTotal sums every warm execution's.
	ColdNotifier, ColdPage, ColdDecision map[string]int
	Notifier, PageCalls, Decision        map[string]int
	WarmTotal                            map[string]int
	WarmRuns                             int
	// Bytes of a request's item (pending, final) as kumo stored it, and
	// the length of kumo's task token in it.
	ItemBytes, FinalItemBytes, TokenBytes int
	// Handler log bytes per invocation (median).
	NotifierLog, CallbackLog float64
	// Breakdown of the median decision (POST sent → answered) from the
	// proxy's timings of the callback's calls.
	Breakdown breakdown
}

// breakdown splits one decision's time.
type breakdown struct {
	Total, DynamoDB, StepFunctions, HandOver, SlackUpdate, Handler time.Duration
	Calls                                                          int
}

// loadResult is many pending approvals decided by concurrent clients.
type loadResult struct {
	Executions, Clients int
	StartWall           time.Duration // starting every execution
	NotifyWall          time.Duration // first start → last Slack message
	DecideWall          time.Duration // first decision → last answer
	Throughput          float64       // decisions per second
	Decision            latency       // one POST, sent → answered (the task resumed)
	Succeeded           int
	SendTaskSuccess     int
	PeakRSSKiB          int // VmHWM of the callback handler over the decisions
	NotifierRSSKiB      int // VmHWM of the notifier handler over the requests
	RSSReset            bool
	DecisionCalls       map[string]int // the callback's AWS calls over the decisions
}

// approvalBench drives executions through one applied gate.
type approvalBench struct {
	cfg     aws.Config // SDK clients of the harness (direct to kumo)
	sfn     *sfn.Client
	slack   *acctest.Slack
	sm      string // state machine ARN
	nonce   string
	http    *http.Client
	proxy   *acctest.Proxy
	handler *acctest.Handlers
	cbFn    string
	table   string // the gate's DynamoDB table
}

func (b *approvalBench) marker(i int) string { return fmt.Sprintf("%s-%06d", b.nonce, i) }

func (b *approvalBench) input(i int) string {
	return fmt.Sprintf(`{"requested_by":"requester","change":%q}`, b.marker(i))
}

func (b *approvalBench) start(ctx context.Context, i int) (string, error) {
	out, err := b.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(b.sm), Input: aws.String(b.input(i))})
	if err != nil {
		return "", fmt.Errorf("starting execution %d: %w", i, err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

// decide POSTs the confirm form of a signed link, as the page's button does.
func (b *approvalBench) decide(ctx context.Context, link string) error {
	return acctest.PostDecision(ctx, b.http, link, "bench", "approver")
}

// sequential runs n executions one after the other: StartExecution → the
// local Slack records the message; POST approve → DescribeExecution no
// longer RUNNING (polled every interval).
func (b *approvalBench) sequential(ctx context.Context, n int, interval time.Duration, progress func(string)) (*approvalResult, error) {
	var notify, resume, rtts, pages, answers []time.Duration
	var nLogs, cLogs []float64
	res := &approvalResult{WarmTotal: map[string]int{}}
	type window struct{ from, to time.Time }
	decisions := make([]window, 0, n)
	seen := len(b.slack.Messages())
	nfn := strings.TrimSuffix(b.cbFn, "-callback") + "-notifier"
	b.proxy.Record(true)
	defer b.proxy.Record(false)
	for i := 0; i < n; i++ {
		b.proxy.Reset()
		nOut := len(b.handler.Output(nfn))
		t0 := time.Now()
		arn, err := b.start(ctx, i)
		if err != nil {
			return nil, err
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		msgs, err := b.slack.WaitMessages(wctx, seen+1)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("execution %d: %w\nnotifier output (tail):\n%s", i, err, tail(b.handler.Output(strings.TrimSuffix(b.cbFn, "-callback")+"-notifier"), 2000))
		}
		msg := msgs[seen]
		seen++
		if !strings.Contains(mustJSON(msg.Body), b.marker(i)) {
			return nil, fmt.Errorf("execution %d: the Slack message is not this execution's (no %q in it)", i, b.marker(i))
		}
		notify = append(notify, msg.Received.Sub(t0))
		// The notifier's calls are all made once its message is out
		// (the publish, or the post, is its last call).
		notifierCalls := b.proxy.CountsBy("notifier")
		nLogs = append(nLogs, float64(len(b.handler.Output(nfn))-nOut))

		// The approver opens the link (the confirm page), then confirms.
		p0 := time.Now()
		if err := b.page(ctx, msg.ApproveURL); err != nil {
			return nil, fmt.Errorf("execution %d: %w", i, err)
		}
		pages = append(pages, time.Since(p0))
		pageCalls := b.proxy.CountsBy("callback")
		if i == 1 {
			if res.ItemBytes, res.TokenBytes, err = b.itemBytes(ctx, msg.ApproveURL); err != nil {
				return nil, err
			}
		}
		b.proxy.Reset()
		cOut := len(b.handler.Output(b.cbFn))

		t1 := time.Now()
		if err := b.decide(ctx, msg.ApproveURL); err != nil {
			return nil, fmt.Errorf("execution %d: %w", i, err)
		}
		answered := time.Now()
		answers = append(answers, answered.Sub(t1))
		decisions = append(decisions, window{t1, answered})
		decisionCalls := b.proxy.CountsBy("callback")
		cLogs = append(cLogs, float64(len(b.handler.Output(b.cbFn))-cOut))
		switch i {
		case 0:
			res.ColdNotifier, res.ColdPage, res.ColdDecision = notifierCalls, pageCalls, decisionCalls
		case 1:
			res.Notifier, res.PageCalls, res.Decision = notifierCalls, pageCalls, decisionCalls
			if res.FinalItemBytes, _, err = b.itemBytes(ctx, msg.ApproveURL); err != nil {
				return nil, err
			}
		}
		if i > 0 {
			res.WarmRuns++
			for _, c := range []map[string]int{notifierCalls, pageCalls, decisionCalls} {
				for op, v := range c {
					res.WarmTotal[op] += v
				}
			}
		}
		for {
			p0 := time.Now()
			d, err := b.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
			if err != nil {
				return nil, err
			}
			rtts = append(rtts, time.Since(p0))
			if d.Status != sfntypes.ExecutionStatusRunning {
				if d.Status != sfntypes.ExecutionStatusSucceeded {
					return nil, fmt.Errorf("execution %d ended %s", i, d.Status)
				}
				resume = append(resume, time.Since(t1))
				break
			}
			if time.Since(t1) > 30*time.Second {
				return nil, fmt.Errorf("execution %d still RUNNING 30 s after the decision", i)
			}
			time.Sleep(interval)
		}
		if (i+1)%50 == 0 {
			progress(fmt.Sprintf("%d/%d executions", i+1, n))
		}
	}
	res.Notify, res.Resume, res.PollRTT, res.PollInterval = summarize(notify), summarize(resume), median(rtts), interval
	res.Page, res.Answer = summarize(pages), summarize(answers)
	res.NotifierLog, res.CallbackLog = medianFloat(nLogs), medianFloat(cLogs)

	// Where the time of the median decision goes: the callback's calls
	// within its window, by service, timed by the proxy.
	timed := b.proxy.Timings()
	var parts []breakdown
	for _, w := range decisions {
		d := breakdown{Total: w.to.Sub(w.from)}
		for _, c := range timed {
			if c.App != "callback" || c.Start.Before(w.from) || c.Start.After(w.to) {
				continue
			}
			d.Calls++
			switch {
			case strings.HasPrefix(c.Op, "dynamodb:"):
				d.DynamoDB += c.Took
			case strings.HasPrefix(c.Op, "states:"):
				d.StepFunctions += c.Took
			}
		}
		d.Handler = max(0, d.Total-d.DynamoDB-d.StepFunctions-d.SlackUpdate)
		parts = append(parts, d)
	}
	res.Breakdown = medianBreakdown(parts)
	return res, nil
}

// medianBreakdown is the decision of median total time.
func medianBreakdown(parts []breakdown) breakdown {
	if len(parts) == 0 {
		return breakdown{}
	}
	s := slices.Clone(parts)
	slices.SortFunc(s, func(a, b breakdown) int { return cmp.Compare(a.Total, b.Total) })
	return s[(len(s)-1)/2]
}

// page GETs a link's confirm page, as the approver's browser does.
func (b *approvalBench) page(ctx context.Context, link string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return err
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the confirm page answered %d", resp.StatusCode)
	}
	return nil
}

// itemBytes reads the request of a link from kumo and returns its size as
// DynamoDB bills it and the length of the task token in it.
func (b *approvalBench) itemBytes(ctx context.Context, link string) (int, int, error) {
	u, err := url.Parse(link)
	if err != nil {
		return 0, 0, err
	}
	id := path.Base(u.Path)
	out, err := dynamodb.NewFromConfig(b.cfg).GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(b.table), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}}, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, 0, fmt.Errorf("reading request %s: %w", id, err)
	}
	if len(out.Item) == 0 {
		return 0, 0, fmt.Errorf("request %s not found in %s", id, b.table)
	}
	tok := 0
	if t, ok := out.Item["token"].(*ddbtypes.AttributeValueMemberS); ok {
		tok = len(t.Value)
	}
	return itemBytes(out.Item), tok, nil
}

// load starts n executions at once (startWorkers at a time), waits for
// every Slack message, then decides them all with clients concurrent
// clients, and checks each execution SUCCEEDED and SendTaskSuccess was
// called exactly n times.
func (b *approvalBench) load(ctx context.Context, n, clients, startWorkers int, progress func(string)) (*loadResult, error) {
	res := &loadResult{Executions: n, Clients: clients}
	b.slack.Reset()
	npid := b.handler.Pid(strings.TrimSuffix(b.cbFn, "-callback") + "-notifier")
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", npid), []byte("5"), 0)
	arns := make([]string, n)
	t0 := time.Now()
	if err := forEach(ctx, n, startWorkers, func(ctx context.Context, i int) error {
		arn, err := b.start(ctx, i)
		arns[i] = arn
		return err
	}); err != nil {
		return nil, err
	}
	res.StartWall = time.Since(t0)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	msgs, err := b.slack.WaitMessages(wctx, n)
	cancel()
	if err != nil {
		return nil, err
	}
	res.NotifyWall = time.Since(t0)
	res.NotifierRSSKiB = vmHWM(npid)
	progress(fmt.Sprintf("%d executions waiting, %d Slack messages in %s", n, len(msgs), secs(res.NotifyWall)))

	// Links by execution, from the marker in each message.
	byMarker := map[string]string{}
	for _, m := range msgs {
		raw := mustJSON(m.Body)
		if i := strings.Index(raw, b.nonce+"-"); i >= 0 && i+len(b.nonce)+7 <= len(raw) {
			byMarker[raw[i:i+len(b.nonce)+7]] = m.ApproveURL
		}
	}
	links := make([]string, n)
	for i := range links {
		if links[i] = byMarker[b.marker(i)]; links[i] == "" {
			return nil, fmt.Errorf("no Slack message for execution %d", i)
		}
	}

	pid := b.handler.Pid(b.cbFn)
	res.RSSReset = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
	b.proxy.Reset()
	lat := make([]time.Duration, n)
	var failed atomic.Int32
	t1 := time.Now()
	if err := forEach(ctx, n, clients, func(ctx context.Context, i int) error {
		s := time.Now()
		if err := b.decide(ctx, links[i]); err != nil {
			failed.Add(1)
			return fmt.Errorf("deciding execution %d: %w", i, err)
		}
		lat[i] = time.Since(s)
		return nil
	}); err != nil {
		return nil, err
	}
	res.DecideWall = time.Since(t1)
	res.Throughput = float64(n) / res.DecideWall.Seconds()
	res.Decision = summarize(lat)
	res.PeakRSSKiB = vmHWM(pid)

	// Every execution SUCCEEDED, decided once.
	var succeeded atomic.Int32
	if err := forEach(ctx, n, 20, func(ctx context.Context, i int) error {
		for range 2000 {
			d, err := b.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arns[i])})
			if err != nil {
				return err
			}
			if d.Status == sfntypes.ExecutionStatusRunning {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			if d.Status == sfntypes.ExecutionStatusSucceeded {
				succeeded.Add(1)
			}
			return nil
		}
		return fmt.Errorf("execution %d still RUNNING", i)
	}); err != nil {
		return nil, err
	}
	res.Succeeded = int(succeeded.Load())
	res.SendTaskSuccess = b.proxy.Counts()["states:SendTaskSuccess"]
	res.DecisionCalls = b.proxy.CountsBy("callback")
	// The load's promise: every execution resumed, each by exactly one
	// SendTaskSuccess. Anything else is a failure of the run, not a figure.
	if res.Succeeded != n || res.SendTaskSuccess != n {
		return res, fmt.Errorf("%d of %d executions SUCCEEDED with %d states:SendTaskSuccess calls: want all, exactly one each", res.Succeeded, n, res.SendTaskSuccess)
	}
	return res, nil
}

// vmHWM reads the peak resident set size (KiB) of a process.
func vmHWM(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			v, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return v
		}
	}
	return 0
}

// forEach runs f(0..n-1) on workers goroutines; the first error stops
// handing out work and is returned.
func forEach(ctx context.Context, n, workers int, f func(context.Context, int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// sweepResult is the sweep's schedule firing with nothing due: the idle
// gate's only work.
type sweepResult struct {
	Runs     int
	Took     latency        // Tick: the rule and target read, the synchronous invoke
	Calls    map[string]int // the callback's AWS calls of one run
	LogBytes float64        // per run (median)
}

// sweeps fires the gate's schedule n times (acctest.Tick) with no request
// due and counts the sweep's calls.
func (b *approvalBench) sweeps(ctx context.Context, gate string, n int) (*sweepResult, error) {
	res := &sweepResult{Runs: n}
	var took []time.Duration
	var logs []float64
	for range n {
		b.proxy.Reset()
		out := len(b.handler.Output(b.cbFn))
		t0 := time.Now()
		r, err := acctest.Tick(ctx, b.cfg, gate)
		if err != nil {
			return nil, err
		}
		took = append(took, time.Since(t0))
		if r.Due != 0 {
			return nil, fmt.Errorf("the sweep found %d request(s) due on an idle gate", r.Due)
		}
		res.Calls = b.proxy.CountsBy("callback")
		logs = append(logs, float64(len(b.handler.Output(b.cbFn))-out))
	}
	res.Took, res.LogBytes = summarize(took), medianFloat(logs)
	return res, nil
}
