variable "name" {
  description = "Name prefix for every resource."
  type        = string
  default     = "sextant"
}

variable "vpc_id" {
  description = "VPC to run in."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets for the load balancer (at least two availability zones)."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets for the tasks and the database."
  type        = list(string)
}

variable "image" {
  description = "Sextant container image, for example ghcr.io/sextant-dev/sextant:0.1.0."
  type        = string
}

variable "replicas" {
  description = "Number of sextant serve tasks; they share the PostgreSQL database."
  type        = number
  default     = 2
}

variable "cpu" {
  description = "Task CPU units."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Task memory (MiB)."
  type        = number
  default     = 1024
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on the load balancer; empty serves plain HTTP."
  type        = string
  default     = ""
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.small"
}

variable "github_orgs" {
  description = "Organizations to sync, comma-separated."
  type        = string
  default     = ""
}

variable "github_token" {
  description = "GitHub personal access token, stored in Secrets Manager."
  type        = string
  sensitive   = true
}

variable "github_webhook_secret" {
  description = "Webhook secret to paste into GitHub, stored in Secrets Manager."
  type        = string
  sensitive   = true
}
