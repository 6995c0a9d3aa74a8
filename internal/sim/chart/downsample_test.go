package chart

import (
	"image/color"
	"testing"
)

func TestSeries(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		values   func(i int) float64
		wantLen  int // 0: check only the bound
		wantPeak float64
		wantDip  float64
	}{
		{
			name:    "short series are kept whole",
			n:       5,
			values:  func(i int) float64 { return float64(i * i) },
			wantLen: 5, wantPeak: 16, wantDip: 0,
		},
		{
			name:    "exactly the bound is kept whole",
			n:       maxPoints,
			values:  func(i int) float64 { return 1 },
			wantLen: maxPoints, wantPeak: 1, wantDip: 1,
		},
		{
			name: "a one-sample peak in a long series survives",
			n:    172800,
			values: func(i int) float64 {
				if i == 100001 {
					return 950
				}
				return 5
			},
			wantPeak: 950, wantDip: 5,
		},
		{
			name: "a one-sample dip in a long series survives",
			n:    86400,
			values: func(i int) float64 {
				if i == 4321 {
					return 1
				}
				return 10
			},
			wantPeak: 10, wantDip: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const stepHours = 1.0 / 3600
			xys := series(tc.n, stepHours, tc.values)
			if len(xys) > maxPoints {
				t.Fatalf("%d points, want at most %d", len(xys), maxPoints)
			}
			if tc.wantLen > 0 && len(xys) != tc.wantLen {
				t.Fatalf("%d points, want %d", len(xys), tc.wantLen)
			}
			peak, dip := xys[0].Y, xys[0].Y
			for i, p := range xys {
				peak, dip = max(peak, p.Y), min(dip, p.Y)
				if i > 0 && p.X <= xys[i-1].X {
					t.Fatalf("x not increasing at point %d: %v after %v", i, p.X, xys[i-1].X)
				}
				idx := int(p.X/stepHours + 0.5)
				if p.Y != tc.values(idx) {
					t.Fatalf("point %d = %v, want the value %v of sample %d", i, p.Y, tc.values(idx), idx)
				}
			}
			if peak != tc.wantPeak || dip != tc.wantDip {
				t.Fatalf("peak, dip = %v, %v; want %v, %v", peak, dip, tc.wantPeak, tc.wantDip)
			}
		})
	}
}

func TestPalette(t *testing.T) {
	policies := []string{"headroom", "mine", "oracle", "theirs", "mine", "aws-step", "hpa", "static-peak", "aws-target-tracking"}
	got := palette(policies)
	tests := []struct {
		name   string
		policy string
		want   color.RGBA
	}{
		{"known policy", "headroom", fixedColors["headroom"]},
		{"known policy after unknown ones", "aws-target-tracking", fixedColors["aws-target-tracking"]},
		{"first unknown policy", "mine", spareColors[0]},
		{"second unknown policy", "theirs", spareColors[1]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got[tc.policy] != tc.want {
				t.Fatalf("colour of %s = %v, want %v", tc.policy, got[tc.policy], tc.want)
			}
		})
	}
	seen := map[color.RGBA]string{}
	for p, c := range got {
		if other, dup := seen[c]; dup {
			t.Errorf("%s and %s share colour %v", p, other, c)
		}
		if c == demandColor || c == demandFill || c == sloColor || c == background {
			t.Errorf("%s has a reserved colour %v", p, c)
		}
		seen[c] = p
	}
}
