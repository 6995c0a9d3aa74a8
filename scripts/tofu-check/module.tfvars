image            = "111122223333.dkr.ecr.us-east-1.amazonaws.com/headroom:1.0.0"
managed_groups   = ["web", "worker"]
vpc_id           = "vpc-0abc"
subnets          = ["subnet-0a", "subnet-0b"]
config_yaml      = "groups: []\n"
target_role_arns = ["arn:aws:iam::444455556666:role/headroom-target"]
