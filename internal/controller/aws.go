package controller

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/source"
)

// NewAWS builds a controller over real AWS clients made from awsCfg (which
// awsapi has already instrumented): the actuator, the CloudWatch source and
// the SQS source. serve, demo and simulate all wire the controller here, so
// the simulator runs exactly what production runs. deps supplies the rest
// (clock, log, telemetry, leader, planner).
func NewAWS(cfg *config.Config, awsCfg aws.Config, deps Deps, opts Options) (*Controller, error) {
	if deps.Clock == nil {
		deps.Clock = clock.Real()
	}
	actuator := asg.New(autoscaling.NewFromConfig(awsCfg), deps.Clock)
	deps.Groups = actuator
	deps.Scaler = actuator
	deps.Mirror = actuator
	deps.WarmPools = actuator
	deps.Metrics = source.NewCloudWatch(cloudwatch.NewFromConfig(awsCfg))
	deps.Queues = source.NewSQS(sqs.NewFromConfig(awsCfg), deps.Clock, cfg.SQSConcurrency)
	return New(cfg, deps, opts)
}
