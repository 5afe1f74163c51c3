package gate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// The fault tests put the proxy between the gate and the local AWS and make
// chosen calls fail. They share the package's proxy, so none of them (and
// no other test of this package) runs in parallel.

// fullSweep is set by `make faultsweep`: every call of every operation is
// failed once. `make test` fails the first call of each operation.
var fullSweep = os.Getenv("FAULTSWEEP") == "full"

// point is one call to fail: the n-th call of an operation. Counting per
// operation (not across all calls) names the same call in every run,
// whatever order the parallel steps of a run happen to take.
type point struct {
	op string
	n  int
}

func (p point) String() string { return fmt.Sprintf("%s#%d", p.op, p.n) }

// sweepPoints turns the calls a clean run made into the points to fail.
func sweepPoints(counts map[string]int) (all, run []point) {
	for op, n := range counts {
		for i := 1; i <= n; i++ {
			all = append(all, point{op, i})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].op != all[j].op {
			return all[i].op < all[j].op
		}
		return all[i].n < all[j].n
	})
	for _, p := range all {
		if fullSweep || p.n == 1 {
			run = append(run, p)
		}
	}
	return all, run
}

// hardFault is a non-retryable error as AWS gives it to a caller that lacks
// a permission, in the code each service uses: the SDK's retryer returns it
// at once, so the gate code is what must cope.
func hardFault(op string) *acctest.Fault {
	service, name, _ := strings.Cut(op, ":")
	msg := "User: arn:aws:sts::000000000000:assumed-role/deployer/ci is not authorized to perform: " + service + ":" + name
	switch service {
	case "iam":
		return &acctest.Fault{Status: 403, Code: "AccessDenied", Msg: msg}
	case "sns":
		return &acctest.Fault{Status: 403, Code: "AuthorizationError", Msg: msg}
	case "lambda", "apigateway":
		return &acctest.Fault{Status: 403, Code: "AccessDeniedException", Msg: msg}
	}
	return &acctest.Fault{Status: 400, Code: "AccessDeniedException", Msg: msg}
}

// failOnce fails the call p once with hardFault; fired says whether it did.
func failOnce(p point) (acctest.FaultFunc, *atomic.Bool) {
	var fired atomic.Bool
	return func(c acctest.Call) *acctest.Fault {
		if c.Op == p.op && c.N == p.n && fired.CompareAndSwap(false, true) {
			return hardFault(p.op)
		}
		return nil
	}, &fired
}

