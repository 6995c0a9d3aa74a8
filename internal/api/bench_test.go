package api

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/store"
)

// BenchmarkListGroups2000 measures GET /v1/groups over loopback HTTP with
// a real client, for 2,000 groups with realistic decisions and a few
// boosts and overrides in the store.
func BenchmarkListGroups2000(b *testing.B) {
	const groups = 2000
	e := newEnv(b)
	views := make([]controller.GroupView, groups)
	for i := range views {
		rec := record(fmt.Sprintf("g%04d", i), t0.Add(-10*time.Second), 10, 12)
		views[i] = controller.GroupView{Name: rec.Group, ASG: rec.ASG, Min: 2, Max: 100,
			Tags: map[string]string{"team": fmt.Sprintf("t%d", i%20)}, ASGMin: 1, ASGMax: 100,
			Known: true, Lead: 4 * time.Minute, Last: &rec}
	}
	e.fleet.views = views
	ctx := b.Context()
	for i := range 20 {
		_, err := e.store.PutBoost(ctx, store.Boost{ID: fmt.Sprintf("b-%016d", i), Name: "campaign", Reason: "r",
			Groups: []string{fmt.Sprintf("team=t%d", i), fmt.Sprintf("g%04d", i*7)}, Start: t0.Add(time.Hour),
			End: t0.Add(3 * time.Hour), MinCapacity: 20})
		if err != nil {
			b.Fatal(err)
		}
	}
	for i := range 50 {
		_, err := e.store.PutOverride(ctx, store.Override{ID: fmt.Sprintf("o-%016d", i), Group: fmt.Sprintf("g%04d", i*13),
			Kind: "pause", Reason: "r", ExpiresAt: t0.Add(time.Hour)})
		if err != nil {
			b.Fatal(err)
		}
	}
	client := e.srv.Client()
	get := func() int {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/v1/groups", nil)
		if err != nil {
			b.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+viewerToken)
		resp, err := client.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET /v1/groups: %d %v", resp.StatusCode, err)
		}
		return int(n)
	}
	size := get() // warm the connection
	b.SetBytes(int64(size))

	var lat []time.Duration
	start := time.Now()
	for b.Loop() {
		t := time.Now()
		get()
		lat = append(lat, time.Since(t))
	}
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
}
