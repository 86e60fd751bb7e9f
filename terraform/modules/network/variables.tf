variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
}

variable "region" {
  description = "AWS region, for VPC endpoint service names."
  type        = string
}

variable "create_vpc" {
  description = "Create the VPC and subnets; false brings your own through vpc_id and the subnet/route table ids."
  type        = bool
  default     = true
}

variable "vpc_cidr" {
  description = "CIDR of the created VPC; each subnet gets a /20 of it."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 16
    error_message = "vpc_cidr must be an IPv4 CIDR of /16 or larger."
  }
}

variable "availability_zones" {
  description = "Availability zones of the created subnets (at least two); empty chooses availability_zone_count of them from the zones that offer every interface endpoint service."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) >= 2
    error_message = "Give at least two availability zones (or none to have them chosen)."
  }
}

variable "availability_zone_count" {
  description = "How many AZs to choose when availability_zones is empty (each adds two subnets and one ENI per interface endpoint)."
  type        = number
  default     = 2

  validation {
    condition     = var.availability_zone_count >= 2
    error_message = "availability_zone_count must be at least 2."
  }
}

variable "excluded_zone_ids" {
  description = "AZ IDs (e.g. use1-az3) never to choose, for zones the account cannot use."
  type        = set(string)
  default     = []
}

variable "vpc_id" {
  description = "Existing VPC id when create_vpc = false."
  type        = string
  default     = null
}

variable "private_subnet_ids" {
  description = "Existing private subnets for workers, endpoints and the database (create_vpc = false)."
  type        = list(string)
  default     = []
}

variable "sandbox_subnet_ids" {
  description = "Existing subnets for sandbox functions, with no route out (create_vpc = false)."
  type        = list(string)
  default     = []
}

variable "private_route_table_ids" {
  description = "Route tables of the existing private subnets, for the S3 gateway endpoint (create_vpc = false)."
  type        = list(string)
  default     = []
}

variable "sandbox_route_table_ids" {
  description = "Route tables of the existing sandbox subnets (create_vpc = false), for the sandbox S3 gateway endpoint; none may be a private route table."
  type        = list(string)
  default     = []
}

variable "create_vpc_endpoints" {
  description = "Create the S3 gateway and the interface endpoints so that no NAT gateway is needed."
  type        = bool
  default     = true
}

variable "interface_endpoint_services" {
  description = "AWS services reached through interface endpoints by the VPC-attached functions."
  type        = list(string)
  default     = ["sqs", "secretsmanager", "lambda"]
}

variable "existing_vpc_endpoints" {
  description = "Services the VPC already has an endpoint for (\"s3\": a gateway on the private route tables; others: an interface endpoint with private DNS), which this module must not create again: AWS refuses a second S3 gateway on a route table and a second private-DNS endpoint for a service."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.existing_vpc_endpoints : contains(["s3", "sqs", "secretsmanager", "lambda"], s)])
    error_message = "existing_vpc_endpoints may name s3, sqs, secretsmanager and lambda."
  }
}

variable "s3_endpoint_bucket_arns" {
  description = "Buckets reachable through the S3 gateway endpoint; empty leaves the endpoint policy open."
  type        = list(string)
  default     = []
}

variable "sandbox_s3_get_object_arns" {
  description = "S3 object ARNs (patterns) the sandboxes may GET through their own S3 gateway endpoint, e.g. arn:aws:s3:::bucket/testdata/*; empty: no sandbox endpoint and no sandbox egress at all."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.sandbox_s3_get_object_arns : can(regex("^arn:[a-z-]+:s3:::[^/*]+/.+$", a))])
    error_message = "sandbox_s3_get_object_arns must be object ARNs inside one bucket (arn:aws:s3:::bucket/prefix/*), never a bucket or a wildcard bucket."
  }
}

variable "sandbox_s3_signer_arns" {
  description = "IAM principals (role ARNs, ArnLike patterns allowed) whose presigned URLs the sandbox S3 endpoint honours; empty: any principal with access to the objects."
  type        = list(string)
  default     = []
}

variable "worker_egress" {
  description = "Connections the workers may open besides the VPC endpoints, by name: one port and either a security group or a CIDR each."
  type = map(object({
    port              = number
    security_group_id = optional(string)
    cidr_block        = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for r in values(var.worker_egress) : (r.security_group_id == null) != (r.cidr_block == null)])
    error_message = "Each worker_egress entry needs exactly one of security_group_id or cidr_block."
  }
}

variable "enable_flow_logs" {
  description = "Record rejected and accepted traffic of the VPC in CloudWatch Logs."
  type        = bool
  default     = true
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags for every network resource."
  type        = map(string)
  default     = {}
}

variable "dns_firewall" {
  description = "Route 53 Resolver DNS Firewall on the VPC: names outside dns_allowed_domains get NXDOMAIN (closes DNS as a channel out of the sandboxes)."
  type        = bool
  default     = true
}

variable "dns_allowed_domains" {
  description = "Domains the VPC may resolve with the DNS firewall on (Route 53 wildcard syntax, trailing dot optional)."
  type        = list(string)
  default     = ["amazonaws.com", "*.amazonaws.com", "*.internal"]

  validation {
    condition     = length(var.dns_allowed_domains) > 0 && alltrue([for d in var.dns_allowed_domains : can(regex("^(\\*\\.)?[A-Za-z0-9.-]+\\.?$", d))])
    error_message = "dns_allowed_domains must be domain names, each optionally starting with \"*.\"."
  }
}

variable "dns_firewall_priority" {
  description = "Priority of the firewall rule group's association with the VPC (101-9900; other rule groups on the VPC must not share it)."
  type        = number
  default     = 1000

  validation {
    condition     = var.dns_firewall_priority >= 101 && var.dns_firewall_priority <= 9900
    error_message = "dns_firewall_priority must be between 101 and 9900."
  }
}
