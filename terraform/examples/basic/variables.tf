variable "region" {
  description = "AWS region to deploy into (it must offer the chosen GPU instance type)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like us-east-1."
  }
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "adaptserve"
}

variable "vpc_id" {
  description = "Existing VPC (vpc-...)."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets, in two or more availability zones, for the internet-facing load balancer."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Private subnets with outbound internet (NAT), in two or more availability zones, for the GPU instances and the cache."
  type        = list(string)
}

variable "artifact_bucket" {
  description = "Existing bucket holding the application tarball."
  type        = string
}

variable "artifact_key" {
  description = "Key of the application tarball (tar -C function/target -czf quarkus-app.tar.gz quarkus-app)."
  type        = string
  default     = "adaptserve/quarkus-app.tar.gz"
}

variable "artifact_sha256" {
  description = "SHA-256 of the tarball (sha256sum quarkus-app.tar.gz); null: not checked."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on the load balancer; null: HTTP only (tests)."
  type        = string
  default     = null
}

variable "client_cidrs" {
  description = "IPv4 ranges allowed to reach the load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "instance_type" {
  description = "GPU instance type."
  type        = string
  default     = "g5.xlarge"
}

variable "min_size" {
  description = "Fewest in-service instances."
  type        = number
  default     = 1
}

variable "desired_capacity" {
  description = "In-service instances at creation."
  type        = number
  default     = 2
}

variable "max_size" {
  description = "Most in-service instances."
  type        = number
  default     = 4
}

variable "warm_pool_min_size" {
  description = "Stopped, bootstrapped instances kept ready for scale-out."
  type        = number
  default     = 1
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarms (confirm the subscription mail); null: no notifications."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Deletion protection of the load balancer and the adapter bucket's contents; false for a throw-away stack."
  type        = bool
  default     = true
}
