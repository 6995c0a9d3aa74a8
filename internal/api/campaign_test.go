package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/campaign"
	"github.com/headroom-dev/headroom/internal/store"
)

// campaignCosts gives workers a configured cost of 0.3 units per message
// per second; web has none.
func campaignCosts(o *Options) { o.CampaignCosts = map[string]float64{"workers": 0.3} }

// campaignBody is 50,000 recipients at 09:00 the next day on workers.
const campaignBody = `{"name":"winter rewards","groups":["workers"],"start":"2026-06-02T09:00:00+02:00","audience":50000}`

var (
	campaignKeys = []string{"id", "name", "groups", "start", "end", "end_given", "audience", "messages_per_recipient",
		"sizing", "created_by", "created_at", "state"}
	sizingKeys = []string{"audience", "messages_per_recipient", "peak_arrivals_per_second", "peak_after", "units_per_message_per_second",
		"source", "campaigns_learned_from", "cost_source", "expected_messages", "arrivals_95", "window", "wanted", "floor", "capped_at_max"}
)

func fieldsOf(t *testing.T, p map[string]any) []string {
	t.Helper()
	var out []string
	errs, _ := p["errors"].([]any)
	for _, fe := range errs {
		out = append(out, fe.(map[string]any)["field"].(string))
	}
	return out
}

func TestCampaignCreateDefaults(t *testing.T) {
	e := newEnv(t, campaignCosts)
	r := e.do(req{method: "POST", path: "/v1/campaigns", token: operatorToken, body: campaignBody})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	c := r.json(t)
	checkKeys(t, "campaign", c, campaignKeys...)
	id, _ := c["id"].(string)
	if len(id) != 18 || !strings.HasPrefix(id, "c-") {
		t.Errorf("campaign id %q: want c- and 16 hex characters", id)
	}
	if loc := r.header.Get("Location"); loc != "/v1/campaigns/"+id {
		t.Errorf("Location %q", loc)
	}
	if c["messages_per_recipient"] != float64(1) || c["end_given"] != false || c["state"] != "scheduled" {
		t.Errorf("campaign %v", c)
	}
	groups := c["sizing"].([]any)
	if len(groups) != 1 {
		t.Fatalf("sizing %v: want one group", groups)
	}
	g := groups[0].(map[string]any)
	sz := g["sizing"].(map[string]any)
	checkKeys(t, "sizing", sz, sizingKeys...)
	// 50,000 x 10% in the peak 5 minutes = 16.667/s, x 0.3 = 5 units.
	for k, want := range map[string]any{"source": "default", "cost_source": "default", "campaigns_learned_from": float64(0),
		"floor": float64(5), "units_per_message_per_second": 0.3, "peak_arrivals_per_second": 16.667, "peak_after": "10m0s"} {
		if sz[k] != want {
			t.Errorf("sizing %s = %v, want %v", k, sz[k], want)
		}
	}
	// The window: to the end of the peak bucket (15 minutes in) and the
	// group's lead.
	until, _ := time.ParseDuration(sz["window"].(string))
	if lead := until - 15*time.Minute; lead <= 0 {
		t.Errorf("window %s: not past the peak bucket's end", until)
	}
	start := time.Date(2026, 6, 2, 7, 0, 0, 0, time.UTC)
	if g["end"] != start.Add(until).Format(time.RFC3339) || c["end"] != g["end"] {
		t.Errorf("end %v (campaign %v), want start + %s", g["end"], c["end"], until)
	}

	b, err := e.store.GetBoost(t.Context(), g["boost"].(string))
	if err != nil {
		t.Fatalf("the campaign's boost: %v", err)
	}
	if b.MinCapacity != 5 || !slices.Equal(b.Groups, []string{"workers"}) || !b.Start.Equal(start) || b.Lead != 0 ||
		b.Campaign == nil || b.Campaign.ID != id || b.Campaign.Audience != 50000 || b.CreatedBy != "alice" {
		t.Errorf("stored boost %+v", b)
	}
	// The boost shows its campaign.
	bv := e.must(req{method: "GET", path: "/v1/boosts/" + b.ID}, 200)
	if cm, _ := bv["campaign"].(map[string]any); cm["id"] != id || cm["sizing"].(map[string]any)["floor"] != float64(5) {
		t.Errorf("boost's campaign %v", bv["campaign"])
	}

	audit, err := e.store.ListAudit(t.Context(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != "campaign.create" || audit[0].Object != id || audit[0].Actor != "alice" {
		t.Errorf("audit %+v", audit)
	}

	got := e.must(req{method: "GET", path: "/v1/campaigns/" + id, token: viewerToken}, 200)
	checkKeys(t, "get", got, campaignKeys...)
	list := e.must(req{method: "GET", path: "/v1/campaigns", token: viewerToken}, 200)
	if cs := list["campaigns"].([]any); len(cs) != 1 || cs[0].(map[string]any)["id"] != id {
		t.Errorf("list %v", list)
	}
	if r := e.do(req{method: "GET", path: "/v1/campaigns/c-nope", token: viewerToken}); r.status != 404 {
		t.Errorf("unknown campaign: %d", r.status)
	}
	// Cancelled and ended campaigns leave the list but not all=true.
	e.clock.Advance(start.Add(24 * time.Hour).Sub(t0))
	if cs := e.must(req{method: "GET", path: "/v1/campaigns"}, 200)["campaigns"].([]any); len(cs) != 0 {
		t.Errorf("ended campaign listed: %v", cs)
	}
	if cs := e.must(req{method: "GET", path: "/v1/campaigns?all=true"}, 200)["campaigns"].([]any); len(cs) != 1 ||
		cs[0].(map[string]any)["state"] != "ended" {
		t.Errorf("all=true: %v", cs)
	}
}

func TestCampaignSeveralGroups(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.CampaignCosts = map[string]float64{"workers": 0.3, "web": 0.1} })
	c := e.must(req{method: "POST", path: "/v1/campaigns", body: `{"name":"n","groups":["web","workers"],"start":"2026-06-02T07:00:00Z",
		"end":"2026-06-02T10:00:00Z","audience":1000000,"messages_per_recipient":2}`}, 201)
	var floors []any
	for _, g := range c["sizing"].([]any) {
		g := g.(map[string]any)
		floors = append(floors, g["group"], g["sizing"].(map[string]any)["floor"], g["sizing"].(map[string]any)["capped_at_max"], g["end"])
	}
	// 2,000,000 messages x 10% / 300 s = 666.7/s: web wants 67 (max 20),
	// workers 200 (max 40: its Auto Scaling group's).
	want := []any{"web", float64(20), true, "2026-06-02T10:00:00Z", "workers", float64(40), true, "2026-06-02T10:00:00Z"}
	if !slices.Equal(floors, want) {
		t.Errorf("floors %v, want %v", floors, want)
	}
	bs, _ := e.store.ListBoosts(t.Context())
	if len(bs) != 2 || !bs[0].CapAtMax || !bs[1].CapAtMax || bs[0].Campaign.ID != bs[1].Campaign.ID {
		t.Errorf("boosts %+v", bs)
	}
}

