package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Targets of issue 13.
const (
	// targetApprovalDollars: one approval (links by e-mail, warm) costs at
	// most a hundredth of a cent.
	targetApprovalDollars = 0.0001
	// targetIdleSweepDollars: a gate with its sweep schedule, no approval,
	// costs at most five cents a month; without the schedule nothing.
	targetIdleSweepDollars = 0.05
	// A decision: at most one read and two conditional writes of its
	// request, and one Step Functions call.
	targetDecisionReads, targetDecisionWrites, targetDecisionSFN = 1, 2, 1
	// targetThroughput: decisions per second through one gate under load.
	targetThroughput = 100.0
	// targetLoadP99: a decision's answer under load.
	targetLoadP99 = 2 * time.Second
	// targetHandlerTime: of the median decision, the time not spent in AWS
	// calls (the handler itself, the local API Gateway and Lambda invoke
	// path, the HTTP round trip) per callback invocation. A share would not
	// do: on kumo the AWS calls take well under a millisecond (on AWS,
	// several), so the gate's own part is most of the time here whatever
	// it is.
	targetHandlerTime = 5 * time.Millisecond
	// benchMemoryMB and benchARM: the bench gate's functions.
	benchMemoryMB = 128
	// benchSecureParams: the bench gate's SecureString parameters (the
	// signing key and the Slack webhook URL; the configuration document is
	// a String), each one KMS Decrypt on a cold start.
	benchSecureParams = 2
)

// costInputs gathers the measured inputs of the cost model, if the
// approval path ran.
func (r *results) costInputs() (costInputs, bool) {
	a := r.Approval
	if a == nil || a.Notifier == nil {
		return costInputs{}, false
	}
	in := costInputs{
		Notifier: a.Notifier, Page: a.PageCalls, Decision: a.Decision,
		ColdNotifier: a.ColdNotifier, ColdCallback: a.ColdPage,
		// AWS's task tokens are longer than kumo's.
		ItemBytes:      a.ItemBytes - a.TokenBytes + awsTaskTokenBytes,
		FinalItemBytes: a.FinalItemBytes - a.TokenBytes + awsTaskTokenBytes,
		NotifierDur:    a.Notify.P50, PageDur: a.Page.P50, DecisionDur: a.Answer.P50,
		NotifierLog: a.NotifierLog, CallbackLog: a.CallbackLog,
		SecureParams: benchSecureParams, MemoryMB: benchMemoryMB, ARM: true,
	}
	if s := r.Sweep; s != nil {
		in.SweepDur, in.SweepLog = s.Took.P50, s.LogBytes
	}
	if s := r.SweepScale; s != nil && len(s.Runs) > 0 {
		// The largest sweep measured: its Query pages shared by the most.
		x := s.Runs[len(s.Runs)-1]
		in.ReminderCalls, in.Reminders = x.Calls, x.Last.Reminded
	}
	if s := r.SlackApp; s != nil && s.Notifier != nil {
		in.AppNotifier, in.AppCallback, in.AppDur = s.Notifier, s.Callback, s.Update.P50
	}
	return in, true
}

