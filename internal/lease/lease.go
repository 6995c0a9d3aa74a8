// Package lease elects the one replica that may act: the holder of the
// leader lease in the store. An Elector acquires the lease, renews it at a
// fraction of its TTL, and says at every moment whether this replica may
// write (Leader) and under which fencing token (Term). Each Elector draws
// a nonce that the lease records beside the holder, so two processes under
// one replica id are told apart: the store decides whether the other one
// can be proven dead (see store.Store's AcquireLease). Context gives the
// controller a context that ends the moment leadership does, so a lease
// lost mid-cycle aborts the writes not yet sent.
//
// # Why Margin bounds the tolerated clock skew
//
// The store compares lease expiry times written with one replica's clock
// against another replica's clock, so the replicas' clocks must roughly
// agree. The leader does not trust the stored ExpiresAt; it measures on its
// own monotonic clock from the moment it sent the successful acquire or
// renew (s) and stops acting Margin before the lease could expire. Say
// follower B's clock runs k ahead of leader A's:
//
//	true time  ──────────────────────────────────────────────────────────►
//	A          s ─────────── A acts ───────────┤ stops at s+TTL-Margin
//	store      ExpiresAt = s+TTL               (A's clock wrote it)
//	B          reads its clock as s+TTL, sees the lease expired,
//	           takes it at true time s+TTL-k   ├──────── B acts ─────────
//	                                           ◄─ k ─►
//	                        A's last moment ───┘      └─── s+TTL
//
// B starts at s+TTL-k and A has stopped at s+TTL-Margin, so the two never
// act at once while k <= Margin. A clock behind the leader's only delays
// the takeover. Skew beyond Margin can overlap (the tests show it): keep
// the replicas on NTP (Amazon Time Sync keeps EC2 and Fargate clocks within
// a millisecond or so) and Margin at seconds. The store's ExpiresAt is
// written from the sender's clock at send time, so request latency only
// shortens A's lease as A sees it, never lengthens it.
package lease

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

// DefaultTTL is the lease's lifetime when Options.TTL is zero; it matches
// the config's lease.ttl default.
const DefaultTTL = 15 * time.Second

// releaseTimeout bounds the release Run sends when it stops, so a store
// that hangs cannot hold up a shutdown (ECS gives a task 30 s between
// SIGTERM and SIGKILL by default: the container definition's stopTimeout).
const releaseTimeout = 2 * time.Second

// Store is the part of the store the lease needs.
type Store interface {
	AcquireLease(ctx context.Context, holder, nonce string, ttl time.Duration, now time.Time) (store.Lease, error)
	ReleaseLease(ctx context.Context, l store.Lease) error
}

var _ Store = store.Store(nil)

// Options tunes an Elector. Zero values take the defaults.
type Options struct {
	// TTL is how long the lease lasts without renewal. Default DefaultTTL.
	TTL time.Duration
	// RenewEvery is the interval between acquire or renew attempts.
	// Default TTL/3.
	RenewEvery time.Duration
	// FollowEvery is the interval between a follower's attempts to
	// acquire the lease: short, so that a follower takes a released lease
	// at once and an expired one within FollowEvery of its expiry. Default
	// the smaller of 1 s and RenewEvery.
	FollowEvery time.Duration
	// Margin: the leader stops acting this long before its lease could
	// have expired, measured on its own monotonic clock from the moment it
	// sent the successful acquire or renew (not from the store's
	// ExpiresAt, which another replica's clock wrote). It bounds the clock
	// skew between replicas the lease tolerates (see the package comment).
	// Default TTL/3.
	Margin time.Duration
	// Log receives the transitions and failures; nil discards them.
	Log *slog.Logger
	// Metrics counts renewals and transitions and sets the Leader gauge;
	// may be nil.
	Metrics *telemetry.Metrics
}

// Results of one acquire or renew attempt, as the renewals metric labels
// them.
const (
	resultOK       = "ok"
	resultConflict = "conflict"
	resultError    = "error"
)

// Reasons a term ends without a release, as the renewals lost metric
// labels them.
const (
	lostConflict = "conflict"
	lostEdited   = "edited"
	lostLate     = "late"
	lostExpired  = "expired"
)

// Elector takes part in the election of the leader. Its methods are safe
// for concurrent use; Run drives it.
type Elector struct {
	st     Store
	holder string
	nonce  string
	clk    clock.Clock
	ttl    time.Duration
	renew  time.Duration
	follow time.Duration
	margin time.Duration
	log    *slog.Logger
	m      *telemetry.Metrics

	mu sync.Mutex
	// lease is the lease the store last gave this replica; held says it
	// is still this replica's as far as it knows (to renew or release).
	lease store.Lease
	held  bool
	// cur is the current term; nil while following.
	cur *term
	// released is set by Release: the process is shutting down.
	released bool

	// cycles counts the ticks Run has finished, so that tests can wait for
	// one without sleeping.
	cycles atomic.Int64
}

