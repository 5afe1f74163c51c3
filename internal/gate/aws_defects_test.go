package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"
)

// TestFunctionDescription_characters: Lambda limits a description to 256
// characters (Lambda API Reference, CreateFunction, Description). A cut by
// bytes splits a multi-byte character, which AWS stores differently from
// what the provider computes: a diff on every apply.
func TestFunctionDescription_characters(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"ascii":  strings.Repeat("a", 400),
		"accent": strings.Repeat("é", 300),
		"mixed":  "Déploiement " + strings.Repeat("日本語", 100),
		"emoji":  strings.Repeat("a", 230) + strings.Repeat("🚀", 40),
		"short":  "Prod déploiement",
	}
	for name, desc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := New(Clients{}, testEnv).newRun(Spec{Name: "g", Description: desc}, false)
			d := r.functionDescription(kindNotifier)
			if !utf8.ValidString(d) {
				t.Fatalf("description is not valid UTF-8 (a character was cut): %q", d)
			}
			full := "Approval gate g: notifier. " + desc
			want := min(utf8.RuneCountInString(full), functionDescriptionMax)
			if n := utf8.RuneCountInString(d); n != want {
				t.Errorf("description has %d characters, want %d", n, want)
			}
			if !strings.HasPrefix(full, d) {
				t.Errorf("description %q is not a prefix of %q", d, full)
			}
		})
	}
}

// fakeAWS is a minimal AWS endpoint for unit tests of one behaviour AWS has
// and the local AWS does not: answer(op, body) gives the status and the JSON
// answer of each call. op is the X-Amz-Target operation (JSON protocols) or
// "METHOD /path" (REST protocols).
type fakeAWS struct {
	mu     sync.Mutex
	calls  []string
	answer func(op string, body map[string]any) (int, any)
}

func (f *fakeAWS) start(t *testing.T) *Manager {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.Method + " " + r.URL.Path
		if tgt := r.Header.Get("X-Amz-Target"); tgt != "" {
			op = tgt[strings.LastIndex(tgt, ".")+1:]
		}
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		f.mu.Lock()
		f.calls = append(f.calls, op)
		f.mu.Unlock()
		status, out := f.answer(op, body)
		if status == 0 {
			t.Errorf("unexpected call %s %s", op, b)
			status, out = 400, map[string]any{"__type": "UnexpectedCall", "message": op}
		}
		ob, _ := json.Marshal(out)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(ob)), 10))
		if status >= 400 {
			if m, ok := out.(map[string]any); ok {
				if c, ok := m["__type"].(string); ok {
					w.Header().Set("X-Amzn-Errortype", c)
				}
			}
		}
		w.WriteHeader(status)
		_, _ = w.Write(ob)
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	}
	return NewFromConfig(cfg, testEnv)
}

