package gate

import (
	"encoding/json"
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
			return 200, map[string]any{"Table": map[string]any{"TableName": "g-requests", "TableArn": arn, "TableStatus": "ACTIVE"}}
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
