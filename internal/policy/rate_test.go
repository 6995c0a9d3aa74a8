package policy

import (
	"math"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	// One unit serves mu = 1 message/s; L = 100 s, so the budget is 100 s of
	// arrivals.
	base := Queue{Name: "q", SecondsPerMessage: 1, AcceptableLatency: 100 * time.Second}
	with := func(f func(*Queue)) Queue { q := base; f(&q); return q }
	cases := []struct {
		name             string
		q                Queue
		b, lambda, S, C  float64
		T                float64
		projected, bud   float64
		excess, need     float64
		onItsWay         float64
		term             string
		surgeOver        bool
		rate, drain, flr float64
	}{
		{name: "steady at the budget: capacity for the arrivals",
			q: base, b: 1000, lambda: 10, S: 10, C: 10, T: 120,
			projected: 1000, bud: 1000, excess: 0, need: 10, term: TermRate, rate: 10, drain: 0, flr: 8.8},
		// Bp = 1000 + (30 - 10) * 120 = 3400: the backlog the surge builds
		// while new capacity launches is anticipated.
		{name: "a surge: the growth during the launch is anticipated",
			q: base, b: 1000, lambda: 30, S: 10, C: 10, T: 120,
			projected: 3400, bud: 3000, excess: 400, need: 34, term: TermDrain, rate: 30, drain: 4, flr: 26.4},
		// The 20 units on their way serve half of T on average:
		// Bp = 1000 + (30 - 20) * 120 = 2200, below the budget.
		{name: "capacity on its way is credited",
			q: base, b: 1000, lambda: 30, S: 10, C: 30, T: 120,
			projected: 2200, bud: 3000, excess: -800, need: 26.4, onItsWay: 20, term: TermFloor, rate: 30, drain: -8, flr: 26.4},
		{name: "a backlog above the budget is drained within L",
			q: base, b: 5000, lambda: 10, S: 10, C: 10, T: 0,
			projected: 5000, bud: 1000, excess: 4000, need: 50, term: TermDrain, rate: 10, drain: 40, flr: 8.8},
		// 3000 waiting now, above the budget of 1000; by the time new
		// capacity serves (200 s), the 40 units ordered have drained it.
		{name: "a surge over before new capacity could serve",
			q: base, b: 3000, lambda: 10, S: 10, C: 40, T: 200,
			projected: 0, bud: 1000, excess: -1000, need: 8.8, onItsWay: 30, term: TermFloor, surgeOver: true,
			rate: 10, drain: -10, flr: 8.8},
		{name: "no arrivals and nothing serving: drain what waits",
			q: base, b: 500, lambda: 0, S: 0, C: 0, T: 60,
			projected: 500, bud: 0, excess: 500, need: 5, term: TermDrain, rate: 0, drain: 5, flr: 0},
		{name: "nothing at all",
			q: base, term: TermRate},
		// theta 0.5, eta 2, kappa 0.2, u 0.8, concurrency 2 (mu = 2):
		// budget 0.5 * 10 * 100 = 500; E = -500; 10 / 1.6 - 500 / 400.
		{name: "every constant set",
			q: with(func(q *Queue) {
				q.Budget, q.Drain, q.RefillSlack, q.TargetUtilization, q.Concurrency = 0.5, 2, 0.2, 0.8, 2
			}),
			b: 0, lambda: 10, S: 5, C: 5, T: 0,
			projected: 0, bud: 500, excess: -500, need: 5, term: TermRefill, rate: 6.25, drain: -1.25, flr: 4},
		{name: "a projected backlog is never negative",
			q: base, b: 10, lambda: 1, S: 50, C: 50, T: 600,
			projected: 0, bud: 100, excess: -100, need: 0.88, term: TermFloor, rate: 1, drain: -1, flr: 0.88},
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := plan(&tc.q, tc.b, tc.lambda, tc.lambda, tc.S, tc.C, tc.T)
			for _, f := range []struct {
				name      string
				got, want float64
			}{
				{"Projected", d.Projected, tc.projected}, {"Budget", d.Budget, tc.bud}, {"Excess", d.Excess, tc.excess},
				{"Need", d.Need, tc.need}, {"OnItsWay", d.OnItsWay, tc.onItsWay}, {"Rate", d.Rate, tc.rate},
				{"Drain", d.Drain, tc.drain}, {"Floor", d.Floor, tc.flr},
			} {
				if !near(f.got, f.want) {
					t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
				}
			}
			if d.Term != tc.term || d.SurgeOver != tc.surgeOver {
				t.Errorf("term %q surge over %v, want %q %v", d.Term, d.SurgeOver, tc.term, tc.surgeOver)
			}
		})
	}
}

