package asg

import (
	"context"
	"errors"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Class is what the controller does about a failed call.
type Class int

// Classes of errors. The zero value None is the class of a nil error.
const (
	// None: no error.
	None Class = iota
	// ValidationError: the request was wrong for the group's current state
	// (e.g. capacity outside MinSize/MaxSize, group not found); retrying
	// the same call will fail again.
	ValidationError
	// ScalingActivityInProgress: AWS refused because an activity is in
	// progress; try again next cycle.
	ScalingActivityInProgress
	// ResourceContention: AWS's "already a pending update to this
	// resource" fault (HTTP 500); try again next cycle.
	ResourceContention
	// Throttling: the account's request rate was exceeded; back off.
	Throttling
	// Transient: a 5xx answer, a network failure or a timeout.
	Transient
	// Other: anything else (access denied, quota, unknown).
	Other
)

var classNames = [...]string{
	None:                      "none",
	ValidationError:           "validation_error",
	ScalingActivityInProgress: "scaling_activity_in_progress",
	ResourceContention:        "resource_contention",
	Throttling:                "throttling",
	Transient:                 "transient",
	Other:                     "other",
}

// String returns the class as a snake_case label for logs and metrics.
func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "unknown"
}

// Classify sorts an error from this package (or from the SDK) into a
// Class. It looks through wrapping, including the retryer's
// MaxAttemptsError.
//
// Throttling uses the SDK retryer's own list of throttle codes
// (retry.DefaultThrottleErrorCodes); EC2 Auto Scaling answers an exceeded
// request rate with code "Throttling", message "Rate exceeded", HTTP 400.
// Its quota fault "LimitExceeded" is not on that list and is not
// throttling: it is Other.
func Classify(err error) Class {
	if err == nil {
		return None
	}
	var contention *types.ResourceContentionFault
	if errors.As(err, &contention) {
		return ResourceContention
	}
	var inProgress *types.ScalingActivityInProgressFault
	if errors.As(err, &inProgress) {
		return ScalingActivityInProgress
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		if _, ok := retry.DefaultThrottleErrorCodes[code]; ok {
			return Throttling
		}
		switch code {
		case "ValidationError":
			return ValidationError
		case "ResourceContention":
			return ResourceContention
		case "ScalingActivityInProgress":
			return ScalingActivityInProgress
		case "ServiceLinkedRoleFailure":
			// An HTTP 500, but the service-linked role is broken: waiting
			// does not fix it.
			return Other
		case "RequestTimeout", "RequestTimeoutException":
			return Transient
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Transient
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && status.HTTPStatusCode() >= 500 {
		return Transient
	}
	var sendErr *smithyhttp.RequestSendError
	if errors.As(err, &sendErr) && !errors.Is(err, context.Canceled) {
		return Transient
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return Transient
	}
	return Other
}
