package dashboard

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// series is one line of a chart: values at times.
type series struct {
	Name  string
	Class string
	At    []time.Time
	V     []float64
}

// chartLine is a series drawn: an SVG polyline's points.
type chartLine struct {
	Name, Class, Points string
}

// chart is an SVG line chart, laid out in Go so that the template only
// prints numbers.
type chart struct {
	W, H         int
	Lines        []chartLine
	Top, Bottom  int
	From, To     time.Time
	Empty        bool
	PlotW, PlotH int
	// Band is an SVG polygon's points filling between two series (a
	// forecast's low and high); empty when the chart has none.
	Band string
}

// chartPad is the room left of and below the plot for the axis labels.
const chartPad = 30

// lineChart lays out ss over [from, to] in a w x h box, the y axis from 0
// to the largest value.
func lineChart(ss []series, from, to time.Time, w, h int) chart {
	c := chart{W: w, H: h, From: from, To: to, PlotW: w - chartPad, PlotH: h - chartPad}
	top := 0.0
	n := 0
	for _, s := range ss {
		for _, v := range s.V {
			top = max(top, v)
			n++
		}
	}
	if n == 0 {
		c.Empty = true
		return c
	}
	c.Top = max(int(math.Ceil(top)), 1)
	for _, s := range ss {
		c.Lines = append(c.Lines, chartLine{Name: s.Name, Class: s.Class,
			Points: points(s.At, s.V, from, to, float64(c.Top), chartPad, c.PlotW, c.PlotH)})
	}
	return c
}

// band returns the polygon between lo and hi, which must be at the same
// times, in c's box: along hi forwards, then back along lo.
func (c chart) band(lo, hi series) string {
	if c.Empty || len(lo.V) == 0 || len(lo.V) != len(hi.V) {
		return ""
	}
	rat, rv := slices.Clone(lo.At), slices.Clone(lo.V)
	slices.Reverse(rat)
	slices.Reverse(rv)
	at := append(slices.Clone(hi.At), rat...)
	v := append(slices.Clone(hi.V), rv...)
	return points(at, v, c.From, c.To, float64(c.Top), chartPad, c.PlotW, c.PlotH)
}

// points renders values as "x,y x,y ..." in a box at x offset left,
// width w, height h, with y growing downwards as SVG has it.
func points(at []time.Time, v []float64, from, to time.Time, top float64, left, w, h int) string {
	span := to.Sub(from).Seconds()
	if span <= 0 {
		span = 1
	}
	var b strings.Builder
	for i := range v {
		x := float64(left) + float64(w)*at[i].Sub(from).Seconds()/span
		y := float64(h) - float64(h)*v[i]/top
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatFloat(x, 'f', 1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(y, 'f', 1, 64))
	}
	return b.String()
}

// sparkWindow is how far back the overview's sparklines look, and
// sparkLimit how many decisions they read per group at most: enough for a
// shape, few enough that a page of 100 groups renders in well under
// 100 ms (the store decodes every decision it lists). With one decision a
// minute the line covers the last hour, with a slower cycle the whole
// window.
const (
	sparkWindow = 6 * time.Hour
	sparkLimit  = 60
	sparkW      = 120
	sparkH      = 24
)

// sparkDoc is the part of a recorded decision the overview reads.
type sparkDoc struct {
	Desired int `json:"desired"`
	Inputs  []struct {
		Stale bool `json:"stale"`
	} `json:"inputs"`
}

// spark is a group's sparkline and whether its newest decision used stale
// data.
type spark struct {
	Points string
	Stale  bool
	Last   int
}

// desiredKey is the decided capacity's key in a recorded decision.
var desiredKey = []byte(`"desired":`)

// desiredOf reads the decided capacity from a recorded decision without
// decoding the rest, which is most of the overview's render time with
// thousands of decisions on a page. The first "desired": in the document
// is the top-level one: DecisionDoc writes it before any nested object,
// and inside a JSON string a quote is always escaped. Anything unexpected
// falls back to a full decode.
func desiredOf(body []byte) (int, bool) {
	if i := bytes.Index(body, desiredKey); i >= 0 {
		rest := body[i+len(desiredKey):]
		j := 0
		for j < len(rest) && (rest[j] >= '0' && rest[j] <= '9' || j == 0 && rest[j] == '-') {
			j++
		}
		if j < len(rest) && (rest[j] == ',' || rest[j] == '}') {
			if n, err := strconv.Atoi(string(rest[:j])); err == nil {
				return n, true
			}
		}
	}
	var doc sparkDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return 0, false
	}
	return doc.Desired, true
}
