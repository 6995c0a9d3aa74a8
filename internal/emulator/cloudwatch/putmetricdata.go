package cloudwatch

import (
	"math"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// PutMetricData limits, from the PutMetricData API reference and the
// CloudWatch service quotas page.
const (
	// maxMetricDataPerPut: "Each request is also limited to no more than
	// 1000 different metrics (across both the MetricData and
	// EntityMetricData properties)".
	maxMetricDataPerPut = 1000
	// maxEntityMetricData: "You can include up to two EntityMetricData
	// objects".
	maxEntityMetricData = 2
	// maxValuesPerDatum: "publish up to 150 values per metric".
	maxValuesPerDatum = 150
	// maxDimensions: "You can use up to 30 dimensions per metric".
	maxDimensions = 30
	// maxPastTimestamp and maxFutureTimestamp: "time stamps that are as much
	// as two weeks before the current date, and as much as 2 hours after".
	maxPastTimestamp   = 14 * 24 * time.Hour
	maxFutureTimestamp = 2 * time.Hour
	// maxNameLength is the length limit of namespaces, metric names and
	// dimension names and values.
	maxNameLength = 255
)

// valueLimit is 2^360: "Values must be in the range of -2^360 to 2^360"
// (PutMetricData API reference); smaller magnitudes than 2^-360 are rejected
// too, as CloudWatch rejects values "either too small or too large".
var valueLimit = math.Pow(2, 360)

// standardUnits is the StandardUnit enum of the CloudWatch model.
var standardUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true,
	"Kilobytes": true, "Megabytes": true, "Gigabytes": true, "Terabytes": true,
	"Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true,
	"Terabits": true, "Percent": true, "Count": true, "Bytes/Second": true,
	"Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true,
	"Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true,
	"Megabits/Second": true, "Gigabits/Second": true, "Terabits/Second": true,
	"Count/Second": true, "None": true,
}

type datum struct {
	name string
	dims []Dimension
	smp  sample
}

