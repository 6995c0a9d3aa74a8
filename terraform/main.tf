# Headroom on ECS: a service of two or more tasks sharing one DynamoDB table,
# one of them leading (acting) at a time through the lease in that table.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # admin_port serves the API, the dashboard, /metrics, /healthz and
  # /readyz; the config's listen is forced to it so that the port mapping,
  # the security group and the daemon agree.
  admin_port = 9464

  # The user's config with the keys this module owns: the store is this
  # table, the lease TTL comes from a variable, and listen is the port
  # the task exposes.
  user_config = yamldecode(var.config_yaml)
  config = merge(local.user_config, {
    listen = ":${local.admin_port}"
    store = merge(try(local.user_config.store, {}), {
      backend = "dynamodb"
      table   = aws_dynamodb_table.state.name
    })
    lease = {
      ttl = "${var.lease_ttl_seconds}s"
    }
  })

  # Auto Scaling group ARNs carry a generated id before the name; the name
  # is what the module knows ("Amazon EC2 Auto Scaling resource types",
  # Service Authorization Reference).
  managed_group_arns = [
    for g in var.managed_groups :
    "arn:${local.partition}:autoscaling:${local.region}:${local.account_id}:autoScalingGroup:*:autoScalingGroupName/${g}"
  ]

  tags = merge({ app = "headroom" }, var.tags)

  # The memory sizes (MiB) Fargate accepts with each task CPU size; any
  # other pair fails at apply with "No Fargate configuration exists for
  # given values" ("Troubleshoot Amazon ECS task definition invalid CPU or
  # memory errors", Amazon ECS Developer Guide; the memory parameter of
  # RegisterTaskDefinition, Amazon ECS API Reference). 8192 and 16384 need
  # Linux platform version 1.4.0 or later, which LATEST is.
  fargate_memory = {
    "256"   = [512, 1024, 2048]
    "512"   = [for gb in range(1, 5) : gb * 1024]
    "1024"  = [for gb in range(2, 9) : gb * 1024]
    "2048"  = [for gb in range(4, 17) : gb * 1024]
    "4096"  = [for gb in range(8, 31) : gb * 1024]
    "8192"  = [for gb in range(16, 61, 4) : gb * 1024]
    "16384" = [for gb in range(32, 121, 8) : gb * 1024]
  }
}

# The config as an SSM SecureString: ECS hands it to the container in
# $HEADROOM_CONFIG, so the image needs no shell and no file on disk. The
# Intelligent-Tiering tier stores up to 4 KB as Standard and moves larger
# configs to Advanced (up to 8 KB); beyond that, use the S3 variant
# (deploy/ecs/task-definition-s3.json).
resource "aws_ssm_parameter" "config" {
  name        = "/${var.name}/config"
  description = "Headroom config (YAML)"
  type        = "SecureString"
  tier        = "Intelligent-Tiering"
  value       = yamlencode(local.config)
  tags        = local.tags

  lifecycle {
    precondition {
      # Headroom could not act on a group outside managed_groups: the task
      # role may write to those groups only. The result is one bit of the
      # config, so it may be shown.
      condition     = nonsensitive(alltrue([for g in try(local.user_config.groups, []) : contains(var.managed_groups, g.asg)]))
      error_message = "Every groups[].asg of config_yaml must be listed in managed_groups."
    }
  }
}

# The admin listener is reachable from admin_cidr_blocks only. Outbound,
# the tasks need HTTPS to the AWS APIs (or to VPC endpoints); DNS to the
# VPC resolver is not filtered by security groups.
resource "aws_security_group" "this" {
  name        = var.name
  description = "Headroom tasks: admin listener in, AWS APIs out"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "admin" {
  for_each = toset(var.admin_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "Headroom admin API, dashboard and metrics"
  ip_protocol       = "tcp"
  from_port         = local.admin_port
  to_port           = local.admin_port
  cidr_ipv4         = each.value
  tags              = local.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "AWS APIs over HTTPS"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
  tags              = local.tags
}
