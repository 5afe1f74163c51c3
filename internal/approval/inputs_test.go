package approval

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// inputsConfig is a gate asking for one input of each type.
func inputsConfig(reason string) Config {
	return Config{RequireReason: reason, Inputs: []InputSpec{
		{Name: "ticket", Type: InputString, Required: true},
		{Name: "replicas", Type: InputNumber},
		{Name: "confirm", Type: InputBool, Required: true},
		{Name: "env", Type: InputChoice, Choices: []string{"staging", "prod"}},
		{Name: "notes", Type: InputString},
	}}
}

func TestCheckDecisionInputs(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", MaxInputStringRunes+1)
	tests := []struct {
		name     string
		cfg      Config
		decision string
		comment  string
		inputs   map[string]any
		want     map[string]any
		wantErr  map[string]string // input ("" = reason) -> part of the message
	}{
		{
			name: "no inputs, no reason", cfg: Config{}, decision: DecisionApprove,
		},
		{
			name: "values normalized", cfg: inputsConfig(ReasonNever), decision: DecisionApprove,
			inputs: map[string]any{"ticket": "  OPS-1 ", "replicas": "3", "confirm": "on", "env": "prod", "notes": ""},
			want:   map[string]any{"ticket": "OPS-1", "replicas": 3.0, "confirm": true, "env": "prod"},
		},
		{
			name: "JSON types from the API", cfg: inputsConfig(ReasonNever), decision: DecisionApprove,
			inputs: map[string]any{"ticket": "OPS-1", "replicas": 2.5, "confirm": true, "env": "staging"},
			want:   map[string]any{"ticket": "OPS-1", "replicas": 2.5, "confirm": true, "env": "staging"},
		},
		{
			name: "json.Number", cfg: inputsConfig(ReasonNever), decision: DecisionApprove,
			inputs: map[string]any{"ticket": "x", "confirm": true, "replicas": json.Number("-1e3")},
			want:   map[string]any{"ticket": "x", "confirm": true, "replicas": -1000.0},
		},
		{
			name: "required missing on approve", cfg: inputsConfig(ReasonNever), decision: DecisionApprove,
			inputs:  map[string]any{"ticket": "   "},
			wantErr: map[string]string{"ticket": "is required to approve", "confirm": "must be ticked to approve"},
		},
		{
			name: "required not needed on reject", cfg: inputsConfig(ReasonNever), decision: DecisionReject,
			want: map[string]any{"confirm": false},
		},
		{
			name: "given values are still checked on reject", cfg: inputsConfig(ReasonNever), decision: DecisionReject,
			inputs:  map[string]any{"env": "dev"},
			wantErr: map[string]string{"env": `must be one of "staging", "prod"`},
		},
		{
			name: "wrong types", cfg: inputsConfig(ReasonNever), decision: DecisionApprove,
			inputs: map[string]any{"ticket": 12.0, "replicas": true, "confirm": "maybe", "env": []any{"prod"}},
			wantErr: map[string]string{
				"ticket": "must be text", "replicas": "must be a number", "confirm": "must be true or false", "env": "must be text",
			},
		},
		{
			name: "numbers that are not decimal", cfg: inputsConfig(ReasonNever), decision: DecisionReject,
			inputs:  map[string]any{"replicas": "0x10"},
			wantErr: map[string]string{"replicas": "must be a number such as 42 or 2.5"},
		},
		{
			name: "infinite number", cfg: inputsConfig(ReasonNever), decision: DecisionReject,
			inputs:  map[string]any{"replicas": "1e400"},
			wantErr: map[string]string{"replicas": "must be a finite number"},
		},
		{
			name: "NaN", cfg: inputsConfig(ReasonNever), decision: DecisionReject,
			inputs: map[string]any{"replicas": "NaN"}, wantErr: map[string]string{"replicas": "must be a number"},
		},
		{
			name: "choice is case-sensitive", cfg: inputsConfig(ReasonNever), decision: DecisionReject,
			inputs: map[string]any{"env": "Prod"}, wantErr: map[string]string{"env": "must be one of"},
		},
		{
			name: "string too long", cfg: inputsConfig(ReasonNever), decision: DecisionReject,
			inputs: map[string]any{"notes": long}, wantErr: map[string]string{"notes": "must be at most 500 characters (got 501)"},
		},
		{
			name: "string with a line break", cfg: inputsConfig(ReasonNever), decision: DecisionReject,
			inputs: map[string]any{"notes": "a\nb"}, wantErr: map[string]string{"notes": "must be one line of text"},
		},
		{
			name: "invalid UTF-8", cfg: inputsConfig(ReasonNever), decision: DecisionReject,
			inputs: map[string]any{"notes": "a\xffb"}, wantErr: map[string]string{"notes": "must be one line of text"},
		},
		{
			name: "unknown input", cfg: inputsConfig(ReasonNever), decision: DecisionReject,
			inputs:  map[string]any{"admin": true},
			wantErr: map[string]string{"admin": `this gate has no such input (it takes "ticket", "replicas", "confirm", "env", "notes")`},
		},
		{
			name: "inputs to a gate without inputs", cfg: Config{}, decision: DecisionApprove,
			inputs: map[string]any{"x": "1"}, wantErr: map[string]string{"x": "this gate takes no inputs"},
		},
		{
			name: "reason on reject: missing", cfg: Config{RequireReason: ReasonReject}, decision: DecisionReject, comment: " \n ",
			wantErr: map[string]string{"": "a reason is required to reject this request"},
		},
		{
			name: "reason on reject: approve needs none", cfg: Config{RequireReason: ReasonReject}, decision: DecisionApprove,
		},
		{
			name: "reason on reject: given", cfg: Config{RequireReason: ReasonReject}, decision: DecisionReject, comment: "broken build",
		},
		{
			name: "reason always: approve", cfg: Config{RequireReason: ReasonAlways}, decision: DecisionApprove,
			wantErr: map[string]string{"": "a reason is required to approve this request"},
		},
		{
			name: "reason never", cfg: Config{RequireReason: ReasonNever}, decision: DecisionReject,
		},
		{
			name: "every problem at once", cfg: inputsConfig(ReasonAlways), decision: DecisionApprove,
			inputs:  map[string]any{"ticket": "OPS-1", "confirm": false, "zzz": 1.0},
			wantErr: map[string]string{"": "reason is required", "confirm": "ticked", "zzz": "no such input"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := CheckDecisionInputs(tt.cfg, tt.decision, tt.comment, tt.inputs)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				want := tt.want
				if want == nil && len(tt.cfg.Inputs) > 0 {
					want = map[string]any{}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("values (-want +got):\n%s", diff)
				}
				return
			}
			var ie *InputsError
			if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidInputs) {
				t.Fatalf("error = %v, want an *InputsError", err)
			}
			if got != nil {
				t.Errorf("values = %v with an error", got)
			}
			if len(ie.Problems) != len(tt.wantErr) {
				t.Errorf("problems = %+v, want %d", ie.Problems, len(tt.wantErr))
			}
			for name, want := range tt.wantErr {
				if msg := ie.For(name); !strings.Contains(msg, want) {
					t.Errorf("problem of %q = %q, want it to contain %q (all: %v)", name, msg, want, err)
				}
			}
		})
	}
}

