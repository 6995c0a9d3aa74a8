package autoscaling

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/smithy-go"
)

// xmlError is the awsQuery error document.
type xmlError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

func TestProtocolErrors(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		body       string
		query      string
		wantStatus int
		wantCode   string
	}{
		{name: "unknown action", body: "Action=Teleport&Version=2011-01-01", wantStatus: 400, wantCode: "InvalidAction"},
		{name: "unimplemented action", body: "Action=AttachInstances&Version=2011-01-01", wantStatus: 400, wantCode: "InvalidAction"},
		{name: "wrong version", body: "Action=DescribeAutoScalingGroups&Version=2010-08-01", wantStatus: 400, wantCode: "InvalidAction"},
		{name: "no action", body: "Version=2011-01-01", wantStatus: 400, wantCode: "MissingAction"},
		{name: "malformed body", body: "Action=DescribeAutoScalingGroups&%zz=1", wantStatus: 404, wantCode: "MalformedQueryString"},
		{name: "malformed query", query: "Action=%", body: "", wantStatus: 404, wantCode: "MalformedQueryString"},
		{name: "integer that is not", body: "Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=web&DesiredCapacity=many", wantStatus: 400, wantCode: "ValidationError"},
		{name: "boolean that is not", body: "Action=DeleteAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=web&ForceDelete=maybe", wantStatus: 400, wantCode: "ValidationError"},
		{name: "timestamp that is not", body: "Action=PutScheduledUpdateGroupAction&Version=2011-01-01&AutoScalingGroupName=web&ScheduledActionName=a&MinSize=1&StartTime=tomorrow", wantStatus: 400, wantCode: "ValidationError"},
		{name: "missing group name", body: "Action=CreateAutoScalingGroup&Version=2011-01-01&MinSize=0&MaxSize=1", wantStatus: 400, wantCode: "ValidationError"},
		{name: "negative size", body: "Action=CreateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=x&MinSize=-1&MaxSize=1", wantStatus: 400, wantCode: "ValidationError"},
		{name: "size beyond the emulator's limit", body: "Action=CreateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=x&MinSize=0&MaxSize=2147483647", wantStatus: 400, wantCode: "ValidationError"},
		{name: "name with a control character", body: "Action=CreateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=a%01b&MinSize=0&MaxSize=1", wantStatus: 400, wantCode: "ValidationError"},
		{name: "name too long", body: "Action=CreateAutoScalingGroup&Version=2011-01-01&MinSize=0&MaxSize=1&AutoScalingGroupName=" + strings.Repeat("n", 256), wantStatus: 400, wantCode: "ValidationError"},
		{name: "PUT", method: http.MethodPut, body: "Action=DescribeAutoScalingGroups", wantStatus: 405, wantCode: "InvalidAction"},
		{name: "body too large", body: "Action=DescribeAutoScalingGroups&x=" + strings.Repeat("a", maxBodyBytes), wantStatus: 413, wantCode: "RequestEntityTooLarge"},
	}
	f := newFixture(t)
	f.create(t, "web", 0, 5, 0)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			u := f.url + "/"
			if tc.query != "" {
				u += "?" + tc.query
			}
			req, err := http.NewRequest(method, u, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			var e xmlError
			if err := xml.Unmarshal(raw, &e); err != nil {
				t.Fatalf("error body is not XML: %v\n%s", err, raw)
			}
			if e.Error.Code != tc.wantCode {
				t.Errorf("code = %q, want %q (%s)", e.Error.Code, tc.wantCode, e.Error.Message)
			}
			if e.Error.Type != "Sender" || e.RequestID == "" || e.Error.Message == "" {
				t.Errorf("type %q request id %q message %q", e.Error.Type, e.RequestID, e.Error.Message)
			}
		})
	}
}

func TestGETQuery(t *testing.T) {
	f := newFixture(t)
	f.create(t, "web", 0, 5, 1)
	resp, err := http.Get(f.url + "/?Action=DescribeAutoScalingGroups&Version=2011-01-01&AutoScalingGroupNames.member.1=web")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Contains(raw, []byte("<AutoScalingGroupName>web</AutoScalingGroupName>")) {
		t.Errorf("status %d body %s", resp.StatusCode, raw)
	}
	if !bytes.HasPrefix(raw, []byte(`<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeAutoScalingGroupsResult>`)) {
		t.Errorf("response does not open with the result envelope: %.120s", raw)
	}
}

// faultInjector answers the named operation with an injected error and
// passes every other request to the service.
type faultInjector struct {
	next          http.Handler
	op            string
	status        int
	code, message string
}

func (h faultInjector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if RequestOperation(r) == h.op {
		WriteError(w, h.status, h.code, h.message)
		return
	}
	h.next.ServeHTTP(w, r)
}

func TestWriteErrorGivesTypedSDKErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		check  func(error) bool
	}{
		{name: "resource contention", status: 500, code: "ResourceContention", check: func(err error) bool {
			var e *types.ResourceContentionFault
			return errors.As(err, &e)
		}},
		{name: "scaling activity in progress", status: 400, code: "ScalingActivityInProgress", check: func(err error) bool {
			var e *types.ScalingActivityInProgressFault
			return errors.As(err, &e)
		}},
		{name: "throttling", status: 400, code: "Throttling", check: func(err error) bool {
			var e smithy.APIError
			return errors.As(err, &e) && e.ErrorCode() == "Throttling" && e.ErrorMessage() == "Rate exceeded"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			srv := httptest.NewServer(faultInjector{next: f.svc, op: "SetDesiredCapacity", status: tc.status, code: tc.code, message: "Rate exceeded"})
			defer srv.Close()
			client := newClient(srv.URL)
			f.create(t, "web", 0, 5, 0)
			_, err := client.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(1)})
			if !tc.check(err) {
				t.Errorf("err = %T %v", err, err)
			}
			// Other operations pass through the injector untouched.
			if _, err := client.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{}); err != nil {
				t.Errorf("describe through the injector: %v", err)
			}
		})
	}
}

func TestOperation(t *testing.T) {
	form, _ := url.ParseQuery("Action=SetDesiredCapacity&Version=2011-01-01")
	if got := Operation(form); got != "SetDesiredCapacity" {
		t.Errorf("Operation = %q", got)
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=DescribeAutoScalingGroups&Version=2011-01-01"))
	if got := RequestOperation(req); got != "DescribeAutoScalingGroups" {
		t.Errorf("RequestOperation = %q", got)
	}
	rest, _ := io.ReadAll(req.Body)
	if string(rest) != "Action=DescribeAutoScalingGroups&Version=2011-01-01" {
		t.Errorf("body after RequestOperation = %q", rest)
	}
}
