// Package campaign sizes the capacity floor of a campaign announced by its
// audience: how many recipients, how many messages each response makes,
// and when it starts. It is pure: history comes in as values, and it
// reads no clock, does no I/O and writes no logs.
//
// # The arithmetic
//
// A campaign of A recipients, each response making m messages, sends
// A x m messages that may arrive. The response curve says which fraction
// of them arrives in each Bucket after the start; the peak arrival rate is
//
//	peak = A x m x max_i(curve[i]) / Bucket (messages per second)
//
// and one message per second costs k units of the group's capacity (the
// group's cost per message). The floor is
//
//	floor = ceil(peak x k), at least 1, capped at the group's maximum.
//
// The floor covers the campaign's own arrivals; the group's other work
// keeps its policies, which raise capacity above the floor as they see it.
//
// # Where the curve and the cost come from
//
// The curve is learned from earlier campaigns of the same group (Learn):
// the arrivals measured in the buckets after each one's start, less the
// group's arrivals in the hour before it, divided by that campaign's
// A x m. Until there is such a campaign, DefaultCurve applies.
//
// The cost is learned from the group's buckets outside campaigns
// (LearnCost): the median of need_units / arrivals. Until there are
// MinCostBuckets such buckets, the caller gives a default from the group's
// backlog policy: seconds_per_message / (concurrency x
// target_utilization), the units one message per second keeps busy.
package campaign

import (
	"math"
	"slices"
	"time"
)

// Bucket is the width of one step of a response curve: the width of the
// demand history's buckets (store.HistoryBucket), so that a learned curve
// is the history's own resolution.
const Bucket = 5 * time.Minute

// Horizon is how far after a start a response curve reaches: 4 hours, by
// which the default curve has delivered 95% of what it expects; the few
// later responses arrive at a rate the group's own policies follow.
const Horizon = 4 * time.Hour

// horizonBuckets is the length of a curve: Horizon / Bucket.
const horizonBuckets = int(Horizon / Bucket)

// EndQuantile is the share of expected arrivals that Sizing.Arrivals95
// reports the time of: 95%, after which arrivals are few.
const EndQuantile = 0.95

// MinCostBuckets is how many buckets outside campaigns, with arrivals and
// need both above zero, LearnCost needs: twelve (one hour), so that one
// noisy bucket cannot set the cost.
const MinCostBuckets = 12

// baselineWindow is how far before an earlier campaign's start Learn
// measures the group's ordinary arrivals, to subtract them: one hour,
// close enough to the start to be the same time of day.
const baselineWindow = time.Hour

// Sources of a curve or a cost.
const (
	SourceHistory = "history"
	SourceDefault = "default"
)

// Curve is a response curve: Curve[i] is the fraction of a campaign's
// messages (audience x messages per recipient) that arrives in the i-th
// Bucket after its start.
type Curve []float64

// defaultFirstHour is the default curve's first hour, as fractions of the
// audience per 5-minute bucket: 60% respond in the first hour, the peak
// (10%) 10-15 minutes after the start, when most deliveries have landed and
// the first wave of recipients has opened them; then a decay. Notification
// campaigns (push, e-mail, SMS) are opened mostly in their first hour; the
// peak sits after the first ten minutes because sending to a large
// audience is itself spread over minutes.
var defaultFirstHour = [12]float64{0.06, 0.09, 0.10, 0.08, 0.065, 0.05, 0.04, 0.035, 0.028, 0.022, 0.017, 0.013}

// defaultTail is the default curve's share after the first hour: 20% more
// over the next three hours, decaying geometrically by defaultTailRatio a
// bucket; late openers, and recipients in other time zones.
const (
	defaultTail      = 0.20
	defaultTailRatio = 0.95
)

