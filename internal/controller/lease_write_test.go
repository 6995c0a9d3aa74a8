package controller

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/lease"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/bolt"
)

// failingLeases is a lease store whose acquire and renew calls fail while
// down is set: a leader on it stops leading at its margin deadline.
type failingLeases struct {
	lease.Store
	down atomic.Bool
}

func (s *failingLeases) AcquireLease(ctx context.Context, holder, nonce string, ttl time.Duration, now time.Time) (store.Lease, error) {
	if s.down.Load() {
		return store.Lease{}, errors.New("store unreachable")
	}
	return s.Store.AcquireLease(ctx, holder, nonce, ttl, now)
}

// TestNoWriteOutlivesTheLease stalls a SetDesiredCapacity in the emulator
// (a latency fault far longer than the lease) while the leader's lease
// store goes down, so that the leader stops leading with the write in
// flight. The emulator applies a write whose client gave up at the moment
// it sees the client leave, as AWS may apply a request its caller stopped
// waiting for; so the write must be abandoned no later than the leader
// stops leading, which is a margin before another replica could take the
// lease. The same run with writes on the cycle's context (the daemon before
// writes ran under the lease) lands its write long after: the test can tell.
func TestNoWriteOutlivesTheLease(t *testing.T) {
	const (
		ttl    = 3 * time.Second
		margin = ttl / 3
		// callTimeout is deliberately past the margin: the lease context,
		// not the call's own deadline, must end the write.
		callTimeout = 8 * time.Second
		stall       = 30 * time.Second
	)
	for _, tc := range []struct {
		name       string
		underLease bool
	}{
		{"writes under the lease", true},
		{"writes on the cycle's context", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			b, err := bolt.Open(filepath.Join(t.TempDir(), "lease.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			leases := &failingLeases{Store: b}
			el, err := lease.New(leases, "replica-a", clock.Real(), lease.Options{TTL: ttl, Margin: margin})
			if err != nil {
				t.Fatal(err)
			}
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = el.Run(ctx) }()
			t.Cleanup(func() { stop(); <-done })
			waitFor(t, el.Leader, "the elector leads")

			// The controller's AWS calls get a deadline past the margin.
			ctrlCfg := w.em.AWSConfig()
			ctrlCfg.AppID = e2eAppID
			awsapi.Instrument(&ctrlCfg, nil, callTimeout)
			w.ctrl.deps.Scaler = asg.New(autoscaling.NewFromConfig(ctrlCfg), w.clk)
			w.ctrl.deps.Leader = el.Leader
			if tc.underLease {
				w.ctrl.deps.Acting = el.Acting
			}

			// A backlog that calls for a scale-out this cycle.
			w.arrivals = 400
			w.em.AddFault(emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "SetDesiredCapacity", Latency: stall})
			leases.down.Store(true)

			var lostAt, landedAt atomic.Int64
			before := w.desired()
			watchCtx, endWatch := context.WithCancel(context.Background())
			watched := make(chan struct{})
			go func() {
				defer close(watched)
				for watchCtx.Err() == nil {
					now := time.Now().UnixNano()
					if lostAt.Load() == 0 && !el.Leader() {
						lostAt.Store(now)
					}
					if landedAt.Load() == 0 && w.desired() != before {
						landedAt.Store(now)
					}
					time.Sleep(time.Millisecond)
				}
			}()
			rec := w.step()
			// Long enough for the stalled write to land when nothing
			// abandons it before its own deadline.
			deadline := time.Now().Add(callTimeout + 2*time.Second)
			for landedAt.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			endWatch()
			<-watched

			if rec.Desired <= before {
				t.Fatalf("the cycle decided %d from %d (%s); the test needs a scale-out", rec.Desired, before, rec.Reason)
			}
			if rec.Acted {
				t.Errorf("the stalled write was reported acted: %+v", rec)
			}
			if lostAt.Load() == 0 {
				t.Fatal("the elector never stopped leading")
			}
			if landedAt.Load() == 0 {
				t.Fatal("the stalled write never reached the group")
			}
			late := time.Duration(landedAt.Load() - lostAt.Load())
			t.Logf("the write landed %s after the leader stopped leading (margin %s)", late, margin)
			if tc.underLease && late >= margin {
				t.Errorf("the write landed %s after the leader stopped leading: past the %s margin, when another replica may lead", late, margin)
			}
			if !tc.underLease && late < margin {
				t.Errorf("on the cycle's context the write landed %s after the lease was lost, within the margin: the test cannot tell the two apart", late)
			}
		})
	}
}
