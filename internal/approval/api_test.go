package approval

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAPIIdentity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		claim  string
		claims map[string]any
		want   string
		err    error
	}{
		{"sub", "sub", map[string]any{"sub": "repo:org/repo:environment:prod"}, "api:repo:org/repo:environment:prod", nil},
		{"other claim", "client_id", map[string]any{"sub": "x", "client_id": "deployer"}, "api:deployer", nil},
		{"case kept for api", "sub", map[string]any{"sub": "Repo:Org/Repo"}, "api:Repo:Org/Repo", nil},
		{"verified email lower-cased", "email", map[string]any{"email": "CI-Bot@Example.com", "email_verified": true}, "email:ci-bot@example.com", nil},
		{"verified email as string", "email", map[string]any{"email": "a@example.com", "email_verified": "true"}, "email:a@example.com", nil},
		{"unverified email", "email", map[string]any{"email": "a@example.com", "email_verified": false}, "", ErrEmailNotVerified},
		{"email without email_verified", "email", map[string]any{"email": "a@example.com"}, "", ErrEmailNotVerified},
		{"not an email", "email", map[string]any{"email": "alice", "email_verified": true}, "", ErrNoIdentityClaim},
		{"missing claim", "sub", map[string]any{"email": "a@example.com"}, "", ErrNoIdentityClaim},
		{"empty claim", "sub", map[string]any{"sub": ""}, "", ErrNoIdentityClaim},
		{"number claim", "sub", map[string]any{"sub": 42.0}, "", ErrNoIdentityClaim},
		{"list claim", "sub", map[string]any{"sub": []any{"a"}}, "", ErrNoIdentityClaim},
		{"control character", "sub", map[string]any{"sub": "a\nb"}, "", ErrNoIdentityClaim},
		{"too long", "sub", map[string]any{"sub": strings.Repeat("a", maxIdentityValue+1)}, "", ErrNoIdentityClaim},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := APIIdentity(tc.claim, tc.claims)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("APIIdentity = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestTokenGroups(t *testing.T) {
	t.Parallel()
	many := make([]any, MaxTokenGroups+5)
	for i := range many {
		many[i] = "g"
	}
	for _, tc := range []struct {
		name   string
		claim  string
		claims map[string]any
		want   []string
		err    bool
	}{
		{"no claim configured", "", map[string]any{"groups": []any{"a"}}, nil, false},
		{"absent", "groups", map[string]any{}, nil, false},
		{"list", "groups", map[string]any{"groups": []any{"deployers", "", "sre"}}, []string{"deployers", "sre"}, false},
		{"one string", "groups", map[string]any{"groups": "deployers"}, []string{"deployers"}, false},
		{"not strings", "groups", map[string]any{"groups": []any{"a", 1.0}}, nil, true},
		{"object", "groups", map[string]any{"groups": map[string]any{}}, nil, true},
		{"capped", "groups", map[string]any{"groups": many}, strings.Split(strings.Repeat("g,", MaxTokenGroups-1)+"g", ","), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := TokenGroups(tc.claim, tc.claims)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenName(t *testing.T) {
	t.Parallel()
	if got := TokenName(map[string]any{"name": "  Deploy   Bot "}, "api:x"); got != "Deploy Bot" {
		t.Errorf("name claim: %q", got)
	}
	if got := TokenName(map[string]any{"name": 3.0}, "api:x"); got != "api:x" {
		t.Errorf("no usable name: %q", got)
	}
}

func TestParseAPIDecision(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		want       APIDecision
		problem    string // "" = valid
	}{
		{"approve", `{"decision":"approve"}`, APIDecision{Decision: "approve"}, ""},
		{"reject with comment", `{"decision":"reject","comment":"not now"}`, APIDecision{Decision: "reject", Comment: "not now"}, ""},
		{"inputs", `{"decision":"approve","inputs":{"ticket":"OPS-1","n":2}}`, APIDecision{Decision: "approve", Inputs: map[string]any{"ticket": "OPS-1", "n": 2.0}}, ""},
		{"white space after", "{\"decision\":\"approve\"}\n  ", APIDecision{Decision: "approve"}, ""},
		{"empty", ``, APIDecision{}, "the body is empty"},
		{"not JSON", `decision=approve`, APIDecision{}, "invalid JSON"},
		{"array", `["approve"]`, APIDecision{}, "must be a JSON object"},
		{"unknown field", `{"decision":"approve","approver":"alice"}`, APIDecision{}, `unknown field "approver"`},
		{"unknown decision", `{"decision":"approved"}`, APIDecision{}, `must be "approve" or "reject", got "approved"`},
		{"missing decision", `{"comment":"x"}`, APIDecision{}, `"decision" is missing`},
		{"decision not a string", `{"decision":true}`, APIDecision{}, `"decision" must be a string`},
		{"inputs not an object", `{"decision":"approve","inputs":[1]}`, APIDecision{}, `"inputs" must be a JSON object`},
		{"two objects", `{"decision":"approve"}{"decision":"reject"}`, APIDecision{}, "nothing after it"},
		{"comment too long", `{"decision":"approve","comment":"` + strings.Repeat("é", MaxCommentRunes+1) + `"}`, APIDecision{}, "shorten it"},
		{"case matters", `{"decision":"APPROVE"}`, APIDecision{}, `got "APPROVE"`},
		{"duplicate key keeps last", `{"decision":"reject","decision":"approve"}`, APIDecision{Decision: "approve"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseAPIDecision([]byte(tc.body))
			if tc.problem == "" {
				if err != nil {
					t.Fatalf("ParseAPIDecision: %v", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("decision (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, ErrBadDecisionBody) || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("err = %v, want one saying %q", err, tc.problem)
			}
		})
	}
}

func FuzzParseAPIDecision(f *testing.F) {
	for _, s := range []string{`{"decision":"approve"}`, `{"decision":"reject","comment":"no","inputs":{"a":[1,{"b":null}]}}`, `{`, `[]`, `""`, `{"decision":"approve"} x`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseAPIDecision(b)
		if err != nil {
			if !errors.Is(err, ErrBadDecisionBody) {
				t.Fatalf("error not wrapping ErrBadDecisionBody: %v", err)
			}
			return
		}
		if d.Decision != DecisionApprove && d.Decision != DecisionReject {
			t.Fatalf("accepted decision %q", d.Decision)
		}
		if len([]rune(d.Comment)) > MaxCommentRunes {
			t.Fatalf("accepted a comment of %d runes", len([]rune(d.Comment)))
		}
	})
}

func TestCursor(t *testing.T) {
	t.Parallel()
	key := []byte(strings.Repeat("k", 32))
	s, d := "pending", "1764662400"
	last := map[string]CursorAttr{"id": {S: &s}, "due_at": {N: &d}}
	c, err := EncodeCursor(key, "status=pending", last)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeCursor(key, "status=pending", c)
	if err != nil {
		t.Fatalf("DecodeCursor: %v", err)
	}
	if diff := cmp.Diff(last, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	payload, sig, _ := strings.Cut(c, ".")
	for name, bad := range map[string]string{
		"other key":       mustCursor(t, []byte(strings.Repeat("x", 32)), "status=pending", last),
		"other scope":     mustCursor(t, key, "status=decided", last),
		"edited payload":  payload[:len(payload)-2] + "AA." + sig,
		"no signature":    payload,
		"empty":           "",
		"garbage":         "!!.!!",
		"signed non-attr": mustCursor(t, key, "status=pending", map[string]CursorAttr{"id": {}}),
	} {
		if _, err := DecodeCursor(key, "status=pending", bad); !errors.Is(err, ErrCursorInvalid) {
			t.Errorf("%s: err = %v, want ErrCursorInvalid", name, err)
		}
	}
}

func mustCursor(t *testing.T, key []byte, scope string, last map[string]CursorAttr) string {
	t.Helper()
	c, err := EncodeCursor(key, scope, last)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAPIConfigEnv(t *testing.T) {
	t.Parallel()
	base := Config{Role: RoleCallback, TableName: "t", ParamSigningKey: "/k", MinApprovals: 1, TimeoutSeconds: 60, RequireReason: ReasonNever}
	for _, a := range []*APIConfig{
		nil,
		{IssuerURL: "https://token.actions.githubusercontent.com", Audiences: []string{"b", "a,with comma"}, IdentityClaim: "sub"},
		{IssuerURL: "https://idp.example/", Audiences: []string{"x"}, IdentityClaim: "email", GroupsClaim: "groups"},
	} {
		c := base
		c.API = a
		env := c.Env()
		got, err := ConfigFromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("ConfigFromEnv: %v", err)
		}
		want := c
		want.RequesterPath, want.LinkDecisions = DefaultRequesterPath, LinkDecisionsAny
		if a != nil {
			cp := *a
			cp.Audiences = []string{cp.Audiences[len(cp.Audiences)-1]}
			if len(a.Audiences) == 2 {
				cp.Audiences = []string{"a,with comma", "b"}
			}
			want.API = &cp
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
	if _, err := ConfigFromEnv(func(k string) string {
		return map[string]string{EnvRole: "callback", EnvTableName: "t", EnvParamSigningKey: "/k", EnvAPIIssuerURL: "https://i", EnvAPIAudiences: "[]"}[k]
	}); err == nil || !strings.Contains(err.Error(), EnvAPIAudiences) {
		t.Errorf("empty audiences: err = %v", err)
	}
}
