output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.this.name
}

output "table_name" {
  description = "DynamoDB state table (store.table)."
  value       = aws_dynamodb_table.state.name
}

output "task_role_arn" {
  description = "IAM role the daemon calls AWS as."
  value       = aws_iam_role.task.arn
}

output "security_group_id" {
  description = "Security group of the tasks; add rules to it to reach the admin listener from elsewhere."
  value       = aws_security_group.this.id
}

output "log_group_name" {
  description = "CloudWatch Logs group of the daemon's log lines."
  value       = aws_cloudwatch_log_group.this.name
}

output "config_parameter_name" {
  description = "SSM parameter holding the config."
  value       = aws_ssm_parameter.config.name
}
