package target

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/schedule"
)

// backend is a Backend over a map, recording its calls. It stands for the
// real backends, which have wire-level tests of their own; here only the
// routing is under test.
type backend struct {
	mu      sync.Mutex
	groups  map[string]Group
	failIDs []string // ids a Describe reports blind with a *PageError
	err     error    // a Describe error for every id
	calls   [][]string
	warm    map[string]time.Duration
	set     map[string]int
}

func (b *backend) Describe(_ context.Context, ids []string, warmup func(string) time.Duration) (map[string]Group, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, slices.Clone(ids))
	if b.err != nil {
		return nil, b.err
	}
	out := map[string]Group{}
	var pe *PageError
	for _, id := range ids {
		if warmup != nil {
			if b.warm == nil {
				b.warm = map[string]time.Duration{}
			}
			b.warm[id] = warmup(id)
		}
		if slices.Contains(b.failIDs, id) {
			if pe == nil {
				pe = &PageError{Errs: []error{errors.New("page failed")}}
			}
			pe.Groups = append(pe.Groups, id)
			continue
		}
		if g, ok := b.groups[id]; ok {
			out[id] = g
		}
	}
	if pe != nil {
		return out, pe
	}
	return out, nil
}

func (b *backend) SetDesired(_ context.Context, id string, n int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.set == nil {
		b.set = map[string]int{}
	}
	b.set[id] = n
	return nil
}

// mirrorBackend is a backend with scheduled actions on some targets.
type mirrorBackend struct {
	backend
	with map[string]bool
	min  map[string]int
}

func (m *mirrorBackend) Mirrors(id string) bool { return m.with[id] }
func (m *mirrorBackend) ScheduledActions(context.Context, string) ([]schedule.Action, error) {
	return nil, nil
}
func (m *mirrorBackend) Reconcile(_ context.Context, _ string, _, want []schedule.Action) (int, int, error) {
	return len(want), 0, nil
}
func (m *mirrorBackend) SetMinSize(_ context.Context, id string, n int) error {
	if m.min == nil {
		m.min = map[string]int{}
	}
	m.min[id] = n
	return nil
}