// DefaultCurve returns the response curve used until a group has history
// of an earlier campaign: 60% of recipients respond in the first hour with
// the peak (10% of the audience in 5 minutes) 10-15 minutes after the
// start, and 20% more over the following three hours, 80% in all. It errs
// high: a campaign that draws fewer responses leaves capacity idle for an
// hour, one that draws more than the floor covers waits for the reactive
// policies, which is what the floor is there to prevent.
func DefaultCurve() Curve {
	c := make(Curve, horizonBuckets)
	copy(c, defaultFirstHour[:])
	n := horizonBuckets - len(defaultFirstHour)
	// Geometric tail a, a r, ..., a r^(n-1) summing to defaultTail.
	a := defaultTail * (1 - defaultTailRatio) / (1 - math.Pow(defaultTailRatio, float64(n)))
	for i := range n {
		c[len(defaultFirstHour)+i] = a * math.Pow(defaultTailRatio, float64(i))
	}
	return c
}

// Total is the fraction of messages the curve expects to arrive at all.
func (c Curve) Total() float64 {
	var s float64
	for _, v := range c {
		s += v
	}
	return s
}

// Peak returns the largest fraction of one bucket and its index; 0 and -1
// for an empty curve.
func (c Curve) Peak() (float64, int) {
	peak, at := 0.0, -1
	for i, v := range c {
		if v > peak {
			peak, at = v, i
		}
	}
	return peak, at
}

// Until returns how long after the start q (0 to 1) of the curve's
// expected arrivals have come: the end of the bucket in which the running
// sum reaches q x Total. An empty curve gives one Bucket.
func (c Curve) Until(q float64) time.Duration {
	total := c.Total()
	if total <= 0 {
		return Bucket
	}
	var s float64
	for i, v := range c {
		s += v
		if s >= q*total-1e-12 {
			return time.Duration(i+1) * Bucket
		}
	}
	return time.Duration(len(c)) * Bucket
}

// Point is one bucket of a group's demand history, as the store keeps it.
type Point struct {
	// At is the bucket's start.
	At time.Time
	// Arrivals is the mean arrival rate over the bucket, messages/s.
	Arrivals float64
	// NeedUnits is the mean capacity needed over the bucket.
	NeedUnits float64
	// Campaign: a boost was active in the bucket.
	Campaign bool
}

// Earlier is an earlier campaign on a group, with its audience.
type Earlier struct {
	Start                time.Time
	Audience             int
	MessagesPerRecipient int
}

// Learn returns the mean response curve of the earlier campaigns on one
// group, measured in history (the group's points, any order), and how many
// campaigns it learned from; nil and 0 when none can be learned from.
//
// A campaign counts when its first hour has ended (at or before now) and
// history holds at least one bucket of that hour. Its curve is, for each
// bucket i after its start (bucket starts from the bucket holding the
// start), max(0, arrivals - baseline) x Bucket / (audience x messages per
// recipient), where baseline is the median arrivals of the non-campaign
// buckets in the hour before the start (0 when there are none). A bucket
// with no history point is left out of that index's mean, not taken as
// zero: missing history is not a quiet campaign.
func Learn(earlier []Earlier, history []Point, now time.Time) (Curve, int) {
	byAt := make(map[int64]Point, len(history))
	for _, p := range history {
		byAt[p.At.Unix()] = p
	}
	sum := make([]float64, horizonBuckets)
	count := make([]int, horizonBuckets)
	used := 0
	for _, e := range earlier {
		total := float64(e.Audience) * float64(max(e.MessagesPerRecipient, 1))
		if total <= 0 || e.Start.Add(time.Hour).After(now) {
			continue
		}
		first := e.Start.UTC().Truncate(Bucket)
		var before []float64
		for t := first.Add(-baselineWindow); t.Before(first); t = t.Add(Bucket) {
			if p, ok := byAt[t.Unix()]; ok && !p.Campaign {
				before = append(before, p.Arrivals)
			}
		}
		baseline := median(before)
		seen := false
		for i := range horizonBuckets {
			at := first.Add(time.Duration(i) * Bucket)
			if !at.Before(now) {
				break
			}
			p, ok := byAt[at.Unix()]
			if !ok {
				continue
			}
			if at.Before(first.Add(time.Hour)) {
				seen = true
			}
			sum[i] += max(0, p.Arrivals-baseline) * Bucket.Seconds() / total
			count[i]++
		}
		if seen {
			used++
		}
	}
	if used == 0 {
		return nil, 0
	}
	c := make(Curve, horizonBuckets)
	for i := range c {
		if count[i] > 0 {
			c[i] = sum[i] / float64(count[i])
		}
	}
	return c, used
}

