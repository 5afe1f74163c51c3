package main

import (
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12+1e-9*math.Abs(b) }

// Lambda bills duration rounded up to 1 ms (AWS Lambda pricing).
func TestBilledDuration(t *testing.T) {
	for _, c := range []struct{ in, want time.Duration }{
		{0, time.Millisecond}, {time.Microsecond, time.Millisecond}, {time.Millisecond, time.Millisecond},
		{1001 * time.Microsecond, 2 * time.Millisecond}, {37*time.Millisecond + 1, 38 * time.Millisecond},
	} {
		if got := billedDuration(c.in); got != c.want {
			t.Errorf("billedDuration(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// DynamoDB on-demand: a write unit per 1 KB, a read unit per 4 KB
// (strongly consistent), item sizes rounded up.
func TestRequestUnits(t *testing.T) {
	for _, c := range []struct {
		bytes    int
		wru, rru float64
	}{{0, 1, 1}, {1, 1, 1}, {1024, 1, 1}, {1025, 2, 1}, {4096, 4, 1}, {4097, 5, 2}} {
		if w, r := writeUnits(c.bytes), readUnits(c.bytes); w != c.wru || r != c.rru {
			t.Errorf("%d B: %v WRU %v RRU, want %v and %v", c.bytes, w, r, c.wru, c.rru)
		}
	}
	// Decision: one GetItem, the vote (table + index delete and put), the
	// final status (table + index delete) of an 1,100-byte item.
	rru, wru := ddbUnits(map[string]int{"dynamodb:GetItem": 1, "dynamodb:UpdateItem": 2}, 1100, 1100, true)
	if rru != 1 || wru != 2+4+2+2 {
		t.Errorf("decision: %v RRU %v WRU, want 1 and 10", rru, wru)
	}
	// A new request: table + index.
	if _, wru := ddbUnits(map[string]int{"dynamodb:PutItem": 1}, 900, 900, false); wru != 2 {
		t.Errorf("put: %v WRU, want 2", wru)
	}
}

// Item sizes per the DynamoDB developer guide: names plus values.
func TestItemBytes(t *testing.T) {
	item := map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "abc"},                                                                           // 2 + 3
		"version": &types.AttributeValueMemberN{Value: "12345"},                                                                         // 7 + 4
		"ok":      &types.AttributeValueMemberBOOL{Value: true},                                                                         // 2 + 1
		"m":       &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: "vv"}}}, // 1 + 3 + 1+1+2
	}
	if got := itemBytes(item); got != 5+11+3+8 {
		t.Errorf("itemBytes = %d, want 27", got)
	}
}

// The bill multiplies usage by the table; categories sum to the total.
func TestBill(t *testing.T) {
	p := prices{LambdaRequest: 1, LambdaGBSecondARM: 1000, DynamoDBWRU: 10, DynamoDBRRU: 100, HTTPAPIRequest: 1e4, SNSRequest: 1e5, SNSEmail: 1e6, SFNTransition: 1e7}
	u := usage{
		Lambda: []lambdaFn{{Invocations: 2, Billed: 500 * time.Millisecond, MemoryMB: 1024, ARM: true}},
		WRU:    3, RRU: 1, APIRequests: 1, SNSRequests: 1, Emails: 1, Transitions: 1,
	}
	b := u.bill(p)
	want := map[string]float64{"lambda requests": 2, "lambda compute": 2 * 0.5 * 1 * 1000, "dynamodb": 130, "api gateway": 1e4, "sns": 1e5 + 1e6, "step functions": 1e7}
	for _, i := range b {
		if !near(i.Dollars, want[i.What]) {
			t.Errorf("%s: %v, want %v", i.What, i.Dollars, want[i.What])
		}
	}
	if !near(total(b), 2+1000+130+1e4+1.1e6+1e7) {
		t.Errorf("total %v", total(b))
	}
}

