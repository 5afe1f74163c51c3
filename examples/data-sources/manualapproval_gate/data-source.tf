# An application team's workspace uses a gate that the platform team's
# workspace owns: look it up by name.
data "manualapproval_gate" "deploy" {
  name = "deploy-prod"
}

resource "aws_iam_role_policy" "approval" {
  name   = "manual-approval"
  role   = aws_iam_role.state_machine.id
  policy = data.manualapproval_gate.deploy.state_machine_policy_json
}

resource "aws_sfn_state_machine" "release" {
  name     = "release"
  role_arn = aws_iam_role.state_machine.arn
  definition = jsonencode({
    StartAt = "Approve"
    States = {
      Approve = merge(jsondecode(data.manualapproval_gate.deploy.task_state_json), { Next = "Deploy" })
      Deploy  = { Type = "Succeed" }
    }
  })
}
