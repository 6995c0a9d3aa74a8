package scenario

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBuiltinNames(t *testing.T) {
	want := []string{
		"azure-functions-day", "azure-llm-code-hour", "bulk-dispatch", "diurnal", "ecs-service-spike", "flash-spike",
		"flash-spike-warm-pool", "metric-outage", "onboarding-wave", "weekly-rhythm", "weighted-campaign",
		"year-end-campaign", "year-end-campaign-audience",
	}
	if got := BuiltinNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("BuiltinNames() = %v, want %v", got, want)
	}
}

// TestBuiltinsLoad checks that every built-in parses and that its load
// has the shape its description promises.
func TestBuiltinsLoad(t *testing.T) {
	tests := []struct {
		name     string
		duration time.Duration
		slo      time.Duration
		// The highest rate, and the rate at a few offsets, within 15%
		// (the noise is at most a few percent most of the time).
		peakMin, peakMax float64
		at               map[time.Duration]float64
		bursts           int
		announced        int
		faults           int
		// service is set for workers that are an ECS service, with the
		// tasks' start time and warmup; the others have the default
		// launch time and a minute's warmup.
		service bool
		start   Dist
		warmup  time.Duration
	}{
		{name: "year-end-campaign", duration: 12 * time.Hour, slo: 2 * time.Minute, peakMin: 900, peakMax: 1150,
			at:        map[time.Duration]float64{time.Hour: 50, 3*time.Hour + 2*time.Minute: 1000, 5*time.Hour + 2*time.Minute: 50 + 950/math.E},
			announced: 1},
		{name: "year-end-campaign-audience", duration: 12 * time.Hour, slo: 2 * time.Minute, peakMin: 900, peakMax: 1150,
			at:        map[time.Duration]float64{time.Hour: 50, 3*time.Hour + 2*time.Minute: 1000, 5*time.Hour + 2*time.Minute: 50 + 950/math.E},
			announced: 1},
		{name: "weighted-campaign", duration: 12 * time.Hour, slo: 2 * time.Minute, peakMin: 900, peakMax: 1150,
			at:        map[time.Duration]float64{time.Hour: 50, 3*time.Hour + 2*time.Minute: 1000, 5*time.Hour + 2*time.Minute: 50 + 950/math.E},
			announced: 1},
		{name: "ecs-service-spike", duration: 3 * time.Hour, slo: 2 * time.Minute, peakMin: 900, peakMax: 1150,
			at:        map[time.Duration]float64{30 * time.Minute: 50, time.Hour + 2*time.Minute: 1000, time.Hour + 32*time.Minute: 50 + 950/math.E},
			announced: 1, service: true, start: Uniform(20*time.Second, 60*time.Second), warmup: 10 * time.Second},
		{name: "bulk-dispatch", duration: 6 * time.Hour, slo: 15 * time.Minute, peakMin: 20, peakMax: 30,
			at: map[time.Duration]float64{time.Hour: 20}, bursts: 1, announced: 1},
		{name: "onboarding-wave", duration: 8 * time.Hour, slo: 5 * time.Minute, peakMin: 140, peakMax: 190,
			at:        map[time.Duration]float64{time.Hour: 30, 2*time.Hour + 30*time.Minute: 90, 4 * time.Hour: 150, 7 * time.Hour: 30},
			announced: 1},
		{name: "diurnal", duration: 48 * time.Hour, slo: 5 * time.Minute, peakMin: 180, peakMax: 280,
			at: map[time.Duration]float64{2 * time.Hour: 20, 14 * time.Hour: 200, 38 * time.Hour: 200}},
		{name: "flash-spike", duration: 3 * time.Hour, slo: 2 * time.Minute, peakMin: 450, peakMax: 600,
			at: map[time.Duration]float64{30 * time.Minute: 50, time.Hour + 5*time.Minute: 500, 2 * time.Hour: 50}},
		{name: "flash-spike-warm-pool", duration: 3 * time.Hour, slo: 2 * time.Minute, peakMin: 450, peakMax: 600,
			at: map[time.Duration]float64{30 * time.Minute: 50, time.Hour + 5*time.Minute: 500, 2 * time.Hour: 50}},
		{name: "metric-outage", duration: 3 * time.Hour, slo: 3 * time.Minute, peakMin: 360, peakMax: 480,
			at:     map[time.Duration]float64{30 * time.Minute: 50, time.Hour + 20*time.Minute: 400, 2 * time.Hour: 50},
			faults: 2},
		{name: "azure-functions-day", duration: 24 * time.Hour, slo: 5 * time.Minute, peakMin: 599.999, peakMax: 600.001},
		// Monday 03:00 at night; 09:00 the rush's peak, 30 + 570; 14:00
		// the afternoon hump, 30 + 220 and the rush's tail 570 e^(-4h/90m);
		// Saturday 11:00 the weekend hump, 30 + 70; Thursday 19:02 the
		// campaign, 30 + 870; a week later only the night.
		{name: "weekly-rhythm", duration: 14 * 24 * time.Hour, slo: 2 * time.Minute, peakMin: 850, peakMax: 1050,
			at: map[time.Duration]float64{
				3 * time.Hour: 30, 9 * time.Hour: 600, 14 * time.Hour: 250 + 570*math.Exp(-4.0/1.5),
				5*24*time.Hour + 11*time.Hour: 100, 3*24*time.Hour + 19*time.Hour + 2*time.Minute: 900,
				10*24*time.Hour + 19*time.Hour + 2*time.Minute: 30,
			}},
		// Minute k of the trace holds count_k / 60 x 600 / (585 / 60) =
		// count_k x 600 / 585 messages per second.
		{name: "azure-llm-code-hour", duration: 57 * time.Minute, slo: 5 * time.Minute, peakMin: 599.999, peakMax: 600.001,
			at: map[time.Duration]float64{
				90 * time.Second: 0, 3*time.Minute + 30*time.Second: 531 * 600.0 / 585,
				14*time.Minute + 30*time.Second: 600, 35*time.Minute + 30*time.Second: 0,
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Builtin(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tc.name || s.Description == "" {
				t.Errorf("name %q, description %q", s.Name, s.Description)
			}
			if s.Duration != tc.duration || s.SLO != tc.slo {
				t.Errorf("duration %s, SLO %s; want %s, %s", s.Duration, s.SLO, tc.duration, tc.slo)
			}
			start, warmup := defaultLaunchTime, time.Minute
			if tc.service {
				start, warmup = tc.start, tc.warmup
			}
			if s.Workers.PerInstanceRate != 10 || s.Workers.LaunchTime != start || s.Workers.Warmup != warmup || s.Workers.Service() != tc.service {
				t.Errorf("workers = %+v", s.Workers)
			}
			l := s.Load(1)
			if len(l.Rates) != int(tc.duration.Seconds()) {
				t.Fatalf("len(Rates) = %d", len(l.Rates))
			}
			peak := 0.0
			for i, r := range l.Rates {
				if r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
					t.Fatalf("rate at %ds = %g", i, r)
				}
				peak = max(peak, r)
			}
			if peak < tc.peakMin || peak > tc.peakMax {
				t.Errorf("peak rate %g outside [%g, %g]", peak, tc.peakMin, tc.peakMax)
			}
			for off, want := range tc.at {
				if got := l.Rates[int(off.Seconds())]; math.Abs(got-want) > 0.15*want {
					t.Errorf("rate at %s = %g, want about %g", off, got, want)
				}
			}
			if len(l.Bursts) != tc.bursts {
				t.Errorf("%d bursts, want %d", len(l.Bursts), tc.bursts)
			}
			announced := 0
			for _, c := range s.Campaigns {
				byAudience := c.Audience > 0 && c.MessagesPerRecipient > 0 && c.Capacity == 0 && (c.End == 0 || c.End > c.Start)
				byCapacity := c.End > c.Start && c.Capacity > 0 && c.Capacity <= s.Workers.Max
				if c.Start < 0 || c.End > s.Duration || !byAudience && !byCapacity {
					t.Errorf("campaign %+v does not fit the run or the group", c)
				}
				if c.Announced {
					announced++
				}
			}
			if announced != tc.announced {
				t.Errorf("%d announced campaigns, want %d", announced, tc.announced)
			}
			if len(s.Faults) != tc.faults {
				t.Errorf("%d faults, want %d", len(s.Faults), tc.faults)
			}
		})
	}
}

