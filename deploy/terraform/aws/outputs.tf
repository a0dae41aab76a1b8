output "url" {
  description = "Dashboard and API."
  value       = "${local.scheme}://${aws_lb.this.dns_name}"
}

output "webhook_url" {
  description = "Paste into GitHub: Settings → Webhooks → Payload URL (content type application/json)."
  value       = "${local.scheme}://${aws_lb.this.dns_name}/webhooks/github"
}

output "database_endpoint" {
  description = "RDS PostgreSQL endpoint."
  value       = aws_db_instance.this.address
}
