package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// memTable is a fake DynamoDB table with conditional semantics for the
// expressions the store uses: conditions are "AND"-joined
// attribute_exists(x), attribute_not_exists(x) and "x = :v"; updates are
// "SET x = :v, … [REMOVE y, …]". Anything else fails the test.
type memTable struct {
	t     testing.TB
	mu    sync.Mutex
	items map[string]map[string]types.AttributeValue
	// afterGet, if set, runs after every GetItem (outside the lock), so a
	// test can line up concurrent readers.
	afterGet func()
	puts     int
	updates  int
	queries  int // api_test.go
}

func newMemTable(t testing.TB) *memTable {
	return &memTable{t: t, items: map[string]map[string]types.AttributeValue{}}
}

// checkPlaceholders fails the test when one expression placeholder is a
// prefix of another (#v and #votes): valid on AWS, but the local AWS
// substitutes placeholders with a plain string replace in map order, so
// such a pair sometimes writes to the wrong attribute there.
func (m *memTable) checkPlaceholders(names map[string]string, values map[string]types.AttributeValue) {
	var keys []string
	for k := range names {
		keys = append(keys, k)
	}
	for k := range values {
		keys = append(keys, k)
	}
	for _, a := range keys {
		for _, b := range keys {
			if a != b && strings.HasPrefix(b, a) {
				m.t.Errorf("expression placeholder %s is a prefix of %s", a, b)
			}
		}
	}
}

func (m *memTable) id(key map[string]types.AttributeValue) string {
	s, ok := key["id"].(*types.AttributeValueMemberS)
	if !ok {
		m.t.Errorf("key without string id: %v", key)
		return ""
	}
	return s.Value
}

func (m *memTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.puts++
	id := m.id(in.Item)
	if !m.check(m.items[id], aws.ToString(in.ConditionExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues) {
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	m.items[id] = cloneItem(in.Item)
	return &dynamodb.PutItemOutput{}, nil
}

func (m *memTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	m.mu.Lock()
	item := cloneItem(m.items[m.id(in.Key)])
	m.mu.Unlock()
	if m.afterGet != nil {
		m.afterGet()
	}
	return &dynamodb.GetItemOutput{Item: item}, nil
}

func (m *memTable) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checkPlaceholders(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	id := m.id(in.Key)
	item := m.items[id]
	if !m.check(item, aws.ToString(in.ConditionExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues) {
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	m.updates++
	item = cloneItem(item)
	if item == nil {
		item = cloneItem(in.Key)
	}
	set, ok := strings.CutPrefix(aws.ToString(in.UpdateExpression), "SET ")
	if !ok {
		m.t.Fatalf("unsupported update %q", aws.ToString(in.UpdateExpression))
	}
	set, remove, _ := strings.Cut(set, " REMOVE ")
	for _, a := range strings.Split(remove, ",") {
		if a = strings.TrimSpace(a); a != "" {
			delete(item, name(a, in.ExpressionAttributeNames))
		}
	}
	for _, a := range strings.Split(set, ",") {
		lhs, rhs, ok := strings.Cut(strings.TrimSpace(a), " = ")
		v, found := in.ExpressionAttributeValues[rhs]
		if !ok || !found {
			m.t.Fatalf("unsupported assignment %q", a)
		}
		item[name(lhs, in.ExpressionAttributeNames)] = v
	}
	m.items[id] = item
	return &dynamodb.UpdateItemOutput{}, nil
}

func name(s string, names map[string]string) string {
	if strings.HasPrefix(s, "#") {
		return names[s]
	}
	return s
}

func (m *memTable) check(item map[string]types.AttributeValue, cond string, names map[string]string, values map[string]types.AttributeValue) bool {
	if cond == "" {
		return true
	}
	for _, c := range strings.Split(cond, " AND ") {
		c = strings.TrimSpace(c)
		switch {
		case strings.HasPrefix(c, "attribute_exists(") && strings.HasSuffix(c, ")"):
			if _, ok := item[name(c[len("attribute_exists("):len(c)-1], names)]; !ok {
				return false
			}
		case strings.HasPrefix(c, "attribute_not_exists(") && strings.HasSuffix(c, ")"):
			if _, ok := item[name(c[len("attribute_not_exists("):len(c)-1], names)]; ok {
				return false
			}
		case strings.Contains(c, " = "):
			lhs, rhs, _ := strings.Cut(c, " = ")
			want, ok := values[rhs]
			if !ok {
				m.t.Fatalf("condition %q: no value %s", c, rhs)
			}
			if !reflect.DeepEqual(item[name(lhs, names)], want) {
				return false
			}
		default:
			m.t.Fatalf("unsupported condition %q", c)
		}
	}
	return true
}

func cloneItem(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	if item == nil {
		return nil
	}
	out := make(map[string]types.AttributeValue, len(item))
	for k, v := range item {
		out[k] = v // attribute values are never mutated in place
	}
	return out
}

// request returns the stored request id.
func (m *memTable) request(id string) approval.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	item, ok := m.items[id]
	if !ok {
		m.t.Fatalf("no item %s", id)
	}
	r, err := fromItem(item)
	if err != nil {
		m.t.Fatal(err)
	}
	return r
}

func (m *memTable) put(r approval.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[r.ID] = toItem(r)
}

// sfnFake records Step Functions calls; fail, if set, answers call n
// (counting from 0) with an error.
type sfnFake struct {
	mu    sync.Mutex
	calls []sfnCall
	fail  func(n int) error
	// history is what GetExecutionHistory answers (nil: AccessDenied).
	history      []sfntypes.HistoryEvent
	historyCalls int
	// described is what DescribeExecution answers (nil: AccessDenied).
	described     *sfn.DescribeExecutionOutput
	describeCalls []string
}

// DescribeExecution answers with described, if set, else AccessDenied.
func (f *sfnFake) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describeCalls = append(f.describeCalls, aws.ToString(in.ExecutionArn))
	if f.described == nil {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}
	}
	return f.described, nil
}

type sfnCall struct {
	Token, Output, Error, Cause string
	Success                     bool
}

func (f *sfnFake) record(c sfnCall) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.calls)
	f.calls = append(f.calls, c)
	if f.fail != nil {
		return f.fail(n)
	}
	return nil
}

