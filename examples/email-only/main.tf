terraform {
  required_version = ">= 1.11"

  required_providers {
    manualapproval = {
      source = "manualapproval/manualapproval"
    }
  }
}

provider "manualapproval" {
  region = "eu-west-1"
}

# No Slack: requests go to an SNS topic with e-mail subscriptions. Each
# message has signed Approve and Reject links; opening one shows a confirm
# page, and only its button decides.
module "approval" {
  source = "../../modules/manual-approval"

  name            = "db-migration"
  timeout_seconds = 2 * 86400
  email_addresses = ["dba@example.com", "oncall@example.com"]

  # An e-mail link proves only that its holder has it, not who they are: it
  # cannot enforce the default self-approval ban, so self-approval is allowed
  # here. Add sso to the gate to know who decides.
  allow_self_approval = true

  task_state_options = {
    title          = "Run the database migration?"
    fields         = { migration = "$.migration.id" }
    result_path    = "$.approval"
    catch_rejected = "MigrationRejected"
  }
}

output "task_state_json" {
  description = "The Task state to put in the state machine."
  value       = module.approval.task_state_json
}

output "topic_arn" {
  description = "Subscribe more endpoints (e.g. a chat bridge) to this topic."
  value       = module.approval.topic_arn
}