// failWording is how the gate's error must name each operation's failure:
// the action and the kind of part, as "creating IAM Role (name): …".
var failWording = map[string]string{
	"apigateway:CreateApi":               `creating API Gateway v2 API \(`,
	"apigateway:CreateIntegration":       `creating API Gateway v2 integration \(`,
	"apigateway:CreateRoute":             `creating API Gateway v2 route \(`,
	"apigateway:CreateStage":             `creating API Gateway v2 stage \(`,
	"apigateway:DeleteApi":               `deleting API Gateway v2 API \(`,
	"apigateway:GetApis":                 `listing API Gateway v2 APIs`,
	"apigateway:GetIntegrations":         `reading API Gateway v2 integrations \(`,
	"apigateway:GetRoutes":               `reading API Gateway v2 routes \(`,
	"apigateway:GetStages":               `reading API Gateway v2 stages \(`,
	"apigateway:TagResource":             `tagging API Gateway v2 API \(`,
	"apigateway:UntagResource":           `untagging API Gateway v2 API \(`,
	"apigateway:UpdateIntegration":       `updating API Gateway v2 integration \(`,
	"apigateway:UpdateRoute":             `updating API Gateway v2 route \(`,
	"dynamodb:CreateTable":               `creating DynamoDB Table \(`,
	"dynamodb:DeleteTable":               `deleting DynamoDB Table \(`,
	"dynamodb:DescribeTable":             `(reading|waiting for) DynamoDB Table \(`,
	"dynamodb:DescribeTimeToLive":        `reading DynamoDB Table \([^)]*\) TTL`,
	"dynamodb:ListTagsOfResource":        `reading DynamoDB Table \([^)]*\) tags`,
	"dynamodb:TagResource":               `tagging DynamoDB Table \(`,
	"dynamodb:UntagResource":             `untagging DynamoDB Table \(`,
	"dynamodb:UpdateTimeToLive":          `enabling DynamoDB Table \([^)]*\) TTL`,
	"dynamodb:UpdateTable":               `updating DynamoDB Table \(`,
	"events:DeleteRule":                  `deleting EventBridge Rule \(`,
	"events:DescribeRule":                `reading EventBridge Rule \(`,
	"events:ListTagsForResource":         `reading EventBridge Rule \([^)]*\) tags`,
	"events:ListTargetsByRule":           `reading EventBridge Rule \([^)]*\) targets`,
	"events:PutRule":                     `putting EventBridge Rule \(`,
	"events:PutTargets":                  `putting EventBridge Rule \([^)]*\) target`,
	"events:RemoveTargets":               `removing EventBridge Rule \([^)]*\) targets`,
	"events:TagResource":                 `tagging EventBridge Rule \(`,
	"events:UntagResource":               `untagging EventBridge Rule \(`,
	"iam:CreateRole":                     `creating IAM Role \(`,
	"iam:DeleteRole":                     `deleting IAM Role \(`,
	"iam:DeleteRolePolicy":               `deleting IAM Role Policy \(`,
	"iam:GetRole":                        `reading IAM Role \(`,
	"iam:ListRolePolicies":               `listing IAM Role Policies \(`,
	"iam:PutRolePolicy":                  `putting IAM Role Policy \(`,
	"iam:TagRole":                        `tagging IAM Role \(`,
	"iam:UntagRole":                      `untagging IAM Role \(`,
	"lambda:AddPermission":               `adding Lambda Permission \(`,
	"lambda:CreateFunction":              `creating Lambda Function \(`,
	"lambda:DeleteFunction":              `deleting Lambda Function \(`,
	"lambda:GetFunction":                 `(reading|waiting for) Lambda Function \(`,
	"lambda:GetPolicy":                   `reading Lambda Function \([^)]*\) policy`,
	"lambda:RemovePermission":            `removing Lambda Permission \(`,
	"lambda:TagResource":                 `tagging Lambda Function \(`,
	"lambda:UntagResource":               `untagging Lambda Function \(`,
	"lambda:UpdateFunctionCode":          `updating Lambda Function \([^)]*\) code`,
	"lambda:UpdateFunctionConfiguration": `updating Lambda Function \([^)]*\) configuration`,
	"logs:CreateLogGroup":                `creating CloudWatch Logs Log Group \(`,
	"logs:DeleteLogGroup":                `deleting CloudWatch Logs Log Group \(`,
	"logs:DescribeLogGroups":             `reading CloudWatch Logs Log Groups \(`,
	"logs:ListTagsForResource":           `reading CloudWatch Logs Log Group \([^)]*\) tags`,
	"logs:PutRetentionPolicy":            `setting CloudWatch Logs Log Group \([^)]*\) retention`,
	"logs:TagResource":                   `tagging CloudWatch Logs Log Group \(`,
	"logs:UntagResource":                 `untagging CloudWatch Logs Log Group \(`,
	"sns:CreateTopic":                    `creating SNS Topic \(`,
	"sns:DeleteTopic":                    `deleting SNS Topic \(`,
	"sns:GetTopicAttributes":             `reading SNS Topic \(`,
	"sns:ListSubscriptionsByTopic":       `listing SNS Topic \([^)]*\) subscriptions`,
	"sns:ListTagsForResource":            `reading SNS Topic \([^)]*\) tags`,
	"sns:SetTopicAttributes":             `setting SNS Topic \(`,
	"sns:Subscribe":                      `subscribing email \S+ to SNS Topic \(`,
	"sns:TagResource":                    `tagging SNS Topic \(`,
	"sns:Unsubscribe":                    `unsubscribing email \S+ from SNS Topic \(`,
	"sns:UntagResource":                  `untagging SNS Topic \(`,
	"ssm:AddTagsToResource":              `tagging SSM Parameter \(`,
	"ssm:DeleteParameters":               `deleting SSM Parameters`,
	"ssm:GetParameters":                  `reading SSM Parameters \(`,
	"ssm:PutParameter":                   `putting SSM Parameter \(`,
}

