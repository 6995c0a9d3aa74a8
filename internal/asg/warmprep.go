package asg

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// WarmPoolTag is the group tag by which Headroom records a warm pool
// MinSize it raised before a boost: "min_size=<the pool's MinSize before>,
// set=<the MinSize Headroom set>". The record lives on the group so that
// it survives a restart and any replica reads it; Headroom restores only
// a pool whose MinSize is still the one it set, and never changes a pool
// that carries no such tag except to raise it for a boost.
const WarmPoolTag = "headroom:warm-pool-min-size"

// WarmPoolChange is what Headroom changed in a group's warm pool.
type WarmPoolChange struct {
	// Original is the pool's MinSize before Headroom raised it; Set is the
	// MinSize Headroom set.
	Original, Set int
}

// WarmPoolReleased is WarmPoolTag's value once someone else has changed
// a pool Headroom raised: Headroom leaves that pool as it is, and removes
// the tag once no boost needs the pool.
const WarmPoolReleased = "released"

// String is the change as WarmPoolTag's value; a negative Original is
// WarmPoolReleased.
func (c WarmPoolChange) String() string {
	if c.Original < 0 {
		return WarmPoolReleased
	}
	return fmt.Sprintf("min_size=%d,set=%d", c.Original, c.Set)
}

// ParseWarmPoolChange reads WarmPoolTag's value; ok is false when it is
// not one Headroom wrote.
func ParseWarmPoolChange(v string) (c WarmPoolChange, ok bool) {
	orig, set, found := strings.Cut(v, ",")
	if !found {
		return c, false
	}
	o, ok1 := strings.CutPrefix(orig, "min_size=")
	s, ok2 := strings.CutPrefix(set, "set=")
	if !ok1 || !ok2 {
		return c, false
	}
	var err1, err2 error
	c.Original, err1 = strconv.Atoi(o)
	c.Set, err2 = strconv.Atoi(s)
	if err1 != nil || err2 != nil || c.Original < 0 || c.Set < 0 {
		return WarmPoolChange{}, false
	}
	return c, true
}

// RecordWarmPoolChange writes c as the group's WarmPoolTag, or deletes
// the tag when c is nil.
func (a *Actuator) RecordWarmPoolChange(ctx context.Context, name string, c *WarmPoolChange) error {
	if err := a.spend("tag "+WarmPoolTag, name); err != nil {
		return err
	}
	if c == nil {
		_, err := a.client.DeleteTags(ctx, &autoscaling.DeleteTagsInput{Tags: []types.Tag{{
			ResourceId: aws.String(name), ResourceType: aws.String("auto-scaling-group"), Key: aws.String(WarmPoolTag)}}})
		if err != nil {
			return fmt.Errorf("delete tag %s of group %q: %w", WarmPoolTag, name, err)
		}
		return nil
	}
	_, err := a.client.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []types.Tag{{
		ResourceId: aws.String(name), ResourceType: aws.String("auto-scaling-group"), Key: aws.String(WarmPoolTag),
		Value: aws.String(c.String()), PropagateAtLaunch: aws.Bool(false)}}})
	if err != nil {
		return fmt.Errorf("tag group %q with %s=%s: %w", name, WarmPoolTag, c, err)
	}
	return nil
}

// SetWarmPoolMinSize sets the MinSize of the group's warm pool w with
// PutWarmPool, sending the pool's other members as w holds them, so that
// nothing else of the pool changes.
func (a *Actuator) SetWarmPoolMinSize(ctx context.Context, name string, w WarmPool, minSize int) error {
	if minSize < 0 || minSize > math.MaxInt32 {
		return fmt.Errorf("set warm pool MinSize of group %q to %d: out of range", name, minSize)
	}
	if err := a.spend(fmt.Sprintf("set warm pool MinSize to %d", minSize), name); err != nil {
		return err
	}
	in := &autoscaling.PutWarmPoolInput{
		AutoScalingGroupName: aws.String(name),
		MinSize:              aws.Int32(int32(minSize)),
		// -1 keeps "not set" ("To remove a value that you previously set,
		// include the property but specify -1 for the value",
		// API_PutWarmPool).
		MaxGroupPreparedCapacity: aws.Int32(int32(max(w.MaxPreparedCapacity, -1))),
		PoolState:                types.WarmPoolState(w.PoolState),
	}
	if w.ReuseOnScaleIn != nil {
		in.InstanceReusePolicy = &types.InstanceReusePolicy{ReuseOnScaleIn: aws.Bool(*w.ReuseOnScaleIn)}
	}
	if _, err := a.client.PutWarmPool(ctx, in); err != nil {
		return fmt.Errorf("set warm pool MinSize of group %q to %d: %w", name, minSize, err)
	}
	return nil
}
