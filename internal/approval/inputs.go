package approval

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reasons and inputs: what a person must or may give with a decision. A gate
// may require a reason (the decision's comment) on rejections or on every
// decision, and may ask approvers for typed values (a ticket number, a target
// environment, a confirmation). The values travel in the Vote, are stored
// with it, and reach the state machine in the Outcome under "inputs".

// Values of Config.RequireReason.
const (
	ReasonNever  = "never"  // a comment is optional (the default)
	ReasonReject = "reject" // a rejection needs a comment
	ReasonAlways = "always" // every decision needs a comment
)

// RequireReasonValues are the valid values of require_reason, in the order
// the documentation lists them.
var RequireReasonValues = []string{ReasonNever, ReasonReject, ReasonAlways}

// Input types.
const (
	InputString = "string" // one line of text
	InputNumber = "number" // a decimal number
	InputBool   = "bool"   // a checkbox: true or false
	InputChoice = "choice" // one of the input's choices
)

// InputTypes are the valid input types, in the order the documentation
// lists them.
var InputTypes = []string{InputString, InputNumber, InputBool, InputChoice}

// Limits of the inputs a gate may ask for, and of the values people give.
const (
	// MaxInputs is the most inputs a gate may ask for.
	MaxInputs = 10
	// MaxInputNameLength is the longest input name.
	MaxInputNameLength = 40
	// MaxInputChoices is the most choices of a choice input.
	MaxInputChoices = 25
	// MaxChoiceRunes is the longest choice (Slack's option text allows 75).
	MaxChoiceRunes = 75
	// MaxInputLabelRunes is the longest label.
	MaxInputLabelRunes = 100
	// MaxInputDescriptionRunes is the longest description.
	MaxInputDescriptionRunes = 300
	// MaxInputStringRunes is the longest string value a person may give.
	MaxInputStringRunes = 500
	// maxNumberLength is the longest number, as typed.
	maxNumberLength = 32
	// MaxInputsSpecBytes caps the inputs' compact JSON, which travels in the
	// functions' environment (4 KB for all variables together).
	MaxInputsSpecBytes = 2048
)

// InputNameRegexp is the pattern of an input name: a lower-case letter, then
// lower-case letters, digits and underscores. Names are keys of the task
// output (a Choice state reads $.inputs.<name>) and of form fields, so they
// need no quoting anywhere.
var InputNameRegexp = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// InputSpec is one value approvers fill in with their decision.
type InputSpec struct {
	Name string `json:"name"`
	Type string `json:"type"` // one of InputTypes
	// Choices are the values of a choice input (only for InputChoice).
	Choices []string `json:"choices,omitempty"`
	// Required: an approval must give it (a required bool must be true: a
	// confirmation). A rejection never needs inputs.
	Required    bool   `json:"required,omitempty"`
	Label       string `json:"label,omitempty"`       // shown instead of the name
	Description string `json:"description,omitempty"` // a hint under the field
}

// DisplayLabel is the label shown for the input: its Label, else its Name.
func (s InputSpec) DisplayLabel() string {
	if s.Label != "" {
		return s.Label
	}
	return s.Name
}

// SpecProblem is one thing wrong with a gate's inputs. Index is the input's
// position (-1 for the list as a whole) and Attr the attribute at fault
// ("name", "type", "choices", "label", "description"; empty for the whole
// input or list).
type SpecProblem struct {
	Index   int
	Attr    string
	Message string
}

