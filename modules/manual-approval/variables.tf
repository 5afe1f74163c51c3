# Every optional variable defaults to null and is passed to the gate as is:
# the provider applies its own defaults and is the one place that checks the
# values (its errors name the gate's argument, e.g. slack.channel; the
# README maps the arguments to these variables). The descriptions state the
# provider's defaults.

variable "create" {
  description = "Whether to create the gate. false: nothing is created and every output is null."
  type        = bool
  default     = true
  nullable    = false
}

variable "name" {
  description = "Name of the gate, the prefix of every AWS resource it creates: 1 to 40 letters, digits, hyphens and underscores. Changing it replaces the gate."
  type        = string
}

variable "description" {
  description = "Description of the gate, set on its AWS resources that have one; at most 256 characters. Defaults to null: the provider's default, \"\"."
  type        = string
  default     = null
}

variable "timeout_seconds" {
  description = "How long a request waits for a decision, counted from when the notifier ran (the Task's HeartbeatSeconds), before the Task fails with States.HeartbeatTimeout (a Catch on States.Timeout matches it); the links expire with it. Between 60 and 31536000 (one year). Defaults to null: the provider's default, 86400 (one day)."
  type        = number
  default     = null
}

# Slack. The module cannot look at an ephemeral value to decide whether Slack
# is wired (Terraform refuses an ephemeral value in a non-ephemeral
# argument, and a condition on one makes the result ephemeral), so the
# wiring is decided by the non-secret variables: slack_format, or
# slack_channel (the Slack app), and the app's ids.

variable "slack_format" {
  description = "Slack wiring: \"blocks\" (incoming webhook with link buttons, slack_webhook_url), \"workflow\" (Workflow Builder webhook, slack_webhook_url) or \"app\" (bot with interactive buttons: slack_bot_token, slack_channel, slack_signing_secret). Slack is wired when slack_format, slack_channel, slack_team_id, slack_enterprise_id or slack_app_id is set: with a webhook, set slack_format. Defaults to null: with slack_channel the provider's default, \"app\"; without any of them, no Slack."
  type        = string
  default     = null
}

