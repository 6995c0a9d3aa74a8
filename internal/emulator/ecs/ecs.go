// Package ecs emulates the part of Amazon ECS that a capacity controller
// uses: services in clusters, their tasks going PENDING to RUNNING and
// stopping on scale-in, and deployments. It speaks AWS JSON 1.1
// (X-Amz-Target AmazonEC2ContainerServiceV20141113.<Operation>) to the
// real SDK client, on an injected clock.
//
// Operations over the wire: DescribeServices, UpdateService (desiredCount)
// and ListServices. Clusters, services and deployments are created from Go.
//
// The model: a service keeps one task per unit of desired count. A new
// task is PENDING for the service's StartTime (or a time drawn for it, see
// SetStartTimeFunc) and then RUNNING; Tasks lists them from Go. On
// scale-in ECS stops the surplus tasks, pending ones first; a stopping
// task leaves the running count at once (its lastStatus moves on from
// RUNNING) and is gone after StopTime. A deployment started from Go is
// the PRIMARY deployment with rolloutState IN_PROGRESS for its duration,
// with the previous one ACTIVE beside it; then it is COMPLETED and alone.
// Tasks are not replaced by a deployment here: only its state is modelled.
package ecs

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator/awsjson"
)

// TargetPrefix starts the X-Amz-Target header of every ECS operation.
const TargetPrefix = "AmazonEC2ContainerServiceV20141113."

// Account and Region name the emulated resources in ARNs.
const (
	Account = "000000000000"
	Region  = "us-east-1"
)

// maxDescribe is how many services one DescribeServices call may name
// ("You may specify up to 10 services to describe",
// API_DescribeServices, services).
const maxDescribe = 10

// Defaults for a service created without them.
const (
	// DefaultStartTime is a Fargate task's usual time from PENDING to
	// RUNNING: image pull and container start take tens of seconds.
	DefaultStartTime = 30 * time.Second
	// DefaultStopTime is how long a stopping task takes to be gone: ECS
	// sends SIGTERM and waits up to the container's stopTimeout, 30s by
	// default (ContainerDefinition stopTimeout).
	DefaultStopTime = 30 * time.Second
)

// Service is the emulated ECS. It is safe for concurrent use.
type Service struct {
	clk clock.Clock
	// account and region name the resources in ARNs: the package's
	// Account and Region until SetAccount.
	account, region string
	// BeforeRequest, when set, runs at the start of each request, outside
	// the service's lock: the server lets Application Auto Scaling run its
	// due scheduled actions so that a read sees them.
	BeforeRequest func()

	mu       sync.Mutex
	clusters map[string]*cluster
	seq      int
	// startTimeFunc, when set, gives each new task its time from PENDING
	// to RUNNING instead of the service's StartTime.
	startTimeFunc func(cluster, service string) time.Duration
}

type cluster struct {
	name     string
	services map[string]*service
	order    []string
}

type service struct {
	name      string
	cluster   string
	created   time.Time
	desired   int
	startTime time.Duration
	stopTime  time.Duration
	tasks     []*task
	deploys   []*deployment
	tags      map[string]string
}

type task struct {
	id        string
	created   time.Time
	running   time.Time // when it becomes RUNNING
	stoppedAt time.Time // zero while not stopping; when stopping began
}

type deployment struct {
	id      string
	created time.Time
	until   time.Time // the rollout is IN_PROGRESS before this
	taskDef string
}

// New returns an empty ECS on clk.
func New(clk clock.Clock) *Service {
	return &Service{clk: clk, clusters: map[string]*cluster{}, account: Account, region: Region}
}

// ServiceOptions are a service's settings at creation; zero fields take
// the defaults above.
type ServiceOptions struct {
	Desired   int
	StartTime time.Duration
	StopTime  time.Duration
	// Running starts the service with Desired tasks already RUNNING, as a
	// service that was up before the test began.
	Running bool
	// Tags are the service's tags, returned by DescribeServices with
	// include TAGS.
	Tags map[string]string
}

// SetStartTimeFunc makes every task created from now on take f(cluster,
// service) from PENDING to RUNNING, drawn once when the task is created,
// in creation order, instead of its service's StartTime: a simulation
// draws start times from a seeded stream so that every run's k-th task
// starts as fast. Tasks a service starts RUNNING with (ServiceOptions
// Running) draw nothing. nil restores the services' own StartTime.
func (s *Service) SetStartTimeFunc(f func(cluster, service string) time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startTimeFunc = f
}

