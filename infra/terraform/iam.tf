# What Adloom's pods may do in S3: read and write the media bucket, nothing else. With an EKS OIDC
# provider, the role is assumed by the adloom service account (IRSA) and no access keys exist.

data "aws_iam_policy_document" "media_access" {
  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [aws_s3_bucket.media.arn]
  }

  statement {
    sid = "ReadWriteObjects"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = ["${aws_s3_bucket.media.arn}/*"]
  }
}

resource "aws_iam_policy" "media_access" {
  name        = "${var.name}-media"
  description = "Adloom reads and writes ${var.bucket_name}"
  policy      = data.aws_iam_policy_document.media_access.json
}

data "aws_iam_policy_document" "service_account_trust" {
  count = var.eks_oidc_provider_arn != "" ? 1 : 0

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.eks_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(var.eks_oidc_provider_arn, "/^.*oidc-provider\\//", "")}:sub"
      values   = ["system:serviceaccount:${var.kubernetes_namespace}:${var.kubernetes_service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${replace(var.eks_oidc_provider_arn, "/^.*oidc-provider\\//", "")}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "service_account" {
  count = var.eks_oidc_provider_arn != "" ? 1 : 0

  name               = "${var.name}-pods"
  assume_role_policy = data.aws_iam_policy_document.service_account_trust[0].json
}

resource "aws_iam_role_policy_attachment" "service_account_media" {
  count = var.eks_oidc_provider_arn != "" ? 1 : 0

  role       = aws_iam_role.service_account[0].name
  policy_arn = aws_iam_policy.media_access.arn
}
