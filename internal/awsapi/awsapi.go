// Package awsapi builds the one aws.Config every AWS client of the process
// shares: the default credential chain, the region, the SDK's own endpoint
// settings (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), a deliberate
// retryer, and a middleware that times and labels every call.
package awsapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Observer receives one observation per logical AWS call (retries included):
// the service and operation, the AWS error code ("" on success) and the
// time the call took.
type Observer interface {
	ObserveCall(service, operation, code string, took time.Duration)
}

// AttemptObserver, when an Observer also implements it, sees every failed
// attempt of a call, retried or not, with its AWS error code: a call that
// was throttled twice and then succeeded counts one call ("OK") and two
// failed attempts ("Throttling"). Throttling shows here before it makes
// any call fail.
type AttemptObserver interface {
	ObserveAttemptError(service, operation, code string)
}

// Options configures Load.
type Options struct {
	// Region overrides the SDK's region resolution when not empty.
	Region string
	// MaxAttempts is the retryer's attempts per call; zero means
	// DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff caps the wait between attempts; zero means DefaultMaxBackoff.
	MaxBackoff time.Duration
	// AppID is added to every request's user agent (for example a replica id).
	AppID string
	// Observer, when set, sees every call.
	Observer Observer
	// CallTimeout, when > 0, is the deadline of every call, retries
	// included, so that no AWS call can hold a cycle forever.
	CallTimeout time.Duration
	// Log, when set, gets one warn line per failed call, rate-limited per
	// service, operation and code (see FailureLog).
	Log *slog.Logger
}

// The retry policy is chosen for a control loop, not for a batch job: a
// cycle runs every few seconds and the next cycle re-reads fresh data, so a
// call retries quickly a couple of times and then gives up rather than
// holding the cycle past its deadline. The SDK's standard retryer backs off
// with full jitter (a random wait in [0, min(MaxBackoff, 2^attempt s)))
// and treats the throttling codes of retry.DefaultThrottleErrorCodes
// (Throttling, ThrottlingException, RequestLimitExceeded,
// RequestThrottled, among others) as retryable, which is what AWS asks of
// a throttled client ("Retries and exponential backoff", Amazon EC2
// developer guide, ec2-api-throttling). Its client-side retry quota stops
// retries altogether while most attempts fail, so a storm of throttling
// is not answered with a storm of retries.
const (
	// DefaultMaxAttempts is the attempts per call (the first plus two retries).
	DefaultMaxAttempts = 3
	// DefaultMaxBackoff caps the wait between attempts well below the
	// default cycle interval of 10 s.
	DefaultMaxBackoff = time.Second
)

// Load builds the shared aws.Config.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = o.MaxAttempts
				so.MaxBackoff = o.MaxBackoff
			})
		}),
	}
	if o.Region != "" {
		opts = append(opts, awsconfig.WithRegion(o.Region))
	}
	if o.AppID != "" {
		opts = append(opts, awsconfig.WithAppID(o.AppID))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("load AWS configuration: no region: set region in the config file or AWS_REGION")
	}
	Instrument(&cfg, o.Observer, o.CallTimeout)
	if o.Log != nil {
		LogFailures(&cfg, NewFailureLog(o.Log, nil))
	}
	return cfg, nil
}

const callMiddlewareID = "HeadroomCall"

// Instrument adds the call middleware to cfg, so every call of every client
// built from it gets a deadline of timeout (when > 0) and reports to obs
// (when not nil).
func Instrument(cfg *aws.Config, obs Observer, timeout time.Duration) {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		// Instrumenting a config twice replaces the middleware rather than
		// failing every call on a duplicate id.
		_, _ = stack.Initialize.Remove(callMiddlewareID)
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc(callMiddlewareID,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, timeout)
					defer cancel()
				}
				start := time.Now()
				out, md, err := next.HandleInitialize(ctx, in)
				if obs != nil {
					obs.ObserveCall(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), ErrorCode(err), time.Since(start))
				}
				return out, md, err
			}), middleware.Before)
	})
	ao, ok := obs.(AttemptObserver)
	if !ok {
		return
	}
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		_, _ = stack.Finalize.Remove(attemptErrorMiddlewareID)
		// Each attempt passes the finalize steps after the retryer's, so
		// this sees every attempt's own error, before any retry.
		m := middleware.FinalizeMiddlewareFunc(attemptErrorMiddlewareID,
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleFinalize(ctx, in)
				if err != nil {
					ao.ObserveAttemptError(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), ErrorCode(err))
				}
				return out, md, err
			})
		if err := stack.Finalize.Insert(m, "Retry", middleware.After); err != nil {
			return stack.Finalize.Add(m, middleware.After)
		}
		return nil
	})
}

const attemptErrorMiddlewareID = "HeadroomAttemptError"

// ErrorCode names an error the way metrics label it: the AWS error code
// when the service answered, "Timeout" or "Canceled" for a context that
// ended, "NetworkError" for a transport failure, "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() != "" {
		return ae.ErrorCode()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "Timeout"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return "Timeout"
		}
		return "NetworkError"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "NetworkError"
	}
	return "Unknown"
}