// CreateCluster creates a cluster; an existing one is left as it is.
func (s *Service) CreateCluster(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clusters[name] == nil {
		s.clusters[name] = &cluster{name: name, services: map[string]*service{}}
	}
}

// CreateService creates a service in cluster (created too if missing)
// with one COMPLETED PRIMARY deployment.
func (s *Service) CreateService(clusterName, name string, o ServiceOptions) error {
	if o.Desired < 0 {
		return fmt.Errorf("create service %s/%s: desired count %d below 0", clusterName, name, o.Desired)
	}
	s.CreateCluster(clusterName)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clusters[clusterName]
	if c.services[name] != nil {
		return fmt.Errorf("create service %s/%s: already exists", clusterName, name)
	}
	now := s.clk.Now()
	sv := &service{name: name, cluster: clusterName, created: now, startTime: o.StartTime, stopTime: o.StopTime, tags: maps.Clone(o.Tags)}
	if sv.startTime <= 0 {
		sv.startTime = DefaultStartTime
	}
	if sv.stopTime <= 0 {
		sv.stopTime = DefaultStopTime
	}
	sv.deploys = []*deployment{{id: s.nextID("ecs-svc/"), created: now, until: now, taskDef: s.taskDefARN(name, 1)}}
	c.services[name] = sv
	c.order = append(c.order, name)
	if o.Running {
		for range o.Desired {
			sv.tasks = append(sv.tasks, &task{id: s.nextID(""), created: now, running: now})
		}
	}
	s.setDesired(sv, o.Desired, now)
	return nil
}

// DeleteService removes a service at once (no draining).
func (s *Service) DeleteService(clusterName, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clusters[clusterName]; c != nil && c.services[name] != nil {
		delete(c.services, name)
		c.order = slices.DeleteFunc(c.order, func(n string) bool { return n == name })
	}
}

// StartDeployment starts a new deployment of the service that is
// IN_PROGRESS for d: the service's deployments are then the new PRIMARY
// and the previous one ACTIVE, until d has passed.
func (s *Service) StartDeployment(clusterName, name string, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.lookup(clusterName, name)
	if sv == nil {
		return fmt.Errorf("start deployment of %s/%s: no such service", clusterName, name)
	}
	now := s.clk.Now()
	s.advance(sv, now)
	sv.deploys = append([]*deployment{{id: s.nextID("ecs-svc/"), created: now, until: now.Add(d), taskDef: s.taskDefARN(name, len(sv.deploys)+1)}}, sv.deploys[len(sv.deploys)-1])
	return nil
}

// Counts returns a service's desired, running and pending counts now.
func (s *Service) Counts(clusterName, name string) (desired, running, pending int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.lookup(clusterName, name)
	if sv == nil {
		return 0, 0, 0, false
	}
	now := s.clk.Now()
	s.advance(sv, now)
	running, pending, _ = sv.counts(now)
	return sv.desired, running, pending, true
}

// Task states, as a task's lastStatus reads: PENDING until it runs,
// RUNNING, then STOPPING from the moment ECS stops it until it is gone.
const (
	TaskPending  = "PENDING"
	TaskRunning  = "RUNNING"
	TaskStopping = "STOPPING"
)

// Task is one task of a service as Tasks lists it.
type Task struct {
	ID string
	// State is TaskPending, TaskRunning or TaskStopping.
	State string
	// CreatedAt is when the service started the task.
	CreatedAt time.Time
	// RunningAt is when the task became (or, while PENDING, becomes)
	// RUNNING; a task the service started with runs since its creation.
	RunningAt time.Time
}

// Tasks returns a service's tasks now, in creation order, stopped tasks
// that are gone left out.
func (s *Service) Tasks(clusterName, name string) ([]Task, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.lookup(clusterName, name)
	if sv == nil {
		return nil, false
	}
	now := s.clk.Now()
	s.advance(sv, now)
	out := make([]Task, 0, len(sv.tasks))
	for _, t := range sv.tasks {
		st := TaskRunning
		switch {
		case !t.stoppedAt.IsZero():
			st = TaskStopping
		case now.Before(t.running):
			st = TaskPending
		}
		out = append(out, Task{ID: t.id, State: st, CreatedAt: t.created, RunningAt: t.running})
	}
	return out, true
}