func (f *fakeAWS) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// TestReadTable_tagPages: ListTagsOfResource answers at most 10 tags and a
// NextToken while more remain (DynamoDB API Reference, ListTagsOfResource).
// A table whose tags span two pages is read whole: no false drift, and an
// update adds no tag the table already has.
func TestReadTable_tagPages(t *testing.T) {
	t.Parallel()
	spec := Spec{Name: "g", Tags: map[string]string{}}
	for i := range 14 {
		spec.Tags[fmt.Sprintf("k%02d", i)] = "v"
	}
	want := New(Clients{}, testEnv).newRun(spec, false).tagsWithGate()
	keys := slices.Sorted(maps.Keys(want))
	page := func(from, to int) []map[string]string {
		var out []map[string]string
		for _, k := range keys[from:to] {
			out = append(out, map[string]string{"Key": k, "Value": want[k]})
		}
		return out
	}
	const arn = "arn:aws:dynamodb:eu-west-1:111122223333:table/g-requests"
	f := &fakeAWS{answer: func(op string, body map[string]any) (int, any) {
		switch op {
		case "DescribeTable":
			return 200, map[string]any{"Table": map[string]any{"TableName": "g-requests", "TableArn": arn, "TableStatus": "ACTIVE",
				"GlobalSecondaryIndexes": []map[string]any{{"IndexName": dueIndexName, "IndexStatus": "ACTIVE",
					"KeySchema":  []map[string]string{{"AttributeName": statusAttribute, "KeyType": "HASH"}, {"AttributeName": dueAttribute, "KeyType": "RANGE"}},
					"Projection": map[string]string{"ProjectionType": "ALL"}},
					{"IndexName": executionIndexName, "IndexStatus": "ACTIVE",
						"KeySchema":  []map[string]string{{"AttributeName": executionAttribute, "KeyType": "HASH"}},
						"Projection": map[string]string{"ProjectionType": "KEYS_ONLY"}}}}}
		case "DescribeTimeToLive":
			return 200, map[string]any{"TimeToLiveDescription": map[string]any{"AttributeName": ttlAttribute, "TimeToLiveStatus": "ENABLED"}}
		case "ListTagsOfResource":
			if body["NextToken"] == nil {
				return 200, map[string]any{"Tags": page(0, 10), "NextToken": "page2"}
			}
			return 200, map[string]any{"Tags": page(10, len(keys))}
		case "UpdateContinuousBackups", "DescribeContinuousBackups":
			return 200, map[string]any{}
		}
		return 0, nil
	}}
	m := f.start(t)
	r := m.newRun(spec, false)
	if err := r.readTable(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := r.status(); len(st.Drift) != 0 {
		t.Errorf("drift on a table whose tags span two pages: %v", st.Drift)
	}
	r = m.newRun(spec, false)
	if err := r.ensureTable(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, op := range f.called() {
		if op == "TagResource" || op == "UntagResource" {
			t.Errorf("converging a table whose tags span two pages called %s", op)
		}
	}
}

// TestLogGroups_kmsKey: kms_key_arn encrypts the log groups too. A new log
// group is created with KmsKeyId; an existing one gets the key with
// AssociateKmsKey or loses it with DisassociateKmsKey (CloudWatch Logs API
// Reference: CreateLogGroup, AssociateKmsKey, DisassociateKmsKey), and a
// refresh shows a different key as drift.
func TestLogGroups_kmsKey(t *testing.T) {
	t.Parallel()
	const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	const other = "arn:aws:kms:eu-west-1:111122223333:key/9999"
	cases := []struct {
		name      string
		specKey   string
		haveKey   string // the key the log groups have; "-" for no log groups
		wantCalls []string
		wantDrift bool
		createKey string // KmsKeyId of CreateLogGroup
		assocKey  string // KmsKeyId of AssociateKmsKey
	}{
		{name: "create with key", specKey: key, haveKey: "-", wantCalls: []string{"CreateLogGroup", "PutRetentionPolicy"}, createKey: key},
		{name: "key added", specKey: key, haveKey: "", wantCalls: []string{"AssociateKmsKey"}, wantDrift: true, assocKey: key},
		{name: "key changed", specKey: key, haveKey: other, wantCalls: []string{"AssociateKmsKey"}, wantDrift: true, assocKey: key},
		{name: "key removed", specKey: "", haveKey: key, wantCalls: []string{"DisassociateKmsKey"}, wantDrift: true},
		{name: "same key", specKey: key, haveKey: key},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			spec := Spec{Name: "g", KMSKeyARN: c.specKey, LogRetentionDays: 30}
			var mu sync.Mutex
			var createKey, assocKey string
			f := &fakeAWS{answer: func(op string, body map[string]any) (int, any) {
				mu.Lock()
				defer mu.Unlock()
				switch op {
				case "DescribeLogGroups":
					if c.haveKey == "-" {
						return 200, map[string]any{"logGroups": []any{}}
					}
					var groups []any
					for _, kind := range kinds {
						g := map[string]any{"logGroupName": "/aws/lambda/g-" + kind, "retentionInDays": 30}
						if c.haveKey != "" {
							g["kmsKeyId"] = c.haveKey
						}
						groups = append(groups, g)
					}
					return 200, map[string]any{"logGroups": groups}
				case "ListTagsForResource":
					return 200, map[string]any{"tags": map[string]string{tagGate: "g"}}
				case "CreateLogGroup":
					createKey, _ = body["kmsKeyId"].(string)
					return 200, map[string]any{}
				case "AssociateKmsKey":
					assocKey, _ = body["kmsKeyId"].(string)
					return 200, map[string]any{}
				case "DisassociateKmsKey", "PutRetentionPolicy":
					return 200, map[string]any{}
				}
				return 0, nil
			}}
			m := f.start(t)
			if c.haveKey != "-" {
				r := m.newRun(spec, false)
				if err := r.readLogGroups(t.Context()); err != nil {
					t.Fatal(err)
				}
				// A key that differs is read back into kms_key_arn, and both
				// log groups are converged by the next update.
				st := r.status()
				if got := len(st.DriftParts) == 2 && st.Observed.KMSKeyARN != nil && *st.Observed.KMSKeyARN == c.haveKey; got != c.wantDrift || len(st.Drift) != 0 {
					t.Errorf("parts %v, observed key %v, drift %q; want both log groups read back: %v", st.DriftParts, st.Observed.KMSKeyARN, st.Drift, c.wantDrift)
				}
			}
			before := len(f.called())
			r := m.newRun(spec, c.haveKey == "-")
			if err := r.ensureLogGroup(t.Context(), kindNotifier); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, op := range f.called()[before:] {
				if op != "DescribeLogGroups" && op != "ListTagsForResource" {
					got = append(got, op)
				}
			}
			if diff := cmp.Diff(c.wantCalls, got); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			mu.Lock()
			defer mu.Unlock()
			if createKey != c.createKey || assocKey != c.assocKey {
				t.Errorf("CreateLogGroup key %q, AssociateKmsKey key %q; want %q, %q", createKey, assocKey, c.createKey, c.assocKey)
			}
		})
	}
}