// LearnCost returns the group's units needed per message per second: the
// median of need_units / arrivals over its non-campaign buckets with both
// above zero, and whether there were at least MinCostBuckets of them.
func LearnCost(history []Point) (float64, bool) {
	var ratios []float64
	for _, p := range history {
		if p.Campaign || p.Arrivals <= 0 || p.NeedUnits <= 0 {
			continue
		}
		ratios = append(ratios, p.NeedUnits/p.Arrivals)
	}
	if len(ratios) < MinCostBuckets {
		return 0, false
	}
	return median(ratios), true
}

// Input is what Size needs for one group.
type Input struct {
	Audience             int
	MessagesPerRecipient int
	// Curve is the response curve; CurveSource says where it came from and
	// LearnedFrom how many campaigns it was learned from.
	Curve       Curve
	CurveSource string
	LearnedFrom int
	// UnitsPerMessagePerSecond is the group's cost per message; CostSource
	// says where it came from.
	UnitsPerMessagePerSecond float64
	CostSource               string
	// Max is the group's maximum capacity; below 0 when unknown.
	Max int
}

// Sizing is a campaign's floor on one group and where it came from.
type Sizing struct {
	Audience                 int     `json:"audience"`
	MessagesPerRecipient     int     `json:"messages_per_recipient"`
	PeakArrivalsPerSecond    float64 `json:"peak_arrivals_per_second"`
	PeakAfter                string  `json:"peak_after"`
	UnitsPerMessagePerSecond float64 `json:"units_per_message_per_second"`
	// Source is where the response curve came from: "history" or
	// "default".
	Source               string `json:"source"`
	CampaignsLearnedFrom int    `json:"campaigns_learned_from"`
	// CostSource is where the cost per message came from: "history" or
	// "default" (the backlog policy's configuration).
	CostSource string `json:"cost_source"`
	// ExpectedMessages is audience x messages per recipient x the curve's
	// total.
	ExpectedMessages float64 `json:"expected_messages"`
	// Arrivals95 is how long after the start 95% of ExpectedMessages have
	// arrived (Go duration).
	Arrivals95 string `json:"arrivals_95"`
	// Window is the default length of the campaign's floor (Go duration):
	// to the end of the curve's peak bucket, plus the group's lead (see
	// Group.Lead).
	Window string `json:"window"`
	// Wanted is ceil(peak x cost) before the cap; Floor after it.
	Wanted int `json:"wanted"`
	Floor  int `json:"floor"`
	// CappedAtMax: Wanted was above the group's maximum.
	CappedAtMax bool `json:"capped_at_max"`
}

// Size returns in's floor.
func Size(in Input) Sizing {
	m := max(in.MessagesPerRecipient, 1)
	messages := float64(in.Audience) * float64(m)
	peakFrac, peakAt := in.Curve.Peak()
	peak := messages * peakFrac / Bucket.Seconds()
	s := Sizing{Audience: in.Audience, MessagesPerRecipient: m,
		PeakArrivalsPerSecond: round3(peak), UnitsPerMessagePerSecond: round6(in.UnitsPerMessagePerSecond),
		Source: in.CurveSource, CampaignsLearnedFrom: in.LearnedFrom, CostSource: in.CostSource,
		ExpectedMessages: math.Round(messages * in.Curve.Total()),
		Arrivals95:       in.Curve.Until(EndQuantile).String()}
	if peakAt >= 0 {
		s.PeakAfter = (time.Duration(peakAt) * Bucket).String()
	}
	// A tiny tolerance keeps a product that is whole in decimal (2.0000001
	// from floating point) from costing an extra unit.
	want := math.Ceil(peak*in.UnitsPerMessagePerSecond - 1e-9)
	switch {
	case math.IsNaN(want) || want < 1:
		want = 1
	case want > math.MaxInt32:
		want = math.MaxInt32
	}
	s.Wanted, s.Floor = int(want), int(want)
	if in.Max >= 0 && s.Floor > in.Max {
		s.Floor, s.CappedAtMax = max(in.Max, 1), true
	}
	return s
}

