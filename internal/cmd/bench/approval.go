package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	RSSReset            bool
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
	var notify, resume, rtts []time.Duration
	seen := len(b.slack.Messages())
	for i := 0; i < n; i++ {
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

		t1 := time.Now()
		if err := b.decide(ctx, msg.ApproveURL); err != nil {
			return nil, fmt.Errorf("execution %d: %w", i, err)
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
	return &approvalResult{Notify: summarize(notify), Resume: summarize(resume), PollRTT: median(rtts), PollInterval: interval}, nil
}

// load starts n executions at once (startWorkers at a time), waits for
// every Slack message, then decides them all with clients concurrent
// clients, and checks each execution SUCCEEDED and SendTaskSuccess was
// called exactly n times.
func (b *approvalBench) load(ctx context.Context, n, clients, startWorkers int, progress func(string)) (*loadResult, error) {
	res := &loadResult{Executions: n, Clients: clients}
	b.slack.Reset()
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