// rateGroup is a group with one rate-mode policy "p" on queue "q": one
// message per unit-second, L = 100 s, arrivals smoothed over 60 s.
func rateGroup() Group {
	return Group{Name: "g", MaxAge: time.Minute, Policies: []Policy{{Name: "p", Backlog: &Backlog{Queues: []Queue{
		{Name: "q", SecondsPerMessage: 1, AcceptableLatency: 100 * time.Second, Smoothing: time.Minute}}}}}}
}

// reading is a rate group's input at now with the queue's counts.
func reading(now time.Time, current, serving int, visible, inFlight float64) Input {
	return Input{Now: now, Current: current, Serving: serving, ASGMax: 1000, Policies: map[string]PolicyInput{
		"p": {Queues: map[string]QueueObservation{"q": {Visible: visible, InFlight: inFlight, At: now, ReadAt: now}}}}}
}

// steady is a settled state in which queue "q" of policy "p" has held b
// waiting and f in flight for three readings, so lambda = f (s = 1).
func steady(b, f float64, at time.Time) State {
	st := settled()
	st.Arrivals = []Arrival{{Policy: "p", Queue: "q", Backlog: b, InFlight: f, At: at, Raw: [3]float64{f, f, f}, Raws: 3, Lambda: f, Peak: f}}
	return st
}

func lambdaOf(t *testing.T, st State) float64 {
	t.Helper()
	if len(st.Arrivals) != 1 {
		t.Fatalf("arrivals = %+v, want one", st.Arrivals)
	}
	return st.Arrivals[0].Lambda
}