// ValidateInputSpecs checks the inputs a gate asks for: at most MaxInputs,
// distinct names matching InputNameRegexp, a known type, choices exactly for
// choice inputs (non-empty, distinct, each 1 to MaxChoiceRunes characters),
// labels and descriptions within their caps, and all of it within
// MaxInputsSpecBytes of JSON. It returns every problem found.
func ValidateInputSpecs(specs []InputSpec) []SpecProblem {
	var out []SpecProblem
	add := func(i int, attr, format string, args ...any) {
		out = append(out, SpecProblem{Index: i, Attr: attr, Message: fmt.Sprintf(format, args...)})
	}
	if len(specs) > MaxInputs {
		add(-1, "", "a gate asks for at most %d inputs, got %d: keep the values the workflow really needs", MaxInputs, len(specs))
	}
	seen := map[string]int{}
	for i, s := range specs {
		switch {
		case s.Name == "":
			add(i, "name", "the input has no name")
		case len(s.Name) > MaxInputNameLength || !InputNameRegexp.MatchString(s.Name):
			add(i, "name", "input name %q must be 1 to %d characters: a lower-case letter, then lower-case letters, digits and underscores (e.g. ticket_id)", s.Name, MaxInputNameLength)
		default:
			if j, dup := seen[s.Name]; dup {
				add(i, "name", "input name %q is used twice (inputs %d and %d): names must be distinct", s.Name, j, i)
			}
			seen[s.Name] = i
		}
		if !slices.Contains(InputTypes, s.Type) {
			add(i, "type", "input %q has type %q: the type must be one of %s", s.Name, s.Type, quoteList(InputTypes))
		}
		switch {
		case s.Type == InputChoice && len(s.Choices) == 0:
			add(i, "choices", "input %q is a choice: give its choices (1 to %d values)", s.Name, MaxInputChoices)
		case s.Type != InputChoice && s.Choices != nil:
			add(i, "choices", "input %q has type %q, which takes no choices: remove choices, or set type = %q", s.Name, s.Type, InputChoice)
		case len(s.Choices) > MaxInputChoices:
			add(i, "choices", "input %q has %d choices: at most %d", s.Name, len(s.Choices), MaxInputChoices)
		}
		if s.Type == InputChoice {
			dup := map[string]bool{}
			for _, c := range s.Choices {
				switch {
				case strings.TrimSpace(c) == "" || c != strings.TrimSpace(c):
					add(i, "choices", "input %q: choice %q must be non-empty and have no leading or trailing spaces", s.Name, c)
				case utf8.RuneCountInString(c) > MaxChoiceRunes || hasControl(c):
					add(i, "choices", "input %q: choice %q must be at most %d characters on one line", s.Name, c, MaxChoiceRunes)
				case dup[c]:
					add(i, "choices", "input %q: choice %q is listed twice", s.Name, c)
				}
				dup[c] = true
			}
		}
		if utf8.RuneCountInString(s.Label) > MaxInputLabelRunes || hasControl(s.Label) {
			add(i, "label", "the label of input %q must be at most %d characters on one line", s.Name, MaxInputLabelRunes)
		}
		if utf8.RuneCountInString(s.Description) > MaxInputDescriptionRunes {
			add(i, "description", "the description of input %q must be at most %d characters", s.Name, MaxInputDescriptionRunes)
		}
	}
	if n := len(EncodeInputSpecs(specs)); n > MaxInputsSpecBytes {
		add(-1, "", "the inputs take %d bytes once encoded, more than the %d that fit in the functions' environment: "+
			"shorten labels, descriptions and choices, or ask for fewer inputs", n, MaxInputsSpecBytes)
	}
	return out
}

// EncodeInputSpecs renders specs as compact JSON ("" for none): the value of
// EnvInputs.
func EncodeInputSpecs(specs []InputSpec) string {
	if len(specs) == 0 {
		return ""
	}
	b, _ := json.Marshal(specs) // strings and bools always marshal
	return string(b)
}

// Environment variables of reasons and inputs (see Config.Env).
const (
	EnvRequireReason = "MANUALAPPROVAL_REQUIRE_REASON"
	EnvInputs        = "MANUALAPPROVAL_INPUTS"
)

// putInputsEnv adds the reason rule and the inputs to env, omitting defaults.
func (c Config) putInputsEnv(env map[string]string) {
	if c.RequireReason != "" && c.RequireReason != ReasonNever {
		env[EnvRequireReason] = c.RequireReason
	}
	if s := EncodeInputSpecs(c.Inputs); s != "" {
		env[EnvInputs] = s
	}
}

// inputsFromEnv reads what putInputsEnv wrote.
func (c *Config) inputsFromEnv(getenv func(string) string) error {
	c.RequireReason = getenv(EnvRequireReason)
	if c.RequireReason == "" {
		c.RequireReason = ReasonNever
	}
	if !slices.Contains(RequireReasonValues, c.RequireReason) {
		return fmt.Errorf("%s must be one of %s, got %q", EnvRequireReason, quoteList(RequireReasonValues), c.RequireReason)
	}
	if v := getenv(EnvInputs); v != "" {
		if err := json.Unmarshal([]byte(v), &c.Inputs); err != nil {
			return fmt.Errorf("%s is not a JSON list of inputs: %w", EnvInputs, err)
		}
		if p := ValidateInputSpecs(c.Inputs); len(p) > 0 {
			return fmt.Errorf("%s: %s", EnvInputs, p[0].Message)
		}
	}
	return nil
}

// ReasonRequired reports whether c requires a reason (a non-blank comment)
// for decision.
func ReasonRequired(c Config, decision string) bool {
	switch c.RequireReason {
	case ReasonAlways:
		return true
	case ReasonReject:
		return decision == DecisionReject
	}
	return false
}

// ErrInvalidInputs is matched (errors.Is) by every *InputsError.
var ErrInvalidInputs = errors.New("invalid reason or inputs")

// InputError is one problem with what a person gave: Input names the input,
// or is empty for the reason (the comment).
type InputError struct {
	Input   string
	Message string
}

func (e InputError) String() string {
	if e.Input == "" {
		return e.Message
	}
	return fmt.Sprintf("input %q: %s", e.Input, e.Message)
}

// InputsError lists every problem with a decision's reason and inputs.
type InputsError struct {
	Problems []InputError
}

func (e *InputsError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalidInputs) true.
func (e *InputsError) Is(target error) bool { return target == ErrInvalidInputs }

// For returns the message about input name ("" for the reason), or "".
func (e *InputsError) For(name string) string {
	for _, p := range e.Problems {
		if p.Input == name {
			return p.Message
		}
	}
	return ""
}

