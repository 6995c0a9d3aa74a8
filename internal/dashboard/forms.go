package dashboard

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/internal/apiclient"
)

// boostForm is the boost form as the operator filled it in, kept as text
// so that a refused form comes back exactly as it was sent.
type boostForm struct {
	ID, Version                          string
	Name, Reason, Groups, Start, End, TZ string
	MinCapacity, Multiplier, Ramp, Lead  string
	CapAtMax                             bool
	IdemKey                              string
}

func readBoostForm(r *http.Request) boostForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return boostForm{ID: v("id"), Version: v("version"), Name: v("name"), Reason: v("reason"), Groups: v("groups"),
		Start: v("start"), End: v("end"), TZ: v("time_zone"), MinCapacity: v("min_capacity"),
		Multiplier: v("multiplier"), Ramp: v("ramp"), Lead: v("lead"), CapAtMax: r.PostFormValue("cap_at_max") != "",
		IdemKey: v("idem")}
}

// groupList splits the groups field: names or key=value selectors,
// separated by commas or white space.
func groupList(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
}

// body is the API's BoostInput for the form. Numbers that do not parse
// are reported on their field without asking the API.
func (f boostForm) body() (map[string]any, map[string]string) {
	errs := map[string]string{}
	b := map[string]any{"name": f.Name, "reason": f.Reason, "groups": groupList(f.Groups), "start": f.Start,
		"end": f.End, "cap_at_max": f.CapAtMax}
	if f.TZ != "" {
		b["time_zone"] = f.TZ
	}
	if f.MinCapacity != "" {
		n, err := strconv.Atoi(f.MinCapacity)
		if err != nil {
			errs["min_capacity"] = "must be a whole number"
		}
		b["min_capacity"] = n
	}
	if f.Multiplier != "" {
		x, err := strconv.ParseFloat(f.Multiplier, 64)
		if err != nil {
			errs["multiplier"] = "must be a number such as 1.5"
		}
		b["multiplier"] = x
	}
	if f.Ramp != "" {
		b["ramp"] = f.Ramp
	}
	if f.Lead != "" {
		b["lead"] = f.Lead
	}
	return b, errs
}

// localLayout is the datetime-local form: the boost form sends local
// times with a time zone, which the API accepts.
const localLayout = "2006-01-02T15:04"

// formOf fills the form from a stored boost, in the boost's own zone.
func formOf(b boostDoc) boostForm {
	loc, tz := time.UTC, "UTC"
	if b.TimeZone != nil && *b.TimeZone != "" {
		if l, err := time.LoadLocation(*b.TimeZone); err == nil {
			loc, tz = l, *b.TimeZone
		}
	}
	f := boostForm{ID: b.ID, Version: strconv.FormatInt(b.Version, 10), Name: b.Name, Reason: b.Reason,
		Groups: strings.Join(b.Groups, ", "), Start: b.Start.In(loc).Format(localLayout), End: b.End.In(loc).Format(localLayout),
		TZ: tz, Ramp: b.Ramp, Lead: b.Lead, CapAtMax: b.CapAtMax}
	if b.MinCapacity != nil {
		f.MinCapacity = strconv.Itoa(*b.MinCapacity)
	}
	if b.Multiplier != nil {
		f.Multiplier = strconv.FormatFloat(*b.Multiplier, 'f', -1, 64)
	}
	return f
}

// previewRow is one group's decision with the previewed boost.
type previewRow struct {
	Group            string
	Current, Decided int
	Reason           string
	Error            string
}

type timelineBar struct {
	X, W   float64
	Label  string
	Class  string
	ID     string
	Detail string
}

type timelineRow struct {
	Selector string
	Y        int
	Bars     []timelineBar
}

type timeline struct {
	W, H, Left int
	NowX       float64
	Rows       []timelineRow
	From, To   time.Time
	Ticks      []timelineTick
}

type timelineTick struct {
	X     float64
	Label string
}

