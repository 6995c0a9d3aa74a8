package apiclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/policy"
	"github.com/headroom-dev/headroom/internal/store/bolt"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

const token = "operator-secret-0123456789abcdef"

// fleet is one described group with a decision.
type fleet struct{ v controller.GroupView }

func (f fleet) Views() []controller.GroupView { return []controller.GroupView{f.v} }
func (f fleet) View(name string) (controller.GroupView, bool) {
	return f.v, name == f.v.Name
}
func (f fleet) Preview(context.Context, string, controller.Preview) (controller.Record, error) {
	return *f.v.Last, nil
}

func record() controller.Record {
	return controller.Record{Decision: policy.Decision{Group: "web", At: t0.Add(-10 * time.Second), Current: 4, Desired: 6, Min: 2, Max: 40,
		Proposals: []policy.Proposal{{Policy: "jobs", Kind: policy.KindBacklog, Capacity: 6, OK: true, Reason: "backlog"}},
		Changes:   []policy.Change{{Rule: "max", From: 7, To: 6, Reason: "capped"}},
		Inputs:    []policy.InputAge{{Policy: "jobs", Name: "jobs", Value: 50, Age: 2 * time.Second}},
		Queues: []policy.QueueDetail{{Policy: "jobs", Queue: "jobs", Lambda: 2, Backlog: 50, Projected: 40, Budget: 10, Excess: 30,
			OnItsWay: 1, Lead: time.Minute, Rate: 2, Drain: 3, Floor: 1, Need: 6, Term: policy.TermDrain}},
		Notes: []string{"a note"}, Reason: "jobs wants more"},
		ASG: "web-asg", Acted: true, Serving: 4, ASGMin: 1, ASGMax: 50}
}

// server is the admin API itself over a bolt store.
func server(t *testing.T, mutate ...func(*api.Options)) string {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "headroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	rec := record()
	f := fleet{controller.GroupView{Name: "web", ASG: "web-asg", Min: 2, Max: 40, ASGMin: 1, ASGMax: 50, Known: true, Lead: time.Minute, Queues: []string{"jobs"}, Last: &rec}}
	o := api.Options{Store: st, Fleet: f, Clock: clock.NewFake(t0),
		Tokens:        []api.Token{{Name: "op", Role: api.RoleOperator, SHA256: sha256.Sum256([]byte(token))}},
		CampaignCosts: map[string]float64{"web": 0.2}}
	for _, m := range mutate {
		m(&o)
	}
	h, err := api.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func call(t *testing.T, base, method, path string, body any) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d\n%s", method, path, resp.StatusCode, out)
	}
	return out
}

// wireTypes are the Go types and the schema each stands for.
var wireTypes = map[string]any{
	"GroupSummary": GroupSummary{}, "GroupDetail": GroupDetail{}, "GroupList": GroupList{},
	"Decision": Decision{}, "Proposal": Proposal{}, "Change": Change{}, "Input": Input{}, "QueueSizing": QueueSizing{},
	"DecisionList": DecisionList{}, "PreviewResult": PreviewResult{}, "PreviewInput": PreviewInput{},
	"Boost": Boost{}, "BoostList": BoostList{}, "BoostPatch": BoostPatch{}, "BoostInput": BoostInput{},
	"Override": Override{}, "OverrideList": OverrideList{}, "OverrideInput": OverrideInput{},
	"AuditEntry": AuditEntry{}, "AuditList": AuditList{},
	"Campaign": Campaign{}, "CampaignList": CampaignList{}, "CampaignInput": CampaignInput{},
	"CampaignSizing": CampaignSizing{}, "CampaignGroup": CampaignGroup{},
	"Forecast": Forecast{}, "Predictive": Predictive{},
}

