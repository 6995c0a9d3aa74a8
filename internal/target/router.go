package target

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/internal/schedule"
)

// Router sends each managed target's calls to the backend of its kind,
// account and region. It keys targets by the controller's names for them
// (config.Group.TargetKey) and calls each backend with its own ids. Build
// it with Add before use; after that it is safe for concurrent use.
type Router struct {
	routes map[string]route
	// backends lists each backend once, in the order first added, so that
	// Describe calls them in a stable order.
	backends []Backend
}

type route struct {
	backend Backend
	id      string
}

// NewRouter returns an empty router.
func NewRouter() *Router { return &Router{routes: map[string]route{}} }

// Add routes the target key to id on b. Adding a key twice replaces it.
func (r *Router) Add(key string, b Backend, id string) {
	if _, ok := r.routes[key]; !ok {
		known := false
		for _, x := range r.backends {
			if x == b {
				known = true
				break
			}
		}
		if !known {
			r.backends = append(r.backends, b)
		}
	}
	r.routes[key] = route{backend: b, id: id}
}

// Backend returns the backend and id key routes to.
func (r *Router) Backend(key string) (Backend, string, bool) {
	rt, ok := r.routes[key]
	return rt.backend, rt.id, ok
}

// ErrNoRoute is the error for a key no backend was added for.
var ErrNoRoute = errors.New("no backend for the target")

// Describe reads the targets keys name, each backend's in one Describe of
// its own, the backends in parallel. It returns the targets by key. A
// backend's *PageError blinds only the keys of the ids it names; any other
// error of a backend blinds every key routed to it. Keys without a route
// are blind too. When one backend holds every key, its error is returned
// as it is (with ids mapped to keys), so that a single-backend daemon
// reports exactly what its backend did.
func (r *Router) Describe(ctx context.Context, keys []string, warmup func(key string) time.Duration) (map[string]Group, error) {
	type part struct {
		ids   []string
		keyOf map[string][]string // id -> keys (two keys may share an id only across backends)
		warm  map[string]time.Duration
	}
	parts := map[Backend]*part{}
	var unrouted []string
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		rt, ok := r.routes[k]
		if !ok {
			unrouted = append(unrouted, k)
			continue
		}
		p := parts[rt.backend]
		if p == nil {
			p = &part{keyOf: map[string][]string{}, warm: map[string]time.Duration{}}
			parts[rt.backend] = p
		}
		if _, dup := p.keyOf[rt.id]; !dup {
			p.ids = append(p.ids, rt.id)
		}
		p.keyOf[rt.id] = append(p.keyOf[rt.id], k)
		if warmup != nil {
			p.warm[rt.id] = warmup(k)
		}
	}
	type result struct {
		b   Backend
		got map[string]Group
		err error
	}
	results := make([]result, 0, len(parts))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, b := range r.backends {
		p := parts[b]
		if p == nil {
			continue
		}
		wg.Go(func() {
			var w func(string) time.Duration
			if warmup != nil {
				w = func(id string) time.Duration { return p.warm[id] }
			}
			got, err := b.Describe(ctx, p.ids, w)
			mu.Lock()
			results = append(results, result{b, got, err})
			mu.Unlock()
		})
	}
	wg.Wait()

	out := make(map[string]Group, len(keys))
	var pe *PageError
	blind := func(keys []string, errs ...error) {
		if pe == nil {
			pe = &PageError{}
		}
		pe.Groups = append(pe.Groups, keys...)
		pe.Errs = append(pe.Errs, errs...)
	}
	if len(unrouted) > 0 {
		blind(unrouted, fmt.Errorf("%w: %s", ErrNoRoute, nameList(unrouted)))
	}
	// One backend and every key routed: its answer is the answer.
	single := len(results) == 1 && len(unrouted) == 0
	for _, res := range results {
		p := parts[res.b]
		for id, g := range res.got {
			for _, k := range p.keyOf[id] {
				out[k] = g
			}
		}
		if res.err == nil {
			continue
		}
		var bpe *PageError
		if errors.As(res.err, &bpe) {
			var ks []string
			for _, id := range bpe.Groups {
				ks = append(ks, p.keyOf[id]...)
			}
			if single {
				return out, &PageError{Groups: ks, Errs: bpe.Errs}
			}
			blind(ks, bpe.Errs...)
			continue
		}
		if single {
			return out, res.err
		}
		var ks []string
		for _, id := range p.ids {
			ks = append(ks, p.keyOf[id]...)
		}
		blind(ks, res.err)
	}
	if pe != nil {
		return out, pe
	}
	return out, nil
}

// SetDesired sets the desired capacity of the target key names.
func (r *Router) SetDesired(ctx context.Context, key string, capacity int) error {
	rt, ok := r.routes[key]
	if !ok {
		return fmt.Errorf("%w %q", ErrNoRoute, key)
	}
	return rt.backend.SetDesired(ctx, rt.id, capacity)
}

// RefreshInProgress reports whether the target is in the middle of a
// rolling replacement; false for a kind that has none.
func (r *Router) RefreshInProgress(ctx context.Context, key string) (bool, error) {
	rt, ok := r.routes[key]
	if !ok {
		return false, fmt.Errorf("%w %q", ErrNoRoute, key)
	}
	if rf, ok := rt.backend.(Refresher); ok {
		return rf.RefreshInProgress(ctx, rt.id)
	}
	return false, nil
}

// Mirrors reports whether the target has a place for scheduled actions:
// its backend is a Mirrorer and says so.
func (r *Router) Mirrors(key string) bool {
	rt, ok := r.routes[key]
	if !ok {
		return false
	}
	m, ok := rt.backend.(Mirrorer)
	return ok && m.Mirrors(rt.id)
}

func (r *Router) mirrorer(key string) (Mirrorer, string, error) {
	rt, ok := r.routes[key]
	if !ok {
		return nil, "", fmt.Errorf("%w %q", ErrNoRoute, key)
	}
	m, ok := rt.backend.(Mirrorer)
	if !ok {
		return nil, "", fmt.Errorf("target %q has no scheduled actions", key)
	}
	return m, rt.id, nil
}

// ScheduledActions lists Headroom's scheduled actions on the target.
func (r *Router) ScheduledActions(ctx context.Context, key string) ([]schedule.Action, error) {
	m, id, err := r.mirrorer(key)
	if err != nil {
		return nil, err
	}
	return m.ScheduledActions(ctx, id)
}

// Reconcile makes the target's scheduled actions want.
func (r *Router) Reconcile(ctx context.Context, key string, existing, want []schedule.Action) (put, deleted int, err error) {
	m, id, err := r.mirrorer(key)
	if err != nil {
		return 0, 0, err
	}
	return m.Reconcile(ctx, id, existing, want)
}

// SetMinSize sets the target's own lower bound (MinSize, MinCapacity).
func (r *Router) SetMinSize(ctx context.Context, key string, min int) error {
	m, id, err := r.mirrorer(key)
	if err != nil {
		return err
	}
	return m.SetMinSize(ctx, id, min)
}