// TestBuiltinYearEndCampaignAudience checks that the scenario is
// year-end-campaign but for its campaign, and that the campaign's audience
// is the spike's own messages, as its comment derives it.
func TestBuiltinYearEndCampaignAudience(t *testing.T) {
	a, err := Builtin("year-end-campaign-audience")
	if err != nil {
		t.Fatal(err)
	}
	y, err := Builtin("year-end-campaign")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Start.Equal(y.Start) || a.Duration != y.Duration || a.SLO != y.SLO || !reflect.DeepEqual(a.Workers, y.Workers) {
		t.Errorf("run or workers differ from year-end-campaign")
	}
	for _, seed := range []uint64{1, 2, 3} {
		if !reflect.DeepEqual(a.Load(seed), y.Load(seed)) {
			t.Errorf("seed %d: load differs from year-end-campaign", seed)
		}
	}
	if len(a.Campaigns) != 1 {
		t.Fatalf("campaigns = %+v, want one", a.Campaigns)
	}
	c, hand := a.Campaigns[0], y.Campaigns[0]
	// The spike: a linear rise to its peak, then an exponential decay;
	// its messages are peak x (rise / 2 + decay).
	const peak, rise, decay = 950.0, 2 * time.Minute, 2 * time.Hour
	spike := peak * (rise.Seconds()/2 + decay.Seconds())
	if c.Name != hand.Name || c.Start != hand.Start || c.End != 0 || c.Capacity != 0 || !c.Announced ||
		c.MessagesPerRecipient != 1 || float64(c.Audience) != spike {
		t.Errorf("campaign = %+v, want %q from %s, audience %g x 1 message, no end, announced", c, hand.Name, hand.Start, spike)
	}
}