// TestCampaignLearnsFromHistory: an earlier campaign of 6,000 recipients
// on workers, whose history shows 3,000 more messages in its first 5
// minutes, makes half the audience the peak; the group's buckets outside
// campaigns make its cost 0.25 units per message per second.
func TestCampaignLearnsFromHistory(t *testing.T) {
	e := newEnv(t, campaignCosts)
	ctx := t.Context()
	earlier := t0.Add(-48 * time.Hour)
	if _, err := e.store.PutBoost(ctx, store.Boost{ID: "b-earlier", Name: "autumn", Reason: "r", Groups: []string{"workers"},
		Start: earlier, End: earlier.Add(4 * time.Hour), MinCapacity: 3, CreatedAt: earlier, UpdatedAt: earlier,
		Campaign: &store.BoostCampaign{ID: "c-earlier", Name: "autumn", Groups: []string{"workers"}, Audience: 6000, MessagesPerRecipient: 1}}); err != nil {
		t.Fatal(err)
	}
	var pts []store.HistoryPoint
	for at := earlier.Add(-2 * time.Hour); at.Before(earlier.Add(4 * time.Hour)); at = at.Add(store.HistoryBucket) {
		p := store.HistoryPoint{Group: "workers", At: at, Arrivals: 2, NeedUnits: 0.5, Samples: 1}
		switch {
		case at.Equal(earlier):
			p.Arrivals, p.Campaign = 12, true
		case !at.Before(earlier):
			p.Campaign = true
		}
		pts = append(pts, p)
	}
	if err := e.store.RecordHistory(ctx, pts, store.HistoryKeep, t0); err != nil {
		t.Fatal(err)
	}
	c := e.must(req{method: "POST", path: "/v1/campaigns/preview", token: viewerToken,
		body: `{"name":"winter","groups":["workers"],"start":"2026-06-02T07:00:00Z","audience":600}`}, 200)
	sz := c["sizing"].([]any)[0].(map[string]any)["sizing"].(map[string]any)
	// 600 x 0.5 / 300 s = 1 msg/s, x 0.25 = 0.25: one unit.
	for k, want := range map[string]any{"source": "history", "campaigns_learned_from": float64(1), "cost_source": "history",
		"units_per_message_per_second": 0.25, "peak_arrivals_per_second": float64(1), "peak_after": "0s", "floor": float64(1)} {
		if sz[k] != want {
			t.Errorf("sizing %s = %v, want %v", k, sz[k], want)
		}
	}
	if c["id"] != nil || c["created_by"] != nil || c["state"] != nil {
		t.Errorf("a preview has no id, creator or state: %v", c)
	}
	if got := campaign.Bucket; got != store.HistoryBucket {
		t.Errorf("campaign.Bucket %s, history buckets %s: learned curves would be misread", got, store.HistoryBucket)
	}
	// A cancelled earlier campaign teaches nothing.
	b, _ := e.store.GetBoost(ctx, "b-earlier")
	b.CancelledAt = t0
	if _, err := e.store.PutBoost(ctx, b); err != nil {
		t.Fatal(err)
	}
	c = e.must(req{method: "POST", path: "/v1/campaigns/preview", token: viewerToken,
		body: `{"name":"winter","groups":["workers"],"start":"2026-06-02T07:00:00Z","audience":600}`}, 200)
	if src := c["sizing"].([]any)[0].(map[string]any)["sizing"].(map[string]any)["source"]; src != "default" {
		t.Errorf("after the earlier campaign was cancelled, source %v", src)
	}
}

