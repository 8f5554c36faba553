# The queues (BullMQ). Cluster mode stays off: BullMQ's scripts touch several keys of a queue at once.
# Eviction must be off too: an evicted job key is a lost job.

resource "random_password" "redis" {
  length  = 48
  special = false
}

resource "aws_elasticache_subnet_group" "queues" {
  name       = "${var.name}-queues"
  subnet_ids = var.private_subnet_ids
}

resource "aws_elasticache_parameter_group" "queues" {
  name   = "${var.name}-queues"
  family = "redis${split(".", var.redis_engine_version)[0]}"

  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }
}

resource "aws_elasticache_replication_group" "queues" {
  replication_group_id       = "${var.name}-queues"
  description                = "BullMQ queues for ${var.name}"
  engine                     = "redis"
  engine_version             = var.redis_engine_version
  node_type                  = var.redis_node_type
  port                       = 6379
  num_cache_clusters         = 1 + var.redis_replicas
  automatic_failover_enabled = var.redis_replicas > 0
  multi_az_enabled           = var.redis_replicas > 0
  parameter_group_name       = aws_elasticache_parameter_group.queues.name
  subnet_group_name          = aws_elasticache_subnet_group.queues.name
  security_group_ids         = [aws_security_group.data.id]
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  auth_token                 = random_password.redis.result
  snapshot_retention_limit   = 1
  apply_immediately          = false
}
