package ecs

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/internal/emulator/awsjson"
)

// apiError is an error the service answers with.
type apiError struct {
	status  int
	code    string
	message string
}

func clientError(code, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: msg}
}

// errorBody is the JSON body of an AWS JSON 1.1 error.
// WriteError writes an AWS JSON 1.1 error the ECS client turns into a
// typed error: the status and a body whose __type is the error's shape
// name (ClusterNotFoundException, ServiceNotFoundException,
// InvalidParameterException, ThrottlingException...). A server that
// composes this service uses it to inject faults.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	awsjson.WriteError(w, status, code, message, "ServerException")
}

// epoch is a timestamp as AWS JSON writes it by default: seconds since
// the epoch, with a fraction.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)), nil
}

type describeServicesInput struct {
	Cluster  string   `json:"cluster"`
	Services []string `json:"services"`
	// Include TAGS returns each service's tags ("If TAGS is specified, the
	// tags are included in the response. If this field is omitted, tags
	// aren't included", API_DescribeServices, include).
	Include []string `json:"include"`
}

type tagOut struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type failure struct {
	Arn    string `json:"arn,omitempty"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

type deploymentOut struct {
	ID                 string `json:"id"`
	Status             string `json:"status"`
	TaskDefinition     string `json:"taskDefinition"`
	DesiredCount       int    `json:"desiredCount"`
	PendingCount       int    `json:"pendingCount"`
	RunningCount       int    `json:"runningCount"`
	FailedTasks        int    `json:"failedTasks"`
	CreatedAt          epoch  `json:"createdAt"`
	UpdatedAt          epoch  `json:"updatedAt"`
	LaunchType         string `json:"launchType"`
	RolloutState       string `json:"rolloutState"`
	RolloutStateReason string `json:"rolloutStateReason"`
}

type serviceOut struct {
	ServiceArn         string          `json:"serviceArn"`
	ServiceName        string          `json:"serviceName"`
	ClusterArn         string          `json:"clusterArn"`
	Status             string          `json:"status"`
	DesiredCount       int             `json:"desiredCount"`
	RunningCount       int             `json:"runningCount"`
	PendingCount       int             `json:"pendingCount"`
	LaunchType         string          `json:"launchType"`
	TaskDefinition     string          `json:"taskDefinition"`
	SchedulingStrategy string          `json:"schedulingStrategy"`
	CreatedAt          epoch           `json:"createdAt"`
	Deployments        []deploymentOut `json:"deployments"`
	Tags               []tagOut        `json:"tags,omitempty"`
}

type describeServicesOutput struct {
	Services []serviceOut `json:"services"`
	Failures []failure    `json:"failures"`
}

// clusterName reads a cluster given by name or ARN; "" is "default", as
// ECS assumes ("If you do not specify a cluster, the default cluster is
// assumed", API_DescribeServices, cluster).
func clusterName(v string) string {
	if v == "" {
		return "default"
	}
	if i := strings.LastIndex(v, ":cluster/"); i >= 0 {
		return v[i+len(":cluster/"):]
	}
	return v
}

// serviceName reads a service given by name or ARN (either ARN form:
// service/NAME or service/CLUSTER/NAME).
func serviceName(v string) string {
	if i := strings.LastIndex(v, ":service/"); i >= 0 {
		rest := v[i+len(":service/"):]
		if j := strings.LastIndexByte(rest, '/'); j >= 0 {
			return rest[j+1:]
		}
		return rest
	}
	return v
}

func (s *Service) describeServices(in describeServicesInput) (any, *apiError) {
	if len(in.Services) == 0 {
		return nil, clientError("InvalidParameterException", "Services cannot be empty.")
	}
	if len(in.Services) > maxDescribe {
		return nil, clientError("InvalidParameterException", fmt.Sprintf("services can have at most %d items.", maxDescribe))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cn := clusterName(in.Cluster)
	c := s.clusters[cn]
	if c == nil {
		return nil, clientError("ClusterNotFoundException", "Cluster not found.")
	}
	now := s.clk.Now()
	out := describeServicesOutput{Services: []serviceOut{}, Failures: []failure{}}
	for _, ref := range in.Services {
		name := serviceName(ref)
		sv := c.services[name]
		if sv == nil {
			// A service that does not exist is a failure with reason
			// MISSING, not an error of the call.
			out.Failures = append(out.Failures, failure{Arn: s.serviceARN(cn, name), Reason: "MISSING"})
			continue
		}
		v := s.view(sv, now)
		if slices.Contains(in.Include, "TAGS") {
			for _, k := range slices.Sorted(maps.Keys(sv.tags)) {
				v.Tags = append(v.Tags, tagOut{Key: k, Value: sv.tags[k]})
			}
		}
		out.Services = append(out.Services, v)
	}
	return out, nil
}

// view renders a service. Its counts are the PRIMARY deployment's while
// one deployment is there; during a deployment every task is counted on
// the PRIMARY one (tasks are not replaced here), the ACTIVE one at zero.
func (s *Service) view(sv *service, now time.Time) serviceOut {
	s.advance(sv, now)
	running, pending, _ := sv.counts(now)
	out := serviceOut{
		ServiceArn: s.serviceARN(sv.cluster, sv.name), ServiceName: sv.name, ClusterArn: s.clusterARN(sv.cluster),
		Status: "ACTIVE", DesiredCount: sv.desired, RunningCount: running, PendingCount: pending,
		LaunchType: "FARGATE", TaskDefinition: sv.deploys[0].taskDef, SchedulingStrategy: "REPLICA",
		CreatedAt: epoch(sv.created),
	}
	for i, d := range sv.deploys {
		do := deploymentOut{ID: d.id, Status: "PRIMARY", TaskDefinition: d.taskDef, CreatedAt: epoch(d.created),
			UpdatedAt: epoch(d.created), LaunchType: "FARGATE", RolloutState: "COMPLETED",
			RolloutStateReason: "ECS deployment " + d.id + " completed."}
		if i == 0 {
			do.DesiredCount, do.RunningCount, do.PendingCount = sv.desired, running, pending
			if now.Before(d.until) {
				do.RolloutState, do.RolloutStateReason = "IN_PROGRESS", "ECS deployment "+d.id+" in progress."
			}
		} else {
			do.Status = "ACTIVE"
		}
		out.Deployments = append(out.Deployments, do)
	}
	return out
}

type updateServiceInput struct {
	Cluster      string `json:"cluster"`
	Service      string `json:"service"`
	DesiredCount *int   `json:"desiredCount"`
}

type updateServiceOutput struct {
	Service serviceOut `json:"service"`
}

func (s *Service) updateService(in updateServiceInput) (any, *apiError) {
	if in.Service == "" {
		return nil, clientError("InvalidParameterException", "Service cannot be empty.")
	}
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return nil, clientError("InvalidParameterException", "Desired count must be greater than or equal to 0.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cn := clusterName(in.Cluster)
	c := s.clusters[cn]
	if c == nil {
		return nil, clientError("ClusterNotFoundException", "Cluster not found.")
	}
	sv := c.services[serviceName(in.Service)]
	if sv == nil {
		return nil, clientError("ServiceNotFoundException", "Service not found.")
	}
	now := s.clk.Now()
	if in.DesiredCount != nil {
		s.setDesired(sv, *in.DesiredCount, now)
	}
	return updateServiceOutput{Service: s.view(sv, now)}, nil
}

type listServicesInput struct {
	Cluster    string `json:"cluster"`
	NextToken  string `json:"nextToken"`
	MaxResults int    `json:"maxResults"`
}

type listServicesOutput struct {
	ServiceArns []string `json:"serviceArns"`
	NextToken   string   `json:"nextToken,omitempty"`
}

// listServicesPage is ListServices' default and largest page ("The
// default value is 10 ... this value can be between 1 and 100",
// API_ListServices, maxResults).
const (
	listServicesDefault = 10
	listServicesMax     = 100
)

func (s *Service) listServices(in listServicesInput) (any, *apiError) {
	n := in.MaxResults
	if n == 0 {
		n = listServicesDefault
	}
	if n < 1 || n > listServicesMax {
		return nil, clientError("InvalidParameterException", "maxResults must be between 1 and 100.")
	}
	start := 0
	if in.NextToken != "" {
		v, err := strconv.Atoi(in.NextToken)
		if err != nil || v < 0 {
			return nil, clientError("InvalidParameterException", "Invalid nextToken.")
		}
		start = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cn := clusterName(in.Cluster)
	c := s.clusters[cn]
	if c == nil {
		return nil, clientError("ClusterNotFoundException", "Cluster not found.")
	}
	out := listServicesOutput{ServiceArns: []string{}}
	for i := start; i < len(c.order) && len(out.ServiceArns) < n; i++ {
		out.ServiceArns = append(out.ServiceArns, s.serviceARN(cn, c.order[i]))
		if len(out.ServiceArns) == n && i+1 < len(c.order) {
			out.NextToken = strconv.Itoa(i + 1)
		}
	}
	return out, nil
}
