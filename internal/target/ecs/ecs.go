// Package ecs is the target backend for ECS services: it reads services in
// as few DescribeServices calls as the API allows, counts their tasks with
// warmup, reads the Application Auto Scaling state that bounds them or
// competes with Headroom, sets their desired count, and keeps a boost's
// floor as Application Auto Scaling scheduled actions. A service's id is
// "CLUSTER/SERVICE".
package ecs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	ecssdk "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/target"
)

const (
	// servicesPerCall is how many services one DescribeServices call may
	// name ("You may specify up to 10 services to describe",
	// API_DescribeServices, services).
	servicesPerCall = 10
	// DefaultConcurrency is how many DescribeServices calls Describe keeps
	// in flight: 100 services are read in the time of 3 calls, while a
	// cycle does not spend the account's ECS request rate (shared with
	// every other ECS client in the account and region) in one burst.
	DefaultConcurrency = 4
	// targetsPerCall is how many ResourceIds one DescribeScalableTargets
	// call carries: its largest page ("This value can be between 1 and
	// 50", API_DescribeScalableTargets, MaxResults), so that a batch is
	// one call.
	targetsPerCall = 50
	// policiesPerPage and actionsPerPage are the largest MaxResults of
	// DescribeScalingPolicies ("between 1 and 10") and
	// DescribeScheduledActions ("between 1 and 50").
	policiesPerPage = 10
	actionsPerPage  = 50
)

// The Application Auto Scaling names of an ECS service's desired count
// (API_RegisterScalableTarget: ServiceNamespace ecs, ScalableDimension
// ecs:service:DesiredCount, ResourceId service/CLUSTER/SERVICE).
const (
	namespace = aastypes.ServiceNamespaceEcs
	dimension = aastypes.ScalableDimensionECSServiceDesiredCount
)

// resourceID is the Application Auto Scaling resource id of a service id.
func resourceID(id string) string { return "service/" + id }

// splitID reads "CLUSTER/SERVICE".
func splitID(id string) (cluster, service string, ok bool) {
	cluster, service, ok = strings.Cut(id, "/")
	return cluster, service, ok && cluster != "" && service != "" && !strings.Contains(service, "/")
}

// Backend reads and resizes the ECS services of one account and region.
// It is safe for concurrent use.
type Backend struct {
	ecs *ecssdk.Client
	aas *aas.Client
	clk clock.Clock
	// Concurrency bounds the DescribeServices calls in flight; set it
	// before the first Describe. 0 means DefaultConcurrency.
	Concurrency int

	mu sync.Mutex
	// tasks holds what Describe remembers of each service's running
	// tasks, for warmup.
	tasks map[string]*running
	// mirrors records which services had a scalable target at the last
	// Describe that read them.
	mirrors map[string]bool
	// sweepPages is how many pages the last sweep of the namespace's
	// policies and scheduled actions took, 0 before the first
	// (readScaling).
	sweepPages int
}

var (
	_ target.Backend  = (*Backend)(nil)
	_ target.Mirrorer = (*Backend)(nil)
)

// New returns a backend that calls ECS and Application Auto Scaling
// through the given clients and reads time from clk.
func New(ecsClient *ecssdk.Client, aasClient *aas.Client, clk clock.Clock) *Backend {
	return &Backend{ecs: ecsClient, aas: aasClient, clk: clk, tasks: map[string]*running{}, mirrors: map[string]bool{}}
}

