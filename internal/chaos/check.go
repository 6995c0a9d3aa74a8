package chaos

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/emulator"
	emuasg "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
)

// checker checks the invariants after each cycle.
type checker struct {
	seed       int64
	sc         *scenario
	em         *emulator.Server
	violations []Violation
	// starvedUntil is when the last starved cycle stops excusing
	// convergence: that cycle plus the scenario's settle time.
	starvedUntil time.Time
}

// quiet is when convergence is checked from: every injected fault and
// every starved cycle cleared for the scenario's settle time.
func (c *checker) quiet() time.Time {
	if c.starvedUntil.After(c.sc.quiet) {
		return c.starvedUntil
	}
	return c.sc.quiet
}

// starved records a cycle the machine starved (see starved in chaos.go).
func (c *checker) starved(now time.Time) {
	c.starvedUntil = now.Add(c.sc.settle)
}

// checkStarvation keeps the excuse for starved cycles from hiding a
// controller that is itself too slow: a run in which more than half the
// cycles were starved cannot show convergence, and says so.
func (c *checker) checkStarvation(cycles, starved int) {
	if cycles > 0 && 2*starved > cycles {
		c.fail(cycles-1, c.sc.quiet, "*", InvariantConverged,
			"%d of %d cycles took a call timeout (%s) without a hang or latency fault: the controller or the machine is too slow to judge", starved, cycles, callTimeout)
	}
}

// snapshot is every group as the emulator holds it.
func (c *checker) snapshot() map[string]emuasg.GroupView {
	out := map[string]emuasg.GroupView{}
	for _, g := range c.sc.groups {
		v, _ := c.em.AutoScaling.Group(g.name)
		out[g.name] = v
	}
	return out
}

func (c *checker) fail(cycle int, now time.Time, group, invariant, format string, args ...any) {
	c.violations = append(c.violations, Violation{Seed: c.seed, Invariant: invariant, Group: group, At: now, Cycle: cycle,
		Detail: fmt.Sprintf(format, args...)})
}

// faultActive reports whether a fault of the plan covers service at t.
func (c *checker) faultActive(service string, t time.Time) bool {
	for _, f := range c.sc.faults {
		if f.Withhold || (f.Service != "" && f.Service != service) {
			continue
		}
		if !t.Before(f.From) && t.Before(f.Until) {
			return true
		}
	}
	return false
}

