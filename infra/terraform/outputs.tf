# Adloom's settings that this stack decides, keyed by the names libs/config reads: `settings` go in
# infra/k8s/configmap.yaml, `secret_settings` in infra/k8s/secret.yaml (a test checks both maps
# against libs/config and against those two files).

locals {
  settings = {
    S3_BUCKET              = aws_s3_bucket.media.bucket
    S3_REGION              = var.region
    PUBLIC_RENDER_BASE_URL = "https://${local.render_domain}"
  }

  secret_settings = {
    DATABASE_URL = format(
      "postgres://%s:%s@%s:%d/%s?sslmode=verify-full&sslrootcert=%s",
      aws_db_instance.data.username,
      urlencode(random_password.postgres.result),
      aws_db_instance.data.address,
      aws_db_instance.data.port,
      aws_db_instance.data.db_name,
      var.db_ca_bundle_path,
    )
    REDIS_URL = format(
      "rediss://:%s@%s:%d",
      urlencode(random_password.redis.result),
      aws_elasticache_replication_group.queues.primary_endpoint_address,
      aws_elasticache_replication_group.queues.port,
    )
  }
}

output "settings" {
  description = "Non-secret Adloom settings (infra/k8s/configmap.yaml)."
  value       = local.settings
}

output "secret_settings" {
  description = "Secret Adloom settings (infra/k8s/secret.yaml, Secret adloom-secrets)."
  value       = local.secret_settings
  sensitive   = true
}

output "keda_redis" {
  description = "Where KEDA reads queue depths (infra/k8s/secret.yaml, Secret adloom-keda-redis)."
  value = {
    address  = "${aws_elasticache_replication_group.queues.primary_endpoint_address}:${aws_elasticache_replication_group.queues.port}"
    password = random_password.redis.result
  }
  sensitive = true
}

output "service_account_role_arn" {
  description = "IAM role for the adloom service account (infra/k8s/serviceaccount.yaml annotation); null without eks_oidc_provider_arn."
  value       = one(aws_iam_role.service_account[*].arn)
}

output "media_access_policy_arn" {
  description = "IAM policy for S3 access, to attach elsewhere when IRSA is not used."
  value       = aws_iam_policy.media_access.arn
}

output "cloudfront_distribution_id" {
  description = "For invalidations (rarely needed: render keys are immutable once ready)."
  value       = aws_cloudfront_distribution.renders.id
}
