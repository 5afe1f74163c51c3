# A Slack app gate: the bot posts to a channel, approvers click Approve or
# Reject, and the gate checks who clicked. The bot token and the signing
# secret come from ephemeral variables (e.g. TF_VAR_slack_bot_token from a
# secret store), so they never reach the plan or the state: they go to the
# gate's write-only arguments. Increment secrets_version to rotate them.
terraform {
  required_version = ">= 1.11"

  required_providers {
    manualapproval = {
      source = "manualapproval/manualapproval"
    }
  }
}

provider "manualapproval" {
  region = var.region
}

variable "region" {
  description = "AWS region of the gate."
  type        = string
  default     = "eu-west-1"
}

variable "slack_bot_token" {
  description = "Bot token (xoxb-…) of the Slack app."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "slack_signing_secret" {
  description = "Signing secret of the Slack app."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "secrets_version" {
  description = "Increment to write new values of the secrets."
  type        = number
  default     = 1
}

module "approval" {
  source = "../.."

  name                 = "deploy-prod"
  slack_channel        = "C0123456789"
  slack_team_id        = "T024BE7LD"
  slack_app_id         = "A0KRD7HC3"
  slack_bot_token      = var.slack_bot_token
  slack_signing_secret = var.slack_signing_secret
  secrets_version      = var.secrets_version

  # Only these people may approve; links (none here) could not prove who clicks.
  approvers      = ["U024BE7LH", "U0G9QF9C6"]
  min_approvals  = 2
  link_decisions = "none"

  task_state_options = {
    title        = "Deploy to production?"
    requested_by = "$.requested_by"
    next         = "Deploy"
  }
}

# Set it as the Slack app's interactivity request URL + "/slack/interactions".
output "callback_url" {
  value = module.approval.callback_url
}

output "task_state_json" {
  value = module.approval.task_state_json
}

output "state_machine_policy_json" {
  value = module.approval.state_machine_policy_json
}
