package baseline

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// steps returns n steps of one second.
func steps(n int) time.Duration { return time.Duration(n) * time.Second }

// fixedLaunch is a launch time of n steps for every launch.
func fixedLaunch(n int) func(int) time.Duration {
	return func(int) time.Duration { return steps(n) }
}

// oracleIn is a one-second-step input with instances of conc messages,
// each taking one step.
func oracleIn(arrivals []int, conc float64, slo, lo, hi int) OracleInput {
	return OracleInput{
		Step: time.Second, Arrivals: arrivals, Concurrency: conc, Service: 1,
		SLO: steps(slo), Warmup: 0, Launch: fixedLaunch(0), Min: lo, Max: hi,
	}
}

func TestPlanOracleNeed(t *testing.T) {
	tests := []struct {
		name string
		in   OracleInput
		want []int
		// wantViolations is 0 unless the SLO cannot be met.
		wantViolations int
	}{
		{
			// C(t) >= A(t-3) = 10(t-2): one instance from step 3 on.
			name: "a steady load is taken as late as the SLO allows",
			in:   oracleIn(repeatInt(10, 12), 10, 3, 0, 5),
			want: []int{0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1},
		},
		{
			// 40 messages due by step 5: as late as possible would be 4
			// instances in step 5; the taut string spreads them over
			// steps 2-5 instead, one instance each.
			name: "a batch is spread up to its deadline",
			in:   oracleIn([]int{40, 0, 0, 0, 0, 0, 0, 0}, 10, 5, 0, 4),
			want: []int{0, 0, 1, 1, 1, 1, 0, 0},
		},
		{
			// The batch lands in step 2 and is due by step 5: the
			// capacity goes into steps 2-5, none before the work.
			name: "no capacity before the work arrives",
			in:   oracleIn([]int{0, 0, 40, 0, 0, 0, 0, 0, 0}, 10, 3, 0, 4),
			want: []int{0, 0, 1, 1, 1, 1, 0, 0, 0},
		},
		{
			// 15 a step due 4 steps later: the greedy alone alternates
			// 2, 1, 2, 1 from step 4; under the string (9 a step) one
			// instance a step from step 1 does the same work.
			name: "the taut string smooths a flicker",
			in:   oracleIn(repeatInt(15, 10), 10, 4, 0, 5),
			want: []int{0, 1, 1, 1, 1, 1, 1, 1, 1, 1},
		},
		{
			name: "the group's max is used in full",
			in:   oracleIn([]int{60, 0, 0, 0, 0, 0}, 10, 2, 0, 2),
			want: []int{2, 2, 2, 0, 0, 0},
		},
		{
			// 60 messages due by step 2 with 10 a step: impossible; the
			// plan serves at the max and the oldest waits too long.
			name:           "a max too low for the SLO",
			in:             oracleIn([]int{60, 0, 0, 0, 0, 0}, 10, 2, 0, 1),
			want:           []int{1, 1, 1, 1, 1, 1},
			wantViolations: 2,
		},
		{
			name: "the group's min serves first",
			in:   oracleIn(repeatInt(5, 6), 10, 3, 2, 5),
			want: []int{2, 2, 2, 2, 2, 2},
		},
		{
			name: "no arrivals, no capacity",
			in:   oracleIn(repeatInt(0, 5), 10, 3, 0, 5),
			want: []int{0, 0, 0, 0, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := PlanOracle(tc.in)
			if !slices.Equal(p.Need, tc.want) {
				t.Fatalf("Need = %v, want %v", p.Need, tc.want)
			}
			if p.Violations != tc.wantViolations || p.Short != 0 {
				t.Fatalf("violations %d, short %d; want %d, 0", p.Violations, p.Short, tc.wantViolations)
			}
		})
	}
}

