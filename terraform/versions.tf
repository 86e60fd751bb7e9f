terraform {
  # 1.9: input validations that compare two variables (visibility timeout vs dispatcher timeout).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}