// checkNamesFailure asserts that err names the failed part and operation:
// the gate's own wording, the SDK's "operation error <Service>: <Op>" and
// the code AWS answered.
func checkNamesFailure(t *testing.T, p point, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s failed, yet the run returned no error", p)
		return
	}
	msg := err.Error()
	wording, ok := failWording[p.op]
	if !ok {
		t.Errorf("%s: no expected wording for this operation: add it to failWording (error: %v)", p, err)
		return
	}
	_, name, _ := strings.Cut(p.op, ":")
	if !regexp.MustCompile(wording).MatchString(msg) || !strings.Contains(msg, ": "+name+", https response error") || !strings.Contains(msg, hardFault(p.op).Code) {
		t.Errorf("%s: the error does not name what failed (want %q, the operation and %s):\n%v", p, wording, hardFault(p.op).Code, err)
	}
}

// countCalls runs f with no fault and returns the calls it made per operation.
func countCalls(t *testing.T, f func() error) map[string]int {
	t.Helper()
	local.Proxy.SetFault(nil)
	local.Proxy.Reset()
	if err := f(); err != nil {
		t.Fatal(err)
	}
	return local.Proxy.Counts()
}

func total(counts map[string]int) int {
	n := 0
	for _, v := range counts {
		n += v
	}
	return n
}

// withFault runs f with fault installed and the counts reset, and removes
// the fault afterwards (also when f fails the test).
func withFault(fault acctest.FaultFunc, f func() error) error {
	local.Proxy.Reset()
	local.Proxy.SetFault(fault)
	defer local.Proxy.SetFault(nil)
	return f()
}

func checkNoParts(t *testing.T, cfg aws.Config, name, when string) bool {
	t.Helper()
	if parts := mustParts(t, cfg, name); len(parts) != 0 {
		t.Errorf("%s: %d parts left:\n%s", when, len(parts), strings.Join(parts, "\n"))
		return false
	}
	return true
}

func checkNoDrift(t *testing.T, m *gate.Manager, spec gate.Spec, when string) {
	t.Helper()
	st, err := m.Read(t.Context(), spec)
	if err != nil {
		t.Errorf("%s: read: %v", when, err)
		return
	}
	if !st.Found || len(st.Drift) != 0 || len(st.DriftParts) != 0 || !st.Observed.Empty() {
		t.Errorf("%s: found=%v drift=%v in %v, observed %+v", when, st.Found, st.Drift, st.DriftParts, st.Observed)
	}
}

// updatedSpec changes several arguments of spec: the functions'
// configuration and code (architecture), retention, tags, subscriptions and
// a secret parameter that goes away.
func updatedSpec(spec gate.Spec) gate.Spec {
	spec.Description = "test gate, updated"
	spec.LogRetentionDays = 7
	spec.Approvers = []string{"U024BE7LH", "W012A3CDE"}
	spec.MinApprovals = 2
	spec.EmailAddresses = []string{"release@example.com"}
	spec.Tags = map[string]string{"team": "platform", "env": "prod"}
	spec.Webhook = nil
	spec.MemoryMB = 256
	spec.Architecture = "x86_64"
	return spec
}

