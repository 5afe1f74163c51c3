package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The cost model: what AWS bills for one approval, counted from the calls
// the bench saw the handlers make and the sizes of the items they wrote,
// multiplied by the dated price table (prices.go).

// Billing rules the model applies (AWS pricing pages and developer guides).
const (
	// DynamoDB on-demand: a write request unit per 1 KB written, a read
	// request unit per 4 KB read strongly consistent (half for eventually
	// consistent reads: a GSI Query always is), sizes rounded up per item.
	ddbWriteUnitBytes = 1024
	ddbReadUnitBytes  = 4096
	// awsTaskTokenBytes is the length the model assumes for an AWS task
	// token. kumo's tokens are shorter; AWS's are opaque strings of up to
	// 2,048 characters (SendTaskSuccess taskToken), often near 1,000.
	awsTaskTokenBytes = 1024
	// Lambda bills duration rounded up to the next millisecond.
	lambdaBillingStep = time.Millisecond
	// sweepRunsPerMonth: the schedule fires every minute, 30 days.
	sweepRunsPerMonth = 60 * 24 * 30
	// sweepQueriesPerRun: one status-due index Query per status the sweep
	// looks at (deciding, pending), one page each when nothing is due.
	sweepQueriesPerRun = 2
	// emailRecipients modelled per approval request.
	emailRecipients = 1
	// remindersModelled: the "with reminders" setup sends this many.
	remindersModelled = 2
)

// lambdaFn is one function's invocations in a usage.
type lambdaFn struct {
	Name        string
	Invocations float64
	Billed      time.Duration // per invocation, rounded up to 1 ms
	MemoryMB    int
	ARM         bool
}

// usage is what AWS bills for something: one approval, or a gate's month.
type usage struct {
	Lambda      []lambdaFn
	RRU, WRU    float64
	APIRequests float64
	SNSRequests float64 // publishes (and other SNS API requests)
	Emails      float64 // e-mail deliveries
	Transitions float64 // Step Functions state transitions (Standard)
	Events      float64 // EventBridge custom events (PutEvents)
	SSMCalls    float64 // standard parameters: free
	KMSRequests float64
	LogBytes    float64 // CloudWatch Logs ingested
	Notes       []string
}

// costItem is one line of where the money goes.
type costItem struct {
	What    string
	Dollars float64
}

// costCategories are the lines of a bill, in plot order.
var costCategories = []string{"step functions", "sns", "lambda requests", "lambda compute", "api gateway", "dynamodb", "cloudwatch logs", "kms", "eventbridge", "ssm"}

// bill prices u by p, one line per category (costCategories order).
func (u usage) bill(p prices) []costItem {
	var req, comp float64
	for _, f := range u.Lambda {
		req += f.Invocations * p.LambdaRequest
		gbs := p.LambdaGBSecondX86
		if f.ARM {
			gbs = p.LambdaGBSecondARM
		}
		comp += f.Invocations * billedDuration(f.Billed).Seconds() * float64(f.MemoryMB) / 1024 * gbs
	}
	by := map[string]float64{
		"step functions":  u.Transitions * p.SFNTransition,
		"sns":             u.SNSRequests*p.SNSRequest + u.Emails*p.SNSEmail,
		"lambda requests": req,
		"lambda compute":  comp,
		"api gateway":     u.APIRequests * p.HTTPAPIRequest,
		"dynamodb":        u.RRU*p.DynamoDBRRU + u.WRU*p.DynamoDBWRU,
		"cloudwatch logs": u.LogBytes / 1e9 * p.LogsIngestedGB,
		"kms":             u.KMSRequests * p.KMSRequest,
		"eventbridge":     u.Events * p.EventBridgeEvent,
		"ssm":             u.SSMCalls * p.SSMStandardCall,
	}
	out := make([]costItem, 0, len(costCategories))
	for _, c := range costCategories {
		out = append(out, costItem{c, by[c]})
	}
	return out
}

func total(items []costItem) float64 {
	s := 0.0
	for _, i := range items {
		s += i.Dollars
	}
	return s
}

// billedDuration rounds d up to Lambda's billing step (1 ms), at least 1 ms.
func billedDuration(d time.Duration) time.Duration {
	if d <= 0 {
		return lambdaBillingStep
	}
	return time.Duration(math.Ceil(float64(d)/float64(lambdaBillingStep))) * lambdaBillingStep
}

// writeUnits is the WRU of writing an item of n bytes (1 KB each, rounded up).
func writeUnits(n int) float64 { return math.Ceil(float64(max(n, 1)) / ddbWriteUnitBytes) }

// readUnits is the RRU of a strongly consistent read of an item of n bytes.
func readUnits(n int) float64 { return math.Ceil(float64(max(n, 1)) / ddbReadUnitBytes) }

// itemBytes is the size DynamoDB bills for an item: each attribute's name
// plus its value (DynamoDB developer guide, "Item sizes and formats": a
// string its UTF-8 bytes, a number about one byte per two digits plus one,
// a map or list 3 bytes plus its elements plus one byte each).
func itemBytes(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueBytes(v)
	}
	return n
}

