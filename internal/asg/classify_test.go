package asg

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
	emulator "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
)

// injector answers every request with one AWS error in the awsQuery format.
type injector struct {
	status        int
	code, message string
}

func (h injector) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	emulator.WriteError(w, h.status, h.code, h.message)
}

func TestClassifyInjectedErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		code    string
		message string
		want    Class
	}{
		{name: "validation error", status: 400, code: "ValidationError", message: "New SetDesiredCapacity value 11 is above max value 10 for the AutoScalingGroup.", want: ValidationError},
		{name: "scaling activity in progress", status: 400, code: "ScalingActivityInProgress", message: "Scaling activity 1 is in progress and blocks this action", want: ScalingActivityInProgress},
		{name: "resource contention", status: 500, code: "ResourceContention", message: "You already have a pending update to an Auto Scaling resource.", want: ResourceContention},
		{name: "throttling", status: 400, code: "Throttling", message: "Rate exceeded", want: Throttling},
		{name: "throttling exception", status: 400, code: "ThrottlingException", message: "Rate exceeded", want: Throttling},
		{name: "request limit exceeded", status: 503, code: "RequestLimitExceeded", message: "Request limit exceeded.", want: Throttling},
		{name: "service unavailable", status: 503, code: "ServiceUnavailable", message: "Service is unavailable.", want: Transient},
		{name: "internal failure", status: 500, code: "InternalFailure", message: "internal error", want: Transient},
		{name: "bad gateway without a code", status: 502, code: "", message: "", want: Transient},
		{name: "request timeout", status: 400, code: "RequestTimeout", message: "timeout", want: Transient},
		{name: "service-linked role failure", status: 500, code: "ServiceLinkedRoleFailure", message: "role is broken", want: Other},
		{name: "access denied", status: 403, code: "AccessDenied", message: "not authorized", want: Other},
		{name: "quota", status: 400, code: "LimitExceeded", message: "quota", want: Other},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(injector{status: tc.status, code: tc.code, message: tc.message})
			defer srv.Close()
			act := New(newClient(srv.URL), clock.NewFake(t0))
			ctx := context.Background()

			err := act.SetDesired(ctx, "web", 5)
			if got := Classify(err); got != tc.want {
				t.Errorf("SetDesired: class = %v, want %v (%v)", got, tc.want, err)
			}
			_, err = act.Describe(ctx, []string{"web"}, nil)
			if got := Classify(err); got != tc.want {
				t.Errorf("Describe: class = %v, want %v (%v)", got, tc.want, err)
			}
			_, err = act.RefreshInProgress(ctx, "web")
			if got := Classify(err); got != tc.want {
				t.Errorf("RefreshInProgress: class = %v, want %v (%v)", got, tc.want, err)
			}
			wrapped := fmt.Errorf("cycle: %w", err)
			if got := Classify(wrapped); got != tc.want {
				t.Errorf("wrapped: class = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClassifyNetworkAndTimeouts(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		addr := srv.URL
		srv.Close()
		act := New(newClient(addr), clock.NewFake(t0))
		err := act.SetDesired(context.Background(), "web", 1)
		if got := Classify(err); got != Transient {
			t.Errorf("class = %v, want transient (%v)", got, err)
		}
	})

	t.Run("deadline", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		act := New(newClient(srv.URL), clock.NewFake(t0))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err := act.SetDesired(ctx, "web", 1)
		if got := Classify(err); got != Transient {
			t.Errorf("class = %v, want transient (%v)", got, err)
		}
	})

	t.Run("cancelled by the caller", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		act := New(newClient(srv.URL), clock.NewFake(t0))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := act.SetDesired(ctx, "web", 1)
		if got := Classify(err); got != Other {
			t.Errorf("class = %v, want other (%v)", got, err)
		}
	})
}

func TestClassifyPlainErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{name: "nil", err: nil, want: None},
		{name: "plain", err: errors.New("boom"), want: Other},
		{name: "deadline", err: fmt.Errorf("call: %w", context.DeadlineExceeded), want: Transient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.err); got != tc.want {
				t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestClassString(t *testing.T) {
	for c := None; c <= Other; c++ {
		if s := c.String(); s == "" || s == "unknown" {
			t.Errorf("Class(%d).String() = %q", c, s)
		}
	}
	if s := Class(99).String(); s != "unknown" {
		t.Errorf("Class(99).String() = %q", s)
	}
}
