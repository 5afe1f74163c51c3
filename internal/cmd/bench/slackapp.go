package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// slackAppResult is a gate with the Slack app: the message posted with
// chat.postMessage, a button click (signed interaction) acknowledged and
// handed over (lambda:Invoke, Event), the vote, and the message updated in
// place (chat.update), one decision at a time.
type slackAppResult struct {
	Decisions int
	Update    latency // click sent → chat.update received
	// Warm calls of one approval (the second): the notifier's, and the
	// callback's over the click (the acknowledgement and the hand-over's
	// invocation are the same process).
	Notifier, Callback map[string]int
	Breakdown          breakdown // the median decision, click → update
}

const benchBotToken = "xoxb-bench-token"

func runSlackApp(ctx context.Context, o options, cfgSDK aws.Config, mgr *gate.Manager, local *acctest.Local, slack *acctest.Slack, nonce string) (*slackAppResult, error) {
	name := "bk" + nonce
	step("slack app: creating gate %s (bot token, signing secret, the local Slack's Web API)", name)
	slack.SetBotToken(benchBotToken)
	spec := benchSpec(name, "")
	spec.Slack = &gate.SlackSpec{Format: approval.SlackFormatApp, BotToken: benchBotToken, Channel: "#deploys",
		SigningSecret: slack.SigningSecret, APIBaseURL: slack.APIBaseURL()}
	g, stop, err := startBenchGate(ctx, cfgSDK, mgr, local, spec, "the slack app gate")
	if err != nil {
		return nil, err
	}
	defer stop()
	st, h, direct, sm, client := g.st, g.h, g.direct, g.sm, g.sfn
	fail := func(i int, err error) (*slackAppResult, error) {
		return nil, fmt.Errorf("slack app decision %d: %w\nnotifier output (tail):\n%s\ncallback output (tail):\n%s", i, err,
			tail(h.Output(name+"-notifier"), 1500), tail(h.Output(name+"-callback"), 1500))
	}

	step("slack app: %d decisions, one at a time", o.slackDecisions)
	res := &slackAppResult{Decisions: o.slackDecisions}
	type window struct{ from, to time.Time }
	var updates []time.Duration
	var windows []window
	seen := len(slack.Messages())
	local.Proxy.Record(true)
	defer local.Proxy.Record(false)
	for i := 0; i < o.slackDecisions; i++ {
		local.Proxy.Reset()
		out, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm),
			Input: aws.String(fmt.Sprintf(`{"requested_by":"requester","change":"%s-app-%06d"}`, nonce, i))})
		if err != nil {
			return fail(i, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		msgs, err := slack.WaitMessages(wctx, seen+1)
		cancel()
		if err != nil {
			return fail(i, err)
		}
		m := msgs[seen]
		seen++
		if m.Kind != acctest.KindApp {
			return fail(i, fmt.Errorf("message of kind %q, want an app message", m.Kind))
		}
		// The notifier remembers the message's place after the post: wait
		// for its last call before counting.
		var notifier map[string]int
		for range 2000 {
			if notifier = local.Proxy.CountsBy("notifier"); notifier["dynamodb:UpdateItem"] > 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		local.Proxy.Reset()
		t0 := time.Now()
		resp, body, err := slack.Click(ctx, st.CallbackURL, m, "approve", "U0BENCH01", "bench")
		if err != nil {
			return fail(i, err)
		}
		resp.Body.Close() // already read by Click
		if resp.StatusCode != http.StatusOK {
			return fail(i, fmt.Errorf("click answered %d: %s", resp.StatusCode, body))
		}
		wctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		_, err = slack.WaitUpdate(wctx, m.TS)
		cancel()
		if err != nil {
			return fail(i, fmt.Errorf("no chat.update: %w", err))
		}
		t1 := time.Now()
		updates = append(updates, t1.Sub(t0))
		windows = append(windows, window{t0, t1})
		if i == 1 {
			res.Notifier, res.Callback = notifier, local.Proxy.CountsBy("callback")
		}
		d, err := acctest.WaitDone(ctx, direct, aws.ToString(out.ExecutionArn))
		if err != nil {
			return fail(i, err)
		}
		if d.Status != sfntypes.ExecutionStatusSucceeded {
			return fail(i, fmt.Errorf("execution ended %s", d.Status))
		}
	}
	res.Update = summarize(updates)

	// The median decision: the callback's AWS calls by service; the Slack
	// update is the time from its last AWS call to the update received.
	timed := local.Proxy.Timings()
	var parts []breakdown
	for _, w := range windows {
		b := breakdown{Total: w.to.Sub(w.from)}
		var lastEnd time.Time
		for _, c := range timed {
			if c.App != "callback" || c.Start.Before(w.from) || c.Start.After(w.to) {
				continue
			}
			b.Calls++
			switch {
			case strings.HasPrefix(c.Op, "dynamodb:"):
				b.DynamoDB += c.Took
			case strings.HasPrefix(c.Op, "states:"):
				b.StepFunctions += c.Took
			case strings.HasPrefix(c.Op, "lambda:"):
				b.HandOver += c.Took
			}
			if end := c.Start.Add(c.Took); end.After(lastEnd) {
				lastEnd = end
			}
		}
		if !lastEnd.IsZero() && w.to.After(lastEnd) {
			b.SlackUpdate = w.to.Sub(lastEnd)
		}
		b.Handler = max(0, b.Total-b.DynamoDB-b.StepFunctions-b.HandOver-b.SlackUpdate)
		parts = append(parts, b)
	}
	res.Breakdown = medianBreakdown(parts)
	return res, nil
}