// An idle gate without the schedule costs nothing; with it, 43,200
// invocations a month and two empty Queries each.
func TestIdle(t *testing.T) {
	in := costInputs{MemoryMB: 128, ARM: true, SweepDur: 3 * time.Millisecond}
	if got := total(in.idle(false).bill(awsPrices)); got != 0 {
		t.Errorf("idle without sweep: %v", got)
	}
	u := in.idle(true)
	if u.Lambda[0].Invocations != 43200 || u.RRU != 43200 {
		t.Errorf("sweep month: %+v", u)
	}
	want := 43200*awsPrices.LambdaRequest + 43200*0.003*0.125*awsPrices.LambdaGBSecondARM + 43200*awsPrices.DynamoDBRRU
	if got := total(u.bill(awsPrices)); !near(got, want) {
		t.Errorf("idle with sweep: %v, want %v", got, want)
	}
}

// The price table is dated and sourced, and every price is set.
func TestPriceTable(t *testing.T) {
	if _, err := time.Parse("2006-01-02", pricesDate); err != nil {
		t.Errorf("pricesDate %q: %v", pricesDate, err)
	}
	if len(sourcesOfPrices) < 9 {
		t.Errorf("sources: %v", sourcesOfPrices)
	}
	p := awsPrices
	for name, v := range map[string]float64{"lambda": p.LambdaRequest, "gbs": p.LambdaGBSecondARM, "wru": p.DynamoDBWRU, "rru": p.DynamoDBRRU, "api": p.HTTPAPIRequest,
		"sns": p.SNSRequest, "email": p.SNSEmail, "sfn": p.SFNTransition, "events": p.EventBridgeEvent, "kms": p.KMSRequest, "logs": p.LogsIngestedGB} {
		if v <= 0 {
			t.Errorf("price %s unset", name)
		}
	}
}

// The lean-handler and cost rows judge the counts: a decision with a
// third write, or a warm notifier reading SSM, misses.
func TestCallAndCostRows(t *testing.T) {
	r := sampleResults()
	rows := func() map[string]row {
		m := map[string]row{}
		for _, x := range r.rows() {
			m[x.Figure] = x
		}
		return m
	}
	got := rows()
	for _, f := range []string{"decision, warm: AWS calls", "notifier, warm: AWS calls", "per approval: links by e-mail", "AWS calls per approval, warm", "idle gate per month, no sweep schedule", "idle gate per month, with the sweep schedule", "extra AWS calls of a cold start (both functions)"} {
		if got[f].Verdict != "met" {
			t.Errorf("%s: %+v", f, got[f])
		}
	}
	if v := got["median decision (POST sent → answered)"].Verdict; v != "met" {
		t.Errorf("the decision's own time (2 ms): %q", v)
	}
	r.Approval.Breakdown.Handler = targetHandlerTime + time.Millisecond
	if v := rows()["median decision (POST sent → answered)"].Verdict; v != "MISSED" {
		t.Errorf("the decision's own time over %s: %q", targetHandlerTime, v)
	}
	r.Approval.Decision = map[string]int{"dynamodb:GetItem": 2, "dynamodb:UpdateItem": 3, "states:SendTaskSuccess": 1}
	r.Approval.Notifier = map[string]int{"ssm:GetParameters": 1, "dynamodb:PutItem": 1}
	got = rows()
	for _, f := range []string{"decision, warm: AWS calls", "notifier, warm: AWS calls"} {
		if got[f].Verdict != "MISSED" {
			t.Errorf("%s: %+v, want MISSED", f, got[f])
		}
	}
}

// busy is the union of the calls' intervals: overlapping calls count once.
func TestBusy(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms, took int) acctest.Timed {
		return acctest.Timed{Start: t0.Add(time.Duration(ms) * time.Millisecond), Took: time.Duration(took) * time.Millisecond}
	}
	// [0,10) ∪ [5,12) ∪ [20,25) ∪ [21,22) = 12 + 5 ms, given out of order.
	if got := busy([]acctest.Timed{at(20, 5), at(0, 10), at(21, 1), at(5, 7)}); got != 17*time.Millisecond {
		t.Errorf("busy = %v, want 17ms", got)
	}
	if busy(nil) != 0 {
		t.Error("no calls: not busy")
	}
}
