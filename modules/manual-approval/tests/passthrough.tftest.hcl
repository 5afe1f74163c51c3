# Plan-only runs: the module passes every variable to the gate as is (null
# when unset, so the provider's defaults apply), wires the secrets to the
# write-only arguments, and creates nothing with create = false. Bad values
# are the provider's to refuse: its own tests (internal/provider) cover each.
# The provider is configured so that it never calls AWS.
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

variables {
  name            = "tftest-plan"
  email_addresses = ["oncall@example.com"]
}

# Nothing but the name and a channel: every other argument is null, so the
# gate has the provider's defaults.
run "defaults" {
  command = plan

  variables {
    allow_self_approval = true
  }

  assert {
    condition     = length(manualapproval_gate.this) == 1 && manualapproval_gate.this[0].name == "tftest-plan"
    error_message = "the gate is not named after var.name"
  }
  assert {
    condition     = manualapproval_gate.this[0].tags == tomap({ ManagedBy = "terraform", Module = "manual-approval" })
    error_message = "the module's tags are not the gate's tags"
  }
  assert {
    condition = alltrue([
      manualapproval_gate.this[0].description == "",
      manualapproval_gate.this[0].timeout_seconds == 86400,
      manualapproval_gate.this[0].link_decisions == "any",
      manualapproval_gate.this[0].min_approvals == 1,
      manualapproval_gate.this[0].requester_path == "$.requested_by",
      manualapproval_gate.this[0].require_reason == "never",
      manualapproval_gate.this[0].include_execution_context,
      manualapproval_gate.this[0].log_retention_days == 30,
      manualapproval_gate.this[0].lambda_architecture == "arm64",
      manualapproval_gate.this[0].lambda_memory_mb == 128,
      length(manualapproval_gate.this[0].approvers) == 0,
      length(manualapproval_gate.this[0].approver_groups) == 0,
      length(manualapproval_gate.this[0].sms_numbers) == 0,
      length(manualapproval_gate.this[0].allowed_state_machine_arns) == 0,
    ])
    error_message = "an unset variable does not leave the provider's default"
  }
  assert {
    condition = alltrue([
      manualapproval_gate.this[0].slack == null,
      manualapproval_gate.this[0].webhook == null,
      manualapproval_gate.this[0].sso == null,
      manualapproval_gate.this[0].api == null,
      manualapproval_gate.this[0].inputs == null,
      manualapproval_gate.this[0].callback_base_url == null,
      manualapproval_gate.this[0].permissions_boundary_arn == null,
      manualapproval_gate.this[0].kms_key_arn == null,
      output.api_url == null,
      output.gate.slack_format == null,
    ])
    error_message = "an unset variable does not leave its argument null"
  }
}

