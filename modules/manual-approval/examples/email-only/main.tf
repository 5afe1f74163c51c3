# The smallest gate: requests by e-mail (each address confirms its SNS
# subscription once), decided with the links in the message. Links prove no
# identity, so the gate allows self-approval.
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

variable "email_addresses" {
  description = "Who receives the requests."
  type        = set(string)
  default     = ["oncall@example.com"]
}

module "approval" {
  source = "../.."

  name                = "deploy-prod"
  email_addresses     = var.email_addresses
  allow_self_approval = true

  task_state_options = {
    title          = "Deploy to production?"
    fields         = { version = "$.version" }
    next           = "Deploy"
    catch_rejected = "Rejected"
  }
}

# Merge it into a state machine: States = { Approve = module.approval.task_state, ... }.
output "task_state_json" {
  value = module.approval.task_state_json
}

# Grant it to the state machine's role.
output "state_machine_policy_json" {
  value = module.approval.state_machine_policy_json
}
