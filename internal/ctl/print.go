package ctl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// printJSON writes the server's document pretty-printed, for scripts,
// with the runes a terminal would act on escaped (see escapeJSON).
func printJSON(w io.Writer, body []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, body, "", "  "); err != nil {
		return fmt.Errorf("response is not JSON: %w", err)
	}
	b.WriteByte('\n')
	_, err := w.Write(escapeJSON(b.Bytes()))
	return err
}

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// ts formats a time in UTC RFC 3339; the zero time is "-".
func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// tsp formats an optional time as ts does; nil is "-".
func tsp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return ts(*t)
}

// dashp shows an optional string as dash does; nil is "-".
func dashp(s *string) string {
	if s == nil {
		return "-"
	}
	return dash(*s)
}

// dash shows an empty string as "-", so that columns stay aligned.
// deref is *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// count shows how many ids a table cell stands for: a fleet-wide boost
// selects every group, and listing ids would make rows of any length.
func count(s []string) string {
	return strconv.Itoa(len(s))
}

// lead shows a Go duration rounded to seconds ("42.587625235s" is 43s), or
// "-" when empty; a value that does not parse is shown as it came.
func lead(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return dash(s)
	}
	out := d.Round(time.Second).String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}

// boostLead is the lead a boost works with: the server's effective lead,
// or its own when the server sends none.
func boostLead(b Boost) string {
	if b.EffectiveLead != "" {
		return lead(b.EffectiveLead)
	}
	return lead(b.Lead)
}