func TestCheckDecisionInputs_invalidDecision(t *testing.T) {
	t.Parallel()
	if _, err := CheckDecisionInputs(Config{}, "maybe", "", nil); !errors.Is(err, ErrInvalidDecision) {
		t.Fatalf("error = %v, want ErrInvalidDecision", err)
	}
}

func TestInputsErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := CheckDecisionInputs(inputsConfig(ReasonReject), DecisionReject, "", map[string]any{"env": "dev"})
	want := `a reason is required to reject this request: say why in the comment; input "env": must be one of "staging", "prod"`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

func TestValidateInputSpecs(t *testing.T) {
	t.Parallel()
	many := make([]InputSpec, MaxInputs+1)
	for i := range many {
		many[i] = InputSpec{Name: "i" + strings.Repeat("x", i), Type: InputBool}
	}
	tooManyChoices := make([]string, MaxInputChoices+1)
	for i := range tooManyChoices {
		tooManyChoices[i] = "c" + strings.Repeat("x", i)
	}
	big := make([]InputSpec, MaxInputs)
	for i := range big {
		big[i] = InputSpec{Name: "i" + strings.Repeat("x", i), Type: InputString, Description: strings.Repeat("d", MaxInputDescriptionRunes)}
	}
	tests := []struct {
		name  string
		specs []InputSpec
		want  []SpecProblem // Message compared by prefix
	}{
		{name: "none"},
		{name: "good", specs: inputsConfig("").Inputs},
		{name: "too many", specs: many, want: []SpecProblem{{-1, "", "a gate asks for at most 10 inputs, got 11"}}},
		{
			name:  "duplicate name",
			specs: []InputSpec{{Name: "a", Type: InputBool}, {Name: "a", Type: InputString}},
			want:  []SpecProblem{{1, "name", `input name "a" is used twice (inputs 0 and 1)`}},
		},
		{
			name: "unsafe names",
			specs: []InputSpec{
				{Name: "", Type: InputBool}, {Name: "Ticket", Type: InputBool}, {Name: "a-b", Type: InputBool},
				{Name: "1a", Type: InputBool}, {Name: "a" + strings.Repeat("b", MaxInputNameLength), Type: InputBool},
			},
			want: []SpecProblem{
				{0, "name", "the input has no name"}, {1, "name", `input name "Ticket" must be`},
				{2, "name", `input name "a-b" must be`}, {3, "name", `input name "1a" must be`}, {4, "name", `input name "abbb`},
			},
		},
		{
			name: "unknown type", specs: []InputSpec{{Name: "a", Type: "date"}},
			want: []SpecProblem{{0, "type", `input "a" has type "date": the type must be one of "string", "number", "bool", "choice"`}},
		},
		{
			name: "choices on a string", specs: []InputSpec{{Name: "a", Type: InputString, Choices: []string{"x"}}},
			want: []SpecProblem{{0, "choices", `input "a" has type "string", which takes no choices`}},
		},
		{
			name: "empty choices list on a string", specs: []InputSpec{{Name: "a", Type: InputString, Choices: []string{}}},
			want: []SpecProblem{{0, "choices", `input "a" has type "string", which takes no choices`}},
		},
		{
			name: "choice without choices", specs: []InputSpec{{Name: "a", Type: InputChoice}},
			want: []SpecProblem{{0, "choices", `input "a" is a choice: give its choices`}},
		},
		{
			name: "too many choices", specs: []InputSpec{{Name: "a", Type: InputChoice, Choices: tooManyChoices}},
			want: []SpecProblem{{0, "choices", `input "a" has 26 choices: at most 25`}},
		},
		{
			name:  "bad choices",
			specs: []InputSpec{{Name: "a", Type: InputChoice, Choices: []string{"x", "x", " y", "", strings.Repeat("z", MaxChoiceRunes+1)}}},
			want: []SpecProblem{
				{0, "choices", `input "a": choice "x" is listed twice`},
				{0, "choices", `input "a": choice " y" must be non-empty`},
				{0, "choices", `input "a": choice "" must be non-empty`},
				{0, "choices", `input "a": choice "zzz`},
			},
		},
		{
			name: "long label and description",
			specs: []InputSpec{{Name: "a", Type: InputBool, Label: strings.Repeat("l", MaxInputLabelRunes+1),
				Description: strings.Repeat("d", MaxInputDescriptionRunes+1)}},
			want: []SpecProblem{
				{0, "label", `the label of input "a" must be at most 100 characters`},
				{0, "description", `the description of input "a" must be at most 300 characters`},
			},
		},
		{
			name: "too large for the environment", specs: big,
			want: []SpecProblem{{-1, "", "the inputs take"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ValidateInputSpecs(tt.specs)
			if len(got) != len(tt.want) {
				t.Fatalf("problems = %+v, want %+v", got, tt.want)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Index != w.Index || g.Attr != w.Attr || !strings.HasPrefix(g.Message, w.Message) {
					t.Errorf("problem %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestInputsEnvRoundTrip(t *testing.T) {
	t.Parallel()
	c := baseConfigForInputs()
	c.RequireReason = ReasonReject
	c.Inputs = inputsConfig("").Inputs
	env := c.Env()
	if env[EnvRequireReason] != ReasonReject || !strings.HasPrefix(env[EnvInputs], `[{"name":"ticket","type":"string","required":true}`) {
		t.Fatalf("env = %q", env)
	}
	got, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.Inputs, got.Inputs); diff != "" || got.RequireReason != ReasonReject {
		t.Errorf("round trip (-want +got):\n%s reason %q", diff, got.RequireReason)
	}

	// Defaults are omitted and read back as "never" and no inputs.
	plain := baseConfigForInputs().Env()
	if _, ok := plain[EnvRequireReason]; ok {
		t.Errorf("env has %s for the default", EnvRequireReason)
	}
	if _, ok := plain[EnvInputs]; ok {
		t.Errorf("env has %s without inputs", EnvInputs)
	}
	got, err = ConfigFromEnv(func(k string) string { return plain[k] })
	if err != nil || got.RequireReason != ReasonNever || got.Inputs != nil {
		t.Errorf("defaults = %q %v, %v", got.RequireReason, got.Inputs, err)
	}
}

func TestInputsFromEnvErrors(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct{ key, value, want string }{
		"unknown reason": {EnvRequireReason, "sometimes", `MANUALAPPROVAL_REQUIRE_REASON must be one of "never", "reject", "always", got "sometimes"`},
		"not JSON":       {EnvInputs, "[", "MANUALAPPROVAL_INPUTS is not a JSON list of inputs"},
		"invalid spec":   {EnvInputs, `[{"name":"A","type":"bool"}]`, `MANUALAPPROVAL_INPUTS: input name "A" must be`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := baseConfigForInputs().Env()
			env[tt.key] = tt.value
			_, err := ConfigFromEnv(func(k string) string { return env[k] })
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %s…", err, tt.want)
			}
		})
	}
}

func TestApplyCarriesInputs(t *testing.T) {
	t.Parallel()
	r := Request{ID: "r", Status: StatusPending, ExpiresAt: t0.Add(time.Hour), MinApprovals: 2}
	a := slackVote("UALICE", "alice", DecisionApprove, 1)
	a.Inputs = map[string]any{"ticket": "OPS-1"}
	b := slackVote("UBOB", "bob", DecisionApprove, 2)
	b.Inputs = map[string]any{"ticket": "OPS-2"}
	open := Policy{AllowSelfApproval: true}
	r, res, err := Apply(r, open, a)
	if err != nil || res != Counted {
		t.Fatalf("first vote: %v %v", res, err)
	}
	r, res, err = Apply(r, open, b)
	if err != nil || res != Decided {
		t.Fatalf("second vote: %v %v", res, err)
	}
	got, _ := json.Marshal(r.Outcome)
	want := `{"decision":"approved","approvers":[{"id":"slack:UALICE","name":"alice","via":"slack","inputs":{"ticket":"OPS-1"}},` +
		`{"id":"slack:UBOB","name":"bob","via":"slack","inputs":{"ticket":"OPS-2"}}],"comment":"","decided_at":"2026-11-25T08:02:00Z",` +
		`"request_id":"r","inputs":{"ticket":"OPS-2"}}`
	if string(got) != want {
		t.Errorf("outcome =\n%s\nwant\n%s", got, want)
	}
}

func baseConfigForInputs() Config {
	return Config{Role: RoleCallback, TableName: "t", ParamSigningKey: "/k", MinApprovals: 1, TimeoutSeconds: 60}
}
