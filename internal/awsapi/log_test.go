package awsapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/awsapi"
)

// logLines decodes a JSON log buffer into one map per line.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("log line: %v", err)
		}
		out = append(out, m)
	}
	return out
}

func TestLogFailuresOneLinePerCodeAndInterval(t *testing.T) {
	var mu sync.Mutex
	throttle := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		th := throttle
		mu.Unlock()
		if !th {
			(&sqsServer{}).ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Query-Error", "RequestThrottled;Sender")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Rate exceeded"}`)
	}))
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL)
	cfg.RetryMaxAttempts = 0
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	awsapi.LogFailures(&cfg, awsapi.NewFailureLog(slog.New(slog.NewJSONHandler(&buf, nil)), func() time.Time { return now }))
	client := sqs.NewFromConfig(cfg)

	steps := []struct {
		name      string
		advance   time.Duration
		throttle  bool
		queue     string
		wantLines int
	}{
		{"first failure is logged", 0, true, queueURL, 1},
		{"same code within the interval is suppressed", time.Second, true, queueURL, 1},
		{"and again", time.Second, true, queueURL, 1},
		{"another code is its own line", 0, false, "http://127.0.0.1/000000000000/missing", 2},
		{"a success logs nothing", 0, false, queueURL, 2},
		{"after the interval the code is logged again", awsapi.FailureLogInterval, true, queueURL, 3},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		mu.Lock()
		throttle = st.throttle
		mu.Unlock()
		_, _ = getAttributes(t.Context(), client, st.queue)
		if got := len(logLines(t, &buf)); got != st.wantLines {
			t.Fatalf("%s: %d log lines, want %d:\n%s", st.name, got, st.wantLines, buf.String())
		}
	}

	lines := logLines(t, &buf)
	checks := []struct {
		name string
		line map[string]any
		want map[string]any
	}{
		{"first throttle", lines[0], map[string]any{"level": "WARN", "service": "SQS", "operation": "GetQueueAttributes",
			"code": "RequestThrottled", "attempts": 3.0, "suppressed": 0.0}},
		{"missing queue", lines[1], map[string]any{"code": "AWS.SimpleQueueService.NonExistentQueue", "attempts": 1.0}},
		{"throttle after the interval", lines[2], map[string]any{"code": "RequestThrottled", "attempts": 3.0, "suppressed": 2.0}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.want {
				if c.line[k] != v {
					t.Errorf("%s = %v, want %v (line %v)", k, c.line[k], v, c.line)
				}
			}
		})
	}
}
