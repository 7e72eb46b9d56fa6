terraform {
  # 1.9+: variable validations may refer to other variables (desired_capacity between min_size and max_size).
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.80+: Valkey engine for ElastiCache replication groups, warm pools, aws_vpc_security_group_*_rule.
      version = ">= 5.80, < 7.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6"
    }
  }
}
