# One apply against the local AWS: `make testmodule` runs terraform test under
# `localaws`, which starts kumo and sets AWS_ENDPOINT_URL, AWS_REGION and
# credentials; the provider reads them. terraform test destroys the gate at
# the end.
# The runs apply tests/apply, the module with the Slack webhook URL as an
# ephemeral root variable (see there why).
provider "manualapproval" {}

run "apply" {
  module {
    source = "./tests/apply"
  }

  variables {
    name = "tftest-module-apply"
    # Ephemeral: the URL reaches the gate write-only.
    slack_webhook_url = "https://hooks.slack.com/services/T0/B0/X"
    email_addresses   = ["oncall@example.com"]
    timeout_seconds   = 3600
    # Links approve and prove no identity: no self-approval ban.
    allow_self_approval = true
    task_state_options = {
      title          = "Deploy to production?"
      fields         = { version = "$.version" }
      next           = "Deploy"
      catch_rejected = "Rejected"
    }
  }

  assert {
    condition     = startswith(output.callback_url, "http")
    error_message = "callback_url is not a URL: ${output.callback_url}"
  }
  assert {
    condition     = output.task_state.Type == "Task" && output.task_state.HeartbeatSeconds == 3600 && output.task_state.TimeoutSeconds == 3900 && output.task_state.Next == "Deploy"
    error_message = "task_state is not the gate's Task state"
  }
  assert {
    condition     = output.task_state.Parameters.FunctionName == output.notifier_function_arn
    error_message = "task_state does not invoke the gate's notifier"
  }
  assert {
    condition     = output.task_state.Parameters.Payload["fields"]["version.$"] == "$.version"
    error_message = "task_state does not pass the fields"
  }
  assert {
    condition     = output.task_state.Catch[0].ErrorEquals[0] == "ManualApproval.Rejected" && output.task_state.Catch[0].Next == "Rejected"
    error_message = "task_state does not catch rejections"
  }
  assert {
    condition     = jsondecode(output.task_state_json) == output.task_state
    error_message = "task_state_json is not task_state encoded"
  }
  assert {
    condition     = strcontains(output.state_machine_policy_json, output.notifier_function_arn)
    error_message = "the state machine policy does not name the notifier"
  }
  assert {
    condition     = startswith(output.topic_arn, "arn:") && output.table_name == "tftest-module-apply-requests"
    error_message = "the topic or the table is not the gate's"
  }
  assert {
    condition     = !contains(keys(output.gate), "slack") && !contains(keys(output.gate), "webhook") && output.gate.slack_format == "blocks"
    error_message = "the gate output carries the secrets' attributes"
  }
  assert {
    condition     = length(output.gate.drift) == 0
    error_message = "the gate has drift right after apply: ${join(", ", output.gate.drift)}"
  }
}

# The same gate given the machine API: api_url is the callback URL's /api/v1.
run "apply_api" {
  module {
    source = "./tests/apply"
  }

  variables {
    name                = "tftest-module-apply"
    slack_webhook_url   = "https://hooks.slack.com/services/T0/B0/X"
    email_addresses     = ["oncall@example.com"]
    timeout_seconds     = 3600
    allow_self_approval = true
    # An API identity in approvers is an identity control: links only reject.
    approvers      = ["api:repo:my-org/my-repo:environment:prod"]
    link_decisions = "reject_only"
    api = {
      issuer_url = "https://token.actions.githubusercontent.com"
      audiences  = ["manualapproval-gate"]
    }
  }

  assert {
    condition     = output.api_url == "${output.callback_url}/api/v1"
    error_message = "api_url is not callback_url + /api/v1: ${coalesce(output.api_url, "null")}"
  }
  assert {
    condition     = length(output.gate.drift) == 0
    error_message = "the gate has drift right after the update: ${join(", ", output.gate.drift)}"
  }
}
