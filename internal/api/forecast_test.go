package api

import (
	"context"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/store"
)

func TestForecast(t *testing.T) {
	e := newEnv(t)
	// Two days of history before t0 (12:00): need 2, and 8 from 12:00 to
	// 13:00 each day, so the forecast's first hour is the peak.
	var pts []store.HistoryPoint
	for at := t0.Add(-48 * time.Hour); at.Before(t0); at = at.Add(store.HistoryBucket) {
		need := 2.0
		if at.Hour() == 12 {
			need = 8
		}
		pts = append(pts, store.HistoryPoint{Group: "workers", At: at, NeedUnits: need, Arrivals: 10 * need, Samples: 30, Campaign: at.Hour() == 3})
	}
	if err := e.store.RecordHistory(context.Background(), pts, store.HistoryKeep, t0); err != nil {
		t.Fatal(err)
	}
	last := *e.fleet.views[0].Last
	last.Predictive = &controller.Predictive{Mode: "floor", Floor: 8, Lead: 15 * time.Minute, Quantile: 0.9, Applied: true, Reason: "highest"}
	e.fleet.views[0].Last = &last

	f := e.must(req{method: "GET", path: "/v1/groups/workers/forecast", token: viewerToken}, 200)
	checkKeys(t, "forecast", f, "group", "at", "ok", "reason", "step_seconds", "band_low", "band_high", "points", "history", "predictive")
	if f["ok"] != true || f["reason"] != "" || f["step_seconds"] != float64(300) {
		t.Errorf("forecast ok %v reason %v step %v", f["ok"], f["reason"], f["step_seconds"])
	}
	points := f["points"].([]any)
	if len(points) != 576 {
		t.Fatalf("%d points, want 48 hours of 5-minute buckets (576)", len(points))
	}
	first := points[0].(map[string]any)
	checkKeys(t, "point", first, "at", "need", "low", "high")
	if first["at"] != "2026-06-01T12:00:00Z" || first["need"] != float64(8) {
		t.Errorf("first point %v, want the 12:00 peak of 8", first)
	}
	if p := points[12].(map[string]any); p["need"] != float64(2) {
		t.Errorf("13:00 point %v, want 2", p)
	}
	hist := f["history"].([]any)
	if len(hist) != 48 {
		t.Fatalf("%d history hours, want 48", len(hist))
	}
	h := hist[0].(map[string]any)
	checkKeys(t, "history hour", h, "at", "need", "arrivals", "buckets", "campaign")
	if h["at"] != "2026-05-30T12:00:00Z" || h["need"] != float64(8) || h["arrivals"] != float64(80) || h["buckets"] != float64(12) || h["campaign"] != false {
		t.Errorf("first history hour %v", h)
	}
	if h := hist[15].(map[string]any); h["at"] != "2026-05-31T03:00:00Z" || h["campaign"] != true {
		t.Errorf("03:00 history hour %v, want a campaign", h)
	}
	p := f["predictive"].(map[string]any)
	if p["floor"] != float64(8) || p["lead_seconds"] != float64(900) || p["applied"] != true || p["mode"] != "floor" {
		t.Errorf("predictive %v", p)
	}

	// A group with no history has no forecast, and says why.
	web := e.must(req{method: "GET", path: "/v1/groups/web/forecast", token: viewerToken}, 200)
	if web["ok"] != false || web["reason"] != "no history before now's bucket" || len(web["points"].([]any)) != 0 ||
		len(web["history"].([]any)) != 0 || web["predictive"] != nil {
		t.Errorf("web forecast %v", web)
	}

	for _, tc := range []struct {
		name, path, token, kind string
		status                  int
	}{
		{"unknown group", "/v1/groups/nope/forecast", viewerToken, "not-found", 404},
		{"no token", "/v1/groups/workers/forecast", "", "unauthorized", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "GET", path: tc.path, token: tc.token})
			if r.status != tc.status || r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d, content type %q, want %d problem+json\n%s", r.status, r.header.Get("Content-Type"), tc.status, r.body)
			}
			if typ, _ := r.json(t)["type"].(string); typ != "https://headroom.dev/problems/"+tc.kind {
				t.Errorf("type %q, want %s", typ, tc.kind)
			}
		})
	}
}
