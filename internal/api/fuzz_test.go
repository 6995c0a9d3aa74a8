package api

import (
	"path/filepath"
	"testing"

	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/bolt"
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

func FuzzDecodeCampaign(f *testing.F) {
	f.Add([]byte(campaignBody))
	st, err := bolt.Open(filepath.Join(f.TempDir(), "headroom.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	s, err := newServer(Options{Store: st, Fleet: testFleet(), CampaignCosts: map[string]float64{"workers": 0.3}})
	if err != nil {
		f.Fatal(err)
	}
	fl := newFleet(testFleet().views)
	f.Fuzz(func(t *testing.T, data []byte) {
		in, p := decodeCampaign(data)
		checkDecodeProblem(t, p)
		if p != nil {
			return
		}
		for _, create := range []bool{true, false} {
			plan, ps, err := s.planCampaign(t.Context(), in, t0, fl, create)
			if err != nil {
				t.Fatal(err)
			}
			checkProblems(t, ps)
			if ps.problem() == nil {
				for _, b := range plan.boosts {
					if b.MinCapacity < 1 || !b.End.After(b.Start) {
						t.Fatalf("boost %+v: floor below 1 or an empty window", b)
					}
				}
			}
		}
	})
}