func valueBytes(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		digits := len(strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(v.Value), "0"))
		return (digits+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueBytes(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueBytes(e)
		}
		return n
	}
	return 0
}

// costInputs are the measured figures the model starts from.
type costInputs struct {
	// Warm calls per invocation, by operation, measured through the proxy.
	Notifier, Page, Decision map[string]int
	// Cold start: the extra calls of a process's first invocation.
	ColdNotifier, ColdCallback map[string]int
	// ItemBytes is a request's item as AWS would store it (the token at
	// awsTaskTokenBytes), pending and final.
	ItemBytes, FinalItemBytes int
	// Billed durations per invocation, measured on kumo (medians).
	NotifierDur, PageDur, DecisionDur, SweepDur time.Duration
	// LogBytes per invocation, measured from the handlers' output.
	NotifierLog, CallbackLog, SweepLog float64
	// The Slack app, when measured: warm calls of the notifier and of the
	// callback over a click (acknowledgement and hand-over), and the median
	// click → update.
	AppNotifier, AppCallback map[string]int
	AppDur                   time.Duration
	// ReminderCalls are the warm calls of a sweep that sent Reminders
	// reminders (the sweep at scale, sweepscale.go); nil: not measured.
	ReminderCalls map[string]int
	Reminders     int
	SecureParams  int // SecureString parameters of the gate (KMS Decrypts per cold start)
	MemoryMB      int
	ARM           bool
}

// setup is one way a gate is used, priced per approval.
type setup struct {
	Name  string
	Usage usage
	Bill  []costItem
}

// ddbUnits prices the DynamoDB calls of counts on the gate's table, whose
// status-due index projects every attribute (each table write that touches
// an indexed item also writes the index; changing its key is a delete and
// a put): PutItem of a new request (table + index), UpdateItems of a
// decision (the vote moves the key: 2 index writes; the final status drops
// the item from the index: 1), strongly consistent GetItems.
func ddbUnits(counts map[string]int, item, final int, decision bool) (rru, wru float64) {
	w, wf := writeUnits(item), writeUnits(max(item, final))
	rru = float64(counts["dynamodb:GetItem"]) * readUnits(max(item, final))
	wru = float64(counts["dynamodb:PutItem"]) * 2 * w
	if u := counts["dynamodb:UpdateItem"]; u > 0 {
		if decision {
			wru += wf + 2*wf // the vote: table, index delete + put
			wru += float64(u-1) * (wf + wf)
		} else {
			wru += float64(u) * 2 * w // a non-key change of an indexed item: table + index
		}
	}
	return rru, wru
}

func (in costInputs) fn(name string, n float64, d time.Duration) lambdaFn {
	return lambdaFn{Name: name, Invocations: n, Billed: billedDuration(d), MemoryMB: in.MemoryMB, ARM: in.ARM}
}

