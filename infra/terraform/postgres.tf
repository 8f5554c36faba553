# The source of truth. Connections are verified TLS (rds.force_ssl); the password never leaves
# Terraform's state and the DATABASE_URL output.

resource "random_password" "postgres" {
  length  = 40
  special = false
}

resource "aws_db_subnet_group" "data" {
  name       = "${var.name}-data"
  subnet_ids = var.private_subnet_ids
}

resource "aws_db_parameter_group" "data" {
  name   = "${var.name}-postgres${var.db_engine_version}"
  family = "postgres${var.db_engine_version}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Rollup upserts and planner batches are many small transactions: log the slow ones.
  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }
}

resource "aws_db_instance" "data" {
  identifier                      = var.name
  engine                          = "postgres"
  engine_version                  = var.db_engine_version
  auto_minor_version_upgrade      = true
  instance_class                  = var.db_instance_class
  allocated_storage               = var.db_allocated_storage
  max_allocated_storage           = var.db_max_allocated_storage
  storage_type                    = "gp3"
  storage_encrypted               = true
  db_name                         = "adloom"
  username                        = "adloom"
  password                        = random_password.postgres.result
  port                            = 5432
  multi_az                        = var.db_multi_az
  db_subnet_group_name            = aws_db_subnet_group.data.name
  parameter_group_name            = aws_db_parameter_group.data.name
  vpc_security_group_ids          = [aws_security_group.data.id]
  publicly_accessible             = false
  backup_retention_period         = var.db_backup_retention_days
  copy_tags_to_snapshot           = true
  deletion_protection             = var.db_deletion_protection
  skip_final_snapshot             = false
  final_snapshot_identifier       = "${var.name}-final"
  performance_insights_enabled    = true
  enabled_cloudwatch_logs_exports = ["postgresql"]
}