func TestRouterDescribe(t *testing.T) {
	asgA := &backend{groups: map[string]Group{"workers": {Name: "workers", Desired: 3}, "api": {Name: "api", Desired: 2}}}
	ecsB := &backend{groups: map[string]Group{"prod/api": {Kind: KindECSService, Name: "api", Desired: 4}}}
	r := NewRouter()
	r.Add("workers", asgA, "workers")
	r.Add("api-asg", asgA, "api")
	r.Add("ecs:b:prod/api", ecsB, "prod/api")
	r.Add("gone", asgA, "gone")
	warm := map[string]time.Duration{"workers": time.Minute, "ecs:b:prod/api": 30 * time.Second}

	got, err := r.Describe(context.Background(), []string{"workers", "api-asg", "ecs:b:prod/api", "gone", "workers"},
		func(k string) time.Duration { return warm[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Group{"workers": asgA.groups["workers"], "api-asg": asgA.groups["api"], "ecs:b:prod/api": ecsB.groups["prod/api"]}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Describe = %+v, want %+v", got, want)
	}
	// One call per backend, with the backend's ids, each once.
	if !reflect.DeepEqual(asgA.calls, [][]string{{"workers", "api", "gone"}}) || !reflect.DeepEqual(ecsB.calls, [][]string{{"prod/api"}}) {
		t.Fatalf("calls: asg %v, ecs %v", asgA.calls, ecsB.calls)
	}
	// Warmups reach the backend by its ids.
	if asgA.warm["workers"] != time.Minute || ecsB.warm["prod/api"] != 30*time.Second {
		t.Fatalf("warmups: asg %v, ecs %v", asgA.warm, ecsB.warm)
	}
}

func TestRouterDescribeFailures(t *testing.T) {
	t.Run("a failed backend blinds only its targets", func(t *testing.T) {
		a := &backend{groups: map[string]Group{"workers": {Name: "workers"}}}
		b := &backend{err: errors.New("AccessDenied")}
		r := NewRouter()
		r.Add("workers", a, "workers")
		r.Add("svc1", b, "c/s1")
		r.Add("svc2", b, "c/s2")
		got, err := r.Describe(context.Background(), []string{"workers", "svc1", "svc2"}, nil)
		pe, ok := errors.AsType[*PageError](err)
		if !ok || !reflect.DeepEqual(pe.Groups, []string{"svc1", "svc2"}) || !strings.Contains(err.Error(), "AccessDenied") {
			t.Fatalf("err = %v, want a PageError blinding svc1 and svc2", err)
		}
		if _, ok := got["workers"]; !ok || len(got) != 1 {
			t.Fatalf("got %v, want workers alone", got)
		}
	})
	t.Run("a backend's page error maps its ids to keys", func(t *testing.T) {
		a := &backend{groups: map[string]Group{"x": {}, "y": {}}, failIDs: []string{"y"}}
		b := &backend{groups: map[string]Group{"s": {}}}
		r := NewRouter()
		r.Add("kx", a, "x")
		r.Add("ky", a, "y")
		r.Add("ks", b, "s")
		got, err := r.Describe(context.Background(), []string{"kx", "ky", "ks"}, nil)
		pe, ok := errors.AsType[*PageError](err)
		if !ok || !reflect.DeepEqual(pe.Groups, []string{"ky"}) || len(got) != 2 {
			t.Fatalf("got %v, err %v; want ky blind and two read", got, err)
		}
	})
	t.Run("one backend's error is returned as it is", func(t *testing.T) {
		cause := errors.New("RequestExpired")
		a := &backend{err: cause}
		r := NewRouter()
		r.Add("x", a, "x")
		if _, err := r.Describe(context.Background(), []string{"x"}, nil); err != cause {
			t.Fatalf("err = %v, want the backend's own", err)
		}
		p := &backend{groups: map[string]Group{"x": {}}, failIDs: []string{"y"}}
		r = NewRouter()
		r.Add("kx", p, "x")
		r.Add("ky", p, "y")
		_, err := r.Describe(context.Background(), []string{"kx", "ky"}, nil)
		if pe, ok := errors.AsType[*PageError](err); !ok || !reflect.DeepEqual(pe.Groups, []string{"ky"}) || pe.Error() != "1 of the groups not described: page failed" {
			t.Fatalf("err = %v, want the backend's page error by key", err)
		}
	})
	t.Run("an unrouted key is blind", func(t *testing.T) {
		r := NewRouter()
		r.Add("x", &backend{groups: map[string]Group{"x": {}}}, "x")
		_, err := r.Describe(context.Background(), []string{"x", "nowhere"}, nil)
		if pe, ok := errors.AsType[*PageError](err); !ok || !reflect.DeepEqual(pe.Groups, []string{"nowhere"}) || !errors.Is(err, ErrNoRoute) {
			t.Fatalf("err = %v, want nowhere blind with ErrNoRoute", err)
		}
	})
}

func TestRouterWritesAndMirrors(t *testing.T) {
	a := &backend{}
	m := &mirrorBackend{with: map[string]bool{"c/with": true}}
	r := NewRouter()
	r.Add("g", a, "g-asg")
	r.Add("with", m, "c/with")
	r.Add("without", m, "c/without")
	ctx := context.Background()
	if err := r.SetDesired(ctx, "g", 7); err != nil || a.set["g-asg"] != 7 {
		t.Fatalf("SetDesired: %v, set %v", err, a.set)
	}
	if err := r.SetDesired(ctx, "nowhere", 1); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("SetDesired unrouted: %v", err)
	}
	if refreshing, err := r.RefreshInProgress(ctx, "with"); refreshing || err != nil {
		t.Fatalf("RefreshInProgress of a kind without refreshes = %v, %v", refreshing, err)
	}
	if r.Mirrors("g") || !r.Mirrors("with") || r.Mirrors("without") || r.Mirrors("nowhere") {
		t.Fatal("Mirrors: want only the target with a place for scheduled actions")
	}
	if err := r.SetMinSize(ctx, "with", 5); err != nil || m.min["c/with"] != 5 {
		t.Fatalf("SetMinSize: %v, %v", err, m.min)
	}
	if err := r.SetMinSize(ctx, "g", 5); err == nil {
		t.Fatal("SetMinSize on a backend without scheduled actions: want an error")
	}
}
