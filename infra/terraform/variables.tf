variable "name" {
  description = "Name of this deployment; prefixes every resource (e.g. adloom-prod)."
  type        = string
  default     = "adloom"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name: 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "region" {
  description = "AWS region for everything but CloudFront (global)."
  type        = string
  default     = "us-east-1"
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

# Network: the VPC of the Kubernetes cluster.

variable "vpc_id" {
  description = "VPC the cluster runs in."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (two or more availability zones) for Postgres and Redis."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "private_subnet_ids: at least two subnets in different availability zones."
  }
}

variable "client_security_group_ids" {
  description = "Security groups of the nodes that run Adloom; they may reach Postgres and Redis."
  type        = list(string)
  default     = []
}

variable "client_cidr_blocks" {
  description = "CIDR blocks that may reach Postgres and Redis (when security groups are not enough)."
  type        = list(string)
  default     = []
}

# S3 and CloudFront.

variable "bucket_name" {
  description = "S3 bucket for clips, renders and brand assets (S3_BUCKET). Globally unique."
  type        = string
}

variable "bucket_versioning" {
  description = "Keep earlier versions of overwritten or deleted objects (expired after noncurrent_version_days)."
  type        = bool
  default     = true
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept."
  type        = number
  default     = 30
}

variable "renders_infrequent_access_days" {
  description = "Days after which renders move to S3 Standard-IA (campaigns are served hard while live, rarely after)."
  type        = number
  default     = 90
}

variable "clips_infrequent_access_days" {
  description = "Days after which base clips move to S3 Standard-IA (read again only to re-compose)."
  type        = number
  default     = 30
}

variable "render_domain" {
  description = "Custom domain for renders (e.g. renders.example.com); empty for the CloudFront domain."
  type        = string
  default     = ""
}

variable "render_domain_certificate_arn" {
  description = "ACM certificate (in us-east-1) for render_domain; required when render_domain is set."
  type        = string
  default     = ""
}

variable "cloudfront_price_class" {
  description = "CloudFront price class: PriceClass_100, PriceClass_200 or PriceClass_All."
  type        = string
  default     = "PriceClass_100"
}

# Redis (ElastiCache): the queues.

variable "redis_node_type" {
  description = "ElastiCache node type. Queue traffic is small; memory holds waiting jobs and their recent history."
  type        = string
  default     = "cache.t4g.medium"
}

variable "redis_replicas" {
  description = "Read replicas (0 for none); one or more enables automatic failover across zones."
  type        = number
  default     = 1
}

variable "redis_engine_version" {
  description = "Redis engine version (BullMQ needs 6.2 or later)."
  type        = string
  default     = "7.1"
}

# Postgres (RDS): the source of truth.

variable "db_instance_class" {
  description = "RDS instance class. max_connections grows with its memory: size it for every process's DATABASE_POOL_SIZE."
  type        = string
  default     = "db.r6g.large"
}

variable "db_engine_version" {
  description = "PostgreSQL major version (14 or later)."
  type        = string
  default     = "16"
}

variable "db_allocated_storage" {
  description = "Initial storage in GiB (gp3)."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 500
}

variable "db_multi_az" {
  description = "A standby in another zone with automatic failover."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery)."
  type        = number
  default     = 14
}

variable "db_deletion_protection" {
  description = "Refuse to delete the database (turn off deliberately before a destroy)."
  type        = bool
  default     = true
}

variable "db_ca_bundle_path" {
  description = "Path of the RDS CA bundle inside the Adloom image (infra/docker/Dockerfile puts it there); DATABASE_URL verifies the server with it."
  type        = string
  default     = "/etc/ssl/certs/rds-global-bundle.pem"
}

# Access from Kubernetes (EKS): an IAM role for the pods' service account.

variable "eks_oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider; when set, a role for the adloom service account is made (IRSA)."
  type        = string
  default     = ""
}

variable "kubernetes_namespace" {
  description = "Namespace of the adloom service account (infra/k8s)."
  type        = string
  default     = "adloom"
}

variable "kubernetes_service_account" {
  description = "Name of the service account Adloom's pods run as (infra/k8s)."
  type        = string
  default     = "adloom"
}
