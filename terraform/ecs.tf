# Container Insights publishes RunningTaskCount (namespace
# ECS/ContainerInsights), which alarms.tf watches.
resource "aws_ecs_cluster" "this" {
  name = var.name
  tags = local.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

# The same task as deploy/ecs/task-definition.json: 0.25 vCPU and 512 MiB
# run 2,000 groups (82 MiB peak RSS measured), a read-only root, the
# nonroot user, the config from SSM in $HEADROOM_CONFIG.
resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE", "EC2"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  task_role_arn            = aws_iam_role.task.arn
  execution_role_arn       = aws_iam_role.execution.arn
  tags                     = local.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([
    {
      name                   = "headroom"
      image                  = var.image
      essential              = true
      command                = ["serve", "--config-env", "HEADROOM_CONFIG"]
      user                   = "65532"
      readonlyRootFilesystem = true
      # serve stops within 10 s of SIGTERM: it finishes the cycle and
      # releases the lease so that a follower takes over at once.
      stopTimeout = 15
      portMappings = [
        {
          name          = "admin"
          containerPort = local.admin_port
          protocol      = "tcp"
        },
      ]
      environment = [
        {
          name  = "AWS_REGION"
          value = local.region
        },
      ]
      secrets = [
        {
          name      = "HEADROOM_CONFIG"
          valueFrom = aws_ssm_parameter.config.arn
        },
      ]
      # A new parameter version changes the task definition, so that a
      # config change rolls the service.
      dockerLabels = {
        "headroom.config-version" = tostring(aws_ssm_parameter.config.version)
      }
      healthCheck = {
        command     = ["CMD", "/headroom", "healthcheck"]
        interval    = 10
        timeout     = 5
        retries     = 3
        startPeriod = 30
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          "awslogs-group"         = aws_cloudwatch_log_group.this.name
          "awslogs-region"        = local.region
          "awslogs-stream-prefix" = "headroom"
        }
      }
    },
  ])

  lifecycle {
    precondition {
      condition     = contains(try(local.fargate_memory[tostring(var.cpu)], []), var.memory)
      error_message = "memory must be one Fargate allows with cpu ${var.cpu}: ${join(", ", [for m in try(local.fargate_memory[tostring(var.cpu)], []) : tostring(m)])} MiB (\"Troubleshoot Amazon ECS task definition invalid CPU or memory errors\", Amazon ECS Developer Guide)."
    }
  }
}

# A rolling update starts the new task before it stops an old one
# (minimum 100%, maximum 200%), so a follower is always there to take the
# lease when the leader drains. The circuit breaker rolls back a
# deployment whose tasks do not turn healthy.
resource "aws_ecs_service" "this" {
  name                               = var.name
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.this.arn
  desired_count                      = var.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"
  tags                               = local.tags

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnets
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = var.assign_public_ip
  }
}
