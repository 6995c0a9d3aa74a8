package appautoscaling

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
)

// resources is one ECS service, service/prod/web, for the fuzz target.
type resources map[string]int

func (r resources) DesiredCount(id string) (int, bool) { n, ok := r[id]; return n, ok }

func (r resources) SetDesiredCount(id string, n int) bool {
	if _, ok := r[id]; !ok {
		return false
	}
	r[id] = n
	return true
}

// FuzzServe sends arbitrary operations and bodies. Whatever arrives, the
// service must not panic, must answer 200 with a JSON object or a 4xx
// JSON 1.1 error naming its __type, and must never leave the service's
// desired count below 0.
func FuzzServe(f *testing.F) {
	const ref = `"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/web"`
	f.Add("RegisterScalableTarget", []byte(`{`+ref+`,"MinCapacity":3,"MaxCapacity":9}`))
	f.Add("PutScheduledAction", []byte(`{`+ref+`,"ScheduledActionName":"a","Schedule":"at(2026-01-01T00:00:00)","ScalableTargetAction":{"MinCapacity":4}}`))
	f.Add("PutScheduledAction", []byte(`{`+ref+`,"ScheduledActionName":"a","Schedule":"cron(0 * * * ? *)","Timezone":"Nowhere/Else","ScalableTargetAction":{"MaxCapacity":4}}`))
	f.Add("DescribeScalingPolicies", []byte(`{"ServiceNamespace":"ecs","MaxResults":11}`))
	f.Add("DescribeScheduledActions", []byte(`{"ServiceNamespace":"ecs","NextToken":"-1"}`))
	f.Add("DeregisterScalableTarget", []byte(`{`+ref+`}`))
	f.Add("PutScalingPolicy", []byte(`{`+ref+`,"PolicyName":"p","PolicyType":"TargetTrackingScaling"}`))
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		res := resources{"service/prod/web": 2}
		s := New(clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), res)
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
		s.Run()
		if res["service/prod/web"] < 0 {
			t.Fatalf("%s %q: desired count %d", op, body, res["service/prod/web"])
		}
	})
}
