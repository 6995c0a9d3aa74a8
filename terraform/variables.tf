variable "name" {
  description = "Name of every resource the module creates: ECS cluster, service and task family, DynamoDB table, log group, IAM roles, security group."
  type        = string
  default     = "headroom"

  validation {
    # 32 characters leaves room for the longest suffix within the IAM role
    # name limit of 64 characters.
    condition     = length(var.name) > 0 && can(regex("^[A-Za-z0-9_-]{1,32}$", var.name))
    error_message = "name must be 1-32 letters, digits, '_' or '-'."
  }
}

variable "image" {
  description = "Headroom container image, for example 111122223333.dkr.ecr.us-east-1.amazonaws.com/headroom:1.4.0. Pin a tag or digest, never latest."
  type        = string

  validation {
    condition     = length(trimspace(var.image)) > 0
    error_message = "image must not be empty."
  }
}

variable "managed_groups" {
  description = "Names of the EC2 Auto Scaling groups Headroom may resize. The task role may write to these groups only; every groups[].asg of the config must be one of them."
  type        = list(string)

  validation {
    condition     = length(var.managed_groups) > 0
    error_message = "managed_groups must name at least one Auto Scaling group."
  }

  validation {
    # Auto Scaling group names are 1-255 characters (CreateAutoScalingGroup,
    # Amazon EC2 Auto Scaling API Reference).
    condition     = alltrue([for g in var.managed_groups : length(g) >= 1 && length(g) <= 255])
    error_message = "Every managed_groups entry must be an Auto Scaling group name of 1-255 characters."
  }
}

variable "config_yaml" {
  description = "Headroom's config file (YAML). The module sets store (dynamodb, this table), lease.ttl and listen; everything else comes from here. Stored as an SSM SecureString parameter."
  type        = string
  sensitive   = true

  validation {
    condition     = can(yamldecode(var.config_yaml))
    error_message = "config_yaml must be valid YAML."
  }
}

variable "lease_ttl_seconds" {
  description = "Lifetime of the leader lease in seconds (lease.ttl). A follower takes over within this time plus one cycle of the leader's death."
  type        = number
  default     = 15

  validation {
    # The bounds Headroom's config accepts (internal/config/lease.go).
    condition     = var.lease_ttl_seconds >= 3 && var.lease_ttl_seconds <= 300 && floor(var.lease_ttl_seconds) == var.lease_ttl_seconds
    error_message = "lease_ttl_seconds must be a whole number from 3 to 300."
  }
}

variable "desired_count" {
  description = "Number of Headroom tasks. One leads and acts; the others follow and serve reads. Two or more keep a follower ready to take the lease."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 1 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number of at least 1."
  }
}

variable "cpu" {
  description = "Task CPU units. 256 (0.25 vCPU) runs 2,000 groups."
  type        = number
  default     = 256

  validation {
    # The Fargate task sizes (local.fargate_memory).
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Task memory in MiB, one Fargate allows with cpu (for 256: 512, 1024 or 2048). 512 MiB is six times the 82 MiB peak RSS measured at 2,000 groups."
  type        = number
  default     = 512

  validation {
    # The pair with cpu is checked by the task definition's precondition
    # (ecs.tf): a variable's validation may refer to no other variable
    # before Terraform 1.9.
    condition     = var.memory >= 512 && floor(var.memory) == var.memory
    error_message = "memory must be a whole number of MiB, at least 512."
  }
}

variable "vpc_id" {
  description = "VPC the tasks run in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-...)."
  }
}

variable "subnets" {
  description = "Subnets the tasks run in; private subnets with a NAT gateway or VPC endpoints for Auto Scaling, CloudWatch, SQS, DynamoDB, SSM, ECR and CloudWatch Logs. Name subnets in two or more Availability Zones."
  type        = list(string)

  validation {
    condition     = length(var.subnets) > 0 && alltrue([for s in var.subnets : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnets must list at least one subnet id (subnet-...)."
  }
}

variable "assign_public_ip" {
  description = "Give each task a public IP. Only for public subnets without a NAT gateway."
  type        = bool
  default     = false
}

variable "admin_cidr_blocks" {
  description = "IPv4 CIDR blocks allowed to reach the admin listener (API, dashboard, /metrics) on port 9464. Empty: no inbound access."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.admin_cidr_blocks : can(cidrnetmask(c))])
    error_message = "Every admin_cidr_blocks entry must be an IPv4 CIDR block such as 10.0.0.0/16."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps Headroom's log lines."
  type        = number
  default     = 30

  validation {
    # The values PutRetentionPolicy accepts (Amazon CloudWatch Logs API
    # Reference).
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "alarm_actions" {
  description = "ARNs (SNS topics) notified when an alarm fires or clears."
  type        = list(string)
  default     = []
}

variable "table_deletion_protection" {
  description = "Refuse to delete the DynamoDB table (boosts, overrides, audit trail) on destroy."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

variable "cpu_architecture" {
  description = "CPU architecture of the image and the tasks: X86_64 or ARM64 (Graviton, cheaper on Fargate)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "campaigns_queue_name" {
  description = "Name of the SQS queue campaigns are announced on (campaigns.queue_url in the config). The task role may receive and delete messages on this queue only; with no campaigns.queue_url the daemon never calls it."
  type        = string
  default     = "headroom-campaigns"
}

variable "target_role_arns" {
  description = "ARNs of the IAM roles Headroom assumes to manage targets in other accounts (modules/target-role creates one per account). The task role may assume these roles and no other. Empty: same-account targets only."
  type        = list(string)
  default     = []

  validation {
    # Role ARNs as IAM writes them ("IAM identifiers", IAM User Guide):
    # a partition, a 12-digit account and role/ with an optional path.
    condition     = alltrue([for a in var.target_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "Every target_role_arns entry must be an IAM role ARN such as arn:aws:iam::111122223333:role/headroom-target."
  }
}
