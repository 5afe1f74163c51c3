package lambda

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// withInputs configures a gate that asks for a reason on rejections and for
// one input of each type.
func withInputs(c *approval.Config) {
	c.RequireReason = approval.ReasonReject
	c.Inputs = []approval.InputSpec{
		{Name: "ticket", Type: approval.InputString, Required: true, Label: "Change ticket", Description: "The ticket that tracks this change."},
		{Name: "replicas", Type: approval.InputNumber},
		{Name: "confirm", Type: approval.InputBool, Required: true, Label: "I checked the dashboards"},
		{Name: "env", Type: approval.InputChoice, Choices: []string{"staging", "prod"}},
	}
}

func TestCallback_inputsOnConfirmPage(t *testing.T) {
	t.Parallel()
	h := newCallback(t, withInputs)
	id := reqID(40)
	h.db.put(pendingRequest(id))

	approve := h.do(httpEvent("GET", "/r/"+id, h.linkQuery(pendingRequest(id), "approve"), "", nil))
	for _, want := range []string{
		`<label for="input.ticket">Change ticket</label>`,
		`<input type="text" id="input.ticket" name="input.ticket" maxlength="500" value="" required aria-describedby="input.ticket.help">`,
		`<p class="hint" id="input.ticket.help">The ticket that tracks this change.</p>`,
		`<label for="input.replicas">replicas (optional)</label>`,
		`<input type="number" step="any" inputmode="decimal" id="input.replicas" name="input.replicas" value="">`,
		`<input type="checkbox" id="input.confirm" name="input.confirm" value="true" required> I checked the dashboards (required)</label>`,
		`<select id="input.env" name="input.env">`, `<option value="prod">prod</option>`,
		`<label for="comment">Comment (optional)</label>`,
	} {
		if !strings.Contains(approve.Body, want) {
			t.Errorf("approve page lacks %s:\n%s", want, approve.Body)
		}
	}

	reject := h.do(httpEvent("GET", "/r/"+id, h.linkQuery(pendingRequest(id), "reject"), "", nil))
	if !strings.Contains(reject.Body, `<label for="comment">Reason (required)</label>`) ||
		!strings.Contains(reject.Body, `<textarea id="comment" name="comment" rows="3" maxlength="1000" required>`) {
		t.Errorf("reject page does not require a reason:\n%s", reject.Body)
	}
	if strings.Contains(reject.Body, "input.") {
		t.Errorf("reject page asks for inputs:\n%s", reject.Body)
	}
}

func TestCallback_inputsRoundTrip(t *testing.T) {
	t.Parallel()
	h := newCallback(t, withInputs)
	id := reqID(41)
	h.db.put(pendingRequest(id))
	resp := h.do(formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{
		"name": {"Bob"}, "comment": {"go"}, "input.ticket": {" OPS-7 "}, "input.replicas": {"3"}, "input.confirm": {"true"}, "input.env": {"prod"},
	}))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d:\n%s", resp.StatusCode, resp.Body)
	}
	calls := h.sfn.Calls()
	if len(calls) != 1 || !calls[0].Success {
		t.Fatalf("Step Functions calls = %+v", calls)
	}
	var out struct {
		Inputs    map[string]any `json:"inputs"`
		Approvers []struct {
			Inputs map[string]any `json:"inputs"`
		} `json:"approvers"`
	}
	if err := json.Unmarshal([]byte(calls[0].Output), &out); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ticket": "OPS-7", "replicas": 3.0, "confirm": true, "env": "prod"}
	if diff := cmp.Diff(want, out.Inputs); diff != "" {
		t.Errorf("output inputs (-want +got):\n%s\noutput: %s", diff, calls[0].Output)
	}
	if len(out.Approvers) != 1 || cmp.Diff(want, out.Approvers[0].Inputs) != "" {
		t.Errorf("approvers' inputs = %+v", out.Approvers)
	}
	// The vote is stored with its inputs.
	votes := h.db.request(id).Votes
	if len(votes) != 1 {
		t.Fatalf("votes = %v", votes)
	}
	var v approval.Vote
	for _, v = range votes {
	}
	if diff := cmp.Diff(want, v.Inputs); diff != "" {
		t.Errorf("stored inputs (-want +got):\n%s", diff)
	}
}

func TestCallback_rejectWithReason(t *testing.T) {
	t.Parallel()
	h := newCallback(t, withInputs)
	id := reqID(42)
	h.db.put(pendingRequest(id))
	resp := h.do(formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "reject"), url.Values{"comment": {"the canary is red"}}))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d:\n%s", resp.StatusCode, resp.Body)
	}
	calls := h.sfn.Calls()
	if len(calls) != 1 || calls[0].Success || calls[0].Error != approval.ErrorRejected {
		t.Fatalf("Step Functions calls = %+v", calls)
	}
	var cause approval.Outcome
	if err := json.Unmarshal([]byte(calls[0].Cause), &cause); err != nil {
		t.Fatal(err)
	}
	if cause.Comment != "the canary is red" || cmp.Diff(map[string]any{"confirm": false}, cause.Inputs) != "" {
		t.Errorf("cause = %s", calls[0].Cause)
	}
}

