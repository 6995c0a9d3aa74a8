resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

# Headroom exposes Prometheus metrics, not CloudWatch ones, so the alarms
# that need the daemon's view count its log lines. serve logs JSON by
# default; the patterns match the "msg" key exactly.

# "lease lost": the leader found the lease taken or changed under it
# (internal/lease).
resource "aws_cloudwatch_log_metric_filter" "lease_lost" {
  name           = "${var.name}-lease-lost"
  log_group_name = aws_cloudwatch_log_group.this.name
  pattern        = "{ $.msg = \"lease lost\" }"

  metric_transformation {
    name          = "LeaseLost"
    namespace     = "Headroom/${var.name}"
    value         = "1"
    default_value = "0"
  }
}

# "group not decided": a cycle could not decide a group (describe failed,
# the group is missing) (internal/controller).
resource "aws_cloudwatch_log_metric_filter" "group_not_decided" {
  name           = "${var.name}-group-not-decided"
  log_group_name = aws_cloudwatch_log_group.this.name
  pattern        = "{ $.msg = \"group not decided\" }"

  metric_transformation {
    name          = "GroupNotDecided"
    namespace     = "Headroom/${var.name}"
    value         = "1"
    default_value = "0"
  }
}
