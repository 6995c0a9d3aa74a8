package ctl

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/headroom-dev/headroom/internal/apiclient"
)

// Campaign documents, as apiclient defines them.
type (
	Campaign      = apiclient.Campaign
	CampaignInput = apiclient.CampaignInput
)

// campaignFlags are the flags of campaign create and campaign preview.
type campaignFlags struct {
	name, start, end, key string
	groups                stringList
	audience, perRecip    int
}

func (f *campaignFlags) register(fs *flag.FlagSet, write bool) {
	fs.StringVar(&f.name, "name", "", "the campaign's name")
	fs.Var(&f.groups, "group", "a configured group name (repeatable); each gets its own boost")
	fs.StringVar(&f.start, "start", "", "when the campaign is sent: RFC 3339 with an offset")
	fs.StringVar(&f.end, "end", "", "window end, RFC 3339 (default: when 95% of the expected responses have arrived)")
	fs.IntVar(&f.audience, "audience", 0, "recipients the campaign reaches")
	fs.IntVar(&f.perRecip, "messages-per-recipient", 1, "messages one response makes")
	if write {
		fs.StringVar(&f.key, "idempotency-key", "", "Idempotency-Key for the write (default: a new one; retries reuse it)")
	}
}

// input checks the flags and builds the body.
func (f *campaignFlags) input(fs *flag.FlagSet) (CampaignInput, error) {
	set := setFlags(fs)
	for _, req := range []string{"name", "group", "start", "audience"} {
		if !set[req] {
			return CampaignInput{}, fmt.Errorf("--%s is required", req)
		}
	}
	if f.name == "" {
		return CampaignInput{}, errors.New("--name must not be empty")
	}
	for _, g := range f.groups {
		if g == "" {
			return CampaignInput{}, errors.New("--group must not be empty")
		}
	}
	in := CampaignInput{Name: f.name, Groups: f.groups, Start: f.start, Audience: f.audience}
	if _, err := time.Parse(time.RFC3339, f.start); err != nil {
		return CampaignInput{}, fmt.Errorf("--start %q: must be RFC 3339 with an offset, such as 2026-12-15T09:00:00+01:00", f.start)
	}
	if set["end"] {
		if _, err := time.Parse(time.RFC3339, f.end); err != nil {
			return CampaignInput{}, fmt.Errorf("--end %q: must be RFC 3339 with an offset", f.end)
		}
		in.End = &f.end
	}
	if f.audience < 1 {
		return CampaignInput{}, fmt.Errorf("--audience %d: must be above 0", f.audience)
	}
	if set["messages-per-recipient"] {
		if f.perRecip < 1 {
			return CampaignInput{}, fmt.Errorf("--messages-per-recipient %d: must be above 0", f.perRecip)
		}
		in.MessagesPerRecipient = &f.perRecip
	}
	return in, nil
}

func runCampaignCreate(c *invocation, name string, args []string) int {
	fs := c.flags(name, "--name N --group G... --start T --audience N [--end T] [--messages-per-recipient N] [--idempotency-key K]")
	var f campaignFlags
	f.register(fs, true)
	if _, code := c.parse(fs, args, false); code >= 0 {
		return code
	}
	in, err := f.input(fs)
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	key, err := idempotencyKey(f.key, setFlags(fs)["idempotency-key"])
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	return c.do(Request{Method: http.MethodPost, Path: "/v1/campaigns", Body: in, IdempotencyKey: key}, showAs(printCampaign))
}

func runCampaignPreview(c *invocation, name string, args []string) int {
	fs := c.flags(name, "--name N --group G... --start T --audience N [--end T] [--messages-per-recipient N]")
	var f campaignFlags
	f.register(fs, false)
	if _, code := c.parse(fs, args, false); code >= 0 {
		return code
	}
	in, err := f.input(fs)
	if err != nil {
		return c.usagef(fs, "%v", err)
	}
	return c.do(Request{Method: http.MethodPost, Path: "/v1/campaigns/preview", Body: in}, showAs(printCampaign))
}

func runCampaignList(c *invocation, name string, args []string) int {
	return runListAll(c, name, args, "/v1/campaigns", "campaigns", printCampaigns)
}

func runCampaignGet(c *invocation, name string, args []string) int {
	fs := c.flags(name, "ID")
	pos, code := c.parse(fs, args, false, "ID")
	if code >= 0 {
		return code
	}
	return c.do(Request{Method: http.MethodGet, Path: "/v1/campaigns/" + seg(pos[0])}, showAs(printCampaign))
}

func printCampaigns(w io.Writer, cs []Campaign) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tNAME\tSTATE\tSTART\tEND\tAUDIENCE\tGROUPS\tFLOORS")
	for _, c := range cs {
		floors := make([]string, 0, len(c.Sizing))
		for _, g := range c.Sizing {
			floors = append(floors, g.Group+"="+strconv.Itoa(g.Sizing.Floor))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", dashp(c.ID), c.Name, dashp(c.State), ts(c.Start), ts(c.End),
			c.Audience, list(c.Groups), list(floors))
	}
	return tw.Flush()
}

func printCampaign(w io.Writer, c Campaign) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "id\t%s\n", dashp(c.ID))
	fmt.Fprintf(tw, "name\t%s\n", c.Name)
	fmt.Fprintf(tw, "state\t%s\n", dashp(c.State))
	fmt.Fprintf(tw, "start\t%s\n", ts(c.Start))
	end := ts(c.End)
	if !c.EndGiven {
		end += " (95% of the expected arrivals)"
	}
	fmt.Fprintf(tw, "end\t%s\n", end)
	fmt.Fprintf(tw, "audience\t%d x %d messages\n", c.Audience, c.MessagesPerRecipient)
	if c.CreatedBy != nil {
		fmt.Fprintf(tw, "created\t%s by %s\n", tsp(c.CreatedAt), dash(*c.CreatedBy))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = newTable(w)
	fmt.Fprintln(tw, "GROUP\tBOOST\tFLOOR\tWANTED\tPEAK MSG/S\tPEAK AFTER\tUNITS PER MSG/S\tCURVE\tCOST\tEND")
	for _, g := range c.Sizing {
		s := g.Sizing
		curve := s.Source
		if s.Source == "history" {
			curve = fmt.Sprintf("history (%d campaigns)", s.CampaignsLearnedFrom)
		}
		floor := strconv.Itoa(s.Floor)
		if s.CappedAtMax {
			floor += " (max)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%g\t%s\t%g\t%s\t%s\t%s\n", g.Group, dashp(g.Boost), floor, s.Wanted,
			s.PeakArrivalsPerSecond, dash(s.PeakAfter), s.UnitsPerMessagePerSecond, curve, dash(s.CostSource), ts(g.End))
	}
	return tw.Flush()
}
