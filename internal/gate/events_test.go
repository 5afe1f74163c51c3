package gate

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// TestRolePolicy_events: with events, both functions may put events on
// that bus and no other (the notifier Requested, Decided and Expired; the
// callback's sweep Reminded and Escalated); without, neither may put any.
// A bus ARN (another account's bus) is named as it is.
func TestRolePolicy_events(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		events *approval.Events
		want   []string
	}{
		{"none", nil, nil},
		{"default bus", &approval.Events{}, []string{"arn:aws:events:eu-west-1:111122223333:event-bus/default"}},
		{"default by name", &approval.Events{BusName: "default"}, []string{"arn:aws:events:eu-west-1:111122223333:event-bus/default"}},
		{"named bus", &approval.Events{BusName: "approvals"}, []string{"arn:aws:events:eu-west-1:111122223333:event-bus/approvals"}},
		{"another account's bus", &approval.Events{BusName: "arn:aws:events:eu-west-1:444455556666:event-bus/central"},
			[]string{"arn:aws:events:eu-west-1:444455556666:event-bus/central"}},
	} {
		for _, kind := range kinds {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				spec := Spec{Name: "deploy-prod", Followup: approval.Followup{Events: tc.events}}
				var got []string
				for _, st := range rolePolicy(testEnv, spec, kind).Statement {
					for _, a := range st.Action {
						if strings.HasPrefix(a, "events:") {
							if a != "events:PutEvents" {
								t.Errorf("statement %s allows %s", st.Sid, a)
							}
							got = append(got, st.Resource...)
						}
					}
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("events:PutEvents resources (-want +got):\n%s", diff)
				}
				for _, r := range got {
					if strings.Contains(r, "*") {
						t.Errorf("wildcard bus %s", r)
					}
				}
			})
		}
	}
}

// TestRolePolicy_tellFinalRequests: the callback may invoke the notifier
// (to tell a final request's follow-ups) and itself, no other function; the
// notifier invokes nothing.
func TestRolePolicy_tellFinalRequests(t *testing.T) {
	t.Parallel()
	invokable := func(kind string) []string {
		var out []string
		for _, st := range rolePolicy(testEnv, Spec{Name: "deploy-prod"}, kind).Statement {
			if slices.Contains(st.Action, "lambda:InvokeFunction") {
				out = append(out, st.Resource...)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := invokable(kindNotifier); len(got) != 0 {
		t.Errorf("the notifier may invoke %v", got)
	}
	want := []string{"arn:aws:lambda:eu-west-1:111122223333:function:deploy-prod-callback", "arn:aws:lambda:eu-west-1:111122223333:function:deploy-prod-notifier"}
	if diff := cmp.Diff(want, invokable(kindCallback)); diff != "" {
		t.Errorf("the callback may invoke (-want +got):\n%s", diff)
	}
}

// TestConfigDoc_followup: notify_on_decision and the events reach the
// configuration document the handlers read, and read back (import).
func TestConfigDoc_followup(t *testing.T) {
	t.Parallel()
	spec := Spec{Name: "g", Followup: approval.Followup{NotifyOnDecision: true, Events: &approval.Events{BusName: "approvals"}}}
	doc := ConfigDoc(spec).Render()
	if !strings.Contains(doc, `"notify_on_decision":true`) || !strings.Contains(doc, `"events":{"bus_name":"approvals"}`) {
		t.Errorf("document %s", doc)
	}
	back, err := approval.ParseConfigDoc(doc)
	if err != nil {
		t.Fatal(err)
	}
	var c approval.Config
	back.Apply(&c)
	want := spec.Followup
	want.FinalFollowups = true // computed: events and notify_on_decision have follow-ups to tell
	if diff := cmp.Diff(want, c.Followup); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}