// The timeline shows a week back and a month ahead: recent campaigns for
// context, and the ones being planned.
const (
	timelineBack  = 7 * 24 * time.Hour
	timelineAhead = 30 * 24 * time.Hour
	timelineW     = 900
	timelineLeft  = 160
	timelineRowH  = 22
)

func buildTimeline(bs []boostDoc, now time.Time) timeline {
	from, to := now.Add(-timelineBack), now.Add(timelineAhead)
	tl := timeline{W: timelineW, Left: timelineLeft, From: from, To: to}
	plot := float64(timelineW - timelineLeft)
	x := func(t time.Time) float64 {
		if t.Before(from) {
			t = from
		}
		if t.After(to) {
			t = to
		}
		return float64(timelineLeft) + plot*t.Sub(from).Seconds()/to.Sub(from).Seconds()
	}
	tl.NowX = x(now)
	for day := 0; day <= 37; day += 7 {
		t := from.Add(time.Duration(day) * 24 * time.Hour)
		tl.Ticks = append(tl.Ticks, timelineTick{X: x(t), Label: t.UTC().Format("Jan 2")})
	}
	index := map[string]int{}
	for _, b := range bs {
		if !b.End.After(from) || !b.Start.Before(to) {
			continue
		}
		for _, sel := range b.Groups {
			i, ok := index[sel]
			if !ok {
				i = len(tl.Rows)
				index[sel] = i
				tl.Rows = append(tl.Rows, timelineRow{Selector: sel, Y: 20 + i*timelineRowH})
			}
			x0, x1 := x(b.Start), x(b.End)
			tl.Rows[i].Bars = append(tl.Rows[i].Bars, timelineBar{X: x0, W: max(x1-x0, 2), Label: b.Name, Class: b.State,
				ID: b.ID, Detail: b.Name + " (" + b.State + "): " + b.Start.UTC().Format(time.RFC3339) + " to " +
					b.End.UTC().Format(time.RFC3339) + ", floor " + boostFloor(b)})
		}
	}
	tl.H = 40 + len(tl.Rows)*timelineRowH
	return tl
}

type boostsData struct {
	Boosts   []boostDoc
	Pager    pager
	Timeline timeline
	Form     boostForm
	Errors   map[string]string
	Preview  []previewRow
	Editing  bool
}

func (d *Dashboard) boostsPage(w http.ResponseWriter, r *http.Request) {
	data := boostsData{Form: boostForm{TZ: "UTC"}}
	if id := r.URL.Query().Get("edit"); id != "" {
		c, ok := d.client(w, r)
		if !ok {
			return
		}
		var b boostDoc
		if err := c.call(http.MethodGet, "/v1/boosts/"+url.PathEscape(id), nil, "", &b); err != nil {
			d.fail(w, r, err)
			return
		}
		data.Form, data.Editing = formOf(b), true
	}
	d.showBoosts(w, r, http.StatusOK, data, true)
}

// showBoosts renders the boosts page around data's form.
func (d *Dashboard) showBoosts(w http.ResponseWriter, r *http.Request, status int, data boostsData, refresh bool) {
	c, ok := d.client(w, r)
	if !ok {
		return
	}
	bs, err := c.boosts(true)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	now := d.clock.Now()
	data.Timeline = buildTimeline(bs, now)
	for _, b := range bs {
		if b.State != "ended" && b.State != "cancelled" {
			data.Boosts = append(data.Boosts, b)
		}
	}
	data.Boosts, data.Pager = pageOf(data.Boosts, r, "/boosts")
	if data.Form.IdemKey == "" || status >= 400 {
		data.Form.IdemKey = randomID()
	}
	d.render(w, r, "boosts", status, page{Title: "Boosts", Nav: "boosts", Refresh: refresh && !data.Editing, Data: data})
}