func TestCampaignFieldErrors(t *testing.T) {
	e := newEnv(t, campaignCosts)
	for _, tc := range []struct {
		name   string
		body   string
		status int
		fields []string
	}{
		{"required", `{}`, 422, []string{"name", "groups", "start", "audience"}},
		{"audience zero", `{"name":"n","groups":["workers"],"start":"2026-06-02T09:00:00Z","audience":0}`, 422, []string{"audience"}},
		{"audience not an integer", `{"name":"n","groups":["workers"],"start":"2026-06-02T09:00:00Z","audience":1.5}`, 422, []string{"audience"}},
		{"audience too large", `{"name":"n","groups":["workers"],"start":"2026-06-02T09:00:00Z","audience":2000000000}`, 422, []string{"audience"}},
		{"messages per recipient zero", `{"name":"n","groups":["workers"],"start":"2026-06-02T09:00:00Z","audience":5,"messages_per_recipient":0}`, 422, []string{"messages_per_recipient"}},
		{"unknown group and a selector", `{"name":"n","groups":["nope","team=rewards"],"start":"2026-06-02T09:00:00Z","audience":5}`, 422, []string{"groups[0]", "groups[1]"}},
		{"a group twice", `{"name":"n","groups":["workers","workers"],"start":"2026-06-02T09:00:00Z","audience":5}`, 422, []string{"groups[1]"}},
		{"no groups", `{"name":"n","groups":[],"start":"2026-06-02T09:00:00Z","audience":5}`, 422, []string{"groups"}},
		{"a group without a cost", `{"name":"n","groups":["workers","web"],"start":"2026-06-02T09:00:00Z","audience":5}`, 422, []string{"groups[1]"}},
		{"start not RFC 3339", `{"name":"n","groups":["workers"],"start":"2026-06-02 09:00","audience":5}`, 422, []string{"start"}},
		{"start in the past", `{"name":"n","groups":["workers"],"start":"2026-06-01T11:00:00Z","audience":5}`, 422, []string{"start"}},
		{"end before start", `{"name":"n","groups":["workers"],"start":"2026-06-02T09:00:00Z","end":"2026-06-02T08:00:00Z","audience":5}`, 422, []string{"end"}},
		{"empty name", `{"name":" ","groups":["workers"],"start":"2026-06-02T09:00:00Z","audience":5}`, 422, []string{"name"}},
		{"unknown field", `{"name":"n","groups":["workers"],"start":"2026-06-02T09:00:00Z","audience":5,"min_capacity":3}`, 400, []string{"min_capacity"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			for _, path := range []string{"/v1/campaigns", "/v1/campaigns/preview"} {
				if path == "/v1/campaigns/preview" && tc.name == "start in the past" {
					continue // a preview asks about any start
				}
				r := e.do(req{method: "POST", path: path, token: operatorToken, body: tc.body})
				if r.status != tc.status || r.header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("%s: %d %s %s, want %d problem+json", path, r.status, r.header.Get("Content-Type"), r.body, tc.status)
				}
				p := r.json(t)
				got := fieldsOf(t, p)
				if tc.status == 400 {
					got = []string{p["field"].(string)}
				}
				if !slices.Equal(got, tc.fields) {
					t.Errorf("%s: fields %v, want %v (%s)", path, got, tc.fields, r.body)
				}
			}
			if e.snapshot() != before {
				t.Error("a refused campaign wrote something")
			}
		})
	}
}

func TestCampaignPreviewOfAPastStart(t *testing.T) {
	e := newEnv(t, campaignCosts)
	r := e.do(req{method: "POST", path: "/v1/campaigns/preview", token: viewerToken,
		body: `{"name":"n","groups":["workers"],"start":"2026-06-01T11:00:00Z","audience":5}`})
	if r.status != 200 {
		t.Errorf("preview of a start an hour ago: %d %s", r.status, r.body)
	}
}