func list(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

func optInt(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// floor says how a boost raises the floor.
func floor(b Boost) string {
	var parts []string
	if b.MinCapacity != nil {
		parts = append(parts, "min "+strconv.Itoa(*b.MinCapacity))
	}
	if b.Multiplier != nil {
		parts = append(parts, "x"+strconv.FormatFloat(*b.Multiplier, 'g', -1, 64))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func printGroups(w io.Writer, groups []GroupSummary) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tKIND\tTARGET\tBOUNDS\tOWN BOUNDS\tDESIRED\tDECIDED\tSERVING\tPENDING\tWARMING\tLEAD\tBOOSTS\tOVERRIDES\tSTATE\tAT")
	for _, g := range groups {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d-%d\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n",
			g.Name, g.KindOrASG(), g.TargetName(), g.Min, g.Max, ownBounds(g), g.Desired, g.Decided, g.Serving, g.Pending, g.Warming,
			lead(g.Lead), count(g.Boosts), count(g.Overrides), groupState(g), tsp(g.At))
	}
	return tw.Flush()
}

// groupState is one word on what the latest cycle did with the group.
func groupState(g GroupSummary) string {
	switch {
	case g.Error != "":
		return "error"
	case g.Paused:
		return "paused"
	case g.At == nil || g.At.IsZero():
		return "waiting"
	case g.Acted:
		return "acted"
	case g.Skipped != "":
		return "skipped"
	default:
		return "steady"
	}
}

func printGroup(w io.Writer, d GroupDetail) error {
	g := d.Group
	tw := newTable(w)
	fmt.Fprintf(tw, "group\t%s\n", g.Name)
	switch g.KindOrASG() {
	case "asg":
		fmt.Fprintf(tw, "asg\t%s\n", g.ASG)
		fmt.Fprintf(tw, "bounds\t%d-%d (configured)\n", g.Min, g.Max)
		if g.Known {
			fmt.Fprintf(tw, "asg bounds\t%d-%d (MinSize-MaxSize)\n", g.ASGMin, g.ASGMax)
		} else {
			fmt.Fprintf(tw, "asg bounds\tunknown (not described yet)\n")
		}
	default:
		fmt.Fprintf(tw, "%s\t%s\n", g.KindOrASG(), g.Target)
		fmt.Fprintf(tw, "bounds\t%d-%d (configured)\n", g.Min, g.Max)
		b := ownBounds(g)
		switch {
		case b == "unknown":
			b += " (not described yet)"
		case g.KindOrASG() == "ecs_service" && b != "none":
			b += " (the scalable target's MinCapacity-MaxCapacity)"
		}
		fmt.Fprintf(tw, "own bounds\t%s\n", b)
	}
	fmt.Fprintf(tw, "lead\t%s\n", lead(g.Lead))
	fmt.Fprintf(tw, "state\t%s\n", groupState(g))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if d.Decision == nil {
		fmt.Fprintln(w, "no decision yet")
	} else {
		printDecision(w, *d.Decision)
	}
	fmt.Fprintln(w)
	if len(d.Boosts) == 0 {
		fmt.Fprintln(w, "boosts: none")
	} else {
		fmt.Fprintln(w, "boosts:")
		if err := printBoosts(w, d.Boosts); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	if len(d.Overrides) == 0 {
		fmt.Fprintln(w, "overrides: none")
		return nil
	}
	fmt.Fprintln(w, "overrides:")
	return printOverrides(w, d.Overrides)
}

// printDecision writes a decision with its proposals, the limits that
// changed the number, and its inputs with their ages.
func printDecision(w io.Writer, d Decision) {
	fmt.Fprintf(w, "decision for %s (auto scaling group %s) at %s\n", d.Group, dash(d.ASG), ts(d.At))
	tw := newTable(w)
	fmt.Fprintf(tw, "  desired\t%d -> %d\n", d.Current, d.Desired)
	fmt.Fprintf(tw, "  reason\t%s\n", dash(d.Reason))
	fmt.Fprintf(tw, "  capacity\tserving %d, pending %d, warming %d\n", d.Serving, d.Pending, d.Warming)
	if d.Standby > 0 || d.Terminating > 0 {
		fmt.Fprintf(tw, "  \tterminating %d, standby %d\n", d.Terminating, d.Standby)
	}
	if d.Weighted {
		in := d.Instances
		fmt.Fprintf(tw, "  instances\tserving %d, pending %d, warming %d, terminating %d, standby %d (the counts above are in %s, weighted)\n",
			in.Serving, in.Pending, in.Warming, in.Terminating, in.Standby, d.CapacityType)
	}
	if wp := d.WarmPool; wp != nil {
		fmt.Fprintf(tw, "  warm pool\t%s\n", warmPoolLine(*wp))
	}
	if p := d.Predictive; p != nil {
		fmt.Fprintf(tw, "  predictive\t%s\n", predictiveLine(*p))
	}
	fmt.Fprintf(tw, "  bounds\t%d-%d this cycle (MinSize-MaxSize %d-%d)\n", d.Min, d.Max, d.ASGMin, d.ASGMax)
	acted := yesNo(d.Acted)
	if d.Skipped != "" {
		acted += " (" + d.Skipped + ")"
	}
	fmt.Fprintf(tw, "  acted\t%s\n", acted)
	if d.Paused {
		fmt.Fprintf(tw, "  paused\tyes\n")
	}
	if d.ScaleInBlocked != "" {
		fmt.Fprintf(tw, "  scale-in blocked\t%s\n", d.ScaleInBlocked)
	}
	if d.Error != "" {
		fmt.Fprintf(tw, "  error\t%s\n", d.Error)
	}
	for _, n := range d.Notes {
		fmt.Fprintf(tw, "  note\t%s\n", n)
	}
	_ = tw.Flush()
	if len(d.Proposals) > 0 {
		fmt.Fprintln(w, "  proposals:")
		tw = newTable(w)
		fmt.Fprintln(tw, "    POLICY\tKIND\tCAPACITY\tREASON")
		for _, p := range d.Proposals {
			c := "-"
			if p.OK {
				c = strconv.Itoa(p.Capacity)
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", p.Policy, p.Kind, c, p.Reason)
		}
		_ = tw.Flush()
	}
	if len(d.Changes) > 0 {
		fmt.Fprintln(w, "  changes:")
		tw = newTable(w)
		fmt.Fprintln(tw, "    RULE\tFROM\tTO\tREASON")
		for _, c := range d.Changes {
			fmt.Fprintf(tw, "    %s\t%d\t%d\t%s\n", c.Rule, c.From, c.To, c.Reason)
		}
		_ = tw.Flush()
	}
	if len(d.Queues) > 0 {
		fmt.Fprintln(w, "  queues:")
		tw = newTable(w)
		fmt.Fprintln(tw, "    POLICY\tQUEUE\tARRIVALS/S\tBACKLOG\tPROJECTED\tBUDGET\tEXCESS\tON ITS WAY\tLEAD\tNEED\tTERM")
		for _, q := range d.Queues {
			term := q.Term
			if q.SurgeOver {
				term += " (surge over before new capacity serves)"
			}
			fmt.Fprintf(tw, "    %s\t%s\t%.2f\t%.0f\t%.0f\t%.0f\t%+.0f\t%.1f\t%s\t%.2f\t%s\n", q.Policy, q.Queue,
				q.ArrivalsPerSecond, q.Backlog, q.ProjectedBacklog, q.Budget, q.Excess, q.OnItsWay,
				time.Duration(q.LeadSeconds*float64(time.Second)).Round(time.Second), q.Need, term)
		}
		_ = tw.Flush()
	}
	if len(d.Inputs) > 0 {
		fmt.Fprintln(w, "  inputs:")
		tw = newTable(w)
		fmt.Fprintln(tw, "    POLICY\tNAME\tVALUE\tAGE\tSTALE")
		for _, in := range d.Inputs {
			age := time.Duration(in.AgeSeconds * float64(time.Second)).Round(time.Second)
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\n", in.Policy, in.Name,
				strconv.FormatFloat(in.Value, 'f', -1, 64), age, yesNo(in.Stale))
		}
		_ = tw.Flush()
	}
}

func printDecisions(w io.Writer, ds []Decision) {
	if len(ds) == 0 {
		fmt.Fprintln(w, "no decisions")
		return
	}
	for i, d := range ds {
		if i > 0 {
			fmt.Fprintln(w)
		}
		printDecision(w, d)
	}
}

func printBoosts(w io.Writer, bs []Boost) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tNAME\tSTATE\tSTART\tEND\tGROUPS\tFLOOR\tLEAD\tRAMP\tVERSION")
	for _, b := range bs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", b.ID, b.Name, dash(b.State), ts(b.Start), ts(b.End),
			list(b.Groups), floor(b), boostLead(b), lead(b.Ramp), b.Version)
	}
	return tw.Flush()
}