func TestArrivalEstimate(t *testing.T) {
	g := rateGroup()
	ten := 10 * time.Second
	t.Run("the first reading's rate is the throughput", func(t *testing.T) {
		_, st := Decide(g, reading(t0, 10, 10, 500, 8), settled())
		if got := lambdaOf(t, st); got != 8 {
			t.Errorf("lambda = %v, want 8", got)
		}
	})
	t.Run("a steady queue keeps its rate", func(t *testing.T) {
		_, st := Decide(g, reading(t0.Add(ten), 10, 10, 500, 8), steady(500, 8, t0))
		if got := lambdaOf(t, st); got != 8 {
			t.Errorf("lambda = %v, want 8", got)
		}
	})
	t.Run("a drain cancels its own throughput", func(t *testing.T) {
		// 10 busy units complete 10 messages/s and the backlog falls by
		// 100 in 10 s: nothing arrives. The first semantics read 10/s.
		st := steady(100000, 10, t0)
		now, b := t0, 100000.0
		for range 30 {
			now, b = now.Add(ten), b-100
			_, st = Decide(g, reading(now, 10, 10, b, 10), st)
		}
		if got := lambdaOf(t, st); got > 0.1 {
			t.Errorf("lambda = %v after five minutes of draining with no arrivals, want about 0", got)
		}
	})
	t.Run("a growing backlog adds its growth", func(t *testing.T) {
		// 8 completions/s and 40 more waiting every 10 s: 12/s arrive.
		st := steady(500, 8, t0)
		now, b := t0, 500.0
		for range 60 {
			now, b = now.Add(ten), b+40
			_, st = Decide(g, reading(now, 10, 10, b, 8), st)
		}
		if got := lambdaOf(t, st); math.Abs(got-12) > 0.01 {
			t.Errorf("lambda = %v, want 12", got)
		}
	})
	t.Run("one spike is filtered out", func(t *testing.T) {
		st := steady(500, 10, t0)
		_, st = Decide(g, reading(t0.Add(ten), 10, 10, 5500, 10), st) // +5000 in one reading: r = 510
		_, st = Decide(g, reading(t0.Add(2*ten), 10, 10, 5500, 10), st)
		if got := lambdaOf(t, st); got > 11 {
			t.Errorf("lambda = %v after one spike, want about 10", got)
		}
	})
	t.Run("a confirmed jump is taken at once", func(t *testing.T) {
		st := steady(500, 10, t0)
		_, st = Decide(g, reading(t0.Add(ten), 10, 10, 900, 10), st)    // r = 50
		_, st = Decide(g, reading(t0.Add(2*ten), 10, 10, 1300, 10), st) // r = 50: two of three agree
		if got := lambdaOf(t, st); got != 50 {
			t.Errorf("lambda = %v, want 50 at once", got)
		}
	})
	t.Run("a confirmed fall is taken at once", func(t *testing.T) {
		st := steady(1000, 40, t0)
		_, st = Decide(g, reading(t0.Add(ten), 40, 40, 700, 40), st)   // r = 40 - 30 = 10
		_, st = Decide(g, reading(t0.Add(2*ten), 40, 40, 400, 40), st) // r = 10: two of three agree
		if got := lambdaOf(t, st); got != 10 {
			t.Errorf("lambda = %v, want 10 at once", got)
		}
	})
	t.Run("a young surge is projected only as far as it has lasted", func(t *testing.T) {
		st := steady(500, 10, t0)
		in := func(i int, b float64) Input {
			in := reading(t0.Add(time.Duration(i)*ten), 10, 10, b, 10)
			in.Lead = 200 * time.Second
			return in
		}
		_, st = Decide(g, in(1, 900), st)   // r = 50
		d, st := Decide(g, in(2, 1300), st) // r = 50: a jump, the surge begins now
		d3, _ := Decide(g, in(3, 1700), st) // ten seconds old
		if d.Queues[0].Lead != 0 || d3.Queues[0].Lead != ten {
			t.Errorf("projection horizons %s, %s, want 0s, 10s", d.Queues[0].Lead, d3.Queues[0].Lead)
		}
		st2 := steady(500, 10, t0)
		d, _ = Decide(g, in(1, 500), st2)
		if d.Queues[0].Lead != 200*time.Second {
			t.Errorf("steady queue projected over %s, want T = 200s", d.Queues[0].Lead)
		}
	})
	t.Run("smaller changes are smoothed the same per second", func(t *testing.T) {
		for _, every := range []time.Duration{2 * time.Second, 10 * time.Second, 25 * time.Second} {
			st := steady(500, 10, t0)
			now, b := t0, 500.0
			var at100 float64
			for now.Before(t0.Add(10 * time.Minute)) {
				// 20/s arrive, 10/s complete: the backlog grows 10/s.
				now, b = now.Add(every), b+10*every.Seconds()
				_, st = Decide(g, reading(now, 10, 10, b, 10), st)
				if now.Sub(t0) == 100*time.Second {
					at100 = lambdaOf(t, st)
				}
			}
			// tau = 60 s: after 100 s, 1 - e^(-(100 s - one reading's delay
			// of the median) / 60 s) of the step: 17.1 to 18.1 for readings
			// every 25 s to every 2 s. A fixed weight per reading would be
			// at 20 after 100 s of readings every 2 s.
			if at100 < 17 || at100 > 18.2 {
				t.Errorf("every %s: lambda after 100 s = %v, want 17 to 18.2", every, at100)
			}
			if got := lambdaOf(t, st); math.Abs(got-20) > 0.01 {
				t.Errorf("every %s: lambda = %v after 10 minutes, want 20", every, got)
			}
		}
	})
	t.Run("smoothing defaults to the acceptable latency", func(t *testing.T) {
		g := rateGroup()
		g.Policies[0].Backlog.Queues[0].Smoothing = 0
		st := steady(500, 10, t0)
		now, b := t0, 500.0
		for range 10 {
			now, b = now.Add(ten), b+100 // 20/s arrive, 10/s complete
			_, st = Decide(g, reading(now, 10, 10, b, 10), st)
		}
		// tau = L = 100 s: 1 - e^(-(100 s - 10 s) / 100 s) = 59% of the step.
		if got := lambdaOf(t, st); math.Abs(got-15.93) > 0.05 {
			t.Errorf("lambda = %v after 100 s, want about 15.93", got)
		}
	})
	t.Run("a return to a recent level is not a jump", func(t *testing.T) {
		// 50/s for a while, a quiet minute, then 50/s again: the recent
		// peak is remembered, so the return is smoothed in, not taken at
		// once as a surge would be.
		st := steady(0, 50, t0)
		now := t0
		for range 6 { // nothing arrives: the last 50 in flight complete
			now = now.Add(ten)
			_, st = Decide(g, reading(now, 50, 50, 0, 0), st)
		}
		if got := lambdaOf(t, st); got > 1 {
			t.Fatalf("lambda = %v after a quiet minute, want about 0", got)
		}
		for range 2 { // 500 arrive every 10 s, none yet in flight
			now = now.Add(ten)
			_, st = Decide(g, reading(now, 50, 50, 0, 50), st)
		}
		if got := lambdaOf(t, st); got >= 50 {
			t.Errorf("lambda = %v, want the return smoothed in", got)
		}
	})
	t.Run("a level not seen within the memory is a jump", func(t *testing.T) {
		st := steady(0, 50, t0)
		st.Arrivals[0].Lambda = 0
		st.Arrivals[0].Raw = [3]float64{0, 0, 0}
		st.Arrivals[0].At = t0.Add(-2 * time.Hour) // the peak of 50 has decayed to 50 e^-8
		st.Arrivals[0].InFlight = 0
		// Raw rates 25 (the step falls between readings), 50, 50: the
		// median confirms 25, a jump, and the next reading goes on to 50.
		_, st = Decide(g, reading(t0, 50, 50, 0, 50), st)
		_, st = Decide(g, reading(t0.Add(ten), 50, 50, 0, 50), st)
		_, st = Decide(g, reading(t0.Add(2*ten), 50, 50, 0, 50), st)
		if got := lambdaOf(t, st); got != 50 {
			t.Errorf("lambda = %v, want 50 within three readings", got)
		}
	})
	t.Run("never negative", func(t *testing.T) {
		st := steady(5000, 0, t0)
		_, st = Decide(g, reading(t0.Add(ten), 10, 10, 0, 0), st)
		_, st = Decide(g, reading(t0.Add(2*ten), 10, 10, 0, 0), st)
		if got := lambdaOf(t, st); got < 0 {
			t.Errorf("lambda = %v", got)
		}
	})
	t.Run("a reading no newer than the last changes nothing", func(t *testing.T) {
		st := steady(500, 10, t0)
		_, next := Decide(g, reading(t0, 10, 10, 9000, 90), st)
		if next.Arrivals[0] != st.Arrivals[0] {
			t.Errorf("arrival = %+v, want unchanged %+v", next.Arrivals[0], st.Arrivals[0])
		}
	})
	t.Run("carried over a missing or stale reading", func(t *testing.T) {
		st := steady(500, 10, t0)
		miss := reading(t0.Add(ten), 10, 10, 0, 0)
		miss.Policies["p"] = PolicyInput{Missing: "throttled"}
		stale := reading(t0, 10, 10, 900, 0)
		stale.Now = t0.Add(5 * time.Minute)
		for _, in := range []Input{miss, stale} {
			_, next := Decide(g, in, st)
			if len(next.Arrivals) != 1 || next.Arrivals[0] != st.Arrivals[0] {
				t.Errorf("arrivals = %+v, want carried over %+v", next.Arrivals, st.Arrivals)
			}
		}
	})
	t.Run("removed queues are dropped", func(t *testing.T) {
		g2 := g
		g2.Policies = []Policy{tt("cpu", 50)}
		_, next := Decide(g2, Input{Now: t0, ASGMax: 10}, steady(500, 10, t0))
		if len(next.Arrivals) != 0 {
			t.Errorf("arrivals = %v, want none", next.Arrivals)
		}
	})
	t.Run("garbage state is ignored", func(t *testing.T) {
		bad := steady(500, 10, t0)
		bad.Arrivals[0].Lambda, bad.Arrivals[0].Raw[1] = math.Inf(1), math.NaN()
		_, next := Decide(g, reading(t0.Add(ten), 10, 10, 500, 7), bad)
		if got := lambdaOf(t, next); got != 7 {
			t.Errorf("lambda = %v, want 7 (a first reading)", got)
		}
	})
	t.Run("the caller's state is not modified", func(t *testing.T) {
		st := steady(500, 10, t0)
		before := st.Arrivals[0]
		Decide(g, reading(t0.Add(ten), 10, 10, 5000, 50), st)
		if st.Arrivals[0] != before {
			t.Errorf("caller's arrival changed to %+v", st.Arrivals[0])
		}
	})
}

