image   = "111122223333.dkr.ecr.us-east-1.amazonaws.com/headroom:1.0.0"
vpc_id  = "vpc-0abc"
subnets = ["subnet-0a", "subnet-0b"]