func TestCampaignRolesAndPreviewWritesNothing(t *testing.T) {
	e := newEnv(t, campaignCosts)
	before := e.snapshot()
	if r := e.do(req{method: "POST", path: "/v1/campaigns", token: viewerToken, body: campaignBody}); r.status != http.StatusForbidden {
		t.Errorf("viewer create: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "POST", path: "/v1/campaigns", body: campaignBody}); r.status != http.StatusUnauthorized {
		t.Errorf("anonymous create: %d", r.status)
	}
	p := e.must(req{method: "POST", path: "/v1/campaigns/preview", token: viewerToken, body: campaignBody}, 200)
	checkKeys(t, "preview", p, campaignKeys...)
	if e.snapshot() != before {
		t.Error("a preview or a refused create wrote something")
	}
}

func TestCampaignIdempotency(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.CampaignCosts = map[string]float64{"workers": 0.3, "web": 0.1} })
	body := `{"name":"n","groups":["workers","web"],"start":"2026-06-02T07:00:00Z","audience":50000}`
	key := map[string]string{"Idempotency-Key": "campaign-1"}
	first := e.do(req{method: "POST", path: "/v1/campaigns", token: operatorToken, body: body, header: key})
	if first.status != 201 || first.header.Get(replayedHeader) != "" {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	again := e.do(req{method: "POST", path: "/v1/campaigns", token: operatorToken, body: body, header: key})
	if again.status != 201 || again.header.Get(replayedHeader) != "true" || string(again.body) != string(first.body) {
		t.Errorf("replay: %d %s %s", again.status, again.header.Get(replayedHeader), again.body)
	}
	other := e.do(req{method: "POST", path: "/v1/campaigns", token: operatorToken, body: strings.Replace(body, "50000", "50001", 1), header: key})
	if other.status != 409 {
		t.Errorf("same key, other body: %d %s", other.status, other.body)
	}
	bs, _ := e.store.ListBoosts(t.Context())
	audit, _ := e.store.ListAudit(t.Context(), time.Time{}, 0)
	if len(bs) != 2 || len(audit) != 1 {
		t.Errorf("%d boosts and %d audit entries, want 2 and 1", len(bs), len(audit))
	}
}

// TestCampaignRetryCompletesAPartialCreate: a create under a key that
// stored its first boost and then stopped is completed by a retry under
// the same key, which keeps the stored boost and adds the missing one.
func TestCampaignRetryCompletesAPartialCreate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		campaign string // the pre-stored boost's campaign id; "" for none
		status   int
	}{
		{"the earlier try's boost is kept", "mine", 201},
		{"a boost of another making under the id is a conflict", "", 409},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.CampaignCosts = map[string]float64{"workers": 0.3, "web": 0.1} })
			scope := sha256.Sum256([]byte("alice\x00campaign-2"))
			hx := hex.EncodeToString(scope[:])[:16]
			id := "c-" + hx
			pre := store.Boost{ID: "b-" + hx + "-1", Name: "n", Reason: "r", Groups: []string{"workers"},
				Start: t0.Add(19 * time.Hour), End: t0.Add(22 * time.Hour), MinCapacity: 7, CreatedBy: "alice", CreatedAt: t0, UpdatedAt: t0}
			if tc.campaign != "" {
				pre.Campaign = &store.BoostCampaign{ID: id, Name: "n", Groups: []string{"workers", "web"}, Audience: 50000, MessagesPerRecipient: 1}
			}
			if _, err := e.store.PutBoost(t.Context(), pre); err != nil {
				t.Fatal(err)
			}
			r := e.do(req{method: "POST", path: "/v1/campaigns", token: operatorToken, header: map[string]string{"Idempotency-Key": "campaign-2"},
				body: `{"name":"n","groups":["workers","web"],"start":"2026-06-02T07:00:00Z","audience":50000}`})
			if r.status != tc.status {
				t.Fatalf("retry: %d %s", r.status, r.body)
			}
			bs, _ := e.store.ListBoosts(t.Context())
			if tc.status != 201 {
				if len(bs) != 1 {
					t.Errorf("a refused retry left %d boosts", len(bs))
				}
				return
			}
			if len(bs) != 2 || bs[0].MinCapacity != 7 {
				t.Errorf("boosts %+v: want the kept one (floor 7) and the missing one", bs)
			}
			got := e.must(req{method: "GET", path: "/v1/campaigns/" + id}, 200)
			if n := len(got["sizing"].([]any)); n != 2 {
				t.Errorf("campaign has %d boosts, want 2", n)
			}
		})
	}
}
