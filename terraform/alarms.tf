# Fewer tasks running than wanted: a task crashed, failed its health check
# or cannot start (image, config, permissions). With fewer than two, a
# leader's death stops scaling until ECS replaces it.
resource "aws_cloudwatch_metric_alarm" "tasks_missing" {
  alarm_name          = "${var.name}-tasks-missing"
  alarm_description   = "Headroom runs fewer tasks than desired_count."
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "LessThanThreshold"
  threshold           = var.desired_count
  treat_missing_data  = "breaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags

  dimensions = {
    ClusterName = aws_ecs_cluster.this.name
    ServiceName = aws_ecs_service.this.name
  }
}

# The leader lost its lease: another replica or a hand edit took it. Once
# is worth a look; a deploy releases the lease instead.
resource "aws_cloudwatch_metric_alarm" "lease_lost" {
  alarm_name          = "${var.name}-lease-lost"
  alarm_description   = "A Headroom leader lost its lease (log line \"lease lost\")."
  namespace           = "Headroom/${var.name}"
  metric_name         = aws_cloudwatch_log_metric_filter.lease_lost.metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}

# Groups left undecided cycle after cycle: five minutes in a row with at
# least one.
resource "aws_cloudwatch_metric_alarm" "group_not_decided" {
  alarm_name          = "${var.name}-group-not-decided"
  alarm_description   = "Headroom could not decide a group for five minutes (log line \"group not decided\")."
  namespace           = "Headroom/${var.name}"
  metric_name         = aws_cloudwatch_log_metric_filter.group_not_decided.metric_transformation[0].name
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}