// TestGate_faultSweepCreate fails each call of a create in turn: the create
// must say what failed and leave nothing behind (or, where its rollback
// failed too, a delete must).
func TestGate_faultSweepCreate(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	counts := countCalls(t, func() error { _, err := m.Create(ctx, testSpec(name)); return err })
	if err := m.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	all, run := sweepPoints(counts)
	t.Logf("a create makes %d calls:\n%s", len(all), acctest.FormatCounts(counts))

	clean := 0
	for _, p := range run {
		name := acctest.RandomName()
		spec := testSpec(name)
		fault, fired := failOnce(p)
		err := withFault(fault, func() error { _, err := m.Create(ctx, spec); return err })
		if !fired.Load() {
			t.Errorf("%s: the call was not made", p)
		}
		checkNamesFailure(t, p, err)
		if err != nil && strings.Contains(err.Error(), "Rolling back") {
			t.Errorf("%s: the rollback failed: %v", p, err)
			_ = m.Delete(ctx, name)
		}
		if checkNoParts(t, cfg, name, p.String()+": after the failed create") {
			clean++
		}
	}
	t.Logf("create sweep: %d calls, %d points run, %d ended with no part left", len(all), len(run), clean)
}

// TestGate_faultSweepCreateRollback fails the last call of a create (so
// every part exists) and then, in turn, each call of the rollback: the
// create's error must say that rolling back failed, and a delete must then
// leave nothing; a second create after that must succeed with no drift.
func TestGate_faultSweepCreateRollback(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	// The last call of a create is one of the API wiring's; fail the
	// permission, then count the rollback's calls.
	last := point{"lambda:AddPermission", 1}
	name := acctest.RandomName()
	fault, _ := failOnce(last)
	local.Proxy.SetFault(fault)
	local.Proxy.Reset()
	_, err := m.Create(ctx, testSpec(name))
	local.Proxy.SetFault(nil)
	checkNamesFailure(t, last, err)
	before := local.Proxy.Counts()
	checkNoParts(t, cfg, name, "after the failed create")
	// The rollback's calls: those of a failed create beyond a clean one's,
	// which are only deletes.
	rollback := map[string]int{}
	for op, n := range before {
		if strings.Contains(op, ":Delete") || strings.Contains(op, ":ListRolePolicies") {
			rollback[op] = n
		}
	}
	_, run := sweepPoints(rollback)
	t.Logf("a rollback of a complete gate makes %d calls", total(rollback))

	clean := 0
	for _, rp := range run {
		name := acctest.RandomName()
		spec := testSpec(name)
		var n atomic.Int32
		var firedRollback atomic.Bool
		fault := func(c acctest.Call) *acctest.Fault {
			if c.Op == last.op && c.N == last.n {
				n.Add(1)
				return hardFault(last.op)
			}
			if c.Op == rp.op && c.N == rp.n && firedRollback.CompareAndSwap(false, true) {
				return hardFault(rp.op)
			}
			return nil
		}
		err := withFault(fault, func() error { _, err := m.Create(ctx, spec); return err })
		if err == nil || !strings.Contains(err.Error(), "Rolling back the parts already created also failed") {
			t.Errorf("rollback %s: the error does not say the rollback failed: %v", rp, err)
		} else {
			checkNamesFailure(t, rp, err)
		}
		if err := m.Delete(ctx, name); err != nil {
			t.Errorf("rollback %s: delete after a failed rollback: %v", rp, err)
		}
		if !checkNoParts(t, cfg, name, "rollback "+rp.String()+": after delete") {
			continue
		}
		if _, err := m.Create(ctx, spec); err != nil {
			t.Errorf("rollback %s: create again: %v", rp, err)
			continue
		}
		checkNoDrift(t, m, spec, "rollback "+rp.String()+": after create again")
		if err := m.Delete(ctx, name); err != nil {
			t.Errorf("rollback %s: delete: %v", rp, err)
		}
		if checkNoParts(t, cfg, name, "rollback "+rp.String()+": after the last delete") {
			clean++
		}
	}
	t.Logf("rollback sweep: %d points run, %d ended clean", len(run), clean)
}

