package gate_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// mutation changes one field of a Spec (testSpec's) to another valid value.
type mutation struct {
	field string
	f     func(*gate.Spec)
	// onKumo is "" when the local AWS can apply the change, else why not
	// (TestUpdate_selective then leaves it to TestPartInputs_everyField).
	notOnKumo string
}

// specMutations covers every field of gate.Spec but Name (a new name is a
// new gate). TestPartInputs_everyField fails when a field is added to the
// Spec without one.
var specMutations = []mutation{
	{field: "Description", f: func(s *gate.Spec) { s.Description = "changed" }},
	{field: "Tags", f: func(s *gate.Spec) { s.Tags = map[string]string{"team": "release"} }},
	{field: "TimeoutSeconds", f: func(s *gate.Spec) { s.TimeoutSeconds = 7200 }},
	{field: "Slack", f: func(s *gate.Spec) {
		s.Slack = &gate.SlackSpec{Format: "blocks", WebhookURL: "http://127.0.0.1:9/other"}
	}},
	{field: "Webhook", f: func(s *gate.Spec) { s.Webhook = &gate.WebhookSpec{URL: s.Webhook.URL, Secret: "fedcba9876543210fedc"} }},
	{field: "SSO", f: func(s *gate.Spec) {
		s.SSO = &gate.SSOSpec{IssuerURL: "https://idp.example.com", ClientID: "gate", ClientSecret: "client-secret-value",
			Scopes: []string{"openid", "email"}, IdentityClaim: "email"}
	}},
	{field: "Teams", f: func(s *gate.Spec) {
		s.Teams = &gate.TeamsSpec{WebhookURL: "https://prod.example.logic.azure.com/workflows/1?sig=s"}
	}},
	{field: "Approvers", f: func(s *gate.Spec) { s.Approvers = append(slices.Clone(s.Approvers), "W012A3CDE") }},
	{field: "ApproverGroups", f: func(s *gate.Spec) { s.ApproverGroups = []string{"S0614TZR7"} }},
	{field: "LinkDecisions", f: func(s *gate.Spec) { s.LinkDecisions = approval.LinkDecisionsNone }},
	{field: "MinApprovals", f: func(s *gate.Spec) { s.Approvers = []string{"U024BE7LH", "W012A3CDE"}; s.MinApprovals = 2 }},
	{field: "AllowSelfApproval", f: func(s *gate.Spec) { s.AllowSelfApproval = true }},
	{field: "RequesterPath", f: func(s *gate.Spec) { s.RequesterPath = "$.who" }},
	{field: "RequireReason", f: func(s *gate.Spec) { s.RequireReason = approval.ReasonReject }},
	{field: "Inputs", f: func(s *gate.Spec) { s.Inputs = []approval.InputSpec{{Name: "ticket", Type: "string"}} }},
	{field: "EmailAddresses", f: func(s *gate.Spec) { s.EmailAddresses = []string{"release@example.com"} }},
	{field: "SMSNumbers", f: func(s *gate.Spec) { s.SMSNumbers = []string{"+14155550100"} },
		notOnKumo: "kumo v0.33.1 refuses Subscribe with an E.164 endpoint"},
	{field: "AllowedStateMachineARNs", f: func(s *gate.Spec) {
		s.AllowedStateMachineARNs = []string{"arn:aws:states:us-east-1:000000000000:stateMachine:deploy"}
	}},
	{field: "IncludeExecutionContext", f: func(s *gate.Spec) { s.IncludeExecutionContext = false }},
	{field: "CallbackBaseURL", f: func(s *gate.Spec) { s.CallbackBaseURL = "https://approvals.example.com" }},
	{field: "API", f: func(s *gate.Spec) {
		s.API = &gate.APISpec{IssuerURL: "https://token.actions.githubusercontent.com", Audiences: []string{"https://github.com/my-org"}, IdentityClaim: "sub"}
	}},
	{field: "Followup", f: func(s *gate.Spec) {
		s.Followup.Reminders = &approval.Reminders{AfterSeconds: 600, EverySeconds: 600, Max: 3}
	}},
	{field: "Escalation", f: func(s *gate.Spec) {
		s.Escalation = []gate.EscalationSpec{{AfterSeconds: 600, EmailAddresses: []string{"boss@example.com"}, Approvers: []string{"UBOSS"}}}
	}},
	{field: "LogRetentionDays", f: func(s *gate.Spec) { s.LogRetentionDays = 7 }},
	{field: "Architecture", f: func(s *gate.Spec) { s.Architecture = "x86_64" }},
	{field: "MemoryMB", f: func(s *gate.Spec) { s.MemoryMB = 256 }},
	{field: "PermissionsBoundaryARN", f: func(s *gate.Spec) {
		s.PermissionsBoundaryARN = "arn:aws:iam::000000000000:policy/boundary"
	}, notOnKumo: "kumo v0.33.1 has no PutRolePermissionsBoundary"},
	{field: "KMSKeyARN", f: func(s *gate.Spec) { s.KMSKeyARN = "arn:aws:kms:us-east-1:000000000000:key/1234" },
		notOnKumo: "kumo v0.33.1 ignores DynamoDB's SSESpecification in UpdateTable"},
}

