variable "name" {
  description = "Name of the gate, the prefix of every AWS resource it creates: 1 to 40 letters, digits, hyphens and underscores."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,40}$", var.name))
    error_message = "The name must be 1 to 40 letters, digits, hyphens and underscores, e.g. \"deploy-prod\"."
  }
}

variable "description" {
  description = "Description of the gate, set on its AWS resources that have one. At most 256 characters."
  type        = string
  default     = "Human approval gate managed by the manual-approval module"

  validation {
    condition     = length(var.description) <= 256
    error_message = "The description must be at most 256 characters."
  }
}

variable "timeout_seconds" {
  description = "How long a request waits for a decision, counted from when the notifier ran (the Task's HeartbeatSeconds), before the Task fails with States.HeartbeatTimeout (a Catch on States.Timeout matches it); the links expire with it. Between 60 and 31536000 (one year)."
  type        = number
  default     = 86400

  validation {
    condition     = var.timeout_seconds >= 60 && var.timeout_seconds <= 31536000 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "The timeout_seconds must be a whole number between 60 and 31536000 (one year)."
  }
}

variable "slack_webhook_url" {
  description = "Slack incoming webhook (format \"blocks\") or Workflow Builder webhook (format \"workflow\") URL. https only (http for a loopback host). Stored in SSM."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.slack_webhook_url == null || can(regex("^(https://[^\\s/]+|http://(localhost|127\\.[0-9.]+|\\[::1\\])(:[0-9]+)?)(/\\S*)?$", var.slack_webhook_url))
    error_message = "The slack_webhook_url must be an https URL (http only for localhost or 127.0.0.0/8)."
  }
}

variable "slack_format" {
  description = "Slack wiring: \"blocks\" (incoming webhook with link buttons), \"workflow\" (Workflow Builder webhook) or \"app\" (bot token with interactive buttons). Defaults to \"app\" with a bot token, else \"blocks\"."
  type        = string
  default     = null

  validation {
    condition     = var.slack_format == null || contains(["blocks", "workflow", "app"], coalesce(var.slack_format, "blocks"))
    error_message = "The slack_format must be one of \"blocks\", \"workflow\" or \"app\"."
  }
}

variable "slack_bot_token" {
  description = "Bot token (xoxb-…) of the Slack app, for the format \"app\". Needs slack_channel and slack_signing_secret. Stored in SSM."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.slack_bot_token == null || can(regex("^xoxb-[A-Za-z0-9-]+$", var.slack_bot_token))
    error_message = "The slack_bot_token must be a Slack bot token starting with \"xoxb-\"."
  }
}

variable "slack_channel" {
  description = "Slack channel id or name the app posts to, for the format \"app\"."
  type        = string
  default     = null

  validation {
    condition     = try(length(var.slack_channel) > 0, true)
    error_message = "The slack_channel must not be empty."
  }
}

variable "slack_signing_secret" {
  description = "Signing secret of the Slack app, which verifies its button clicks, for the format \"app\". Stored in SSM."
  type        = string
  default     = null
  sensitive   = true
}

variable "approvers" {
  description = "Who may decide, by verified identity: Slack user ids (U… or W…), e-mail addresses, \"sso:<value>\" or \"api:<value>\". Empty: anyone who receives the request may decide. A bearer link proves no identity: with approvers, links cannot approve unless the gate has sso (see link_decisions)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.approvers : can(regex("^(slack:)?[UW][A-Z0-9]{2,}$", a)) || can(regex("^(email:)?[^@\\s,<>\"]+@[^@\\s,<>\"]+\\.[^@\\s,<>\"]+$", a)) || can(regex("^(sso|api):[^\\s,]+$", a))])
    error_message = "Each approver must be a verifiable identity: a Slack user id such as U024BE7LH, an e-mail address such as alice@example.com, \"sso:<value>\" or \"api:<value>\". A display name identifies nobody."
  }
}

variable "approver_groups" {
  description = "Groups of the single sign-on identity provider whose members may decide. Needs sso on the gate."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for g in var.approver_groups : length(g) > 0 && !strcontains(g, ",") && trimspace(g) == g])
    error_message = "Each approver group must be a group name without commas or surrounding white space."
  }
}