// TestGate_faultSweepUpdate fails each call of an update of several
// arguments in turn, each on a new gate: the update must say what failed,
// and a second update must converge with no drift. (Each point starts from
// a new gate rather than updating back: kumo has no UntagRole.)
func TestGate_faultSweepUpdate(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	if _, err := m.Create(ctx, testSpec(name)); err != nil {
		t.Fatal(err)
	}
	counts := countCalls(t, func() error { _, err := m.Update(ctx, updatedSpec(testSpec(name)), nil); return err })
	checkNoDrift(t, m, updatedSpec(testSpec(name)), "after a clean update")
	if err := m.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	all, run := sweepPoints(counts)
	t.Logf("an update makes %d calls:\n%s", len(all), acctest.FormatCounts(counts))

	clean := 0
	for _, p := range run {
		name := acctest.RandomName()
		after := updatedSpec(testSpec(name))
		if _, err := m.Create(ctx, testSpec(name)); err != nil {
			t.Fatal(err)
		}
		fault, fired := failOnce(p)
		err := withFault(fault, func() error { _, err := m.Update(ctx, after, nil); return err })
		if !fired.Load() {
			t.Errorf("%s: the call was not made", p)
		}
		checkNamesFailure(t, p, err)
		if _, err := m.Update(ctx, after, nil); err != nil {
			t.Errorf("%s: the second update: %v", p, err)
		} else if st, err := m.Read(ctx, after); err != nil || len(st.Drift) != 0 {
			t.Errorf("%s: after the second update: err=%v drift=%v", p, err, st.Drift)
		} else {
			clean++
		}
		if err := m.Delete(ctx, name); err != nil {
			t.Errorf("%s: delete: %v", p, err)
		}
		checkNoParts(t, cfg, name, p.String()+": after delete")
	}
	t.Logf("update sweep: %d calls, %d points run, %d converged with no drift", len(all), len(run), clean)
}

// TestGate_faultSweepDelete fails each call of a delete in turn: the delete
// must say what failed, and a second delete must leave nothing.
func TestGate_faultSweepDelete(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	if _, err := m.Create(ctx, testSpec(name)); err != nil {
		t.Fatal(err)
	}
	counts := countCalls(t, func() error { return m.Delete(ctx, name) })
	all, run := sweepPoints(counts)
	t.Logf("a delete makes %d calls:\n%s", len(all), acctest.FormatCounts(counts))

	clean := 0
	for _, p := range run {
		name := acctest.RandomName()
		if _, err := m.Create(ctx, testSpec(name)); err != nil {
			t.Fatal(err)
		}
		fault, fired := failOnce(p)
		err := withFault(fault, func() error { return m.Delete(ctx, name) })
		if !fired.Load() {
			t.Errorf("%s: the call was not made", p)
		}
		checkNamesFailure(t, p, err)
		if err := m.Delete(ctx, name); err != nil {
			t.Errorf("%s: the second delete: %v", p, err)
		}
		if checkNoParts(t, cfg, name, p.String()+": after the second delete") {
			clean++
		}
	}
	t.Logf("delete sweep: %d calls, %d points run, %d ended with no part left", len(all), len(run), clean)
}

// transientFault is what AWS answers a busy caller: each service's
// throttling error, or a 5xx.
func transientFault(op string, r *rand.Rand) *acctest.Fault {
	service, _, _ := strings.Cut(op, ":")
	switch r.IntN(4) {
	case 0:
		return &acctest.Fault{Status: 500, Code: "InternalFailure", Msg: "We encountered an internal error. Please try again."}
	case 1:
		return &acctest.Fault{Status: 503, Code: "ServiceUnavailable", Msg: "Service is unavailable. Please try again."}
	}
	switch service {
	case "iam", "sns":
		return &acctest.Fault{Status: 400, Code: "Throttling", Msg: "Rate exceeded"}
	case "lambda", "apigateway":
		return &acctest.Fault{Status: 429, Code: "TooManyRequestsException", Msg: "Rate exceeded"}
	}
	return &acctest.Fault{Status: 400, Code: "ThrottlingException", Msg: "Rate exceeded"}
}

// transient fails each call with probability p. The choice is a function of
// the seed, the operation and the call's number for that operation, so a
// seed injects the same faults whatever order parallel calls take.
func transient(seed uint64, p float64, injected *atomic.Int64) acctest.FaultFunc {
	return func(c acctest.Call) *acctest.Fault {
		h := fnv.New64a()
		_, _ = h.Write([]byte(c.Op))
		r := rand.New(rand.NewPCG(seed, h.Sum64()^uint64(c.N)))
		if r.Float64() >= p {
			return nil
		}
		injected.Add(1)
		return transientFault(c.Op, r)
	}
}

