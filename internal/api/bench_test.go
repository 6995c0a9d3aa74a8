package api

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/store"
)

// BenchmarkListGroups2000 measures GET /v1/groups over loopback HTTP with
// a real client, for 2,000 groups with realistic decisions and a few
// boosts and overrides in the store.
func BenchmarkListGroups2000(b *testing.B) {
	get := listGroupsFixture(b)
	b.SetBytes(int64(get()))
	var lat []time.Duration
	start := time.Now()
	for b.Loop() {
		t := time.Now()
		get()
		lat = append(lat, time.Since(t))
	}
	reportLatency(b, lat, time.Since(start))
}

// BenchmarkListGroups2000At200rps offers GET /v1/groups at a steady 200
// requests/s from 8 concurrent clients for 1,000 requests per iteration,
// and measures each request's latency from when it was due, so that a
// server falling behind shows in the figures (no coordinated omission).
func BenchmarkListGroups2000At200rps(b *testing.B) {
	const (
		rate     = 200
		requests = 1000
		clients  = 8
	)
	get := listGroupsFixture(b)
	var lat []time.Duration
	var elapsed time.Duration
	for b.Loop() {
		due := make(chan time.Time, requests)
		results := make(chan time.Duration, requests)
		start := time.Now()
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for at := range due {
					if d := time.Until(at); d > 0 {
						time.Sleep(d)
					}
					get()
					results <- time.Since(at)
				}
			}()
		}
		for i := range requests {
			due <- start.Add(time.Duration(i) * time.Second / rate)
		}
		close(due)
		wg.Wait()
		close(results)
		elapsed += time.Since(start)
		for d := range results {
			lat = append(lat, d)
		}
	}
	reportLatency(b, lat, elapsed)
}

func reportLatency(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	b.Helper()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
}

// listGroupsFixture serves 2,000 groups and returns a function that GETs
// /v1/groups once over loopback HTTP and returns the body's size.
func listGroupsFixture(b *testing.B) func() int {
	b.Helper()
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
	get() // warm the connection
	return get
}
