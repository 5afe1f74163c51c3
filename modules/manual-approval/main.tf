locals {
  # The Slack wiring, from the non-secret variables only: the secrets are
  # ephemeral, and Terraform refuses a value derived from one (even
  # `var.x != null`) in count, in a condition whose result reaches a
  # non-write-only argument, or in a *_wo_version.
  # Slack is wired when any of them is set (the provider then checks the
  # combination, e.g. slack_team_id only with the app); the app when
  # slack_format is "app", or unset with slack_channel.
  slack_wired = anytrue([for v in [var.slack_format, var.slack_channel, var.slack_team_id, var.slack_enterprise_id, var.slack_app_id] : v != null])
  slack_app   = var.slack_format == "app" || (var.slack_format == null && var.slack_channel != null)
  slack_hook  = local.slack_wired && !local.slack_app

  tags = merge({ ManagedBy = "terraform", Module = "manual-approval" }, var.tags == null ? {} : var.tags)
}

resource "manualapproval_gate" "this" {
  count = var.create ? 1 : 0

  name            = var.name
  description     = var.description
  timeout_seconds = var.timeout_seconds
  tags            = local.tags

  # Each secret goes to its write-only argument, with secrets_version as its
  # version when the wiring uses it (a version without its secret is an
  # error of the provider's).
  slack = local.slack_wired ? {
    format                    = var.slack_format
    webhook_url_wo            = var.slack_webhook_url
    webhook_url_wo_version    = local.slack_hook ? var.secrets_version : null
    bot_token_wo              = var.slack_bot_token
    bot_token_wo_version      = local.slack_app ? var.secrets_version : null
    signing_secret_wo         = var.slack_signing_secret
    signing_secret_wo_version = local.slack_app ? var.secrets_version : null
    channel                   = var.slack_channel
    team_id                   = var.slack_team_id
    enterprise_id             = var.slack_enterprise_id
    app_id                    = var.slack_app_id
  } : null

  approvers           = var.approvers
  approver_groups     = var.approver_groups
  link_decisions      = var.link_decisions
  min_approvals       = var.min_approvals
  allow_self_approval = var.allow_self_approval
  requester_path      = var.requester_path
  require_reason      = var.require_reason
  inputs              = var.inputs

  email_addresses = var.email_addresses
  sms_numbers     = var.sms_numbers

  webhook = var.webhook_url != null ? {
    url               = var.webhook_url
    secret_wo         = var.webhook_secret
    secret_wo_version = var.secrets_version
  } : null

  sso = var.sso != null ? {
    issuer_url               = var.sso.issuer_url
    client_id                = var.sso.client_id
    client_secret_wo         = var.sso_client_secret
    client_secret_wo_version = var.secrets_version
    scopes                   = var.sso.scopes
    identity_claim           = var.sso.identity_claim
    groups_claim             = var.sso.groups_claim
  } : null

  api = var.api

  teams = var.teams ? {
    webhook_url_wo         = var.teams_webhook_url
    webhook_url_wo_version = var.secrets_version
  } : null

  reminders                  = var.reminders
  warn_before_expiry_seconds = var.warn_before_expiry_seconds
  escalation                 = var.escalation
  events                     = var.events
  notify_on_decision         = var.notify_on_decision

  allowed_state_machine_arns = var.allowed_state_machine_arns
  include_execution_context  = var.include_execution_context
  callback_base_url          = var.callback_base_url
  log_retention_days         = var.log_retention_days
  lambda_architecture        = var.lambda_architecture
  lambda_memory_mb           = var.lambda_memory_mb
  permissions_boundary_arn   = var.permissions_boundary_arn
  kms_key_arn                = var.kms_key_arn

  lifecycle {
    # The provider checks every value it is given; this checks what it does
    # not see: a secret whose wiring is off is not passed to the gate at all
    # (the wiring cannot depend on an ephemeral value), so without this it
    # would be dropped silently.
    precondition {
      condition = alltrue([
        var.slack_webhook_url == null || local.slack_hook,
        (var.slack_bot_token == null && var.slack_signing_secret == null) || local.slack_app,
        var.webhook_secret == null || var.webhook_url != null,
        var.sso_client_secret == null || var.sso != null,
        var.teams_webhook_url == null || var.teams,
      ])
      error_message = "A secret is set whose channel is not wired, so it would be ignored: slack_webhook_url needs slack_format \"blocks\" or \"workflow\"; slack_bot_token and slack_signing_secret need the Slack app (slack_channel, or slack_format \"app\"); webhook_secret needs webhook_url; sso_client_secret needs sso; teams_webhook_url needs teams = true."
    }
  }
}

locals {
  # From the gate's task_state_json, which is never sensitive (the whole
  # gate object would be, with any secret argument). No gate (create =
  # false): no task state.
  # Options {} rather than null when unset: OpenTofu cannot pass a null
  # to the function's dynamic parameter. Through JSON so that both branches
  # have one type.
  task_state = one([for g in manualapproval_gate.this : jsondecode(var.task_state_options == null ?
    jsonencode(provider::manualapproval::task_state(g.task_state_json, {})) :
  jsonencode(provider::manualapproval::task_state(g.task_state_json, var.task_state_options)))])
}
