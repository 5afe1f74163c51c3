variable "slack_webhook_url" {
  type      = string
  sensitive = true
}

resource "manualapproval_gate" "deploy" {
  name            = "deploy-prod"
  description     = "Production deployments"
  timeout_seconds = 86400

  slack = {
    webhook_url = var.slack_webhook_url
  }
  email_addresses = ["oncall@example.com"]

  # The links (Slack buttons, e-mail) are bearer tokens: they prove only that
  # someone holds them, not who. Without sso they cannot enforce the default
  # self-approval ban, so this gate allows self-approval; use the Slack app
  # (approvers, slack.team_id) or sso to restrict who decides.
  allow_self_approval = true

  tags = {
    service = "checkout"
  }
}

# In a state machine definition:
#   Approve = merge(jsondecode(manualapproval_gate.deploy.task_state_json), { Next = "Deploy" })
# or, with per-step options, the task_state function:
#   Approve = provider::manualapproval::task_state(manualapproval_gate.deploy, { title = "Deploy?", next = "Deploy" })
# and give the state machine's role manualapproval_gate.deploy.state_machine_policy_json.
output "approve_state" {
  value = jsondecode(manualapproval_gate.deploy.task_state_json)
}
