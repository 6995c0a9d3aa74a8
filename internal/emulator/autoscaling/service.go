// Package autoscaling is a wire-level emulator of the EC2 Auto Scaling API
// as the aws-sdk-go-v2 client speaks it: awsQuery (POST /, form body
// "Action=...&Version=2011-01-01"), XML results and XML errors with AWS's
// codes and HTTP statuses, so the SDK returns its own typed errors.
//
// Groups have instances with a lifecycle on the emulator's clock: new
// instances are Pending for a launch time and then InService; scale-in
// removes Pending instances first, then the newest. A group may have a
// warm pool (warmpool.go) whose instances a scale-out takes first.
// Scheduled actions fire on the same clock. Nothing runs in the
// background: every request and every Go accessor first brings the world
// up to clk.Now(), processing the events in between in time order, so a
// fake clock drives it exactly.
//
// The Go API (CreateGroup, Group, Activities, SetLaunchTime, ...) serves
// tests and the simulator without HTTP.
package autoscaling

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator/awsquery"
)

const (
	// apiVersion is the only version of the EC2 Auto Scaling API.
	apiVersion = "2011-01-01"
	// xmlNamespace is the namespace of every response of the API.
	xmlNamespace = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
	// DefaultRegion and DefaultAccount appear in the ARNs of a service
	// that SetAccount has not placed elsewhere.
	DefaultRegion  = "us-east-1"
	DefaultAccount = "123456789012"

	// DefaultLaunchTime is how long a new instance stays Pending.
	DefaultLaunchTime = 60 * time.Second
	// DefaultGroupLimit is AWS's default quota of Auto Scaling groups per
	// Region ("Auto Scaling groups per Region: 500", Amazon EC2 Auto Scaling
	// service quotas).
	DefaultGroupLimit = 500

	// maxRecordsLimit is the documented maximum MaxRecords of the Describe
	// operations (DescribeAutoScalingGroups, DescribeScalingActivities,
	// DescribeScheduledActions, DescribeInstanceRefreshes).
	maxRecordsLimit = 100
	// maxCapacity bounds MinSize, MaxSize and DesiredCapacity. AWS has no
	// such fixed limit (launches fail on vCPU quotas instead); the emulator
	// holds every instance in memory, so it refuses sizes it cannot hold.
	maxCapacity = 10000
	// maxBodyBytes bounds a request body; awsQuery bodies of this API are
	// a few kilobytes.
	maxBodyBytes = 1 << 20
)

// Service is one emulated account and Region of EC2 Auto Scaling. It is
// safe for concurrent use.
type Service struct {
	mu             sync.Mutex
	clk            clock.Clock
	account        string // in ARNs
	region         string // in ARNs
	groups         map[string]*group
	launchTime     time.Duration
	launchTimeFunc func(group string) time.Duration
	warmStart      map[string]time.Duration // by pool state
	warmStartFunc  func(group, poolState string) time.Duration
	warmHookWait   time.Duration
	terminateTime  time.Duration
	proceedTime    time.Duration
	standbyTime    time.Duration
	groupLimit     int
	pageSize       int
	seq            uint64
	// duesKnown says every group's recorded next event (group.due) is
	// current: no request has changed a group since they were computed.
	duesKnown bool
	// names is every group's name, sorted, for paging; nil when a group
	// was created or deleted since (sortedNames).
	names []string
}

var _ http.Handler = (*Service)(nil)

// New returns an empty service on clk, with DefaultLaunchTime, the
// DefaultWarmStart* times, instances removed at once on scale-in, and
// DefaultGroupLimit.
func New(clk clock.Clock) *Service {
	return &Service{
		clk:        clk,
		account:    DefaultAccount,
		region:     DefaultRegion,
		groups:     map[string]*group{},
		launchTime: DefaultLaunchTime,
		warmStart: map[string]time.Duration{
			PoolStateStopped:    DefaultWarmStartStopped,
			PoolStateRunning:    DefaultWarmStartRunning,
			PoolStateHibernated: DefaultWarmStartHibernated,
		},
		groupLimit: DefaultGroupLimit,
	}
}

// SetAccount places the service in account and region, which its ARNs
// then name; call it before the service is used.
func (s *Service) SetAccount(account, region string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account, s.region = account, region
}

// apiError is an AWS error response: HTTP status, error code, message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// handler is one operation: it reads the parameters and returns the value
// to encode as the operation's <Result> element.
type handler func(s *Service, p params, now time.Time) (any, *apiError)