// retryingManager is a manager whose clients retry as the provider's do
// with max_retries = attempts-1. The backoff is capped low so the test is
// quick; the number of attempts is what the test is about.
func retryingManager(t *testing.T, attempts int) *gate.Manager {
	t.Helper()
	_, cfg := newManager(t)
	cfg.RetryMaxAttempts = 0
	cfg.Retryer = func() aws.Retryer {
		return retry.AddWithMaxBackoffDelay(retry.AddWithMaxAttempts(retry.NewStandard(), attempts), 20*time.Millisecond)
	}
	return gate.NewFromConfig(cfg, gate.Env{Partition: "aws", Region: acctest.Region, AccountID: "000000000000", APIGatewayEndpoint: local.Endpoint()})
}

// TestGate_transientFaults: with throttling and 5xx on a share of all calls
// and the SDK retrying as configured, create, read, update and delete all
// succeed, and the gate matches its Spec after each.
func TestGate_transientFaults(t *testing.T) {
	_, cfg := newManager(t)
	m := retryingManager(t, 10)
	ctx := t.Context()
	seeds, p := 10, 0.25
	if fullSweep {
		seeds = 30
	}
	converged := 0
	var calls, faults int64
	for seed := 1; seed <= seeds; seed++ {
		name := acctest.RandomName()
		spec := testSpec(name)
		var injected atomic.Int64
		err := withFault(transient(uint64(seed), p, &injected), func() error {
			if _, err := m.Create(ctx, spec); err != nil {
				return fmt.Errorf("create: %w", err)
			}
			if st, err := m.Read(ctx, spec); err != nil {
				return fmt.Errorf("read after create: %w", err)
			} else if len(st.Drift) != 0 {
				return fmt.Errorf("read after create: drift %v", st.Drift)
			}
			if _, err := m.Update(ctx, updatedSpec(spec), nil); err != nil {
				return fmt.Errorf("update: %w", err)
			}
			if st, err := m.Read(ctx, updatedSpec(spec)); err != nil {
				return fmt.Errorf("read after update: %w", err)
			} else if len(st.Drift) != 0 {
				return fmt.Errorf("read after update: drift %v", st.Drift)
			}
			if err := m.Delete(ctx, name); err != nil {
				return fmt.Errorf("delete: %w", err)
			}
			return nil
		})
		calls += int64(local.Proxy.Total())
		faults += injected.Load()
		if err != nil {
			t.Errorf("seed %d (%d faults): %v", seed, injected.Load(), err)
			_ = m.Delete(context.Background(), name)
			continue
		}
		if checkNoParts(t, cfg, name, fmt.Sprintf("seed %d: after delete", seed)) {
			converged++
		}
	}
	t.Logf("transient faults (p=%.2f, 10 attempts): %d/%d seeds converged; %d calls, %d faults injected", p, converged, seeds, calls, faults)
}