// TestCallback_badInputs: every rule refused with a 400 page that says what
// is wrong, keeps what was typed, and decides nothing.
func TestCallback_badInputs(t *testing.T) {
	t.Parallel()
	good := func() url.Values {
		return url.Values{"name": {"Bob"}, "input.ticket": {"OPS-7"}, "input.confirm": {"true"}}
	}
	with := func(mut func(url.Values)) url.Values { f := good(); mut(f); return f }
	tests := []struct {
		name     string
		decision string
		form     url.Values
		want     []string // in the page
	}{
		{"reject without a reason", "reject", url.Values{"comment": {"   "}},
			[]string{`<p class="error">a reason is required to reject this request: say why in the comment</p>`}},
		{"required text missing", "approve", with(func(f url.Values) { f.Del("input.ticket"); f.Set("comment", "kept comment") }),
			[]string{`<span class="error">is required to approve</span>`, ">kept comment</textarea>"}},
		{"confirmation not ticked", "approve", with(func(f url.Values) { f.Del("input.confirm") }),
			[]string{`<span class="error">must be ticked to approve</span>`, `value="OPS-7"`}},
		{"not a number", "approve", with(func(f url.Values) { f.Set("input.replicas", "three") }),
			[]string{`<span class="error">must be a number such as 42 or 2.5</span>`, `name="input.replicas" value="three"`}},
		{"not a choice", "approve", with(func(f url.Values) { f.Set("input.env", "dev") }),
			[]string{`<span class="error">must be one of &#34;staging&#34;, &#34;prod&#34;</span>`}},
		{"text too long", "approve", with(func(f url.Values) { f.Set("input.ticket", strings.Repeat("x", 501)) }),
			[]string{`must be at most 500 characters (got 501)`}},
		{"unknown input", "approve", with(func(f url.Values) { f.Set("input.admin", "true") }),
			[]string{`Input &#34;admin&#34;: this gate has no such input`}},
		{"inputs on a reject page are still checked", "reject", url.Values{"comment": {"no"}, "input.env": {"dev"}},
			[]string{`Input &#34;env&#34;: must be one of`}},
		{"what was typed is escaped", "approve", with(func(f url.Values) { f.Set("input.ticket", `"><script>x</script>`); f.Set("input.replicas", "<b>") }),
			[]string{`value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"`, `value="&lt;b&gt;"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCallback(t, withInputs)
			id := reqID(43)
			h.db.put(pendingRequest(id))
			resp := h.do(formEvent("/r/"+id, h.linkQuery(pendingRequest(id), tt.decision), tt.form))
			if resp.StatusCode != 400 {
				t.Errorf("status = %d, want 400:\n%s", resp.StatusCode, resp.Body)
			}
			for _, w := range append(tt.want, "nothing was decided") {
				if !strings.Contains(resp.Body, w) {
					t.Errorf("page lacks %s:\n%s", w, resp.Body)
				}
			}
			if strings.Contains(resp.Body, "<script>") {
				t.Errorf("unescaped markup:\n%s", resp.Body)
			}
			if n := len(h.sfn.Calls()); n != 0 {
				t.Errorf("%d Step Functions calls, want none", n)
			}
			if r := h.db.request(id); r.Status != approval.StatusPending || len(r.Votes) != 0 {
				t.Errorf("request changed: status %s, votes %v", r.Status, r.Votes)
			}
		})
	}
}

// TestCallback_inputsNotConfigured: a gate without inputs refuses input
// fields and keeps deciding as before without them.
func TestCallback_inputsNotConfigured(t *testing.T) {
	t.Parallel()
	h := newCallback(t, nil)
	id := reqID(44)
	h.db.put(pendingRequest(id))
	resp := h.do(formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "approve"), url.Values{"input.x": {"1"}}))
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, "this gate takes no inputs") {
		t.Fatalf("status %d:\n%s", resp.StatusCode, resp.Body)
	}
	resp = h.do(formEvent("/r/"+id, h.linkQuery(pendingRequest(id), "reject"), url.Values{}))
	if resp.StatusCode != 200 {
		t.Fatalf("reject without reason: status %d:\n%s", resp.StatusCode, resp.Body)
	}
	if c := h.sfn.Calls(); len(c) != 1 || strings.Contains(c[0].Cause, `"inputs"`) {
		t.Errorf("calls = %+v (no inputs expected in the cause)", c)
	}
}
