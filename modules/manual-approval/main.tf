locals {
  # Whether a secret is set is not a secret.
  has_slack_webhook = nonsensitive(var.slack_webhook_url != null)
  has_slack_app     = nonsensitive(var.slack_bot_token != null)
  has_signing       = nonsensitive(var.slack_signing_secret != null)
  has_slack         = local.has_slack_webhook || local.has_slack_app
  slack_format      = var.slack_format != null ? var.slack_format : (local.has_slack_app ? "app" : "blocks")

  tags = merge({ ManagedBy = "terraform", Module = "manual-approval" }, var.tags)
}

resource "manualapproval_gate" "this" {
  name            = var.name
  description     = var.description
  timeout_seconds = var.timeout_seconds
  tags            = local.tags

  slack = local.has_slack ? {
    format         = local.slack_format
    webhook_url    = var.slack_webhook_url
    bot_token      = var.slack_bot_token
    channel        = var.slack_channel
    signing_secret = var.slack_signing_secret
    team_id        = var.slack_team_id
    enterprise_id  = var.slack_enterprise_id
    app_id         = var.slack_app_id
  } : null

  approvers           = var.approvers
  approver_groups     = var.approver_groups
  link_decisions      = var.link_decisions
  min_approvals       = var.min_approvals
  allow_self_approval = var.allow_self_approval
  requester_path      = var.requester_path
  require_reason      = var.require_reason
  inputs              = length(var.inputs) > 0 ? var.inputs : null

  email_addresses = var.email_addresses
  sms_numbers     = var.sms_numbers

  webhook = var.webhook_url != null ? {
    url    = var.webhook_url
    secret = var.webhook_secret
  } : null

  sso        = var.sso
  api        = var.api
  escalation = var.escalation

  allowed_state_machine_arns = var.allowed_state_machine_arns
  include_execution_context  = var.include_execution_context
  callback_base_url          = var.callback_base_url
  log_retention_days         = var.log_retention_days
  lambda_architecture        = var.lambda_architecture
  lambda_memory_mb           = var.lambda_memory_mb
  permissions_boundary_arn   = var.permissions_boundary_arn
  kms_key_arn                = var.kms_key_arn

  lifecycle {
    precondition {
      condition     = local.has_slack || length(var.email_addresses) + length(var.sms_numbers) > 0 || var.webhook_url != null
      error_message = "The gate notifies nobody: set slack_webhook_url, the Slack app (slack_bot_token, slack_channel, slack_signing_secret), email_addresses, sms_numbers or webhook_url."
    }
    precondition {
      condition     = !(local.has_slack_webhook && local.has_slack_app)
      error_message = "Set slack_webhook_url (formats \"blocks\" and \"workflow\") or slack_bot_token (format \"app\"), not both."
    }
    precondition {
      condition     = !local.has_slack_app || (var.slack_channel != null && local.has_signing)
      error_message = "The Slack app (slack_bot_token) also needs slack_channel and slack_signing_secret."
    }
    precondition {
      condition     = local.has_slack_app || (var.slack_channel == null && !local.has_signing)
      error_message = "slack_channel and slack_signing_secret are only used with the Slack app: set slack_bot_token too, or remove them."
    }
    precondition {
      condition     = var.slack_format == null || local.has_slack
      error_message = "slack_format is set but Slack is not: set slack_webhook_url (\"blocks\", \"workflow\") or slack_bot_token (\"app\")."
    }
    precondition {
      condition     = local.slack_format == "app" ? !local.has_slack_webhook : !local.has_slack_app
      error_message = "slack_format \"app\" posts with slack_bot_token; \"blocks\" and \"workflow\" post to slack_webhook_url. Set the one that matches slack_format."
    }
    precondition {
      condition     = local.has_slack_app || (var.slack_team_id == null && var.slack_enterprise_id == null && var.slack_app_id == null)
      error_message = "slack_team_id, slack_enterprise_id and slack_app_id are only used with the Slack app: set slack_bot_token too, or remove them."
    }
    precondition {
      condition     = (var.webhook_url == null) == nonsensitive(var.webhook_secret == null)
      error_message = "Set webhook_url and webhook_secret together."
    }
    precondition {
      condition     = length(var.approvers) == 0 || var.min_approvals <= length(var.approvers)
      error_message = "min_approvals is greater than the number of approvers: no request could ever be approved."
    }
    precondition {
      condition     = var.task_state_options.timeout_seconds == null || try(var.task_state_options.timeout_seconds <= var.timeout_seconds, true)
      error_message = "task_state_options.timeout_seconds must be at most timeout_seconds: the links expire with the gate's timeout."
    }
  }
}

locals {
  # Only what the function reads: the gate's secrets would make the result
  # sensitive.
  task_state = provider::manualapproval::task_state({
    notifier_function_arn     = manualapproval_gate.this.notifier_function_arn
    timeout_seconds           = manualapproval_gate.this.timeout_seconds
    include_execution_context = manualapproval_gate.this.include_execution_context
  }, var.task_state_options)
}