// DesiredCount returns the desired count of the service named by an
// Application Auto Scaling resource id, "service/CLUSTER/SERVICE".
func (s *Service) DesiredCount(resourceID string) (int, bool) {
	c, n, ok := splitResource(resourceID)
	if !ok {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.lookup(c, n)
	if sv == nil {
		return 0, false
	}
	return sv.desired, true
}

// SetDesiredCount sets the desired count of the service named by an
// Application Auto Scaling resource id; it reports whether the service
// exists.
func (s *Service) SetDesiredCount(resourceID string, n int) bool {
	c, name, ok := splitResource(resourceID)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.lookup(c, name)
	if sv == nil {
		return false
	}
	s.setDesired(sv, n, s.clk.Now())
	return true
}

func splitResource(id string) (clusterName, name string, ok bool) {
	rest, found := strings.CutPrefix(id, "service/")
	if !found {
		return "", "", false
	}
	clusterName, name, ok = strings.Cut(rest, "/")
	return clusterName, name, ok && clusterName != "" && name != "" && !strings.Contains(name, "/")
}

func (s *Service) lookup(clusterName, name string) *service {
	c := s.clusters[clusterName]
	if c == nil {
		return nil
	}
	return c.services[name]
}

func (s *Service) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%016x", prefix, s.seq)
}

func (s *Service) taskDefARN(family string, rev int) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", s.region, s.account, family, rev)
}

func (s *Service) serviceARN(clusterName, name string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", s.region, s.account, clusterName, name)
}

func (s *Service) clusterARN(name string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", s.region, s.account, name)
}

// setDesired moves the service to n tasks: new tasks start PENDING; on
// scale-in the surplus stops, pending tasks first and then the newest
// running ones.
func (s *Service) setDesired(sv *service, n int, now time.Time) {
	s.advance(sv, now)
	sv.desired = n
	var live []*task
	for _, t := range sv.tasks {
		if t.stoppedAt.IsZero() {
			live = append(live, t)
		}
	}
	for len(live) < n {
		start := sv.startTime
		if s.startTimeFunc != nil {
			start = s.startTimeFunc(sv.cluster, sv.name)
		}
		t := &task{id: s.nextID(""), created: now, running: now.Add(start)}
		sv.tasks = append(sv.tasks, t)
		live = append(live, t)
	}
	if len(live) > n {
		// Pending first, then the latest to run: the sort puts them last.
		slices.SortStableFunc(live, func(a, b *task) int { return a.running.Compare(b.running) })
		for _, t := range live[n:] {
			t.stoppedAt = now
		}
	}
}

// advance drops tasks that have finished stopping and deployments whose
// rollout has completed and been replaced.
func (s *Service) advance(sv *service, now time.Time) {
	sv.tasks = slices.DeleteFunc(sv.tasks, func(t *task) bool {
		return !t.stoppedAt.IsZero() && !now.Before(t.stoppedAt.Add(sv.stopTime))
	})
	if len(sv.deploys) > 1 && !now.Before(sv.deploys[0].until) {
		sv.deploys = sv.deploys[:1]
	}
}

func (sv *service) counts(now time.Time) (running, pending, stopping int) {
	for _, t := range sv.tasks {
		switch {
		case !t.stoppedAt.IsZero():
			stopping++
		case now.Before(t.running):
			pending++
		default:
			running++
		}
	}
	return running, pending, stopping
}

// ServeHTTP answers one AWS JSON 1.1 request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.BeforeRequest != nil {
		s.BeforeRequest()
	}
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
	var out any
	var aerr *apiError
	switch op {
	case "DescribeServices":
		var in describeServicesInput
		if aerr = decode(body, &in); aerr == nil {
			out, aerr = s.describeServices(in)
		}
	case "UpdateService":
		var in updateServiceInput
		if aerr = decode(body, &in); aerr == nil {
			out, aerr = s.updateService(in)
		}
	case "ListServices":
		var in listServicesInput
		if aerr = decode(body, &in); aerr == nil {
			out, aerr = s.listServices(in)
		}
	default:
		aerr = &apiError{status: http.StatusBadRequest, code: "UnknownOperationException", message: "operation " + op + " is not emulated"}
	}
	if aerr != nil {
		WriteError(w, aerr.status, aerr.code, aerr.message)
		return
	}
	awsjson.Reply(w, out, WriteError, "ServerException")
}

func decode(body []byte, v any) *apiError {
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{status: http.StatusBadRequest, code: "SerializationException", message: err.Error()}
	}
	return nil
}

// SetAccount makes the service's ARNs name account and region: the scope
// it serves. Call it before the first request.
func (s *Service) SetAccount(account, region string) { s.account, s.region = account, region }
