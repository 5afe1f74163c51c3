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
resource "manualapproval_gate" "release" {
  name            = "release-prod"
  timeout_seconds = 4 * 3600

  slack = {
    bot_token      = var.slack_bot_token
    channel        = "C0123DEPLOY"
    signing_secret = var.slack_signing_secret
  }

  approvers           = ["U024BE7LH", "U0G9QF9C6", "W012A3CDE"]
  min_approvals       = 2
  allow_self_approval = false
  requester_path      = "$.requested_by"
}

output "slack_interactivity_url" {
  description = "Set this as the Slack app's Interactivity Request URL."
  value       = "${manualapproval_gate.release.callback_url}/slack/interactions"
}

output "task_state_json" {
  description = "The Task state to put in the state machine."
  value       = manualapproval_gate.release.task_state_json
}
