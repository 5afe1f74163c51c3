output "task_state" {
  description = "The Task state as an object (null when create is false), built with the task_state function and task_state_options: States = { Approve = merge(module.approval.task_state, { Next = \"Deploy\" }) }."
  value       = local.task_state
}

output "task_state_json" {
  description = "The Task state as JSON (task_state, encoded)."
  value       = local.task_state == null ? null : jsonencode(local.task_state)
}

output "state_machine_policy_json" {
  description = "The least IAM policy a state machine's role needs to use the gate (invoking the notifier)."
  value       = one(manualapproval_gate.this[*].state_machine_policy_json)
}

output "callback_url" {
  description = "Base URL of the links; the Slack app's interactivity request URL is callback_url + \"/slack/interactions\"."
  value       = one(manualapproval_gate.this[*].callback_url)
}

output "sso_redirect_uri" {
  description = "Redirect URI to register at the single sign-on provider (callback_url + \"/auth/callback\"); used when sso is set."
  value       = one(manualapproval_gate.this[*].sso_redirect_uri)
}

output "api_url" {
  description = "Base URL of the machine-decision API (callback_url + \"/api/v1\") when api is set; null otherwise."
  value       = one(manualapproval_gate.this[*].api_url)
}

output "topic_arn" {
  description = "ARN of the gate's SNS topic: subscribe more endpoints to it."
  value       = one(manualapproval_gate.this[*].topic_arn)
}

output "notifier_function_arn" {
  description = "ARN of the notifier Lambda function, which the Task state invokes."
  value       = one(manualapproval_gate.this[*].notifier_function_arn)
}

output "table_name" {
  description = "Name of the DynamoDB table of requests (the audit trail)."
  value       = one(manualapproval_gate.this[*].table_name)
}

output "gate" {
  description = "The manualapproval_gate resource without its secrets (slack, webhook, sso, teams and escalation are left out; slack_format says the wiring). It can be passed to provider::manualapproval::task_state."
  value = one([for g in manualapproval_gate.this : merge(
    { for k, v in g : k => v if !contains(["slack", "webhook", "sso", "teams", "escalation"], k) },
    {
      slack_format = try(g.slack.format, null)
      webhook_url  = var.webhook_url
    },
  )])
}
