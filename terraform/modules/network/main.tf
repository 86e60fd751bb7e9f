# The network that lets functions reach only what they need: workers reach the database, the backend
# and AWS APIs through VPC endpoints; sandboxes reach nothing but, optionally, presigned S3 GETs of
# large test inputs through an endpoint of their own. No NAT gateway, no internet route.

locals {
  vpc_id             = var.create_vpc ? aws_vpc.this[0].id : var.vpc_id
  private_subnet_ids = var.create_vpc ? aws_subnet.private[*].id : var.private_subnet_ids
  sandbox_subnet_ids = var.create_vpc ? aws_subnet.sandbox[*].id : var.sandbox_subnet_ids
  private_rt_ids     = var.create_vpc ? [aws_route_table.private[0].id] : var.private_route_table_ids
  sandbox_rt_ids     = var.create_vpc ? [aws_route_table.sandbox[0].id] : var.sandbox_route_table_ids
  availability_zones = length(var.availability_zones) > 0 ? var.availability_zones : local.chosen_zones
  az_count           = length(local.availability_zones)

  # The sandboxes' own S3 gateway endpoint (and their only egress rule) exist together or not at all.
  sandbox_s3 = var.create_vpc_endpoints && length(var.sandbox_s3_get_object_arns) > 0
}

# AZ letters are the account's own names, and Lambda and the interface endpoints are not offered in
# every zone: choose among the zones that are available without opting in (no Local or Wavelength
# Zones) and that every interface endpoint service, Lambda's included, is offered in.
data "aws_availability_zones" "usable" {
  count = var.create_vpc && length(var.availability_zones) == 0 ? 1 : 0

  state            = "available"
  exclude_zone_ids = var.excluded_zone_ids
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_vpc_endpoint_service" "offered" {
  for_each = var.create_vpc && length(var.availability_zones) == 0 ? toset(var.interface_endpoint_services) : toset([])

  service      = each.value
  service_type = "Interface"
}

locals {
  offered_zones = sort(tolist(setintersection(
    toset(try(data.aws_availability_zones.usable[0].names, [])),
    [for service in data.aws_vpc_endpoint_service.offered : toset(service.availability_zones)]...
  )))
  chosen_zones = slice(local.offered_zones, 0, min(var.availability_zone_count, length(local.offered_zones)))
}

resource "aws_vpc" "this" {
  count = var.create_vpc ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # interface endpoints with private DNS need both
  tags                 = merge(var.tags, { Name = "${var.name_prefix}-vpc" })

  lifecycle {
    precondition {
      condition     = local.az_count >= 2
      error_message = "create_vpc needs at least two availability zones: give availability_zones, or check that two zones of this region offer Lambda and the interface endpoint services (excluded_zone_ids: ${jsonencode(var.excluded_zone_ids)})."
    }
  }
}

# Nothing may use the default security group.
resource "aws_default_security_group" "this" {
  count  = var.create_vpc ? 1 : 0
  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name_prefix}-default-unused" })
}

resource "aws_subnet" "private" {
  count = var.create_vpc ? local.az_count : 0

  vpc_id            = aws_vpc.this[0].id
  availability_zone = local.availability_zones[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index)
  tags              = merge(var.tags, { Name = "${var.name_prefix}-private-${local.availability_zones[count.index]}" })
}

resource "aws_subnet" "sandbox" {
  count = var.create_vpc ? local.az_count : 0

  vpc_id            = aws_vpc.this[0].id
  availability_zone = local.availability_zones[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, 8 + count.index)
  tags              = merge(var.tags, { Name = "${var.name_prefix}-sandbox-${local.availability_zones[count.index]}" })
}

resource "aws_route_table" "private" {
  count  = var.create_vpc ? 1 : 0
  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name_prefix}-private" })
}

resource "aws_route_table_association" "private" {
  count          = var.create_vpc ? local.az_count : 0
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[0].id
}

# Its own table with only the implicit local route (plus, with sandbox_s3_get_object_arns, the route of
# the sandboxes' own S3 gateway endpoint), so a route added to the main table never reaches the sandboxes.
resource "aws_route_table" "sandbox" {
  count  = var.create_vpc ? 1 : 0
  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name_prefix}-sandbox-no-route-out" })
}

resource "aws_route_table_association" "sandbox" {
  count          = var.create_vpc ? local.az_count : 0
  subnet_id      = aws_subnet.sandbox[count.index].id
  route_table_id = aws_route_table.sandbox[0].id
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; flow logs hold addresses, not data
  #checkov:skip=CKV_AWS_338:flow logs are for investigating recent traffic; retention is flow_log_retention_days
  count             = var.create_vpc && var.enable_flow_logs ? 1 : 0
  name              = "/vpc/${var.name_prefix}/flow-logs"
  retention_in_days = var.flow_log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "flow_logs" {
  count = var.create_vpc && var.enable_flow_logs ? 1 : 0
  name  = "${var.name_prefix}-vpc-flow-logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "flow_logs" {
  count = var.create_vpc && var.enable_flow_logs ? 1 : 0
  name  = "write-flow-logs"
  role  = aws_iam_role.flow_logs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = ["${aws_cloudwatch_log_group.flow_logs[0].arn}:*"]
    }]
  })
}

