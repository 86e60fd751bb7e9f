# A toolchain layer (GCC or JDK) published from a locally built zip. Large zips go through S3
# because the Lambda API takes at most 50 MB in the request itself.

locals {
  source_code_hash = try(filebase64sha256(var.filename), null) # absent before the layer is built; plan still works
  # The object's key names the zip by its hex digest: a base64 one holds "/" and "+", which LocalStack's
  # layer publishing reads back as a space (NoSuchKey), and which make a poor key anywhere.
  object_key = "layers/${var.layer_name}/${try(filesha256(var.filename), "unbuilt")}.zip"
}

resource "aws_s3_object" "this" {
  count = var.s3_bucket == null ? 0 : 1

  bucket      = var.s3_bucket
  key         = local.object_key
  source      = var.filename
  source_hash = local.source_code_hash
}

resource "aws_lambda_layer_version" "this" {
  layer_name               = var.layer_name
  description              = var.description
  filename                 = var.s3_bucket == null ? var.filename : null
  s3_bucket                = var.s3_bucket == null ? null : aws_s3_object.this[0].bucket
  s3_key                   = var.s3_bucket == null ? null : aws_s3_object.this[0].key
  source_code_hash         = local.source_code_hash
  compatible_runtimes      = var.compatible_runtimes
  compatible_architectures = var.compatible_architectures
}
