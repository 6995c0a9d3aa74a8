package emulator

import (
	"fmt"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/internal/emulator/autoscaling"
)

// Fleet is a set of identical groups for load and footprint measurements:
// each group has two CloudWatch metrics (CPUUtilization and NetworkIn of
// its instances, held at their targets) and one empty queue, so a cycle
// over a fleet reads everything and changes nothing.
type Fleet struct {
	Groups int
}

// FleetGroupName is the name of the fleet's i-th group (and of its queue,
// with a "q-" prefix).
func FleetGroupName(i int) string { return fmt.Sprintf("g%04d", i) }

// Seed creates the fleet's groups (already InService, 2 instances each)
// and queues, and publishes datapoints for the five minutes before at.
func (f Fleet) Seed(s *Server, at time.Time) error {
	s.AutoScaling.SetGroupLimit(f.Groups + autoscaling.DefaultGroupLimit)
	for i := range f.Groups {
		name := FleetGroupName(i)
		if err := s.AutoScaling.CreateGroup(autoscaling.GroupSpec{Name: name, Min: 2, Max: 50, Desired: 2, StartInService: true}); err != nil {
			return fmt.Errorf("fleet group %s: %w", name, err)
		}
		if _, err := s.SQS.CreateQueue("q-"+name, nil); err != nil {
			return fmt.Errorf("fleet queue q-%s: %w", name, err)
		}
	}
	for k := 1; k <= 5; k++ {
		f.Publish(s, at.Add(-time.Duration(k)*time.Minute))
	}
	return nil
}

// Publish puts one datapoint at time at for each metric of each group.
func (f Fleet) Publish(s *Server, at time.Time) {
	for i := range f.Groups {
		dims := map[string]string{"AutoScalingGroupName": FleetGroupName(i)}
		s.CloudWatch.Put("AWS/EC2", "CPUUtilization", dims, at, 50)
		s.CloudWatch.Put("AWS/EC2", "NetworkIn", dims, at, 50)
	}
}

// Config returns a Headroom config managing the fleet, with the given
// listen address for serve's metrics.
func (f Fleet) Config(listen string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "interval: 10s\nsqs_concurrency: 16\nlisten: %q\ngroups:\n", listen)
	for i := range f.Groups {
		fmt.Fprintf(&b, `  - name: %[1]s
    asg: %[1]s
    min: 2
    max: 50
    warmup: 0s
    policies:
      - name: cpu
        target_tracking:
          metric: {namespace: AWS/EC2, name: CPUUtilization, dimensions: {AutoScalingGroupName: %[1]s}, stat: Average}
          target: 50
      - name: net
        target_tracking:
          metric: {namespace: AWS/EC2, name: NetworkIn, dimensions: {AutoScalingGroupName: %[1]s}, stat: Average}
          target: 50
      - name: queue
        backlog:
          acceptable_latency: 60s
          queues:
            - {queue: q-%[1]s, seconds_per_message: 1}
`, FleetGroupName(i))
	}
	return b.String()
}
