// Package appautoscaling emulates Application Auto Scaling for ECS
// services: scalable targets, scaling policies and scheduled actions. It
// speaks AWS JSON 1.1 (X-Amz-Target AnyScaleFrontendService.<Operation>)
// to the real SDK client, on an injected clock.
//
// Semantics follow the Application Auto Scaling API reference and user
// guide:
//
//   - RegisterScalableTarget brings the resource's current capacity into
//     [MinCapacity, MaxCapacity] ("it changes the resource's current
//     capacity to a value that is inside of this range",
//     API_RegisterScalableTarget). An update changes only the parameters
//     it names.
//   - A scheduled action, at its time, sets the target's MinCapacity and
//     MaxCapacity to those it names and then scales out to the new minimum
//     or in to the new maximum ("If current capacity is less than the
//     specified minimum capacity, Application Auto Scaling scales out",
//     "How scheduled scaling for Application Auto Scaling works"). Only
//     at(yyyy-mm-ddThh:mm:ss) schedules fire here; rate() and cron()
//     schedules are stored and described but never run. A one-time action
//     stays after it has run: the API does not say it is removed.
//   - A change made to the resource directly (ECS UpdateService) is not
//     clamped: "You can make out-of-band changes directly to the
//     underlying resource that are outside of this range" ("Application
//     Auto Scaling concepts").
//   - DeregisterScalableTarget deletes the target's scaling policies and
//     scheduled actions with it (API_DeregisterScalableTarget).
//
// Scaling policies are stored and described; they never scale.
package appautoscaling

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator/awsjson"
)

// TargetPrefix starts the X-Amz-Target header of every operation.
const TargetPrefix = "AnyScaleFrontendService."

// Account and Region name the emulated resources in ARNs.
const (
	Account = "000000000000"
	Region  = "us-east-1"
)

// Page sizes: the default and the largest MaxResults of each Describe
// ("This value can be between 1 and 50. The default value is 50",
// API_DescribeScalableTargets and API_DescribeScheduledActions; "between
// 1 and 10. The default value is 10", API_DescribeScalingPolicies).
const (
	targetsPage  = 50
	policiesPage = 10
	actionsPage  = 50
)

// Resources is the service whose capacity the scalable targets move, by
// resource id ("service/CLUSTER/SERVICE" for ECS).
type Resources interface {
	DesiredCount(resourceID string) (int, bool)
	SetDesiredCount(resourceID string, n int) bool
}

// Service is the emulated Application Auto Scaling. It is safe for
// concurrent use.
type Service struct {
	clk clock.Clock
	// account and region name the resources in ARNs: the package's
	// Account and Region until SetAccount.
	account, region string
	res             Resources

	mu       sync.Mutex
	targets  map[key]*target
	policies map[key]map[string]*policy
	actions  map[key]map[string]*action
	seq      int
}

// key names a scalable target.
type key struct{ ns, resource, dim string }

type target struct {
	key
	min, max int
	roleARN  string
	created  time.Time
	arn      string
	suspend  json.RawMessage
}

type policy struct {
	name, typ string
	arn       string
	created   time.Time
	step      json.RawMessage
	tracking  json.RawMessage
}

type action struct {
	name, schedule, timezone string
	arn                      string
	start, end               *time.Time
	min, max                 *int
	created                  time.Time
	// at is when an at() schedule fires; done once it has.
	at   time.Time
	done bool
}

// New returns an empty Application Auto Scaling over res.
func New(clk clock.Clock, res Resources) *Service {
	return &Service{clk: clk, res: res, targets: map[key]*target{}, policies: map[key]map[string]*policy{}, actions: map[key]map[string]*action{},
		account: Account, region: Region}
}

// Run performs every scheduled action due by now, in time order. The
// server calls it before each request to this service and to ECS, so
// that a read sees what has run.
func (s *Service) Run() {
	now := s.clk.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	type due struct {
		k key
		a *action
	}
	var list []due
	for k, m := range s.actions {
		for _, a := range m {
			if !a.done && !a.at.IsZero() && !now.Before(a.at) {
				list = append(list, due{k, a})
			}
		}
	}
	slices.SortFunc(list, func(x, y due) int { return x.a.at.Compare(y.a.at) })
	for _, d := range list {
		d.a.done = true
		t := s.targets[d.k]
		if t == nil {
			continue
		}
		lo, hi := t.min, t.max
		if d.a.min != nil {
			lo = *d.a.min
		}
		if d.a.max != nil {
			hi = *d.a.max
		}
		if lo > hi {
			// The action would leave the minimum above the maximum: it
			// fails and changes nothing ("you must include both sizes to
			// ensure that the new minimum capacity is not higher than the
			// maximum capacity", scheduled scaling considerations).
			continue
		}
		t.min, t.max = lo, hi
		s.clamp(t)
	}
}

// Target returns a scalable target's MinCapacity and MaxCapacity.
func (s *Service) Target(ns, resourceID, dim string) (min, max int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.targets[key{ns, resourceID, dim}]
	if t == nil {
		return 0, 0, false
	}
	return t.min, t.max, true
}

// clamp brings the resource's capacity into the target's range.
func (s *Service) clamp(t *target) {
	n, ok := s.res.DesiredCount(t.resource)
	if !ok {
		return
	}
	switch {
	case n < t.min:
		s.res.SetDesiredCount(t.resource, t.min)
	case n > t.max:
		s.res.SetDesiredCount(t.resource, t.max)
	}
}

// ServeHTTP answers one AWS JSON 1.1 request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Run()
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
	if !ok {
		WriteError(w, http.StatusBadRequest, "UnknownOperationException", "missing or foreign X-Amz-Target")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		WriteError(w, http.StatusBadRequest, "SerializationException", "cannot read body")
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	handlers := map[string]func([]byte) (any, *apiError){
		"RegisterScalableTarget":   s.registerScalableTarget,
		"DescribeScalableTargets":  s.describeScalableTargets,
		"DeregisterScalableTarget": s.deregisterScalableTarget,
		"PutScalingPolicy":         s.putScalingPolicy,
		"DescribeScalingPolicies":  s.describeScalingPolicies,
		"DeleteScalingPolicy":      s.deleteScalingPolicy,
		"PutScheduledAction":       s.putScheduledAction,
		"DescribeScheduledActions": s.describeScheduledActions,
		"DeleteScheduledAction":    s.deleteScheduledAction,
	}
	h := handlers[op]
	if h == nil {
		WriteError(w, http.StatusBadRequest, "UnknownOperationException", "operation "+op+" is not emulated")
		return
	}
	out, aerr := h(body)
	if aerr != nil {
		WriteError(w, aerr.status, aerr.code, aerr.message)
		return
	}
	awsjson.Reply(w, out, WriteError, "InternalServiceException")
}

// apiError is an error the service answers with.
type apiError struct {
	status  int
	code    string
	message string
}

func validation(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationException", message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ObjectNotFoundException", message: fmt.Sprintf(format, args...)}
}

// WriteError writes an AWS JSON 1.1 error the client turns into a typed
// error (ValidationException, ObjectNotFoundException,
// ConcurrentUpdateException, InternalServiceException...). A server that
// composes this service uses it to inject faults.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	awsjson.WriteError(w, status, code, message, "InternalServiceException")
}

func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{status: http.StatusBadRequest, code: "SerializationException", message: err.Error()}
	}
	return nil
}

func (s *Service) nextID() string {
	s.seq++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", s.seq, s.seq)
}
