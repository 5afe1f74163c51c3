# An ephemeral variable never reaches the plan or the state (Terraform 1.10+),
# and a write-only argument takes it (Terraform 1.11+).
variable "slack_webhook_url" {
  type      = string
  ephemeral = true
}

resource "manualapproval_gate" "deploy" {
  name            = "deploy-prod"
  description     = "Production deployments"
  timeout_seconds = 86400

  slack = {
    webhook_url_wo         = var.slack_webhook_url
    webhook_url_wo_version = 1 # increment to write a new URL
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
# or, with per-step options, the task_state function. Pass it the gate's
# task_state_json, which is never sensitive: the whole gate object carries the
# sensitive marks of its secret arguments (even unset ones), and a definition
# built from it would be (sensitive value) in plans.
output "state_machine_definition" {
  value = jsonencode({
    StartAt = "Approve"
    States = {
      Approve = provider::manualapproval::task_state(manualapproval_gate.deploy.task_state_json, {
        title          = "Deploy?"
        next           = "Deploy"
        catch_rejected = "Rejected"
        on_timeout     = "TimedOut"
      })
      Deploy   = { Type = "Succeed" }
      Rejected = { Type = "Fail", Error = "Rejected" }
      TimedOut = { Type = "Fail", Error = "TimedOut" }
    }
  })
}
# and give the state machine's role manualapproval_gate.deploy.state_machine_policy_json.
