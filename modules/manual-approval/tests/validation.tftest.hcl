# Plan-only runs: every validation and precondition of the module. The
# provider is configured so that it never calls AWS.
provider "manualapproval" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  account_id                  = "123456789012"
  endpoints {
    apigatewayv2 = "http://127.0.0.1:9"
    dynamodb     = "http://127.0.0.1:9"
    iam          = "http://127.0.0.1:9"
    lambda       = "http://127.0.0.1:9"
    logs         = "http://127.0.0.1:9"
    sns          = "http://127.0.0.1:9"
    ssm          = "http://127.0.0.1:9"
    sts          = "http://127.0.0.1:9"
  }
}

# A bearer link proves no identity, so the provider refuses at plan time a
# gate whose links approve while an identity control (approvers,
# approver_groups, min_approvals > 1, the default self-approval ban) is set;
# its Go acceptance tests cover each refusal. The runs here start from a gate
# without identity control.
variables {
  name                = "tftest-plan"
  email_addresses     = ["oncall@example.com"]
  allow_self_approval = true
}

run "valid" {
  command = plan

  variables {
    slack_webhook_url = "https://hooks.slack.com/services/T0/B0/X"
    approvers         = ["U024BE7LH", "alice@example.com"]
    min_approvals     = 2
    link_decisions    = "reject_only"
    sms_numbers       = ["+14155550100"]
    tags              = { team = "platform" }
  }

  assert {
    condition     = manualapproval_gate.this.name == "tftest-plan"
    error_message = "the gate is not named after var.name"
  }
  assert {
    condition     = manualapproval_gate.this.tags == tomap({ ManagedBy = "terraform", Module = "manual-approval", team = "platform" })
    error_message = "the module's tags are not merged with var.tags"
  }
  assert {
    condition     = manualapproval_gate.this.log_retention_days == 90 && manualapproval_gate.this.timeout_seconds == 86400
    error_message = "the module's defaults are not applied"
  }
  assert {
    condition     = output.gate.slack_format == "blocks"
    error_message = "a webhook URL without slack_format is not the blocks wiring"
  }
}

run "valid_slack_app" {
  command = plan

  variables {
    slack_bot_token      = "xoxb-123-456-abc"
    slack_channel        = "C0123456"
    slack_signing_secret = "8f742231b10e8888abcd99yyyzzz85a5"
    slack_team_id        = "T024BE7LD"
    slack_app_id         = "A0KRD7HC3"
    approvers            = ["U024BE7LH"]
    allow_self_approval  = false
    link_decisions       = "none"
  }

  assert {
    condition     = output.gate.slack_format == "app"
    error_message = "a bot token without slack_format is not the app wiring"
  }
}

run "name_pattern" {
  command = plan

  variables {
    name = "deploy prod"
  }

  expect_failures = [var.name]
}

run "name_too_long" {
  command = plan

  variables {
    name = "a-name-that-is-much-longer-than-forty-chars"
  }

  expect_failures = [var.name]
}

run "description_too_long" {
  command = plan

  variables {
    description = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
  }

  expect_failures = [var.description]
}

run "timeout_too_short" {
  command = plan

  variables {
    timeout_seconds = 59
  }

  expect_failures = [var.timeout_seconds]
}

run "timeout_too_long" {
  command = plan

  variables {
    timeout_seconds = 31536001
  }

  expect_failures = [var.timeout_seconds]
}

run "timeout_fraction" {
  command = plan

  variables {
    timeout_seconds = 90.5
  }

  expect_failures = [var.timeout_seconds]
}

run "slack_webhook_not_https" {
  command = plan

  variables {
    slack_webhook_url = "http://hooks.slack.com/services/T0/B0/X"
  }

  expect_failures = [var.slack_webhook_url]
}

run "slack_format_unknown" {
  command = plan

  variables {
    slack_format = "teams"
  }

  expect_failures = [var.slack_format]
}

run "slack_bot_token_format" {
  command = plan

  variables {
    slack_bot_token = "xoxp-123"
  }

  expect_failures = [var.slack_bot_token]
}

run "slack_channel_empty" {
  command = plan

  variables {
    slack_channel = ""
  }

  expect_failures = [var.slack_channel]
}

run "approver_id" {
  command = plan

  variables {
    approvers = ["alice"]
  }

  expect_failures = [var.approvers]
}

run "min_approvals_zero" {
  command = plan

  variables {
    min_approvals = 0
  }

  expect_failures = [var.min_approvals]
}

run "requester_path" {
  command = plan

  variables {
    requester_path = "requested_by"
  }

  expect_failures = [var.requester_path]
}

run "email" {
  command = plan

  variables {
    email_addresses = ["oncall@"]
  }

  expect_failures = [var.email_addresses]
}

run "sms_not_e164" {
  command = plan

  variables {
    sms_numbers = ["004915550100"]
  }

  expect_failures = [var.sms_numbers]
}

run "sms_too_long" {
  command = plan

  variables {
    sms_numbers = ["+1234567890123456"]
  }

  expect_failures = [var.sms_numbers]
}

