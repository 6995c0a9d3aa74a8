package config

import (
	"fmt"
	"time"
)

// AWS configures how Headroom calls AWS: the budget of its EC2 Auto
// Scaling writes and the retryer's attempts.
type AWS struct {
	// AutoScalingWriteRate is the sustained rate of Headroom's EC2 Auto
	// Scaling writes (SetDesiredCapacity, UpdateAutoScalingGroup,
	// PutScheduledUpdateGroupAction, DeleteScheduledAction) in one
	// account and region: "2/s". A write with no token left in a cycle is
	// deferred to the next cycle, never waited for.
	AutoScalingWriteRate Rate `yaml:"autoscaling_write_rate"`
	// AutoScalingWriteBurst is how many writes may go at once before
	// AutoScalingWriteRate paces them.
	AutoScalingWriteBurst int `yaml:"autoscaling_write_burst"`
	// MaxAttempts is how many times one AWS call is tried (the first try
	// plus retries); retries back off with jitter, throttling included.
	MaxAttempts int `yaml:"max_attempts"`
}

// Defaults of the aws keys. EC2 Auto Scaling throttles all its API calls
// in an account and region from one shared bucket ("Amazon EC2 Auto
// Scaling, AWS Auto Scaling, and AWS Application Auto Scaling each have
// their own API throttle buckets", AWS knowledge center,
// autoscaling-api-calls-throttled) whose size AWS does not publish. EC2,
// which does publish its buckets, gives mutating actions a token bucket
// of tens of requests refilled at a few a second ("Request throttling for
// the Amazon EC2 API"). Headroom shares the Auto Scaling bucket with
// Terraform, the console, AWS's own scalers and anything else in the
// account, so it takes a fraction of such a bucket: 2 writes a second
// sustained and a burst of 20 (one 10 s cycle's worth), which still moves
// 1,200 groups in ten minutes.
const (
	DefaultAutoScalingWriteRate  Rate = "2/s"
	DefaultAutoScalingWriteBurst      = 20
	// DefaultMaxAttempts is the first try and two retries, as the SDK's
	// standard retryer does: a cycle runs again in seconds and reads
	// afresh, so a call need not try harder than that.
	DefaultMaxAttempts  = 3
	maxWriteBudgetBurst = 10_000
	maxMaxAttempts      = 10
)

func (c *Config) applyAWSDefaults(present func(path string) bool) {
	if !present("aws.autoscaling_write_rate") {
		c.AWS.AutoScalingWriteRate = DefaultAutoScalingWriteRate
	}
	if !present("aws.autoscaling_write_burst") {
		c.AWS.AutoScalingWriteBurst = DefaultAutoScalingWriteBurst
	}
	if !present("aws.max_attempts") {
		c.AWS.MaxAttempts = DefaultMaxAttempts
	}
}

func (c *Config) checkAWS(ps *problems) {
	if _, _, err := c.AWS.AutoScalingWriteRate.Parse(); err != nil {
		ps.add("aws.autoscaling_write_rate", fmt.Sprintf("%q %v", c.AWS.AutoScalingWriteRate, err))
	}
	if c.AWS.AutoScalingWriteBurst < 1 || c.AWS.AutoScalingWriteBurst > maxWriteBudgetBurst {
		ps.add("aws.autoscaling_write_burst", fmt.Sprintf("must be between 1 and %d", maxWriteBudgetBurst))
	}
	if c.AWS.MaxAttempts < 1 || c.AWS.MaxAttempts > maxMaxAttempts {
		ps.add("aws.max_attempts", fmt.Sprintf("must be between 1 and %d", maxMaxAttempts))
	}
}

// WritesPerSecond is aws.autoscaling_write_rate in writes per second (0
// when it does not parse; Validate reports that).
func (a AWS) WritesPerSecond() float64 {
	count, per, err := a.AutoScalingWriteRate.Parse()
	if err != nil || per <= 0 {
		return 0
	}
	return float64(count) / (float64(per) / float64(time.Second))
}
