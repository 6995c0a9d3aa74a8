package baseline

import "time"

// static is the static-peak baseline.
type static struct{ capacity int }

// NewStatic returns the "static-peak" baseline: a group held at one
// capacity for the whole run, as sized for the peak by someone who knew it.
// A negative capacity counts as 0.
func NewStatic(capacity int) Policy { return &static{capacity: max(capacity, 0)} }

// Name implements Policy.
func (p *static) Name() string { return NameStatic }

// Decide implements Policy.
func (p *static) Decide(t Tick) (int, bool) {
	return p.capacity, p.capacity != t.Desired
}

// oracle is the oracle baseline.
type oracle struct {
	step, lead time.Duration
	// k is how many steps after the first the look-ahead window always
	// spans: lead / step, rounded down.
	k int
	// ahead[i] is the maximum of demand[i..i+k], ahead1[i] that of
	// demand[i..i+k+1] (indexes clamped to the demand's end).
	ahead, ahead1 []int
	start         time.Time
	started       bool
}

// NewOracle returns the "oracle" baseline, which knows the future:
// demand[i] is the need at offset i*step from the run start (the first
// Tick's Now), and the desired capacity at t is the maximum demand over
// [t, t+lead]. With lead one launch time plus the warmup, capacity is
// ordered one launch ahead of need and released only when no need within
// lead remains. Past the end of demand its last value holds; with no
// demand, or a step that is not positive, it never acts.
func NewOracle(demand []int, step, lead time.Duration) Policy {
	p := &oracle{step: step, lead: max(lead, 0)}
	if len(demand) == 0 || step <= 0 {
		return p
	}
	p.k = int(p.lead / step)
	p.ahead = windowMax(demand, p.k+1)
	p.ahead1 = windowMax(demand, p.k+2)
	return p
}

// windowMax returns m with m[i] = max(d[i : i+w]), the window clamped to
// the end of d, in one pass with a monotonic queue.
func windowMax(d []int, w int) []int {
	m := make([]int, len(d))
	q := make([]int, 0, len(d)) // indexes of d, values decreasing
	next := 0                   // the next index to enter the queue
	for i := range d {
		for ; next < len(d) && next < i+w; next++ {
			for len(q) > 0 && d[q[len(q)-1]] <= d[next] {
				q = q[:len(q)-1]
			}
			q = append(q, next)
		}
		for q[0] < i {
			q = q[1:]
		}
		m[i] = max(d[q[0]], 0)
	}
	return m
}

// Name implements Policy.
func (p *oracle) Name() string { return NameOracle }

// Decide implements Policy.
func (p *oracle) Decide(t Tick) (int, bool) {
	if len(p.ahead) == 0 {
		return 0, false
	}
	if !p.started {
		p.started, p.start = true, t.Now
	}
	off := max(t.Now.Sub(p.start), 0)
	i := int(off / p.step)
	if i >= len(p.ahead) {
		i = len(p.ahead) - 1
	}
	// [off, off+lead] reaches index (off+lead)/step: k steps past i, or
	// k+1 when off sits far enough into its step.
	want := p.ahead[i]
	if int((off+p.lead)/p.step) > i+p.k {
		want = p.ahead1[i]
	}
	return want, want != t.Desired
}
