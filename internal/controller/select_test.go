package controller

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/schedule"
)

// TestSelectionsMatchSelects: over many seeded random fleets and boosts
// (names, tag selectors, tags whose keys hold '=', undescribed groups,
// repeated entries), selections gives each group exactly the boosts whose
// Selects says yes, in the boosts' order.
func TestSelectionsMatchSelects(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		c := &Controller{byName: map[string]*groupRun{}}
		groups := map[string]asg.Group{}
		tagKeys := []string{"team", "tier", "a=b", "env"}
		tagValues := []string{"x", "y", "b=c", ""}
		for i := range 1 + rng.IntN(12) {
			name := fmt.Sprintf("g%d", i)
			gr := &groupRun{cfg: config.Group{Name: name, ASG: "asg-" + name}, key: "asg-" + name}
			c.groups = append(c.groups, gr)
			c.byName[name] = gr
			if rng.IntN(6) == 0 {
				continue // not described this cycle
			}
			tags := map[string]string{}
			for range rng.IntN(3) {
				tags[tagKeys[rng.IntN(len(tagKeys))]] = tagValues[rng.IntN(len(tagValues))]
			}
			groups[gr.cfg.ASG] = asg.Group{Name: gr.cfg.ASG, Tags: tags}
		}
		var boosts []schedule.Boost
		for j := range rng.IntN(20) {
			b := schedule.Boost{ID: fmt.Sprintf("b%d", j)}
			for range 1 + rng.IntN(3) {
				switch rng.IntN(3) {
				case 0:
					b.Groups = append(b.Groups, fmt.Sprintf("g%d", rng.IntN(14)))
				default:
					b.Groups = append(b.Groups, tagKeys[rng.IntN(len(tagKeys))]+"="+tagValues[rng.IntN(len(tagValues))])
				}
			}
			boosts = append(boosts, b)
		}

		got := c.selections(boosts, groups)
		for _, gr := range c.groups {
			var want []string
			if g, ok := groups[gr.cfg.ASG]; ok {
				for _, b := range boosts {
					if b.Selects(gr.cfg.Name, g.Tags) {
						want = append(want, b.ID)
					}
				}
			}
			var ids []string
			for _, b := range got[gr.cfg.Name] {
				ids = append(ids, b.ID)
			}
			if !slices.Equal(ids, want) {
				t.Fatalf("seed %d, group %s: selections %v, Selects %v (boosts %+v, group %+v)",
					seed, gr.cfg.Name, ids, want, boosts, groups[gr.cfg.ASG])
			}
		}
	}
}

// TestViewsDoNotWaitForACycle: the admin API reads views on every request,
// writes included; with a cycle holding the controller's lock (its
// decisions), Views and View still answer, with the last cycle's state.
func TestViewsDoNotWaitForACycle(t *testing.T) {
	h := newHarness(t, Options{})
	if v, ok := h.ctrl.View("workers"); !ok || v.Last != nil {
		t.Fatalf("before any cycle: View = %+v, %v; want the group without a decision", v, ok)
	}
	h.run(t)
	h.ctrl.mu.Lock() // a cycle in flight
	defer h.ctrl.mu.Unlock()
	done := make(chan []GroupView)
	go func() { done <- h.ctrl.Views() }()
	select {
	case vs := <-done:
		if len(vs) != 2 || vs[0].Name != "workers" || vs[0].Last == nil || vs[0].Last.Desired != 15 {
			t.Errorf("Views during a cycle = %+v, want both groups with the last cycle's decisions", vs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Views waited for the cycle's lock")
	}
	if v, ok := h.ctrl.View("workers"); !ok || v.Last == nil || v.Last.Desired != 15 {
		t.Errorf("View during a cycle = %+v, %v", v, ok)
	}
}