// TestGate_eventualConsistency injects what kumo never produces: a new role
// not yet assumable by Lambda, a function still Pending after its creation,
// updates conflicting with one in progress. The gate must wait them out.
func TestGate_eventualConsistency(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	spec := testSpec(name)

	// Per function: the first two CreateFunction calls fail as when IAM has
	// not propagated the role; the first two GetFunction calls after the
	// function exists answer State Pending (the Active waiter's calls).
	var mu sync.Mutex
	seen := map[string]int{}
	bump := func(key string) int {
		mu.Lock()
		defer mu.Unlock()
		seen[key]++
		return seen[key]
	}
	rewrite := func(set map[string]string) func([]byte) []byte {
		return func(b []byte) []byte {
			var out map[string]any
			if json.Unmarshal(b, &out) != nil {
				return b
			}
			if c, ok := out["Configuration"].(map[string]any); ok {
				for k, v := range set {
					c[k] = v
				}
			}
			nb, _ := json.Marshal(out)
			return nb
		}
	}
	fnName := func(c acctest.Call) string {
		if c.Op == "lambda:CreateFunction" {
			var in struct{ FunctionName string }
			_ = json.Unmarshal(c.Body, &in)
			return in.FunctionName
		}
		parts := strings.Split(strings.TrimPrefix(c.Path, "/2015-03-31/functions/"), "/")
		return parts[0]
	}
	// The refusals are AWS's three texts while a role propagates (the ones
	// terraform-provider-aws retries on): each function meets two of them.
	propagation := []string{
		"The role defined for the function cannot be assumed by Lambda.",
		"Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant. Please check your KMS key settings. KMS Exception: InvalidArnException KMS Message: ARN does not refer to a valid principal",
		"The provided execution role does not have permissions to call CreateNetworkInterface on EC2",
	}
	createFault := func(c acctest.Call) *acctest.Fault {
		switch c.Op {
		case "lambda:CreateFunction":
			n := bump("create " + fnName(c))
			if n <= 2 {
				msg := propagation[n-1]
				if strings.HasSuffix(fnName(c), "-callback") {
					msg = propagation[n]
				}
				return &acctest.Fault{Status: 400, Code: "InvalidParameterValueException", Msg: msg}
			}
		case "lambda:GetFunction":
			if bump("get "+fnName(c)) <= 2 {
				return &acctest.Fault{Rewrite: rewrite(map[string]string{"State": "Pending", "StateReason": "The function is being created.", "StateReasonCode": "Creating"})}
			}
		}
		return nil
	}
	start := time.Now()
	if err := withFault(createFault, func() error { _, err := m.Create(ctx, spec); return err }); err != nil {
		t.Fatalf("create: %v", err)
	}
	counts := local.Proxy.Counts()
	if got := counts["lambda:CreateFunction"]; got != 6 {
		t.Errorf("CreateFunction calls = %d, want 6 (two functions, two refusals each, then success)", got)
	}
	if got := counts["lambda:GetFunction"]; got != 6 {
		t.Errorf("GetFunction calls = %d, want 6 (two functions: Pending, Pending, Active)", got)
	}
	t.Logf("create with IAM propagation and Pending functions: %s; calls:\n%s", time.Since(start).Round(time.Millisecond), acctest.FormatCounts(counts))
	checkNoDrift(t, m, spec, "after create")

	// An update of configuration and code: each update call conflicts twice
	// with one in progress, and the first GetFunction after each update
	// says the update is still InProgress.
	mu.Lock()
	clear(seen)
	mu.Unlock()
	updateFault := func(c acctest.Call) *acctest.Fault {
		switch c.Op {
		case "lambda:UpdateFunctionConfiguration", "lambda:UpdateFunctionCode":
			if bump(c.Op+" "+fnName(c)) <= 2 {
				return &acctest.Fault{Status: 409, Code: "ResourceConflictException", Msg: "The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:000000000000:function:" + fnName(c)}
			}
			mu.Lock()
			seen["updated "+fnName(c)] = 1
			mu.Unlock()
		case "lambda:GetFunction":
			mu.Lock()
			pending := seen["updated "+fnName(c)] == 1
			if pending {
				seen["updated "+fnName(c)] = 2
			}
			mu.Unlock()
			if pending {
				return &acctest.Fault{Rewrite: rewrite(map[string]string{"LastUpdateStatus": "InProgress", "LastUpdateStatusReason": "The function is being updated."})}
			}
		}
		return nil
	}
	up := updatedSpec(spec)
	start = time.Now()
	if err := withFault(updateFault, func() error { _, err := m.Update(ctx, up, nil); return err }); err != nil {
		t.Fatalf("update: %v", err)
	}
	counts = local.Proxy.Counts()
	for _, op := range []string{"lambda:UpdateFunctionConfiguration", "lambda:UpdateFunctionCode"} {
		if got := counts[op]; got != 6 {
			t.Errorf("%s calls = %d, want 6 (two functions, two conflicts each, then success)", op, got)
		}
	}
	// 2 reads, then per function and update: InProgress, Successful.
	if got := counts["lambda:GetFunction"]; got != 2+2*2*2 {
		t.Errorf("GetFunction calls = %d, want %d", got, 2+2*2*2)
	}
	t.Logf("update with conflicts and InProgress updates: %s; calls:\n%s", time.Since(start).Round(time.Millisecond), acctest.FormatCounts(counts))
	checkNoDrift(t, m, up, "after update")

	if err := m.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	checkNoParts(t, cfg, name, "after delete")
}

