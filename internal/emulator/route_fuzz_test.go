package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/internal/emulator/appautoscaling"
	"github.com/headroom-dev/headroom/internal/emulator/ecs"
)

// FuzzRoute routes arbitrary methods, paths, query strings, targets and
// bodies. Whatever arrives, route must not panic, must name one of the
// services, and must agree with the protocol rules: the CloudWatch RPC v2
// path wins, then an SQS, ECS or Application Auto Scaling target, and
// everything else goes to Auto Scaling with the Action its service would read (query string first, then
// a POST form body).
func FuzzRoute(f *testing.F) {
	f.Add(http.MethodPost, "/service/GraniteServiceVersion20100801/operation/GetMetricData", "", "", []byte{0xa0})
	f.Add(http.MethodPost, "/", "", "AmazonSQS.GetQueueAttributes", []byte(`{"QueueUrl":"http://127.0.0.1/000000000000/q"}`))
	f.Add(http.MethodPost, "/", "", "", []byte("Action=DescribeAutoScalingGroups&Version=2011-01-01"))
	f.Add(http.MethodGet, "/", "Action=DescribeScalingActivities&Version=2011-01-01", "", []byte("Action=SetDesiredCapacity"))
	f.Add(http.MethodPost, "/", "", "DynamoDB_20120810.GetItem", []byte("%zz"))
	f.Add(http.MethodPost, "/service/GraniteServiceVersion20100801/operation/", "", "AmazonSQS.", []byte("Action=SetDesiredCapacity"))
	f.Add(http.MethodPost, "/", "", "AmazonEC2ContainerServiceV20141113.DescribeServices", []byte(`{"cluster":"c","services":["s"]}`))
	f.Add(http.MethodPost, "/", "Action=SetDesiredCapacity", "AnyScaleFrontendService.PutScheduledAction", []byte(`{}`))
	f.Fuzz(func(t *testing.T, method, path, rawQuery, target string, body []byte) {
		r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery}, Header: http.Header{}}
		if target != "" {
			r.Header.Set("X-Amz-Target", target)
		}
		service, op := route(r, body)
		switch {
		case strings.HasPrefix(path, cloudWatchPrefix):
			if service != ServiceCloudWatch || op != strings.TrimPrefix(path, cloudWatchPrefix) {
				t.Fatalf("path %q routed to %q %q, want CloudWatch", path, service, op)
			}
		case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS."):
			if service != ServiceSQS || "AmazonSQS."+op != r.Header.Get("X-Amz-Target") {
				t.Fatalf("target %q routed to %q %q, want SQS", target, service, op)
			}
		case strings.HasPrefix(r.Header.Get("X-Amz-Target"), ecs.TargetPrefix):
			if service != ServiceECS || ecs.TargetPrefix+op != r.Header.Get("X-Amz-Target") {
				t.Fatalf("target %q routed to %q %q, want ECS", target, service, op)
			}
		case strings.HasPrefix(r.Header.Get("X-Amz-Target"), appautoscaling.TargetPrefix):
			if service != ServiceAppScaling || appautoscaling.TargetPrefix+op != r.Header.Get("X-Amz-Target") {
				t.Fatalf("target %q routed to %q %q, want Application Auto Scaling", target, service, op)
			}
		default:
			if service != ServiceAutoScaling {
				t.Fatalf("path %q target %q routed to %q, want Auto Scaling", path, target, service)
			}
			if want := queryAction(method, rawQuery, body); op != want {
				t.Fatalf("%s ?%s body %q routed to operation %q, want %q", method, rawQuery, body, op, want)
			}
		}
	})
}

// queryAction is the Action an awsQuery service reads from a request, or "".
func queryAction(method, rawQuery string, body []byte) string {
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return ""
	}
	if a := query.Get("Action"); a != "" {
		return a
	}
	if method != http.MethodPost {
		return ""
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return form.Get("Action")
}