func TestCompact(t *testing.T) {
	// 15 messages a step, due 4 steps later. As late as possible, the
	// second instance runs in steps 4, 6 and 8; pulled back into the dips
	// it runs in steps 4-6, and the queue still meets every deadline.
	m := newQueueModel(oracleIn(repeatInt(15, 10), 10, 4, 0, 5))
	s := []int{0, 0, 0, 0, 2, 1, 2, 1, 2, 1}
	if v, _ := m.violations(s); v != 0 {
		t.Fatalf("the greedy's plan %v violates the SLO", s)
	}
	m.compact(s, m.served(s), 0, 0)
	if want := []int{0, 0, 0, 0, 2, 2, 2, 1, 1, 1}; !slices.Equal(s, want) {
		t.Fatalf("compacted %v, want %v", s, want)
	}
}

func TestLauncher(t *testing.T) {
	tests := []struct {
		name        string
		need        []int
		launch      func(int) time.Duration
		warmup      int
		lo, hi      int
		wantInitial int
		wantDesired []int
		weights     []int
	}{
		{
			// Two more instances serve from step 5: launched at step 2,
			// Pending for 2 steps, warming for 1. Released after step 8.
			name:        "launched one launch and warmup ahead, released at once",
			need:        []int{1, 1, 1, 1, 1, 3, 3, 3, 3, 1, 1, 1},
			launch:      fixedLaunch(2),
			warmup:      1,
			lo:          1,
			hi:          5,
			wantInitial: 1,
			wantDesired: []int{1, 1, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1},
		},
		{
			// A relaunch takes 3 steps; the dip lasts 2.
			name:        "an instance idle for less than a relaunch is kept",
			need:        []int{2, 2, 2, 1, 1, 2, 2, 2},
			launch:      fixedLaunch(2),
			warmup:      1,
			lo:          1,
			hi:          5,
			wantInitial: 2,
			wantDesired: []int{2, 2, 2, 2, 2, 2, 2, 2},
		},
		{
			// The dip lasts 3 steps, as long as a relaunch: removed after
			// step 1, relaunched after step 2, serving again at step 5.
			name:        "an instance idle for a relaunch or more is replaced",
			need:        []int{2, 2, 1, 1, 1, 2, 2, 2},
			launch:      fixedLaunch(2),
			warmup:      1,
			lo:          1,
			hi:          5,
			wantInitial: 2,
			wantDesired: []int{2, 1, 2, 2, 2, 2, 2, 2},
		},
		{
			// A launch takes 5 steps: nothing ordered at the start serves
			// by step 2, so the group starts with 3.
			name:        "the initial capacity covers a rise no launch can meet",
			need:        []int{1, 1, 3, 3, 3, 3, 3, 3},
			launch:      fixedLaunch(5),
			lo:          1,
			hi:          5,
			wantInitial: 3,
			wantDesired: []int{3, 3, 3, 3, 3, 3, 3, 3},
		},
		{
			// The initial instance takes draw 0. Launch 1 takes 4 steps
			// and is due at step 6: ordered at step 2. Launch 2 takes 1
			// step and is due at step 7: ordered at step 6.
			name:        "each launch is ordered its own launch time ahead",
			need:        []int{1, 1, 1, 1, 1, 1, 2, 3, 3, 3},
			launch:      durations(0, 4, 1),
			lo:          1,
			hi:          5,
			wantInitial: 1,
			wantDesired: []int{1, 1, 2, 2, 2, 2, 3, 3, 3, 3},
		},
		{
			// Launch 1 takes 1 step (due at 6: step 5), launch 2 takes 4
			// (due at 7: step 3). Launches happen in order, so both go at
			// step 3.
			name:        "a slow later launch pulls an earlier one forward",
			need:        []int{1, 1, 1, 1, 1, 1, 2, 3, 3, 3},
			launch:      durations(0, 1, 4),
			lo:          1,
			hi:          5,
			wantInitial: 1,
			wantDesired: []int{1, 1, 1, 3, 3, 3, 3, 3, 3, 3},
		},
		{
			// Weights 1, 2, 4 in turn: the initial instance is 1 unit;
			// the 2 units missing at step 4 come from launch 1 (2 units,
			// ordered one launch time ahead, after step 3), the next 3 at
			// step 6 from launch 2 (4 units, more than
			// needed, as no smaller launch comes next). Launch 2 leaves
			// after step 7, when need falls back to 3.
			name:        "a weighted group launches and removes whole instances",
			need:        []int{1, 1, 1, 1, 3, 3, 6, 6, 3, 3, 3},
			launch:      fixedLaunch(1),
			weights:     []int{1, 2, 4},
			lo:          1,
			hi:          10,
			wantInitial: 1,
			wantDesired: []int{1, 1, 1, 3, 3, 7, 7, 3, 3, 3, 3},
		},
		{
			name:        "never above the max",
			need:        []int{1, 1, 1, 1, 4, 4, 4, 4},
			launch:      fixedLaunch(1),
			lo:          1,
			hi:          2,
			wantInitial: 1,
			wantDesired: []int{1, 1, 1, 2, 2, 2, 2, 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := OracleInput{Step: time.Second, Warmup: steps(tc.warmup), Launch: tc.launch, Min: tc.lo, Max: tc.hi}
			if len(tc.weights) > 0 {
				in.Weight = func(k int) int { return tc.weights[k%len(tc.weights)] }
			}
			l := &launcher{in: in, need: tc.need, step: time.Second, min: tc.lo, max: tc.hi}
			initial, desired, serving, billed, _ := l.run()
			if initial != tc.wantInitial || !slices.Equal(desired, tc.wantDesired) {
				t.Fatalf("initial %d, desired %v; want %d, %v", initial, desired, tc.wantInitial, tc.wantDesired)
			}
			ws, wb := followPlan(in, initial, desired)
			if !slices.Equal(serving, ws) || !slices.Equal(billed, wb) {
				t.Fatalf("predicted serving %v, billed %v; the group does %v, %v", serving, billed, ws, wb)
			}
		})
	}
}