// check checks one cycle at now: before is the groups before it, recs its
// records (nil when the cycle failed) and calls the calls it made.
// starved says the machine starved the cycle (see starved in chaos.go): a
// call may have missed its deadline without a fault, so a failed cycle is
// excused as one that met a fault would be.
func (c *checker) check(cycle int, now time.Time, before map[string]emuasg.GroupView, recs []controller.Record, calls []emulator.Call, starved bool) {
	after := c.snapshot()
	asgFaulted := false
	for _, call := range calls {
		if call.Service == emulator.ServiceAutoScaling && call.Fault != "" {
			asgFaulted = true
		}
	}
	byGroup := map[string]*controller.Record{}
	for i := range recs {
		byGroup[recs[i].Group] = &recs[i]
	}
	for _, g := range c.sc.groups {
		rec := byGroup[g.name]
		b, a := before[g.name], after[g.name]
		paused := g.paused(now)
		pin, pinned := g.pin(now)
		// A cycle the Auto Scaling faults kept from acting: one of its Auto
		// Scaling calls met a fault, or it failed while such a fault was on
		// or while the machine starved it (a call timed out unfaulted).
		failed := rec == nil || rec.Error != ""
		excused := asgFaulted || ((c.faultActive(emulator.ServiceAutoScaling, now) || starved) && failed)

		var writes []int
		for _, call := range calls {
			if call.Service != emulator.ServiceAutoScaling || call.Operation != "SetDesiredCapacity" || call.Params["AutoScalingGroupName"] != g.name {
				continue
			}
			v, err := strconv.Atoi(call.Params["DesiredCapacity"])
			if err != nil {
				c.fail(cycle, now, g.name, InvariantBounds, "SetDesiredCapacity with DesiredCapacity %q", call.Params["DesiredCapacity"])
				continue
			}
			writes = append(writes, v)
		}

		// 1. Bounds.
		lo, hi := g.effMin, g.effMax
		if pinned {
			lo, hi = g.asgMin, g.asgMax
		}
		for _, v := range writes {
			if v < lo || v > hi {
				c.fail(cycle, now, g.name, InvariantBounds, "SetDesiredCapacity %d outside [%d, %d]", v, lo, hi)
			}
		}
		if a.Desired < a.Min || a.Desired > a.Max {
			c.fail(cycle, now, g.name, InvariantBounds, "desired capacity %d outside the group's [%d, %d]", a.Desired, a.Min, a.Max)
		}

		// 2. No scale-in on stale or missing input.
		if rec != nil && !pinned {
			if why := blocked(rec); why != "" {
				for _, v := range writes {
					// Bringing a group above its effective max down to it
					// is the bounds invariant, not a scale-in: it holds
					// whatever the inputs (a bounds override narrowed max).
					if v < b.Desired && !(v == rec.Max && b.Desired > rec.Max) {
						c.fail(cycle, now, g.name, InvariantStale, "SetDesiredCapacity %d below %d while %s (decision: %s; changes %+v; bounds [%d, %d])",
							v, b.Desired, why, rec.Reason, rec.Changes, rec.Min, rec.Max)
					}
				}
			}
		}

		// 3. Pause means no writes.
		if paused && len(writes) > 0 {
			c.fail(cycle, now, g.name, InvariantPaused, "SetDesiredCapacity %v while paused", writes)
		}

		// 4. A pin holds.
		if pinned && !paused && !excused && pin >= g.asgMin && pin <= g.asgMax && a.Desired != pin {
			c.fail(cycle, now, g.name, InvariantPin, "desired capacity %d while pinned at %d (%s)", a.Desired, pin, cycleOutcome(rec, starved))
		}

		// 5. A boost's floor holds.
		if f, ok := g.floor(now); ok && !paused && !pinned && !excused {
			if want := min(f, g.effMax); a.Desired < want {
				c.fail(cycle, now, g.name, InvariantFloor, "desired capacity %d under the boost floor %d (%s)", a.Desired, want, cycleOutcome(rec, starved))
			}
		}

		// 6. Convergence once the faults have cleared.
		if now.Before(c.quiet()) || paused {
			continue
		}
		switch {
		case rec == nil:
			c.fail(cycle, now, g.name, InvariantConverged, "cycle failed %s after the last fault cleared", now.Sub(c.quiet()))
		case rec.Error != "":
			c.fail(cycle, now, g.name, InvariantConverged, "error %q after the faults cleared", rec.Error)
		case missingInput(rec) != "":
			c.fail(cycle, now, g.name, InvariantConverged, "%s after the faults cleared", missingInput(rec))
		case a.Desired != rec.Desired:
			c.fail(cycle, now, g.name, InvariantConverged, "desired capacity %d, decision %d (skipped %q)", a.Desired, rec.Desired, rec.Skipped)
		}
	}
}

// cycleOutcome describes what the cycle's record says, for a violation's
// detail: a finding names the decision and the error it met.
func cycleOutcome(rec *controller.Record, starved bool) string {
	s := "no record"
	if rec != nil {
		s = fmt.Sprintf("decided %d, acted %v, skipped %q, error %q", rec.Desired, rec.Acted, rec.Skipped, rec.Error)
	}
	if starved {
		s += "; the cycle was starved"
	}
	return s
}

// blocked says why a decision may not scale in: a stale or missing input,
// or scale-in blocked by the engine; "" when it may.
func blocked(r *controller.Record) string {
	if s := staleInput(r); s != "" {
		return s
	}
	if r.ScaleInBlocked != "" {
		return "scale-in blocked: " + r.ScaleInBlocked
	}
	return ""
}

// staleInput names the first policy input that was missing or stale.
func staleInput(r *controller.Record) string {
	for _, p := range r.Proposals {
		if !p.OK {
			return fmt.Sprintf("policy %s proposed nothing (%s)", p.Policy, p.Reason)
		}
	}
	for _, in := range r.Inputs {
		if in.Stale {
			return fmt.Sprintf("input %s/%s stale (%s old)", in.Policy, in.Name, in.Age)
		}
	}
	return ""
}

// missingInput names the first input that could not be read or was stale:
// what faults cause. A policy that proposes nothing for another reason (a
// utilization metric with no serving instance) is not one.
func missingInput(r *controller.Record) string {
	for _, p := range r.Proposals {
		if !p.OK && (strings.HasPrefix(p.Reason, "input missing") || strings.HasPrefix(p.Reason, "no input") ||
			strings.HasPrefix(p.Reason, "no datapoints") || strings.Contains(p.Reason, "stale")) {
			return fmt.Sprintf("policy %s proposed nothing (%s)", p.Policy, p.Reason)
		}
	}
	for _, in := range r.Inputs {
		if in.Stale {
			return fmt.Sprintf("input %s/%s stale (%s old)", in.Policy, in.Name, in.Age)
		}
	}
	return ""
}