// CheckDecisionInputs applies c's reason rule and inputs to a decision
// ("approve" or "reject") with its comment and the values given (from a form,
// a Slack modal or the API: form values arrive as strings, so numbers and
// bools also accept their string forms). It returns the values normalized —
// strings trimmed, numbers as float64, bools as bool (false when not given),
// choices as given; inputs left empty are absent — or an *InputsError that
// names each input at fault and why (errors.Is ErrInvalidInputs).
//
// The rules: a reason (a comment that is not blank) is needed when
// ReasonRequired; only the gate's inputs are taken; strings are one line of
// at most MaxInputStringRunes characters; numbers are decimal and finite;
// choices are one of the input's choices; on an approval, every required
// input is given (a required bool is true). A rejection needs no inputs, but
// the ones given are checked and kept.
func CheckDecisionInputs(c Config, decision, comment string, inputs map[string]any) (map[string]any, error) {
	if decision != DecisionApprove && decision != DecisionReject {
		return nil, ErrInvalidDecision
	}
	var problems []InputError
	bad := func(name, format string, args ...any) {
		problems = append(problems, InputError{Input: name, Message: fmt.Sprintf(format, args...)})
	}
	if ReasonRequired(c, decision) && strings.TrimSpace(comment) == "" {
		verb := "approve"
		if decision == DecisionReject {
			verb = "reject"
		}
		bad("", "a reason is required to %s this request: say why in the comment", verb)
	}
	specs := map[string]InputSpec{}
	for _, s := range c.Inputs {
		specs[s.Name] = s
	}
	var unknown []string
	for k := range inputs {
		if _, ok := specs[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		if len(c.Inputs) == 0 {
			bad(Truncate(k, MaxInputNameLength), "this gate takes no inputs")
		} else {
			bad(Truncate(k, MaxInputNameLength), "this gate has no such input (it takes %s)", quoteList(inputNames(c.Inputs)))
		}
	}
	var out map[string]any
	if len(c.Inputs) > 0 {
		out = map[string]any{}
	}
	for _, s := range c.Inputs {
		v, msg := normalizeInput(s, inputs[s.Name])
		switch {
		case msg != "":
			bad(s.Name, "%s", msg)
			continue
		case v == nil && s.Required && decision == DecisionApprove:
			bad(s.Name, "is required to approve")
			continue
		case s.Type == InputBool && s.Required && decision == DecisionApprove && v == false:
			bad(s.Name, "must be ticked to approve")
			continue
		case v == nil:
			continue
		}
		out[s.Name] = v
	}
	if len(problems) > 0 {
		return nil, &InputsError{Problems: problems}
	}
	return out, nil
}

// numberRegexp is a decimal number as JSON writes it.
var numberRegexp = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// normalizeInput returns v as input s takes it (nil when not given), or what
// is wrong with it.
func normalizeInput(s InputSpec, v any) (any, string) {
	if v == nil {
		if s.Type == InputBool {
			return false, ""
		}
		return nil, ""
	}
	switch s.Type {
	case InputString, InputChoice:
		str, ok := v.(string)
		if !ok {
			return nil, "must be text"
		}
		str = strings.TrimSpace(str)
		switch {
		case str == "":
			return nil, ""
		case !utf8.ValidString(str) || hasControl(str):
			return nil, "must be one line of text"
		case s.Type == InputChoice && !slices.Contains(s.Choices, str):
			return nil, "must be one of " + quoteList(s.Choices)
		case utf8.RuneCountInString(str) > MaxInputStringRunes:
			return nil, fmt.Sprintf("must be at most %d characters (got %d)", MaxInputStringRunes, utf8.RuneCountInString(str))
		}
		return str, ""
	case InputNumber:
		var f float64
		switch n := v.(type) {
		case float64:
			f = n
		case float32:
			f = float64(n)
		case int:
			f = float64(n)
		case int64:
			f = float64(n)
		case json.Number:
			return parseNumber(string(n))
		case string:
			return parseNumber(n)
		default:
			return nil, "must be a number such as 42 or 2.5"
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, "must be a finite number"
		}
		return f, ""
	case InputBool:
		switch b := v.(type) {
		case bool:
			return b, ""
		case string:
			switch strings.ToLower(strings.TrimSpace(b)) {
			case "true", "on", "1", "yes":
				return true, ""
			case "false", "off", "0", "no", "":
				return false, ""
			}
		}
		return nil, "must be true or false"
	}
	return nil, "has an unknown type"
}

func parseNumber(s string) (any, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ""
	}
	if len(s) > maxNumberLength || !numberRegexp.MatchString(s) {
		return nil, "must be a number such as 42 or 2.5"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, "must be a finite number"
	}
	return f, ""
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

func inputNames(specs []InputSpec) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.Name
	}
	return out
}

// quoteList renders values as `"a", "b"`.
func quoteList(values []string) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = strconv.Quote(v)
	}
	return strings.Join(parts, ", ")
}