variable "link_decisions" {
  description = "What a link (e-mail, SMS, Slack webhook and workflow, generic webhook) may decide: \"any\", \"reject_only\" or \"none\". Without sso, a gate with an identity control (approvers, approver_groups, min_approvals > 1, allow_self_approval = false) needs \"reject_only\" or \"none\"."
  type        = string
  default     = "any"

  validation {
    condition     = contains(["any", "reject_only", "none"], var.link_decisions)
    error_message = "The link_decisions must be \"any\", \"reject_only\" or \"none\"."
  }
}

variable "slack_team_id" {
  description = "Id (T…) of the Slack workspace the app's clicks must come from, for the format \"app\". Required with the app when an identity control is set."
  type        = string
  default     = null

  validation {
    condition     = var.slack_team_id == null || can(regex("^T[A-Z0-9]{2,}$", var.slack_team_id))
    error_message = "The slack_team_id must be a Slack workspace id such as T024BE7LD."
  }
}

variable "slack_enterprise_id" {
  description = "Id (E…) of the Enterprise Grid organisation the app's clicks must come from, for the format \"app\"."
  type        = string
  default     = null

  validation {
    condition     = var.slack_enterprise_id == null || can(regex("^E[A-Z0-9]{2,}$", var.slack_enterprise_id))
    error_message = "The slack_enterprise_id must be a Slack Enterprise Grid id such as E0AKF8L2Q."
  }
}

variable "slack_app_id" {
  description = "Id (A…) of the Slack app whose clicks the gate accepts, for the format \"app\"."
  type        = string
  default     = null

  validation {
    condition     = var.slack_app_id == null || can(regex("^A[A-Z0-9]{2,}$", var.slack_app_id))
    error_message = "The slack_app_id must be a Slack app id such as A0KRD7HC3."
  }
}

variable "min_approvals" {
  description = "Distinct approvals needed to approve a request (one rejection rejects it). At least 1, and at most the number of approvers when they are set."
  type        = number
  default     = 1

  validation {
    condition     = var.min_approvals >= 1 && floor(var.min_approvals) == var.min_approvals
    error_message = "The min_approvals must be a whole number, at least 1."
  }
}

variable "allow_self_approval" {
  description = "Whether the requester (requested_by, or the value at requester_path in the state input) may approve their own request. With the ban (false), the requester must be a verifiable identity set by a trusted starter, and, without sso, links must not approve (link_decisions)."
  type        = bool
  default     = false
}

variable "requester_path" {
  description = "JSONPath in the state input of the requester's identity (a Slack user id, an e-mail address, sso:<value> or api:<value>), used to refuse self-approval."
  type        = string
  default     = "$.requested_by"

  validation {
    condition     = startswith(var.requester_path, "$.") && length(var.requester_path) > 2
    error_message = "The requester_path must be a JSONPath starting with \"$.\", e.g. \"$.requested_by\"."
  }
}

variable "require_reason" {
  description = "When a decision needs a reason (a comment that is not blank): \"never\", \"reject\" (a rejection needs one) or \"always\"."
  type        = string
  default     = "never"

  validation {
    condition     = contains(["never", "reject", "always"], var.require_reason)
    error_message = "The require_reason must be \"never\", \"reject\" or \"always\"."
  }
}

variable "inputs" {
  description = "Values approvers fill in with an approval, at most 10, returned in the task output under `inputs`: name (a lower-case letter, then lower-case letters, digits and underscores), type (\"string\", \"number\", \"bool\" or \"choice\"), choices (for, and only for, \"choice\"), required, label and description (optional)."
  type = list(object({
    name        = string
    type        = string
    choices     = optional(list(string))
    required    = optional(bool, false)
    label       = optional(string)
    description = optional(string)
  }))
  default = []

  validation {
    condition     = length(var.inputs) <= 10
    error_message = "A gate asks for at most 10 inputs."
  }
  validation {
    condition     = alltrue([for i in var.inputs : can(regex("^[a-z][a-z0-9_]{0,39}$", i.name))])
    error_message = "Each input name must be 1 to 40 characters: a lower-case letter, then lower-case letters, digits and underscores (e.g. ticket_id)."
  }
  validation {
    condition     = length(distinct([for i in var.inputs : i.name])) == length(var.inputs)
    error_message = "The input names must be distinct."
  }
  validation {
    condition     = alltrue([for i in var.inputs : contains(["string", "number", "bool", "choice"], i.type)])
    error_message = "Each input type must be \"string\", \"number\", \"bool\" or \"choice\"."
  }
  validation {
    condition     = alltrue([for i in var.inputs : (i.type == "choice") == (i.choices != null && length(coalesce(i.choices, [])) > 0)])
    error_message = "An input of type \"choice\" needs a non-empty list of choices, and only such an input has choices."
  }
}

