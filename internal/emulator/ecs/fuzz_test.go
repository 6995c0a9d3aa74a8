package ecs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
)

// FuzzServe sends arbitrary operations and bodies. Whatever arrives, the
// service must not panic and must answer 200 with a JSON body or a 4xx
// JSON 1.1 error naming its __type.
func FuzzServe(f *testing.F) {
	f.Add("DescribeServices", []byte(`{"cluster":"prod","services":["web","gone"]}`))
	f.Add("UpdateService", []byte(`{"cluster":"prod","service":"web","desiredCount":3}`))
	f.Add("UpdateService", []byte(`{"service":"web","desiredCount":-1}`))
	f.Add("ListServices", []byte(`{"cluster":"prod","maxResults":1,"nextToken":"1"}`))
	f.Add("DescribeServices", []byte(`{"services":"web"}`))
	f.Add("Nope", []byte(`[]`))
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		s := New(clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
		if err := s.CreateService("prod", "web", ServiceOptions{Desired: 2}); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("X-Amz-Target", TargetPrefix+op)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s %q: answer %d is not a JSON object: %q", op, body, w.Code, w.Body.Bytes())
		}
		if w.Code != http.StatusOK && (w.Code < 400 || w.Code > 499 || m["__type"] == nil) {
			t.Fatalf("%s %q: answer %d %v", op, body, w.Code, m)
		}
	})
}