func TestTautString(t *testing.T) {
	tests := []struct {
		name         string
		lower, upper []float64
		want         []float64
	}{
		{
			name:  "a straight line where the tube allows",
			lower: []float64{0, 0, 0, 0, 8},
			upper: []float64{0, 9, 9, 9, 8},
			want:  []float64{0, 2, 4, 6, 8},
		},
		{
			name:  "bends up around a lower bound",
			lower: []float64{0, 0, 6, 6, 6},
			upper: []float64{0, 9, 9, 9, 6},
			want:  []float64{0, 3, 6, 6, 6},
		},
		{
			name:  "bends down under an upper bound",
			lower: []float64{0, 0, 0, 0, 8},
			upper: []float64{0, 0, 0, 9, 8},
			want:  []float64{0, 0, 0, 4, 8},
		},
		{
			name:  "a single point",
			lower: []float64{3},
			upper: []float64{3},
			want:  []float64{3},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tautString(tc.lower, tc.upper)
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-9 {
					t.Fatalf("string %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestTautStringIsTaut checks the string on random tubes: it stays inside
// the tube, and wherever it turns it touches the bound that turns it (it
// turns up where an upper bound holds it down, and down where a lower
// bound holds it up), which makes it the shortest path.
func TestTautStringIsTaut(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 500 {
		n := 1 + r.IntN(60)
		lower := make([]float64, n+1)
		upper := make([]float64, n+1)
		var a float64
		for i := 1; i <= n; i++ {
			a += float64(r.IntN(12))
			upper[i] = a
			lower[i] = math.Max(0, a-float64(r.IntN(30)))
		}
		lower[n] = math.Max(0, lower[n]-float64(r.IntN(5)))
		upper[n] = lower[n]
		x := tautString(lower, upper)
		const eps = 1e-6
		for i := range x {
			if x[i] < lower[i]-eps || x[i] > upper[i]+eps {
				t.Fatalf("trial %d: x[%d] = %g outside [%g, %g]", trial, i, x[i], lower[i], upper[i])
			}
		}
		for i := 1; i < n; i++ {
			turn := (x[i+1] - x[i]) - (x[i] - x[i-1])
			switch {
			case turn > eps && x[i] < upper[i]-eps:
				t.Fatalf("trial %d: turns up at %d off the upper bound\nlower %v\nupper %v\nx %v", trial, i, lower, upper, x)
			case turn < -eps && x[i] > lower[i]+eps:
				t.Fatalf("trial %d: turns down at %d off the lower bound\nlower %v\nupper %v\nx %v", trial, i, lower, upper, x)
			}
		}
	}
}

// randomInput is a random run: bursty arrivals around a changing rate,
// instances of 1-3 step messages, an SLO of 2-40 steps, and launch times
// of 0-8 steps with a 0-4 step warmup.
func randomInput(r *rand.Rand, fixed bool) OracleInput {
	n := 60 + r.IntN(240)
	arrivals := make([]int, n)
	rate := r.Float64() * 40
	for i := range arrivals {
		if r.IntN(20) == 0 {
			rate = r.Float64() * 40
		}
		arrivals[i] = int(rate * r.Float64() * 2)
		if r.IntN(50) == 0 {
			arrivals[i] += r.IntN(400)
		}
	}
	service := 1 + r.IntN(3)
	if r.IntN(2) == 0 {
		service = 1
	}
	conc := []float64{10, 7.5, 3, 25}[r.IntN(4)] * float64(service)
	draws := make([]time.Duration, 0)
	launch := func(k int) time.Duration {
		for len(draws) <= k {
			draws = append(draws, steps(r.IntN(9)))
		}
		return draws[k]
	}
	if fixed {
		launch = fixedLaunch(1 + r.IntN(8))
	}
	lo := r.IntN(3)
	return OracleInput{
		Step: time.Second, Arrivals: arrivals, Concurrency: conc, Service: service,
		SLO: steps(2 + r.IntN(39)), Warmup: steps(r.IntN(5)), Launch: launch,
		Min: lo, Max: 1000,
	}
}

// TestOracleProperties plans random runs and checks what the oracle
// promises: the greedy's serving plan meets the SLO less the margin,
// checked message by message, and (for one-step messages) no single
// instance-step of it can be left out; the caps cost few instance-steps;
// compaction keeps the instance-steps and the SLO and does not add runs;
// and the launches give every step its planned serving capacity, as the
// group's own rules play them out, so the run meets the SLO.
func TestOracleProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	wr := rand.New(rand.NewPCG(7, 8)) // weights, apart so the unweighted trials stay as they were
	for trial := range 400 {
		in := randomInput(r, false)
		if trial >= 300 {
			// A weighted group: its types in turn, weights 1-8.
			ws := make([]int, 1+wr.IntN(4))
			for i := range ws {
				ws[i] = 1 + wr.IntN(8)
			}
			in.Weight = func(k int) int { return ws[k%len(ws)] }
		}
		m := newQueueModel(in)
		limit := m.wait - oracleMargin
		lo := in.Min

		greedy := m.greedy(lo, in.Max, nil)
		if age := oldestWait(in, greedy); age > limit {
			t.Fatalf("trial %d: the greedy's plan lets a message wait %d steps, limit %d", trial, age, limit)
		}
		if in.Service == 1 {
			for i := range greedy {
				if greedy[i] <= lo {
					continue
				}
				greedy[i]--
				if oldestWait(in, greedy) <= limit {
					t.Fatalf("trial %d: the plan still meets the SLO without one instance in step %d", trial, i)
				}
				greedy[i]++
			}
		}

		if in.Service == 1 {
			// The caps trade instance-steps for a smoother shape; on these
			// runs the trade stays within 2% (5% allowed).
			if capped := sum(m.need(lo, in.Max)); float64(capped) > 1.05*float64(sum(greedy))+2 {
				t.Fatalf("trial %d: %d instance-steps under the caps, %d without", trial, capped, sum(greedy))
			}
		}

		compacted := slices.Clone(greedy)
		m.compact(compacted, m.served(compacted), lo, r.IntN(10))
		if sum(compacted) != sum(greedy) || runs(compacted) > runs(greedy) {
			t.Fatalf("trial %d: compaction changed %d instance-steps in %d runs to %d in %d", trial, sum(greedy), runs(greedy), sum(compacted), runs(compacted))
		}
		if age := oldestWait(in, compacted); age > limit {
			t.Fatalf("trial %d: the compacted plan lets a message wait %d steps, limit %d", trial, age, limit)
		}

		p := PlanOracle(in)
		if p.Short != 0 || p.Violations != 0 {
			t.Fatalf("trial %d: plan short %d steps, %d violations", trial, p.Short, p.Violations)
		}
		for i := range p.Need {
			if p.Serving[i] < p.Need[i] || p.Desired[i] < in.Min || p.Desired[i] > in.Max {
				t.Fatalf("trial %d step %d: need %d, serving %d, desired %d", trial, i, p.Need[i], p.Serving[i], p.Desired[i])
			}
		}
		serving, billed := followPlan(in, p.Initial, p.Desired)
		if !slices.Equal(serving, p.Serving) || !slices.Equal(billed, p.Billed) {
			t.Fatalf("trial %d: the group serves %v, billed %v; the plan predicted %v, %v", trial, serving, billed, p.Serving, p.Billed)
		}
		if age := oldestWait(in, serving); age > m.wait {
			t.Fatalf("trial %d: a message waits %d steps, SLO %d", trial, age, m.wait)
		}
	}
}

// TestOracleLaunchesAreTight checks, with a fixed launch time, that no
// billed instance-step of the plan can be left out: one instance fewer
// after any step (but the last, which bills nothing) leaves some later step
// below its planned serving capacity, because a launch could not be later,
// a removal could not be earlier, and an instance kept idle could not be
// relaunched in time.
func TestOracleLaunchesAreTight(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 150 {
		in := randomInput(r, true)
		p := PlanOracle(in)
		for i := 0; i < len(p.Desired)-1; i++ {
			if p.Desired[i] <= in.Min {
				continue
			}
			d := slices.Clone(p.Desired)
			d[i]--
			serving, _ := followPlan(in, p.Initial, d)
			short := false
			for j := range serving {
				if serving[j] < p.Need[j] {
					short = true
					break
				}
			}
			if !short {
				t.Fatalf("trial %d: one instance fewer after step %d still serves the plan\nneed    %v\ndesired %v", trial, i, p.Need, p.Desired)
			}
		}
	}
}

// followPlan plays desired capacities out as EC2 Auto Scaling does in the
// emulator, written out independently of the planner: the group starts
// with initial instances InService (they take the first launch times);
// after step i the desired capacity becomes desired[i], launching
// instances that are Pending for their launch time, or removing the newest
// Pending ones and then the newest InService ones. An instance serves once
// it has been InService for the warmup; Pending and InService instances
// are billed.
func followPlan(in OracleInput, initial int, desired []int) (serving, billed []int) {
	type inst struct {
		inService time.Duration
		warm      bool // started with the group: serving from the start
		units     int
	}
	weight := func(k int) int {
		if in.Weight == nil {
			return 1
		}
		return max(in.Weight(k), 1)
	}
	var group []inst
	have, k := 0, 0
	// AWS fills a desired capacity with whole instances, even if that
	// overshoots it, and a scale-in removes an instance only while what
	// remains still covers desired: the newest Pending first, then the
	// newest InService.
	for have < initial {
		group = append(group, inst{warm: true, units: weight(k)})
		have += weight(k)
		k++
	}
	serving, billed = make([]int, len(desired)), make([]int, len(desired))
	for i := range desired {
		now := time.Duration(i) * in.Step
		billed[i] = have
		for _, g := range group {
			if g.warm || g.inService+in.Warmup <= now {
				serving[i] += g.units
			}
		}
		for have < desired[i] {
			group = append(group, inst{inService: now + in.Launch(k), units: weight(k)})
			have += weight(k)
			k++
		}
		for _, pending := range []bool{true, false} {
			for j := len(group) - 1; j >= 0 && have > desired[i]; j-- {
				if g := group[j]; (g.inService > now) == pending && have-g.units >= desired[i] {
					group = slices.Delete(group, j, j+1)
					have -= g.units
				}
			}
		}
	}
	return serving, billed
}

// oldestWait plays the queue message by message, as the world does, with
// serving[i] instances in step i, and returns the longest time in steps a
// message waited before an instance took it.
func oldestWait(in OracleInput, serving []int) int {
	type batch struct{ at, n int }
	var queue []batch
	finishing := make([]int, len(serving)+in.Service+1)
	inFlight, longest := 0, 0
	for i, s := range serving {
		inFlight -= finishing[i]
		if in.Arrivals[i] > 0 {
			queue = append(queue, batch{i, in.Arrivals[i]})
		}
		free := int(math.Floor(float64(s)*in.Concurrency)) - inFlight
		for free > 0 && len(queue) > 0 {
			take := min(free, queue[0].n)
			queue[0].n -= take
			free -= take
			inFlight += take
			finishing[i+in.Service] += take
			if queue[0].n == 0 {
				queue = queue[1:]
			}
		}
		if len(queue) > 0 {
			longest = max(longest, i-queue[0].at)
		}
	}
	return longest
}

// durations returns the launch times of launches 0, 1, ... in steps; later
// launches take as long as the last.
func durations(n ...int) func(int) time.Duration {
	return func(k int) time.Duration { return steps(n[min(k, len(n)-1)]) }
}

func repeatInt(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

// runs counts the runs of every level of s: one per step where a level
// starts.
func runs(s []int) int {
	n, prev := 0, 0
	for _, v := range s {
		n += max(v-prev, 0)
		prev = v
	}
	return n
}

func TestOracleFollowsItsPlan(t *testing.T) {
	plan := OraclePlan{Desired: []int{3, 3, 5, 5, 2}}
	p := NewOracle(plan, 10*time.Second)
	if p.Name() != NameOracle {
		t.Errorf("Name() = %q", p.Name())
	}
	// Steps of 10 s: 5 from 20 s, 2 from 40 s, and the last value holds.
	wantDecisions(t, run(t, p, nil, group(3, 0, 100), 100, nil), map[int]int{20: 5, 40: 2})
}

func TestOracleWithoutPlan(t *testing.T) {
	tests := []struct {
		name string
		plan OraclePlan
		step time.Duration
	}{
		{"no plan", OraclePlan{}, time.Second},
		{"zero step", OraclePlan{Desired: []int{3}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewOracle(tc.plan, tc.step)
			wantDecisions(t, run(t, p, nil, group(1, 0, 10), 5, nil), map[int]int{})
		})
	}
}

func TestPlanOracleEmpty(t *testing.T) {
	p := PlanOracle(OracleInput{Step: time.Second, Min: 2, Max: 5})
	if p.Initial != 2 || len(p.Desired) != 0 {
		t.Fatalf("plan %+v, want the min and no steps", p)
	}
}

func TestStatic(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		group    Tick
		want     map[int]int
	}{
		{"sets its capacity once", 7, group(3, 1, 10), map[int]int{0: 7}},
		{"already there", 7, group(7, 1, 10), map[int]int{}},
		{"negative is zero", -3, group(2, 0, 10), map[int]int{0: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewStatic(tc.capacity)
			if p.Name() != NameStatic {
				t.Errorf("Name() = %q", p.Name())
			}
			wantDecisions(t, run(t, p, nil, tc.group, 60, nil), tc.want)
		})
	}
}

// TestInvalidConfigsNeverAct checks that a baseline built from an invalid
// configuration holds the group whatever it sees, without panicking.
func TestInvalidConfigsNeverAct(t *testing.T) {
	cw := newFakeCW()
	cw.backlog(1, repeat(1e6, 30)...)
	tests := []struct {
		name string
		p    Policy
	}{
		{"target tracking without target", NewTargetTracking(TargetTrackingConfig{})},
		{"step with NaN threshold", NewStep(StepConfig{Threshold: missing})},
		{"hpa without target", NewHPA(HPAConfig{})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := group(1, 1, 100)
			g.Queue = Queue{Visible: 1e6}
			wantDecisions(t, run(t, tc.p, cw, g, 1800, nil), map[int]int{})
		})
	}
}