# Every variable set: each reaches its argument unchanged. (Lists are
# compared as sets: OpenTofu's test runner does not convert a run's
# variables to their declared types.)
run "pass_through" {
  command = plan

  variables {
    description                = "Deploys to production"
    timeout_seconds            = 3600
    approvers                  = ["U024BE7LH", "alice@example.com", "api:repo:my-org/my-repo:environment:prod"]
    approver_groups            = ["ops"]
    link_decisions             = "none"
    min_approvals              = 2
    allow_self_approval        = false
    requester_path             = "$.who"
    require_reason             = "reject"
    inputs                     = [{ name = "ticket", type = "string", required = true }, { name = "env", type = "choice", choices = ["staging", "prod"] }]
    sms_numbers                = ["+14155550100"]
    allowed_state_machine_arns = ["arn:aws:states:us-east-1:123456789012:stateMachine:deploy"]
    include_execution_context  = false
    callback_base_url          = "https://approve.example.com"
    log_retention_days         = 90
    lambda_architecture        = "x86_64"
    lambda_memory_mb           = 256
    permissions_boundary_arn   = "arn:aws:iam::123456789012:policy/boundary"
    kms_key_arn                = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    tags                       = { team = "platform" }
    sso = {
      issuer_url   = "https://login.example.com/oauth2/default"
      client_id    = "0oa1gate"
      groups_claim = "groups"
    }
    sso_client_secret = "client-secret-value"
    api = {
      issuer_url = "https://token.actions.githubusercontent.com"
      audiences  = ["manualapproval-gate"]
    }
  }

  assert {
    condition = alltrue([
      manualapproval_gate.this[0].description == var.description,
      manualapproval_gate.this[0].timeout_seconds == var.timeout_seconds,
      manualapproval_gate.this[0].approvers == toset(var.approvers),
      manualapproval_gate.this[0].approver_groups == toset(var.approver_groups),
      manualapproval_gate.this[0].link_decisions == var.link_decisions,
      manualapproval_gate.this[0].min_approvals == var.min_approvals,
      manualapproval_gate.this[0].allow_self_approval == var.allow_self_approval,
      manualapproval_gate.this[0].requester_path == var.requester_path,
      manualapproval_gate.this[0].require_reason == var.require_reason,
      manualapproval_gate.this[0].email_addresses == toset(var.email_addresses),
      manualapproval_gate.this[0].sms_numbers == toset(var.sms_numbers),
      manualapproval_gate.this[0].allowed_state_machine_arns == toset(var.allowed_state_machine_arns),
      manualapproval_gate.this[0].include_execution_context == var.include_execution_context,
      manualapproval_gate.this[0].callback_base_url == var.callback_base_url,
      manualapproval_gate.this[0].log_retention_days == var.log_retention_days,
      manualapproval_gate.this[0].lambda_architecture == var.lambda_architecture,
      manualapproval_gate.this[0].lambda_memory_mb == var.lambda_memory_mb,
      manualapproval_gate.this[0].permissions_boundary_arn == var.permissions_boundary_arn,
      manualapproval_gate.this[0].kms_key_arn == var.kms_key_arn,
    ])
    error_message = "a variable does not reach its argument unchanged"
  }
  assert {
    condition     = manualapproval_gate.this[0].tags == tomap({ ManagedBy = "terraform", Module = "manual-approval", team = "platform" })
    error_message = "var.tags is not merged over the module's tags"
  }
  assert {
    condition = alltrue([
      length(manualapproval_gate.this[0].inputs) == 2,
      manualapproval_gate.this[0].inputs[0].name == "ticket" && manualapproval_gate.this[0].inputs[0].required,
      manualapproval_gate.this[0].inputs[1].choices == tolist(["staging", "prod"]),
      !manualapproval_gate.this[0].inputs[1].required,
    ])
    error_message = "var.inputs does not reach the gate, or an unset required is not the provider's false"
  }
  assert {
    condition = alltrue([
      manualapproval_gate.this[0].sso.issuer_url == var.sso.issuer_url,
      manualapproval_gate.this[0].sso.client_id == var.sso.client_id,
      manualapproval_gate.this[0].sso.groups_claim == var.sso.groups_claim,
      manualapproval_gate.this[0].sso.identity_claim == "email",
      manualapproval_gate.this[0].sso.scopes == tolist(["openid", "email", "profile"]),
      manualapproval_gate.this[0].sso.client_secret == null,
      manualapproval_gate.this[0].sso.client_secret_wo_version == 1,
    ])
    error_message = "var.sso does not reach the gate with the provider's defaults, or the client secret is not write-only"
  }
  assert {
    condition     = manualapproval_gate.this[0].api.issuer_url == var.api.issuer_url && manualapproval_gate.this[0].api.audiences == toset(var.api.audiences) && manualapproval_gate.this[0].api.identity_claim == "sub"
    error_message = "var.api does not reach the gate with the provider's defaults"
  }
  assert {
    condition     = !contains(keys(output.gate), "sso") && output.gate.api.identity_claim == "sub"
    error_message = "the gate output carries sso, or not api"
  }
}

# Slack incoming webhook: the ephemeral URL goes to the write-only
# webhook_url_wo, versioned by secrets_version; nothing of it in the plan.
run "slack_webhook_ephemeral" {
  command = plan

  variables {
    allow_self_approval = true
    slack_format        = "blocks"
    slack_webhook_url   = "https://hooks.slack.com/services/T0/B0/X"
    secrets_version     = 3
  }

  assert {
    condition = alltrue([
      manualapproval_gate.this[0].slack.format == "blocks",
      manualapproval_gate.this[0].slack.webhook_url == null,
      manualapproval_gate.this[0].slack.webhook_url_wo == null,
      manualapproval_gate.this[0].slack.webhook_url_wo_version == 3,
      manualapproval_gate.this[0].slack.bot_token_wo_version == null,
      manualapproval_gate.this[0].slack.signing_secret_wo_version == null,
    ])
    error_message = "the webhook URL is not wired write-only with secrets_version"
  }
  assert {
    condition     = output.gate.slack_format == "blocks" && !contains(keys(output.gate), "slack")
    error_message = "the gate output does not say the wiring, or carries slack"
  }
}

# The Slack app: slack_channel wires it, and the provider's default format
# is "app" because bot_token_wo is set.
run "slack_app_ephemeral" {
  command = plan

  variables {
    slack_bot_token      = "xoxb-123-456-abc"
    slack_channel        = "C0123456"
    slack_signing_secret = "8f742231b10e8888abcd99yyyzzz85a5"
    slack_team_id        = "T024BE7LD"
    slack_enterprise_id  = "E0AKF8L2Q"
    slack_app_id         = "A0KRD7HC3"
    approvers            = ["U024BE7LH"]
    link_decisions       = "none"
  }

  assert {
    condition = alltrue([
      manualapproval_gate.this[0].slack.format == "app",
      manualapproval_gate.this[0].slack.channel == var.slack_channel,
      manualapproval_gate.this[0].slack.team_id == var.slack_team_id,
      manualapproval_gate.this[0].slack.enterprise_id == var.slack_enterprise_id,
      manualapproval_gate.this[0].slack.app_id == var.slack_app_id,
      manualapproval_gate.this[0].slack.bot_token == null,
      manualapproval_gate.this[0].slack.bot_token_wo_version == 1,
      manualapproval_gate.this[0].slack.signing_secret_wo_version == 1,
      manualapproval_gate.this[0].slack.webhook_url_wo_version == null,
    ])
    error_message = "the Slack app is not wired write-only"
  }
  assert {
    condition     = output.gate.slack_format == "app"
    error_message = "a bot token without slack_format is not the app wiring"
  }
}

