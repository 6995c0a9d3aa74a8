package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/internal/apiclient"
	"github.com/headroom-dev/headroom/internal/controller"
)

// page is what every template gets.
type page struct {
	Title string
	User  *user
	// Nav names the current section for the navigation bar.
	Nav string
	// Refresh turns on the auto-refresh of the main fragment; off on a
	// form re-shown with errors, so that the operator's input stays.
	Refresh bool
	// Error is a message for the whole page.
	Error string
	Data  any
}

// user is the logged-in session as templates see it.
type user struct {
	Name     string
	Role     string
	Operator bool
	CSRF     string
}

var funcs = template.FuncMap{
	"utc": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"utcp": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"secs": func(s float64) string { return time.Duration(s * float64(time.Second)).Round(time.Second).String() },
	"join": strings.Join,
	"intp": func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	},
	"floatp": func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	},
	"add":     func(a, b int) int { return a + b },
	"num":     func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) },
	"pathesc": url.PathEscape,
}

var pageNames = []string{"login", "overview", "group", "boosts", "overrides", "error"}

func parsePages() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render writes the page, or only its main fragment when the refresh
// script asks for ?fragment=1.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, name string, status int, p page) {
	if s := sessionFrom(r.Context()); s != nil {
		p.User = &user{Name: s.name, Role: string(s.role), Operator: s.operator(), CSRF: s.csrf}
	}
	which := "layout"
	if r.URL.Query().Get("fragment") == "1" {
		which = "content"
	}
	var buf bytes.Buffer
	if err := d.pages[name].ExecuteTemplate(&buf, which, p); err != nil {
		d.log.ErrorContext(r.Context(), "dashboard template failed", "page", name, "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an API error as a page: the status the API gave, its
// message.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := asProblem(err)
	status := p.Status
	if status < 400 {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		d.log.ErrorContext(r.Context(), "dashboard request failed", "path", r.URL.Path, "err", err)
	}
	d.render(w, r, "error", status, page{Title: http.StatusText(status), Error: p.Error()})
}

// client returns the session's API client, or nil before SetAPI.
func (d *Dashboard) client(w http.ResponseWriter, r *http.Request) (client, bool) {
	a := d.api.Load()
	if a == nil {
		http.Error(w, "the dashboard is starting", http.StatusServiceUnavailable)
		return client{}, false
	}
	s := sessionFrom(r.Context())
	return newClient(r.Context(), a.h, s.token, w.Header().Get("X-Request-Id")), true
}

// pageSize is how many groups the overview shows at once: it keeps the
// page light (and its sparkline reads few) with thousands of groups.
const pageSize = 100

// listPageSize is how many boosts or overrides their pages list at once:
// the table of thousands would weigh megabytes.
const listPageSize = 50

// pager is where a paged table stands, with links to its neighbours.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string
}

// pageOf cuts the page that r's page= asks for (1-based; garbage is the
// first page, past the end the last) from items, listPageSize long.
func pageOf[T any](items []T, r *http.Request, path string) ([]T, pager) {
	p := pager{Total: len(items), Pages: max(1, (len(items)+listPageSize-1)/listPageSize)}
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	p.Page = min(n, p.Pages)
	link := func(n int) string { return path + "?" + url.Values{"page": {strconv.Itoa(n)}}.Encode() }
	if p.Page > 1 {
		p.Prev = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = link(p.Page + 1)
	}
	lo, hi := (p.Page-1)*listPageSize, min(p.Page*listPageSize, len(items))
	return items[lo:hi], p
}

type badge struct{ Class, Text string }

type overviewRow struct {
	G      groupDoc
	Badges []badge
	Spark  spark
}