// fakeAPI answers the calls that read and wire the gate's HTTP API "abc":
// its integration and routes as the gate makes them, the invoke
// permission, and the given $default stage (nil: none). CreateStage of an
// existing stage fails with ConflictException, as on AWS (API Gateway v2 API
// Reference, CreateStage). It records the stage written.
func fakeAPI(stage map[string]any) (*fakeAWS, func() map[string]any) {
	const fn = "arn:aws:lambda:eu-west-1:111122223333:function:g-callback"
	var mu sync.Mutex
	var written map[string]any
	f := &fakeAWS{answer: func(op string, body map[string]any) (int, any) {
		mu.Lock()
		defer mu.Unlock()
		switch op {
		case "GET /v2/apis":
			return 200, map[string]any{"items": []any{map[string]any{"apiId": "abc", "name": "g-callback", "protocolType": "HTTP",
				"apiEndpoint": "https://abc.execute-api.eu-west-1.amazonaws.com", "tags": map[string]string{tagGate: "g"}}}}
		case "GET /v2/apis/abc/integrations":
			return 200, map[string]any{"items": []any{map[string]any{"integrationId": "i1", "integrationType": "AWS_PROXY", "integrationUri": fn, "payloadFormatVersion": "2.0"}}}
		case "GET /v2/apis/abc/routes":
			var items []any
			for _, k := range routeKeys {
				items = append(items, map[string]any{"routeId": k, "routeKey": k, "target": "integrations/i1"})
			}
			return 200, map[string]any{"items": items}
		case "GET /v2/apis/abc/stages":
			if stage == nil {
				return 200, map[string]any{"items": []any{}}
			}
			return 200, map[string]any{"items": []any{stage}}
		case "GET /2015-03-31/functions/g-callback/policy":
			pol, _ := json.Marshal(map[string]any{"Statement": []any{map[string]any{"Sid": permissionID,
				"Condition": map[string]any{"ArnLike": map[string]string{"AWS:SourceArn": "arn:aws:execute-api:eu-west-1:111122223333:abc/*/*"}}}}})
			return 200, map[string]any{"Policy": string(pol)}
		case "POST /v2/apis/abc/stages":
			if stage != nil {
				return 409, map[string]any{"__type": "ConflictException", "message": "Stage already exists"}
			}
			written = body
			return 201, body
		case "PATCH /v2/apis/abc/stages/$default":
			written = body
			return 200, body
		}
		return 0, nil
	}}
	return f, func() map[string]any { mu.Lock(); defer mu.Unlock(); return written }
}