func printBoost(w io.Writer, b Boost) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "id\t%s\n", b.ID)
	fmt.Fprintf(tw, "name\t%s\n", b.Name)
	fmt.Fprintf(tw, "state\t%s\n", dash(b.State))
	fmt.Fprintf(tw, "reason\t%s\n", b.Reason)
	fmt.Fprintf(tw, "groups\t%s\n", list(b.Groups))
	fmt.Fprintf(tw, "start\t%s\n", ts(b.Start))
	fmt.Fprintf(tw, "end\t%s\n", ts(b.End))
	fmt.Fprintf(tw, "time zone\t%s\n", dashp(b.TimeZone))
	fmt.Fprintf(tw, "floor\t%s\n", floor(b))
	l := boostLead(b)
	if b.EffectiveLead != "" && lead(b.Lead) != l {
		l += " (the group's)"
	}
	fmt.Fprintf(tw, "lead\t%s\n", l)
	fmt.Fprintf(tw, "ramp\t%s\n", lead(b.Ramp))
	fmt.Fprintf(tw, "cap at max\t%s\n", yesNo(b.CapAtMax))
	fmt.Fprintf(tw, "created\t%s by %s\n", ts(b.CreatedAt), dash(b.CreatedBy))
	fmt.Fprintf(tw, "updated\t%s\n", ts(b.UpdatedAt))
	if b.CancelledAt != nil {
		fmt.Fprintf(tw, "cancelled\t%s by %s\n", ts(*b.CancelledAt), dash(deref(b.CancelledBy)))
	}
	fmt.Fprintf(tw, "version\t%d\n", b.Version)
	return tw.Flush()
}

// overrideValue is what an override does, in one cell.
func overrideValue(o Override) string {
	switch o.Kind {
	case "pin":
		return "capacity " + optInt(o.Capacity)
	case "bounds":
		return "min " + optInt(o.Min) + " max " + optInt(o.Max)
	default:
		return "-"
	}
}

func printOverrides(w io.Writer, ovs []Override) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tGROUP\tKIND\tVALUE\tEXPIRES\tBY\tREASON")
	for _, o := range ovs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.Group, o.Kind, overrideValue(o), ts(o.ExpiresAt), dash(o.CreatedBy), o.Reason)
	}
	return tw.Flush()
}

