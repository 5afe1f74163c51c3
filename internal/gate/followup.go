package gate

import "github.com/manualapproval/terraform-provider-manualapproval/internal/approval"

// followupDoc is the follow-up part of spec's configuration document
// (approval.Followup): what the sweep sends while nobody answers.
func followupDoc(spec Spec) approval.Followup {
	f := spec.Followup
	if rm := f.Reminders; rm != nil {
		c := *rm
		f.Reminders = &c
	}
	f.Escalation = escalationSteps(spec) // from Spec.Escalation, which holds the steps' secrets
	f.FinalFollowups = f.Events != nil || f.NotifyOnDecision || spec.Webhook != nil || spec.Teams != nil
	return f
}

// specFollowup sets the follow-up settings read back from a configuration
// document on spec (import).
func specFollowup(spec *Spec, f approval.Followup) {
	f.FinalFollowups = false // computed from the rest, not an argument
	f.Escalation = nil       // Spec.Escalation (importedEscalation)
	spec.Followup = f
}

// remindsChannels reports whether the sweep (in the callback function)
// re-notifies the request's channels: with reminders, a last call or
// escalation steps (the webhook gets approval.escalated) it
// posts as the notifier does, so it reads the posting secrets and publishes
// to the topic.
func remindsChannels(spec Spec) bool {
	return spec.Followup.Reminders != nil || spec.Followup.WarnBeforeExpirySeconds > 0 || len(spec.Escalation) > 0
}