// term is one unbroken stretch of leadership.
type term struct {
	token int64
	// deadline is sentAt+TTL-Margin of the last successful acquire or
	// renew; guarded by Elector.mu.
	deadline time.Time
	// done is closed when the term ends.
	done chan struct{}
}

// New returns an Elector for holder on st. It validates TTL > 0,
// Margin >= 0 and 0 < RenewEvery < TTL-Margin: a renewal must come before
// the leader stops acting, or leadership would lapse on every tick.
func New(st Store, holder string, clk clock.Clock, o Options) (*Elector, error) {
	if st == nil {
		return nil, errors.New("lease: nil store")
	}
	if holder == "" {
		return nil, errors.New("lease: empty holder")
	}
	if clk == nil {
		clk = clock.Real()
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.RenewEvery == 0 {
		o.RenewEvery = o.TTL / 3
	}
	if o.Margin == 0 {
		o.Margin = o.TTL / 3
	}
	if o.FollowEvery == 0 {
		o.FollowEvery = min(time.Second, o.RenewEvery)
	}
	switch {
	case o.TTL < 0:
		return nil, fmt.Errorf("lease for %q: ttl %s is not positive", holder, o.TTL)
	case o.Margin < 0:
		return nil, fmt.Errorf("lease for %q: margin %s is negative", holder, o.Margin)
	case o.RenewEvery <= 0 || o.RenewEvery >= o.TTL-o.Margin:
		return nil, fmt.Errorf("lease for %q: renew_every %s must be above 0 and below ttl %s minus margin %s",
			holder, o.RenewEvery, o.TTL, o.Margin)
	case o.FollowEvery < 0 || o.FollowEvery > o.RenewEvery:
		return nil, fmt.Errorf("lease for %q: follow_every %s must be above 0 and at most renew_every %s", holder, o.FollowEvery, o.RenewEvery)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	nonce := rand.Text()[:16]
	return &Elector{
		st: st, holder: holder, nonce: nonce, clk: clk,
		ttl: o.TTL, renew: o.RenewEvery, follow: o.FollowEvery, margin: o.Margin,
		log: log.With("holder", holder, "nonce", nonce), m: o.Metrics,
	}, nil
}

// Holder returns this replica's name in the lease.
func (e *Elector) Holder() string { return e.holder }

// Nonce returns this process's nonce in the lease: random, drawn by New.
func (e *Elector) Nonce() string { return e.nonce }

// Leader reports whether this replica may act now: true only while the
// clock is before sentAt+TTL-Margin of the last successful acquire or
// renew, and the lease was neither lost nor released. It reads the clock,
// so it is right between ticks too.
func (e *Elector) Leader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leadingLocked()
}

func (e *Elector) leadingLocked() bool {
	return e.cur != nil && e.clk.Now().Before(e.cur.deadline)
}

// Term returns the fencing token of the current term; ok is false while
// this replica is not leading.
func (e *Elector) Term() (token int64, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.leadingLocked() {
		return 0, false
	}
	return e.cur.token, true
}

// Context returns a context derived from parent that is cancelled when
// this replica stops leading: lease lost, expired by the margin, or
// released. If it is not leading now, the context comes back already
// cancelled. Callers must call the CancelFunc.
func (e *Elector) Context(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	e.mu.Lock()
	t := e.cur
	leading := e.leadingLocked()
	e.mu.Unlock()
	if !leading {
		cancel()
		return ctx, cancel
	}
	go func() {
		select {
		case <-t.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// Acting returns the context one write runs under: cancelled when this
// replica stops leading, as Context's, and with a deadline no later than
// the moment it must stop acting as far as it knows now (sentAt+TTL-Margin
// of its last successful acquire or renew). A write still unanswered then
// is abandoned a Margin before the lease could pass to another replica, so
// a slow write and a new leader's first write cannot overlap unless the
// store's clock skew passes Margin. If it is not leading now, the context
// comes back already cancelled. Callers must call the CancelFunc.
func (e *Elector) Acting(parent context.Context) (context.Context, context.CancelFunc) {
	e.mu.Lock()
	t := e.cur
	leading := e.leadingLocked()
	var left time.Duration
	if leading {
		left = t.deadline.Sub(e.clk.Now())
	}
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(parent, left)
	if !leading {
		cancel()
		return ctx, cancel
	}
	go func() {
		select {
		case <-t.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// Run acquires the lease at once, then renews it every RenewEvery while
// it leads and tries to acquire it every FollowEvery while it follows;
// after a conflict it tries once more at once, since a conditional write
// can lose to a concurrent writer while the lease is free. When ctx ends
// it releases the lease if it holds it, under a fresh context with a 2 s
// deadline, and returns nil. After Release, Run returns at its next tick
// without acquiring again.
func (e *Elector) Run(ctx context.Context) error {
	for {
		if e.isReleased() {
			return nil
		}
		if e.attempt(ctx) == resultConflict && ctx.Err() == nil {
			e.attempt(ctx)
		}
		wait := e.follow
		if e.Leader() {
			wait = e.renew
		}
		// The timer is set before the tick counts as finished, so that a
		// clock moved right after the count (a test's fake clock) fires it.
		timer := e.clk.NewTimer(wait)
		e.cycles.Add(1)
		select {
		case <-ctx.Done():
			timer.Stop()
			rctx, cancel := e.withTimeout(context.WithoutCancel(ctx), releaseTimeout)
			err := e.Release(rctx)
			cancel()
			if err != nil {
				e.log.Warn("lease release failed; it expires by itself", "err", err)
			}
			return nil
		case <-timer.Chan():
		}
	}
}

// Release gives the lease up now (the SIGTERM drain): Leader is false
// afterwards and Run acquires no more. Releasing a lease the store no
// longer holds for this replica is not an error.
func (e *Elector) Release(ctx context.Context) error {
	e.mu.Lock()
	e.released = true
	l, held := e.lease, e.held
	e.held = false
	t := e.cur
	if t != nil {
		e.endLocked(t)
	}
	e.mu.Unlock()
	if t != nil {
		e.stopped(t, "released")
	}
	if !held {
		return nil
	}
	return e.release(ctx, l)
}

func (e *Elector) release(ctx context.Context, l store.Lease) error {
	began := time.Now()
	err := e.st.ReleaseLease(ctx, l)
	e.observe("release", began)
	switch {
	case errors.Is(err, store.ErrConflict):
		e.log.Info("lease already gone at release", "token", l.Token, "err", err)
		return nil
	case err != nil:
		return fmt.Errorf("release lease of %q: %w", e.holder, err)
	}
	e.log.Info("lease released", "token", l.Token)
	return nil
}

func (e *Elector) isReleased() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.released
}

// withTimeout is context.WithTimeout on the injected clock: the context is
// cancelled, with a cause naming the deadline, once d has passed on e.clk.
func (e *Elector) withTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	timer := e.clk.AfterFunc(d, func() {
		cancel(fmt.Errorf("lease call took longer than %s: %w", d, context.DeadlineExceeded))
	})
	return ctx, func() {
		timer.Stop()
		cancel(context.Canceled)
	}
}

// attempt acquires or renews the lease once and returns the result.
func (e *Elector) attempt(ctx context.Context) string {
	if e.isReleased() {
		return resultError
	}
	sentAt := e.clk.Now()
	// The call may not outlast the interval, so a hanging store cannot
	// stall the next attempt.
	cctx, cancel := e.withTimeout(ctx, e.renew)
	op := "acquire"
	if e.Leader() {
		op = "renew"
	}
	// Latency is wall time, not the injected clock's: it is the store's.
	began := time.Now()
	l, err := e.st.AcquireLease(cctx, e.holder, e.nonce, e.ttl, sentAt)
	e.observe(op, began)
	cancel()

	switch {
	case err == nil:
		return e.succeeded(ctx, l, sentAt)
	case errors.Is(err, store.ErrConflict):
		e.mu.Lock()
		e.held = false
		t := e.cur
		if t != nil {
			e.endLocked(t)
		}
		e.mu.Unlock()
		e.count(resultConflict)
		if t != nil {
			e.lost(t, otherHolder(err), lostConflict, err)
		} else {
			e.log.Debug("lease held by another replica", "other_holder", otherHolder(err), "err", err)
		}
		return resultConflict
	default:
		if ctx.Err() != nil {
			return resultError // Run is stopping; not the store's fault
		}
		e.count(resultError)
		e.mu.Lock()
		leading := e.leadingLocked()
		var until time.Time
		if leading {
			until = e.cur.deadline
		}
		e.mu.Unlock()
		if leading {
			e.log.Warn("lease renewal failed; leading until the margin deadline unless a retry succeeds",
				"leading_until", until, "err", err)
		} else {
			e.log.Warn("lease acquire failed", "err", err)
		}
		return resultError
	}
}

// succeeded records a lease the store gave this replica for an attempt
// sent at sentAt.
func (e *Elector) succeeded(ctx context.Context, l store.Lease, sentAt time.Time) string {
	deadline := sentAt.Add(e.ttl - e.margin)
	e.mu.Lock()
	if e.released {
		// Release ran while the call was in flight: give this lease back.
		e.mu.Unlock()
		if err := e.release(context.WithoutCancel(ctx), l); err != nil {
			e.log.Warn("lease release failed; it expires by itself", "err", err)
		}
		return resultOK
	}
	prev := e.lease
	e.lease, e.held = l, true
	t := e.cur
	now := e.clk.Now()
	var ended *term
	edited := false
	if t != nil {
		// A renewal keeps the token and moves the version by one; anything
		// else means someone wrote the item since the last renewal, and
		// this term's right to act is gone.
		edited = l.Token != prev.Token || l.Version != prev.Version+1
		if edited || !now.Before(t.deadline) {
			e.endLocked(t)
			ended, t = t, nil
		}
	}
	if edited {
		e.mu.Unlock()
		e.count(resultConflict)
		err := fmt.Errorf("lease of %q changed under its holder: token %d version %d, renewed to token %d version %d: %w",
			e.holder, prev.Token, prev.Version, l.Token, l.Version, store.ErrConflict)
		e.lost(ended, "", lostEdited, err)
		return resultConflict
	}
	started := false
	switch {
	case t != nil:
		t.deadline = deadline
	case now.Before(deadline):
		t = &term{token: l.Token, deadline: deadline, done: make(chan struct{})}
		e.startLocked(t)
		started = true
	}
	e.mu.Unlock()

	e.count(resultOK)
	if ended != nil {
		e.stopped(ended, "renewal came after the margin deadline")
		e.countLost(lostLate)
	}
	switch {
	case started:
		e.log.Info("became leader", "token", l.Token, "leading_until", deadline)
		go e.watch(t)
	case t == nil:
		e.log.Warn("lease acquired too late to act on", "token", l.Token, "took", now.Sub(sentAt))
	}
	return resultOK
}

// watch ends t when its deadline passes without a renewal moving it, even
// if no tick runs meanwhile (the store call hangs, or Run stopped).
func (e *Elector) watch(t *term) {
	for {
		e.mu.Lock()
		if e.cur != t {
			e.mu.Unlock()
			return
		}
		wait := t.deadline.Sub(e.clk.Now())
		if wait <= 0 {
			e.endLocked(t)
			e.mu.Unlock()
			e.stopped(t, "no renewal before the margin deadline")
			e.countLost(lostExpired)
			return
		}
		e.mu.Unlock()
		timer := e.clk.NewTimer(wait)
		select {
		case <-timer.Chan():
		case <-t.done:
			timer.Stop()
			return
		}
	}
}

// startLocked makes t the current term; e.mu is held, so the gauge
// follows the transitions in order.
func (e *Elector) startLocked(t *term) {
	e.cur = t
	if e.m != nil {
		e.m.Leader.Set(1)
		e.m.LeaseTransitions.WithLabelValues("leader").Inc()
	}
}

// endLocked ends t, which must be e.cur; e.mu is held.
func (e *Elector) endLocked(t *term) {
	e.cur = nil
	close(t.done)
	if e.m != nil {
		e.m.Leader.Set(0)
		e.m.LeaseTransitions.WithLabelValues("follower").Inc()
	}
}

// stopped logs the end of t for reason.
func (e *Elector) stopped(t *term, reason string) {
	e.log.Info("stopped leading", "token", t.token, "reason", reason)
}

// lost logs and counts the end of t by a conflict: another replica has the
// lease, or its item changed under this one.
func (e *Elector) lost(t *term, other, reason string, err error) {
	e.log.Warn("lease lost", "token", t.token, "other_holder", other, "reason", reason, "err", err)
	e.countLost(reason)
}

func (e *Elector) count(result string) {
	if e.m != nil {
		e.m.LeaseRenewals.WithLabelValues(result).Inc()
	}
}

func (e *Elector) countLost(reason string) {
	if e.m != nil {
		e.m.LeaseRenewalsLost.WithLabelValues(reason).Inc()
	}
}

// observe records the latency of one store call of operation op that
// began at began.
func (e *Elector) observe(op string, began time.Time) {
	if e.m != nil {
		e.m.LeaseCallDuration.WithLabelValues(op).Observe(time.Since(began).Seconds())
	}
}

// heldBy matches the holder both stores name in a conflict's message.
var heldBy = regexp.MustCompile(`held by "([^"]*)"`)

// otherHolder returns the holder a conflict names, or "" when it names
// none.
func otherHolder(err error) string {
	if m := heldBy.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return ""
}
