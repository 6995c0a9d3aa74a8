package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/schedule"
	"github.com/headroom-dev/headroom/internal/store"
)

// PlanStore is the part of the store a StorePlanner reads and writes.
type PlanStore interface {
	ListBoosts(ctx context.Context) ([]store.Boost, error)
	ListOverrides(ctx context.Context, group string) ([]store.Override, error)
	DeleteOverride(ctx context.Context, id string, version int64) error
	AppendAudit(ctx context.Context, e store.AuditEntry) error
}

// StorePlanner reads boosts and overrides from the store every cycle, so
// that a write to any replica's API takes effect on the leader's next
// cycle. Cancelled boosts and overrides are kept in the store, readable,
// and ignored here: a cancelled boost leaves the plan as an ended one
// does, so its floor and its mirrored scheduled actions go. The leader
// also removes expired overrides, cancelled or not, and audits the
// removal of each one that was not cancelled; an expired override is
// ignored by every replica at once, removed or not.
type StorePlanner struct {
	Store PlanStore
	// Leader reports whether this replica may write; nil means always.
	Leader func() bool
	Log    *slog.Logger
}

var _ Planner = (*StorePlanner)(nil)

// ActorHeadroom is the audit trail's actor for changes Headroom makes on
// its own, such as an override's expiry.
const ActorHeadroom = "headroom"

// Plan returns the boosts that have neither ended nor been cancelled and
// the overrides that have neither expired nor been cancelled at now.
func (p *StorePlanner) Plan(ctx context.Context, now time.Time) (Plan, error) {
	boosts, err := p.Store.ListBoosts(ctx)
	if err != nil {
		return Plan{}, fmt.Errorf("list boosts: %w", err)
	}
	overrides, err := p.Store.ListOverrides(ctx, "")
	if err != nil {
		return Plan{}, fmt.Errorf("list overrides: %w", err)
	}
	out := Plan{Overrides: map[string][]policy.Override{}}
	for _, b := range boosts {
		if b.Cancelled() || !now.Before(b.End) {
			continue
		}
		out.Boosts = append(out.Boosts, ScheduleBoost(b))
	}
	for _, o := range overrides {
		if !now.Before(o.ExpiresAt) {
			p.expire(ctx, o, now)
			continue
		}
		if o.Cancelled() {
			continue
		}
		out.Overrides[o.Group] = append(out.Overrides[o.Group], policy.Override{
			ID: o.ID, Kind: policy.OverrideKind(o.Kind), Capacity: o.Capacity, Min: o.Min, Max: o.Max, Reason: o.Reason,
		})
	}
	return out, nil
}

// expire removes an expired override and audits it, unless it was
// cancelled (its cancel is audited already); a failure is logged and
// retried next cycle (the override is ignored meanwhile).
func (p *StorePlanner) expire(ctx context.Context, o store.Override, now time.Time) {
	if p.Leader != nil && !p.Leader() {
		return
	}
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := p.Store.DeleteOverride(ctx, o.ID, o.Version); err != nil {
		log.Warn("remove expired override", "group", o.Group, "override", o.ID, "err", err)
		return
	}
	if o.Cancelled() {
		log.Debug("cancelled override removed at its expiry", "group", o.Group, "override", o.ID)
		return
	}
	before, _ := json.Marshal(o)
	if err := p.Store.AppendAudit(ctx, store.AuditEntry{At: now, Actor: ActorHeadroom, Action: "override.expire", Object: o.ID, Before: before}); err != nil {
		log.Warn("audit expired override", "group", o.Group, "override", o.ID, "err", err)
	}
	log.Info("override expired", "group", o.Group, "override", o.ID, "kind", o.Kind, "expires_at", o.ExpiresAt)
}

// ScheduleBoost converts a stored boost to the engine's.
func ScheduleBoost(b store.Boost) schedule.Boost {
	return schedule.Boost{ID: b.ID, Name: b.Name, Reason: b.Reason, Groups: b.Groups, Start: b.Start, End: b.End,
		MinCapacity: b.MinCapacity, Multiplier: b.Multiplier, Ramp: b.Ramp, Lead: b.Lead}
}
