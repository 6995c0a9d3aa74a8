package asg

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ErrWriteBudget is the error of a write the budget had no token for: it
// was not sent, and the next cycle tries again.
var ErrWriteBudget = errors.New("no Auto Scaling write budget left this cycle")

// WriteBudget is a token bucket over Headroom's EC2 Auto Scaling writes
// in one account and region. EC2 Auto Scaling throttles every API call of
// an account and region from one shared bucket (AWS knowledge center,
// "How do I keep my Auto Scaling API calls from being throttled?"), which
// Headroom shares with every other tool in the account, so Headroom keeps
// its own writes below a rate of its own. Time comes in as a value: the
// bucket refills on the caller's clock. Safe for concurrent use; a nil
// *WriteBudget allows everything.
type WriteBudget struct {
	lim *rate.Limiter
}

// NewWriteBudget returns a bucket that holds burst tokens and refills at
// perSecond tokens a second; it starts full.
func NewWriteBudget(perSecond float64, burst int) *WriteBudget {
	return &WriteBudget{lim: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// Take spends one token at now and reports whether there was one. It
// never waits: a write with no token is deferred by its caller.
func (b *WriteBudget) Take(now time.Time) bool {
	if b == nil {
		return true
	}
	return b.lim.AllowN(now, 1)
}

// Tokens is how many tokens the bucket holds at now.
func (b *WriteBudget) Tokens(now time.Time) float64 {
	if b == nil {
		return 0
	}
	return b.lim.TokensAt(now)
}

// BudgetKey names one write budget: the account and the region whose
// Auto Scaling bucket the writes draw on. One daemon acts in one account
// and region today (Account is "" when it is not known); the key is what
// keeps two accounts' writes apart once a daemon acts in several.
type BudgetKey struct {
	// Service is "" for EC2 Auto Scaling, else the service whose bucket
	// the writes draw on ("ecs").
	Service         string
	Account, Region string
}

// Budgets holds one WriteBudget per account and region, each with the
// same rate and burst. Safe for concurrent use.
type Budgets struct {
	perSecond float64
	burst     int

	mu sync.Mutex
	m  map[BudgetKey]*WriteBudget
}

// NewBudgets returns budgets of perSecond and burst per account and region.
func NewBudgets(perSecond float64, burst int) *Budgets {
	return &Budgets{perSecond: perSecond, burst: burst, m: map[BudgetKey]*WriteBudget{}}
}

// For returns the budget of k, made on first use.
func (b *Budgets) For(k BudgetKey) *WriteBudget {
	b.mu.Lock()
	defer b.mu.Unlock()
	wb := b.m[k]
	if wb == nil {
		wb = NewWriteBudget(b.perSecond, b.burst)
		b.m[k] = wb
	}
	return wb
}

// SetWriteBudget makes the actuator's mirror writes
// (PutScheduledUpdateGroupAction, DeleteScheduledAction,
// UpdateAutoScalingGroup) and warm pool writes (PutWarmPool and the tag
// that records it) spend tokens of b; a write with no token fails
// with ErrWriteBudget without a call. SetDesired spends nothing here: the
// controller takes its token, because it orders a cycle's writes by how
// far each group is below its need. Call it before the actuator is used.
func (a *Actuator) SetWriteBudget(b *WriteBudget) { a.budget = b }

// spend takes one token for a write of op on group.
func (a *Actuator) spend(op, group string) error {
	if a.budget.Take(a.clk.Now()) {
		return nil
	}
	return fmt.Errorf("%s on group %q: %w", op, group, ErrWriteBudget)
}
