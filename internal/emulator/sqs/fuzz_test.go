package sqs_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator/sqs"
)

// FuzzServeHTTP sends arbitrary targets and bodies to a service holding a
// queue with sent, bulk, delayed and in-flight messages. Whatever arrives,
// the service must not panic and must answer with a JSON object; errors
// must carry a __type.
func FuzzServeHTTP(f *testing.F) {
	f.Fuzz(func(t *testing.T, target string, body []byte) {
		clk := clock.NewFake(start)
		svc := sqs.New(clk, nil)
		if _, err := svc.CreateQueue("q", map[string]string{"VisibilityTimeout": "5"}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Enqueue("q", 20); err != nil {
			t.Fatal(err)
		}
		serve(svc, http.MethodPost, "AmazonSQS.SendMessage", `{"QueueUrl":"http://localhost/000000000000/q","MessageBody":"m","DelaySeconds":3}`)
		serve(svc, http.MethodPost, "AmazonSQS.ReceiveMessage", `{"QueueUrl":"http://localhost/000000000000/q","MaxNumberOfMessages":2}`)

		for range 2 {
			w := serve(svc, http.MethodPost, target, string(body))
			var out map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("status %d: body %q is not a JSON object: %v", w.Code, w.Body, err)
			}
			if w.Code != http.StatusOK {
				if typ, _ := out["__type"].(string); typ == "" {
					t.Fatalf("status %d without __type: %s", w.Code, w.Body)
				}
			}
			clk.Advance(4 * time.Second)
		}
		svc.Stats("q")
	})
}