// callRows are the lean-handler figures: calls per invocation, cold and warm.
func (r *results) callRows(add func(section, figure, measured, target, verdict, how string)) {
	a := r.Approval
	if a == nil || a.Notifier == nil {
		return
	}
	how := "counted through the proxy by caller (each handler's SDK app id); the first execution of the approval path is the processes' first invocations, the second is warm"
	add("lean handlers", "notifier, warm: AWS calls", callList(a.Notifier), "no ssm", verdict(countOps(a.Notifier, "ssm:") == 0), how)
	add("lean handlers", "confirm page, warm: AWS calls", callList(a.PageCalls), "1 read", verdict(countOps(a.PageCalls, "dynamodb:") == 1 && countOps(a.PageCalls, "ssm:") == 0), how)
	reads, writes := a.Decision["dynamodb:GetItem"]+a.Decision["dynamodb:Query"], a.Decision["dynamodb:UpdateItem"]+a.Decision["dynamodb:PutItem"]
	add("lean handlers", "decision, warm: AWS calls", callList(a.Decision),
		fmt.Sprintf("≤ %d read, ≤ %d conditional writes, %d Step Functions call, no ssm", targetDecisionReads, targetDecisionWrites, targetDecisionSFN),
		verdict(reads <= targetDecisionReads && writes <= targetDecisionWrites && countOps(a.Decision, "states:") == targetDecisionSFN && countOps(a.Decision, "ssm:") == 0), how)
	per := float64(sum(a.WarmTotal)) / float64(max(a.WarmRuns, 1))
	add("lean handlers", "AWS calls per approval, warm (notifier + page + decision)", fmt.Sprintf("%.2f", per), "", "",
		fmt.Sprintf("mean over %d warm executions: %s", a.WarmRuns, callListF(a.WarmTotal, a.WarmRuns)))
	cold := sum(a.ColdNotifier) + sum(a.ColdPage) + sum(a.ColdDecision) - sum(a.Notifier) - sum(a.PageCalls) - sum(a.Decision)
	coldSSM := countOps(a.ColdNotifier, "ssm:") + countOps(a.ColdPage, "ssm:") + countOps(a.ColdDecision, "ssm:")
	add("lean handlers", "extra AWS calls of a cold start (both functions)", fmt.Sprint(cold), "1 ssm:GetParameters per function", verdict(coldSSM == 2),
		fmt.Sprintf("first execution: notifier %s; confirm page %s; decision %s", callList(a.ColdNotifier), callList(a.ColdPage), callList(a.ColdDecision)))
}

// costRows are the cost model's figures.
func (r *results) costRows(add func(section, figure, measured, target, verdict, how string)) {
	in, ok := r.costInputs()
	if !ok {
		return
	}
	how := fmt.Sprintf("cost model (internal/cmd/bench/cost.go) × us-east-1 list prices of %s (prices.go): calls counted by the proxy, items of %d B (pending) and %d B (final) with a %d-character task token, billed durations the medians measured on kumo", pricesDate, in.ItemBytes, in.FinalItemBytes, awsTaskTokenBytes)
	for i, s := range in.setups(awsPrices) {
		t := total(s.Bill)
		target, v := "", ""
		if i == 0 {
			target, v = "≤ "+dollars(targetApprovalDollars), verdict(t <= targetApprovalDollars)
		}
		h := how
		if len(s.Usage.Notes) > 0 {
			h += "; " + strings.Join(s.Usage.Notes, "; ")
		}
		add("cost", "per approval: "+s.Name, fmt.Sprintf("%s (%s); %s", dollars(t), perMillion(t), topItems(s.Bill)), target, v, h)
	}
	cs := in.coldStart()
	add("cost", "per cold start (both functions)", dollars(total(cs.bill(awsPrices))), "", "",
		fmt.Sprintf("%.0f ssm:GetParameters (standard parameters: free), %.0f KMS Decrypts (one per SecureString), %.0f sns:ListSubscriptionsByTopic", cs.SSMCalls, cs.KMSRequests, cs.SNSRequests))
	idle0, idle1 := in.idle(false).bill(awsPrices), in.idle(true).bill(awsPrices)
	add("cost", "idle gate per month, no sweep schedule", dollars(total(idle0)), "$0", verdict(total(idle0) == 0),
		"nothing runs: standard SSM parameters, an empty table, a topic, an HTTP API and log groups bill nothing at rest")
	sweepHow := "sweep schedule not measured"
	if s := r.Sweep; s != nil {
		sweepHow = fmt.Sprintf("%d runs/month (every minute, 30 days), each an invocation of %s (median of %d Ticks, an upper bound) with %s and %.0f log bytes", sweepRunsPerMonth, ms(billedDuration(s.Took.P50)), s.Runs, callList(s.Calls), s.LogBytes)
	}
	add("cost", "idle gate per month, with the sweep schedule", fmt.Sprintf("%s; %s", dollars(total(idle1)), topItems(idle1)), "≤ "+dollars(targetIdleSweepDollars), verdict(total(idle1) <= targetIdleSweepDollars), sweepHow)
}

