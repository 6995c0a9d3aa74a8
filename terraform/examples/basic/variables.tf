variable "region" {
  description = "AWS region of the groups and of Headroom."
  type        = string
  default     = "us-east-1"
}

variable "image" {
  description = "Headroom container image, pinned by tag or digest."
  type        = string
}

variable "vpc_id" {
  description = "VPC the tasks run in."
  type        = string
}

variable "subnets" {
  description = "Private subnets, in two or more Availability Zones."
  type        = list(string)
}
