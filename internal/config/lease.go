package config

import (
	"fmt"
	"time"
)

// Lease configures the leader lease that lets several replicas run with
// one acting at a time.
type Lease struct {
	// TTL is how long a lease lasts without renewal. The leader renews at
	// a third of it and stops acting a third of it before it could have
	// expired; a follower takes over within TTL plus one cycle of a
	// leader's death.
	TTL Duration `yaml:"ttl"`
}

// DefaultLeaseTTL is the lease's default lifetime.
const DefaultLeaseTTL = 15 * time.Second

// Lease TTL bounds: below 3 s a renewal round trip to DynamoDB under load
// takes a real share of it; above 5 min a dead leader costs a campaign.
const (
	minLeaseTTL = 3 * time.Second
	maxLeaseTTL = 5 * time.Minute
)

func (c *Config) applyLeaseDefaults(present func(path string) bool) {
	if !present("lease.ttl") {
		c.Lease.TTL = Duration(DefaultLeaseTTL)
	}
}

func (c *Config) checkLease(ps *problems) {
	if c.Lease.TTL < Duration(minLeaseTTL) || c.Lease.TTL > Duration(maxLeaseTTL) {
		ps.add("lease.ttl", fmt.Sprintf("must be between %s and %s", minLeaseTTL, maxLeaseTTL))
		return
	}
	// The leader stops acting a third of the TTL before its lease could
	// expire, and cuts every write's deadline to that moment; a call
	// timeout inside that margin means a write sent just before it still
	// ends before another replica can take over.
	if c.CallTimeout > 0 && c.CallTimeout < c.Interval && c.CallTimeout >= c.Lease.TTL/3 {
		ps.add("call_timeout", fmt.Sprintf("must be below a third of lease.ttl (%s): a leader stops acting that long before its lease could pass to another replica, and a write must end inside that margin",
			time.Duration(c.Lease.TTL/3)))
	}
}
