package telemetry_test

import (
	"bytes"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/headroom-dev/headroom/internal/telemetry"
)

// exposition gathers reg and returns it in the text format.
func exposition(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var b bytes.Buffer
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestGaugeFamilyExposesLikeGaugeVec checks that a GaugeFamily and a
// GaugeVec given the same sets expose the same text.
func TestGaugeFamilyExposesLikeGaugeVec(t *testing.T) {
	type set struct {
		labels []string
		value  float64
	}
	tests := []struct {
		name   string
		labels []string
		sets   []set
	}{
		{"two labels", []string{"group", "state"}, []set{
			{[]string{"web", "desired"}, 4}, {[]string{"web", "decided"}, 5},
			{[]string{"api", "desired"}, 2}, {[]string{"web", "desired"}, 6},
		}},
		{"labels not in name order", []string{"group", "policy", "input"}, []set{
			{[]string{"web", "cpu", "CPUUtilization"}, 12}, {[]string{"web", "queue", "q-web"}, 3.5},
			{[]string{"api", "cpu", "CPUUtilization"}, 0},
		}},
		{"NaN and infinities", []string{"group", "policy"}, []set{
			{[]string{"web", "cpu"}, math.NaN()}, {[]string{"web", "net"}, math.Inf(1)}, {[]string{"api", "cpu"}, math.Inf(-1)},
		}},
		{"four labels, a first value shared by many series", []string{"group", "policy", "input", "kind"}, []set{
			{[]string{"web", "cpu", "CPUUtilization", "metric"}, 1}, {[]string{"web", "cpu", "NetworkIn", "metric"}, 2},
			{[]string{"web", "queue", "q-web", "queue"}, 3}, {[]string{"web", "cpu", "CPUUtilization", "metric"}, 4},
		}},
		{"values that need escaping", []string{"group"}, []set{
			{[]string{"a \"quoted\"\nname\\"}, 1}, {[]string{""}, 2},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := prometheus.GaugeOpts{Name: "headroom_test_instances", Help: "A test family."}
			vecReg, famReg := prometheus.NewRegistry(), prometheus.NewRegistry()
			vec := prometheus.NewGaugeVec(opts, tc.labels)
			fam := telemetry.NewGaugeFamily(opts, tc.labels)
			vecReg.MustRegister(vec)
			famReg.MustRegister(fam)
			for _, s := range tc.sets {
				vec.WithLabelValues(s.labels...).Set(s.value)
				fam.WithLabelValues(s.labels...).Set(s.value)
			}
			if got, want := exposition(t, famReg), exposition(t, vecReg); got != want {
				t.Errorf("GaugeFamily exposes\n%s\nGaugeVec exposes\n%s", got, want)
			}
			last := tc.sets[len(tc.sets)-1]
			got := testutil.ToFloat64(fam.WithLabelValues(last.labels...))
			if got != last.value && !(math.IsNaN(got) && math.IsNaN(last.value)) {
				t.Errorf("ToFloat64 = %v, want %v", got, last.value)
			}
			if errs, err := testutil.GatherAndLint(famReg); err != nil || len(errs) > 0 {
				t.Errorf("lint: %v %v", err, errs)
			}
		})
	}
}

func TestGaugeFamilyTooManyLabels(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a family of five labels did not panic")
		}
	}()
	telemetry.NewGaugeFamily(prometheus.GaugeOpts{Name: "headroom_test_instances", Help: "h"}, []string{"a", "b", "c", "d", "e"})
}

func TestGaugeFamilyWrongLabelCount(t *testing.T) {
	fam := telemetry.NewGaugeFamily(prometheus.GaugeOpts{Name: "headroom_test_instances", Help: "h"}, []string{"group", "state"})
	defer func() {
		if recover() == nil {
			t.Error("one label value for two labels did not panic")
		}
	}()
	fam.WithLabelValues("web")
}

// TestGaugeFamilyConcurrent sets and gathers at once (run with -race).
func TestGaugeFamilyConcurrent(t *testing.T) {
	reg := prometheus.NewRegistry()
	fam := telemetry.NewGaugeFamily(prometheus.GaugeOpts{Name: "headroom_test_instances", Help: "h"}, []string{"group", "state"})
	reg.MustRegister(fam)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				fam.WithLabelValues(fmt.Sprintf("g%d", i%50), fmt.Sprintf("s%d", w)).Set(float64(i))
				if i%50 == 0 {
					if _, err := reg.Gather(); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := testutil.CollectAndCount(fam); got != 200 {
		t.Errorf("%d series, want 200", got)
	}
}
