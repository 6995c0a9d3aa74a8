package autoscaling

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/clock"
)

var t0 = time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)

type fixture struct {
	svc    *Service
	clk    *clock.Fake
	client *autoscaling.Client
	url    string
}

// newFixture starts the emulator on a fake clock behind a real HTTP
// server and returns an SDK client that talks to it.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := clock.NewFake(t0)
	svc := New(clk)
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return &fixture{svc: svc, clk: clk, client: newClient(srv.URL), url: srv.URL}
}

func newClient(endpoint string) *autoscaling.Client {
	return autoscaling.New(autoscaling.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", Source: "test"}, nil
		}),
		// Retry only the SDK's closed-connection race (see
		// emulator.Retryer), so that every injected error is seen once.
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 2
			o.RateLimiter = ratelimit.None
			o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
				if errors.Is(err, net.ErrClosed) {
					return aws.TrueTernary
				}
				return aws.FalseTernary
			})}
		}),
	})
}

func (f *fixture) create(t *testing.T, name string, lo, hi, desired int) {
	t.Helper()
	_, err := f.client.CreateAutoScalingGroup(context.Background(), &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name),
		MinSize:              aws.Int32(int32(lo)),
		MaxSize:              aws.Int32(int32(hi)),
		DesiredCapacity:      aws.Int32(int32(desired)),
	})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

func (f *fixture) group(t *testing.T, name string) GroupView {
	t.Helper()
	g, ok := f.svc.Group(name)
	if !ok {
		t.Fatalf("group %s does not exist", name)
	}
	return g
}

// apiCode returns the AWS error code of err, or "" if it has none.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}
