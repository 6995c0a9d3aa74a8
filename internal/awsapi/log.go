package awsapi

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// FailureLogInterval is the shortest time between two log lines about
// failures of the same service, operation and error code. Throttling comes
// in storms: a line per failed call would flood the log just when it is
// read, while the AWSCalls metric still counts every failure.
const FailureLogInterval = 10 * time.Second

// FailureLog writes one warn line per failed AWS call (service, operation,
// code, attempts, error), at most one per service, operation and code every
// FailureLogInterval; a line says how many like it were suppressed since
// the last one.
type FailureLog struct {
	log *slog.Logger
	now func() time.Time

	mu    sync.Mutex
	lines map[failureKey]*failureLine
}

type failureKey struct{ service, operation, code string }

type failureLine struct {
	at         time.Time
	suppressed int
}

// NewFailureLog returns a FailureLog writing to log; now is the time source
// of the rate limit (nil means time.Now).
func NewFailureLog(log *slog.Logger, now func() time.Time) *FailureLog {
	if now == nil {
		now = time.Now
	}
	return &FailureLog{log: log, now: now, lines: map[failureKey]*failureLine{}}
}

// Failed reports one failed call after attempts attempts; it logs it unless
// a line about the same service, operation and code was written within
// FailureLogInterval.
func (l *FailureLog) Failed(service, operation, code string, attempts int, err error) {
	k := failureKey{service, operation, code}
	now := l.now()
	l.mu.Lock()
	line := l.lines[k]
	if line != nil && now.Sub(line.at) < FailureLogInterval {
		line.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := 0
	if line != nil {
		suppressed = line.suppressed
	}
	l.lines[k] = &failureLine{at: now}
	l.mu.Unlock()
	l.log.Warn("aws call failed", "service", service, "operation", operation, "code", code,
		"attempts", attempts, "suppressed", suppressed, "err", err)
}

const (
	failureLogMiddlewareID = "HeadroomFailureLog"
	attemptMiddlewareID    = "HeadroomAttempt"
)

// attemptsKey holds a call's attempt counter in its context.
type attemptsKey struct{}

// LogFailures makes every client built from cfg report its failed calls to
// l, once per logical call (after the retryer gave up), with the number of
// attempts made.
func LogFailures(cfg *aws.Config, l *FailureLog) {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		_, _ = stack.Initialize.Remove(failureLogMiddlewareID)
		_, _ = stack.Finalize.Remove(attemptMiddlewareID)
		err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc(failureLogMiddlewareID,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				var attempts atomic.Int32
				ctx = context.WithValue(ctx, attemptsKey{}, &attempts)
				out, md, err := next.HandleInitialize(ctx, in)
				if err != nil {
					l.Failed(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), ErrorCode(err), int(attempts.Load()), err)
				}
				return out, md, err
			}), middleware.Before)
		if err != nil {
			return err
		}
		// Each attempt passes the finalize steps after the retryer's.
		count := middleware.FinalizeMiddlewareFunc(attemptMiddlewareID,
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if n, ok := ctx.Value(attemptsKey{}).(*atomic.Int32); ok {
					n.Add(1)
				}
				return next.HandleFinalize(ctx, in)
			})
		if err := stack.Finalize.Insert(count, "Retry", middleware.After); err != nil {
			return stack.Finalize.Add(count, middleware.After)
		}
		return nil
	})
}