run "webhook_url" {
  command = plan

  variables {
    webhook_url = "ftp://example.com/hook"
  }

  expect_failures = [var.webhook_url]
}

run "webhook_secret_short" {
  command = plan

  variables {
    webhook_secret = "short"
  }

  expect_failures = [var.webhook_secret]
}

run "state_machine_arn" {
  command = plan

  variables {
    allowed_state_machine_arns = ["arn:aws:states:eu-west-1:123:stateMachine:x"]
  }

  expect_failures = [var.allowed_state_machine_arns]
}

run "callback_base_url_query" {
  command = plan

  variables {
    callback_base_url = "https://approve.example.com/?x=1"
  }

  expect_failures = [var.callback_base_url]
}

run "log_retention" {
  command = plan

  variables {
    log_retention_days = 10
  }

  expect_failures = [var.log_retention_days]
}

run "architecture" {
  command = plan

  variables {
    lambda_architecture = "arm"
  }

  expect_failures = [var.lambda_architecture]
}

run "memory" {
  command = plan

  variables {
    lambda_memory_mb = 64
  }

  expect_failures = [var.lambda_memory_mb]
}

run "permissions_boundary" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:role/x"
  }

  expect_failures = [var.permissions_boundary_arn]
}

run "kms_key" {
  command = plan

  variables {
    kms_key_arn = "alias/x"
  }

  expect_failures = [var.kms_key_arn]
}

run "query_language" {
  command = plan

  variables {
    task_state_options = { query_language = "XPath" }
  }

  expect_failures = [var.task_state_options]
}

run "nobody_notified" {
  command = plan

  variables {
    email_addresses = []
  }

  expect_failures = [manualapproval_gate.this]
}

run "slack_webhook_and_app" {
  command = plan

  variables {
    slack_webhook_url    = "https://hooks.slack.com/services/T0/B0/X"
    slack_bot_token      = "xoxb-1-2"
    slack_channel        = "C1"
    slack_signing_secret = "s"
  }

  expect_failures = [manualapproval_gate.this]
}

run "slack_app_incomplete" {
  command = plan

  variables {
    slack_bot_token = "xoxb-1-2"
  }

  expect_failures = [manualapproval_gate.this]
}

run "slack_channel_without_app" {
  command = plan

  variables {
    slack_webhook_url = "https://hooks.slack.com/services/T0/B0/X"
    slack_channel     = "C1"
  }

  expect_failures = [manualapproval_gate.this]
}

run "slack_format_without_slack" {
  command = plan

  variables {
    slack_format = "blocks"
  }

  expect_failures = [manualapproval_gate.this]
}

run "slack_format_app_with_webhook" {
  command = plan

  variables {
    slack_format      = "app"
    slack_webhook_url = "https://hooks.slack.com/services/T0/B0/X"
  }

  expect_failures = [manualapproval_gate.this]
}

run "webhook_without_secret" {
  command = plan

  variables {
    webhook_url = "https://example.com/hook"
  }

  expect_failures = [manualapproval_gate.this]
}

run "min_approvals_above_approvers" {
  command = plan

  variables {
    approvers      = ["U024BE7LH"]
    min_approvals  = 2
    link_decisions = "none"
  }

  expect_failures = [manualapproval_gate.this]
}

run "task_timeout_above_gate" {
  command = plan

  variables {
    timeout_seconds    = 600
    task_state_options = { timeout_seconds = 601 }
  }

  expect_failures = [manualapproval_gate.this]
}

run "valid_inputs" {
  command = plan

  variables {
    require_reason = "reject"
    inputs = [
      { name = "ticket", type = "string", required = true },
      { name = "env", type = "choice", choices = ["staging", "prod"] },
    ]
  }

  assert {
    condition     = manualapproval_gate.this.require_reason == "reject" && length(manualapproval_gate.this.inputs) == 2
    error_message = "require_reason and inputs do not reach the gate"
  }
  assert {
    condition     = manualapproval_gate.this.inputs[0].required && !manualapproval_gate.this.inputs[1].required
    error_message = "required does not default to false"
  }
}

run "require_reason_unknown" {
  command = plan

  variables {
    require_reason = "sometimes"
  }

  expect_failures = [var.require_reason]
}

run "input_name" {
  command = plan

  variables {
    inputs = [{ name = "Ticket-ID", type = "string" }]
  }

  expect_failures = [var.inputs]
}

run "input_names_distinct" {
  command = plan

  variables {
    inputs = [{ name = "a", type = "string" }, { name = "a", type = "bool" }]
  }

  expect_failures = [var.inputs]
}

run "input_type" {
  command = plan

  variables {
    inputs = [{ name = "a", type = "date" }]
  }

  expect_failures = [var.inputs]
}

run "input_choices" {
  command = plan

  variables {
    inputs = [{ name = "a", type = "choice" }]
  }

  expect_failures = [var.inputs]
}

run "input_choices_on_string" {
  command = plan

  variables {
    inputs = [{ name = "a", type = "string", choices = ["x"] }]
  }

  expect_failures = [var.inputs]
}