// Describe reads the named services: ceil(n/10) DescribeServices calls per
// cluster, at most Concurrency at a time, then Application Auto Scaling
// (see readScaling). A service that does not exist (a failure with reason
// MISSING, or a cluster that does not exist: ClusterNotFoundException,
// API_DescribeServices) is absent from the map; so is an id not of the
// form CLUSTER/SERVICE, which names no service. A failed call blinds only its
// own services: they are named in the *target.PageError returned with
// what was read, unknown this cycle, not gone, and what the backend
// remembers of them is kept.
//
// Counts: Desired is desiredCount; InService runningCount, of which
// Warming the tasks seen RUNNING for less than warmup (see running) and
// Serving the rest; Pending pendingCount. Terminating is 0: a stopping
// task is in neither count of DescribeServices, and telling how many
// there are takes ListTasks (desiredStatus STOPPED) and DescribeTasks for
// every service every cycle, two calls or more per service where
// DescribeServices takes one per ten. A deployment under way sets
// NoScaleIn (see deploying).
func (b *Backend) Describe(ctx context.Context, ids []string, warmup func(id string) time.Duration) (map[string]target.Group, error) {
	byCluster := map[string][]string{}
	var clusters []string
	seen := map[string]bool{}
	for _, id := range ids {
		c, _, ok := splitID(id)
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		if byCluster[c] == nil {
			clusters = append(clusters, c)
		}
		byCluster[c] = append(byCluster[c], id)
	}
	type batch struct {
		cluster string
		ids     []string
	}
	var batches []batch
	for _, c := range clusters {
		for chunk := range slices.Chunk(byCluster[c], servicesPerCall) {
			batches = append(batches, batch{c, chunk})
		}
	}
	type result struct {
		services []ecstypes.Service
		missing  []string
		err      error
	}
	results := make([]result, len(batches))
	conc := b.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, bt := range batches {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			names := make([]string, len(bt.ids))
			for j, id := range bt.ids {
				_, names[j], _ = splitID(id)
			}
			// With the tags, in the same call: boosts select targets by tag.
			out, err := b.ecs.DescribeServices(ctx, &ecssdk.DescribeServicesInput{Cluster: aws.String(bt.cluster), Services: names,
				Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags}})
			var nf *ecstypes.ClusterNotFoundException
			if errors.As(err, &nf) {
				// No cluster, no services: all of the batch is missing.
				return
			}
			if err != nil {
				results[i].err = fmt.Errorf("describe services %s: %w", idList(bt.ids), err)
				return
			}
			results[i].services = out.Services
			for _, f := range out.Failures {
				if aws.ToString(f.Reason) != "MISSING" {
					// Any other reason says nothing of the service's state.
					results[i].err = fmt.Errorf("describe services %s: %s: %s %s", idList(bt.ids), aws.ToString(f.Arn), aws.ToString(f.Reason), aws.ToString(f.Detail))
				}
			}
		}()
	}
	wg.Wait()

	now := b.clk.Now()
	out := map[string]target.Group{}
	var pageErr *target.PageError
	blind := func(ids []string, err error) {
		if pageErr == nil {
			pageErr = &target.PageError{}
		}
		pageErr.Groups = append(pageErr.Groups, ids...)
		pageErr.Errs = append(pageErr.Errs, err)
	}
	for i, r := range results {
		if r.err != nil {
			// A batch whose call failed, or that carried a failure other
			// than MISSING, is blind as a whole: the call's answer cannot
			// be trusted for any of its services.
			blind(batches[i].ids, r.err)
			continue
		}
		for _, s := range r.services {
			if aws.ToString(s.Status) == "INACTIVE" {
				// A deleted service stays describable as INACTIVE for a
				// while; it is gone for Headroom.
				continue
			}
			id := batches[i].cluster + "/" + aws.ToString(s.ServiceName)
			if !seen[id] {
				continue
			}
			var w time.Duration
			if warmup != nil {
				w = warmup(id)
			}
			out[id] = b.convert(id, s, now, w)
		}
	}

	for _, f := range b.readScaling(ctx, out) {
		// A service whose Application Auto Scaling state is unknown is
		// blind: its bounds and its conflicts are part of what Headroom
		// must know before it acts.
		for _, id := range f.ids {
			delete(out, id)
		}
		blind(f.ids, f.err)
	}

	blindSet := map[string]bool{}
	if pageErr != nil {
		for _, id := range pageErr.Groups {
			blindSet[id] = true
		}
	}
	b.mu.Lock()
	for id := range seen {
		if _, ok := out[id]; !ok && !blindSet[id] {
			delete(b.tasks, id)
			delete(b.mirrors, id)
		}
	}
	b.mu.Unlock()
	if pageErr != nil {
		return out, pageErr
	}
	return out, nil
}