func (f *sfnFake) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	return &sfn.SendTaskSuccessOutput{}, f.record(sfnCall{Token: aws.ToString(in.TaskToken), Output: aws.ToString(in.Output), Success: true})
}

func (f *sfnFake) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	return &sfn.SendTaskFailureOutput{}, f.record(sfnCall{Token: aws.ToString(in.TaskToken), Error: aws.ToString(in.Error), Cause: aws.ToString(in.Cause)})
}

func (f *sfnFake) Calls() []sfnCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sfnCall(nil), f.calls...)
}

// getParametersFunc fakes SSM.
type getParametersFunc func(context.Context, *ssm.GetParametersInput, ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)

func (f getParametersFunc) GetParameters(ctx context.Context, in *ssm.GetParametersInput, o ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	return f(ctx, in, o...)
}

// Test secrets.
const (
	testSigningKey    = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	testBotToken      = "xoxb-test-bot-token"
	testSlackSecret   = "slack-signing-secret-value"
	testWebhookSecret = "webhook-secret-value"
	testTaskToken     = "TASK-TOKEN-SECRET-abcdefghijklmnopqrstuvwxyz"
)

// ssmFake answers GetParameters from params and counts calls.
type ssmFake struct {
	mu     sync.Mutex
	params map[string]string
	calls  int
}

func (f *ssmFake) api() SSM {
	return getParametersFunc(func(_ context.Context, in *ssm.GetParametersInput, _ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls++
		if !aws.ToBool(in.WithDecryption) {
			return nil, fmt.Errorf("GetParameters without decryption")
		}
		out := &ssm.GetParametersOutput{}
		for _, n := range in.Names {
			if v, ok := f.params[n]; ok {
				out.Parameters = append(out.Parameters, ssmtypes.Parameter{Name: aws.String(n), Value: aws.String(v)})
			} else {
				out.InvalidParameters = append(out.InvalidParameters, n)
			}
		}
		return out, nil
	})
}

// testConfig is a gate with every channel and no identity control (links
// may approve); tests switch parts off and controls on.
func testConfig(role approval.Role) approval.Config {
	return approval.Config{
		Role: role, GateName: "deploy-prod", TableName: "deploy-prod-requests",
		TopicARN: "arn:aws:sns:eu-west-1:123456789012:deploy-prod", CallbackBaseURL: "https://cb.example",
		ParamSigningKey: "/g/signing-key", ParamSlackWebhook: "/g/slack-webhook", ParamSlackBotToken: "/g/slack-bot-token",
		ParamSlackSigning: "/g/slack-signing-secret", ParamWebhookSecret: "/g/webhook-secret",
		SlackFormat: approval.SlackFormatApp, SlackChannel: "C0DEPLOY",
		MinApprovals: 1, AllowSelfApproval: true, LinkDecisions: approval.LinkDecisionsAny,
		RequesterPath: approval.DefaultRequesterPath, TimeoutSeconds: 3600,
	}
}

func newSSM(slackWebhookURL string) *ssmFake {
	return &ssmFake{params: map[string]string{
		"/g/signing-key": testSigningKey, "/g/slack-webhook": slackWebhookURL, "/g/slack-bot-token": testBotToken,
		"/g/slack-signing-secret": testSlackSecret, "/g/webhook-secret": testWebhookSecret,
	}}
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewJSONHandler(buf, nil)), buf
}

