package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/store"
)

// rowOf returns the overview's table row of group.
func rowOf(t *testing.T, html, group string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<tr class="group" data-group="` + regexp.QuoteMeta(group) + `">.*?</tr>`)
	m := re.FindString(html)
	if m == "" {
		t.Fatalf("no row for %s", group)
	}
	return m
}

func TestOverview(t *testing.T) {
	e := newEnv(t, testViews())
	seed(t, e)
	e.history(30, true, "workers")
	e.history(30, false, "web")
	b := e.login(viewerToken)
	r := b.get("/")
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", r.status, r.header.Get("Content-Type"))
	}
	for _, want := range []string{"<!doctype html>", `<main id="main" data-refresh="10">`, `<script src="/static/app.js" defer>`,
		`<table class="groups">`, `id="count">6 groups, page 1 of 1<`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	rows := rowPattern.FindAllStringSubmatch(r.body, -1)
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}
	tests := []struct {
		group   string
		want    []string
		notWant []string
	}{
		{"workers", []string{`href="/groups/workers"`, "workers-asg", `<td class="num">10</td><td class="num">10</td><td class="num">12</td>`,
			"2-50", "ASG 1-40", `badge boost">boosted<`, `badge warn">stale data<`, `<svg class="spark"`, "<polyline points=", "cpu wants more"},
			[]string{"paused", "pinned", "not leader"}},
		{"web", []string{`badge info">pinned<`, `badge muted">boost scheduled<`, `<svg class="spark"`}, []string{"stale data", "boosted<"}},
		{"lagging", []string{`badge warn">not leader<`, "no history"}, []string{"<svg"}},
		{"broken", []string{`badge error">error<`, "describe group: throttled"}, nil},
		{"held", []string{`badge info">paused<`}, nil},
		{"batch", []string{`badge muted">not described<`}, []string{"ASG "}},
	}
	for _, tc := range tests {
		t.Run(tc.group, func(t *testing.T) {
			row := rowOf(t, r.body, tc.group)
			for _, w := range tc.want {
				if !strings.Contains(row, w) {
					t.Errorf("row lacks %q:\n%s", w, row)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(row, w) {
					t.Errorf("row has %q:\n%s", w, row)
				}
			}
		})
	}
	// The sparkline has one point per recorded decision.
	m := regexp.MustCompile(`(?s)data-group="workers".*?<polyline points="([^"]*)"`).FindStringSubmatch(r.body)
	if m == nil || len(strings.Fields(m[1])) != 30 {
		t.Errorf("workers sparkline: %v", m)
	}
}

func TestOverviewPagination(t *testing.T) {
	e := newEnv(t, manyViews(250))
	b := e.login(operatorToken)
	tests := []struct {
		name, path  string
		first, last string
		rows        int
		prev, next  string
	}{
		{"first page", "/", "g0000", "g0099", 100, "", "/?page=2"},
		{"second page", "/?page=2", "g0100", "g0199", 100, "/?page=1", "/?page=3"},
		{"last page", "/?page=3", "g0200", "g0249", 50, "/?page=2", ""},
		{"past the end is the last page", "/?page=99", "g0200", "g0249", 50, "/?page=2", ""},
		{"garbage is the first page", "/?page=x", "g0000", "g0099", 100, "", "/?page=2"},
		{"name filter", "/?q=G012", "g0120", "g0129", 10, "", ""},
		{"filter and page", "/?q=g01&page=1", "g0100", "g0199", 100, "", ""},
		{"no match", "/?q=nothing", "", "", 0, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.get(tc.path)
			if r.status != http.StatusOK {
				t.Fatalf("status %d", r.status)
			}
			rows := rowPattern.FindAllStringSubmatch(r.body, -1)
			if len(rows) != tc.rows {
				t.Fatalf("%d rows, want %d", len(rows), tc.rows)
			}
			if tc.rows > 0 && (rows[0][1] != tc.first || rows[len(rows)-1][1] != tc.last) {
				t.Errorf("rows %s..%s, want %s..%s", rows[0][1], rows[len(rows)-1][1], tc.first, tc.last)
			}
			links := map[string]string{"prev": tc.prev, "next": tc.next}
			for rel, want := range links {
				m := regexp.MustCompile(`rel="` + rel + `" href="([^"]*)"`).FindStringSubmatch(r.body)
				got := ""
				if m != nil {
					got = strings.ReplaceAll(m[1], "&amp;", "&")
				}
				if want != "" && got != want || want == "" && got != "" && tc.name != "filter and page" {
					t.Errorf("%s link %q, want %q", rel, got, want)
				}
			}
		})
	}
}