// putMetricData validates the whole request before storing anything: like
// CloudWatch, a request with one invalid datum stores nothing.
func (s *Service) putMetricData(in cbor.Map) (cbor.Map, error) {
	now := s.clk.Now()
	ns, ok, err := getString(in, "Namespace", "")
	if err != nil {
		return nil, err
	}
	if !ok || ns == "" {
		return nil, newError(codeMissingParameter, "The parameter Namespace is required.")
	}
	if len(ns) > maxNameLength || strings.HasPrefix(ns, "AWS/") {
		return nil, newError(codeInvalidParameterValue, "The value %s for parameter Namespace is invalid.", ns)
	}

	var lists []cbor.List
	var paths []string
	md, hasMD, err := getList(in, "MetricData", "")
	if err != nil {
		return nil, err
	}
	if hasMD {
		lists, paths = append(lists, md), append(paths, "MetricData")
	}
	emd, _, err := getList(in, "EntityMetricData", "")
	if err != nil {
		return nil, err
	}
	if len(emd) > maxEntityMetricData {
		return nil, newError(codeInvalidParameterValue, "The collection EntityMetricData must not have a size greater than %d.", maxEntityMetricData)
	}
	for i, e := range emd {
		p := member("EntityMetricData", i)
		em, err := asMap(e, p)
		if err != nil {
			return nil, err
		}
		l, ok, err := getList(em, "MetricData", p)
		if err != nil {
			return nil, err
		}
		if ok {
			lists, paths = append(lists, l), append(paths, p+".MetricData")
		}
	}
	total := 0
	for _, l := range lists {
		total += len(l)
	}
	if total == 0 {
		return nil, newError(codeMissingParameter, "The parameter MetricData is required.")
	}
	if total > maxMetricDataPerPut {
		return nil, newError(codeInvalidParameterValue, "The collection MetricData must not have a size greater than %d.", maxMetricDataPerPut)
	}

	data := make([]datum, 0, total)
	for li, l := range lists {
		for i, v := range l {
			d, err := parseDatum(v, member(paths[li], i), now)
			if err != nil {
				return nil, err
			}
			data = append(data, d)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range data {
		s.insert(ns, d.name, d.dims, d.smp, now)
	}
	return nil, nil
}

func parseDatum(v cbor.Value, path string, now time.Time) (datum, error) {
	m, err := asMap(v, path)
	if err != nil {
		return datum{}, err
	}
	name, ok, err := getString(m, "MetricName", path)
	if err != nil {
		return datum{}, err
	}
	if !ok || name == "" {
		return datum{}, newError(codeMissingParameter, "The parameter %s.MetricName is required.", path)
	}
	if len(name) > maxNameLength {
		return datum{}, newError(codeInvalidParameterValue, "The value for parameter %s.MetricName is longer than %d characters.", path, maxNameLength)
	}
	dims, err := parseDimensions(m, path, true)
	if err != nil {
		return datum{}, err
	}
	at := now
	if t, ok, err := getTime(m, "Timestamp", path); err != nil {
		return datum{}, err
	} else if ok {
		at = t
	}
	if at.Before(now.Add(-maxPastTimestamp)) || at.After(now.Add(maxFutureTimestamp)) {
		return datum{}, newError(codeInvalidParameterValue,
			"The parameter %s.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.", path)
	}
	unit := "None"
	if u, ok, err := getString(m, "Unit", path); err != nil {
		return datum{}, err
	} else if ok {
		if !standardUnits[u] {
			return datum{}, newError(codeInvalidParameterValue, "The value %s for parameter %s.Unit is invalid.", u, path)
		}
		unit = u
	}
	if r, ok, err := getInt(m, "StorageResolution", path); err != nil {
		return datum{}, err
	} else if ok && r != 1 && r != 60 {
		return datum{}, newError(codeInvalidParameterValue, "The value %d for parameter %s.StorageResolution is invalid: valid values are 1 and 60.", r, path)
	}

	smp := sample{at: at.UnixNano(), seen: now.UnixNano(), unit: unit}
	value, hasValue, err := getFloat(m, "Value", path)
	if err != nil {
		return datum{}, err
	}
	stats, hasStats, err := getMap(m, "StatisticValues", path)
	if err != nil {
		return datum{}, err
	}
	values, hasValues, err := getList(m, "Values", path)
	if err != nil {
		return datum{}, err
	}
	counts, hasCounts, err := getList(m, "Counts", path)
	if err != nil {
		return datum{}, err
	}
	set := 0
	for _, b := range []bool{hasValue, hasStats, hasValues} {
		if b {
			set++
		}
	}
	switch {
	case set > 1:
		return datum{}, newError(codeInvalidParameterCombination,
			"The parameters %[1]s.Value, %[1]s.StatisticValues and %[1]s.Values are mutually exclusive and you have specified more than one.", path)
	case set == 0:
		return datum{}, newError(codeInvalidParameterCombination,
			"At least one of the parameters %[1]s.Value, %[1]s.StatisticValues or %[1]s.Values must be specified.", path)
	case hasCounts && !hasValues:
		return datum{}, newError(codeInvalidParameterCombination, "The parameter %s.Counts requires %s.Values.", path, path)
	case hasValue:
		if err := checkValue(value, path+".Value"); err != nil {
			return datum{}, err
		}
		smp.count, smp.sum, smp.min, smp.max = 1, value, value, value
	case hasStats:
		if err := parseStatisticSet(stats, path+".StatisticValues", &smp); err != nil {
			return datum{}, err
		}
	default:
		if err := parseValues(values, counts, hasCounts, path, &smp); err != nil {
			return datum{}, err
		}
	}
	return datum{name: name, dims: dims, smp: smp}, nil
}

func checkValue(v float64, path string) error {
	a := math.Abs(v)
	if math.IsNaN(v) || a > valueLimit || (a != 0 && a < 1/valueLimit) {
		return newError(codeInvalidParameterValue, "The value %v for parameter %s is invalid.", v, path)
	}
	return nil
}

func parseStatisticSet(m cbor.Map, path string, smp *sample) error {
	var vals [4]float64
	for i, k := range []string{"SampleCount", "Sum", "Minimum", "Maximum"} {
		v, ok, err := getFloat(m, k, path)
		if err != nil {
			return err
		}
		if !ok {
			return newError(codeMissingParameter, "The parameter %s.%s is required.", path, k)
		}
		if err := checkValue(v, path+"."+k); err != nil {
			return err
		}
		vals[i] = v
	}
	if vals[0] <= 0 || vals[2] > vals[3] {
		return newError(codeInvalidParameterValue, "The parameter %s is inconsistent: SampleCount must be positive and Minimum at most Maximum.", path)
	}
	smp.count, smp.sum, smp.min, smp.max = vals[0], vals[1], vals[2], vals[3]
	return nil
}

func parseValues(values, counts cbor.List, hasCounts bool, path string, smp *sample) error {
	if len(values) == 0 {
		return newError(codeMissingParameter, "The parameter %s.Values must not be empty.", path)
	}
	if len(values) > maxValuesPerDatum {
		return newError(codeInvalidParameterValue, "The collection %s.Values must not have a size greater than %d.", path, maxValuesPerDatum)
	}
	if hasCounts && len(counts) != len(values) {
		return newError(codeInvalidParameterValue, "The parameters %[1]s.Values and %[1]s.Counts must be of the same size.", path)
	}
	dist := make([]weighted, 0, len(values))
	smp.min, smp.max = math.Inf(1), math.Inf(-1)
	for i, v := range values {
		f, err := asFloat(v, member(path+".Values", i))
		if err != nil {
			return err
		}
		if err := checkValue(f, member(path+".Values", i)); err != nil {
			return err
		}
		c := 1.0
		if hasCounts {
			if c, err = asFloat(counts[i], member(path+".Counts", i)); err != nil {
				return err
			}
			if math.IsNaN(c) || c < 0 || c > valueLimit {
				return newError(codeInvalidParameterValue, "The value %v for parameter %s is invalid.", c, member(path+".Counts", i))
			}
		}
		if c == 0 {
			continue
		}
		dist = append(dist, weighted{f, c})
		smp.count += c
		smp.sum += f * c
		smp.min = math.Min(smp.min, f)
		smp.max = math.Max(smp.max, f)
	}
	if smp.count == 0 {
		return newError(codeInvalidParameterValue, "The parameter %s.Counts must count at least one value.", path)
	}
	smp.dist = dist
	return nil
}

// parseDimensions reads a Dimensions list; with required, each Value must
// be set (metrics), otherwise it may be absent (ListMetrics filters).
func parseDimensions(m cbor.Map, path string, requireValue bool) ([]Dimension, error) {
	l, _, err := getList(m, "Dimensions", path)
	if err != nil {
		return nil, err
	}
	if len(l) > maxDimensions {
		return nil, newError(codeInvalidParameterValue, "The collection %s.Dimensions must not have a size greater than %d.", path, maxDimensions)
	}
	dims := make([]Dimension, 0, len(l))
	seen := map[string]bool{}
	for i, v := range l {
		p := member(join(path, "Dimensions"), i)
		dm, err := asMap(v, p)
		if err != nil {
			return nil, err
		}
		name, ok, err := getString(dm, "Name", p)
		if err != nil {
			return nil, err
		}
		if !ok || name == "" {
			return nil, newError(codeMissingParameter, "The parameter %s.Name is required.", p)
		}
		value, ok, err := getString(dm, "Value", p)
		if err != nil {
			return nil, err
		}
		if requireValue && (!ok || value == "") {
			return nil, newError(codeMissingParameter, "The parameter %s.Value is required.", p)
		}
		if len(name) > maxNameLength || len(value) > maxNameLength {
			return nil, newError(codeInvalidParameterValue, "The dimension %s is longer than %d characters.", p, maxNameLength)
		}
		if seen[name] {
			return nil, newError(codeInvalidParameterValue, "The dimension name %s appears more than once in %s.Dimensions.", name, path)
		}
		seen[name] = true
		dims = append(dims, Dimension{Name: name, Value: value})
	}
	return sortedDims(dims), nil
}