// TestWireTypesMatchOpenAPI checks every wire type against the schema of
// the server's /openapi.json both ways: each property has a field of that
// JSON name and each field a property, with types that agree.
func TestWireTypesMatchOpenAPI(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(call(t, server(t), "GET", "/openapi.json", nil), &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	for name, v := range wireTypes {
		t.Run(name, func(t *testing.T) {
			s, ok := schemas[name]
			if !ok {
				t.Fatalf("no schema %s", name)
			}
			for _, p := range compare(reflect.TypeOf(v), s, schemas, name) {
				t.Error(p)
			}
		})
	}
}

// compare lists where type t and schema s disagree.
func compare(t reflect.Type, s map[string]any, schemas map[string]map[string]any, at string) []string {
	if r, ok := s["$ref"].(string); ok {
		s = schemas[strings.TrimPrefix(r, "#/components/schemas/")]
	}
	if one, ok := s["oneOf"].([]any); ok {
		var alts []map[string]any
		for _, a := range one {
			if m := a.(map[string]any); m["type"] != "null" {
				alts = append(alts, m)
			} else if t.Kind() != reflect.Pointer {
				return []string{at + ": may be null, but " + t.String() + " cannot"}
			}
		}
		if len(alts) == 1 {
			return compare(t, alts[0], schemas, at)
		}
	}
	types := []string{}
	switch ty := s["type"].(type) {
	case string:
		types = append(types, ty)
	case []any:
		for _, x := range ty {
			types = append(types, x.(string))
		}
	}
	if slices.Contains(types, "null") {
		if t.Kind() != reflect.Pointer {
			return []string{at + ": may be null, but " + t.String() + " cannot"}
		}
		types = slices.DeleteFunc(types, func(x string) bool { return x == "null" })
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		if len(types) > 0 {
			return []string{fmt.Sprintf("%s: raw JSON, schema type %v", at, types)}
		}
		return nil
	}
	want := map[reflect.Kind]string{reflect.String: "string", reflect.Int: "integer", reflect.Int64: "integer",
		reflect.Float64: "number", reflect.Bool: "boolean", reflect.Slice: "array", reflect.Struct: "object", reflect.Map: "object"}[t.Kind()]
	if t == reflect.TypeFor[time.Time]() {
		want = "string"
	}
	if len(types) != 1 || types[0] != want {
		return []string{fmt.Sprintf("%s: Go %s, schema type %v", at, t, types)}
	}
	switch {
	case t.Kind() == reflect.Slice:
		items, _ := s["items"].(map[string]any)
		return compare(t.Elem(), items, schemas, at+"[]")
	case t.Kind() == reflect.Map:
		add, _ := s["additionalProperties"].(map[string]any)
		return compare(t.Elem(), add, schemas, at+".*")
	case t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Time]():
		var out []string
		props, _ := s["properties"].(map[string]any)
		fields := map[string]bool{}
		for _, f := range reflect.VisibleFields(t) {
			if f.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				out = append(out, fmt.Sprintf("%s.%s: no json name", at, f.Name))
				continue
			}
			fields[name] = true
			p, ok := props[name].(map[string]any)
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: field %s is not in the schema", at, name, f.Name))
				continue
			}
			out = append(out, compare(f.Type, p, schemas, at+"."+name)...)
		}
		for name := range props {
			if !fields[name] {
				out = append(out, fmt.Sprintf("%s.%s: in the schema, no Go field", at, name))
			}
		}
		return out
	}
	return nil
}

// strict decodes data into v, refusing a field v does not have.
func strict(t *testing.T, what string, data []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Errorf("%s: %v\n%s", what, err, data)
	}
}

// TestDecodeRealAnswersStrictly creates a boost and an override on a real
// server and decodes every route's answer into its wire type, refusing
// unknown fields: a field the API adds fails here until it is added.
func TestDecodeRealAnswersStrictly(t *testing.T) {
	base := server(t)
	name, reason, start, end, lead := "year-end", "campaign", t0.Add(time.Hour).Format(time.RFC3339), t0.Add(2*time.Hour).Format(time.RFC3339), "5m"
	minCap := 10
	var b Boost
	strict(t, "POST /v1/boosts", call(t, base, "POST", "/v1/boosts", BoostInput{Name: &name, Reason: &reason, Groups: []string{"web"},
		Start: &start, End: &end, MinCapacity: &minCap, Lead: &lead}), &b)
	ttl := "1h"
	var o Override
	strict(t, "POST overrides", call(t, base, "POST", "/v1/groups/web/overrides", OverrideInput{Kind: "pause", Reason: "r", TTL: &ttl}), &o)
	var c Campaign
	strict(t, "POST /v1/campaigns", call(t, base, "POST", "/v1/campaigns", CampaignInput{Name: "winter", Groups: []string{"web"},
		Start: start, Audience: 50000}), &c)
	if c.ID == nil || len(c.Sizing) != 1 || c.Sizing[0].Boost == nil {
		t.Fatalf("campaign %+v", c)
	}
	for _, tc := range []struct {
		method, path string
		body         any
		into         any
	}{
		{"GET", "/v1/groups", nil, &GroupList{}},
		{"GET", "/v1/campaigns", nil, &CampaignList{}},
		{"GET", "/v1/campaigns/" + *c.ID, nil, &Campaign{}},
		{"POST", "/v1/campaigns/preview", CampaignInput{Name: "w", Groups: []string{"web"}, Start: start, Audience: 10}, &Campaign{}},
		{"GET", "/v1/boosts/" + *c.Sizing[0].Boost, nil, &Boost{}},
		{"GET", "/v1/groups/web", nil, &GroupDetail{}},
		{"GET", "/v1/groups/web/decisions", nil, &DecisionList{}},
		{"POST", "/v1/groups/web/preview", PreviewInput{Queues: map[string]QueueReading{"jobs": {Visible: 5}}}, &PreviewResult{}},
		{"GET", "/v1/boosts", nil, &BoostList{}},
		{"GET", "/v1/boosts/" + b.ID, nil, &Boost{}},
		{"GET", "/v1/overrides", nil, &OverrideList{}},
		{"GET", "/v1/groups/web/overrides", nil, &OverrideList{}},
		{"GET", "/v1/overrides/" + o.ID, nil, &Override{}},
		{"GET", "/v1/audit", nil, &AuditList{}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			strict(t, tc.path, call(t, base, tc.method, tc.path, tc.body), tc.into)
		})
	}
	var a AuditList
	strict(t, "audit", call(t, base, "GET", "/v1/audit", nil), &a)
	if len(a.Entries) != 3 {
		t.Fatalf("%d audit entries, want 3", len(a.Entries))
	}
	strict(t, "audit after of a boost", a.Entries[0].After, &Boost{})
	strict(t, "audit after of an override", a.Entries[1].After, &Override{})
	strict(t, "audit after of a campaign", a.Entries[2].After, &Campaign{})
}