variable "email_addresses" {
  description = "E-mail addresses subscribed to the gate's SNS topic; each confirms its subscription once."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.email_addresses : can(regex("^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$", e))])
    error_message = "Each e-mail address must look like oncall@example.com."
  }
}

variable "sms_numbers" {
  description = "Phone numbers in E.164 form (+ and up to 15 digits, e.g. +14155550100) subscribed to the topic for SMS."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.sms_numbers : can(regex("^\\+[1-9][0-9]{1,14}$", n))])
    error_message = "Each SMS number must be in E.164 form: a + and up to 15 digits, the first not 0, e.g. +14155550100."
  }
}

variable "webhook_url" {
  description = "URL every request is POSTed to as JSON, signed with HMAC-SHA256 using webhook_secret. https only (http for a loopback host)."
  type        = string
  default     = null

  validation {
    condition     = var.webhook_url == null || can(regex("^(https://[^\\s/]+|http://(localhost|127\\.[0-9.]+|\\[::1\\])(:[0-9]+)?)(/\\S*)?$", var.webhook_url))
    error_message = "The webhook_url must be an https URL (http only for localhost or 127.0.0.0/8)."
  }
}

variable "webhook_secret" {
  description = "Key of the webhook's HMAC-SHA256 signature, at least 16 characters. Required with webhook_url. Stored in SSM."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = try(length(var.webhook_secret) >= 16, true)
    error_message = "The webhook_secret must be at least 16 characters."
  }
}

variable "sso" {
  description = "Single sign-on in front of every link: an OpenID Connect provider identifies the approver before a link can decide. issuer_url (https; http only for a loopback host), client_id, client_secret (stored in SSM, readable by the callback only), scopes (default [\"openid\", \"email\", \"profile\"], must include openid), identity_claim (default \"email\", which requires email_verified = true), groups_claim (optional). Register the output sso_redirect_uri at the provider. Defaults to null: links decide without a sign-in."
  type = object({
    issuer_url     = string
    client_id      = string
    client_secret  = string
    scopes         = optional(list(string), ["openid", "email", "profile"])
    identity_claim = optional(string, "email")
    groups_claim   = optional(string)
  })
  default   = null
  sensitive = true

  validation {
    condition     = var.sso == null || can(regex("^(https://[^\\s/?#]+|http://(localhost|127\\.[0-9.]+|\\[::1\\])(:[0-9]+)?)(/[^\\s?#]*)?$", var.sso.issuer_url))
    error_message = "The sso issuer_url must be an https URL without a query string (http only for localhost or 127.0.0.0/8)."
  }
  validation {
    condition     = var.sso == null || contains(try(var.sso.scopes, []), "openid")
    error_message = "The sso scopes must include \"openid\": without it the provider sends no ID token."
  }
}

variable "api" {
  description = "Decisions by machines (CI jobs, scripts) through callback_url + \"/api/v1\" with an OpenID Connect bearer token: issuer_url (exactly the tokens' iss claim; https, http only for a loopback host), audiences (at least one; a token's aud must contain one), identity_claim (default \"sub\"; the identity is api:<value>, or email:<address> with \"email\" and a verified e-mail), groups_claim (optional, matched against approver_groups). approvers must name the API identities allowed to decide. Defaults to null: no API."
  type = object({
    issuer_url     = string
    audiences      = list(string)
    identity_claim = optional(string, "sub")
    groups_claim   = optional(string)
  })
  default = null

  validation {
    condition     = var.api == null || can(regex("^(https://[^\\s/?#]+|http://(localhost|127\\.[0-9.]+|\\[::1\\])(:[0-9]+)?)(/[^\\s?#]*)?$", var.api.issuer_url))
    error_message = "The api issuer_url must be an https URL without a query string (http only for localhost or 127.0.0.0/8)."
  }
  validation {
    condition     = var.api == null || !strcontains(try(var.api.issuer_url, ""), "/.well-known/")
    error_message = "The api issuer_url must be the issuer itself, exactly as in the tokens' iss claim, not its discovery document: remove \"/.well-known/...\"."
  }
  validation {
    condition     = var.api == null || (length(try(var.api.audiences, [])) > 0 && alltrue([for a in try(var.api.audiences, []) : length(a) >= 1 && length(a) <= 512]))
    error_message = "The api audiences must hold at least one audience, each 1 to 512 characters."
  }
  validation {
    condition     = var.api == null || alltrue([for c in [try(var.api.identity_claim, null), try(var.api.groups_claim, null)] : c == null || can(regex("^[^\\s]{1,128}$", c))])
    error_message = "The api identity_claim and groups_claim must be claim names: 1 to 128 characters without white space."
  }
}