func throttling(burst, rate int) map[string]any {
	return map[string]any{"throttlingBurstLimit": burst, "throttlingRateLimit": rate}
}

// TestEnsureStage: a $default stage that exists but differs (auto-deploy
// off, other throttling) is updated in place, not created again (which
// AWS refuses with ConflictException on every apply); refresh reports it.
// The stage also throttles the Slack route apart from the links.
func TestEnsureStage(t *testing.T) {
	t.Parallel()
	good := func() map[string]any {
		rs := map[string]any{}
		for _, k := range routeKeys {
			rs[k] = throttling(20, 10)
		}
		return map[string]any{"stageName": "$default", "autoDeploy": true, "defaultRouteSettings": throttling(apiBurstLimit, apiRateLimit), "routeSettings": rs}
	}
	autoDeployOff := good()
	autoDeployOff["autoDeploy"] = false
	otherThrottling := good()
	otherThrottling["defaultRouteSettings"] = throttling(5000, 10000)
	noRouteSettings := good()
	delete(noRouteSettings, "routeSettings")
	cases := []struct {
		name  string
		stage map[string]any
		write string // "", "create", "update"
	}{
		{"missing", nil, "create"},
		{"as wanted", good(), ""},
		{"auto-deploy off", autoDeployOff, "update"},
		{"other throttling", otherThrottling, "update"},
		{"no route throttling", noRouteSettings, "update"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f, written := fakeAPI(c.stage)
			m := f.start(t)
			r := m.newRun(Spec{Name: "g"}, false)
			if err := r.readAPI(t.Context()); err != nil {
				t.Fatal(err)
			}
			if drift := r.status().Drift; (len(drift) != 0) != (c.write != "") {
				t.Errorf("drift = %q", drift)
			}
			r.set(func(st *Status) { st.CallbackFunctionARN = "arn:aws:lambda:eu-west-1:111122223333:function:g-callback" })
			if err := r.ensureAPIWiring(t.Context()); err != nil {
				t.Fatalf("converging the stage: %v", err)
			}
			var writes []string
			for _, op := range f.called() {
				switch op {
				case "POST /v2/apis/abc/stages":
					writes = append(writes, "create")
				case "PATCH /v2/apis/abc/stages/$default":
					writes = append(writes, "update")
				}
			}
			if want := []string{c.write}; c.write == "" && len(writes) != 0 || c.write != "" && !slices.Equal(writes, want) {
				t.Fatalf("stage writes = %v, want %q", writes, c.write)
			}
			if c.write == "" {
				return
			}
			w := written()
			if w["autoDeploy"] != true {
				t.Errorf("stage written without auto-deploy: %v", w)
			}
			rs, _ := w["routeSettings"].(map[string]any)
			slack, _ := rs[slackRouteKey].(map[string]any)
			if slack == nil || slack["throttlingRateLimit"] == nil {
				t.Errorf("the Slack route has no throttling of its own: %v", w["routeSettings"])
			}
			for _, k := range routeKeys {
				if rs[k] == nil {
					t.Errorf("route %q has no throttling of its own", k)
				}
			}
		})
	}
}