// setups prices one approval (one request, one approver) per setup, warm
// handlers. Cold starts are priced apart (coldStart).
func (in costInputs) setups(p prices) []setup {
	base := func() usage {
		var u usage
		rn, wn := ddbUnits(in.Notifier, in.ItemBytes, in.FinalItemBytes, false)
		rp, wp := ddbUnits(in.Page, in.ItemBytes, in.FinalItemBytes, false)
		rd, wd := ddbUnits(in.Decision, in.ItemBytes, in.FinalItemBytes, true)
		u.RRU, u.WRU = rn+rp+rd, wn+wp+wd
		// The gate's Task state: one transition of the caller's workflow.
		u.Transitions = 1
		u.SSMCalls = float64(countOps(in.Notifier, "ssm:") + countOps(in.Page, "ssm:") + countOps(in.Decision, "ssm:"))
		return u
	}
	var out []setup
	add := func(name string, u usage) { out = append(out, setup{name, u, u.bill(p)}) }

	// Links by e-mail: the notifier publishes to the topic (one e-mail per
	// recipient); the approver opens the link (confirm page) and confirms.
	email := base()
	email.Lambda = []lambdaFn{in.fn("notifier", 1, in.NotifierDur), in.fn("callback", 2, (in.PageDur+in.DecisionDur)/2)}
	email.APIRequests = 2
	email.SNSRequests, email.Emails = 1, emailRecipients
	email.LogBytes = in.NotifierLog + 2*in.CallbackLog
	add("links by e-mail", email)

	// Slack app: chat.postMessage (Slack bills nothing), the message's
	// place remembered (one UpdateItem), a click acknowledged and handed
	// over (lambda:Invoke, Event), the vote, chat.update.
	sa := base()
	rp, wp := ddbUnits(in.Page, in.ItemBytes, in.FinalItemBytes, false)
	sa.RRU -= rp
	sa.WRU -= wp
	sa.WRU += 2 * writeUnits(in.ItemBytes) // setSlackMessage: table + index
	sa.Lambda = []lambdaFn{in.fn("notifier", 1, in.NotifierDur), in.fn("callback ack", 1, in.PageDur), in.fn("callback vote", 1, in.DecisionDur)}
	sa.APIRequests = 1
	sa.LogBytes = in.NotifierLog + 2*in.CallbackLog
	sa.Notes = append(sa.Notes, "modelled from the code path: one more UpdateItem (the message's place), one more invocation (the hand-over) instead of the confirm page")
	if in.AppNotifier != nil {
		// Measured: the calls the proxy counted on the Slack app gate.
		rn, wn := ddbUnits(in.AppNotifier, in.ItemBytes, in.FinalItemBytes, false)
		rc, wc := ddbUnits(in.AppCallback, in.ItemBytes, in.FinalItemBytes, true)
		sa.RRU, sa.WRU = rn+rc, wn+wc
		sa.Lambda = []lambdaFn{in.fn("notifier", 1, in.NotifierDur), in.fn("callback ack and vote", 1+float64(in.AppCallback["lambda:Invoke"]), in.AppDur)}
		sa.Notes = []string{"calls measured on the Slack app gate; each callback invocation billed the median click → update (an upper bound)"}
	}
	add("slack app", sa)

	// Single sign-on in front of the e-mail links: two more callback
	// invocations and API requests (the redirect to the IdP, /auth/callback).
	sso := email
	sso.Lambda = []lambdaFn{in.fn("notifier", 1, in.NotifierDur), in.fn("callback", 4, (3*in.PageDur+in.DecisionDur)/4)}
	sso.APIRequests = 4
	sso.LogBytes = in.NotifierLog + 4*in.CallbackLog
	sso.Notes = []string{"the sign-in's two extra invocations priced like the confirm page"}
	add("single sign-on", sso)

	// Reminders by e-mail: each one a share of the sweep's Query page, a
	// GetItem, a conditional UpdateItem (due_at moves: index delete + put)
	// and a publish with its e-mail. The sweep runs anyway (idle cost).
	rem := email
	w := writeUnits(in.ItemBytes)
	gets, updates, publishes := 1.0, 1.0, 1.0
	rem.Notes = []string{fmt.Sprintf("modelled: %d reminders from the sweep's call counts per reminder (Query page share, GetItem, conditional UpdateItem, one publish)", remindersModelled)}
	if n := float64(in.Reminders); n > 0 {
		gets = float64(in.ReminderCalls["dynamodb:GetItem"]) / n
		updates = float64(in.ReminderCalls["dynamodb:UpdateItem"]) / n
		publishes = float64(in.ReminderCalls["sns:Publish"]) / n
		rem.Notes = []string{fmt.Sprintf("%d reminders at the calls per reminder measured by the sweep at scale (%d reminders in one sweep: %s)", remindersModelled, in.Reminders, callList(in.ReminderCalls))}
	}
	rem.RRU += remindersModelled * (float64(in.ItemBytes)/ddbReadUnitBytes/2 + gets*readUnits(in.ItemBytes))
	rem.WRU += remindersModelled * updates * 3 * w
	rem.SNSRequests += remindersModelled * publishes
	rem.Emails += remindersModelled * publishes * emailRecipients
	rem.LogBytes += remindersModelled * in.SweepLog
	add(fmt.Sprintf("e-mail + %d reminders", remindersModelled), rem)
	return out
}

// coldStart prices a cold start: the parameters read once (SSM standard:
// free) with one KMS Decrypt per SecureString, and the first SNS
// subscription check, for each function.
func (in costInputs) coldStart() usage {
	var u usage
	u.SSMCalls = float64(countOps(in.ColdNotifier, "ssm:") + countOps(in.ColdCallback, "ssm:"))
	u.KMSRequests = float64(2 * in.SecureParams)
	u.SNSRequests = float64(in.ColdNotifier["sns:ListSubscriptionsByTopic"])
	return u
}

// idle prices one gate for a month with no approval: nothing but the
// sweep's schedule (rules of the default bus with a schedule are free;
// each run is an invocation and sweepQueriesPerRun Queries that find
// nothing, 0.5 RRU each, eventually consistent).
func (in costInputs) idle(withSweep bool) usage {
	var u usage
	if !withSweep {
		return u
	}
	u.Lambda = []lambdaFn{in.fn("sweep", sweepRunsPerMonth, in.SweepDur)}
	u.RRU = sweepRunsPerMonth * sweepQueriesPerRun * 0.5
	u.LogBytes = sweepRunsPerMonth * in.SweepLog
	return u
}

func countOps(c map[string]int, prefix string) int {
	n := 0
	for op, v := range c {
		if strings.HasPrefix(op, prefix) {
			n += v
		}
	}
	return n
}

// dollars renders a price: 6 significant digits under a cent.
func dollars(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v < 0.01:
		return fmt.Sprintf("$%.3g", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

// perMillion renders a per-approval price as dollars per million approvals.
func perMillion(v float64) string { return fmt.Sprintf("$%.2f per million", v*1e6) }

// topItems lists the non-zero lines of a bill, largest first.
func topItems(items []costItem) string {
	s := append([]costItem(nil), items...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Dollars > s[j].Dollars })
	var parts []string
	t := total(items)
	for _, i := range s {
		if i.Dollars > 0 && t > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f %%", i.What, 100*i.Dollars/t))
		}
	}
	return strings.Join(parts, ", ")
}