func TestBuiltinYearEndCampaign(t *testing.T) {
	s, err := Builtin("year-end-campaign")
	if err != nil {
		t.Fatal(err)
	}
	c := s.Campaigns[0]
	if c.Start != 3*time.Hour || c.End != 3*time.Hour+30*time.Minute || c.Capacity != 100 || !c.Announced {
		t.Errorf("campaign = %+v, want 09:00-09:30 (3h..3h30m), capacity 100, announced", c)
	}
	if got := s.Start.Add(c.Start).Format("15:04 MST"); got != "09:00 CET" {
		t.Errorf("campaign starts at %s, want 09:00 CET", got)
	}
	if s.Workers.Min != 2 || s.Workers.Max != 200 {
		t.Errorf("bounds %d..%d, want 2..200", s.Workers.Min, s.Workers.Max)
	}
}

// TestBuiltinWeeklyRhythm checks the weekly shape: a 09:00 rush on each
// of the ten weekdays, none on the four weekend days, the unannounced
// campaign of week one, and year-end-campaign's group and SLO.
func TestBuiltinWeeklyRhythm(t *testing.T) {
	s, err := Builtin("weekly-rhythm")
	if err != nil {
		t.Fatal(err)
	}
	ye, err := Builtin("year-end-campaign")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Workers, ye.Workers) || s.SLO != ye.SLO {
		t.Errorf("workers %+v, SLO %s; want year-end-campaign's %+v, %s", s.Workers, s.SLO, ye.Workers, ye.SLO)
	}
	if s.Start.Weekday() != time.Monday || s.Start.Hour() != 0 {
		t.Errorf("starts %s, want a Monday at 00:00", s.Start)
	}
	rates := s.Load(1).Rates
	for d := range 14 {
		day := s.Start.AddDate(0, 0, d)
		at := day.Add(9 * time.Hour)
		r := rates[int(at.Sub(s.Start).Seconds())]
		weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
		if weekend && r > 150 || !weekend && r < 500 {
			t.Errorf("%s 09:00: %g msg/s, want a rush (over 500) on weekdays only", day.Format("Mon 2006-01-02"), r)
		}
	}
	if len(s.Campaigns) != 1 {
		t.Fatalf("campaigns %+v, want one", s.Campaigns)
	}
	c := s.Campaigns[0]
	if c.Announced || c.Start >= 7*24*time.Hour || c.Capacity != 90 {
		t.Errorf("campaign %+v, want an unannounced one of 90 instances in week one", c)
	}
	if got := s.Start.Add(c.Start).Format("Mon 15:04 MST"); got != "Thu 19:00 CET" {
		t.Errorf("campaign starts %s, want Thu 19:00 CET", got)
	}
}

func TestBuiltinBulkDispatchDrainsWithinTheSLO(t *testing.T) {
	s, err := Builtin("bulk-dispatch")
	if err != nil {
		t.Fatal(err)
	}
	b := s.Load(1).Bursts[0]
	c := s.Campaigns[0]
	if b.At != 4*time.Hour || b.Messages != 500_000 || c.Start != b.At {
		t.Errorf("burst %+v, campaign %+v: want 500,000 at 10:00 (4h) with the campaign", b, c)
	}
	// The campaign's capacity must complete the batch and the base load
	// within the SLO.
	if drain := float64(b.Messages) / (float64(c.Capacity)*s.Workers.PerInstanceRate - 20); drain > s.SLO.Seconds() {
		t.Errorf("capacity %d drains the burst in %.0f s, longer than the SLO %s", c.Capacity, drain, s.SLO)
	}
}

