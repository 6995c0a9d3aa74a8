package cloudwatch

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// listMetricsPageSize is how many metrics one ListMetrics page holds: "Up
// to 500 results are returned for any one call" (ListMetrics API
// reference).
const listMetricsPageSize = 500

// maxDimensionFilters is the ListMetrics Dimensions limit (DimensionFilters,
// "Maximum number of 10 items" in the API reference).
const maxDimensionFilters = 10

const listTokenPrefix = "lm1:"

func (s *Service) listMetrics(in cbor.Map) (cbor.Map, error) {
	ns, hasNS, err := getString(in, "Namespace", "")
	if err != nil {
		return nil, err
	}
	name, hasName, err := getString(in, "MetricName", "")
	if err != nil {
		return nil, err
	}
	if l, _, err := getList(in, "Dimensions", ""); err != nil {
		return nil, err
	} else if len(l) > maxDimensionFilters {
		return nil, newError(codeInvalidParameterValue, "The collection Dimensions must not have a size greater than %d.", maxDimensionFilters)
	}
	filters, err := parseDimensions(in, "", false)
	if err != nil {
		return nil, err
	}
	offset := 0
	if tok, ok, err := getString(in, "NextToken", ""); err != nil {
		return nil, err
	} else if ok {
		if offset, err = decodeListToken(tok); err != nil {
			return nil, err
		}
	}

	s.mu.RLock()
	ids := make([]string, 0, len(s.series))
	for id, sr := range s.series {
		if hasNS && sr.namespace != ns || hasName && sr.name != name || !matchFilters(sr.dims, filters) {
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if offset > len(ids) {
		s.mu.RUnlock()
		return nil, newError(codeInvalidNextToken, "The NextToken is invalid.")
	}
	end := min(offset+listMetricsPageSize, len(ids))
	metrics := make(cbor.List, 0, end-offset)
	for _, id := range ids[offset:end] {
		metrics = append(metrics, metricValue(s.series[id]))
	}
	s.mu.RUnlock()

	out := cbor.Map{"Metrics": metrics}
	if end < len(ids) {
		out["NextToken"] = cbor.String(base64.RawURLEncoding.EncodeToString([]byte(listTokenPrefix + strconv.Itoa(end))))
	}
	return out, nil
}

func decodeListToken(tok string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, newError(codeInvalidNextToken, "The NextToken is invalid.")
	}
	rest, ok := strings.CutPrefix(string(raw), listTokenPrefix)
	n, err := strconv.Atoi(rest)
	if !ok || err != nil || n < 0 {
		return 0, newError(codeInvalidNextToken, "The NextToken is invalid.")
	}
	return n, nil
}

// matchFilters reports whether a metric has every filter's dimension, with
// the filter's value when one is given.
func matchFilters(dims, filters []Dimension) bool {
	for _, f := range filters {
		found := false
		for _, d := range dims {
			if d.Name == f.Name && (f.Value == "" || d.Value == f.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func metricValue(sr *series) cbor.Map {
	dims := make(cbor.List, 0, len(sr.dims))
	for _, d := range sr.dims {
		dims = append(dims, cbor.Map{"Name": cbor.String(d.Name), "Value": cbor.String(d.Value)})
	}
	return cbor.Map{
		"Namespace":  cbor.String(sr.namespace),
		"MetricName": cbor.String(sr.name),
		"Dimensions": dims,
	}
}