run "too_many_inputs" {
  command = plan

  variables {
    inputs = [for i in range(11) : { name = "i${i}", type = "bool" }]
  }

  expect_failures = [var.inputs]
}

run "approver_display_name" {
  command = plan

  variables {
    approvers      = ["Alice Smith"]
    link_decisions = "none"
  }

  expect_failures = [var.approvers]
}

run "approver_group_comma" {
  command = plan

  variables {
    approver_groups = ["ops,dev"]
    link_decisions  = "none"
  }

  expect_failures = [var.approver_groups]
}

run "link_decisions_unknown" {
  command = plan

  variables {
    link_decisions = "sometimes"
  }

  expect_failures = [var.link_decisions]
}

run "slack_team_id_format" {
  command = plan

  variables {
    slack_bot_token      = "xoxb-123-456-abc"
    slack_channel        = "C0123456"
    slack_signing_secret = "8f742231b10e8888abcd99yyyzzz85a5"
    slack_team_id        = "acme"
  }

  expect_failures = [var.slack_team_id]
}

run "slack_team_id_without_app" {
  command = plan

  variables {
    slack_team_id = "T024BE7LD"
  }

  expect_failures = [manualapproval_gate.this]
}

run "sso_valid" {
  command = plan

  variables {
    sso = {
      issuer_url    = "https://login.example.com/oauth2/default"
      client_id     = "0oa1gate"
      client_secret = "client-secret-value"
      groups_claim  = "groups"
    }
  }

  assert {
    condition     = nonsensitive(manualapproval_gate.this.sso.identity_claim) == "email" && nonsensitive(manualapproval_gate.this.sso.scopes) == tolist(["openid", "email", "profile"])
    error_message = "the sso defaults are not the provider's"
  }
}

run "sso_http_issuer" {
  command = plan

  variables {
    sso = {
      issuer_url    = "http://login.example.com"
      client_id     = "gate"
      client_secret = "s"
    }
  }

  expect_failures = [var.sso]
}

run "sso_without_openid" {
  command = plan

  variables {
    sso = {
      issuer_url    = "https://login.example.com"
      client_id     = "gate"
      client_secret = "s"
      scopes        = ["email"]
    }
  }

  expect_failures = [var.sso]
}

run "api_valid" {
  command = plan

  variables {
    api = {
      issuer_url = "https://token.actions.githubusercontent.com"
      audiences  = ["manualapproval-gate"]
    }
    approvers      = ["api:repo:my-org/my-repo:environment:prod"]
    link_decisions = "none"
  }

  assert {
    condition     = manualapproval_gate.this.api.issuer_url == "https://token.actions.githubusercontent.com" && manualapproval_gate.this.api.audiences == toset(["manualapproval-gate"])
    error_message = "var.api does not reach the gate"
  }
  assert {
    condition     = manualapproval_gate.this.api.identity_claim == "sub" && manualapproval_gate.this.api.groups_claim == null
    error_message = "the api defaults are not the provider's"
  }
  assert {
    condition     = !contains(keys(output.gate), "sso") && output.gate.api.identity_claim == "sub"
    error_message = "the gate output does not carry api"
  }
}

run "api_absent" {
  command = plan

  assert {
    condition     = manualapproval_gate.this.api == null && output.api_url == null
    error_message = "without var.api the gate has an api or an api_url"
  }
}

run "api_http_issuer" {
  command = plan

  variables {
    api = {
      issuer_url = "http://token.actions.githubusercontent.com"
      audiences  = ["gate"]
    }
  }

  expect_failures = [var.api]
}

run "api_discovery_url" {
  command = plan

  variables {
    api = {
      issuer_url = "https://token.actions.githubusercontent.com/.well-known/openid-configuration"
      audiences  = ["gate"]
    }
  }

  expect_failures = [var.api]
}

run "api_no_audience" {
  command = plan

  variables {
    api = {
      issuer_url = "https://token.actions.githubusercontent.com"
      audiences  = []
    }
  }

  expect_failures = [var.api]
}

run "api_claim_with_space" {
  command = plan

  variables {
    api = {
      issuer_url     = "https://token.actions.githubusercontent.com"
      audiences      = ["gate"]
      identity_claim = "repo owner"
    }
  }

  expect_failures = [var.api]
}

run "escalation_valid" {
  command = plan

  variables {
    escalation = [
      { after_seconds = 600, email_addresses = ["boss@example.com"] },
      { after_seconds = 1800, webhook_url = "https://hooks.slack.com/services/T0/B0/Y" },
    ]
  }
}

run "escalation_out_of_order" {
  command = plan

  variables {
    escalation = [
      { after_seconds = 1800, email_addresses = ["boss@example.com"] },
      { after_seconds = 600, email_addresses = ["ceo@example.com"] },
    ]
  }
  expect_failures = [var.escalation]
}

run "escalation_too_many" {
  command = plan

  variables {
    escalation = [for i in range(6) : { after_seconds = 60 * (i + 1), email_addresses = ["boss@example.com"] }]
  }
  expect_failures = [var.escalation]
}
