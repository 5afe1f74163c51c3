terraform {
  # Provider-defined functions need Terraform 1.8.
  required_version = ">= 1.8"

  required_providers {
    manualapproval = {
      source  = "manualapproval/manualapproval"
      version = ">= 0.1"
    }
  }
}
