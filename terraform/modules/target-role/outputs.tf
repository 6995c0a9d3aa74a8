output "role_arn" {
  description = "ARN of the role: give it to the Headroom module's target_role_arns and to the config for this account."
  value       = aws_iam_role.this.arn
}
