package asg

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/headroom-dev/headroom/internal/clock"
	emulator "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
)

// failing answers DescribePolicies with a throttling error while on is
// set, and passes every other request to the emulator.
type failing struct {
	next http.Handler
	on   atomic.Bool
}

func (h *failing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if h.on.Load() && strings.Contains(string(body), "Action=DescribePolicies") {
		emulator.WriteError(w, http.StatusBadRequest, "Throttling", "Rate exceeded")
		return
	}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	h.next.ServeHTTP(w, r)
}

func putPolicy(t *testing.T, client *autoscaling.Client, in *autoscaling.PutScalingPolicyInput) {
	t.Helper()
	if _, err := client.PutScalingPolicy(context.Background(), in); err != nil {
		t.Fatalf("put policy %s: %v", aws.ToString(in.PolicyName), err)
	}
}

func targetTracking(group, name string) *autoscaling.PutScalingPolicyInput {
	return &autoscaling.PutScalingPolicyInput{
		AutoScalingGroupName: aws.String(group), PolicyName: aws.String(name), PolicyType: aws.String(PolicyTargetTracking),
		TargetTrackingConfiguration: &types.TargetTrackingConfiguration{
			TargetValue:                   aws.Float64(50),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeASGAverageCPUUtilization},
		},
	}
}

func TestPolicies(t *testing.T) {
	clk := clock.NewFake(t0)
	emu := emulator.New(clk)
	emu.SetPageSize(2) // so that the sweep must follow NextToken
	c := &counter{calls: map[string]int{}}
	h := &failing{next: emu}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := newClient(srv.URL, c.middleware)
	act := New(client, clk)
	ctx := context.Background()

	for _, g := range []string{"web", "workers", "other"} {
		if err := emu.CreateGroup(emulator.GroupSpec{Name: g, Max: 10, Desired: 1, StartInService: true}); err != nil {
			t.Fatal(err)
		}
	}
	putPolicy(t, client, targetTracking("web", "cpu50"))
	putPolicy(t, client, &autoscaling.PutScalingPolicyInput{
		AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("add-one"), Enabled: aws.Bool(false),
		AdjustmentType: aws.String("ChangeInCapacity"), ScalingAdjustment: aws.Int32(1),
	})
	putPolicy(t, client, &autoscaling.PutScalingPolicyInput{
		AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("forecast"), PolicyType: aws.String(PolicyPredictive),
		PredictiveScalingConfiguration: &types.PredictiveScalingConfiguration{
			MetricSpecifications: []types.PredictiveScalingMetricSpecification{{TargetValue: aws.Float64(40),
				PredefinedMetricPairSpecification: &types.PredictiveScalingPredefinedMetricPair{PredefinedMetricType: types.PredefinedMetricPairTypeASGCPUUtilization}}},
		},
	})
	putPolicy(t, client, &autoscaling.PutScalingPolicyInput{
		AutoScalingGroupName: aws.String("workers"), PolicyName: aws.String("forecast-and-scale"), PolicyType: aws.String(PolicyPredictive),
		PredictiveScalingConfiguration: &types.PredictiveScalingConfiguration{
			Mode: types.PredictiveScalingModeForecastAndScale,
			MetricSpecifications: []types.PredictiveScalingMetricSpecification{{TargetValue: aws.Float64(40),
				PredefinedMetricPairSpecification: &types.PredictiveScalingPredefinedMetricPair{PredefinedMetricType: types.PredefinedMetricPairTypeASGCPUUtilization}}},
		},
	})
	putPolicy(t, client, targetTracking("other", "not-ours"))
	c.reset()

	format := func(p Policies) string {
		var out []string
		for _, g := range slices.Sorted(maps.Keys(p.ByGroup)) {
			for _, pol := range p.ByGroup[g] {
				out = append(out, fmt.Sprintf("%s/%s %s enabled=%v mode=%s idle=%q", g, pol.Name, pol.Type, pol.Enabled, pol.Mode, pol.Idle(nil)))
			}
		}
		return strings.Join(out, "\n")
	}
	want := strings.Join([]string{
		`web/add-one SimpleScaling enabled=false mode= idle="disabled"`,
		`web/cpu50 TargetTrackingScaling enabled=true mode= idle=""`,
		`web/forecast PredictiveScaling enabled=true mode=ForecastOnly idle="ForecastOnly"`,
		`workers/forecast-and-scale PredictiveScaling enabled=true mode=ForecastAndScale idle=""`,
	}, "\n")

	got := act.Policies(ctx, []string{"web", "workers"})
	if got.Err != nil || !got.ReadAt.Equal(t0) {
		t.Fatalf("first sweep: err %v, read at %s", got.Err, got.ReadAt)
	}
	if s := format(got); s != want {
		t.Errorf("policies:\n%s\nwant:\n%s", s, want)
	}
	// Five policies, two a page: three pages, one sweep without a group
	// name.
	if n := c.count("DescribePolicies"); n != 3 {
		t.Errorf("first sweep: %d DescribePolicies calls, want 3 (pages of 2 over 5 policies)", n)
	}

	t.Run("cached between sweeps", func(t *testing.T) {
		c.reset()
		putPolicy(t, client, targetTracking("workers", "late"))
		clk.Advance(PoliciesEvery - time.Second)
		if s := format(act.Policies(ctx, []string{"web", "workers"})); s != want {
			t.Errorf("before the next sweep:\n%s", s)
		}
		if n := c.count("DescribePolicies"); n != 0 {
			t.Errorf("%d DescribePolicies calls before the sweep is due", n)
		}
		clk.Advance(time.Second)
		if s := format(act.Policies(ctx, []string{"web", "workers"})); !strings.Contains(s, "workers/late") {
			t.Errorf("after %s the sweep should see the new policy:\n%s", PoliciesEvery, s)
		}
	})

	t.Run("a failed sweep keeps the last answer", func(t *testing.T) {
		h.on.Store(true)
		defer h.on.Store(false)
		before := act.Policies(ctx, []string{"web", "workers"})
		clk.Advance(PoliciesEvery)
		got := act.Policies(ctx, []string{"web", "workers"})
		if got.Err == nil || !strings.Contains(got.Err.Error(), "Throttling") {
			t.Fatalf("err %v, want the throttling error", got.Err)
		}
		if format(got) != format(before) || !got.ReadAt.Equal(before.ReadAt) {
			t.Errorf("after a failed sweep:\n%s\nread at %s, want the last answer read at %s", format(got), got.ReadAt, before.ReadAt)
		}
		// Tried again after a minute, not every call.
		c.reset()
		act.Policies(ctx, []string{"web", "workers"})
		if n := c.count("DescribePolicies"); n != 0 {
			t.Errorf("%d calls at once after a failure", n)
		}
		h.on.Store(false)
		clk.Advance(policiesRetry)
		if got := act.Policies(ctx, []string{"web", "workers"}); got.Err != nil || !got.ReadAt.Equal(clk.Now()) {
			t.Errorf("retry: err %v read at %s", got.Err, got.ReadAt)
		}
	})
}

