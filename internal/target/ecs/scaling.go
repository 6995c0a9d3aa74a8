package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/target"
)

// scalingFailure is a read of Application Auto Scaling that failed, with
// the services it leaves unknown.
type scalingFailure struct {
	ids []string
	err error
}

// readScaling fills in each described service's Min, Max and Conflict
// from Application Auto Scaling, and records which services have a
// scalable target (Mirrors).
//
// Calls: DescribeScalableTargets by ResourceIds, 50 services a call. Then,
// only for the services that have a scalable target, their scaling
// policies and scheduled actions. Neither DescribeScalingPolicies nor
// DescribeScheduledActions takes more than one ResourceId, so there are
// two ways to read them, and readScaling takes the cheaper:
//
//   - per service: one call of each with its ResourceId, 2 calls per
//     service (more when a service has over 10 policies or 50 actions);
//   - one sweep of the ecs namespace (no ResourceId): every ECS policy
//     and scheduled action of the account and region, 10 policies and 50
//     actions a page, whatever service they belong to.
//
// The sweep's cost depends on the account, not on Headroom's services, so
// readScaling remembers how many pages the last sweep took and sweeps
// again only while that is no more than the per-service calls would cost;
// the first cycle with scalable targets sweeps to learn it.
func (b *Backend) readScaling(ctx context.Context, out map[string]target.Group) []scalingFailure {
	ids := make([]string, 0, len(out))
	for id := range out {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var fails []scalingFailure
	targets := map[string]aastypes.ScalableTarget{}
	for chunk := range slices.Chunk(ids, targetsPerCall) {
		rids := make([]string, len(chunk))
		for i, id := range chunk {
			rids[i] = resourceID(id)
		}
		p := aas.NewDescribeScalableTargetsPaginator(b.aas, &aas.DescribeScalableTargetsInput{
			ServiceNamespace: namespace, ScalableDimension: dimension, ResourceIds: rids, MaxResults: aws.Int32(targetsPerCall),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				fails = append(fails, scalingFailure{chunk, fmt.Errorf("describe scalable targets of services %s: %w", idList(chunk), err)})
				break
			}
			for _, t := range page.ScalableTargets {
				targets[strings.TrimPrefix(aws.ToString(t.ResourceId), "service/")] = t
			}
		}
	}
	failed := map[string]bool{}
	for _, f := range fails {
		for _, id := range f.ids {
			failed[id] = true
		}
	}
	var withTarget []string
	for _, id := range ids {
		if failed[id] {
			continue
		}
		g := out[id]
		t, ok := targets[id]
		if ok {
			g.Min, g.Max = int(aws.ToInt32(t.MinCapacity)), int(aws.ToInt32(t.MaxCapacity))
			withTarget = append(withTarget, id)
		}
		out[id] = g
		b.mu.Lock()
		b.mirrors[id] = ok
		b.mu.Unlock()
	}
	if len(withTarget) == 0 {
		return fails
	}

	policies := map[string][]aastypes.ScalingPolicy{}
	actions := map[string][]aastypes.ScheduledAction{}
	b.mu.Lock()
	sweep := b.sweepPages == 0 || b.sweepPages <= 2*len(withTarget)
	b.mu.Unlock()
	if sweep {
		pages, err := b.sweepScaling(ctx, policies, actions)
		if err != nil {
			return append(fails, scalingFailure{withTarget, err})
		}
		b.mu.Lock()
		b.sweepPages = pages
		b.mu.Unlock()
	} else {
		var lost []string
		var errs []string
		for _, id := range withTarget {
			ps, as, err := b.readOne(ctx, id)
			if err != nil {
				lost = append(lost, id)
				errs = append(errs, err.Error())
				continue
			}
			policies[id], actions[id] = ps, as
		}
		if len(lost) > 0 {
			fails = append(fails, scalingFailure{lost, fmt.Errorf("%s", strings.Join(errs, "; "))})
			withTarget = slices.DeleteFunc(withTarget, func(id string) bool { return slices.Contains(lost, id) })
		}
	}
	for _, id := range withTarget {
		g := out[id]
		g.Conflict = conflict(policies[id], actions[id])
		out[id] = g
	}
	return fails
}

// sweepScaling reads every ECS scaling policy and scheduled action of the
// account and region into the maps, by service id; it returns how many
// pages it took.
func (b *Backend) sweepScaling(ctx context.Context, policies map[string][]aastypes.ScalingPolicy, actions map[string][]aastypes.ScheduledAction) (int, error) {
	pages := 0
	pp := aas.NewDescribeScalingPoliciesPaginator(b.aas, &aas.DescribeScalingPoliciesInput{
		ServiceNamespace: namespace, MaxResults: aws.Int32(policiesPerPage),
	})
	for pp.HasMorePages() {
		page, err := pp.NextPage(ctx)
		if err != nil {
			return pages, fmt.Errorf("describe ECS scaling policies: %w", err)
		}
		pages++
		for _, p := range page.ScalingPolicies {
			if p.ScalableDimension == dimension {
				id := strings.TrimPrefix(aws.ToString(p.ResourceId), "service/")
				policies[id] = append(policies[id], p)
			}
		}
	}
	ap := aas.NewDescribeScheduledActionsPaginator(b.aas, &aas.DescribeScheduledActionsInput{
		ServiceNamespace: namespace, MaxResults: aws.Int32(actionsPerPage),
	})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return pages, fmt.Errorf("describe ECS scheduled actions: %w", err)
		}
		pages++
		for _, a := range page.ScheduledActions {
			if a.ScalableDimension == dimension {
				id := strings.TrimPrefix(aws.ToString(a.ResourceId), "service/")
				actions[id] = append(actions[id], a)
			}
		}
	}
	return pages, nil
}