variable "escalation" {
  description = "Escalation steps, in order (at most 5): when nobody has decided after_seconds after a request was made (strictly increasing, below timeout_seconds), the step notifies slack_channel (with the Slack app wiring), email_addresses (through the gate's <name>-escalation topic) and webhook_url (a Slack incoming webhook, https, kept in SSM as a secret); its approvers may decide from then on, under the same verified-identity rules as approvers. Defaults to null: no escalation."
  type = list(object({
    after_seconds   = number
    slack_channel   = optional(string)
    email_addresses = optional(list(string))
    webhook_url     = optional(string)
    approvers       = optional(list(string))
  }))
  default = null

  validation {
    condition     = try(length(var.escalation) <= 5, true)
    error_message = "The escalation list holds at most 5 steps."
  }
  validation {
    condition     = try(alltrue([for i in range(1, length(var.escalation)) : var.escalation[i].after_seconds > var.escalation[i - 1].after_seconds]), true)
    error_message = "The escalation steps must come in strictly increasing after_seconds."
  }
}

variable "allowed_state_machine_arns" {
  description = "State machines whose executions the gate may resume. Empty: every state machine of the account and region."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.allowed_state_machine_arns : can(regex("^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]+$", a))])
    error_message = "Each allowed state machine must be an ARN such as arn:aws:states:eu-west-1:123456789012:stateMachine:deploy."
  }
}

variable "include_execution_context" {
  description = "Whether the Task state passes the execution id, state machine id and state name to the notifier, which shows them."
  type        = bool
  default     = true
}

variable "callback_base_url" {
  description = "Base URL of the links for a custom domain in front of the gate's HTTP API. Null: the API's own endpoint."
  type        = string
  default     = null

  validation {
    condition     = var.callback_base_url == null || can(regex("^(https://[^\\s/?]+|http://(localhost|127\\.[0-9.]+|\\[::1\\])(:[0-9]+)?)(/[^\\s?]*)?$", var.callback_base_url))
    error_message = "The callback_base_url must be an https URL without a query string (http only for localhost or 127.0.0.0/8)."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' CloudWatch log groups, in days; one of the values CloudWatch Logs accepts."
  type        = number
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "lambda_architecture" {
  description = "Instruction set architecture of the Lambda functions: \"arm64\" or \"x86_64\"."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "The lambda_architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of each Lambda function, in MB, between 128 and 10240."
  type        = number
  default     = 128

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240 && floor(var.lambda_memory_mb) == var.lambda_memory_mb
    error_message = "The lambda_memory_mb must be a whole number between 128 and 10240."
  }
}

variable "permissions_boundary_arn" {
  description = "IAM managed policy set as the permissions boundary of the gate's roles. Null: none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[A-Za-z0-9+=,.@/_-]+$", var.permissions_boundary_arn))
    error_message = "The permissions_boundary_arn must be an IAM policy ARN such as arn:aws:iam::123456789012:policy/boundary."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key that encrypts the gate's data at rest. Null: AWS managed keys."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "The kms_key_arn must be a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab."
  }
}

variable "tags" {
  description = "Tags of every AWS resource of the gate, on top of the provider's default_tags and this module's ManagedBy tag."
  type        = map(string)
  default     = {}
}

variable "task_state_options" {
  description = "Options of the task_state output (see the task_state function): title, text, fields, timeout_seconds (at most timeout_seconds), result_path, query_language (\"JSONPath\" or \"JSONata\"), next, catch_rejected, input, requested_by."
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
  default = {}

  validation {
    condition     = var.task_state_options.query_language == null || contains(["JSONPath", "JSONata"], coalesce(var.task_state_options.query_language, "JSONPath"))
    error_message = "The task_state_options.query_language must be \"JSONPath\" or \"JSONata\"."
  }
}
