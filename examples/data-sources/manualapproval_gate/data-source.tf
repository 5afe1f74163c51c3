# An application team's workspace uses a gate that the platform team's
# workspace owns: look it up by name.
data "manualapproval_gate" "deploy" {
  name = "deploy-prod"
}

# Merge the Task state into the state machine's definition, e.g.
#   Approve = merge(jsondecode(data.manualapproval_gate.deploy.task_state_json), { Next = "Deploy" })
# and grant the policy to the state machine's role (aws_iam_role_policy).
output "approval_task_state" {
  value = data.manualapproval_gate.deploy.task_state_json
}

output "approval_policy" {
  value = data.manualapproval_gate.deploy.state_machine_policy_json
}
