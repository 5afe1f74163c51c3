terraform {
  required_providers {
    manualapproval = {
      source = "manualapproval/manualapproval"
    }
  }
}

# Configured like the AWS provider: the usual credential chain, a profile,
# an assumed role, endpoints and default tags.
provider "manualapproval" {
  region = "eu-west-1"

  assume_role {
    role_arn     = "arn:aws:iam::111122223333:role/platform-deployer"
    session_name = "terraform"
  }

  default_tags {
    tags = {
      owner = "platform"
    }
  }
}