type overviewData struct {
	Q          string
	Page       int
	Pages      int
	Total      int
	Rows       []overviewRow
	Prev, Next string
	SparkW     int
	SparkH     int
	Window     string
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	c, ok := d.client(w, r)
	if !ok {
		return
	}
	groups, err := c.groups()
	if err != nil {
		d.fail(w, r, err)
		return
	}
	boosts, err := c.boosts(false)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	overrides, err := c.overrides()
	if err != nil {
		d.fail(w, r, err)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q != "" {
		lq := strings.ToLower(q)
		groups = slices.DeleteFunc(groups, func(g groupDoc) bool { return !strings.Contains(strings.ToLower(g.Name), lq) })
	}
	pages := max(1, (len(groups)+pageSize-1)/pageSize)
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	n = min(n, pages)
	lo, hi := (n-1)*pageSize, min(n*pageSize, len(groups))
	state := map[string]string{}
	for _, b := range boosts {
		state[b.ID] = b.State
	}
	kind := map[string]string{}
	for _, o := range overrides {
		kind[o.ID] = o.Kind
	}
	now := d.clock.Now()
	data := overviewData{Q: q, Page: n, Pages: pages, Total: len(groups), SparkW: sparkW, SparkH: sparkH,
		Window: strconv.Itoa(sparkLimit) + " decisions"}
	data.Rows = make([]overviewRow, hi-lo)
	sparks := d.sparks(r.Context(), groups[lo:hi], now)
	for i, g := range groups[lo:hi] {
		data.Rows[i] = overviewRow{G: g, Spark: sparks[i], Badges: badges(g, state, kind, sparks[i].Stale)}
	}
	link := func(p int) string {
		v := url.Values{}
		if q != "" {
			v.Set("q", q)
		}
		v.Set("page", strconv.Itoa(p))
		return "/?" + v.Encode()
	}
	if n > 1 {
		data.Prev = link(n - 1)
	}
	if n < pages {
		data.Next = link(n + 1)
	}
	d.render(w, r, "overview", http.StatusOK, page{Title: "Groups", Nav: "groups", Refresh: true, Data: data})
}

// badges are a group's status flags, most urgent first.
func badges(g groupDoc, boostState, overrideKind map[string]string, stale bool) []badge {
	var out []badge
	if g.Error != "" {
		out = append(out, badge{"error", "error"})
	}
	if g.Skipped == controller.SkipNotLeader {
		out = append(out, badge{"warn", "not leader"})
	}
	if stale {
		out = append(out, badge{"warn", "stale data"})
	}
	if !g.Known {
		out = append(out, badge{"muted", "not described"})
	}
	paused := g.Paused
	pinned, bounded := false, false
	for _, id := range g.Overrides {
		switch overrideKind[id] {
		case "pause":
			paused = true
		case "pin":
			pinned = true
		case "bounds":
			bounded = true
		}
	}
	if paused {
		out = append(out, badge{"info", "paused"})
	}
	if pinned {
		out = append(out, badge{"info", "pinned"})
	}
	if bounded {
		out = append(out, badge{"info", "bounds"})
	}
	boosted, scheduled := false, false
	for _, id := range g.Boosts {
		switch boostState[id] {
		case "active", "leading":
			boosted = true
		case "scheduled":
			scheduled = true
		}
	}
	if boosted {
		out = append(out, badge{"boost", "boosted"})
	} else if scheduled {
		out = append(out, badge{"muted", "boost scheduled"})
	}
	return out
}

// sparkReaders is how many groups' histories the overview reads at once:
// the store serves concurrent reads, and a few in parallel halve the
// render time without crowding the store.
const sparkReaders = 4

// sparks reads the groups' sparklines, a few at a time.
func (d *Dashboard) sparks(ctx context.Context, groups []groupDoc, now time.Time) []spark {
	out := make([]spark, len(groups))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(sparkReaders, len(groups)) {
		wg.Go(func() {
			for i := range next {
				out[i] = d.spark(ctx, groups[i].Name, now)
			}
		})
	}
	for i := range groups {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// spark reads a group's recent decisions from the store for its
// sparkline. A store failure costs the sparkline, not the page.
func (d *Dashboard) spark(ctx context.Context, group string, now time.Time) spark {
	ds, err := d.store.ListDecisions(ctx, group, now.Add(-sparkWindow), sparkLimit)
	if err != nil {
		d.log.WarnContext(ctx, "dashboard sparkline: list decisions", "group", group, "err", err)
		return spark{}
	}
	if len(ds) == 0 {
		return spark{}
	}
	at := make([]time.Time, 0, len(ds))
	v := make([]int, 0, len(ds))
	var sp spark
	for i := len(ds) - 1; i >= 0; i-- {
		if i == 0 {
			// The newest decision is read whole: its inputs say whether
			// the group is running on stale data.
			var doc sparkDoc
			if err := json.Unmarshal(ds[i].Body, &doc); err != nil {
				continue
			}
			at, v = append(at, ds[i].At), append(v, doc.Desired)
			sp.Last = doc.Desired
			for _, in := range doc.Inputs {
				sp.Stale = sp.Stale || in.Stale
			}
			continue
		}
		n, ok := desiredOf(ds[i].Body)
		if !ok {
			continue
		}
		at, v = append(at, ds[i].At), append(v, n)
	}
	top := 1
	for _, x := range v {
		top = max(top, x)
	}
	// The line spans the decisions read, up to now. One pixel of margin
	// keeps a flat line at the top or bottom visible.
	from := now.Add(-sparkWindow)
	if len(at) > 0 && at[0].After(from) {
		from = at[0]
	}
	fv := make([]float64, len(v))
	for i, x := range v {
		fv[i] = float64(x)
	}
	sp.Points = points(at, fv, from, now, float64(top), 0, sparkW, sparkH-2)
	return sp
}

// recentDecisions is how many decisions the group page lists, and
// chartDecisions how many it charts.
const (
	recentDecisions = 50
	chartDecisions  = 200
)

type groupData struct {
	D     groupDetail
	Chart chart
	// Forecast charts the recorded need and the forecast with its band;
	// ForecastNote says why there is no forecast, or that it could not be
	// read.
	Forecast     chart
	ForecastNote string
	Predictive   *apiclient.Predictive
	Recent       []apiclient.Decision
	Upcoming     []boostDoc
	Return       string
	IdemKey      string
	HasFloor     bool
	FloorText    string
}

func (d *Dashboard) groupPage(w http.ResponseWriter, r *http.Request) {
	c, ok := d.client(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	esc := url.PathEscape(name)
	var data groupData
	if err := c.call(http.MethodGet, "/v1/groups/"+esc, nil, "", &data.D); err != nil {
		d.fail(w, r, err)
		return
	}
	var ds apiclient.DecisionList
	if err := c.call(http.MethodGet, "/v1/groups/"+esc+"/decisions?limit="+strconv.Itoa(chartDecisions), nil, "", &ds); err != nil {
		d.fail(w, r, err)
		return
	}
	data.Recent = ds.Decisions[:min(len(ds.Decisions), recentDecisions)]
	data.Chart = decisionChart(ds.Decisions)
	var f apiclient.Forecast
	if err := c.call(http.MethodGet, "/v1/groups/"+esc+"/forecast", nil, "", &f); err != nil {
		// The forecast is an aid: the page stands without it.
		data.Forecast, data.ForecastNote = chart{Empty: true}, "forecast not available: "+err.Error()
	} else {
		data.Forecast, data.Predictive = forecastChart(f), f.Predictive
		if !f.OK {
			data.ForecastNote = "no forecast: " + f.Reason
		}
	}
	data.Return = "/groups/" + esc
	for _, b := range data.D.Boosts {
		if b.State == "active" || b.State == "leading" {
			data.HasFloor = true
			data.FloorText = boostFloor(b)
		}
	}
	d.render(w, r, "group", http.StatusOK, page{Title: name, Nav: "groups", Refresh: true, Data: data})
}

// boostFloor describes the floor a boost sets.
func boostFloor(b boostDoc) string {
	var parts []string
	if b.MinCapacity != nil {
		parts = append(parts, "at least "+strconv.Itoa(*b.MinCapacity))
	}
	if b.Multiplier != nil {
		parts = append(parts, strconv.FormatFloat(*b.Multiplier, 'f', -1, 64)+"x current")
	}
	return strings.Join(parts, ", ")
}

// forecastBack is how much recorded need the forecast chart shows before
// now: as much as the forecast looks ahead.
const forecastBack = 48 * time.Hour

// forecastChart charts a group's recorded need by the hour over the last
// forecastBack, then the forecast with its band (low to high).
func forecastChart(f apiclient.Forecast) chart {
	from, to := f.At.Add(-forecastBack), f.At
	ss := []series{{Name: "recorded need", Class: "recorded"}, {Name: "forecast", Class: "forecast"},
		{Name: "low", Class: "low"}, {Name: "high", Class: "high"}}
	for _, h := range f.History {
		if !h.At.Before(from) {
			ss[0].At, ss[0].V = append(ss[0].At, h.At), append(ss[0].V, h.Need)
		}
	}
	for _, p := range f.Points {
		for j, v := range []float64{p.Need, p.Low, p.High} {
			ss[j+1].At, ss[j+1].V = append(ss[j+1].At, p.At), append(ss[j+1].V, v)
		}
		to = p.At
	}
	c := lineChart(ss, from, to, 720, 220)
	c.Band = c.band(ss[2], ss[3])
	return c
}

// decisionChart charts current, decided, min and max over the decisions
// (given newest first).
func decisionChart(ds []apiclient.Decision) chart {
	if len(ds) == 0 {
		return chart{Empty: true, W: 720, H: 220}
	}
	ss := []series{{Name: "current", Class: "current"}, {Name: "decided", Class: "decided"},
		{Name: "min", Class: "min"}, {Name: "max", Class: "max"}}
	for i := len(ds) - 1; i >= 0; i-- {
		x := ds[i]
		for j, v := range []int{x.Current, x.Desired, x.Min, x.Max} {
			ss[j].At = append(ss[j].At, x.At)
			ss[j].V = append(ss[j].V, float64(v))
		}
	}
	from, to := ds[len(ds)-1].At, ds[0].At
	if !to.After(from) {
		from, to = from.Add(-time.Minute), to.Add(time.Minute)
	}
	return lineChart(ss, from, to, 720, 220)
}
