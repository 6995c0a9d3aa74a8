package cloudwatch

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"
)

var fuzzOps = []string{"PutMetricData", "GetMetricData", "ListMetrics"}

// FuzzServeHTTP asserts that no request body makes the emulator panic, and
// that every answer is an empty body or decodable CBOR, with a `__type` on
// every error.
func FuzzServeHTTP(f *testing.F) {
	f.Add(uint8(0), false, cbor.Encode(cbor.Map{"Namespace": cbor.String("App"), "MetricData": cbor.List{
		cbor.Map{"MetricName": cbor.String("A"), "Value": cbor.Float64(1), "Timestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(1.8934596e9)}},
	}}))
	f.Add(uint8(1), false, cbor.Encode(cbor.Map{
		"StartTime": &cbor.Tag{ID: 1, Value: cbor.Uint(1893456000)},
		"EndTime":   &cbor.Tag{ID: 1, Value: cbor.Uint(1893459600)},
		"MetricDataQueries": cbor.List{
			cbor.Map{"Id": cbor.String("m"), "ReturnData": cbor.Bool(false), "MetricStat": cbor.Map{
				"Metric": cbor.Map{"Namespace": cbor.String("App"), "MetricName": cbor.String("A")},
				"Period": cbor.Uint(60), "Stat": cbor.String("p90"),
			}},
			cbor.Map{"Id": cbor.String("e"), "Expression": cbor.String("SUM([m, m]) / (m - 1) ^ 2")},
		},
		"MaxDatapoints": cbor.Uint(3),
	}))
	f.Add(uint8(2), false, cbor.Encode(cbor.Map{"Dimensions": cbor.List{cbor.Map{"Name": cbor.String("K")}}}))
	f.Add(uint8(0), true, []byte{0x1f, 0x8b, 0x08, 0x00})
	f.Add(uint8(1), false, []byte{0xbf, 0x61, 0x61, 0x9f, 0xff})
	f.Fuzz(func(t *testing.T, op uint8, gz bool, body []byte) {
		svc := New(clockAt(t))
		svc.Put("App", "A", nil, t0.Add(-90e9), 1)
		payload := body
		hdr := map[string]string{}
		if gz {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write(body)
			_ = zw.Close()
			if len(body) > 0 && body[0]&1 == 1 {
				payload = body // not compressed at all: a gzip error
			} else {
				payload = b.Bytes()
			}
			hdr["Content-Encoding"] = "gzip"
		}
		w := post(t, svc, fuzzOps[int(op)%len(fuzzOps)], payload, hdr)
		out := w.Body.Bytes()
		if w.Code == http.StatusOK && len(out) == 0 {
			return
		}
		v, err := cbor.Decode(out)
		if err != nil {
			t.Fatalf("status %d: body is not CBOR: %v", w.Code, err)
		}
		m, ok := v.(cbor.Map)
		if !ok {
			t.Fatalf("status %d: body is %T, not a map", w.Code, v)
		}
		if w.Code != http.StatusOK {
			if _, ok := m["__type"].(cbor.String); !ok {
				t.Fatalf("status %d: error without __type: %v", w.Code, m)
			}
		}
	})
}
