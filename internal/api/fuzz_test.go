package api

import (
	"testing"

	"github.com/headroom-dev/headroom/internal/store"
)

// checkDecodeProblem requires what every request decoder promises: an
// error is malformed-json or names its field.
func checkDecodeProblem(t *testing.T, p *problem) {
	t.Helper()
	if p == nil {
		return
	}
	if p.kind != kindMalformedJSON && p.field == "" {
		t.Fatalf("%s problem without a field: %v", p.kind, p)
	}
	if p.status != 400 && p.status != 422 {
		t.Fatalf("decoder problem with status %d: %v", p.status, p)
	}
	for _, fe := range p.errs {
		if fe.Field == "" || fe.Detail == "" {
			t.Fatalf("field error without field or detail: %+v", fe)
		}
	}
}

func checkProblems(t *testing.T, ps problems) {
	t.Helper()
	if p := ps.problem(); p != nil {
		checkDecodeProblem(t, p)
	}
}

func FuzzDecodeBoost(f *testing.F) {
	f.Add([]byte(boostBody))
	fl := newFleet(testFleet().views)
	f.Fuzz(func(t *testing.T, data []byte) {
		in, p := decodeBoost(data)
		checkDecodeProblem(t, p)
		if p == nil {
			_, ps := buildBoost(in, store.Boost{}, true, t0, fl, "")
			checkProblems(t, ps)
		}
		patch, p := decodeBoostPatch(data)
		checkDecodeProblem(t, p)
		if p == nil {
			base := store.Boost{ID: "b-1", Name: "n", Reason: "r", Groups: []string{"workers"},
				Start: t0.Add(1e12), End: t0.Add(2e12), MinCapacity: 3, Version: 1}
			_, ps := buildBoost(patch.boostFields, base, false, t0, fl, "")
			checkProblems(t, ps)
		}
	})
}

func FuzzDecodeOverride(f *testing.F) {
	f.Add([]byte(overrideBody))
	workers, _ := testFleet().View("workers")
	f.Fuzz(func(t *testing.T, data []byte) {
		in, p := decodeOverride(data)
		checkDecodeProblem(t, p)
		if p == nil {
			_, ps := buildOverride(in, workers, t0)
			checkProblems(t, ps)
		}
	})
}

func FuzzDecodePreview(f *testing.F) {
	f.Add([]byte(`{"current":3,"queues":{"jobs":{"visible":1}},"boost":{"name":"n"}}`))
	fl := newFleet(testFleet().views)
	f.Fuzz(func(t *testing.T, data []byte) {
		req, p := decodePreview(data)
		checkDecodeProblem(t, p)
		if p == nil {
			_, ps := buildPreview(req, "workers", t0, fl)
			checkProblems(t, ps)
		}
	})
}
