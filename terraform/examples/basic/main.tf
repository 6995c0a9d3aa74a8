# A two-task Headroom service managing two Auto Scaling groups.
#
#   terraform init && terraform apply -var vpc_id=vpc-0abc... \
#     -var 'subnets=["subnet-0aaa...","subnet-0bbb..."]' \
#     -var image=111122223333.dkr.ecr.us-east-1.amazonaws.com/headroom:1.4.0

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

provider "aws" {
  region = var.region
}

module "headroom" {
  source = "../.."

  name              = "headroom"
  image             = var.image
  managed_groups    = ["web", "worker"]
  vpc_id            = var.vpc_id
  subnets           = var.subnets
  admin_cidr_blocks = ["10.0.0.0/8"]
  desired_count     = 2
  lease_ttl_seconds = 15
  config_yaml       = file("${path.module}/headroom.yaml")
}