resource "aws_flow_log" "this" {
  count                = var.create_vpc && var.enable_flow_logs ? 1 : 0
  vpc_id               = aws_vpc.this[0].id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn         = aws_iam_role.flow_logs[0].arn
  tags                 = var.tags
}

# ---- security groups -------------------------------------------------------------------------

resource "aws_security_group" "sandbox" {
  #checkov:skip=CKV2_AWS_5:attached to the sandbox Lambda functions by the root module (vpc_config); checkov does not follow module outputs
  name        = "${var.name_prefix}-sandbox"
  description = "Sandbox functions run submitted code: no ingress; egress at most HTTPS to S3 through the sandbox endpoint"
  vpc_id      = local.vpc_id
  # Written inline, and empty when nothing is allowed (not omitted), so that Terraform owns every rule
  # and removes any rule added by hand. The one possible rule: HTTPS to S3, which the sandbox subnets
  # route only through their own gateway endpoint, whose policy admits GetObject of the staged inputs.
  ingress = []
  egress = [for pl in aws_vpc_endpoint.sandbox_s3[*].prefix_list_id : {
    description      = "HTTPS to S3 through the sandbox gateway endpoint (presigned GETs of large test inputs)"
    protocol         = "tcp"
    from_port        = 443
    to_port          = 443
    prefix_list_ids  = [pl]
    cidr_blocks      = []
    ipv6_cidr_blocks = []
    security_groups  = []
    self             = false
  }]
  tags = merge(var.tags, { Name = "${var.name_prefix}-sandbox" })
}

resource "aws_security_group" "worker" {
  #checkov:skip=CKV2_AWS_5:attached to the worker Lambda functions by the root module (vpc_config); checkov does not follow module outputs
  name        = "${var.name_prefix}-worker"
  description = "Judge workers: egress to the database, the backend and the VPC endpoints only"
  vpc_id      = local.vpc_id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-worker" })
}

resource "aws_security_group" "endpoints" {
  count       = var.create_vpc_endpoints ? 1 : 0
  name        = "${var.name_prefix}-vpc-endpoints"
  description = "Interface endpoints: HTTPS from the judge functions"
  vpc_id      = local.vpc_id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-vpc-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints" {
  for_each = var.create_vpc_endpoints ? {
    worker = aws_security_group.worker.id
  } : {}

  security_group_id            = aws_security_group.endpoints[0].id
  description                  = "HTTPS from the ${each.key} functions"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_egress_rule" "to_endpoints" {
  for_each = var.create_vpc_endpoints ? {
    worker = aws_security_group.worker.id
  } : {}

  security_group_id            = each.value
  description                  = "HTTPS to the interface VPC endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints[0].id
}

resource "aws_vpc_security_group_egress_rule" "worker_to_s3" {
  count = var.create_vpc_endpoints ? 1 : 0

  security_group_id = aws_security_group.worker.id
  description       = "HTTPS to S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = local.s3_prefix_list_id
}

resource "aws_vpc_security_group_egress_rule" "worker" {
  for_each = var.worker_egress

  security_group_id            = aws_security_group.worker.id
  description                  = "Worker to ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.security_group_id
  cidr_ipv4                    = each.value.cidr_block
}

# ---- VPC endpoints ---------------------------------------------------------------------------

# An interface endpoint takes one subnet per AZ: of the private subnets, the first in each AZ.
data "aws_subnet" "private" {
  for_each = var.create_vpc || !var.create_vpc_endpoints ? toset([]) : toset(var.private_subnet_ids)
  id       = each.value
}

locals {
  endpoint_subnet_ids = var.create_vpc ? local.private_subnet_ids : [
    for az in distinct([for id in var.private_subnet_ids : data.aws_subnet.private[id].availability_zone]) :
    [for id in var.private_subnet_ids : id if data.aws_subnet.private[id].availability_zone == az][0]
  ]
  interface_endpoints = var.create_vpc_endpoints ? setsubtract(toset(var.interface_endpoint_services), var.existing_vpc_endpoints) : toset([])
  s3_prefix_list_id   = try(aws_vpc_endpoint.s3[0].prefix_list_id, data.aws_prefix_list.s3[0].id, null)
}

# An S3 gateway the VPC has already: the workers reach S3 through it, by the region's S3 prefix list.
data "aws_prefix_list" "s3" {
  count = var.create_vpc_endpoints && contains(var.existing_vpc_endpoints, "s3") ? 1 : 0
  name  = "com.amazonaws.${var.region}.s3"
}

