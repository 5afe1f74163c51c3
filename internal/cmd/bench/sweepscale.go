package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/lambda"
)

// The sweep at scale (issue 11 item 9): one gate with reminders, its table
// filled straight with pending requests shaped as the notifier writes them
// (lambda.RequestItem), a fixed share of them due now (their first reminder)
// and the rest due later; then the gate's schedule fired (acctest.Tick, the
// real callback handler) and its calls, time and reminders measured.

const (
	// sweepDueShare is the share of the pending requests due at a sweep.
	sweepDueShare = 0.05
	// sweepPageSize is the sweep's Query page (internal/lambda/sweep.go).
	sweepPageSize = 100
	// sweepReminderAfter is the gate's reminders.after_seconds (and
	// every_seconds): a request created longer ago is due.
	sweepReminderAfter = 600
	// targetSweepWall: the sweep must end within the callback's function
	// timeout (15 s) less the 2 s it keeps free (sweepReserve).
	targetSweepWall = 13 * time.Second
	// targetReminderLate is the handler's part of a reminder's lateness
	// (tick → reminder received), p99.
	targetReminderLate = time.Second
)

// sweepScaleRun is the sweep over one number of pending requests.
type sweepScaleRun struct {
	Pending, Due int
	Took         latency        // wall time of each sweep (Tick), over the rounds
	Calls        map[string]int // the callback's AWS calls of the last (warm) round
	Last         acctest.TickResult
	Received     int             // reminders the local Slack received in the last round
	Late         []time.Duration // tick → reminder received, every reminder of every round
}

// sweepScaleResult is the sweep at every scale measured.
type sweepScaleResult struct {
	Rounds    int
	Runs      []sweepScaleRun
	ColdCalls map[string]int // the first round's (the configuration and secrets read once)
}

// maxQueries bounds a sweep's Query calls when due requests are due: the
// pages of the due pending ones (and one more, empty, when they fill their
// last page exactly) and one for the deciding ones. Its GetItem calls are
// one per due request.
func maxQueries(due int) int { return (due+sweepPageSize-1)/sweepPageSize + 2 }

// runSweepScale creates the gate, then for each number of pending requests
// fills its table and fires the sweep rounds times.
func runSweepScale(ctx context.Context, o options, cfg aws.Config, mgr *gate.Manager, local *acctest.Local, nonce string) (*sweepScaleResult, error) {
	slack, err := acctest.StartSlack("bench-sweep-signing-secret-0123456789")
	if err != nil {
		return nil, err
	}
	defer slack.Close()
	name := "bw" + nonce
	spec := benchSpec(name, slack.WebhookURL())
	spec.Followup.Reminders = &approval.Reminders{AfterSeconds: sweepReminderAfter, EverySeconds: sweepReminderAfter, Max: 3}
	step("sweep at scale: creating gate %s (reminders every %d s to the local Slack)", name, sweepReminderAfter)
	st, err := mgr.Create(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := mgr.Delete(context.WithoutCancel(ctx), name); err != nil {
			fmt.Fprintln(os.Stderr, "bench: deleting the gate:", err)
		}
	}()
	h, err := acctest.StartHandlers(ctx, cfg, local.Endpoint(), name+"-callback")
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	direct := cfg.Copy()
	direct.BaseEndpoint = aws.String(acctest.Endpoint)
	// kumo's BatchWriteItem answers carry a CRC32 the SDK does not match:
	// not checked, or every batch logs a warning.
	db := dynamodb.NewFromConfig(direct, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
	w := &sweepWriter{db: db, table: st.TableName, token: strings.Repeat("t", 1024)}

	res := &sweepScaleResult{Rounds: o.sweepRounds}
	// The schedule's first run, on the empty table, as on AWS within a
	// minute of the gate's creation: cold (the configuration and secrets
	// read once), and it records that every pending request follows the
	// gate's follow-up schedule (internal/lambda/reschedule.go).
	local.Proxy.Reset()
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	_, err = acctest.Tick(wctx, direct, name)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("the sweep's first run: %w\ncallback output (tail):\n%s", err, tail(h.Output(name+"-callback"), 2000))
	}
	res.ColdCalls = local.Proxy.CountsBy("callback")
	written := 0
	for _, n := range o.sweepPending {
		due := max(1, int(float64(n)*sweepDueShare+0.5))
		run := sweepScaleRun{Pending: n, Due: due}
		// The requests not due: created now, first reminder in 10 minutes.
		if n > written {
			if err := w.put(ctx, written, n, false); err != nil {
				return nil, err
			}
			written = n
		}
		var took []time.Duration
		for k := range o.sweepRounds {
			// The due ones: created 10 minutes and a second ago, nothing sent
			// yet (rewritten each round: the last one reminded them).
			if err := w.put(ctx, 0, due, true); err != nil {
				return nil, err
			}
			slack.Reset()
			local.Proxy.Reset()
			t0 := time.Now()
			tctx, cancel := context.WithTimeout(ctx, time.Minute)
			r, err := acctest.Tick(tctx, direct, name)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("sweep over %d pending: %w\ncallback output (tail):\n%s", n, err, tail(h.Output(name+"-callback"), 2000))
			}
			took = append(took, time.Since(t0))
			calls := local.Proxy.CountsBy("callback")
			msgs := slack.Messages()
			for _, m := range msgs {
				run.Late = append(run.Late, m.Received.Sub(t0))
			}
			run.Calls, run.Last, run.Received = calls, r, len(msgs)
			step("  %d pending, %d due, round %d/%d: %s, %+v; %s", n, due, k+1, o.sweepRounds, ms(took[k]), r, callList(calls))
			// A sweep that cannot finish 1,000 pending requests (50 due)
			// within the function's time is a failure, not a figure.
			if r.More && n <= 1000 {
				return nil, fmt.Errorf("the sweep over %d pending requests (%d due) stopped for time (more=true): it must finish within the function timeout", n, due)
			}
			if !r.More && (r.Due != due || r.Reminded != due || r.Failed != 0 || len(msgs) != due) {
				return nil, fmt.Errorf("the sweep over %d pending requests: %+v and %d reminders received, want %d due, reminded and received", n, r, len(msgs), due)
			}
		}
		run.Took = summarize(took)
		res.Runs = append(res.Runs, run)
	}
	return res, nil
}