// handlers lists the operations the emulator implements.
var handlers = map[string]handler{
	"CreateAutoScalingGroup":        (*Service).createAutoScalingGroup,
	"UpdateAutoScalingGroup":        (*Service).updateAutoScalingGroup,
	"DeleteAutoScalingGroup":        (*Service).deleteAutoScalingGroup,
	"DescribeAutoScalingGroups":     (*Service).describeAutoScalingGroups,
	"SetDesiredCapacity":            (*Service).setDesiredCapacity,
	"DescribeScalingActivities":     (*Service).describeScalingActivities,
	"SuspendProcesses":              (*Service).suspendProcesses,
	"ResumeProcesses":               (*Service).resumeProcesses,
	"PutScheduledUpdateGroupAction": (*Service).putScheduledUpdateGroupAction,
	"DeleteScheduledAction":         (*Service).deleteScheduledAction,
	"DescribeScheduledActions":      (*Service).describeScheduledActions,
	"StartInstanceRefresh":          (*Service).startInstanceRefresh,
	"DescribeInstanceRefreshes":     (*Service).describeInstanceRefreshes,
	"CancelInstanceRefresh":         (*Service).cancelInstanceRefresh,
	"PutWarmPool":                   (*Service).putWarmPoolAPI,
	"DescribeWarmPool":              (*Service).describeWarmPool,
	"DeleteWarmPool":                (*Service).deleteWarmPool,
}

// lock takes the service's lock for a call of the Go API, which may
// change any group, so group.due is recomputed on the next read.
func (s *Service) lock() {
	s.mu.Lock()
	s.duesKnown = false
}

// readOnly says the action changes no group: every Describe action.
func readOnly(action string) bool { return strings.HasPrefix(action, "Describe") }

// sortedNames returns every group's name in order, kept between requests
// until a group is created or deleted.
func (s *Service) sortedNames() []string {
	if s.names == nil {
		s.names = make([]string, 0, len(s.groups))
		for n := range s.groups {
			s.names = append(s.names, n)
		}
		sort.Strings(s.names)
	}
	return s.names
}

// ServeHTTP answers one awsQuery request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	form, aerr := readForm(w, r)
	if aerr != nil {
		WriteError(w, aerr.status, aerr.code, aerr.message)
		return
	}
	action := Operation(form)
	if action == "" {
		// AWS's common error for a request without an Action.
		WriteError(w, http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action.")
		return
	}
	h, ok := handlers[action]
	version := form.Get("Version")
	if !ok || (version != "" && version != apiVersion) {
		if version == "" {
			version = apiVersion
		}
		WriteError(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, version))
		return
	}

	var body bytes.Buffer
	func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		now := s.clk.Now()
		if readOnly(action) {
			s.advanceForRead(now)
		} else {
			s.advanceAll(now)
		}
		result, err := h(s, params{form}, now)
		if err != nil {
			aerr = err
			return
		}
		aerr = encodeResult(&body, action, result)
	}()
	if aerr != nil {
		WriteError(w, aerr.status, aerr.code, aerr.message)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body.Bytes())
}

// readForm reads the query parameters of a request: the URL's and, for
// POST, the form body. AWS answers a query it cannot parse with
// MalformedQueryString (HTTP 404).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *apiError) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return nil, &apiError{status: http.StatusMethodNotAllowed, code: "InvalidAction", message: "The HTTP method " + r.Method + " is not supported."}
	}
	form, e := awsquery.ReadForm(w, r, maxBodyBytes)
	if e != nil {
		return nil, &apiError{status: e.Status, code: e.Code, message: e.Message}
	}
	return form, nil
}

// Operation returns the awsQuery action named by a parsed request, or "".
func Operation(form url.Values) string { return form.Get("Action") }

// RequestOperation returns the action of an awsQuery request without
// consuming it: the body is read and put back, so a wrapping handler can
// route or inject faults per operation and still pass the request on.
func RequestOperation(r *http.Request) string {
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	if r.Body == nil || r.Method != http.MethodPost {
		return ""
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return ""
	}
	return Operation(form)
}

// WriteError writes an awsQuery error response. AWS marks client faults
// (4xx) with Type Sender and server faults (5xx) with Type Receiver; the
// SDK maps Code to its typed errors (e.g. "ResourceContention" to
// *types.ResourceContentionFault) and otherwise returns a generic
// smithy.APIError carrying Code and Message.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	awsquery.WriteError(w, xmlNamespace, status, code, message)
}

// encodeResult writes <ActionResponse><ActionResult>...</ActionResult>
// <ResponseMetadata>...</ResponseMetadata></ActionResponse>. The Result
// element is always present, empty for operations without output, because
// the SDK looks for it by name.
func encodeResult(b *bytes.Buffer, action string, result any) *apiError {
	if result == nil {
		result = struct{}{}
	}
	b.WriteString(`<` + action + `Response xmlns="` + xmlNamespace + `">`)
	enc := xml.NewEncoder(b)
	if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
		return &apiError{status: http.StatusInternalServerError, code: "InternalFailure", message: "encode response: " + err.Error()}
	}
	if err := enc.Flush(); err != nil {
		return &apiError{status: http.StatusInternalServerError, code: "InternalFailure", message: "encode response: " + err.Error()}
	}
	b.WriteString(`<ResponseMetadata><RequestId>` + awsquery.RequestID() + `</RequestId></ResponseMetadata></` + action + `Response>`)
	return nil
}

// nextID returns a deterministic id from the service's counter, so that a
// seeded simulation produces the same instance and activity ids each run.
func (s *Service) nextID() uint64 {
	s.seq++
	return s.seq
}

// uuidFrom formats n as a UUID-shaped string.
func uuidFrom(n uint64) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(n>>48), n&0xffffffffffff)
}

// timestamp formats t as AWS does in XML responses.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