// TestPartInputs_everyField: a change of any Spec field changes the inputs
// of at least one part, so a selective update converges it; a change of
// the tags alone changes no part's inputs (they are retagged in place); and
// the arguments that map to one setting reach only their parts.
func TestPartInputs_everyField(t *testing.T) {
	t.Parallel()
	env := gate.Env{Partition: "aws", Region: "us-east-1", AccountID: "000000000000"}
	st := gate.Status{TopicARN: "arn:aws:sns:us-east-1:000000000000:g-approvals", CallbackURL: "https://abc.execute-api.us-east-1.amazonaws.com",
		APIID: "abc", NotifierRoleARN: "arn:aws:iam::000000000000:role/manualapproval/g-notifier",
		CallbackRoleARN: "arn:aws:iam::000000000000:role/manualapproval/g-callback", BundleSHA256: "sha",
		CallbackFunctionARN: "arn:aws:lambda:us-east-1:000000000000:function:g-callback"}
	base := testSpec("g")
	changed := func(spec gate.Spec) []gate.Part {
		var out []gate.Part
		for _, p := range gate.AllParts() {
			if gate.PartInputs(env, base, st, p) != gate.PartInputs(env, spec, st, p) {
				out = append(out, p)
			}
		}
		return out
	}
	covered := map[string]bool{"Name": true}
	for _, m := range specMutations {
		covered[m.field] = true
		spec := testSpec("g")
		m.f(&spec)
		got := changed(spec)
		switch m.field {
		case "Tags", "IncludeExecutionContext":
			// Tags are retagged in place; whether the task state passes the
			// execution context is in task_state_json only, no AWS part.
			if len(got) != 0 {
				t.Errorf("a change of %s changes the inputs of %v", m.field, got)
			}
		case "MemoryMB", "Architecture", "Description":
			if want := []gate.Part{"function:notifier", "function:callback"}; !slices.Equal(got, want) {
				t.Errorf("%s changes %v, want %v", m.field, got, want)
			}
		case "LogRetentionDays":
			if want := []gate.Part{"log-group:notifier", "log-group:callback"}; !slices.Equal(got, want) {
				t.Errorf("%s changes %v, want %v", m.field, got, want)
			}
		default:
			if len(got) == 0 {
				t.Errorf("a change of %s changes no part's inputs: a selective update would not apply it", m.field)
			}
		}
	}
	for i := range reflect.TypeFor[gate.Spec]().NumField() {
		if f := reflect.TypeFor[gate.Spec]().Field(i).Name; !covered[f] {
			t.Errorf("Spec.%s has no mutation in specMutations: add one, and to inputs in parts.go what it changes", f)
		}
	}
	// A change the API learns (a new URL) reaches the functions.
	moved := st
	moved.CallbackURL = "https://new.execute-api.us-east-1.amazonaws.com"
	for _, p := range []gate.Part{"function:notifier", "function:callback"} {
		if gate.PartInputs(env, base, st, p) == gate.PartInputs(env, base, moved, p) {
			t.Errorf("a new callback URL does not change the inputs of %s", p)
		}
	}
}

// TestUpdate_selective changes each field the local AWS can apply, one at
// a time, through the selective update (what Terraform's state knows as
// the prior), then back: a refresh after each finds nothing differing, so
// the parts the update skipped needed nothing.
func TestUpdate_selective(t *testing.T) {
	m, _ := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	base := testSpec(name)
	st, err := m.Create(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Delete(context.WithoutCancel(ctx), name) })
	update := func(from, to gate.Spec, when string) {
		t.Helper()
		up, err := m.Update(ctx, to, &gate.Prior{Spec: from, Status: st})
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		st = up
		got, err := m.Read(ctx, to)
		if err != nil {
			t.Fatalf("%s: read: %v", when, err)
		}
		if len(got.Drift) != 0 || len(got.DriftParts) != 0 || !got.Observed.Empty() {
			t.Errorf("%s: the refresh finds drift %v in %v, observed %+v", when, got.Drift, got.DriftParts, got.Observed)
		}
		if got.CallbackURL != st.CallbackURL || got.TopicARN != st.TopicARN || got.NotifierFunctionARN != st.NotifierFunctionARN {
			t.Errorf("%s: the update reports %+v, the refresh %+v", when, st, got)
		}
	}
	for _, mu := range specMutations {
		if mu.notOnKumo != "" {
			t.Logf("%s: not on the local AWS (%s)", mu.field, mu.notOnKumo)
			continue
		}
		changed := testSpec(name)
		mu.f(&changed)
		update(base, changed, mu.field)
		update(changed, base, mu.field+" back")
	}
}

// TestUpdate_callsOfAChange: an update of the log retention and a tag
// makes the writes the change needs and at most 5 other calls (the
// issue's target: no converge of the parts nothing changed in); an update
// that changes nothing in AWS makes no call at all.
func TestUpdate_callsOfAChange(t *testing.T) {
	m, _ := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	base := testSpec(name)
	st, err := m.Create(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Delete(context.WithoutCancel(ctx), name) })

	same := base
	same.IncludeExecutionContext = false // task_state_json only
	if counts := countCalls(t, func() error { _, err := m.Update(ctx, same, &gate.Prior{Spec: base, Status: st}); return err }); total(counts) != 0 {
		t.Errorf("an update that changes no part made %d calls:\n%s", total(counts), acctest.FormatCounts(counts))
	}

	changed := base
	changed.LogRetentionDays = 7
	changed.Tags = map[string]string{"team": "release"}
	counts := countCalls(t, func() error { _, err := m.Update(ctx, changed, &gate.Prior{Spec: base, Status: st}); return err })
	writes, others := 0, 0
	for op, n := range counts {
		if !acctest.IsRead(op) {
			writes += n
		} else {
			others += n
		}
	}
	t.Logf("retention and a tag: %d writes, %d other calls:\n%s", writes, others, acctest.FormatCounts(counts))
	if others > 5 {
		t.Errorf("an update of retention and a tag made %d calls besides its writes, want at most 5:\n%s", others, acctest.FormatCounts(counts))
	}
	if counts["logs:PutRetentionPolicy"] != 2 {
		t.Errorf("PutRetentionPolicy %d times, want 2 (one per log group)", counts["logs:PutRetentionPolicy"])
	}
	checkNoDrift(t, m, changed, "after the selective update")
}