// readOne reads one service's scaling policies and scheduled actions.
func (b *Backend) readOne(ctx context.Context, id string) ([]aastypes.ScalingPolicy, []aastypes.ScheduledAction, error) {
	var ps []aastypes.ScalingPolicy
	pp := aas.NewDescribeScalingPoliciesPaginator(b.aas, &aas.DescribeScalingPoliciesInput{
		ServiceNamespace: namespace, ResourceId: aws.String(resourceID(id)), ScalableDimension: dimension, MaxResults: aws.Int32(policiesPerPage),
	})
	for pp.HasMorePages() {
		page, err := pp.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("describe scaling policies of service %q: %w", id, err)
		}
		ps = append(ps, page.ScalingPolicies...)
	}
	as, err := b.describeActions(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return ps, as, nil
}

// describeActions reads one service's scheduled actions.
func (b *Backend) describeActions(ctx context.Context, id string) ([]aastypes.ScheduledAction, error) {
	var as []aastypes.ScheduledAction
	ap := aas.NewDescribeScheduledActionsPaginator(b.aas, &aas.DescribeScheduledActionsInput{
		ServiceNamespace: namespace, ResourceId: aws.String(resourceID(id)), ScalableDimension: dimension, MaxResults: aws.Int32(actionsPerPage),
	})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe scheduled actions of service %q: %w", id, err)
		}
		as = append(as, page.ScheduledActions...)
	}
	return as, nil
}

// conflict names what else changes the service's capacity, "" when
// nothing does. A scaling policy (target tracking, step, predictive) sets
// the desired count on its own, and so does a scheduled action that is
// not Headroom's (its name lacks schedule.ActionPrefix); with either,
// Headroom and Application Auto Scaling would fight. Headroom's own
// actions and the scalable target itself (where boosts are mirrored) are
// not a conflict.
func conflict(ps []aastypes.ScalingPolicy, as []aastypes.ScheduledAction) string {
	var parts []string
	if len(ps) > 0 {
		p := ps[0]
		s := fmt.Sprintf("Application Auto Scaling policy %q (%s) scales the service", aws.ToString(p.PolicyName), p.PolicyType)
		if len(ps) > 1 {
			s += fmt.Sprintf(", and %d more", len(ps)-1)
		}
		parts = append(parts, s)
	}
	var foreign []string
	for _, a := range as {
		if name := aws.ToString(a.ScheduledActionName); !strings.HasPrefix(name, schedule.ActionPrefix) {
			foreign = append(foreign, name)
		}
	}
	if len(foreign) > 0 {
		s := fmt.Sprintf("Application Auto Scaling scheduled action %q, not Headroom's, changes the service's capacity", foreign[0])
		if len(foreign) > 1 {
			s += fmt.Sprintf(", and %d more", len(foreign)-1)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + ": remove them or leave the service to them"
}
