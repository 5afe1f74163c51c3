terraform {
  required_version = ">= 1.8"

  required_providers {
    manualapproval = {
      source = "manualapproval/manualapproval"
    }
  }
}

# Region, credentials and endpoints come from the environment (AWS_REGION,
# AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, ...), so the same configuration runs on
# AWS or on a local AWS.
provider "manualapproval" {}

variable "name" {
  description = "Name of the gate, the prefix of every AWS resource it creates."
  type        = string
  default     = "quickstart"
}

variable "slack_webhook_url" {
  description = "Slack incoming webhook URL. Null: no Slack message, e-mail only."
  type        = string
  default     = null
  sensitive   = true
}

variable "include_execution_context" {
  description = "Whether notifications show the execution, state machine and state."
  type        = bool
  default     = true
}

variable "email_addresses" {
  description = "E-mail addresses that receive the approval requests."
  type        = list(string)
  default     = ["oncall@example.com"]
}

resource "manualapproval_gate" "this" {
  name                      = var.name
  timeout_seconds           = 3600
  include_execution_context = var.include_execution_context
  email_addresses           = var.email_addresses
  # Links prove only possession, not who clicks: without sso they cannot
  # enforce the default self-approval ban, so the demo allows self-approval.
  allow_self_approval = true

  slack = var.slack_webhook_url == null ? null : {
    webhook_url = var.slack_webhook_url
  }
}

output "task_state_json" {
  description = "The Task state to put in a state machine."
  value       = manualapproval_gate.this.task_state_json
}

output "state_machine_policy_json" {
  description = "The policy the state machine's role needs."
  value       = manualapproval_gate.this.state_machine_policy_json
}

output "notifier_function_arn" {
  description = "The notifier Lambda function the Task state invokes."
  value       = manualapproval_gate.this.notifier_function_arn
}

output "callback_url" {
  description = "Base URL of the approve/reject links."
  value       = manualapproval_gate.this.callback_url
}

output "table_name" {
  description = "The DynamoDB table of requests (the audit trail)."
  value       = manualapproval_gate.this.table_name
}
