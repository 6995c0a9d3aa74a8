headroom_role_arn               = "arn:aws:iam::111122223333:role/headroom-task"
external_id                     = "headroom-4f2b9c"
auto_scaling_groups             = ["web"]
enable_ecs                      = true
ecs_services                    = ["apps/api"]
enable_application_auto_scaling = true
