output "vpc_id" {
  description = "VPC of the judge."
  value       = local.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets: workers, interface endpoints and the database."
  value       = local.private_subnet_ids
}

output "sandbox_subnet_ids" {
  description = "Subnets of the sandbox functions, with no route out."
  value       = local.sandbox_subnet_ids
}

output "worker_security_group_id" {
  description = "Security group of the workers (give it to the database and the backend ingress)."
  value       = aws_security_group.worker.id
}

output "sandbox_security_group_id" {
  description = "Security group of the sandbox functions."
  value       = aws_security_group.sandbox.id
}

output "sandbox_security_group_rules" {
  description = "Ingress and egress rules of the sandbox security group: no ingress; egress empty, or only HTTPS to the sandbox S3 endpoint's prefix list."
  value = {
    ingress = aws_security_group.sandbox.ingress
    egress  = aws_security_group.sandbox.egress
  }
}

output "worker_egress_rules" {
  description = "Every egress rule of the worker security group: port and destination."
  value = concat(
    [for r in aws_vpc_security_group_egress_rule.worker : {
      port        = r.from_port
      destination = coalesce(r.referenced_security_group_id, r.cidr_ipv4)
    }],
    [for k, r in aws_vpc_security_group_egress_rule.to_endpoints : {
      port        = r.from_port
      destination = r.referenced_security_group_id
    } if k == "worker"],
    [for r in aws_vpc_security_group_egress_rule.worker_to_s3 : {
      port        = r.from_port
      destination = r.prefix_list_id
    }],
  )
}

output "endpoint_security_group_id" {
  description = "Security group of the interface endpoints (null without endpoints)."
  value       = try(aws_security_group.endpoints[0].id, null)
}

output "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint (null without endpoints)."
  value       = local.s3_prefix_list_id
}

output "vpc_endpoint_services" {
  description = "AWS services with an endpoint this module created in the VPC."
  value       = concat([for e in aws_vpc_endpoint.s3 : "s3"], keys(aws_vpc_endpoint.interface))
}

output "interface_endpoint_subnet_ids" {
  description = "The subnets the interface endpoints are in: one private subnet per AZ."
  value       = local.endpoint_subnet_ids
}

output "private_route_table_ids" {
  description = "Route tables of the private subnets (the workers' S3 gateway endpoint is on these)."
  value       = local.private_rt_ids
}

output "sandbox_route_table_ids" {
  description = "Route tables of the sandbox subnets (the sandbox S3 gateway endpoint is on these)."
  value       = local.sandbox_rt_ids
}

output "s3_endpoint" {
  description = "The workers' S3 gateway endpoint: id, prefix list, route tables and policy (null without endpoints)."
  value = try({
    id              = aws_vpc_endpoint.s3[0].id
    prefix_list_id  = aws_vpc_endpoint.s3[0].prefix_list_id
    route_table_ids = aws_vpc_endpoint.s3[0].route_table_ids
    policy          = aws_vpc_endpoint.s3[0].policy
  }, null)
}

output "sandbox_s3_endpoint" {
  description = "The sandboxes' S3 gateway endpoint: id, prefix list, route tables and policy (null when off)."
  value = try({
    id              = aws_vpc_endpoint.sandbox_s3[0].id
    prefix_list_id  = aws_vpc_endpoint.sandbox_s3[0].prefix_list_id
    route_table_ids = aws_vpc_endpoint.sandbox_s3[0].route_table_ids
    policy          = aws_vpc_endpoint.sandbox_s3[0].policy
  }, null)
}

output "dns_firewall_rule_group_id" {
  description = "The DNS firewall's rule group (null when dns_firewall = false)."
  value       = try(aws_route53_resolver_firewall_rule_group.this[0].id, null)
}

output "availability_zones" {
  description = "AZs of the created subnets, given or chosen (empty for a bring-your-own VPC)."
  value       = var.create_vpc ? local.availability_zones : []
}
