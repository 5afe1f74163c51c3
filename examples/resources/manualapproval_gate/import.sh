# A gate is imported by its name. Secrets cannot be read back from AWS: set
# slack.webhook_url, slack.bot_token, slack.signing_secret and webhook.secret
# in the configuration again; the next apply writes them.
terraform import manualapproval_gate.deploy deploy-prod
