package lambda

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Reasons and inputs on the confirm page. The approve page shows the gate's
// inputs (text, number, checkbox, select) and, when the gate requires one,
// marks the comment as a required reason; the reject page asks only for the
// reason (a rejection needs no inputs). The POST checks everything with
// approval.CheckDecisionInputs; a problem answers 400 with the form again,
// what the person typed kept and each problem next to its field.

// inputField is the form field of input name.
func inputField(name string) string { return "input." + name }

// formInputs returns the inputs of a posted form: every "input.<name>"
// field (the last value of each), so a field the gate does not have is
// refused rather than dropped.
func formInputs(form url.Values) map[string]any {
	var out map[string]any
	for k, vs := range form {
		name, ok := strings.CutPrefix(k, "input.")
		if !ok || len(vs) == 0 {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[name] = vs[len(vs)-1]
	}
	return out
}

// formProblems is what the confirm page shows about a rejected form.
type formProblems struct {
	Reason string            // about the comment
	Inputs map[string]string // input name -> problem
	Other  []string          // problems of fields the page does not show
}

func newFormProblems(c approval.Config, decision string, err error) formProblems {
	var p formProblems
	var ie *approval.InputsError
	if !errors.As(err, &ie) {
		return p
	}
	shown := map[string]bool{}
	if decision == approval.DecisionApprove {
		for _, s := range c.Inputs {
			shown[s.Name] = true
		}
	}
	for _, pr := range ie.Problems {
		switch {
		case pr.Input == "":
			p.Reason = pr.Message
		case shown[pr.Input]:
			if p.Inputs == nil {
				p.Inputs = map[string]string{}
			}
			p.Inputs[pr.Input] = pr.Message
		default:
			p.Other = append(p.Other, pr.String())
		}
	}
	return p
}

// pageInput is one input field of the confirm page.
type pageInput struct {
	Spec     approval.InputSpec
	Value    string // as typed (a checkbox: "true" when ticked)
	Required bool
	Problem  string
}

// pageInputs returns the input fields of the confirm page for decision, with
// the values of typed (nil on a first GET).
func pageInputs(c approval.Config, decision string, typed url.Values, probs formProblems) []pageInput {
	if decision != approval.DecisionApprove {
		return nil
	}
	out := make([]pageInput, len(c.Inputs))
	for i, s := range c.Inputs {
		out[i] = pageInput{Spec: s, Value: typed.Get(inputField(s.Name)), Required: s.Required, Problem: probs.Inputs[s.Name]}
	}
	return out
}

// renderInputs writes the input fields of f.
func renderInputs(w func(...string), f *pageForm) {
	for _, in := range f.Inputs {
		s := in.Spec
		id := esc(inputField(s.Name))
		req, mark := "", " (optional)"
		if in.Required {
			req, mark = " required", ""
		}
		describedBy := ""
		if s.Description != "" || in.Problem != "" {
			describedBy = ` aria-describedby="` + id + `.help"`
		}
		switch s.Type {
		case approval.InputBool:
			checked := ""
			if v, err := strconv.ParseBool(in.Value); (err == nil && v) || in.Value == "on" {
				checked = " checked"
			}
			if in.Required {
				mark = " (required)"
			} else {
				mark = ""
			}
			w(`<label class="check"><input type="checkbox" id="`, id, `" name="`, id, `" value="true"`, checked, req, describedBy, `> `,
				esc(s.DisplayLabel()), mark, "</label>\n")
		default:
			w(`<label for="`, id, `">`, esc(s.DisplayLabel()), mark, "</label>\n")
			switch s.Type {
			case approval.InputChoice:
				w(`<select id="`, id, `" name="`, id, `"`, req, describedBy, ">\n", `<option value="">Choose…</option>`, "\n")
				for _, c := range s.Choices {
					sel := ""
					if c == strings.TrimSpace(in.Value) {
						sel = " selected"
					}
					w(`<option value="`, esc(c), `"`, sel, ">", esc(c), "</option>\n")
				}
				w("</select>\n")
			case approval.InputNumber:
				w(`<input type="number" step="any" inputmode="decimal" id="`, id, `" name="`, id, `" value="`, esc(in.Value), `"`, req, describedBy, ">\n")
			default:
				w(`<input type="text" id="`, id, `" name="`, id, `" maxlength="`, strconv.Itoa(approval.MaxInputStringRunes), `" value="`, esc(in.Value), `"`, req, describedBy, ">\n")
			}
		}
		if s.Description != "" || in.Problem != "" {
			w(`<p class="hint" id="`, id, `.help">`)
			if in.Problem != "" {
				w(`<span class="error">`, esc(in.Problem), "</span> ")
			}
			w(esc(s.Description), "</p>\n")
		}
	}
}
