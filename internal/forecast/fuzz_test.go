package forecast

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// FuzzPredict builds a history from the fuzzed bytes, two per bucket: the
// need, and flags (bit 0 campaign, bit 1 skip the bucket, bit 2 a second
// point in the bucket, bits 3-7 scale the need), starting days before a
// fixed now; and checks the forecast's invariants, its determinism and
// Floor. The seed corpus is in testdata/fuzz/FuzzPredict.
func FuzzPredict(f *testing.F) {
	f.Add([]byte{10, 0, 20, 0, 30, 1, 40, 2}, uint16(300), uint16(0), 0.9, uint16(48*60))
	f.Fuzz(func(t *testing.T, data []byte, repeat, lateSteps uint16, q float64, horizonMin uint16) {
		if len(data) < 2 {
			return
		}
		n := min(int(repeat), days(30)) // buckets, cycling over data
		start := monday
		var h []Point
		for i := range n {
			need, flags := data[(2*i)%len(data)], data[(2*i+1)%len(data)]
			if flags&2 != 0 {
				continue
			}
			at := start.Add(time.Duration(i) * step)
			p := Point{At: at, Need: float64(need) * math.Pow(2, float64(flags>>3)-8), Campaign: flags&1 != 0}
			h = append(h, p)
			if flags&4 != 0 {
				h = append(h, Point{At: at.Add(time.Minute), Need: float64(need) / 3})
			}
		}
		now := start.Add(time.Duration(n+int(lateSteps%8)) * step)
		opt := Options{Horizon: time.Duration(horizonMin) * time.Minute, Quantile: q}
		fc := Predict(h, now, opt)
		if !reflect.DeepEqual(fc, Predict(h, now, opt)) {
			t.Fatal("two runs on the same input differ")
		}
		if !fc.OK {
			if fc.Reason == "" {
				t.Fatal("no forecast and no reason")
			}
			return
		}
		for i, b := range fc.Buckets {
			for _, v := range []float64{b.Need, b.Quantile, b.Low, b.High} {
				if !(v >= 0) || math.IsInf(v, 0) {
					t.Fatalf("bucket %d: %+v: negative or not finite", i, b)
				}
			}
			if b.Low > b.High || (fc.Quantile >= fc.BandHigh && b.Quantile < b.High) || (fc.Quantile <= fc.BandLow && b.Quantile > b.Low) {
				t.Fatalf("bucket %d: %+v: quantiles out of order", i, b)
			}
		}
		units, ok, reason := Floor(fc, fc.Start, 15*time.Minute, fc.Quantile)
		if ok != (len(fc.Buckets) > 3) || (ok && units < fc.Buckets[0].Quantile) || reason == "" {
			t.Fatalf("Floor = %v, %v, %q over %d buckets", units, ok, reason, len(fc.Buckets))
		}
	})
}
