package main

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

func TestPercentile(t *testing.T) {
	var xs []time.Duration
	for i := 100; i >= 1; i-- {
		xs = append(xs, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := percentile(xs, c.p); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if xs[0] != 100*time.Millisecond {
		t.Error("percentile sorted its input in place")
	}
	if percentile(nil, 50) != 0 || median(nil) != 0 {
		t.Error("no samples should give 0")
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("one sample: got %v", got)
	}
}

func TestMedian(t *testing.T) {
	if got := median([]time.Duration{3, 1, 2}); got != 2 {
		t.Errorf("odd: %v", got)
	}
	if got := median([]time.Duration{4, 1, 2, 3}); got != 2 { // (2+3)/2 in integer nanoseconds
		t.Errorf("even: %v", got)
	}
	if got := medianInt([]int{10, 30, 20, 40}); got != 25 {
		t.Errorf("medianInt: %v", got)
	}
	s := summarize([]time.Duration{5, 1, 9})
	if s.N != 3 || s.P50 != 5 || s.Max != 9 || s.P99 != 9 {
		t.Errorf("summarize: %+v", s)
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		max  float64
		want []float64
	}{
		{0, []float64{0, 1}},
		{1, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{7.3, []float64{0, 2, 4, 6, 8}},
		{50, []float64{0, 10, 20, 30, 40, 50}},
		{163, []float64{0, 50, 100, 150, 200}},
	} {
		got := niceTicks(c.max)
		if len(got) != len(c.want) {
			t.Errorf("niceTicks(%v) = %v, want %v", c.max, got, c.want)
			continue
		}
		for i := range got {
			if d := got[i] - c.want[i]; d > 1e-9 || d < -1e-9 {
				t.Errorf("niceTicks(%v) = %v, want %v", c.max, got, c.want)
				break
			}
		}
	}
	if got := formatTick(0.30000000000000004); got != "0.3" {
		t.Errorf("formatTick: %q", got)
	}
	if got := formatTick(150); got != "150" {
		t.Errorf("formatTick: %q", got)
	}
}

func TestGlyphs(t *testing.T) {
	for r, g := range glyphs {
		for _, row := range g {
			if len(row) != 5 || strings.Trim(row, ".#") != "" {
				t.Errorf("glyph %q has a bad row %q", r, row)
			}
		}
	}
	for _, r := range "0123456789abcdefghijklmnopqrstuvwxyz .,:-+=/()%_<>?" {
		if _, ok := glyphs[r]; !ok {
			t.Errorf("no glyph for %q", r)
		}
	}
}

func sampleResults() *results {
	run := func(wall time.Duration, calls int) tfRun {
		return tfRun{Wall: wall, Counts: map[string]int{"sts:GetCallerIdentity": 1, "iam:GetRole": calls}}
	}
	tf := func(n int, seconds float64) tfResult {
		scale := time.Duration(seconds * float64(time.Second))
		return tfResult{Gates: n, Runs: map[string][]tfRun{
			"create":  {run(scale, 25*n), run(scale+time.Millisecond, 25*n)},
			"refresh": {run(scale/2, 19*n)},
			"update":  {run(scale/2, 54*n)},
			"destroy": {run(scale/2, 34*n)},
		}}
	}
	return &results{
		Command: "bench", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Took: time.Minute,
		Machine: machine{NProc: 2, GoVersion: "go1.26", Kumo: "github.com/sivchari/kumo v0.33.1", Terraform: "Terraform v1.11.4"},
		Opts:    options{parallelism: 10, loadN: 1000, clients: 50, note: "two other suites running"},
		Approval: &approvalResult{
			Notify:  latency{N: 200, P50: 2 * time.Millisecond, P95: 4 * time.Millisecond, P99: 60 * time.Millisecond},
			Resume:  latency{N: 200, P50: 5 * time.Millisecond, P95: 8 * time.Millisecond, P99: 9 * time.Millisecond},
			PollRTT: 300 * time.Microsecond, PollInterval: time.Millisecond,
			Page: latency{N: 200, P50: 2 * time.Millisecond}, Answer: latency{N: 200, P50: 4 * time.Millisecond},
			ColdNotifier: map[string]int{"ssm:GetParameters": 1, "states:SendTaskHeartbeat": 1, "dynamodb:PutItem": 1, "sns:ListSubscriptionsByTopic": 1},
			ColdPage:     map[string]int{"ssm:GetParameters": 1, "dynamodb:GetItem": 1},
			ColdDecision: map[string]int{"dynamodb:GetItem": 1, "dynamodb:UpdateItem": 2, "states:SendTaskSuccess": 1},
			Notifier:     map[string]int{"states:SendTaskHeartbeat": 1, "dynamodb:PutItem": 1},
			PageCalls:    map[string]int{"dynamodb:GetItem": 1},
			Decision:     map[string]int{"dynamodb:GetItem": 1, "dynamodb:UpdateItem": 2, "states:SendTaskSuccess": 1},
			WarmTotal:    map[string]int{"states:SendTaskHeartbeat": 2, "dynamodb:PutItem": 2, "dynamodb:GetItem": 4, "dynamodb:UpdateItem": 4, "states:SendTaskSuccess": 2},
			WarmRuns:     2, ItemBytes: 700, FinalItemBytes: 900, TokenBytes: 100,
			Breakdown: breakdown{Total: 4 * time.Millisecond, DynamoDB: time.Millisecond, StepFunctions: time.Millisecond, Handler: 2 * time.Millisecond, Calls: 4},
		},
		SlackApp: &slackAppResult{Decisions: 3, Update: latency{N: 3, P50: 8 * time.Millisecond, P99: 20 * time.Millisecond},
			Notifier:  map[string]int{"states:SendTaskHeartbeat": 1, "dynamodb:PutItem": 1, "dynamodb:UpdateItem": 1},
			Callback:  map[string]int{"lambda:Invoke": 1, "dynamodb:GetItem": 1, "dynamodb:UpdateItem": 2, "states:SendTaskSuccess": 1},
			Breakdown: breakdown{Total: 8 * time.Millisecond, DynamoDB: time.Millisecond, StepFunctions: time.Millisecond, HandOver: time.Millisecond, SlackUpdate: time.Millisecond, Handler: 4 * time.Millisecond, Calls: 5}},
		Sweep: &sweepResult{Runs: 3, Took: latency{N: 3, P50: 3 * time.Millisecond}, Calls: map[string]int{"dynamodb:Query": 2}, LogBytes: 200},
		SweepScale: &sweepScaleResult{Rounds: 3, ColdCalls: map[string]int{"ssm:GetParameters": 1, "dynamodb:Query": 2, "dynamodb:GetItem": 1, "dynamodb:UpdateItem": 1}, Runs: []sweepScaleRun{
			sweepRun(10, 1, 4*time.Millisecond),
			sweepRun(1000, 50, 60*time.Millisecond),
		}},
		Terraform: []tfResult{tf(1, 1), tf(10, 3), tf(50, 12)},
		Baseline:  &baselineResult{Naive: []time.Duration{3, 4, 5}, Manager: []time.Duration{1, 2, 3}, NaiveCalls: 25, ManagerCalls: 25},
		Lambda:    &lambdaResult{ZipBytes: map[string]int{"arm64": 5_600_000, "x86_64": 6_300_000}, ColdStarts: []time.Duration{6 * time.Millisecond, 7 * time.Millisecond}},
		Load:      &loadResult{Executions: 1000, Clients: 50, Throughput: 400, Succeeded: 1000, SendTaskSuccess: 1000, PeakRSSKiB: 30000, RSSReset: true},
		SSO: &ssoResult{
			Decisions: 11,
			SignIn:    latency{N: 11, P50: 20 * time.Millisecond, P95: 30 * time.Millisecond, P99: 200 * time.Millisecond},
			Page:      latency{N: 11, P50: 4 * time.Millisecond, P95: 5 * time.Millisecond, P99: 6 * time.Millisecond},
			Resume:    latency{N: 11, P50: 9 * time.Millisecond, P95: 10 * time.Millisecond, P99: 11 * time.Millisecond},
			First:     map[string]int{idpDiscovery: 1, idpJWKS: 1, idpToken: 1, idpAuthorize: 1},
			Warm:      map[string]int{idpToken: 10, idpAuthorize: 10},
		},
	}
}

// sweepRun is a sweep over pending requests whose reads are the due ones'.
func sweepRun(pending, due int, wall time.Duration) sweepScaleRun {
	late := make([]time.Duration, 3*due)
	for i := range late {
		late[i] = wall * time.Duration(i+1) / time.Duration(len(late))
	}
	return sweepScaleRun{
		Pending: pending, Due: due, Took: latency{N: 3, P50: wall, Max: wall + time.Millisecond},
		Calls:    map[string]int{"dynamodb:Query": 2, "dynamodb:GetItem": due, "dynamodb:UpdateItem": due},
		Last:     acctest.TickResult{Due: due, Reminded: due},
		Received: due, Late: late,
	}
}

// The sweep's reads must follow the due requests, not the pending ones: a
// GetItem per pending request, or a Query page more than the due ones
// fill, misses; so does a sweep that stopped for time.
func TestSweepScaleRows(t *testing.T) {
	rowsOf := func(r *results) map[string]row {
		got := map[string]row{}
		for _, x := range r.rows() {
			if x.Section == "sweep" {
				got[x.Figure] = x
			}
		}
		return got
	}
	got := rowsOf(sampleResults())
	for figure, want := range map[string]string{
		"sweep over 10 pending (1 due): AWS calls":                                                           "met",
		"sweep over 1000 pending (50 due): AWS calls":                                                        "met",
		"sweep over 1000 pending (50 due): wall time, median / max":                                          "met",
		"reads bounded by the due requests, not the pending":                                                 "met",
		"reminder lateness, the handler's part (tick → reminder received), p50 / p99, 1000 pending (50 due)": "met",
	} {
		if got[figure].Verdict != want {
			t.Errorf("%s: verdict %q, want %q (%+v)", figure, got[figure].Verdict, want, got[figure])
		}
	}
	if m := got["sweep over 1000 pending (50 due): AWS calls"].Measured; m != "102 (dynamodb:GetItem 50, dynamodb:Query 2, dynamodb:UpdateItem 50)" {
		t.Errorf("calls: %q", m)
	}

	for name, spoil := range map[string]func(*sweepScaleRun){
		"a read per pending request": func(x *sweepScaleRun) { x.Calls["dynamodb:GetItem"] = x.Pending },
		"every page of the index":    func(x *sweepScaleRun) { x.Calls["dynamodb:Query"] = x.Pending / sweepPageSize },
	} {
		r := sampleResults()
		spoil(&r.SweepScale.Runs[1])
		got := rowsOf(r)
		if v := got["reads bounded by the due requests, not the pending"].Verdict; v != "MISSED" {
			t.Errorf("%s: bounded %q", name, v)
		}
		if v := got["sweep over 1000 pending (50 due): AWS calls"].Verdict; v != "MISSED" {
			t.Errorf("%s: calls %q", name, v)
		}
	}
	r := sampleResults()
	r.SweepScale.Runs[1].Last.More = true
	if v := rowsOf(r)["sweep over 1000 pending (50 due): wall time, median / max"].Verdict; v != "MISSED" {
		t.Errorf("more=true: %q", v)
	}
	r = sampleResults()
	r.SweepScale.Runs[1].Late[0] = 2 * time.Second
	r.SweepScale.Runs[1].Late[1] = 2 * time.Second
	if v := rowsOf(r)["reminder lateness, the handler's part (tick → reminder received), p50 / p99, 1000 pending (50 due)"].Verdict; v != "MISSED" {
		t.Errorf("late: %q", v)
	}
	// Past 1,000 pending the bound is the sweep's own time: 500 due are
	// handled 8 at once.
	r.SweepScale.Runs = append(r.SweepScale.Runs, sweepRun(10000, 500, 2*time.Second))
	if x := rowsOf(r)["reminder lateness, the handler's part (tick → reminder received), p50 / p99, 10000 pending (500 due)"]; x.Verdict != "met" || !strings.Contains(x.How, "8 requests at once") {
		t.Errorf("late at 10,000: %+v", x)
	}
	if !strings.Contains(r.markdown("x.png"), "**Sweep at scale:**") {
		t.Error("no method of the sweep at scale")
	}
	if _, ok := r.sweepChart(); !ok {
		t.Error("no sweep panel")
	}
}

// The IdP round trips per session: the code exchange alone; a JWKS or
// discovery fetch per sign-in, or a second token request, misses.
func TestSSORows(t *testing.T) {
	for _, c := range []struct {
		name        string
		warm, first map[string]int
		perSession  string
		want, wantF string
	}{
		{"one exchange", map[string]int{idpToken: 10, idpAuthorize: 10}, map[string]int{idpDiscovery: 1, idpJWKS: 1, idpToken: 1}, "1.00", "met", "met"},
		{"jwks every time", map[string]int{idpToken: 10, idpJWKS: 10}, map[string]int{idpDiscovery: 1, idpJWKS: 1, idpToken: 1}, "1.00", "MISSED", "met"},
		{"two token requests", map[string]int{idpToken: 20}, map[string]int{idpDiscovery: 1, idpJWKS: 1, idpToken: 2}, "2.00", "MISSED", "MISSED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := sampleResults()
			r.SSO.Warm, r.SSO.First = c.warm, c.first
			got := map[string]row{}
			for _, x := range r.rows() {
				got[x.Figure] = x
			}
			if x := got["IdP round trips per session (callback warm)"]; x.Measured != c.perSession || x.Verdict != c.want || x.Target != "1" {
				t.Errorf("per session: %+v, want %s %s", x, c.perSession, c.want)
			}
			if x := got["IdP round trips of the first sign-in (callback cold)"]; x.Verdict != c.wantF {
				t.Errorf("first sign-in: %+v, want %s", x, c.wantF)
			}
		})
	}
	r := sampleResults()
	got := map[string]row{}
	for _, x := range r.rows() {
		got[x.Figure] = x
	}
	for figure, want := range map[string]string{
		"sign-in (link GET → IdP → /auth/callback → confirm page), p50": "met",
		"sign-in (link GET → IdP → /auth/callback → confirm page), p99": "MISSED",
		"POST decision with the session → execution resumed, p99":       "met",
		"latency the sign-in adds to a link, p50":                       "",
	} {
		if got[figure].Verdict != want {
			t.Errorf("%s: verdict %q, want %q", figure, got[figure].Verdict, want)
		}
	}
	if m := got["latency the sign-in adds to a link, p50"].Measured; m != "16.0 ms" {
		t.Errorf("added latency: %q", m)
	}
}

func TestRows(t *testing.T) {
	r := sampleResults()
	got := map[string]row{}
	for _, x := range r.rows() {
		got[x.Figure] = x
	}
	for figure, want := range map[string]string{
		"StartExecution → Slack message received, p50": "met",
		"StartExecution → Slack message received, p99": "MISSED",
		"POST decision → execution resumed, p99":       "met",
		"create, 1 gate(s): wall time":                 "met",
		"refresh, 50 gate(s): AWS calls":               "met",
		"create, 50 gate(s): wall time":                "met",
		"bundle zip, x86_64":                           "MISSED",
		"bundle zip, arm64":                            "met",
		"naive / Manager.Create":                       "met",
		"states:SendTaskSuccess calls (proxy)":         "met",
		// 54 reads an update, 19 a refresh: 35 besides them, over 5.
		"update, 10 gate(s): calls besides the refresh and the writes": "MISSED",
	} {
		if got[figure].Verdict != want {
			t.Errorf("%s: verdict %q, want %q (%+v)", figure, got[figure].Verdict, want, got[figure])
		}
	}
	// The provider's sts:GetCallerIdentity is not a per-gate call.
	if m := got["refresh, 10 gate(s): AWS calls"].Measured; m != "190 (19.0 per gate)" {
		t.Errorf("refresh calls: %q", m)
	}
	if m := got["update, 10 gate(s): calls besides the refresh and the writes"].Measured; m != "35.0 per gate (refresh 19.0, writes 0.0 per gate)" {
		t.Errorf("update calls besides the refresh: %q", m)
	}
	// Medians of the runs.
	if m := got["create, 1 gate(s): wall time"].Measured; m != "1.00 s" {
		t.Errorf("create wall: %q", m)
	}
	if m := got["naive / Manager.Create"].Measured; m != "2.00×" {
		t.Errorf("ratio: %q", m)
	}
}

func TestMarkdownAndPlot(t *testing.T) {
	r := sampleResults()
	md := r.markdown("docs/bench.png")
	for _, want := range []string{"# Benchmarks", "2 CPU(s)", "kumo github.com/sivchari/kumo v0.33.1", "Terraform v1.11.4", "![", "| approval path |", "MISSED", "Noise", "`iam:GetRole` 19", "**refresh:**", "| single sign-on |", "**Single sign-on:**", "**While measured:** two other suites running", "| lean handlers |", "## Cost per approval", "| links by e-mail |", "| cost | idle gate per month, with the sweep schedule |", "where the time goes", "https://aws.amazon.com/lambda/pricing/", "| slack app | click → message updated", "**Slack app:**"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(r.table(), "\n\n") {
		t.Error("the table has empty lines")
	}
	var buf bytes.Buffer
	if err := plotPNG(&buf, r.charts(), 300, 200); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// Panels in rows of plotCols.
	n := len(r.charts())
	if b := img.Bounds(); b.Dx() != 300*plotCols || b.Dy() != 200*((n+plotCols-1)/plotCols) {
		t.Errorf("plot of %d panels is %v", n, b)
	}
	for _, title := range []string{"where the money goes", "where the time goes", "terraform time per gate"} {
		found := false
		for _, c := range r.charts() {
			found = found || c.Title == title
		}
		if !found {
			t.Errorf("no panel %q", title)
		}
	}
}

func TestParse(t *testing.T) {
	if got, err := parseInts("1, 10,50"); err != nil || len(got) != 3 || got[2] != 50 {
		t.Errorf("parseInts: %v %v", got, err)
	}
	if _, err := parseInts("1,x"); err == nil {
		t.Error("parseInts accepted x")
	}
	if got, err := parseRuns("1:3,50:1"); err != nil || got[1] != 3 || got[50] != 1 {
		t.Errorf("parseRuns: %v %v", got, err)
	}
	if _, err := parseRuns("1-3"); err == nil {
		t.Error("parseRuns accepted 1-3")
	}
}

func TestForEach(t *testing.T) {
	seen := make([]int, 100)
	if err := forEach(t.Context(), 100, 7, func(_ context.Context, i int) error { seen[i]++; return nil }); err != nil {
		t.Fatal(err)
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("item %d ran %d times", i, n)
		}
	}
}

// TestSlowestGrowth names the API operation whose answering time per gate
// grew most, and none when nothing grew.
func TestSlowestGrowth(t *testing.T) {
	t.Parallel()
	run := func(ops map[string]time.Duration) map[string][]tfRun {
		return map[string][]tfRun{"create": {{OpTime: ops}}}
	}
	r := &results{Terraform: []tfResult{
		{Gates: 10, Runs: run(map[string]time.Duration{"lambda:AddPermission": 240 * time.Millisecond, "iam:CreateRole": 100 * time.Millisecond})},
		{Gates: 200, Runs: run(map[string]time.Duration{"lambda:AddPermission": 15 * time.Second, "iam:CreateRole": 2 * time.Second})},
	}}
	if name, a, b := r.slowestGrowth(10, 200, "create"); name != "lambda:AddPermission" || a != 24*time.Millisecond || b != 75*time.Millisecond {
		t.Errorf("slowest growth %s %s→%s, want lambda:AddPermission 24ms→75ms", name, a, b)
	}
	r.Terraform[1].Runs = run(map[string]time.Duration{"lambda:AddPermission": time.Second, "iam:CreateRole": time.Second})
	if name, _, _ := r.slowestGrowth(10, 200, "create"); name != "" {
		t.Errorf("nothing grew, got %s", name)
	}
}
