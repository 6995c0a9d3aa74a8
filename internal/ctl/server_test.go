package ctl

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/bolt"

	"net/http/httptest"
)

// realToken is the operator token of the real server; long and unusual,
// so that finding it in any output means it was printed.
const realToken = "operator-Z3cr3t-7f1c9a0b5e2d4c68"

// realFleet is the controller as the API sees it: fixed groups, no
// previews.
type realFleet struct {
	mu    sync.Mutex
	views []controller.GroupView
}

func (f *realFleet) Views() []controller.GroupView {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.views)
}

func (f *realFleet) View(name string) (controller.GroupView, bool) {
	for _, v := range f.Views() {
		if v.Name == name {
			return v, true
		}
	}
	return controller.GroupView{}, false
}

func (f *realFleet) Preview(context.Context, string, controller.Preview) (controller.Record, error) {
	return controller.Record{}, controller.ErrNotDescribed
}

// realServer is the admin API itself (internal/api over a bolt store) on a
// loopback port, with its clock at testNow.
type realServer struct {
	url   string
	store store.Store
	fleet *realFleet
}

func startReal(t *testing.T, views ...controller.GroupView) *realServer {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "headroom.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	fl := &realFleet{views: views}
	// Every group costs 0.2 units per message per second, as a backlog
	// queue of 0.2 s a message would.
	costs := map[string]float64{}
	for _, v := range views {
		costs[v.Name] = 0.2
	}
	h, err := api.New(api.Options{Store: st, Fleet: fl, Clock: clock.NewFake(testNow), CampaignCosts: costs,
		Tokens: []api.Token{{Name: "op", Role: api.RoleOperator, SHA256: sha256.Sum256([]byte(realToken))}}})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &realServer{url: srv.URL, store: st, fleet: fl}
}

// env is the environment ctl runs with against s.
func (s *realServer) env() map[string]string {
	return map[string]string{EnvURL: s.url, EnvToken: realToken}
}

// groupView is a described group with lead as its boost lead.
func groupView(name string, lead time.Duration) controller.GroupView {
	return controller.GroupView{Name: name, ASG: name + "-asg", Min: 1, Max: 50, ASGMin: 1, ASGMax: 50, Known: true, Lead: lead}
}

// putBoost stores a boost as the API would have created it.
func (s *realServer) putBoost(t *testing.T, b store.Boost) store.Boost {
	t.Helper()
	if b.CreatedAt.IsZero() {
		b.CreatedAt = testNow
	}
	b.UpdatedAt = b.CreatedAt
	if b.CreatedBy == "" {
		b.CreatedBy = "op"
	}
	saved, err := s.store.PutBoost(context.Background(), b)
	if err != nil {
		t.Fatalf("put boost %q: %v", b.ID, err)
	}
	return saved
}