// TestSecretsPerFunction: each function's role may read exactly the
// parameters its environment names, and each names only its own: the
// notifier never the Slack signing secret, the callback never the Slack
// webhook URL or the webhook secret. A policy naming the parameter prefix
// (.../deploy-prod/*) lets either function read every secret of the gate.
func TestSecretsPerFunction(t *testing.T) {
	t.Parallel()
	specs := map[string]Spec{
		"none":          {Name: "deploy-prod"},
		"slack webhook": {Name: "deploy-prod", Slack: &SlackSpec{Format: "blocks"}},
		"slack workflow and webhook": {Name: "deploy-prod", Slack: &SlackSpec{Format: "workflow"},
			Webhook: &WebhookSpec{URL: "https://hooks.example.com/a"}},
		"slack app and webhook": {Name: "deploy-prod", Slack: &SlackSpec{Format: "app"},
			Webhook: &WebhookSpec{URL: "https://hooks.example.com/a"}},
		"sso":   {Name: "deploy-prod", SSO: &SSOSpec{IssuerURL: "https://idp.example.com", ClientID: "c", ClientSecret: "s"}},
		"teams": {Name: "deploy-prod", Teams: &TeamsSpec{WebhookURL: "https://prod.example.logic.azure.com/workflows/1?sig=s"}},
	}
	forbidden := map[string][]string{
		kindNotifier: {paramSlackSigning, paramSSOClientSecret},
		kindCallback: {paramSlackWebhook, paramWebhookSecret, paramWebhookURL},
	}
	for name, spec := range specs {
		for _, kind := range kinds {
			t.Run(name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				r := New(Clients{}, testEnv).newRun(spec, false)
				c := r.handlerConfig(kind, "arn:topic", "https://cb")
				var named []string
				for _, p := range []string{c.ParamConfig, c.ParamSigningKey, c.ParamSlackWebhook, c.ParamSlackBotToken, c.ParamSlackSigning, c.ParamWebhookSecret, c.ParamWebhookURL, c.ParamSSOClientSecret, c.ParamTeamsWebhookURL} {
					if p != "" {
						named = append(named, "arn:aws:ssm:eu-west-1:111122223333:parameter"+p)
					}
				}
				slices.Sort(named)
				var readable []string
				for _, st := range rolePolicy(testEnv, spec, kind).Statement {
					if slices.Contains(st.Action, "ssm:GetParameters") || slices.Contains(st.Action, "ssm:GetParameter") {
						readable = append(readable, st.Resource...)
					}
				}
				slices.Sort(readable)
				if diff := cmp.Diff(named, readable); diff != "" {
					t.Errorf("parameters the role may read differ from those the function reads (-env +policy):\n%s", diff)
				}
				for _, p := range readable {
					if strings.Contains(p, "*") {
						t.Errorf("the role may read every parameter matching %s", p)
					}
					for _, f := range forbidden[kind] {
						if strings.HasSuffix(p, "/"+f) {
							t.Errorf("the %s may read %s", kind, f)
						}
					}
				}
				if !slices.Contains(named, "arn:aws:ssm:eu-west-1:111122223333:parameter/manualapproval/deploy-prod/signing-key") {
					t.Errorf("the %s cannot read the link-signing key", kind)
				}
				if spec.Slack != nil && spec.Slack.Format == "app" && c.ParamSlackBotToken == "" {
					t.Errorf("the %s of a Slack app cannot read the bot token (it posts or updates messages)", kind)
				}
			})
		}
	}
}

// TestRollbackError: a failed create says whether its rollback succeeded,
// and when it did not, which parts are left in AWS.
func TestRollbackError(t *testing.T) {
	t.Parallel()
	errCreate := errors.New("creating Lambda Function (g-callback): boom")
	errDelete := errors.New("AccessDenied")
	ok := func(context.Context) error { return nil }
	fail := func(context.Context) error { return errDelete }
	cases := []struct {
		name  string
		steps map[string]func(context.Context) error
		want  []string
		not   []string
	}{
		{"nothing created", nil, []string{"Nothing had been created yet"}, []string{"succeeded", "failed"}},
		{"all removed", map[string]func(context.Context) error{"IAM Role g-notifier": ok, "DynamoDB Table g-requests": ok},
			[]string{"The rollback succeeded: the 2 parts already created were removed"}, []string{"left in AWS:"}},
		{"some left", map[string]func(context.Context) error{"IAM Role g-notifier": ok, "DynamoDB Table g-requests": fail, "SNS Topic g-approvals": fail},
			[]string{"Rolling back the parts already created also failed; left in AWS: ", "DynamoDB Table g-requests", "SNS Topic g-approvals", "AccessDenied"},
			[]string{"IAM Role g-notifier", "succeeded"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var u undoLog
			for what, f := range c.steps {
				u.add(what, f)
			}
			err := u.rollback(t.Context(), errCreate)
			if !errors.Is(err, errCreate) {
				t.Errorf("the create's error is lost: %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, w := range c.not {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error has %q:\n%v", w, err)
				}
			}
		})
	}
}
