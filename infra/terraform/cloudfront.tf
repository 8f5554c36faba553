# Renders served through CloudFront (PUBLIC_RENDER_BASE_URL): players fetch
# https://<domain>/renders/<workspace>/<campaign>/<variant>/<format>.mp4. Render keys never change
# content once a variant is ready, so they cache for long; the bucket policy lets CloudFront read
# renders/ and nothing else.

resource "aws_cloudfront_origin_access_control" "renders" {
  name                              = "${var.name}-renders"
  description                       = "CloudFront reads ${var.bucket_name} with SigV4"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_origin_request_policy" "cors_s3_origin" {
  name = "Managed-CORS-S3Origin"
}

data "aws_cloudfront_response_headers_policy" "simple_cors" {
  name = "Managed-SimpleCORS"
}

resource "aws_cloudfront_distribution" "renders" {
  enabled         = true
  is_ipv6_enabled = true
  comment         = "${var.name} renders"
  price_class     = var.cloudfront_price_class
  aliases         = var.render_domain != "" ? [var.render_domain] : []
  http_version    = "http2and3"

  origin {
    origin_id                = "media"
    domain_name              = aws_s3_bucket.media.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.renders.id
  }

  default_cache_behavior {
    target_origin_id           = "media"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.cors_s3_origin.id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.simple_cors.id
    # MP4 and JPEG are compressed already.
    compress = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.render_domain_certificate_arn == ""
    acm_certificate_arn            = var.render_domain_certificate_arn != "" ? var.render_domain_certificate_arn : null
    ssl_support_method             = var.render_domain_certificate_arn != "" ? "sni-only" : null
    minimum_protocol_version       = var.render_domain_certificate_arn != "" ? "TLSv1.2_2021" : "TLSv1"
  }

  lifecycle {
    precondition {
      condition     = var.render_domain == "" || var.render_domain_certificate_arn != ""
      error_message = "render_domain needs render_domain_certificate_arn (an ACM certificate in us-east-1)."
    }
  }
}
