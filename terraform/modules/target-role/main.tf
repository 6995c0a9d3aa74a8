# The IAM role Headroom assumes in an account whose targets it manages,
# from the account it runs in. Only Headroom's role may assume it, and
# only with the external ID; it grants the actions Headroom calls for each
# kind of target enabled here, and nothing else
# (internal/deploytest/target_role_test.go holds them to the code).

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id

  # Auto Scaling group ARNs carry a generated id before the name ("Amazon
  # EC2 Auto Scaling resource types", Service Authorization Reference).
  auto_scaling_group_arns = [
    for g in var.auto_scaling_groups :
    "arn:${local.partition}:autoscaling:*:${local.account_id}:autoScalingGroup:*:autoScalingGroupName/${g}"
  ]

  ecs_service_arns = length(var.ecs_services) > 0 ? [
    for s in var.ecs_services : "arn:${local.partition}:ecs:*:${local.account_id}:service/${s}"
  ] : ["arn:${local.partition}:ecs:*:${local.account_id}:service/*"]

  tags = merge({ app = "headroom" }, var.tags)
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "Headroom"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = [var.headroom_role_arn]
    }

    # The confused-deputy guard ("The confused deputy problem", IAM User
    # Guide): Headroom presents the ID its config holds for this account.
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.name
  description          = "Headroom: read and resize the targets of this account"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = var.max_session_duration
  tags                 = local.tags

  lifecycle {
    precondition {
      condition     = var.enable_auto_scaling || var.enable_ecs || var.enable_application_auto_scaling || var.enable_cloudwatch || var.enable_sqs
      error_message = "enable at least one target kind (enable_auto_scaling, enable_ecs, enable_application_auto_scaling, enable_cloudwatch, enable_sqs): a role that grants nothing is a mistake."
    }
  }
}

# Each statement is there only when its kind is enabled (for_each over
# var.enable_KIND). The reads support no resource-level permissions
# ("Actions defined by ...", Service Authorization Reference).
data "aws_iam_policy_document" "permissions" {
  dynamic "statement" {
    for_each = var.enable_auto_scaling ? [1] : []
    content {
      sid = "ReadAutoScalingGroups"
      actions = [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeInstanceRefreshes",
        "autoscaling:DescribePolicies",
        "autoscaling:DescribeScheduledActions",
        "autoscaling:DescribeWarmPool",
      ]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.enable_auto_scaling ? [1] : []
    content {
      sid = "ScaleAutoScalingGroups"
      actions = [
        "autoscaling:CreateOrUpdateTags",
        "autoscaling:DeleteScheduledAction",
        "autoscaling:DeleteTags",
        "autoscaling:PutScheduledUpdateGroupAction",
        "autoscaling:PutWarmPool",
        "autoscaling:SetDesiredCapacity",
        "autoscaling:UpdateAutoScalingGroup",
      ]
      resources = length(var.auto_scaling_groups) > 0 ? local.auto_scaling_group_arns : ["*"]

      # With no names, the groups tagged for Headroom, as
      # deploy/iam-policy.json.
      dynamic "condition" {
        for_each = length(var.auto_scaling_groups) > 0 ? [] : [1]
        content {
          test     = "StringEquals"
          variable = "autoscaling:ResourceTag/headroom:managed"
          values   = ["true"]
        }
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_ecs ? [1] : []
    content {
      sid       = "ScaleEcsServices"
      actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
      resources = local.ecs_service_arns
    }
  }

  dynamic "statement" {
    for_each = var.enable_application_auto_scaling ? [1] : []
    content {
      sid = "ScaleApplicationAutoScalingTargets"
      actions = [
        "application-autoscaling:DeleteScheduledAction",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:DescribeScheduledActions",
        "application-autoscaling:PutScheduledAction",
        "application-autoscaling:RegisterScalableTarget",
      ]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.enable_cloudwatch ? [1] : []
    content {
      sid       = "ReadMetrics"
      actions   = ["cloudwatch:GetMetricData"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.enable_sqs ? [1] : []
    content {
      sid       = "ReadQueues"
      actions   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
      resources = ["arn:${local.partition}:sqs:*:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "headroom"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}