resource "aws_vpc_endpoint" "s3" {
  count = var.create_vpc_endpoints && !contains(var.existing_vpc_endpoints, "s3") ? 1 : 0

  vpc_id            = local.vpc_id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = local.private_rt_ids
  # Through this endpoint, only the judge's own buckets: a worker cannot copy data to a bucket elsewhere.
  policy = length(var.s3_endpoint_bucket_arns) == 0 ? null : jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
      Resource  = concat(var.s3_endpoint_bucket_arns, [for b in var.s3_endpoint_bucket_arns : "${b}/*"])
    }]
  })
  tags = merge(var.tags, { Name = "${var.name_prefix}-s3" })
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_endpoints

  vpc_id              = local.vpc_id
  service_name        = "com.amazonaws.${var.region}.${each.value}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = local.endpoint_subnet_ids
  security_group_ids  = [aws_security_group.endpoints[0].id]
  tags                = merge(var.tags, { Name = "${var.name_prefix}-${each.value}" })
}

# The sandboxes' own S3 gateway endpoint, on the sandbox route tables only (a route table holds at most
# one endpoint per service, and the workers' endpoint admits more). Its policy is the whole of what a
# sandbox can do on the network: GET the given objects, signed by the given principals (the workers'
# presigned URLs). Code in a sandbox has no credentials that S3 would accept for these objects, so it
# reads only what a worker signed a URL for, and it can write nowhere and list nothing.
resource "aws_vpc_endpoint" "sandbox_s3" {
  count = local.sandbox_s3 ? 1 : 0

  vpc_id            = local.vpc_id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = local.sandbox_rt_ids
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [merge(
      {
        Sid       = "PresignedGetOfStagedInputs"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["s3:GetObject"]
        Resource  = var.sandbox_s3_get_object_arns
      },
      length(var.sandbox_s3_signer_arns) == 0 ? {} : {
        Condition = { ArnLike = { "aws:PrincipalArn" = var.sandbox_s3_signer_arns } }
      },
    )]
  })
  tags = merge(var.tags, { Name = "${var.name_prefix}-sandbox-s3" })

  lifecycle {
    precondition {
      condition     = length(local.sandbox_rt_ids) > 0
      error_message = "The sandbox S3 endpoint needs the sandbox subnets' route tables: give sandbox_route_table_ids (create_vpc = false), or turn sandbox S3 access off."
    }
    precondition {
      condition     = length(setintersection(toset(local.sandbox_rt_ids), toset(local.private_rt_ids))) == 0
      error_message = "sandbox_route_table_ids must not share a route table with private_route_table_ids: the sandbox subnets need their own table, routed only through the sandbox S3 endpoint."
    }
  }
}

# DNS is the one channel security groups do not filter: the VPC resolver answers every subnet, so a
# submission could leak data in the names it looks up. Route 53 Resolver DNS Firewall answers
# NXDOMAIN for every name outside the allow list (AWS's own, the VPC's, and what the caller adds).
# It filters the whole VPC, so the list must hold what the workers resolve too (the root module
# adds the webhook's and an existing database's host).
resource "aws_route53_resolver_firewall_domain_list" "allowed" {
  count   = var.dns_firewall ? 1 : 0
  name    = "${var.name_prefix}-dns-allowed"
  domains = var.dns_allowed_domains
  tags    = var.tags
}

resource "aws_route53_resolver_firewall_domain_list" "everything" {
  count   = var.dns_firewall ? 1 : 0
  name    = "${var.name_prefix}-dns-everything"
  domains = ["*"]
  tags    = var.tags
}

resource "aws_route53_resolver_firewall_rule_group" "this" {
  count = var.dns_firewall ? 1 : 0
  name  = "${var.name_prefix}-dns-firewall"
  tags  = var.tags
}

resource "aws_route53_resolver_firewall_rule" "allow" {
  count                   = var.dns_firewall ? 1 : 0
  name                    = "allow-listed"
  action                  = "ALLOW"
  firewall_domain_list_id = aws_route53_resolver_firewall_domain_list.allowed[0].id
  firewall_rule_group_id  = aws_route53_resolver_firewall_rule_group.this[0].id
  priority                = 100
}

resource "aws_route53_resolver_firewall_rule" "block" {
  count                   = var.dns_firewall ? 1 : 0
  name                    = "block-the-rest"
  action                  = "BLOCK"
  block_response          = "NXDOMAIN"
  firewall_domain_list_id = aws_route53_resolver_firewall_domain_list.everything[0].id
  firewall_rule_group_id  = aws_route53_resolver_firewall_rule_group.this[0].id
  priority                = 200
}

resource "aws_route53_resolver_firewall_rule_group_association" "this" {
  count                  = var.dns_firewall ? 1 : 0
  name                   = "${var.name_prefix}-dns-firewall"
  firewall_rule_group_id = aws_route53_resolver_firewall_rule_group.this[0].id
  vpc_id                 = local.vpc_id
  priority               = var.dns_firewall_priority
  tags                   = var.tags
}

# Fail closed: if the firewall cannot be reached, the resolver answers nothing rather than everything.
resource "aws_route53_resolver_firewall_config" "this" {
  count              = var.dns_firewall ? 1 : 0
  resource_id        = local.vpc_id
  firewall_fail_open = "DISABLED"
}