func printOverride(w io.Writer, o Override) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "id\t%s\n", o.ID)
	fmt.Fprintf(tw, "group\t%s\n", o.Group)
	fmt.Fprintf(tw, "kind\t%s\n", o.Kind)
	fmt.Fprintf(tw, "value\t%s\n", overrideValue(o))
	fmt.Fprintf(tw, "reason\t%s\n", o.Reason)
	fmt.Fprintf(tw, "expires\t%s\n", ts(o.ExpiresAt))
	fmt.Fprintf(tw, "created\t%s by %s\n", ts(o.CreatedAt), dash(o.CreatedBy))
	if o.State != "" {
		fmt.Fprintf(tw, "state\t%s\n", o.State)
	}
	if o.CancelledAt != nil {
		fmt.Fprintf(tw, "cancelled\t%s by %s\n", ts(*o.CancelledAt), dash(deref(o.CancelledBy)))
	}
	fmt.Fprintf(tw, "version\t%d\n", o.Version)
	return tw.Flush()
}

func printAudit(w io.Writer, es []AuditEntry) error {
	if len(es) == 0 {
		fmt.Fprintln(w, "no entries")
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "AT\tACTOR\tACTION\tOBJECT\tID")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ts(e.At), e.Actor, e.Action, e.Object, e.ID)
	}
	return tw.Flush()
}

// predictiveLine is a decision's predictive floor on one line, e.g.
// `floor 9 (applied), lead 15m0s, q0.9: highest q0.9 forecast ...`.
func predictiveLine(p Predictive) string {
	state := "not applied: " + p.Mode
	if p.Applied {
		state = "applied"
	}
	floor := "none"
	if p.Floor > 0 {
		floor = fmt.Sprint(p.Floor)
	}
	return fmt.Sprintf("floor %s (%s), lead %s, q%v: %s", floor, state,
		time.Duration(p.LeadSeconds*float64(time.Second)), p.Quantile, p.Reason)
}

// printForecast prints a group's forecast an hour a row: the highest
// point forecast, low and high of the hour's buckets, so that a peak
// inside an hour shows.
func printForecast(w io.Writer, f Forecast) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "group\t%s\n", f.Group)
	fmt.Fprintf(tw, "at\t%s\n", ts(f.At))
	if f.Predictive != nil {
		fmt.Fprintf(tw, "predictive\t%s\n", predictiveLine(*f.Predictive))
	}
	if n := len(f.History); n > 0 {
		fmt.Fprintf(tw, "history\t%dh recorded, %s to %s\n", n, ts(f.History[0].At), ts(f.History[n-1].At))
	} else {
		fmt.Fprintf(tw, "history\tnone\n")
	}
	if !f.OK {
		fmt.Fprintf(tw, "forecast\tnone: %s\n", f.Reason)
		return tw.Flush()
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = newTable(w)
	fmt.Fprintf(tw, "HOUR\tNEED\tLOW (q%v)\tHIGH (q%v)\n", f.BandLow, f.BandHigh)
	for i := 0; i < len(f.Points); {
		hour := f.Points[i].At.UTC().Truncate(time.Hour)
		need, low, high := 0.0, 0.0, 0.0
		for ; i < len(f.Points) && f.Points[i].At.UTC().Truncate(time.Hour).Equal(hour); i++ {
			p := f.Points[i]
			need, low, high = max(need, p.Need), max(low, p.Low), max(high, p.High)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\n", ts(hour), need, low, high)
	}
	return tw.Flush()
}

// noMax is the upper bound a target without one of its own reports.
const noMax = 1<<31 - 1

// ownBounds are the target's own bounds: MinSize-MaxSize, a scalable
// target's MinCapacity-MaxCapacity, "none" for a target without bounds,
// "unknown" until it has been described.
func ownBounds(g GroupSummary) string {
	switch {
	case !g.Known:
		return "unknown"
	case g.ASGMax == noMax && g.ASGMin == 0:
		return "none"
	case g.ASGMax == noMax:
		return fmt.Sprintf("%d-", g.ASGMin)
	}
	return fmt.Sprintf("%d-%d", g.ASGMin, g.ASGMax)
}