func TestOverviewPageWeight(t *testing.T) {
	const groups = 2000
	views := manyViews(groups)
	e := newEnv(t, views)
	// The first two pages' groups have a full sparkline's worth of history.
	e.history(sparkLimit, false, names(views[:2*pageSize])...)
	b := e.login(operatorToken)
	e.reads.reset()
	r := b.get("/")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	if n := len(r.body); n >= 300<<10 {
		t.Errorf("overview of %d groups weighs %d bytes, want < 300 KiB", groups, n)
	} else {
		t.Logf("overview of %d groups: %d bytes", groups, n)
	}
	if rows := rowPattern.FindAllString(r.body, -1); len(rows) != pageSize {
		t.Errorf("%d rows, want %d", len(rows), pageSize)
	}
	// Only the groups on the page had their history read.
	if got := e.reads.total.Load(); got != pageSize {
		t.Errorf("%d decision reads, want %d (the page's groups only)", got, pageSize)
	}
	if e.reads.reads["g0150"] != 0 || e.reads.reads["g0099"] != 1 {
		t.Errorf("reads: g0150 %d, g0099 %d", e.reads.reads["g0150"], e.reads.reads["g0099"])
	}
}

func TestFragment(t *testing.T) {
	e := newEnv(t, testViews())
	b := e.login(operatorToken)
	for _, p := range []string{"/", "/groups/workers", "/boosts", "/overrides"} {
		t.Run(p, func(t *testing.T) {
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			r := b.get(p + sep + "fragment=1")
			if r.status != http.StatusOK {
				t.Fatalf("status %d", r.status)
			}
			if strings.Contains(r.body, "<html") || strings.Contains(r.body, "<header") || !strings.Contains(r.body, "<h1>") {
				t.Errorf("fragment is not just the content:\n%.300s", r.body)
			}
		})
	}
}