// sweepWriter writes pending requests i in [from, to) into a gate's table.
type sweepWriter struct {
	db    *dynamodb.Client
	table string
	token string
}

func (w *sweepWriter) id(i int) string { return fmt.Sprintf("bench%010d", i) }

// put writes requests from..to-1 with BatchWriteItem (25 a call, 8 calls
// at once), due now (their first reminder) or later.
func (w *sweepWriter) put(ctx context.Context, from, to int, due bool) error {
	now := time.Now().UTC().Truncate(time.Second)
	created := now
	if due {
		created = now.Add(-(sweepReminderAfter + 1) * time.Second)
	}
	batches := (to - from + 24) / 25
	return forEach(ctx, batches, 8, func(ctx context.Context, b int) error {
		var reqs []ddbtypes.WriteRequest
		for i := from + b*25; i < min(to, from+(b+1)*25); i++ {
			r := approval.Request{
				ID: w.id(i), Token: w.token, ExecutionID: fmt.Sprintf("bench-execution-%d", i), StateName: "Approve",
				Title: "Deploy " + w.id(i), Context: []approval.Field{{Key: "change", Value: w.id(i)}}, RequestedBy: "requester",
				CreatedAt: created, ExpiresAt: created.Add(time.Hour), MinApprovals: 1, Status: approval.StatusPending,
			}
			r.DueAt = created.Add(sweepReminderAfter * time.Second) // approval.NextFollowup of the gate's reminders
			reqs = append(reqs, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: lambda.RequestItem(r)}})
		}
		for len(reqs) > 0 {
			out, err := w.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{w.table: reqs}})
			if err != nil {
				return fmt.Errorf("writing pending requests: %w", err)
			}
			reqs = out.UnprocessedItems[w.table]
		}
		return nil
	})
}

// reads is a sweep's Query and GetItem calls.
func reads(calls map[string]int) (int, int) {
	return calls["dynamodb:Query"], calls["dynamodb:GetItem"]
}