// convert turns one described service into a Group.
func (b *Backend) convert(id string, s ecstypes.Service, now time.Time, warmup time.Duration) target.Group {
	g := target.Group{
		Kind:      target.KindECSService,
		Name:      aws.ToString(s.ServiceName),
		ARN:       aws.ToString(s.ServiceArn),
		Desired:   int(s.DesiredCount),
		Max:       target.NoMax,
		InService: int(s.RunningCount),
		Pending:   int(s.PendingCount),
		MaxWeight: 1,
		NoScaleIn: deploying(s.Deployments, s.TaskSets),
		Tags:      make(map[string]string, len(s.Tags)),
	}
	for _, t := range s.Tags {
		g.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	b.mu.Lock()
	r := b.tasks[id]
	if r == nil {
		r = &running{}
		b.tasks[id] = r
	}
	g.Warming = r.observe(g.InService, now, warmup)
	b.mu.Unlock()
	g.Serving = g.InService - g.Warming
	g.Instances = target.Counts{InService: g.InService, Pending: g.Pending, Warming: g.Warming, Serving: g.Serving}
	return g
}

// deploying says why a service with these deployments may not scale in
// now, "" when it may. A deployment is under way while one of them has
// rolloutState IN_PROGRESS ("When a service deployment is started, it
// begins in an IN_PROGRESS state. When the service reaches a steady
// state, the deployment transitions to a COMPLETED state", Deployment,
// rolloutState), or while more than one is listed: an ACTIVE deployment
// is "a service deployment that still has running tasks, but are in the
// process of being replaced with a new PRIMARY deployment" (Deployment,
// status). The second test covers the services for which AWS returns no
// rolloutState ("only returned for services that use the rolling update
// (ECS) deployment type that aren't behind a Classic Load Balancer").
// Scaling in during a deployment stops tasks of either deployment and can
// starve the rollout of healthy capacity.
func deploying(ds []ecstypes.Deployment, sets []ecstypes.TaskSet) string {
	// A blue/green (CODE_DEPLOY) or EXTERNAL deployment controller rolls
	// out through task sets, not deployments ("taskSets: Information
	// about a set of Amazon ECS tasks in either an CodeDeploy or an
	// EXTERNAL deployment", API Service): more than one, or one not at
	// steady state, is a rollout under way.
	if len(sets) > 1 {
		return fmt.Sprintf("%d task sets are active: a blue/green deployment is under way", len(sets))
	}
	for _, ts := range sets {
		if ts.StabilityStatus != "" && ts.StabilityStatus != ecstypes.StabilityStatusSteadyState {
			return fmt.Sprintf("task set %s is %s", aws.ToString(ts.Id), ts.StabilityStatus)
		}
	}
	for _, d := range ds {
		if d.RolloutState == ecstypes.DeploymentRolloutStateInProgress {
			return fmt.Sprintf("deployment %s is in progress (rolloutState IN_PROGRESS)", aws.ToString(d.Id))
		}
	}
	if len(ds) > 1 {
		return fmt.Sprintf("%d deployments are active: a deployment is under way", len(ds))
	}
	return ""
}

// idList names a batch of services in an error without listing them all.
func idList(ids []string) string {
	switch len(ids) {
	case 0:
		return "(none)"
	case 1:
		return fmt.Sprintf("%q", ids[0])
	}
	return fmt.Sprintf("%q and %d more", ids[0], len(ids)-1)
}

// SetDesired sets the service's desired count with UpdateService. It is
// not clamped to the scalable target's range: Application Auto Scaling
// lets a change made to the service directly stand ("You can make
// out-of-band changes directly to the underlying resource that are
// outside of this range", Application Auto Scaling concepts); the
// controller bounds capacity by the Min and Max Describe reported.
func (b *Backend) SetDesired(ctx context.Context, id string, capacity int) error {
	c, s, ok := splitID(id)
	if !ok {
		return fmt.Errorf("set desired count of service %q: id must be CLUSTER/SERVICE", id)
	}
	if capacity < 0 || capacity > target.NoMax {
		return fmt.Errorf("set desired count of service %q to %d: out of range", id, capacity)
	}
	_, err := b.ecs.UpdateService(ctx, &ecssdk.UpdateServiceInput{Cluster: aws.String(c), Service: aws.String(s), DesiredCount: aws.Int32(int32(capacity))})
	if err != nil {
		return fmt.Errorf("set desired count of service %q to %d: %w", id, capacity, err)
	}
	return nil
}