func TestPolicyIdle(t *testing.T) {
	tests := []struct {
		name      string
		p         Policy
		suspended []string
		want      string
	}{
		{name: "enabled target tracking acts", p: Policy{Type: PolicyTargetTracking, Enabled: true}},
		{name: "disabled", p: Policy{Type: PolicyStep}, want: "disabled"},
		{name: "forecast only", p: Policy{Type: PolicyPredictive, Enabled: true, Mode: "ForecastOnly"}, want: "ForecastOnly"},
		{name: "forecast and scale", p: Policy{Type: PolicyPredictive, Enabled: true, Mode: "ForecastAndScale"}},
		{name: "alarms suspended", p: Policy{Type: PolicySimple, Enabled: true}, suspended: []string{"AlarmNotification"}, want: "AlarmNotification suspended"},
		{name: "alarms suspended do not stop predictive scaling", p: Policy{Type: PolicyPredictive, Enabled: true, Mode: "ForecastAndScale"}, suspended: []string{"AlarmNotification"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Idle(tc.suspended); got != tc.want {
				t.Errorf("Idle = %q, want %q", got, tc.want)
			}
		})
	}
}

// BenchmarkPoliciesSweep times one DescribePolicies sweep over an account
// of 2,000 groups with two policies each (40 pages of 100), against the
// emulator over HTTP.
func BenchmarkPoliciesSweep(b *testing.B) {
	clk := clock.NewFake(t0)
	emu := emulator.New(clk)
	emu.SetGroupLimit(2000)
	srv := httptest.NewServer(emu)
	b.Cleanup(srv.Close)
	c := &counter{calls: map[string]int{}}
	client := newClient(srv.URL, c.middleware)
	ctx := context.Background()
	names := make([]string, 2000)
	for i := range names {
		names[i] = fmt.Sprintf("g%04d", i)
		if err := emu.CreateGroup(emulator.GroupSpec{Name: names[i], Max: 10}); err != nil {
			b.Fatal(err)
		}
		for _, p := range []string{"cpu50", "cpu70"} {
			if _, err := client.PutScalingPolicy(ctx, targetTracking(names[i], p)); err != nil {
				b.Fatal(err)
			}
		}
	}
	act := New(client, clk)
	c.reset()
	b.ResetTimer()
	for range b.N {
		clk.Advance(PoliciesEvery)
		if p := act.Policies(ctx, names); p.Err != nil || len(p.ByGroup) != len(names) {
			b.Fatalf("sweep: %v, %d groups", p.Err, len(p.ByGroup))
		}
	}
	b.ReportMetric(float64(c.count("DescribePolicies"))/float64(b.N), "calls/sweep")
}
