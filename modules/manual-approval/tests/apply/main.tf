# The root module of tests/apply.tftest.hcl: the module with only the
# ephemeral variable the runs set. terraform test (Terraform < 1.17) refuses
# at apply an ephemeral root variable left unset, which is null at plan
# (hashicorp/terraform#38974, fixed by #39011); the module's own unset
# ephemeral variables are not root variables here.
terraform {
  required_providers {
    manualapproval = {
      source = "manualapproval/manualapproval"
    }
  }
}

variable "slack_webhook_url" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "name" {
  type = string
}

variable "email_addresses" {
  type = set(string)
}

variable "timeout_seconds" {
  type = number
}

variable "allow_self_approval" {
  type = bool
}

variable "approvers" {
  type    = set(string)
  default = null
}

variable "link_decisions" {
  type    = string
  default = null
}

variable "api" {
  type    = any
  default = null
}

variable "task_state_options" {
  type    = any
  default = null
}

module "approval" {
  source = "../.."

  name                = var.name
  slack_format        = "blocks"
  slack_webhook_url   = var.slack_webhook_url
  email_addresses     = var.email_addresses
  timeout_seconds     = var.timeout_seconds
  allow_self_approval = var.allow_self_approval
  approvers           = var.approvers
  link_decisions      = var.link_decisions
  api                 = var.api
  task_state_options  = var.task_state_options
}

output "task_state" {
  value = module.approval.task_state
}

output "task_state_json" {
  value = module.approval.task_state_json
}

output "state_machine_policy_json" {
  value = module.approval.state_machine_policy_json
}

output "callback_url" {
  value = module.approval.callback_url
}

output "api_url" {
  value = module.approval.api_url
}

output "topic_arn" {
  value = module.approval.topic_arn
}

output "notifier_function_arn" {
  value = module.approval.notifier_function_arn
}

output "table_name" {
  value = module.approval.table_name
}

output "gate" {
  value = module.approval.gate
}
