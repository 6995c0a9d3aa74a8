package awsapi_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

// TestThrottledAttemptsCountedByCode throttles a call twice at the
// emulator and checks, through the real SDK client and retryer, that the
// call succeeds on its third attempt, that headroom_aws_errors_total counts
// both failed attempts under their code and that the call itself counts
// once, as OK.
func TestThrottledAttemptsCountedByCode(t *testing.T) {
	tests := []struct {
		name        string
		code        string
		maxAttempts int
		wantErrors  float64
		wantCall    string
	}{
		{name: "Throttling, retried until it succeeds", code: "Throttling", maxAttempts: 3, wantErrors: 2, wantCall: "OK"},
		{name: "RequestLimitExceeded, retried until it succeeds", code: "RequestLimitExceeded", maxAttempts: 3, wantErrors: 2, wantCall: "OK"},
		{name: "Throttling, out of attempts", code: "Throttling", maxAttempts: 2, wantErrors: 2, wantCall: "Throttling"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isolateEnv(t)
			emu := emulator.StartTest(t, clock.NewFake(time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)))
			t.Setenv("AWS_ENDPOINT_URL", emu.URL())
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
			emu.AddFault(emulator.Fault{Service: emulator.ServiceAutoScaling, Operation: "DescribeAutoScalingGroups",
				Status: 400, Code: tc.code, Message: "Rate exceeded", Times: 2})

			m := telemetry.NewMetrics()
			cfg, err := awsapi.Load(t.Context(), awsapi.Options{Region: emulator.Region, Observer: m,
				MaxAttempts: tc.maxAttempts, MaxBackoff: time.Millisecond})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			_, err = autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(t.Context(), &autoscaling.DescribeAutoScalingGroupsInput{})
			if (err == nil) != (tc.wantCall == "OK") {
				t.Fatalf("DescribeAutoScalingGroups: err %v, want call %s", err, tc.wantCall)
			}
			if got := testutil.ToFloat64(m.AWSErrors.WithLabelValues("Auto Scaling", "DescribeAutoScalingGroups", tc.code)); got != tc.wantErrors {
				t.Errorf("headroom_aws_errors_total{code=%q} = %v, want %v", tc.code, got, tc.wantErrors)
			}
			if got := testutil.ToFloat64(m.AWSCalls.WithLabelValues("Auto Scaling", "DescribeAutoScalingGroups", tc.wantCall)); got != 1 {
				t.Errorf("headroom_aws_calls_total{code=%q} = %v, want 1", tc.wantCall, got)
			}
		})
	}
}
