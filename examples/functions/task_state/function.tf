# One gate, used by two steps of a state machine with different messages.
resource "manualapproval_gate" "deploy" {
  name            = "deploy-prod"
  timeout_seconds = 86400
  email_addresses = ["oncall@example.com"]
  # Links prove no identity: without sso the self-approval ban cannot hold.
  allow_self_approval = true
}

# Pass the gate's task_state_json (never sensitive). The whole resource,
# manualapproval_gate.deploy, works too, but a gate with a secret argument
# (e.g. slack.webhook_url, or its write-only form) would make the states
# sensitive.
locals {
  states = {
    # JSONPath (the default): fields are paths into the state input.
    ApproveStaging = provider::manualapproval::task_state(manualapproval_gate.deploy.task_state_json, {
      title          = "Deploy to staging?"
      fields         = { version = "$.build.version", commit = "$.build.commit" }
      result_path    = "$.approval"
      next           = "DeployStaging"
      catch_rejected = "Rejected"
      on_timeout     = "TimedOut"
    })

    # JSONata: expressions, Arguments and Output instead of Parameters and ResultPath.
    ApproveProduction = merge(provider::manualapproval::task_state(manualapproval_gate.deploy.task_state_json, {
      query_language  = "JSONata"
      title           = "Deploy to production?"
      fields          = { version = "$states.input.build.version" }
      timeout_seconds = 3600
      catch_rejected  = "Rejected"
    }), { Next = "DeployProduction" })
  }
}

output "approve_staging_json" {
  value = jsonencode(local.states.ApproveStaging)
}
