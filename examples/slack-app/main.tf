terraform {
  required_version = ">= 1.8"

  required_providers {
    manualapproval = {
      source = "manualapproval/manualapproval"
    }
  }
}

provider "manualapproval" {
  region = "eu-west-1"
}

variable "slack_bot_token" {
  description = "Bot token (xoxb-...) of the Slack app."
  type        = string
  sensitive   = true
}

variable "slack_signing_secret" {
  description = "Signing secret of the Slack app."
  type        = string
  sensitive   = true
}

# A Slack app posts to #deployments with Approve/Reject buttons. Only the
# three release managers may decide, and two of them must approve; one
# rejection rejects. The message is updated in place with the outcome.
# Slack tells the gate who clicked, so these controls hold there; a link
# (e-mail, SMS) proves no identity, so links may only reject.
resource "manualapproval_gate" "release" {
  name            = "release-prod"
  timeout_seconds = 4 * 3600

  slack = {
    bot_token      = var.slack_bot_token
    channel        = "C0123DEPLOY"
    signing_secret = var.slack_signing_secret
    # The workspace the clicks must come from (and, optionally, the app).
    team_id = "T024BE7LD"
    app_id  = "A0KRD7HC3"
  }

  # Slack user ids, or e-mail addresses when the app has users:read.email.
  approvers           = ["U024BE7LH", "U0G9QF9C6", "release-manager@example.com"]
  min_approvals       = 2
  allow_self_approval = false
  # requested_by must be an identity (a Slack user id or an e-mail address)
  # set by a trusted starter, e.g. a CI role, not by the people approving.
  requester_path = "$.requested_by"
  link_decisions = "reject_only"

  # Nobody answered? Remind in the thread after 30 minutes, then every hour,
  # with a last call 15 minutes before the request expires. After 2 hours,
  # post it to the leads' channel: a lead may then decide too.
  reminders                  = { after_seconds = 1800, every_seconds = 3600 }
  warn_before_expiry_seconds = 900
  escalation = [{
    after_seconds = 7200
    slack_channel = "C0123LEADS"
    approvers     = ["U0LEAD0001"]
  }]

  # Tell the rest of the platform: Approval Requested, Reminded, Escalated,
  # Decided and Expired on the account's default event bus.
  events = { bus_name = "default" }
}

output "slack_interactivity_url" {
  description = "Set this as the Slack app's Interactivity Request URL."
  value       = "${manualapproval_gate.release.callback_url}/slack/interactions"
}

output "task_state_json" {
  description = "The Task state to put in the state machine."
  value       = manualapproval_gate.release.task_state_json
}