func (d *Dashboard) boostsPost(w http.ResponseWriter, r *http.Request) {
	c, ok := d.client(w, r)
	if !ok {
		return
	}
	action := r.PostFormValue("action")
	if action == "cancel" {
		d.cancel(w, r, c, "/v1/boosts/", "/boosts")
		return
	}
	f := readBoostForm(r)
	data := boostsData{Form: f, Editing: action == "update"}
	body, errs := f.body()
	if len(errs) > 0 {
		data.Errors = errs
		d.showBoosts(w, r, http.StatusUnprocessableEntity, data, false)
		return
	}
	var err error
	switch action {
	case "create":
		err = c.call(http.MethodPost, "/v1/boosts", body, f.IdemKey, nil)
	case "update":
		v, perr := strconv.ParseInt(f.Version, 10, 64)
		if perr != nil || f.ID == "" {
			http.Error(w, "the form lost the boost's id or version; reload the page", http.StatusBadRequest)
			return
		}
		body["version"] = v
		err = c.call(http.MethodPatch, "/v1/boosts/"+url.PathEscape(f.ID), body, f.IdemKey, nil)
	case "preview":
		data.Preview, err = d.previewBoost(c, body)
		if err == nil {
			d.showBoosts(w, r, http.StatusOK, data, false)
			return
		}
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	if err != nil {
		d.formError(w, r, err, func(status int, errs map[string]string, msg string) {
			data.Errors = errs
			d.showBoostsWithError(w, r, status, data, msg)
		})
		return
	}
	http.Redirect(w, r, "/boosts", http.StatusSeeOther)
}

func (d *Dashboard) showBoostsWithError(w http.ResponseWriter, r *http.Request, status int, data boostsData, msg string) {
	// The message for the whole form rides in the field map under "".
	if msg != "" {
		if data.Errors == nil {
			data.Errors = map[string]string{}
		}
		data.Errors[""] = msg
	}
	d.showBoosts(w, r, status, data, false)
}

// formError turns an API refusal into field messages for show; a
// failure that is not about the input is an error page.
func (d *Dashboard) formError(w http.ResponseWriter, r *http.Request, err error, show func(int, map[string]string, string)) {
	p := asProblem(err)
	if p.Status >= 500 || p.Status == http.StatusUnauthorized {
		d.fail(w, r, err)
		return
	}
	errs := problemFields(p)
	msg := ""
	if len(errs) == 0 {
		msg = p.Error()
	}
	show(p.Status, errs, msg)
}

// previewBoost decides each configured group the boost names with the
// boost added. Tag selectors are not expanded: the API's preview works
// on one named group.
func (d *Dashboard) previewBoost(c client, body map[string]any) ([]previewRow, error) {
	var out []previewRow
	groups, _ := body["groups"].([]string)
	for _, g := range groups {
		if strings.Contains(g, "=") {
			out = append(out, previewRow{Group: g, Error: "tag selector: preview each group by name"})
			continue
		}
		var res apiclient.PreviewResult
		err := c.call(http.MethodPost, "/v1/groups/"+url.PathEscape(g)+"/preview", map[string]any{"boost": body}, "", &res)
		if err != nil {
			p := asProblem(err)
			if p.Status == http.StatusNotFound {
				out = append(out, previewRow{Group: g, Error: p.Error()})
				continue
			}
			return nil, err
		}
		out = append(out, previewRow{Group: g, Current: res.Decision.Current, Decided: res.Decision.Desired, Reason: res.Decision.Reason})
	}
	return out, nil
}

// cancel deletes the object named by the form's id and returns to the
// form's return path, or fallback.
func (d *Dashboard) cancel(w http.ResponseWriter, r *http.Request, c client, prefix, fallback string) {
	id := r.PostFormValue("id")
	if id == "" {
		http.Error(w, "no id", http.StatusBadRequest)
		return
	}
	path := prefix + url.PathEscape(id)
	if v := r.PostFormValue("version"); v != "" {
		path += "?version=" + url.QueryEscape(v)
	}
	if err := c.call(http.MethodDelete, path, nil, r.PostFormValue("idem"), nil); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, returnPath(r.PostFormValue("return"), fallback), http.StatusSeeOther)
}