# The webhook: the ephemeral secret goes to webhook.secret_wo.
run "webhook_ephemeral" {
  command = plan

  variables {
    allow_self_approval = true
    webhook_url         = "https://example.com/hook"
    webhook_secret      = "0123456789abcdef0123"
  }

  assert {
    condition     = manualapproval_gate.this[0].webhook.url == var.webhook_url && manualapproval_gate.this[0].webhook.secret == null && manualapproval_gate.this[0].webhook.secret_wo_version == 1
    error_message = "the webhook is not wired write-only"
  }
  assert {
    condition     = output.gate.webhook_url == var.webhook_url && !contains(keys(output.gate), "webhook")
    error_message = "the gate output does not carry the webhook URL alone"
  }
}

run "teams_ephemeral" {
  command = plan

  variables {
    allow_self_approval = true
    teams               = true
    teams_webhook_url   = "https://prod.example.com/workflows/triggers/manual/paths/invoke?sig=abc"
  }

  assert {
    condition     = manualapproval_gate.this[0].teams.webhook_url == null && manualapproval_gate.this[0].teams.webhook_url_wo_version == 1
    error_message = "Teams is not wired write-only"
  }
}

# What happens while nobody answers: passed as is.
run "followups" {
  command = plan

  variables {
    allow_self_approval        = true
    reminders                  = { after_seconds = 600, every_seconds = 900 }
    warn_before_expiry_seconds = 300
    events                     = { bus_name = "approvals" }
    notify_on_decision         = true
    escalation                 = [{ after_seconds = 1800, email_addresses = ["boss@example.com"] }]
  }

  assert {
    condition = alltrue([
      manualapproval_gate.this[0].reminders.after_seconds == 600,
      manualapproval_gate.this[0].reminders.every_seconds == 900,
      manualapproval_gate.this[0].reminders.max == 3,
      manualapproval_gate.this[0].warn_before_expiry_seconds == 300,
      manualapproval_gate.this[0].events.bus_name == "approvals",
      manualapproval_gate.this[0].notify_on_decision,
      nonsensitive(manualapproval_gate.this[0].escalation[0].after_seconds) == 1800,
    ])
    error_message = "the follow-up settings do not reach the gate unchanged"
  }
}

run "followups_unset" {
  command = plan

  variables {
    allow_self_approval = true
  }

  assert {
    condition = alltrue([
      manualapproval_gate.this[0].reminders == null,
      manualapproval_gate.this[0].warn_before_expiry_seconds == null,
      manualapproval_gate.this[0].events == null,
      !manualapproval_gate.this[0].notify_on_decision,
      manualapproval_gate.this[0].teams == null,
      manualapproval_gate.this[0].escalation == null,
    ])
    error_message = "unset follow-up variables do not leave the provider's defaults"
  }
}

# What the provider cannot see: a secret whose channel is not wired would be
# dropped without a word.
run "teams_url_without_teams" {
  command = plan

  variables {
    allow_self_approval = true
    teams_webhook_url   = "https://prod.example.com/workflows/triggers/manual/paths/invoke?sig=abc"
  }

  expect_failures = [manualapproval_gate.this]
}

run "slack_webhook_without_format" {
  command = plan

  variables {
    allow_self_approval = true
    slack_webhook_url   = "https://hooks.slack.com/services/T0/B0/X"
  }

  expect_failures = [manualapproval_gate.this]
}

run "slack_app_secrets_without_channel" {
  command = plan

  variables {
    allow_self_approval = true
    slack_bot_token     = "xoxb-123-456-abc"
  }

  expect_failures = [manualapproval_gate.this]
}

run "webhook_secret_without_url" {
  command = plan

  variables {
    allow_self_approval = true
    webhook_secret      = "0123456789abcdef0123"
  }

  expect_failures = [manualapproval_gate.this]
}

run "sso_client_secret_without_sso" {
  command = plan

  variables {
    allow_self_approval = true
    sso_client_secret   = "client-secret-value"
  }

  expect_failures = [manualapproval_gate.this]
}

# create = false: no gate, every output null.
run "create_false" {
  command = plan

  variables {
    create              = false
    allow_self_approval = true
    slack_format        = "blocks"
    slack_webhook_url   = "https://hooks.slack.com/services/T0/B0/X"
  }

  assert {
    condition     = length(manualapproval_gate.this) == 0
    error_message = "create = false plans a gate"
  }
  assert {
    condition = alltrue([
      output.task_state == null,
      output.task_state_json == null,
      output.state_machine_policy_json == null,
      output.callback_url == null,
      output.sso_redirect_uri == null,
      output.api_url == null,
      output.topic_arn == null,
      output.notifier_function_arn == null,
      output.table_name == null,
      output.gate == null,
    ])
    error_message = "create = false leaves an output set"
  }
}
