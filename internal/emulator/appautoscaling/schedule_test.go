package appautoscaling

import (
	"fmt"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
)

// TestScheduledActionRuns checks what an action does at its time to a
// target of 2..10 whose service has desired count 5.
func TestScheduledActionRuns(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const ref = `"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/web"`
	cases := []struct {
		name             string
		schedule, action string
		tz               string
		advance          time.Duration
		min, max, want   int
	}{
		{name: "min above desired scales out", schedule: "at(2026-01-01T00:05:00)", action: `"MinCapacity":7`, advance: 5 * time.Minute, min: 7, max: 10, want: 7},
		{name: "min below desired changes only the range", schedule: "at(2026-01-01T00:05:00)", action: `"MinCapacity":3`, advance: 5 * time.Minute, min: 3, max: 10, want: 5},
		{name: "max below desired scales in", schedule: "at(2026-01-01T00:05:00)", action: `"MaxCapacity":4`, advance: 5 * time.Minute, min: 2, max: 4, want: 4},
		{name: "not due yet", schedule: "at(2026-01-01T00:05:00)", action: `"MinCapacity":7`, advance: 5*time.Minute - time.Second, min: 2, max: 10, want: 5},
		{name: "in its timezone", schedule: "at(2026-01-01T01:05:00)", action: `"MinCapacity":7`, tz: "Europe/Paris", advance: 5 * time.Minute, min: 7, max: 10, want: 7},
		{name: "min above max fails", schedule: "at(2026-01-01T00:05:00)", action: `"MinCapacity":12`, advance: 5 * time.Minute, min: 2, max: 10, want: 5},
		{name: "cron never runs here", schedule: "cron(* * * * ? *)", action: `"MinCapacity":7`, advance: time.Hour, min: 2, max: 10, want: 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(t0)
			res := resources{"service/prod/web": 5}
			s := New(clk, res)
			if _, e := s.registerScalableTarget([]byte(`{` + ref + `,"MinCapacity":2,"MaxCapacity":10}`)); e != nil {
				t.Fatal(e.message)
			}
			body := fmt.Sprintf(`{%s,"ScheduledActionName":"a","Schedule":%q,"Timezone":%q,"ScalableTargetAction":{%s}}`, ref, tc.schedule, tc.tz, tc.action)
			if _, e := s.putScheduledAction([]byte(body)); e != nil {
				t.Fatal(e.message)
			}
			clk.Advance(tc.advance)
			s.Run()
			lo, hi, _ := s.Target("ecs", "service/prod/web", "ecs:service:DesiredCount")
			if lo != tc.min || hi != tc.max || res["service/prod/web"] != tc.want {
				t.Fatalf("range %d..%d desired %d, want %d..%d desired %d", lo, hi, res["service/prod/web"], tc.min, tc.max, tc.want)
			}
		})
	}
}