// TestGate_lostAnswers makes AWS apply each call of a create in turn and
// then answer 500 (as after a commit, or when the answer is lost): the
// SDK's retryer repeats the call, which finds its own work done ("already
// exists"), or, for names that need not be unique, makes a copy. The
// create must still succeed with no drift, and delete must leave nothing.
func TestGate_lostAnswers(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	counts := countCalls(t, func() error { _, err := m.Create(ctx, testSpec(name)); return err })
	if err := m.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	all, run := sweepPoints(counts)
	clean := 0
	for _, p := range run {
		name := acctest.RandomName()
		spec := testSpec(name)
		var fired atomic.Bool
		lose := func(c acctest.Call) *acctest.Fault {
			if c.Op == p.op && c.N == p.n && fired.CompareAndSwap(false, true) {
				return &acctest.Fault{Status: 500, Code: "InternalFailure", Msg: "We encountered an internal error. Please try again.", Lost: true}
			}
			return nil
		}
		err := withFault(lose, func() error { _, err := m.Create(ctx, spec); return err })
		if !fired.Load() {
			t.Errorf("%s: the call was not made", p)
		}
		if err != nil {
			t.Errorf("%s: create with a lost answer: %v", p, err)
		} else if st, err := m.Read(ctx, spec); err != nil || len(st.Drift) != 0 {
			t.Errorf("%s: after create: err=%v drift=%v", p, err, st.Drift)
		} else if parts := mustParts(t, cfg, name); len(parts) != gateParts {
			t.Errorf("%s: %d parts after create, want %d:\n%s", p, len(parts), gateParts, strings.Join(parts, "\n"))
		}
		if err := m.Delete(ctx, name); err != nil {
			t.Errorf("%s: delete: %v", p, err)
		}
		if checkNoParts(t, cfg, name, p.String()+": after delete") && err == nil {
			clean++
		}
	}
	t.Logf("lost answers: %d calls, %d points run, %d created with no drift and deleted clean", len(all), len(run), clean)
}

// TestGate_collisionNotAdopted: a part of the gate's name that exists
// before the create is another gate's, even when the create's first
// attempt was throttled (refused, so not applied): the create must say so
// and leave that part alone.
func TestGate_collisionNotAdopted(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	other := testSpec(name)
	if _, err := m.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), name) })
	throttleFirst := func(c acctest.Call) *acctest.Fault {
		if c.N == 1 && strings.HasPrefix(c.Op, "iam:") {
			return &acctest.Fault{Status: 400, Code: "Throttling", Msg: "Rate exceeded"}
		}
		return nil
	}
	err := withFault(throttleFirst, func() error { _, err := m.Create(ctx, other); return err })
	if err == nil || !strings.Contains(err.Error(), "another gate may use the name") {
		t.Fatalf("create over another gate's parts: %v", err)
	}
	if parts := mustParts(t, cfg, name); len(parts) != gateParts {
		t.Errorf("the other gate has %d parts left, want %d:\n%s", len(parts), gateParts, strings.Join(parts, "\n"))
	}
	checkNoDrift(t, m, other, "the other gate")
}

// gateParts is how many parts testSpec's gate has: 2 roles, 2 functions, 1
// API, 1 table, 1 topic, 5 parameters (configuration, signing key, Slack
// webhook, webhook secret, webhook URL), 2 log groups, 2 EventBridge rules
// (the sweep's schedule, the stopped executions).
const gateParts = 16