// loadRows2 are issue 13's figures of the load: the notifier's RSS and the
// DynamoDB calls per decision.
func (r *results) loadRows2(add func(section, figure, measured, target, verdict, how string)) {
	ld := r.Load
	if ld == nil {
		return
	}
	if ld.NotifierRSSKiB > 0 {
		add("lambda", fmt.Sprintf("notifier handler peak RSS over %d requests", ld.Executions), fmt.Sprintf("%.1f MiB", float64(ld.NotifierRSSKiB)/1024), "≤ 40 MiB", verdict(ld.NotifierRSSKiB <= targetRSSKiB), "VmHWM of the handler process (reset with clear_refs before the executions start)")
	}
	d := float64(countOps(ld.DecisionCalls, "dynamodb:")) / float64(ld.Executions)
	add("load", "DynamoDB calls per decision", fmt.Sprintf("%.2f (%s)", d, callListF(ld.DecisionCalls, ld.Executions)), fmt.Sprintf("≤ %d", targetDecisionReads+targetDecisionWrites), verdict(d <= targetDecisionReads+targetDecisionWrites), "the callback's calls over every decision of the load, through the proxy, per decision")
}

// breakdownRows: where the time of the median decision goes.
func (r *results) breakdownRows(add func(section, figure, measured, target, verdict, how string)) {
	if s := r.SlackApp; s != nil {
		b := s.Breakdown
		how := fmt.Sprintf("gate with the Slack app; %d decisions one at a time; the callback's %d AWS calls of the median one timed by the proxy; the Slack update is the time from its last AWS call to the local Slack receiving chat.update (rendering and posting)", s.Decisions, b.Calls)
		add("slack app", "click → message updated, p50 / p99", ms(s.Update.P50)+" / "+ms(s.Update.P99), "p50 ≤ "+ms(2*targetLatencyP50), verdict(s.Update.P50 <= 2*targetLatencyP50), how+"; two callback invocations (the acknowledgement and the hand-over) where a link is one: twice the approval path's target")
		add("slack app", "AWS calls per approval, warm", fmt.Sprintf("notifier %s; callback %s", callList(s.Notifier), callList(s.Callback)),
			"decision ≤ 1 read, ≤ 2 writes, 1 Step Functions call, 1 hand-over", verdict(s.Callback["dynamodb:GetItem"] <= 1 && s.Callback["dynamodb:UpdateItem"] <= 2 && countOps(s.Callback, "states:") == 1 && countOps(s.Callback, "lambda:") <= 1 && countOps(s.Callback, "ssm:") == 0), how)
		share := float64(b.Handler) / float64(max(b.Total, 1))
		add("where the time goes", "median Slack app decision (click → message updated)", fmt.Sprintf("%s = DynamoDB %s + Step Functions %s + hand-over %s + Slack update %s + handler, gateway and async invoke %s", ms(b.Total), ms(b.DynamoDB), ms(b.StepFunctions), ms(b.HandOver), ms(b.SlackUpdate), ms(b.Handler)),
			"handler, gateway and async invoke ≤ "+ms(2*targetHandlerTime), verdict(b.Handler <= 2*targetHandlerTime), how+fmt.Sprintf("; two invocations; handler, kumo's API Gateway and its asynchronous invoke: %.0f %% of the time", 100*share))
	}
	a := r.Approval
	if a == nil || a.Breakdown.Total == 0 {
		return
	}
	b := a.Breakdown
	share := float64(b.Handler) / float64(b.Total)
	add("where the time goes", "median decision (POST sent → answered)", fmt.Sprintf("%s = DynamoDB %s + Step Functions %s + Slack update %s + handler and local gateway %s", ms(b.Total), ms(b.DynamoDB), ms(b.StepFunctions), ms(b.SlackUpdate), ms(b.Handler)),
		"handler and gateway ≤ "+ms(targetHandlerTime), verdict(b.Handler <= targetHandlerTime),
		fmt.Sprintf("the callback's %d AWS calls of that decision timed by the proxy (kumo's time, not AWS's); a link's decision updates no Slack message (the Slack app's rows do); the rest is the handler, the local API Gateway and Lambda (kumo) and the HTTP round trip: %.0f %%", b.Calls, 100*share))
}