// sweepScaleRows are the sweep's figures at each scale and the reminders'
// lateness.
func (r *results) sweepScaleRows(add func(section, figure, measured, target, verdict, how string)) {
	s := r.SweepScale
	if s == nil {
		return
	}
	how := fmt.Sprintf("one gate with reminders (every %d s, to the local Slack and the gate's SNS topic, which has no subscriptions); its table filled with BatchWriteItem, items as the notifier writes them, %.0f %% due their first reminder; the schedule fired with acctest.Tick (the real callback handler); calls counted by the proxy (the last of %d rounds, warm)",
		sweepReminderAfter, sweepDueShare*100, s.Rounds)
	bounded := true
	var perDue []string
	for _, x := range s.Runs {
		q, g := reads(x.Calls)
		ok := q <= maxQueries(x.Due) && g == x.Due && x.Calls["dynamodb:Scan"] == 0
		bounded = bounded && ok
		perDue = append(perDue, fmt.Sprintf("%d pending: %d Query + %d GetItem for %d due", x.Pending, q, g, x.Due))
		add("sweep", fmt.Sprintf("sweep over %d pending (%d due): AWS calls", x.Pending, x.Due),
			fmt.Sprintf("%d (%s)", sum(x.Calls), callList(x.Calls)),
			fmt.Sprintf("Query ≤ %d, GetItem = %d (the due ones), no Scan", maxQueries(x.Due), x.Due), verdict(ok), how)
		l := x.Last
		ok = !l.More && l.Reminded == x.Due && l.Failed == 0 && x.Took.Max <= targetSweepWall
		add("sweep", fmt.Sprintf("sweep over %d pending (%d due): wall time, median / max", x.Pending, x.Due),
			fmt.Sprintf("%s / %s; reminded %d, received %d, failed %d, more=%t", ms(x.Took.P50), ms(x.Took.Max), l.Reminded, x.Received, l.Failed, l.More),
			fmt.Sprintf("≤ %s (function timeout 15 s less 2 s reserve), every due one reminded, more=false", secs(targetSweepWall)), verdict(ok),
			fmt.Sprintf("Tick → the sweep's answer (synchronous invoke; Tick also reads the rule and its target), %d rounds", x.Took.N))
	}
	if len(s.Runs) > 0 {
		add("sweep", "reads bounded by the due requests, not the pending", strings.Join(perDue, "; "),
			fmt.Sprintf("Query ≤ ⌈due / %d⌉ + 2, GetItem = due, no Scan", sweepPageSize), verdict(bounded),
			"the status-due index is read for due_at ≤ now only; each due request is re-read (strongly consistent) before it is handled; the schedule's first run, on the empty table (cold: the configuration and secrets read once, the follow-up schedule's marker read and written): "+callList(s.ColdCalls))
	}
	for _, x := range s.Runs {
		l := summarize(x.Late)
		if l.N == 0 {
			continue
		}
		target, v := "p99 ≤ "+secs(targetReminderLate), verdict(l.P99 <= targetReminderLate)
		bound := ""
		if x.Pending > 1000 {
			// The sweep handles sweepWorkers requests at once: the last of
			// many due waits for the others; the bound is the sweep's own.
			target, v = "p99 ≤ "+secs(targetSweepWall)+" (within the one sweep)", verdict(l.P99 <= targetSweepWall)
			bound = fmt.Sprintf("; bounded by the sweep handling 8 requests at once: the last of %d due waits about %d request times (here %s each)", x.Due, (x.Due+7)/8, ms(time.Duration(int64(x.Took.P50)*8/int64(x.Due))))
		}
		add("sweep", fmt.Sprintf("reminder lateness, the handler's part (tick → reminder received), p50 / p99, %d pending (%d due)", x.Pending, x.Due),
			ms(l.P50)+" / "+ms(l.P99), target, v,
			fmt.Sprintf("%d reminders over %d rounds, from the Tick that fired the sweep to the local Slack receiving each; on AWS a reminder is late by the schedule's phase (rate(1 minute): 0 to 60 s after its due_at, which is in whole seconds) plus this part: p99 ≤ 60 s + %s%s", l.N, x.Took.N, ms(l.P99), bound))
	}
}

// sweepChart is the sweep's calls and wall time per due request against
// the pending requests: flat lines are reads that follow the due requests,
// not the pending ones.
func (r *results) sweepChart() (chart, bool) {
	s := r.SweepScale
	if s == nil || len(s.Runs) == 0 {
		return chart{}, false
	}
	c := chart{Title: "sweep per due request", XLabel: "pending requests (5 % due)", YLabel: "per due request"}
	calls := series{Name: "aws calls", Color: palette[0]}
	gets := series{Name: "getitem", Color: palette[2]}
	wall := series{Name: "wall ms", Color: palette[1]}
	for _, x := range s.Runs {
		p, d := float64(x.Pending), float64(max(x.Due, 1))
		calls.XS, calls.YS = append(calls.XS, p), append(calls.YS, float64(sum(x.Calls))/d)
		gets.XS, gets.YS = append(gets.XS, p), append(gets.YS, float64(x.Calls["dynamodb:GetItem"])/d)
		wall.XS, wall.YS = append(wall.XS, p), append(wall.YS, float64(x.Took.P50)/float64(time.Millisecond)/d)
	}
	c.Series = []series{calls, gets, wall}
	return c, true
}
