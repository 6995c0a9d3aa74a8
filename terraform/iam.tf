# Two roles: the task role is what the daemon calls AWS as, and grants
# exactly the actions in internal/awsapi/actions.go (a test keeps them
# equal); the execution role is what ECS uses to pull the image, write the
# logs and read the config parameter.

data "aws_iam_policy_document" "assume_ecs_tasks" {
  statement {
    sid     = "EcsTasks"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Only tasks of this account may assume the roles (the confused-deputy
    # guard of "Amazon ECS task IAM role", Amazon ECS Developer Guide).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  description        = "Headroom daemon: read groups, metrics and queues; resize the managed groups; keep state in its table"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
  tags               = local.tags
}

data "aws_iam_policy_document" "task" {
  # These actions support no resource-level permissions ("Actions defined
  # by Amazon EC2 Auto Scaling / Amazon CloudWatch", Service Authorization
  # Reference). The SQS ones do: narrow them to your queues if you like.
  statement {
    sid = "ReadGroupsMetricsQueues"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeInstanceRefreshes",
      "autoscaling:DescribePolicies",
      "autoscaling:DescribeScheduledActions",
      "autoscaling:DescribeWarmPool",
      "cloudwatch:GetMetricData",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
    ]
    resources = ["*"]
  }

  statement {
    sid = "ScaleManagedGroups"
    actions = [
      "autoscaling:CreateOrUpdateTags",
      "autoscaling:DeleteScheduledAction",
      "autoscaling:DeleteTags",
      "autoscaling:PutScheduledUpdateGroupAction",
      "autoscaling:PutWarmPool",
      "autoscaling:SetDesiredCapacity",
      "autoscaling:UpdateAutoScalingGroup",
    ]
    resources = local.managed_group_arns
  }

  # The store has no secondary index, so the table ARN is all it needs.
  statement {
    sid = "StateTable"
    actions = [
      "dynamodb:BatchWriteItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = [aws_dynamodb_table.state.arn]
  }

  # The campaigns queue (campaigns.queue_url): the leader receives the
  # campaigns announced on it and deletes each once it is handled.
  statement {
    sid = "CampaignsQueue"
    actions = [
      "sqs:DeleteMessage",
      "sqs:ReceiveMessage",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:${var.campaigns_queue_name}"]
  }

  # ECS service targets of this account: the services and their
  # Application Auto Scaling scalable targets. Describes support no
  # resource scoping that helps here (Service Authorization Reference).
  statement {
    sid = "ReadServices"
    actions = [
      "application-autoscaling:DescribeScalableTargets",
      "application-autoscaling:DescribeScalingPolicies",
      "application-autoscaling:DescribeScheduledActions",
      "ecs:DescribeServices",
    ]
    resources = ["*"]
  }

  # Resize a service of this account, only one tagged headroom:managed=true.
  statement {
    sid       = "ScaleManagedServices"
    actions   = ["ecs:UpdateService"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/headroom:managed"
      values   = ["true"]
    }
  }

  # Mirror a service's boosts into its scalable target, only one tagged
  # headroom:managed=true.
  statement {
    sid = "MirrorServiceBoosts"
    actions = [
      "application-autoscaling:DeleteScheduledAction",
      "application-autoscaling:PutScheduledAction",
      "application-autoscaling:RegisterScalableTarget",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/headroom:managed"
      values   = ["true"]
    }
  }

  # The roles Headroom assumes in other accounts (modules/target-role
  # creates one), and no other role. With none configured there is no
  # statement: one without resources would be refused.
  dynamic "statement" {
    for_each = length(var.target_role_arns) > 0 ? [var.target_role_arns] : []
    content {
      sid       = "AssumeTargetRoles"
      actions   = ["sts:AssumeRole"]
      resources = statement.value
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "headroom"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  description        = "ECS agent for Headroom: pull the image, write logs, read the config parameter"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# Reading a SecureString encrypted with the AWS managed key aws/ssm needs
# no kms:Decrypt grant ("Pass sensitive data to an Amazon ECS container",
# Amazon ECS Developer Guide).
data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "ReadConfig"
    actions   = ["ssm:GetParameters"]
    resources = [aws_ssm_parameter.config.arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "headroom-config"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}
