// Package target is what the controller scales: EC2 Auto Scaling groups,
// ECS services and Kubernetes workloads, in any account and region. It
// holds the capacity view every kind reports (Group), the Backend each
// kind implements, and the Router that sends each managed group's calls to
// the backend of its kind, account and region. The controller declares the
// interfaces it consumes; the Router satisfies them.
package target

import (
	"context"
	"time"

	"github.com/headroom-dev/headroom/internal/schedule"
)

// Kind is what a target is.
type Kind string

// The kinds of target.
const (
	// KindASG is an EC2 Auto Scaling group; capacity is its units.
	KindASG Kind = "asg"
	// KindECSService is an ECS service; capacity is its desired count
	// of tasks.
	KindECSService Kind = "ecs_service"
	// KindKubernetes is a Kubernetes workload with a scale subresource
	// (a Deployment, a StatefulSet, a custom resource); capacity is its
	// replicas.
	KindKubernetes Kind = "kubernetes"
)

// Kinds lists every kind, in the order documentation shows them.
var Kinds = []Kind{KindASG, KindECSService, KindKubernetes}

// NoMax is Group.Max for a target whose API has no upper bound of its own
// (an ECS service without a scalable target, a Kubernetes workload): the
// group's configured max is then the only bound.
const NoMax = 1<<31 - 1

// Backend reads and resizes the targets of one kind reached through one
// client (one account and region, or one Kubernetes cluster). ids are the
// backend's own names for its targets: an Auto Scaling group's name, an
// ECS service as "cluster/service", a Kubernetes workload as
// "namespace/resource/name".
type Backend interface {
	// Describe reads the named targets in as few calls as the API allows.
	// A target that does not exist is absent from the map, not an error.
	// When some calls fail, Describe returns what it read together with a
	// *PageError naming the ids no call answered for; those are unknown
	// this cycle, not gone. warmup gives each target's warmup; nil means
	// none.
	Describe(ctx context.Context, ids []string, warmup func(id string) time.Duration) (map[string]Group, error)
	// SetDesired sets a target's desired capacity, in its units.
	SetDesired(ctx context.Context, id string, capacity int) error
}

// Refresher is a Backend whose targets can be in the middle of a rolling
// replacement that a new desired capacity must not disturb (an Auto
// Scaling instance refresh).
type Refresher interface {
	RefreshInProgress(ctx context.Context, id string) (bool, error)
}

// Mirrorer is a Backend that can keep a boost's floor in the target's own
// API as scheduled actions (Auto Scaling scheduled actions on a group,
// Application Auto Scaling scheduled actions on an ECS service's scalable
// target), so that AWS holds the floor if Headroom stops. ids and actions
// are as for the Auto Scaling group mirror: schedule.Action's MinSize is
// the floor (MinSize, MinCapacity) from At.
type Mirrorer interface {
	// Mirrors reports whether the target, as last described, has a place
	// for scheduled actions (an ECS service needs a scalable target);
	// a boost on a target without one is enforced by the daemon alone.
	Mirrors(id string) bool
	ScheduledActions(ctx context.Context, id string) ([]schedule.Action, error)
	Reconcile(ctx context.Context, id string, existing, want []schedule.Action) (put, deleted int, err error)
	SetMinSize(ctx context.Context, id string, min int) error
}

// Account is where a target's AWS calls go: a region and the role they
// assume. The zero Account is the daemon's own credentials and region.
type Account struct {
	// Region is the AWS region; "" is the daemon's.
	Region string
	// RoleARN is the role assumed with STS AssumeRole, with ExternalID
	// and SessionName; "" is the daemon's own credentials.
	RoleARN, ExternalID, SessionName string
}

// Key names the account in keys and logs: "region|role" ("" for the
// daemon's own). It leaves the external id out of logs.
func (a Account) Key() string {
	if a == (Account{}) {
		return ""
	}
	return a.Region + "|" + a.RoleARN
}
