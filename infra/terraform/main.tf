# The AWS side of an Adloom deployment: an S3 bucket for media with CloudFront in front of the
# renders, ElastiCache Redis for the queues, RDS Postgres for the data, and an IAM role for the pods.
# The Kubernetes side is infra/k8s; outputs.tf hands over the settings it needs.

locals {
  render_domain = var.render_domain != "" ? var.render_domain : aws_cloudfront_distribution.renders.domain_name
}

resource "aws_security_group" "data" {
  name        = "${var.name}-data"
  description = "Postgres and Redis for ${var.name}, reachable from the Adloom nodes only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "postgres_from_groups" {
  for_each = toset(var.client_security_group_ids)

  security_group_id            = aws_security_group.data.id
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "Postgres from Adloom nodes"
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_groups" {
  for_each = toset(var.client_security_group_ids)

  security_group_id            = aws_security_group.data.id
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  description                  = "Redis from Adloom nodes"
}

resource "aws_vpc_security_group_ingress_rule" "postgres_from_cidrs" {
  for_each = toset(var.client_cidr_blocks)

  security_group_id = aws_security_group.data.id
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
  description       = "Postgres from ${each.value}"
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_cidrs" {
  for_each = toset(var.client_cidr_blocks)

  security_group_id = aws_security_group.data.id
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 6379
  to_port           = 6379
  description       = "Redis from ${each.value}"
}
