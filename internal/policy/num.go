package policy

import (
	"math"
	"strconv"
	"time"
	"unsafe"
)

// MaxCapacity is the largest capacity the engine works with or proposes. The
// EC2 Auto Scaling API carries MinSize, MaxSize and DesiredCapacity as
// 32-bit integers (Integer in the API reference), so nothing larger can be
// set; capping here also keeps the integer arithmetic far from overflow.
const MaxCapacity = math.MaxInt32

// intEps is the relative tolerance within which a computed capacity counts
// as an integer. Float arithmetic makes 0.7*10 = 7.000000000000001, whose
// plain ceiling would be 8 instances; one part in 10^9 is far below any
// meaningful metric precision and far above float64 rounding error.
const intEps = 1e-9

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// snapped returns the integer x is within intEps of, if any.
func snapped(x float64) (float64, bool) {
	r := math.Round(x)
	if math.Abs(x-r) <= intEps*math.Max(1, math.Abs(x)) {
		return r, true
	}
	return x, false
}

// ceilSnap is math.Ceil that ignores float noise above an integer.
func ceilSnap(x float64) float64 {
	if r, ok := snapped(x); ok {
		return r
	}
	return math.Ceil(x)
}

// floorSnap is math.Floor that ignores float noise below an integer.
func floorSnap(x float64) float64 {
	if r, ok := snapped(x); ok {
		return r
	}
	return math.Floor(x)
}

// toCapacity converts an integral float to a capacity in [0, MaxCapacity];
// NaN becomes 0.
func toCapacity(x float64) int {
	if !(x > 0) {
		return 0
	}
	if x >= MaxCapacity {
		return MaxCapacity
	}
	return int(x)
}

// clampInt returns v limited to [lo, hi]; it assumes lo <= hi.
func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// capacity limits an integer from the outside to [0, MaxCapacity].
func capacity(v int) int { return clampInt(v, 0, MaxCapacity) }

// text builds reasons without fmt so that a decision costs few allocations.
// With an arena, the strings it takes share the arena's chunks.
type text struct {
	b []byte
	a *arena
}

// arena hands out strings that share a few large allocations: a decision's
// reasons cost one allocation instead of one each. Bytes handed out are
// never written again: a string is appended into spare capacity after every
// earlier one, and a full chunk is replaced by a new one, never reused (the
// invariant strings.Builder keeps for the same reason).
type arena struct{ buf []byte }

// arenaChunk is the size of an arena's allocations: a typical decision's
// reasons (three proposals, a few changes and the summary) fit in one.
const arenaChunk = 1024

// str returns b as a string backed by the arena.
func (a *arena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, max(arenaChunk, len(b)))
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[start], len(b))
}

func (t *text) s(s string) *text { t.b = append(t.b, s...); return t }

func (t *text) q(s string) *text { t.b = strconv.AppendQuote(t.b, s); return t }

func (t *text) i(n int) *text { t.b = strconv.AppendInt(t.b, int64(n), 10); return t }

// f appends x with at most two decimals, or in exponent form when huge.
// The digits come from integer arithmetic on hundredths: the shortest
// float formatting costs more than the rest of a decision's reasons.
func (t *text) f(x float64) *text {
	if !finite(x) || math.Abs(x) >= 1e12 {
		t.b = strconv.AppendFloat(t.b, x, 'g', 6, 64)
		return t
	}
	c := int64(math.Round(x * 100))
	if c < 0 {
		t.b = append(t.b, '-')
		c = -c
	}
	t.b = strconv.AppendInt(t.b, c/100, 10)
	if frac := c % 100; frac != 0 {
		t.b = append(t.b, '.', byte('0'+frac/10))
		if frac%10 != 0 {
			t.b = append(t.b, byte('0'+frac%10))
		}
	}
	return t
}

// sf appends x with an explicit sign.
func (t *text) sf(x float64) *text {
	if x >= 0 {
		t.b = append(t.b, '+')
	}
	return t.f(x)
}

func (t *text) d(d time.Duration) *text { t.b = append(t.b, d.String()...); return t }

// take returns the text so far and resets the builder, keeping its buffer.
func (t *text) take() string {
	var s string
	if t.a != nil {
		s = t.a.str(t.b)
	} else {
		s = string(t.b)
	}
	t.b = t.b[:0]
	return s
}