func TestRateDecision(t *testing.T) {
	g := rateGroup()
	at := t0.Add(10 * time.Second)
	cases := []struct {
		name    string
		in      Input
		st      State
		want    int
		rules   []string
		surge   bool
		term    string
		onItsWy float64
	}{
		// lambda 19 with B at its budget: need 19, 5% below 20.
		{name: "within the scale-in band: hold", in: reading(at, 20, 20, 1900, 19), st: steady(1900, 19, t0),
			want: 20, rules: []string{RuleHysteresisIn}, term: TermRate},
		{name: "below the scale-in band: scale in", in: reading(at, 20, 20, 1700, 17), st: steady(1700, 17, t0),
			want: 17, term: TermRate},
		{name: "within the scale-out band, within budget: hold", in: reading(at, 20, 20, 2100, 21), st: steady(2100, 21, t0),
			want: 20, rules: []string{RuleHysteresisOut}, term: TermRate},
		// E = 100 above the budget of 2100: 21 + 1 = 22, inside the band, but
		// a queue over its budget always gets its scale-out.
		{name: "within the scale-out band, over budget: scale out", in: reading(at, 20, 20, 2200, 21), st: steady(2200, 21, t0),
			want: 22, term: TermDrain},
		{name: "above the scale-out band: scale out", in: reading(at, 20, 20, 2500, 25), st: steady(2500, 25, t0),
			want: 25, term: TermRate},
		{name: "capacity on its way is shown", in: func() Input { in := reading(at, 30, 10, 2000, 20); in.Lead = 100 * time.Second; return in }(),
			st: steady(2000, 20, t0), want: 20, onItsWy: 20, term: TermRate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := Decide(g, tc.in, tc.st)
			if d.Desired != tc.want || !equalRules(rules(d), tc.rules) {
				t.Fatalf("desired %d rules %v, want %d %v (%s)", d.Desired, rules(d), tc.want, tc.rules, d.Reason)
			}
			if len(d.Queues) != 1 {
				t.Fatalf("queues = %+v", d.Queues)
			}
			q := d.Queues[0]
			if q.Policy != "p" || q.Queue != "q" || q.Term != tc.term || q.SurgeOver != tc.surge || q.OnItsWay != tc.onItsWy || q.Lead != tc.in.Lead {
				t.Errorf("queue detail = %+v", q)
			}
		})
	}
}

