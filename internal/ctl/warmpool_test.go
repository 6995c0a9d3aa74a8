package ctl

import (
	"bytes"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/internal/apiclient"
)

func TestPrintDecisionWarmPool(t *testing.T) {
	for _, tc := range []struct {
		name string
		wp   *apiclient.WarmPool
		want []string
		not  []string
	}{
		{name: "none", not: []string{"warm pool"}},
		{name: "split", wp: &apiclient.WarmPool{PoolState: "Stopped", Ready: 4, Entering: 1, WarmLeadSeconds: 70, WarmLaunchSamples: 6,
			ColdLeadSeconds: 600, ExpectedWarm: 4, ExpectedCold: 2},
			want: []string{"warm pool", "Stopped, 4 ready, 1 entering, 0 leaving", "warm start serves in 1m10s (6 measured), cold launch in 10m0s", "scale-out: 4 warm, 2 cold"}},
		{name: "raised", wp: &apiclient.WarmPool{PoolState: "Stopped", Ready: 6, RaisedFrom: new(0)},
			want: []string{"MinSize raised by Headroom for a boost (from 0)"}},
		{name: "unreadable", wp: &apiclient.WarmPool{PoolState: "Running", Error: "AccessDenied", ColdLeadSeconds: 600, ExpectedCold: 3},
			want: []string{"not read: AccessDenied", "scale-out: 0 warm, 3 cold"}, not: []string{"warm start serves"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			printDecision(&b, Decision{Group: "web", Current: 4, Desired: 10, WarmPool: tc.wp})
			out := b.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}