// returnPath keeps a redirect on this site: a local absolute path only.
func returnPath(p, fallback string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return fallback
	}
	return p
}

// overrideForm is the override form as filled in.
type overrideForm struct {
	Group, Kind, Capacity, Min, Max, TTL, ExpiresAt, Reason, IdemKey string
}

func readOverrideForm(r *http.Request) overrideForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return overrideForm{Group: v("group"), Kind: v("kind"), Capacity: v("capacity"), Min: v("min"), Max: v("max"),
		TTL: v("ttl"), ExpiresAt: v("expires_at"), Reason: v("reason"), IdemKey: v("idem")}
}

func (f overrideForm) body() (map[string]any, map[string]string) {
	errs := map[string]string{}
	b := map[string]any{"kind": f.Kind, "reason": f.Reason}
	num := func(field, s string) {
		if s == "" {
			return
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs[field] = "must be a whole number"
		}
		b[field] = n
	}
	if f.Kind == "pin" {
		num("capacity", f.Capacity)
	}
	if f.Kind == "bounds" {
		num("min", f.Min)
		num("max", f.Max)
	}
	if f.TTL != "" {
		b["ttl"] = f.TTL
	}
	if f.ExpiresAt != "" {
		b["expires_at"] = f.ExpiresAt
	}
	if f.Group == "" {
		errs["group"] = "required"
	}
	return b, errs
}

type overridesData struct {
	Overrides []overrideDoc
	Pager     pager
	Groups    []string
	Form      overrideForm
	Errors    map[string]string
}

func (d *Dashboard) overridesPage(w http.ResponseWriter, r *http.Request) {
	d.showOverrides(w, r, http.StatusOK, overridesData{Form: overrideForm{Kind: "pin", TTL: "2h", Group: r.URL.Query().Get("group")}}, true)
}

func (d *Dashboard) showOverrides(w http.ResponseWriter, r *http.Request, status int, data overridesData, refresh bool) {
	c, ok := d.client(w, r)
	if !ok {
		return
	}
	os, err := c.overrides()
	if err != nil {
		d.fail(w, r, err)
		return
	}
	gs, err := c.groups()
	if err != nil {
		d.fail(w, r, err)
		return
	}
	data.Overrides, data.Pager = pageOf(os, r, "/overrides")
	for _, g := range gs {
		data.Groups = append(data.Groups, g.Name)
	}
	if data.Form.IdemKey == "" || status >= 400 {
		data.Form.IdemKey = randomID()
	}
	d.render(w, r, "overrides", status, page{Title: "Overrides", Nav: "overrides", Refresh: refresh, Data: data})
}

func (d *Dashboard) overridesPost(w http.ResponseWriter, r *http.Request) {
	c, ok := d.client(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("action") == "cancel" {
		d.cancel(w, r, c, "/v1/overrides/", "/overrides")
		return
	}
	f := readOverrideForm(r)
	data := overridesData{Form: f}
	body, errs := f.body()
	if len(errs) > 0 {
		data.Errors = errs
		d.showOverrides(w, r, http.StatusUnprocessableEntity, data, false)
		return
	}
	err := c.call(http.MethodPost, "/v1/groups/"+url.PathEscape(f.Group)+"/overrides", body, f.IdemKey, nil)
	if err != nil {
		p := asProblem(err)
		if p.Status == http.StatusNotFound {
			data.Errors = map[string]string{"group": p.Error()}
			d.showOverrides(w, r, http.StatusUnprocessableEntity, data, false)
			return
		}
		d.formError(w, r, err, func(status int, errs map[string]string, msg string) {
			data.Errors = errs
			if msg != "" {
				data.Errors[""] = msg
			}
			d.showOverrides(w, r, status, data, false)
		})
		return
	}
	http.Redirect(w, r, returnPath(r.PostFormValue("return"), "/overrides"), http.StatusSeeOther)
}
