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
// (clock, log, telemetry, leader, planner). Every Auto Scaling write
// draws on one write budget of cfg.AWS's rate and burst, unless deps
// brings its own.
func NewAWS(cfg *config.Config, awsCfg aws.Config, deps Deps, opts Options) (*Controller, error) {
	if deps.Clock == nil {
		deps.Clock = clock.Real()
	}
	actuator := asg.New(autoscaling.NewFromConfig(awsCfg), deps.Clock)
	switch b := deps.Budget.(type) {
	case nil:
		// One bucket for every Auto Scaling write of this account and
		// region: the capacity writes the controller orders and the
		// mirror's scheduled actions and MinSize. A config that was not
		// parsed (no rate) has no budget.
		if rate, burst := cfg.AWS.WritesPerSecond(), cfg.AWS.AutoScalingWriteBurst; rate > 0 && burst > 0 {
			wb := asg.NewBudgets(rate, burst).For(asg.BudgetKey{Region: awsCfg.Region})
			actuator.SetWriteBudget(wb)
			deps.Budget = wb
		}
	case *asg.WriteBudget:
		actuator.SetWriteBudget(b)
	}
	deps.Groups = actuator
	deps.Scaler = actuator
	deps.Mirror = actuator
	deps.Policies = actuator
	deps.WarmPools = actuator
	deps.Metrics = source.NewCloudWatch(cloudwatch.NewFromConfig(awsCfg))
	deps.Queues = source.NewSQS(sqs.NewFromConfig(awsCfg), deps.Clock, cfg.SQSConcurrency)
	return New(cfg, deps, opts)
}