// DefaultMessagesPerRecipient is the messages one response makes when a
// campaign does not say: a reward campaign's response is one action of
// the recipient (a claim, a redemption), which the platform queues as one
// message; a campaign that fans a response out into several messages says
// so.
const DefaultMessagesPerRecipient = 1

// Group is a campaign on one group and what the group's store and
// configuration know: the input of SizeGroup.
type Group struct {
	Audience             int
	MessagesPerRecipient int
	// Earlier are the group's earlier campaigns and History its demand
	// history, both as the store holds them; Now is when the campaign is
	// sized.
	Earlier []Earlier
	History []Point
	Now     time.Time
	// DefaultCost is the group's cost per message from its backlog
	// configuration (see DefaultCost); 0 or less when it has none.
	DefaultCost float64
	// Max is the group's maximum capacity; below 0 when unknown.
	Max int
	// Lead is the group's boost lead: how long capacity ordered now takes
	// to serve (launch p90 plus warmup plus one cycle). The floor is held
	// one lead past the expected peak: capacity the group's own policies
	// order as the arrivals peak serves a lead later, and from then on
	// they hold what the falling arrivals need, as they measure them, at
	// no cost of a floor left at the peak for hours. 0 or less: one
	// Bucket.
	Lead time.Duration
}

// SizeGroup sizes a campaign on one group as the API does: the response
// curve learned from the group's earlier campaigns (Learn) or else
// DefaultCurve, the cost per message learned from its history (LearnCost)
// or else its DefaultCost. ok is false when the group has neither cost.
func SizeGroup(g Group) (s Sizing, ok bool) {
	in := Input{Audience: g.Audience, MessagesPerRecipient: g.MessagesPerRecipient, Max: g.Max}
	in.Curve, in.LearnedFrom = Learn(g.Earlier, g.History, g.Now)
	in.CurveSource = SourceHistory
	if in.LearnedFrom == 0 {
		in.Curve, in.CurveSource = DefaultCurve(), SourceDefault
	}
	cost, learned := LearnCost(g.History)
	in.CostSource = SourceHistory
	if !learned {
		cost, in.CostSource = g.DefaultCost, SourceDefault
	}
	if cost <= 0 || math.IsNaN(cost) {
		return Sizing{}, false
	}
	in.UnitsPerMessagePerSecond = cost
	s = Size(in)
	s.Window = window(in.Curve, g.Lead).String()
	return s, true
}

// window is how long a campaign's floor lasts when the campaign gives no
// end: to the end of the curve's peak bucket, plus lead (one Bucket when
// not positive).
func window(c Curve, lead time.Duration) time.Duration {
	if lead <= 0 {
		lead = Bucket
	}
	_, at := c.Peak()
	return time.Duration(max(at, 0)+1)*Bucket + lead
}

// End is where the window of a campaign starting at start ends when the
// campaign gives no end: start + Window. An unreadable Window gives one
// Bucket.
func (s Sizing) End(start time.Time) time.Time {
	d, err := time.ParseDuration(s.Window)
	if err != nil || d <= 0 {
		d = Bucket
	}
	return start.Add(d)
}

// DefaultCost returns the units one message per second keeps busy on a
// queue where a message takes secondsPerMessage of one of concurrency
// slots, at target utilization u: s / (c x u). Zero or negative inputs
// give 0 and false.
func DefaultCost(secondsPerMessage float64, concurrency int, utilization float64) (float64, bool) {
	if secondsPerMessage <= 0 || concurrency <= 0 || utilization <= 0 || math.IsNaN(secondsPerMessage) || math.IsNaN(utilization) {
		return 0, false
	}
	return secondsPerMessage / (float64(concurrency) * utilization), true
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func round3(v float64) float64 { return math.Round(v*1e3) / 1e3 }
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
