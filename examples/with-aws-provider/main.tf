terraform {
  required_version = ">= 1.8"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    manualapproval = {
      source = "manualapproval/manualapproval"
    }
  }
}

provider "aws" {
  region = var.region
}

provider "manualapproval" {
  region = var.region
}

variable "region" {
  description = "AWS region of the gate and the state machine."
  type        = string
  default     = "eu-west-1"
}

variable "slack_webhook_url" {
  description = "Slack incoming webhook URL."
  type        = string
  sensitive   = true
}

data "aws_caller_identity" "current" {}

locals {
  state_machine_name = "deploy-prod"
  state_machine_arn  = "arn:aws:states:${var.region}:${data.aws_caller_identity.current.account_id}:stateMachine:${local.state_machine_name}"
}

resource "manualapproval_gate" "deploy" {
  name            = "deploy-prod"
  timeout_seconds = 86400
  slack           = { webhook_url = var.slack_webhook_url }
  email_addresses = ["oncall@example.com"]
  # Links prove no identity: without sso the self-approval ban cannot hold.
  allow_self_approval = true

  # Only this state machine's executions can be resumed by the gate.
  allowed_state_machine_arns = [local.state_machine_arn]
}

# The state machine: build, ask a person, deploy; a rejection ends in a Fail
# state whose input carries the decision under $.approval_error.
resource "aws_sfn_state_machine" "deploy" {
  name     = local.state_machine_name
  role_arn = aws_iam_role.state_machine.arn

  definition = jsonencode({
    Comment = "Deploy to production after a human approval"
    StartAt = "Build"
    States = {
      Build = {
        Type   = "Pass"
        Result = { version = "1.4.2", commit = "9fceb02" }
        # The result replaces nothing: it is added under $.build.
        ResultPath = "$.build"
        Next       = "Approve"
      }

      # Pass the gate's task_state_json, not the whole resource: the resource
      # carries the sensitive marks of its secret arguments, and the
      # definition would show as (sensitive value) in plans.
      Approve = provider::manualapproval::task_state(manualapproval_gate.deploy.task_state_json, {
        title          = "Deploy checkout to production?"
        fields         = { version = "$.build.version", commit = "$.build.commit" }
        result_path    = "$.approval"
        next           = "Deploy"
        catch_rejected = "Rejected"
        on_timeout     = "TimedOut"
      })

      Deploy = {
        Type = "Pass"
        End  = true
      }

      Rejected = {
        Type  = "Fail"
        Error = "DeploymentRejected"
        Cause = "A person rejected the deployment."
      }

      TimedOut = {
        Type  = "Fail"
        Error = "ApprovalTimedOut"
        Cause = "Nobody decided before the gate's timeout."
      }
    }
  })
}

data "aws_iam_policy_document" "states_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "state_machine" {
  name               = "${local.state_machine_name}-sfn"
  assume_role_policy = data.aws_iam_policy_document.states_assume.json
}

# Invoking the gate's notifier, and nothing else of the gate.
resource "aws_iam_role_policy" "approval" {
  name   = "approval-gate"
  role   = aws_iam_role.state_machine.id
  policy = manualapproval_gate.deploy.state_machine_policy_json
}

output "state_machine_arn" {
  description = "Start an execution of this state machine; it waits at Approve for a person."
  value       = aws_sfn_state_machine.deploy.arn
}