func sum(c map[string]int) int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// callList renders counts as "op n, op n" sorted by operation.
func callList(c map[string]int) string { return callListF(c, 1) }

// callListF renders counts divided by n.
func callListF(c map[string]int, n int) string {
	if len(c) == 0 {
		return "none"
	}
	ops := make([]string, 0, len(c))
	for op := range c {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	parts := make([]string, len(ops))
	for i, op := range ops {
		v := float64(c[op]) / float64(max(n, 1))
		parts[i] = fmt.Sprintf("%s %s", op, strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), "."))
	}
	return strings.Join(parts, ", ")
}

// costMarkdown is the cost section of BENCHMARKS.md.
func (r *results) costMarkdown(b *strings.Builder) {
	in, ok := r.costInputs()
	if !ok {
		return
	}
	fmt.Fprintf(b, "\n## Cost per approval and per idle month (us-east-1 list prices of %s)\n\n", pricesDate)
	fmt.Fprintf(b, "| setup | per approval | per million approvals | ")
	for _, c := range costCategories {
		fmt.Fprintf(b, "%s | ", c)
	}
	b.WriteString("\n|---|---|---|")
	for range costCategories {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	row := func(name string, items []costItem, scale func(float64) string) {
		t := total(items)
		fmt.Fprintf(b, "| %s | %s | %s | ", name, dollars(t), perMillion(t))
		for _, i := range items {
			fmt.Fprintf(b, "%s | ", scale(i.Dollars))
		}
		b.WriteString("\n")
	}
	for _, s := range in.setups(awsPrices) {
		row(s.Name, s.Bill, dollars)
	}
	fmt.Fprintf(b, "\n| idle gate, one month | total | ")
	for _, c := range costCategories {
		fmt.Fprintf(b, "%s | ", c)
	}
	b.WriteString("\n|---|---|")
	for range costCategories {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, x := range []struct {
		name  string
		sweep bool
	}{{"without the sweep schedule", false}, {"with the sweep schedule (every minute)", true}} {
		items := in.idle(x.sweep).bill(awsPrices)
		fmt.Fprintf(b, "| %s | %s | ", x.name, dollars(total(items)))
		for _, i := range items {
			fmt.Fprintf(b, "%s | ", dollars(i.Dollars))
		}
		b.WriteString("\n")
	}
	p := awsPrices
	fmt.Fprintf(b, "\n**Prices** (`internal/cmd/bench/prices.go`, us-east-1, list prices transcribed on %s, free tiers not subtracted): Lambda $%.2f per million requests, $%.10f per GB-second (arm64), $%.10f (x86_64), billed per 1 ms; DynamoDB on-demand $%.3f per million write request units, $%.3f per million read request units; API Gateway HTTP API $%.2f per million requests; SNS $%.2f per million requests, $%.2f per 100,000 e-mails; Step Functions Standard $%.3f per 1,000 state transitions; EventBridge $%.2f per million custom events (scheduled rules free); SSM standard parameters free, Advanced $%.2f per parameter-month; KMS $%.2f per 10,000 requests; CloudWatch Logs $%.2f per GB ingested. Sources: %s.\n\n",
		pricesDate, p.LambdaRequest*1e6, p.LambdaGBSecondARM, p.LambdaGBSecondX86, p.DynamoDBWRU*1e6, p.DynamoDBRRU*1e6, p.HTTPAPIRequest*1e6, p.SNSRequest*1e6, p.SNSEmail*1e5, p.SFNTransition*1e3, p.EventBridgeEvent*1e6, p.SSMAdvancedMonth, p.KMSRequest*1e4, p.LogsIngestedGB, strings.Join(sourcesOfPrices, ", "))
	fmt.Fprintf(b, "**Model** (`internal/cmd/bench/cost.go`): one request, one approver, warm functions (%d MB, arm64). Calls per invocation are the ones the proxy counted on the approval path (notifier: %s; confirm page: %s; decision: %s). DynamoDB: a request's item is %d B pending and %d B final as AWS would store it (measured on kumo, the task token counted at %d characters); on-demand bills a write unit per KB and a read unit per 4 KB (strongly consistent GetItem), and every write of an item in the status-due index (projection ALL) writes the index too: the PutItem is table + index, the vote moves the index key (delete + put), the final status drops the item from the index. Step Functions: the gate's Task state is one state transition of the caller's Standard workflow (the rest of the workflow is the caller's). SendTaskHeartbeat and SendTaskSuccess are API calls Step Functions does not bill. Lambda durations are the medians measured here on kumo (notifier: StartExecution → message; callback: the page GET and the decision POST), so an upper bound of the handler's own time but not of AWS's call latencies, which add compute of the same order: at %d MB even 1 s per invocation is %s. E-mail: one recipient. The Slack app's calls are the ones counted on its gate (the notifier also remembers the message's place: one UpdateItem; a click is acknowledged and handed over: one more invocation and lambda:Invoke), its invocations billed the median click → update; single sign-on is modelled from the code path on the measured counts (two more callback invocations and API requests); reminders from the sweep's calls per reminder (a Query page share, a GetItem, a conditional UpdateItem, one publish), measured by the sweep at scale when it ran (see its rows), its compute not counted (a share of one sweep invocation that runs anyway). The idle month: the schedule's rule is free, each sweep run is one invocation and %d Queries of the index that find nothing (0.5 RRU each); without the schedule nothing runs. An Advanced-tier parameter (a configuration document over 4 KB) would add $%.2f a month.\n",
		in.MemoryMB, callList(in.Notifier), callList(in.Page), callList(in.Decision), in.ItemBytes, in.FinalItemBytes, awsTaskTokenBytes,
		in.MemoryMB, dollars(float64(in.MemoryMB)/1024*p.LambdaGBSecondARM), sweepQueriesPerRun, p.SSMAdvancedMonth)
}

// costCharts are the panels "where the money goes" (per setup, stacked by
// what AWS bills) and "where the time goes" (the median decision).
func (r *results) costCharts() []chart {
	var out []chart
	if in, ok := r.costInputs(); ok {
		money := chart{Title: "where the money goes", XLabel: "setup", YLabel: "usd per million approvals"}
		// Short labels (the markdown says which is which).
		short := []string{"mail", "app", "sso", "rem"}
		used := map[string]bool{}
		for i, s := range in.setups(awsPrices) {
			b := bar{Label: short[min(i, len(short)-1)]}
			for j, item := range s.Bill {
				b.Segs = append(b.Segs, segment{Value: item.Dollars * 1e6, Color: palette[j%len(palette)]})
				used[item.What] = used[item.What] || item.Dollars*1e6 >= 0.005
			}
			money.Bars = append(money.Bars, b)
		}
		for j, c := range costCategories {
			if used[c] {
				money.Legend = append(money.Legend, series{Name: c, Color: palette[j%len(palette)]})
			}
		}
		out = append(out, money)
	}
	t := chart{Title: "where the time goes", XLabel: "median decision", YLabel: "ms"}
	names := []string{"dynamodb", "step functions", "hand-over", "slack update", "handler+gateway"}
	colors := []int{5, 0, 3, 4, 8}
	for i, n := range names {
		t.Legend = append(t.Legend, series{Name: n, Color: palette[colors[i]]})
	}
	addBar := func(label string, b breakdown) {
		msf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		br := bar{Label: label}
		for i, v := range []float64{msf(b.DynamoDB), msf(b.StepFunctions), msf(b.HandOver), msf(b.SlackUpdate), msf(b.Handler)} {
			br.Segs = append(br.Segs, segment{Value: v, Color: palette[colors[i]]})
		}
		t.Bars = append(t.Bars, br)
	}
	if a := r.Approval; a != nil && a.Breakdown.Total > 0 {
		addBar("link", a.Breakdown)
	}
	if s := r.SlackApp; s != nil && s.Breakdown.Total > 0 {
		addBar("app", s.Breakdown)
	}
	if len(t.Bars) > 0 {
		out = append(out, t)
	}
	return out
}