func TestBuiltinMetricOutage(t *testing.T) {
	s, err := Builtin("metric-outage")
	if err != nil {
		t.Fatal(err)
	}
	want := []Fault{
		{Kind: FaultAPIError, Service: ServiceCloudWatch, Operation: "GetMetricData", Status: 500, Code: "InternalServiceError",
			From: 55 * time.Minute, Until: 90 * time.Minute},
		{Kind: FaultMetricsWithheld, From: 55 * time.Minute, Until: 90 * time.Minute},
	}
	if !reflect.DeepEqual(s.Faults, want) {
		t.Errorf("faults = %+v, want %+v", s.Faults, want)
	}
	for _, ns := range []string{NamespaceSQS, NamespaceEC2, NamespaceAutoScaling} {
		if !s.Faults[1].Withholds(ns) {
			t.Errorf("the outage does not withhold %s", ns)
		}
	}
}

func TestBuiltinTraceAttribution(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("builtin", "traces", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file    string
		lines   int // header and rows
		mention []string
	}{
		{
			file: "azure-functions-2019-day.csv", lines: 1441,
			mention: []string{"AzurePublicDataset", "CC-BY 4.0", "vhive-serverless/invitro", "data/traces/10-1000-10/1000_inv.csv",
				"Serverless in the Wild", "USENIX ATC 2020"},
		},
		{
			file: "azure-llm-code-2023-hour.csv", lines: 58,
			mention: []string{"AzurePublicDataset", "CC-BY 4.0", "data/AzureLLMInferenceTrace_code.csv", "Splitwise", "ISCA 2024"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			if !strings.Contains(string(readme), "`"+tc.file+"`") {
				t.Errorf("builtin/traces/README.md does not describe %s", tc.file)
			}
			for _, w := range tc.mention {
				if !strings.Contains(string(readme), w) {
					t.Errorf("builtin/traces/README.md does not mention %q", w)
				}
			}
			csv, err := builtinFS.ReadFile("builtin/traces/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if rows := strings.Count(string(csv), "\n"); rows != tc.lines {
				t.Errorf("trace has %d lines, want %d", rows, tc.lines)
			}
		})
	}
}

// TestBuiltinAzureLLMCodeHourBursts checks the shape the description
// promises: minutes without arrivals, and jumps within a minute from
// almost nothing to hundreds of messages per second.
func TestBuiltinAzureLLMCodeHourBursts(t *testing.T) {
	s, err := Builtin("azure-llm-code-hour")
	if err != nil {
		t.Fatal(err)
	}
	l := s.Load(1)
	minutes := len(l.Rates) / 60
	rate := make([]float64, minutes)
	for m := range minutes {
		rate[m] = l.Rates[m*60]
		for i := m * 60; i < (m+1)*60; i++ {
			if l.Rates[i] != rate[m] {
				t.Fatalf("rate changes within minute %d: %g then %g", m, rate[m], l.Rates[i])
			}
		}
	}
	zero, jumps := 0, 0
	for m, r := range rate {
		if r == 0 {
			zero++
		}
		if m > 0 && r >= 300 && r >= 3*rate[m-1] {
			jumps++
		}
	}
	if zero != 13 {
		t.Errorf("%d minutes without arrivals, want 13", zero)
	}
	if jumps < 5 {
		t.Errorf("%d jumps to 300+ messages per second of at least 3x within a minute, want at least 5", jumps)
	}
	if s.Workers.Min != 1 || s.Workers.Max != 100 || len(s.Campaigns) != 0 || strings.TrimSpace(s.Headroom) != "" {
		t.Errorf("workers %d..%d, %d campaigns, headroom block %q: want 1..100, none, none",
			s.Workers.Min, s.Workers.Max, len(s.Campaigns), s.Headroom)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(file, []byte(base+"name: mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		arg      string
		wantName string
		wantErr  error
	}{
		{"built-in by name", "diurnal", "diurnal", nil},
		{"file by path", file, "mine", nil},
		{"unknown name", "no-such-scenario", "", ErrUnknown},
		{"missing file", filepath.Join(dir, "absent.yaml"), "", os.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.arg)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tc.wantName {
				t.Errorf("name = %q, want %q", s.Name, tc.wantName)
			}
		})
	}
	if _, err := Builtin("nope"); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "year-end-campaign") {
		t.Errorf("Builtin(nope) = %v; want ErrUnknown listing the names", err)
	}
}

func TestBuiltinsAreFreshCopies(t *testing.T) {
	a, err := Builtin("year-end-campaign")
	if err != nil {
		t.Fatal(err)
	}
	a.Campaigns[0].Capacity = 1
	b, err := Builtin("year-end-campaign")
	if err != nil {
		t.Fatal(err)
	}
	if b.Campaigns[0].Capacity != 100 {
		t.Error("changing one copy changed the next")
	}
}
