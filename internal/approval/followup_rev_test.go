package approval

import "testing"

// TestFollowupRev: the schedule's name changes with what decides when a
// request is next due, and only with that; a gate that schedules nothing
// has none (its sweep never reads the marker).
func TestFollowupRev(t *testing.T) {
	t.Parallel()
	base := Followup{Reminders: &Reminders{AfterSeconds: 600, EverySeconds: 600, Max: 3}}
	if FollowupRev(Followup{NotifyOnDecision: true, Events: &Events{}}) != "" {
		t.Error("a gate with no reminders, last call or escalation has a schedule")
	}
	same := base
	same.NotifyOnDecision, same.Events, same.FinalFollowups = true, &Events{BusName: "b"}, true
	same.Escalation = nil
	if FollowupRev(same) != FollowupRev(base) {
		t.Error("follow-ups that schedule nothing change the schedule's name")
	}
	for name, f := range map[string]Followup{
		"every":      {Reminders: &Reminders{AfterSeconds: 600, EverySeconds: 900, Max: 3}},
		"max":        {Reminders: &Reminders{AfterSeconds: 600, EverySeconds: 600, Max: 2}},
		"last call":  {Reminders: base.Reminders, WarnBeforeExpirySeconds: 300},
		"escalation": {Reminders: base.Reminders, Escalation: []EscalationStep{{AfterSeconds: 1200, SlackChannel: "C1"}}},
	} {
		if FollowupRev(f) == FollowupRev(base) || FollowupRev(f) == "" {
			t.Errorf("%s: the schedule's name did not change", name)
		}
	}
	moved := Followup{Escalation: []EscalationStep{{AfterSeconds: 1800, SlackChannel: "C1"}}}
	other := Followup{Escalation: []EscalationStep{{AfterSeconds: 1800, SlackChannel: "C2", EmailAddresses: []string{"a@example.com"}}}}
	if FollowupRev(moved) != FollowupRev(other) {
		t.Error("an escalation step's channels change the schedule's name: only its time decides when a request is due")
	}
}