variable "slack_webhook_url" {
  description = "Slack incoming webhook (format \"blocks\") or Workflow Builder webhook (format \"workflow\") URL; https only (http for a loopback host). Ephemeral: passed to the write-only slack.webhook_url_wo, never stored in the plan or the state; stored in SSM. Needs slack_format \"blocks\" or \"workflow\". Defaults to null."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "slack_bot_token" {
  description = "Bot token (xoxb-…) of the Slack app, for the format \"app\" (with slack_channel and slack_signing_secret). Ephemeral: passed to the write-only slack.bot_token_wo; stored in SSM. Defaults to null."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "slack_channel" {
  description = "Slack channel id or name the app posts to, for the format \"app\"; setting it wires the Slack app. Defaults to null."
  type        = string
  default     = null
}

variable "slack_signing_secret" {
  description = "Signing secret of the Slack app, which verifies its button clicks, for the format \"app\". Ephemeral: passed to the write-only slack.signing_secret_wo; stored in SSM. Defaults to null."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "slack_team_id" {
  description = "Id (T…) of the Slack workspace the app's clicks must come from, for the format \"app\". Required with the app when an identity control is set. Defaults to null: the provider's default, any workspace."
  type        = string
  default     = null
}

variable "slack_enterprise_id" {
  description = "Id (E…) of the Enterprise Grid organisation the app's clicks must come from, for the format \"app\". Defaults to null: the provider's default, any organisation."
  type        = string
  default     = null
}

variable "slack_app_id" {
  description = "Id (A…) of the Slack app whose clicks the gate accepts, for the format \"app\". Defaults to null: the provider's default, any app."
  type        = string
  default     = null
}

variable "secrets_version" {
  description = "Version of the secrets (slack_webhook_url, slack_bot_token, slack_signing_secret, webhook_secret, sso_client_secret), the gate's *_wo_version arguments: they are write-only, so Terraform sends them to the provider only when the gate is created and when this number changes. Increment it to rotate a secret (every secret in use is written again)."
  type        = number
  default     = 1
  nullable    = false
}

variable "approvers" {
  description = "Who may decide, by verified identity: Slack user ids (U… or W…), e-mail addresses, \"sso:<value>\" or \"api:<value>\". A bearer link proves no identity: with approvers, links cannot approve unless the gate has sso (see link_decisions). Defaults to null: the provider's default, empty (anyone who receives the request may decide)."
  type        = set(string)
  default     = null
}

variable "approver_groups" {
  description = "Groups of the single sign-on identity provider (or of the API tokens, api.groups_claim) whose members may decide. Needs sso or api.groups_claim. Defaults to null: the provider's default, empty."
  type        = set(string)
  default     = null
}

variable "link_decisions" {
  description = "What a link (e-mail, SMS, Slack webhook and workflow, generic webhook) may decide: \"any\", \"reject_only\" or \"none\". Without sso, a gate with an identity control (approvers, approver_groups, min_approvals > 1, allow_self_approval = false) needs \"reject_only\" or \"none\". Defaults to null: the provider's default, \"any\"."
  type        = string
  default     = null
}

variable "min_approvals" {
  description = "Distinct approvals needed to approve a request (one rejection rejects it); at most the number of approvers when they are set. Defaults to null: the provider's default, 1."
  type        = number
  default     = null
}

variable "allow_self_approval" {
  description = "Whether the requester (requested_by, or the value at requester_path in the state input) may approve their own request. With the ban (false), the requester must be a verifiable identity set by a trusted starter, and, without sso, links must not approve (link_decisions). Defaults to null: the provider's default, false."
  type        = bool
  default     = null
}

variable "requester_path" {
  description = "JSONPath in the state input of the requester's identity (a Slack user id, an e-mail address, sso:<value> or api:<value>), used to refuse self-approval; starts with \"$.\". Defaults to null: the provider's default, \"$.requested_by\"."
  type        = string
  default     = null
}

variable "require_reason" {
  description = "When a decision needs a reason (a comment that is not blank): \"never\", \"reject\" (a rejection needs one) or \"always\". Defaults to null: the provider's default, \"never\"."
  type        = string
  default     = null
}

variable "inputs" {
  description = "Values approvers fill in with an approval, at most 10, returned in the task output under `inputs`: name (a lower-case letter, then lower-case letters, digits and underscores), type (\"string\", \"number\", \"bool\" or \"choice\"), choices (for, and only for, \"choice\"), required (the provider's default, false), label and description (optional). Defaults to null: none."
  type = list(object({
    name        = string
    type        = string
    choices     = optional(list(string))
    required    = optional(bool)
    label       = optional(string)
    description = optional(string)
  }))
  default = null
}

variable "email_addresses" {
  description = "E-mail addresses subscribed to the gate's SNS topic; each confirms its subscription once. Defaults to null: the provider's default, none."
  type        = set(string)
  default     = null
}

variable "sms_numbers" {
  description = "Phone numbers in E.164 form (+ and up to 15 digits, e.g. +14155550100) subscribed to the topic for SMS. Defaults to null: the provider's default, none."
  type        = set(string)
  default     = null
}

variable "teams" {
  description = "Whether the gate posts to Microsoft Teams (teams_webhook_url). A switch of its own because the URL is ephemeral: Terraform lets no value derived from an ephemeral one decide what reaches a non-write-only argument. Defaults to false."
  type        = bool
  default     = false
  nullable    = false
}

variable "teams_webhook_url" {
  description = "Microsoft Teams Workflows URL (a channel's Workflows, template \"Post to a channel when a webhook request is received\"): with teams = true, each request is posted there as an Adaptive Card with Approve and Reject buttons, reminders and the decision as follow-up cards. Ephemeral: it goes to the gate's write-only teams.webhook_url_wo (with secrets_version) and is stored in SSM, never in the state. https only (http for a loopback host). Defaults to null: no Teams."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "webhook_url" {
  description = "URL every request is POSTed to as JSON, signed with HMAC-SHA256 using webhook_secret; https only (http for a loopback host). Setting it wires the webhook. Defaults to null: no webhook."
  type        = string
  default     = null
}

variable "webhook_secret" {
  description = "Key of the webhook's HMAC-SHA256 signature, at least 16 characters; needed with webhook_url. Ephemeral: passed to the write-only webhook.secret_wo; stored in SSM. Defaults to null."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "sso" {
  description = "Single sign-on in front of every link: an OpenID Connect provider identifies the approver before a link can decide. issuer_url (https; http only for a loopback host), client_id, scopes (the provider's default, [\"openid\", \"email\", \"profile\"]; must include openid), identity_claim (the provider's default, \"email\", which requires email_verified = true), groups_claim (optional). The client secret is sso_client_secret. Register the output sso_redirect_uri at the provider. Defaults to null: links decide without a sign-in."
  type = object({
    issuer_url     = string
    client_id      = string
    scopes         = optional(list(string))
    identity_claim = optional(string)
    groups_claim   = optional(string)
  })
  default = null
}

variable "sso_client_secret" {
  description = "Client secret of the gate at the single sign-on provider, needed with sso. Ephemeral: passed to the write-only sso.client_secret_wo; stored in SSM, readable by the callback only. Defaults to null."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "api" {
  description = "Decisions by machines (CI jobs, scripts) through callback_url + \"/api/v1\" with an OpenID Connect bearer token: issuer_url (exactly the tokens' iss claim; https, http only for a loopback host), audiences (at least one; a token's aud must contain one), identity_claim (the provider's default, \"sub\"; the identity is api:<value>, or email:<address> with \"email\" and a verified e-mail), groups_claim (optional, matched against approver_groups). approvers must name the API identities allowed to decide. Defaults to null: no API."
  type = object({
    issuer_url     = string
    audiences      = set(string)
    identity_claim = optional(string)
    groups_claim   = optional(string)
  })
  default = null
}

variable "events" {
  description = "Decision events on Amazon EventBridge (source \"manualapproval\"; detail types Approval Requested, Reminded, Escalated, Decided and Expired; the detail's JSON schema is docs/events/v1.schema.json): bus_name is the name of a bus of the gate's account and region or the ARN of a bus in the gate's region (default \"default\", the account's default bus). Both functions may events:PutEvents on that bus only. Defaults to null: no events."
  type = object({
    bus_name = optional(string)
  })
  default = null
}

variable "reminders" {
  description = "Reminders of a pending request to its channels (a thread reply mentioning the approvers in the Slack app, a short message on an incoming webhook or workflow, an SNS message, an approval.reminded webhook event, a Teams card): the first after_seconds after the request, then every every_seconds (at least 60: the gate's sweep runs each minute), at most max times (provider default 3). Defaults to null: no reminders."
  type = object({
    after_seconds = number
    every_seconds = number
    max           = optional(number)
  })
  default = null
}

variable "escalation" {
  description = "Escalation steps, in order (at most 5): when nobody has decided after_seconds after a request was made (strictly increasing, below timeout_seconds), the step notifies slack_channel (with the Slack app wiring), email_addresses (through the gate's <name>-escalation topic) and webhook_url (a Slack incoming webhook, https, kept in SSM as a secret); its approvers may decide from then on, under the same verified-identity rules as approvers. Sensitive (its webhook URLs). Defaults to null: no escalation."
  type = list(object({
    after_seconds   = number
    slack_channel   = optional(string)
    email_addresses = optional(list(string))
    webhook_url     = optional(string)
    approvers       = optional(list(string))
  }))
  default   = null
  sensitive = true
}

variable "warn_before_expiry_seconds" {
  description = "One last call, this many seconds before a pending request expires (at least 60, less than timeout_seconds). Defaults to null: none."
  type        = number
  default     = null
}

variable "notify_on_decision" {
  description = "Whether channels whose messages cannot be edited (the Slack incoming webhook and workflow, the SNS topic) get a short follow-up once a request is decided or expires. The Slack app's messages are always updated in place. Defaults to null: the provider's default, false."
  type        = bool
  default     = null
}

variable "allowed_state_machine_arns" {
  description = "State machines whose executions the gate may resume. Defaults to null: the provider's default, every state machine of the account and region."
  type        = set(string)
  default     = null
}

variable "include_execution_context" {
  description = "Whether the Task state passes the execution id, state machine id and state name to the notifier, which shows them. Defaults to null: the provider's default, true."
  type        = bool
  default     = null
}

variable "callback_base_url" {
  description = "Base URL of the links for a custom domain in front of the gate's HTTP API; https (http only for a loopback host), no query string. Defaults to null: the provider's default, the API's own endpoint."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the functions' CloudWatch log groups, in days; one of the values CloudWatch Logs accepts. Defaults to null: the provider's default, 30."
  type        = number
  default     = null
}

variable "lambda_architecture" {
  description = "Instruction set architecture of the Lambda functions: \"arm64\" or \"x86_64\". Defaults to null: the provider's default, \"arm64\"."
  type        = string
  default     = null
}

variable "lambda_memory_mb" {
  description = "Memory of each Lambda function, in MB, between 128 and 10240. Defaults to null: the provider's default, 128."
  type        = number
  default     = null
}

variable "permissions_boundary_arn" {
  description = "IAM managed policy set as the permissions boundary of the gate's roles. Defaults to null: none."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer managed KMS key that encrypts the gate's data at rest. Defaults to null: AWS managed keys."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of every AWS resource of the gate, on top of the provider's default_tags and this module's ManagedBy and Module tags. Defaults to null: only the module's tags."
  type        = map(string)
  default     = null
}

variable "task_state_options" {
  description = "Options of the task_state output (see the task_state function, which checks them): title, text, fields, timeout_seconds (at most timeout_seconds), result_path, query_language (\"JSONPath\" or \"JSONata\"), next, catch_rejected, input, requested_by. Defaults to null: the function's defaults."
  type = object({
    title           = optional(string)
    text            = optional(string)
    fields          = optional(map(string))
    input           = optional(string)
    requested_by    = optional(string)
    timeout_seconds = optional(number)
    result_path     = optional(string)
    query_language  = optional(string)
    next            = optional(string)
    catch_rejected  = optional(string)
  })
  default = null
}
