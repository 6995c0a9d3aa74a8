output "service_name" {
  description = "ECS service running Headroom."
  value       = module.headroom.service_name
}

output "table_name" {
  description = "DynamoDB state table."
  value       = module.headroom.table_name
}