func TestGroupPage(t *testing.T) {
	e := newEnv(t, testViews())
	seed(t, e)
	e.history(60, true, "workers")
	op := e.login(operatorToken)
	r := op.get("/groups/workers")
	if r.status != http.StatusOK {
		t.Fatalf("status %d\n%s", r.status, r.body)
	}
	section := func(class string) string {
		m := regexp.MustCompile(`(?s)<table class="` + class + `">.*?</table>`).FindString(r.body)
		if m == "" {
			t.Fatalf("no %s table", class)
		}
		return m
	}
	tests := []struct {
		name  string
		where string
		want  []string
	}{
		{"header", r.body, []string{"<h1>workers", "bounds 2-50, ASG 1-40", "lead 5m;", `id="floor">Boost floor in force: at least 20<`}},
		{"proposals", section("proposals"), []string{"<td>cpu</td><td>target_tracking</td>", "backlog 5000 at 0.4 s each",
			`<span class="badge warn">no</span>`}},
		{"changes", section("changes"), []string{`<td>stabilize</td><td class="num">15</td><td class="num">13</td><td>scale-in window</td>`}},
		{"inputs", section("inputs"), []string{`<tr class="stale"><td>latency</td><td>metric</td>`, `<td class="num">10m0s</td>`,
			`<td class="num">30s</td>`}},
		{"queues", section("queues"), []string{`<td>jobs</td><td>jobs</td><td class="num">12.50</td><td class="num">5000.00</td>`,
			`<td class="num">3m0s</td>`, `<td class="num">28.00</td><td>drain</td>`}},
		{"notes", regexp.MustCompile(`(?s)<ul class="notes" id="notes">.*?</ul>`).FindString(r.body), []string{
			"<li>other scaling policies attached to the group can change its desired capacity too: cpu50 (TargetTrackingScaling)</li>",
			"<li>scaling policies attached to the group that cannot change its capacity now: add-one (SimpleScaling, disabled)</li>"}},
		{"chart", r.body, []string{`<svg class="chart"`, `<polyline class="current"`, `<polyline class="decided"`,
			`<polyline class="min"`, `<polyline class="max"`}},
		{"boosts", section("boosts"), []string{`data-boost="b-active"`, "launch", `badge active">active<`, "min 20",
			`name="action" value="cancel"`, `name="return" value="/groups/workers"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, w := range tc.want {
				if !strings.Contains(tc.where, w) {
					t.Errorf("lacks %q", w)
				}
			}
		})
	}
	if n := strings.Count(section("decisions"), "<tr>") - 1; n != recentDecisions {
		t.Errorf("%d recent decisions, want %d", n, recentDecisions)
	}
	if pts := regexp.MustCompile(`<polyline class="decided" points="([^"]*)"`).FindStringSubmatch(r.body); pts == nil ||
		len(strings.Fields(pts[1])) != 60 {
		t.Errorf("decided line: %v", pts)
	}
	t.Run("web shows its pin with a cancel button", func(t *testing.T) {
		w := op.get("/groups/web")
		if !strings.Contains(w.body, `data-override="o-pin"`) || !strings.Contains(w.body, "incident 42") || strings.Contains(w.body, `id="notes"`) ||
			!strings.Contains(w.body, `data-boost="b-later"`) || strings.Contains(w.body, `id="floor"`) {
			t.Errorf("web page:\n%s", w.body)
		}
		c := op.post("/overrides", url.Values{"action": {"cancel"}, "id": {"o-pin"}, "return": {"/groups/web"}})
		if c.status != http.StatusSeeOther || c.header.Get("Location") != "/groups/web" {
			t.Fatalf("cancel: %d %s", c.status, c.header.Get("Location"))
		}
		if os, _ := e.store.ListOverrides(context.Background(), "web"); len(os) != 1 || !os[0].Cancelled() {
			t.Errorf("override not cancelled: %v", os)
		}
	})
	t.Run("unknown group", func(t *testing.T) {
		r := op.get("/groups/nope")
		if r.status != http.StatusNotFound || !strings.Contains(r.body, `id="page-error"`) {
			t.Errorf("unknown group: %d", r.status)
		}
	})
	t.Run("no decisions yet", func(t *testing.T) {
		r := op.get("/groups/batch")
		if r.status != http.StatusOK || !strings.Contains(r.body, "No decisions recorded yet.") || !strings.Contains(r.body, "No decision yet.") {
			t.Errorf("batch: %d", r.status)
		}
	})
}

// boostForm is a valid boost form for workers, starting tomorrow.
func validBoostForm() url.Values {
	return url.Values{"action": {"create"}, "name": {"year-end"}, "reason": {"CEO email"}, "groups": {"workers, web"},
		"start": {"2026-06-02T09:00"}, "end": {"2026-06-02T18:00"}, "time_zone": {"Europe/Paris"},
		"min_capacity": {"15"}, "ramp": {"10m"}, "lead": {"15m"}, "idem": {"k-1"}}
}

func TestGroupPageForecast(t *testing.T) {
	e := newEnv(t, testViews())
	seed(t, e)
	// Two days of need before t0: 2 units, 6 from 12:00 to 13:00.
	var pts []store.HistoryPoint
	for at := t0.Add(-48 * time.Hour); at.Before(t0); at = at.Add(store.HistoryBucket) {
		need := 2.0
		if at.Hour() == 12 {
			need = 6
		}
		pts = append(pts, store.HistoryPoint{Group: "workers", At: at, NeedUnits: need, Samples: 30})
	}
	if err := e.store.RecordHistory(context.Background(), pts, store.HistoryKeep, t0); err != nil {
		t.Fatal(err)
	}
	op := e.login(operatorToken)
	r := op.get("/groups/workers")
	for _, w := range []string{`<svg class="chart forecast"`, `<polygon class="band" points="`, `<polyline class="recorded"`,
		`<polyline class="forecast"`, `<text x="2" y="10">6</text>`} {
		if !strings.Contains(r.body, w) {
			t.Errorf("workers page lacks %q", w)
		}
	}
	if pts := regexp.MustCompile(`<polyline class="forecast" points="([^"]*)"`).FindStringSubmatch(r.body); pts == nil ||
		len(strings.Fields(pts[1])) != 576 {
		t.Errorf("forecast line: %v, want 576 points", pts)
	}
	if strings.Contains(r.body, `id="forecast-note"`) {
		t.Error("a note beside a forecast")
	}
	// web has no history: the page says why and draws no forecast.
	w := op.get("/groups/web")
	if !strings.Contains(w.body, `id="forecast-note">no forecast: no history before now&#39;s bucket<`) || strings.Contains(w.body, `chart forecast`) {
		t.Errorf("web page forecast:\n%s", w.body)
	}
}

func TestBoostForms(t *testing.T) {
	e := newEnv(t, testViews())
	op := e.login(operatorToken)
	ctx := context.Background()

	page := op.get("/boosts")
	for _, want := range []string{`id="timeline"`, `<form class="boost" id="boost-form" method="post" action="/boosts">`,
		`value="create" id="b-create"`, `value="preview" id="b-preview"`, `name="time_zone" value="UTC"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("boosts page lacks %q", want)
		}
	}

	errorCases := []struct {
		name, field, wantMsg string
		edit                 func(url.Values)
	}{
		{"end before start", "end", "after start", func(f url.Values) { f.Set("end", "2026-06-02T08:00") }},
		{"unknown group", "groups", "", func(f url.Values) { f.Set("groups", "workers, nope") }},
		{"bad zone", "time_zone", "", func(f url.Values) { f.Set("time_zone", "Mars/Olympus") }},
		{"not a number", "min_capacity", "whole number", func(f url.Values) { f.Set("min_capacity", "lots") }},
		{"floor above max", "min_capacity", "", func(f url.Values) { f.Set("min_capacity", "500") }},
		{"no name", "name", "", func(f url.Values) { f.Set("name", "") }},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			f := validBoostForm()
			tc.edit(f)
			f.Set("idem", "k-"+tc.name)
			r := op.post("/boosts", f)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", r.status, r.body)
			}
			msg, ok := fieldError(r.body, tc.field)
			if !ok || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("message next to %s: %q (shown: %v)", tc.field, msg, ok)
			}
			// The form comes back as it was sent.
			for _, k := range []string{"name", "reason", "start", "end", "time_zone", "min_capacity", "ramp"} {
				if got := inputValue(r.body, k); got != f.Get(k) {
					t.Errorf("%s re-filled as %q, want %q", k, got, f.Get(k))
				}
			}
			if strings.Contains(r.body, `data-refresh`) {
				t.Error("a refused form auto-refreshes and would lose the input")
			}
			if bs, _ := e.store.ListBoosts(ctx); len(bs) != 0 {
				t.Errorf("a refused form stored %d boosts", len(bs))
			}
		})
	}

	var id string
	t.Run("create", func(t *testing.T) {
		r := op.post("/boosts", validBoostForm())
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/boosts" {
			t.Fatalf("create: %d\n%s", r.status, r.body)
		}
		// A double submit of the same form replays, creating nothing new.
		if r := op.post("/boosts", validBoostForm()); r.status != http.StatusSeeOther {
			t.Fatalf("resubmit: %d", r.status)
		}
		bs, err := e.store.ListBoosts(ctx)
		if err != nil || len(bs) != 1 {
			t.Fatalf("boosts: %v %v", bs, err)
		}
		b := bs[0]
		id = b.ID
		if b.Name != "year-end" || b.MinCapacity != 15 || b.CreatedBy != "alice" || b.TimeZone != "Europe/Paris" ||
			!b.Start.Equal(time.Date(2026, 6, 2, 7, 0, 0, 0, time.UTC)) || b.Ramp != 10*time.Minute || len(b.Groups) != 2 {
			t.Errorf("stored boost: %+v", b)
		}
		p := op.get("/boosts")
		if !strings.Contains(p.body, `<rect class="bar scheduled" data-boost="`+id+`"`) || !strings.Contains(p.body, `<tr data-boost="`+id+`">`) {
			t.Errorf("boost not on the timeline and table")
		}
		if g := op.get("/groups/workers"); !strings.Contains(g.body, `data-boost="`+id+`"`) {
			t.Error("boost not among the group's upcoming boosts")
		}
	})
	t.Run("edit", func(t *testing.T) {
		p := op.get("/boosts?edit=" + id)
		if !strings.Contains(p.body, `value="update" id="b-save"`) || inputValue(p.body, "start") != "2026-06-02T09:00" ||
			inputValue(p.body, "time_zone") != "Europe/Paris" || inputValue(p.body, "version") != "1" {
			t.Fatalf("edit form:\n%s", p.body)
		}
		f := validBoostForm()
		f.Set("action", "update")
		f.Set("id", id)
		f.Set("version", "1")
		f.Set("min_capacity", "18")
		f.Set("idem", "k-edit")
		if r := op.post("/boosts", f); r.status != http.StatusSeeOther {
			t.Fatalf("update: %d\n%s", r.status, r.body)
		}
		b, err := e.store.GetBoost(ctx, id)
		if err != nil || b.MinCapacity != 18 || b.Version != 2 {
			t.Errorf("updated boost: %+v %v", b, err)
		}
		f.Set("idem", "k-edit-stale")
		if r := op.post("/boosts", f); r.status != http.StatusConflict || !strings.Contains(r.body, `id="form-error"`) {
			t.Errorf("stale version: %d", r.status)
		}
	})
	t.Run("preview", func(t *testing.T) {
		f := validBoostForm()
		f.Set("action", "preview")
		f.Set("groups", "workers, team=t-web")
		f.Set("min_capacity", "30")
		r := op.post("/boosts", f)
		if r.status != http.StatusOK {
			t.Fatalf("preview: %d\n%s", r.status, r.body)
		}
		table := regexp.MustCompile(`(?s)<table class="preview" id="preview">.*?</table>`).FindString(r.body)
		if !strings.Contains(table, `<td>workers</td><td class="num">10</td><td class="num">30</td><td>boost floor 30</td>`) ||
			!strings.Contains(table, "tag selector") {
			t.Errorf("preview table:\n%s", table)
		}
		if bs, _ := e.store.ListBoosts(ctx); len(bs) != 1 {
			t.Errorf("preview stored a boost")
		}
	})
	t.Run("cancel", func(t *testing.T) {
		r := op.post("/boosts", url.Values{"action": {"cancel"}, "id": {id}, "version": {"2"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("cancel: %d\n%s", r.status, r.body)
		}
		if b, err := e.store.GetBoost(ctx, id); err != nil || !b.Cancelled() || b.CancelledBy != "alice" {
			t.Errorf("boost not cancelled: %+v %v", b, err)
		}
		if strings.Contains(op.get("/boosts").body, `<tr data-boost="`+id+`"`) {
			t.Error("the cancelled boost is still listed with its buttons")
		}
		// Cancelling again changes nothing.
		if r := op.post("/boosts", url.Values{"action": {"cancel"}, "id": {id}}); r.status != http.StatusSeeOther {
			t.Errorf("cancel again: %d", r.status)
		}
	})
	t.Run("audit names the operator", func(t *testing.T) {
		au, err := e.store.ListAudit(ctx, time.Time{}, 0)
		if err != nil || len(au) != 3 {
			t.Fatalf("audit: %v %v", au, err)
		}
		for i, want := range []string{"boost.create", "boost.update", "boost.cancel"} {
			if au[i].Action != want || au[i].Actor != "alice" {
				t.Errorf("audit %d: %s by %s", i, au[i].Action, au[i].Actor)
			}
		}
	})
}

func TestTimelineWindow(t *testing.T) {
	bs := []boostDoc{
		{ID: "old", Name: "old", Groups: []string{"a"}, Start: t0.Add(-20 * 24 * time.Hour), End: t0.Add(-10 * 24 * time.Hour), State: "ended"},
		{ID: "recent", Name: "recent", Groups: []string{"a"}, Start: t0.Add(-2 * 24 * time.Hour), End: t0.Add(-24 * time.Hour), State: "ended"},
		{ID: "now", Name: "now", Groups: []string{"a", "b"}, Start: t0.Add(-time.Hour), End: t0.Add(time.Hour), State: "active"},
		{ID: "far", Name: "far", Groups: []string{"c"}, Start: t0.Add(40 * 24 * time.Hour), End: t0.Add(41 * 24 * time.Hour), State: "scheduled"},
		{ID: "spans", Name: "spans", Groups: []string{"c"}, Start: t0.Add(-30 * 24 * time.Hour), End: t0.Add(60 * 24 * time.Hour), State: "active"},
	}
	tl := buildTimeline(bs, t0)
	got := map[string][]string{}
	for _, r := range tl.Rows {
		for _, b := range r.Bars {
			got[r.Selector] = append(got[r.Selector], b.ID)
			if b.X < float64(timelineLeft) || b.X+b.W > float64(timelineW)+0.01 {
				t.Errorf("bar %s outside the plot: x %.1f w %.1f", b.ID, b.X, b.W)
			}
		}
	}
	want := map[string]string{"a": "recent now", "b": "now", "c": "spans"}
	for sel, ids := range want {
		if strings.Join(got[sel], " ") != ids {
			t.Errorf("row %s: %v, want %s", sel, got[sel], ids)
		}
	}
	if len(tl.Rows) != 3 {
		t.Errorf("%d rows, want 3", len(tl.Rows))
	}
}

func TestOverrideForms(t *testing.T) {
	e := newEnv(t, testViews())
	op := e.login(operatorToken)
	ctx := context.Background()
	valid := func() url.Values {
		return url.Values{"group": {"web"}, "kind": {"pin"}, "capacity": {"6"}, "ttl": {"2h"}, "reason": {"incident 7"}, "idem": {"o-1"}}
	}
	errorCases := []struct {
		name, field string
		edit        func(url.Values)
	}{
		{"both ttl and expiry", "ttl", func(f url.Values) { f.Set("expires_at", "2026-06-01T13:00:00Z") }},
		{"expiry too far", "expires_at", func(f url.Values) { f.Del("ttl"); f.Set("expires_at", "2026-07-01T13:00:00Z") }},
		{"no reason", "reason", func(f url.Values) { f.Set("reason", "") }},
		{"unknown group", "group", func(f url.Values) { f.Set("group", "nope") }},
		{"no group", "group", func(f url.Values) { f.Set("group", "") }},
		{"capacity not a number", "capacity", func(f url.Values) { f.Set("capacity", "six") }},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			f := valid()
			tc.edit(f)
			f.Set("idem", "o-"+tc.name)
			r := op.post("/overrides", f)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d\n%s", r.status, r.body)
			}
			if _, ok := fieldError(r.body, tc.field); !ok {
				t.Errorf("no message next to %s", tc.field)
			}
			if got := inputValue(r.body, "reason"); got != f.Get("reason") {
				t.Errorf("reason re-filled as %q", got)
			}
		})
	}
	if os, _ := e.store.ListOverrides(ctx, ""); len(os) != 0 {
		t.Fatalf("refused forms stored %d overrides", len(os))
	}
	r := op.post("/overrides", valid())
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.status, r.body)
	}
	os, _ := e.store.ListOverrides(ctx, "web")
	if len(os) != 1 || os[0].Kind != "pin" || os[0].Capacity != 6 || !os[0].ExpiresAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("stored: %+v", os)
	}
	page := op.get("/overrides")
	if !strings.Contains(page.body, `data-override="`+os[0].ID+`"`) || !strings.Contains(page.body, `<option value="workers">`) {
		t.Errorf("overrides page:\n%s", page.body)
	}
	if !strings.Contains(rowOf(t, op.get("/").body, "web"), "pinned") {
		t.Error("overview does not show the pin")
	}
	bounds := url.Values{"group": {"held"}, "kind": {"bounds"}, "min": {"3"}, "expires_at": {"2026-06-01T18:00:00Z"}, "reason": {"r"}, "idem": {"o-b"}}
	if r := op.post("/overrides", bounds); r.status != http.StatusSeeOther {
		t.Fatalf("bounds: %d\n%s", r.status, r.body)
	}
	if r := op.post("/overrides", url.Values{"action": {"cancel"}, "id": {os[0].ID}}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/overrides" {
		t.Fatalf("cancel: %d", r.status)
	}
	all, _ := e.store.ListOverrides(ctx, "")
	var left []store.Override
	for _, o := range all {
		if !o.Cancelled() {
			left = append(left, o)
		}
	}
	if len(left) != 1 || left[0].Kind != "bounds" || left[0].Min == nil || *left[0].Min != 3 {
		t.Errorf("left: %+v", left)
	}
}

func TestReturnPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/groups/web", "/groups/web"},
		{"", "/x"},
		{"https://evil.example/", "/x"},
		{"//evil.example/", "/x"},
		{"/\\evil.example", "/x"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := returnPath(tc.in, "/x"); got != tc.want {
				t.Errorf("returnPath(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

var _ = store.Boost{}

// TestListPagesArePaged: with 120 boosts and 120 overrides, the boosts
// and overrides pages list 50 at a time with previous and next links,
// every item on exactly one page.
func TestListPagesArePaged(t *testing.T) {
	e := newEnv(t, testViews())
	ctx := context.Background()
	for i := range 120 {
		if _, err := e.store.PutBoost(ctx, store.Boost{ID: fmt.Sprintf("b-%016x", i), Name: "n", Reason: "r", Groups: []string{"web"},
			Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour), MinCapacity: 3, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.PutOverride(ctx, store.Override{ID: fmt.Sprintf("o-%016x", i), Group: "web", Kind: "pause",
			Reason: "r", ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	b := e.login(viewerToken)
	for _, tc := range []struct{ path, attr string }{{"/boosts", "data-boost"}, {"/overrides", "data-override"}} {
		t.Run(tc.path, func(t *testing.T) {
			row := regexp.MustCompile(`<tr ` + tc.attr + `="([^"]+)"`)
			seen := map[string]bool{}
			for n, want := range []int{50, 50, 20} {
				path := fmt.Sprintf("%s?page=%d", tc.path, n+1)
				r := b.get(path)
				if r.status != http.StatusOK {
					t.Fatalf("%s: status %d", path, r.status)
				}
				rows := row.FindAllStringSubmatch(r.body, -1)
				if len(rows) != want {
					t.Errorf("%s: %d rows, want %d", path, len(rows), want)
				}
				for _, m := range rows {
					if seen[m[1]] {
						t.Errorf("%s listed twice", m[1])
					}
					seen[m[1]] = true
				}
				hasNext := strings.Contains(r.body, `rel="next" href="`+tc.path+fmt.Sprintf("?page=%d", n+2))
				hasPrev := strings.Contains(r.body, `rel="prev" href="`+tc.path+fmt.Sprintf("?page=%d", n))
				if hasNext != (n < 2) || hasPrev != (n > 0) {
					t.Errorf("%s: next link %v, previous link %v", path, hasNext, hasPrev)
				}
			}
			if len(seen) != 120 {
				t.Errorf("%d items over the pages, want 120", len(seen))
			}
		})
	}
}
