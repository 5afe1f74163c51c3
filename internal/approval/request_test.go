package approval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestNewRequestID(t *testing.T) {
	t.Parallel()
	id, err := NewRequestID(bytes.NewReader(make([]byte, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("AAAAAAAAAAAAAAAAAAAAAA", id); diff != "" {
		t.Errorf("id (-want +got):\n%s", diff)
	}
	if _, err := NewRequestID(bytes.NewReader(make([]byte, 15))); err == nil {
		t.Error("short read accepted")
	}
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{testID, true},
		{"AAAAAAAAAAAAAAAAAAAAAA", true},
		{"AAAAAAAAAAAAAAAAAAAAAB", false}, // non-canonical trailing bits
		{"AAAAAAAAAAAAAAAAAAAAA", false},
		{"AAAAAAAAAAAAAAAAAAAAA+", false},
		{"AAAAAAAAAAAAAAAAAAAA/A", false},
		{"", false},
	} {
		if got := ValidRequestID(tt.id); got != tt.want {
			t.Errorf("ValidRequestID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestBuildContext(t *testing.T) {
	t.Parallel()
	many := map[string]any{}
	for i := range MaxContextFields + 5 {
		many[fmt.Sprintf("k%02d", i)] = i
	}
	long := strings.Repeat("é", MaxFieldValueRunes+10)
	tests := []struct {
		name string
		p    Payload
		want []Field
	}{
		{"nothing", Payload{}, nil},
		{"null input", Payload{Input: json.RawMessage(" null ")}, nil},
		{"object input sorted", Payload{Input: json.RawMessage(`{"b":{"x": [1, 2]},"a":"s","c":true}`)},
			[]Field{{"a", "s"}, {"b", `{"x":[1,2]}`}, {"c", "true"}}},
		{"array input", Payload{Input: json.RawMessage(`[1, 2]`)}, []Field{{"input", "[1,2]"}}},
		{"string input", Payload{Input: json.RawMessage(`"hi"`)}, []Field{{"input", "hi"}}},
		{"fields win over input", Payload{Input: json.RawMessage(`{"a":1}`), Fields: map[string]any{"env": "prod", "n": 3.5}},
			[]Field{{"env", "prod"}, {"n", "3.5"}}},
		{"long value cut", Payload{Fields: map[string]any{"v": long}},
			[]Field{{"v", strings.Repeat("é", MaxFieldValueRunes-1) + "…"}}},
		{"too many fields summarised", Payload{Fields: many}, func() []Field {
			var f []Field
			for i := range MaxContextFields {
				f = append(f, Field{fmt.Sprintf("k%02d", i), fmt.Sprint(i)})
			}
			return append(f, Field{SummaryKey, "5 more fields not shown; see the execution input"})
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, BuildContext(tt.p)); diff != "" {
				t.Errorf("context (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildContext_byteCap(t *testing.T) {
	t.Parallel()
	fields := map[string]any{}
	for i := range 19 {
		fields[fmt.Sprintf("k%02d", i)] = strings.Repeat("x", MaxFieldValueRunes)
	}
	got := BuildContext(Payload{Fields: fields})
	size := 0
	for _, f := range got[:len(got)-1] {
		size += len(f.Key) + len(f.Value)
	}
	if size > MaxContextBytes || got[len(got)-1].Key != SummaryKey || len(got) != 14 {
		t.Errorf("got %d fields of %d bytes, last %q", len(got), size, got[len(got)-1].Key)
	}
}

func TestResolveRequester(t *testing.T) {
	t.Parallel()
	in := json.RawMessage(`{"requested_by":"alice@example.com","meta":{"owner":{"name":" Bob  B "},"id":42,"slack":"U024BE7LH"},"list":[{"who":"sso:carol"}],"long":"sso:` + strings.Repeat("x", 200) + `"}`)
	tests := []struct {
		name      string
		p         Payload
		path      string
		allowSelf bool
		want, err string
	}{
		{name: "payload wins", p: Payload{RequestedBy: " Dave@Example.com ", Input: in}, path: DefaultRequesterPath, want: "email:dave@example.com"},
		{name: "default path", p: Payload{Input: in}, path: DefaultRequesterPath, want: "email:alice@example.com"},
		{name: "Slack id", p: Payload{Input: in}, path: "$.meta.slack", want: "slack:U024BE7LH"},
		{name: "index", p: Payload{Input: in}, path: "$.list[0].who", want: "sso:carol"},
		{name: "long identity kept whole", p: Payload{Input: in}, path: "$.long", want: "sso:" + strings.Repeat("x", 200)},
		{name: "display name refused under the ban", p: Payload{Input: in}, path: "$.meta.owner.name", err: "not a verifiable identity"},
		{name: "display name in requested_by refused", p: Payload{RequestedBy: "Alice Smith"}, path: DefaultRequesterPath, err: "requested_by is not a verifiable identity"},
		{name: "mention refused", p: Payload{RequestedBy: "<@U024BE7LH>"}, path: DefaultRequesterPath, err: "not a verifiable identity"},
		{name: "number refused", p: Payload{Input: in}, path: "$.meta.id", err: "not a verifiable identity"},
		{name: "missing refused", p: Payload{Input: in}, path: "$.nope", err: "names no requester"},
		{name: "object refused", p: Payload{Input: in}, path: "$.meta", err: "names no requester"},
		{name: "no input refused", path: DefaultRequesterPath, err: "names no requester"},
		{name: "bad path refused", p: Payload{Input: in}, path: "$..requested_by", err: "names no requester"},
		{name: "display name kept as a note with self-approval allowed", p: Payload{Input: in}, path: "$.meta.owner.name", allowSelf: true, want: "Bob B"},
		{name: "missing allowed with self-approval allowed", p: Payload{Input: in}, path: "$.nope", allowSelf: true, want: ""},
		{name: "identity canonical with self-approval allowed", p: Payload{Input: in}, path: "$.meta.slack", allowSelf: true, want: "slack:U024BE7LH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ResolveRequester(tt.p, tt.path, tt.allowSelf)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %q, %v; want error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"ééé", 2, "é…"},
		{"a\xffb", 5, "a\uFFFDb"},
	}
	for _, tt := range tests {
		got := Truncate(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
