package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	// Scenarios name IANA zones; the embedded database makes them resolve
	// the same on every machine, with or without a system tzdata.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"
)

// defaultStart is the start of a scenario that names none: 06:00 on a
// fixed date, in the scenario's zone (UTC unless time_zone says).
var defaultStart = time.Date(2026, time.December, 15, 6, 0, 0, 0, time.UTC)

// Limits on what a scenario may ask for. They keep a mistyped number from
// asking the simulator for the impossible; none of them is an AWS limit.
const (
	// maxRate is the largest rate, in messages per second, a load
	// component may add.
	maxRate = 1e6
	// maxMessages is the largest burst.
	maxMessages = 1_000_000_000
	// maxInstances is the largest group: the world models every instance.
	maxInstances = 10_000
	// maxAudience and maxMessagesPerRecipient are the campaign intake's
	// own limits on a campaign given by its audience (POST /v1/campaigns).
	maxAudience             = 1_000_000_000
	maxMessagesPerRecipient = 1000
	// maxItems bounds each list of the file (load, campaigns, faults).
	maxItems = 1000
	// maxFileSize bounds a scenario file and a trace file.
	maxFileSize = 64 << 20
)

// maxAlarmPeriods is the largest evaluation window of a one-minute alarm:
// PutMetricAlarm refuses a Period times EvaluationPeriods over one day
// for periods under an hour (CloudWatch API reference, PutMetricAlarm,
// "Period").
const maxAlarmPeriods = 1440

// readFunc reads a trace file named in the scenario; it returns the path
// it read (for messages) and the contents.
type readFunc func(file string) (resolved string, data []byte, err error)

// Parse reads a scenario from data. name is what messages call the
// scenario and its name when the file sets none; dir resolves relative
// trace file paths. The error lists every problem as "field.path: line N:
// reason" (errors.As finds Problems); no Scenario is returned with it.
func Parse(data []byte, name, dir string) (*Scenario, error) {
	return parse(data, name, func(file string) (string, []byte, error) {
		p := file
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		b, err := readLimited(p)
		return p, b, err
	})
}

// LoadFile reads and parses the scenario file at path; trace paths in it
// are relative to the file's directory.
func LoadFile(path string) (*Scenario, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario %s: %w", path, err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	s, err := Parse(data, name, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

var errTooLarge = errors.New("file too large")

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("%w (over %d MiB)", errTooLarge, maxFileSize>>20)
	}
	return b, nil
}