// assertNoSecrets fails if the logs show a secret, a task token or a link
// signature.
func assertNoSecrets(t *testing.T, logs string) {
	t.Helper()
	for _, s := range []string{testSigningKey, testBotToken, testSlackSecret, testWebhookSecret, testTaskToken, "sig=", "/services/"} {
		if strings.Contains(logs, s) {
			t.Errorf("logs contain %q:\n%s", s, logs)
		}
	}
}

// reqID returns a valid request id made of byte b.
func reqID(b byte) string {
	return base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{b}, 16))
}

// sleepRecorder is an instant Sleep that records what was asked.
type sleepRecorder struct {
	mu     sync.Mutex
	sleeps []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sleeps = append(s.sleeps, d)
	return ctx.Err()
}

// Query fakes a query of the status-due index, as the sweep makes it
// ("#st = :st AND #due <= :now") and the API's listing ("#st = :st"):
// items with the status asked for and a due_at (the index is sparse), by
// due_at then id, Limit at a time, LastEvaluatedKey holding the table and
// index keys as on AWS. queries counts the calls.
func (m *memTable) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checkPlaceholders(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	m.queries++
	cond := aws.ToString(in.KeyConditionExpression)
	if aws.ToString(in.IndexName) == approval.ExecutionIndexName {
		return m.queryExecution(in), nil
	}
	if aws.ToString(in.IndexName) != approval.DueIndexName || (cond != "#st = :st AND #due <= :now" && cond != "#st = :st") || in.ExpressionAttributeNames["#st"] != "status" {
		m.t.Fatalf("unsupported query %s on %q", cond, aws.ToString(in.IndexName))
	}
	status := in.ExpressionAttributeValues[":st"].(*types.AttributeValueMemberS).Value //nolint:forcetypeassert // the store writes them
	now := int64(math.MaxInt64)
	if v, ok := in.ExpressionAttributeValues[":now"].(*types.AttributeValueMemberN); ok {
		now, _ = strconv.ParseInt(v.Value, 10, 64)
	}
	type hit struct {
		id  string
		due int64
	}
	var hits []hit
	for id, item := range m.items {
		st, _ := item["status"].(*types.AttributeValueMemberS)
		d, ok := item[approval.DueAttribute].(*types.AttributeValueMemberN)
		if st == nil || st.Value != status || !ok {
			continue
		}
		due, _ := strconv.ParseInt(d.Value, 10, 64)
		if due <= now {
			hits = append(hits, hit{id, due})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].due != hits[j].due {
			return hits[i].due < hits[j].due
		}
		return hits[i].id < hits[j].id
	})
	if k := in.ExclusiveStartKey; k != nil {
		id, _ := k["id"].(*types.AttributeValueMemberS)
		if id == nil {
			m.t.Fatalf("ExclusiveStartKey without id: %v", k)
		}
		for i, h := range hits {
			if h.id == id.Value {
				hits = hits[i+1:]
				break
			}
		}
	}
	out := &dynamodb.QueryOutput{}
	if limit := int(aws.ToInt32(in.Limit)); limit > 0 && len(hits) > limit {
		hits = hits[:limit]
		last := m.items[hits[limit-1].id]
		out.LastEvaluatedKey = map[string]types.AttributeValue{"id": last["id"], "status": last["status"], approval.DueAttribute: last[approval.DueAttribute]}
	}
	for _, h := range hits {
		out.Items = append(out.Items, cloneItem(m.items[h.id]))
	}
	return out, nil
}

// queryExecution fakes a query of the execution index ("#ex = :ex",
// KEYS_ONLY): the table and index keys of the items of that execution, by
// id, in one page. Called with m.mu held.
func (m *memTable) queryExecution(in *dynamodb.QueryInput) *dynamodb.QueryOutput {
	if aws.ToString(in.KeyConditionExpression) != "#ex = :ex" || in.ExpressionAttributeNames["#ex"] != approval.ExecutionAttribute {
		m.t.Fatalf("unsupported query %s on the execution index", aws.ToString(in.KeyConditionExpression))
	}
	ex := in.ExpressionAttributeValues[":ex"].(*types.AttributeValueMemberS).Value //nolint:forcetypeassert // the callback writes it
	var ids []string
	for id, item := range m.items {
		if e, ok := item[approval.ExecutionAttribute].(*types.AttributeValueMemberS); ok && e.Value == ex {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := &dynamodb.QueryOutput{}
	for _, id := range ids {
		out.Items = append(out.Items, map[string]types.AttributeValue{"id": m.items[id]["id"], approval.ExecutionAttribute: m.items[id][approval.ExecutionAttribute]})
	}
	return out
}

// GetExecutionHistory answers with history, if set, else AccessDenied.
func (f *sfnFake) GetExecutionHistory(_ context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.historyCalls++
	if f.history == nil {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}
	}
	return &sfn.GetExecutionHistoryOutput{Events: f.history}, nil
}
