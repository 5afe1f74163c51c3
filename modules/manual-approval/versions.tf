terraform {
  # Write-only arguments (the secrets) need Terraform 1.11; ephemeral
  # variables 1.10; provider-defined functions 1.8.
  required_version = ">= 1.11"

  required_providers {
    manualapproval = {
      source  = "manualapproval/manualapproval"
      version = ">= 0.1"
    }
  }
}
