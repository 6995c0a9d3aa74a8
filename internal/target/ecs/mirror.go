package ecs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/headroom-dev/headroom/internal/schedule"
)

// atLayout is the time inside a one-time schedule, "at(yyyy-mm-ddThh:mm:ss)"
// (API_PutScheduledAction, Schedule). Headroom writes it in UTC and gives
// no Timezone, which then defaults to UTC.
const atLayout = "2006-01-02T15:04:05"

func atSchedule(t time.Time) string { return "at(" + t.UTC().Format(atLayout) + ")" }

// parseSchedule reads an at() schedule in its timezone; ok is false for
// any other schedule.
func parseSchedule(s, tz string) (time.Time, bool) {
	inner, found := strings.CutPrefix(s, "at(")
	if !found {
		return time.Time{}, false
	}
	inner, found = strings.CutSuffix(inner, ")")
	if !found {
		return time.Time{}, false
	}
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return time.Time{}, false
		}
		loc = l
	}
	t, err := time.ParseInLocation(atLayout, inner, loc)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// Mirrors reports whether the service had a scalable target at the last
// Describe that read it: scheduled actions need one to live on. A boost
// on a service without one is enforced by the daemon alone.
func (b *Backend) Mirrors(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mirrors[id]
}

// ScheduledActions returns Headroom's scheduled actions on the service's
// scalable target (names starting with schedule.ActionPrefix), following
// NextToken. Each carries the time of its at() schedule and its
// ScalableTargetAction MinCapacity. An action without a MinCapacity, or
// whose schedule is not at(), which Headroom never writes, reports
// MinSize -1 so that it differs from any wanted action and gives no base.
func (b *Backend) ScheduledActions(ctx context.Context, id string) ([]schedule.Action, error) {
	if _, _, ok := splitID(id); !ok {
		return nil, fmt.Errorf("describe scheduled actions of service %q: id must be CLUSTER/SERVICE", id)
	}
	as, err := b.describeActions(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []schedule.Action
	for _, a := range as {
		name := aws.ToString(a.ScheduledActionName)
		if !strings.HasPrefix(name, schedule.ActionPrefix) {
			continue
		}
		act := schedule.Action{Name: name, MinSize: -1}
		at, ok := parseSchedule(aws.ToString(a.Schedule), aws.ToString(a.Timezone))
		if ok {
			act.At = at
		}
		if ok && a.ScalableTargetAction != nil && a.ScalableTargetAction.MinCapacity != nil {
			act.MinSize = int(*a.ScalableTargetAction.MinCapacity)
		}
		out = append(out, act)
	}
	return out, nil
}

// Reconcile makes the service's Headroom actions equal want, with the
// semantics of the Auto Scaling group mirror (asg.Actuator.Reconcile):
// PutScheduledAction for each wanted action that is missing or differs,
// in the order of want, then DeleteScheduledAction for each existing
// Headroom action not in want. A put action has an at() schedule and a
// ScalableTargetAction with MinCapacity alone, so it moves only the floor
// and never caps the service ("You can set both values or just one",
// API_PutScheduledAction, ScalableTargetAction). Deleting an action that
// is already gone (ObjectNotFoundException) is not an error. One failed
// call does not stop the others; the errors are joined.
func (b *Backend) Reconcile(ctx context.Context, id string, existing, want []schedule.Action) (put, deleted int, err error) {
	return schedule.Reconcile(existing, want,
		func(w schedule.Action) error { return b.putAction(ctx, id, w) },
		func(name string) (bool, error) { return b.deleteAction(ctx, id, name) })
}

func (b *Backend) putAction(ctx context.Context, id string, w schedule.Action) error {
	if !strings.HasPrefix(w.Name, schedule.ActionPrefix) {
		return fmt.Errorf("put scheduled action %q on service %q: name lacks the prefix %q", w.Name, id, schedule.ActionPrefix)
	}
	if w.MinSize < 0 || w.MinSize > math.MaxInt32 {
		return fmt.Errorf("put scheduled action %q on service %q: MinCapacity %d out of range", w.Name, id, w.MinSize)
	}
	_, err := b.aas.PutScheduledAction(ctx, &aas.PutScheduledActionInput{
		ServiceNamespace:     namespace,
		ScalableDimension:    dimension,
		ResourceId:           aws.String(resourceID(id)),
		ScheduledActionName:  aws.String(w.Name),
		Schedule:             aws.String(atSchedule(w.At)),
		ScalableTargetAction: &aastypes.ScalableTargetAction{MinCapacity: aws.Int32(int32(w.MinSize))},
	})
	if err != nil {
		return fmt.Errorf("put scheduled action %q on service %q: %w", w.Name, id, err)
	}
	return nil
}

// deleteAction deletes one action and reports whether it was already gone.
func (b *Backend) deleteAction(ctx context.Context, id, name string) (gone bool, err error) {
	_, err = b.aas.DeleteScheduledAction(ctx, &aas.DeleteScheduledActionInput{
		ServiceNamespace:    namespace,
		ScalableDimension:   dimension,
		ResourceId:          aws.String(resourceID(id)),
		ScheduledActionName: aws.String(name),
	})
	if err == nil {
		return false, nil
	}
	var nf *aastypes.ObjectNotFoundException
	if errors.As(err, &nf) {
		return true, nil
	}
	return false, fmt.Errorf("delete scheduled action %q of service %q: %w", name, id, err)
}

// SetMinSize sets the scalable target's MinCapacity with
// RegisterScalableTarget, leaving MaxCapacity as it is ("Any parameters
// that you don't specify are not changed by this update request"). A
// MinCapacity above the service's desired count raises the desired count
// with it ("it changes the resource's current capacity to a value that is
// inside of this range", API_RegisterScalableTarget).
func (b *Backend) SetMinSize(ctx context.Context, id string, min int) error {
	if _, _, ok := splitID(id); !ok {
		return fmt.Errorf("set MinCapacity of service %q: id must be CLUSTER/SERVICE", id)
	}
	if min < 0 || min > math.MaxInt32 {
		return fmt.Errorf("set MinCapacity of service %q to %d: out of range", id, min)
	}
	_, err := b.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{
		ServiceNamespace:  namespace,
		ScalableDimension: dimension,
		ResourceId:        aws.String(resourceID(id)),
		MinCapacity:       aws.Int32(int32(min)),
	})
	if err != nil {
		return fmt.Errorf("set MinCapacity of service %q to %d: %w", id, min, err)
	}
	return nil
}
