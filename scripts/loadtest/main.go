// Command loadtest drives a running `headroom serve` with the admin API's
// reads and writes at fixed rates and prints each one's latency
// percentiles and errors. It is open-loop: requests leave on schedule
// whether or not earlier ones have answered, and each latency is measured
// from the moment its request was due, so a server that falls behind shows
// it in the figures instead of slowing the load down.
//
//	go run ./scripts/loadtest --url http://127.0.0.1:9464 --token T \
//	    --groups 2000 --read-rate 10 --write-rate 100 --duration 60s
//
// scripts/loadtest.sh starts the emulator and serve and runs it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:9464", "serve's address")
	token := flag.String("token", os.Getenv("HEADROOM_TOKEN"), "an operator token (default $HEADROOM_TOKEN)")
	groups := flag.Int("groups", 2000, "the fleet's size: boosts select a group g0000..g<groups-1> at random")
	readRate := flag.Float64("read-rate", 10, "GET /v1/groups per second (0: none)")
	writeRate := flag.Float64("write-rate", 100, "POST /v1/boosts per second (0: none)")
	duration := flag.Duration("duration", 60*time.Second, "how long to send")
	timeout := flag.Duration("timeout", 10*time.Second, "per-request timeout; a request over it is an error")
	flag.Parse()
	if *token == "" {
		fmt.Fprintln(os.Stderr, "loadtest: --token (or HEADROOM_TOKEN) is required")
		os.Exit(2)
	}
	client := &http.Client{Timeout: *timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	l := &load{url: *url, token: *token, groups: *groups, client: client}

	var wg sync.WaitGroup
	results := map[string]*series{}
	for _, d := range []struct {
		name string
		rate float64
		send func(ctx context.Context, n int) (int, error)
	}{
		{"GET /v1/groups", *readRate, l.readGroups},
		{"POST /v1/boosts", *writeRate, l.createBoost},
	} {
		if d.rate <= 0 {
			continue
		}
		s := &series{}
		results[d.name] = s
		wg.Go(func() { drive(d.rate, *duration, s, d.send) })
	}
	wg.Wait()
	fmt.Printf("duration %s\n", *duration)
	for _, name := range []string{"GET /v1/groups", "POST /v1/boosts"} {
		if s := results[name]; s != nil {
			fmt.Println(s.report(name))
		}
	}
}

// drive sends at rate per second for d, each request in its own goroutine,
// and records into s.
func drive(rate float64, d time.Duration, s *series, send func(ctx context.Context, n int) (int, error)) {
	every := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	var wg sync.WaitGroup
	for n := 0; ; n++ {
		due := start.Add(time.Duration(n) * every)
		if due.Sub(start) >= d {
			break
		}
		time.Sleep(time.Until(due))
		wg.Go(func() {
			status, err := send(context.Background(), n)
			s.add(time.Since(due), status, err)
		})
	}
	wg.Wait()
}

// load is the target and what the requests say.
type load struct {
	url, token string
	groups     int
	client     *http.Client
}

func (l *load) do(ctx context.Context, method, path string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, l.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

func (l *load) readGroups(ctx context.Context, _ int) (int, error) {
	return l.do(ctx, http.MethodGet, "/v1/groups", nil)
}

// createBoost creates a boost of one random group, a day ahead, so that it
// is stored and mirrored but raises no floor during the run.
func (l *load) createBoost(ctx context.Context, n int) (int, error) {
	start := time.Now().Add(24 * time.Hour).Truncate(time.Minute)
	body, err := json.Marshal(map[string]any{
		"name":         fmt.Sprintf("load-%d", n),
		"reason":       "load test",
		"groups":       []string{fmt.Sprintf("g%04d", rand.IntN(l.groups))},
		"start":        start.Format(time.RFC3339),
		"end":          start.Add(time.Hour).Format(time.RFC3339),
		"min_capacity": 3,
	})
	if err != nil {
		return 0, err
	}
	return l.do(ctx, http.MethodPost, "/v1/boosts", body)
}

// series is one kind of request's outcomes.
type series struct {
	mu        sync.Mutex
	latencies []time.Duration
	errors    map[string]int
}

func (s *series) add(d time.Duration, status int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errors == nil {
		s.errors = map[string]int{}
	}
	switch {
	case err != nil:
		s.errors["transport"]++
	case status >= 300:
		s.errors[fmt.Sprint(status)]++
	default:
		s.latencies = append(s.latencies, d)
	}
}

// report is one line: count, p50, p99, max of the successes, and errors by
// kind.
func (s *series) report(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lat := slices.Clone(s.latencies)
	slices.Sort(lat)
	q := func(p float64) string {
		if len(lat) == 0 {
			return "-"
		}
		i := int(p * float64(len(lat)-1))
		return fmt.Sprintf("%.1fms", float64(lat[i].Microseconds())/1000)
	}
	errs := 0
	for _, n := range s.errors {
		errs += n
	}
	return fmt.Sprintf("%-16s ok %d  p50 %s  p99 %s  max %s  errors %d %v",
		name, len(lat), q(0.50), q(0.99), q(1), errs, s.errors)
}
