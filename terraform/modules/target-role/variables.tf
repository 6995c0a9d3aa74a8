variable "name" {
  description = "Name of the IAM role Headroom assumes in this account."
  type        = string
  default     = "headroom-target"

  validation {
    # IAM role names are 1-64 characters of these ("IAM object quotas"
    # and CreateRole, IAM API Reference).
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits or +=,.@_- characters."
  }
}

variable "headroom_role_arn" {
  description = "ARN of the role Headroom runs as (the Headroom module's task_role_arn output): the only principal that may assume this role."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.headroom_role_arn))
    error_message = "headroom_role_arn must be an IAM role ARN such as arn:aws:iam::111122223333:role/headroom-task."
  }
}

variable "external_id" {
  description = "External ID Headroom must present when it assumes the role (the sts:ExternalId condition), the same one its config gives for this account. It guards against the confused deputy; it is not a secret."
  type        = string

  validation {
    # The ExternalId parameter of AssumeRole: 2-1224 characters of
    # [\w+=,.@:\/-] (AWS STS API Reference).
    condition     = length(var.external_id) >= 2 && length(var.external_id) <= 1224 && can(regex("^[A-Za-z0-9_+=,.@:/-]+$", var.external_id))
    error_message = "external_id must be 2-1224 letters, digits or _+=,.@:/- characters."
  }
}

variable "enable_auto_scaling" {
  description = "Let Headroom manage EC2 Auto Scaling groups in this account: describe groups and resize the managed ones."
  type        = bool
  default     = true
}

variable "auto_scaling_groups" {
  description = "Names of the Auto Scaling groups Headroom may resize. Empty: any group tagged headroom:managed=true, as deploy/iam-policy.json."
  type        = list(string)
  default     = []
}

variable "enable_ecs" {
  description = "Let Headroom manage ECS services in this account: describe them and set their desired count."
  type        = bool
  default     = false
}

variable "ecs_services" {
  description = "ECS services Headroom may update, as CLUSTER/SERVICE names. Empty: every service of the account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.ecs_services : can(regex("^[A-Za-z0-9_-]+/[A-Za-z0-9_-]+$", s))])
    error_message = "Every ecs_services entry must be CLUSTER/SERVICE."
  }
}

variable "enable_application_auto_scaling" {
  description = "Let Headroom manage Application Auto Scaling scalable targets in this account (their bounds and scheduled actions)."
  type        = bool
  default     = false
}

variable "enable_cloudwatch" {
  description = "Let Headroom read CloudWatch metrics of this account (GetMetricData), for the sources of groups in it."
  type        = bool
  default     = true
}

variable "enable_sqs" {
  description = "Let Headroom read the backlog of SQS queues of this account (GetQueueAttributes; GetQueueUrl for queues named by name)."
  type        = bool
  default     = true
}

variable "max_session_duration" {
  description = "Longest session in seconds. Headroom renews its credentials before they expire; one hour is IAM's default."
  type        = number
  default     = 3600

  validation {
    # MaxSessionDuration of CreateRole: 3600-43200 s (IAM API Reference).
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be 3600-43200 seconds."
  }
}

variable "tags" {
  description = "Tags added to the role."
  type        = map(string)
  default     = {}
}
