# terraform apply -var-file=example.tfvars (copy it and fill in your network first)
name                      = "adloom-prod"
region                    = "us-east-1"
vpc_id                    = "vpc-0123456789abcdef0"
private_subnet_ids        = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
client_security_group_ids = ["sg-0123456789abcdef0"]
bucket_name               = "adloom-prod-media-example"
eks_oidc_provider_arn     = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"
