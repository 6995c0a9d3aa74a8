package ctl

import (
	"fmt"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/internal/apiclient"
)

// warmPoolLine says in one line what a decision's warm pool holds, how
// long a warm start and a cold launch take to serve, and how the
// decision's scale-out is expected to be served.
func warmPoolLine(wp apiclient.WarmPool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d ready, %d entering, %d leaving", wp.PoolState, wp.Ready, wp.Entering, wp.Leaving)
	if wp.Status != "" {
		fmt.Fprintf(&b, " (%s)", wp.Status)
	}
	if wp.RaisedFrom != nil {
		fmt.Fprintf(&b, "; MinSize raised by Headroom for a boost (from %d)", *wp.RaisedFrom)
	}
	if wp.Error != "" {
		fmt.Fprintf(&b, "; not read: %s", wp.Error)
	}
	secs := func(s float64) time.Duration { return (time.Duration(s * float64(time.Second))).Round(time.Second) }
	if wp.WarmLeadSeconds > 0 {
		fmt.Fprintf(&b, "; warm start serves in %s (%d measured), cold launch in %s", secs(wp.WarmLeadSeconds), wp.WarmLaunchSamples, secs(wp.ColdLeadSeconds))
	}
	if wp.ExpectedWarm+wp.ExpectedCold > 0 {
		fmt.Fprintf(&b, "; scale-out: %d warm, %d cold", wp.ExpectedWarm, wp.ExpectedCold)
	}
	return b.String()
}
