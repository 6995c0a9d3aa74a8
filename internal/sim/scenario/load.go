package scenario

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Load is the arrivals of one run, deterministic for a seed.
type Load struct {
	// Rates is the expected arrival rate (messages/s) in each second of the
	// run: len is Duration in seconds; every rate is >= 0 and includes the
	// noise.
	Rates []float64
	// Bursts are messages that arrive all at once, sorted by At.
	Bursts []Burst
}

// Burst is a batch of messages that arrive at one moment.
type Burst struct {
	At       time.Duration
	Messages int
}

// Load returns the arrivals of one run. The additive components (constant,
// step, ramp, spike, sinusoid, trace) are summed in each second, each
// evaluated at the start of that second; the noise components then
// multiply the sum, and the total is clamped at 0. The same seed gives the
// same Load; only the noise depends on it.
func (s *Scenario) Load(seed uint64) Load {
	n := int(s.Duration / time.Second)
	l := Load{Rates: make([]float64, n)}
	type seeded struct {
		c     noiseLoad
		index int
	}
	var noises []seeded
	for i, c := range s.components {
		switch c := c.(type) {
		case noiseLoad:
			noises = append(noises, seeded{c, i})
		case burstLoad:
			l.Bursts = append(l.Bursts, Burst{At: c.at, Messages: c.messages})
		case adder:
			c.add(l.Rates)
		}
	}
	for _, nz := range noises {
		// Each noise component has its own stream, so that adding a
		// component to a file does not change the others' noise.
		r := rand.New(rand.NewPCG(seed, noiseStream^uint64(nz.index)))
		nz.c.apply(l.Rates, r)
	}
	for i, v := range l.Rates {
		if !(v > 0) {
			l.Rates[i] = 0
		}
	}
	slices.SortStableFunc(l.Bursts, func(a, b Burst) int {
		switch {
		case a.At < b.At:
			return -1
		case a.At > b.At:
			return 1
		}
		return 0
	})
	return l
}

// noiseStream salts the noise generators' stream ids.
const noiseStream = 0x6e6f697365

// component is one entry of the file's `load:` list.
type component interface {
	kind() string
}

// adder is a component that adds a rate to each second.
type adder interface {
	component
	add(rates []float64)
}

// forever is an `until` that was not given.
const forever = time.Duration(math.MaxInt64)

// sec converts a whole-second offset to an index, capped at n.
func sec(d time.Duration, n int) int {
	if d >= time.Duration(n)*time.Second {
		return n
	}
	return int(d / time.Second)
}

// constantLoad adds rate everywhere.
type constantLoad struct{ rate float64 }

func (constantLoad) kind() string { return "constant" }

func (c constantLoad) add(rates []float64) {
	for i := range rates {
		rates[i] += c.rate
	}
}

// stepLoad adds rate during [at, until).
type stepLoad struct {
	at, until time.Duration
	rate      float64
}

func (stepLoad) kind() string { return "step" }

func (c stepLoad) add(rates []float64) {
	for i := sec(c.at, len(rates)); i < sec(c.until, len(rates)); i++ {
		rates[i] += c.rate
	}
}

// rampLoad rises linearly from 0 at from to rate at to, then holds rate
// until until.
type rampLoad struct {
	from, to, until time.Duration
	rate            float64
}

func (rampLoad) kind() string { return "ramp" }

func (c rampLoad) add(rates []float64) {
	from, to := c.from.Seconds(), c.to.Seconds()
	for i := sec(c.from, len(rates)); i < sec(c.until, len(rates)); i++ {
		if t := float64(i); t < to {
			rates[i] += c.rate * (t - from) / (to - from)
		} else {
			rates[i] += c.rate
		}
	}
}

// spikeLoad rises linearly from 0 at at to peak over rise, then decays
// exponentially with time constant decay.
type spikeLoad struct {
	at, rise, decay time.Duration
	peak            float64
}

func (spikeLoad) kind() string { return "spike" }

func (c spikeLoad) add(rates []float64) {
	rise, decay := c.rise.Seconds(), c.decay.Seconds()
	for i := sec(c.at, len(rates)); i < len(rates); i++ {
		dt := float64(i) - c.at.Seconds()
		if dt < rise {
			rates[i] += c.peak * dt / rise
		} else {
			rates[i] += c.peak * math.Exp(-(dt-rise)/decay)
		}
	}
}

// sinusoidLoad adds amplitude*cos(2π(t-phase)/period): its peak is at
// phase, its troughs half a period away.
type sinusoidLoad struct {
	period, phase time.Duration
	amplitude     float64
}

func (sinusoidLoad) kind() string { return "sinusoid" }

func (c sinusoidLoad) add(rates []float64) {
	w := 2 * math.Pi / c.period.Seconds()
	ph := c.phase.Seconds()
	for i := range rates {
		rates[i] += c.amplitude * math.Cos(w*(float64(i)-ph))
	}
}

// noiseLoad multiplies each second by 1 + relative*x, where x is an AR(1)
// process with unit variance whose autocorrelation falls by 1/e over
// correlation (white noise when correlation is 0).
type noiseLoad struct {
	relative    float64
	correlation time.Duration
}

func (noiseLoad) kind() string { return "noise" }

func (c noiseLoad) apply(rates []float64, r *rand.Rand) {
	phi := 0.0
	if c.correlation > 0 {
		phi = math.Exp(-1 / c.correlation.Seconds())
	}
	innovation := math.Sqrt(1 - phi*phi)
	x := r.NormFloat64()
	for i := range rates {
		if i > 0 {
			x = phi*x + innovation*r.NormFloat64()
		}
		rates[i] *= 1 + c.relative*x
	}
}

// burstLoad is messages that arrive at once.
type burstLoad struct {
	at       time.Duration
	messages int
}

func (burstLoad) kind() string { return "burst" }

// traceLoad replays a trace's rates times factor, each row held until the
// next, and repeats the trace when it is shorter than the run.
type traceLoad struct {
	file   string
	rows   []traceRow
	cycle  int64 // seconds
	factor float64
}

func (traceLoad) kind() string { return "trace" }

func (c traceLoad) add(rates []float64) {
	k := 0
	for i := range rates {
		t := int64(i) % c.cycle
		if t == 0 {
			k = 0
		}
		for k+1 < len(c.rows) && c.rows[k+1].start <= t {
			k++
		}
		rates[i] += c.rows[k].rate * c.factor
	}
}