func parse(data []byte, name string, read readFunc) (*Scenario, error) {
	fail := func(ps Problems) error { return fmt.Errorf("scenario %q: %w", name, ps) }
	if len(data) > maxFileSize {
		return nil, fail(Problems{{Reason: "file too large"}})
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&doc)
	switch {
	case errors.Is(err, io.EOF):
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map", Line: 1}}}
	case err != nil:
		return nil, fail(Problems{{Reason: strings.TrimPrefix(err.Error(), "yaml: ")}})
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		reason := "a scenario file holds one YAML document; remove everything after the \"---\" that ends it"
		if err != nil {
			reason = strings.TrimPrefix(err.Error(), "yaml: ")
		}
		return nil, fail(Problems{{Reason: reason}})
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	p := &parser{r: &reader{}, read: read, s: &Scenario{}}
	p.scenario(root, name)
	if p.r.exhausted() {
		return nil, fail(Problems{{Reason: "the document expands to too many values (aliases?)"}})
	}
	if len(p.r.probs) > 0 {
		ps := p.r.probs
		slices.SortStableFunc(ps, func(a, b Problem) int { return a.Line - b.Line })
		if len(ps) == maxProblems {
			ps = append(ps, Problem{Reason: "too many problems; stopped reporting"})
		}
		return nil, fail(ps)
	}
	return p.s, nil
}

// parser fills a Scenario from the document.
type parser struct {
	r    *reader
	read readFunc
	s    *Scenario
}

func (p *parser) scenario(root *yaml.Node, name string) {
	o := p.r.mapping(root, "")
	if o == nil {
		return
	}
	defer o.finish()
	s := p.s

	s.Name = name
	if v, ok := o.str("name"); ok {
		s.Name = v
	}
	if strings.TrimSpace(s.Name) == "" {
		p.r.add("name", o.line, "required")
	}
	s.Description, _ = o.str("description")

	loc := time.UTC
	if v, ok := o.str("time_zone"); ok {
		l, err := time.LoadLocation(v)
		if err != nil || v == "" || v == "Local" {
			p.r.add("time_zone", o.vals["time_zone"].Line, "unknown time zone %q: want an IANA name such as \"Europe/Berlin\"", v)
		} else {
			loc = l
		}
	}
	s.Start = time.Date(defaultStart.Year(), defaultStart.Month(), defaultStart.Day(),
		defaultStart.Hour(), defaultStart.Minute(), 0, 0, loc)
	if v, line, ok := o.text("start"); ok {
		t, ok := parseDateTime(v, loc)
		switch {
		case !ok:
			p.r.add("start", line, "`%s` is not a date and time: write RFC 3339 (\"2026-12-15T06:00:00Z\") or \"2026-12-15 06:00\" in time_zone", v)
		case t.Nanosecond() != 0:
			p.r.add("start", line, "must be a whole second")
		default:
			s.Start = t
		}
	}

	o.require("duration", "slo", "workers", "load")
	if d, ok := o.duration("duration", positive, noLongerThan(MaxDuration), wholeSeconds); ok {
		s.Duration = d
	}
	if d, ok := o.duration("slo", positive, noLongerThan(24*time.Hour)); ok {
		s.SLO = d
	}

	p.workers(o)
	p.load(o)
	p.campaigns(o)
	p.faults(o)
	p.monitoring(o)
	p.baselines(o)
	p.headroom(o)
}

// offset reads key of o as a point of the run, resolved after base.
func (p *parser) offset(o *object, key string, base time.Duration, after bool) (time.Duration, bool) {
	v, line, ok := o.text(key)
	if !ok {
		return 0, false
	}
	pt, err := parsePoint(v, p.s.Start.Location())
	if err != nil {
		p.r.add(o.sub(key), line, "%v", err)
		return 0, false
	}
	d := pt.resolve(p.s.Start, base, after)
	switch {
	case d < 0:
		p.r.add(o.sub(key), line, "`%s` is before the start of the run (%s)", v, p.s.Start.Format(time.RFC3339))
		return 0, false
	case d%time.Second != 0:
		p.r.add(o.sub(key), line, "`%s` must be a whole number of seconds", v)
		return 0, false
	}
	return d, true
}

// begin reads a start-like point: it must lie inside the run.
func (p *parser) begin(o *object, key string) (time.Duration, bool) {
	d, ok := p.offset(o, key, 0, false)
	if ok && p.s.Duration > 0 && d >= p.s.Duration {
		p.r.add(o.sub(key), o.vals[key].Line, "is at %s, not inside the run (duration %s)", d, p.s.Duration)
		return 0, false
	}
	return d, ok
}

// end reads an end-like point after start: strictly after it when
// strict, else at or after it. Clock times resolve after start.
func (p *parser) end(o *object, key string, start time.Duration, startKey string, strict bool) (time.Duration, bool) {
	d, ok := p.offset(o, key, start, strict)
	switch {
	case !ok:
		return 0, false
	case strict && d <= start:
		p.r.add(o.sub(key), o.vals[key].Line, "must be after %s (%s), got %s", startKey, start, d)
		return 0, false
	case d < start:
		p.r.add(o.sub(key), o.vals[key].Line, "must not be before %s (%s), got %s", startKey, start, d)
		return 0, false
	}
	return d, true
}

// dist reads key of o as a distribution; def when absent.
func (p *parser) dist(o *object, key string, def Dist) Dist {
	n := o.node(key)
	if n == nil {
		return def
	}
	path := o.sub(key)
	if n.Kind == yaml.ScalarNode {
		d, err := time.ParseDuration(n.Value)
		if err != nil || d < 0 || d > maxDistValue {
			p.r.add(path, n.Line, "want a duration up to %s or a mapping with `distribution:`, got %s", maxDistValue, describe(n))
			return def
		}
		return Fixed(d)
	}
	m := p.r.mapping(n, path)
	if m == nil {
		return def
	}
	m.require("distribution")
	kind, ok := m.str("distribution")
	if !ok {
		m.allow("value", "min", "max", "mean", "stddev", "median", "p90")
		return def
	}
	param := func(k string, checks ...check) time.Duration {
		d, _ := m.duration(k, append([]check{nonNegative, noLongerThan(maxDistValue)}, checks...)...)
		return d
	}
	before := len(p.r.probs)
	var out Dist
	switch kind {
	case DistFixed:
		m.require("value")
		out = Fixed(param("value"))
	case DistUniform:
		m.require("min", "max")
		lo, hi := param("min"), param("max")
		if hi < lo {
			p.r.add(m.sub("max"), m.line, "must not be below min (%s), got %s", lo, hi)
		}
		out = Uniform(lo, hi)
	case DistNormal:
		m.require("mean", "stddev")
		out = Normal(param("mean", positive), param("stddev"))
	case DistLogNormal:
		m.require("median", "p90")
		med, p90 := param("median", positive), param("p90", positive)
		if p90 < med {
			p.r.add(m.sub("p90"), m.line, "must not be below the median (%s), got %s", med, p90)
		}
		out = LogNormal(med, p90)
	default:
		p.r.add(m.sub("distribution"), m.vals["distribution"].Line,
			"unknown distribution %q: want fixed, uniform, normal or lognormal", kind)
		m.allow("value", "min", "max", "mean", "stddev", "median", "p90")
		return def
	}
	m.finish()
	if len(p.r.probs) > before {
		return def
	}
	return out
}

var (
	operationName = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,127}$`)
	errorCode     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._]{0,127}$`)
)

// codeStatus is the HTTP status AWS answers with each well-known error
// code: the throttling codes the SDK's standard retryer knows
// (aws/retry.DefaultThrottleErrorCodes) are client errors (400), the
// common server errors of the AWS API references are 500 and 503.
var codeStatus = map[string]int{
	"Throttling":                  400,
	"ThrottlingException":         400,
	"ThrottledException":          400,
	"RequestThrottledException":   400,
	"TooManyRequestsException":    400,
	"RequestLimitExceeded":        400,
	"LimitExceededException":      400,
	"LimitExceeded":               400,
	"RequestThrottled":            400,
	"ValidationError":             400,
	"ValidationException":         400,
	"InternalFailure":             500,
	"InternalServiceError":        500,
	"InternalServiceFault":        500,
	"InternalError":               500,
	"ServiceUnavailable":          503,
	"ServiceUnavailableException": 503,
}

// defaultStatus is an api_error's status when neither it nor a known code
// says otherwise.
const defaultStatus = 500