func TestHysteresisBands(t *testing.T) {
	g := rateGroup()
	g.HysteresisIn, g.HysteresisOut = 0.3, math.SmallestNonzeroFloat64
	at := t0.Add(10 * time.Second)
	d, _ := Decide(g, reading(at, 20, 20, 1500, 15), steady(1500, 15, t0))
	if d.Desired != 20 || !equalRules(rules(d), []string{RuleHysteresisIn}) {
		t.Errorf("25%% below with a 30%% band: %s", d.Reason)
	}
	d, _ = Decide(g, reading(at, 20, 20, 2100, 21), steady(2100, 21, t0))
	if d.Desired != 21 {
		t.Errorf("no scale-out band: %s", d.Reason)
	}
	// Bands apply to rate mode only: per_instance keeps AWS's recipe.
	pi := Group{Name: "g", Policies: []Policy{{Name: "p", Backlog: &Backlog{Mode: ModePerInstance,
		Queues: []Queue{{Name: "q", TargetPerInstance: 100}}}}}}
	d, _ = Decide(pi, reading(at, 20, 20, 1900, 0), settled())
	if d.Desired != 19 {
		t.Errorf("per_instance: %s", d.Reason)
	}
}

func equalRules(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestWorkedExample follows the worked example of docs/policies.md, rate
// mode: a surge from 10 to 35 messages a second on a group of 10 units
// that serve one message a second each, with capacity serving 120 s after
// it is ordered.
func TestWorkedExample(t *testing.T) {
	g := Group{Name: "g", Policies: []Policy{{Name: "p", Backlog: &Backlog{Queues: []Queue{
		{Name: "q", SecondsPerMessage: 1, AcceptableLatency: 100 * time.Second}}}}}}
	st := steady(500, 10, t0)
	cur, b := 10, 500.0
	ordered := map[int]int{} // reading -> capacity ordered then
	type step struct {
		desired            int
		projected, e, need float64
		term               string
		rules              []string
	}
	want := map[int]step{
		2:  {10, 1000, -2500, 10, TermRefill, nil},
		7:  {31, 3050, -450, 30.5, TermRefill, nil},
		8:  {31, 3370, -130, 33.7, TermRefill, []string{RuleHysteresisOut}},
		9:  {38, 3765, 265, 37.65, TermDrain, nil},
		14: {48, 4780, 1280, 47.8, TermDrain, nil},
	}
	for i := 1; i <= 14; i++ {
		serving := 10
		for at, c := range ordered {
			if i-at >= 12 && c > serving {
				serving = c
			}
		}
		f := float64(min(serving, 35))
		b = max(b+35*10-f*10, 0)
		in := reading(t0.Add(time.Duration(i)*10*time.Second), cur, serving, b, f)
		in.Lead = 120 * time.Second
		var d Decision
		d, st = Decide(g, in, st)
		if w, ok := want[i]; ok {
			q := d.Queues[0]
			if d.Desired != w.desired || math.Abs(q.Projected-w.projected) > 1e-6 || math.Abs(q.Excess-w.e) > 1e-6 ||
				math.Abs(q.Need-w.need) > 1e-6 || q.Term != w.term || !equalRules(rules(d), w.rules) {
				t.Errorf("at %ds: desired %d, %+v, rules %v; want %+v", i*10, d.Desired, q, rules(d), w)
			}
		}
		if d.Desired > cur {
			ordered[i] = d.Desired
		}
		cur = d.Desired
	}
}

func TestRateRobustness(t *testing.T) {
	g := rateGroup()
	ten := 10 * time.Second
	t.Run("hysteresis never holds back another policy's scale-out", func(t *testing.T) {
		g2 := rateGroup()
		g2.Policies = append(g2.Policies, Policy{Name: "cpu", TargetTracking: &TargetTracking{Target: 50, Tolerance: 0.02}})
		in := reading(t0.Add(ten), 20, 20, 2200, 22)   // rate wants 22: inside the band, within budget
		in.Policies["cpu"] = metric(52.5, time.Second) // 20 * 52.5 / 50 = 21
		d, _ := Decide(g2, in, steady(2200, 22, t0))
		if d.Desired != 21 || !equalRules(rules(d), []string{RuleHysteresisOut}) {
			t.Errorf("desired %d, want the target tracking's 21 (%s, rules %v)", d.Desired, d.Reason, rules(d))
		}
	})
	t.Run("a state with a bad base or a surge after its reading is ignored", func(t *testing.T) {
		for _, mut := range []func(*Arrival){
			func(a *Arrival) { a.Base, a.Surge = -1e6, a.At.Add(-ten) },
			func(a *Arrival) { a.Base, a.Surge = math.Inf(-1), a.At.Add(-ten) },
			func(a *Arrival) { a.Surge = a.At.Add(time.Hour) },
		} {
			st := steady(0, 10, t0)
			mut(&st.Arrivals[0])
			d, next := Decide(g, reading(t0.Add(ten), 10, 10, 0, 10), st)
			if d.Desired != 10 || next.Arrivals[0].Lambda != 10 || !next.Arrivals[0].Surge.IsZero() {
				t.Errorf("desired %d, next %+v (%s)", d.Desired, next.Arrivals[0], d.Reason)
			}
		}
	})
	t.Run("a state newer than the reading starts over", func(t *testing.T) {
		st := steady(500, 40, t0.Add(time.Hour)) // the clock stepped back an hour
		_, next := Decide(g, reading(t0.Add(ten), 10, 10, 500, 10), st)
		if a := next.Arrivals[0]; a.Lambda != 10 || a.Raws != 1 || !a.At.Equal(t0.Add(ten)) {
			t.Errorf("arrival %+v, want a fresh start at 10/s", a)
		}
	})
	t.Run("an overflow proposes nothing rather than scale in", func(t *testing.T) {
		g2 := rateGroup()
		g2.Policies[0].Backlog.Queues[0].SecondsPerMessage = 1e-300
		d, _ := Decide(g2, reading(t0.Add(ten), 10, 10, 1e9, 1e10), settled())
		if d.Proposals[0].OK || d.Desired != 10 || d.ScaleInBlocked == "" || len(d.Queues) != 0 {
			t.Errorf("proposal %+v, desired %d, blocked %q", d.Proposals[0], d.Desired, d.ScaleInBlocked)
		}
	})
}
