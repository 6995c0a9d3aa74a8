package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-dev/headroom/internal/policy"
)

// Duration is a time.Duration written as a Go duration string ("10s",
// "5m", "1h30m") in YAML.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML accepts a Go duration string. Errors are *yaml.TypeError so
// that the decoder reports every bad value with its line, not just the
// first.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: want a duration such as \"10s\", got a %s", n.Line, kindName(n.Kind)),
		}}
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: `%s` is not a duration: write a number with a unit, such as \"10s\" or \"5m\"", n.Line, n.Value),
		}}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes d as a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	return "scalar"
}

// RateLimit is a per-cycle change limit as written in the file: an
// instance count ("3") or a percentage of current capacity ("50%"). Empty
// means no limit.
type RateLimit string

var errRateLimit = errors.New(`must be a positive whole number of instances ("3") or a percentage ("50%")`)

// Parse returns r as the engine's rate limit; the zero value for empty r.
func (r RateLimit) Parse() (policy.RateLimit, error) {
	s := strings.TrimSpace(string(r))
	if s == "" {
		return policy.RateLimit{}, nil
	}
	if num, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			return policy.RateLimit{}, errRateLimit
		}
		return policy.RateLimit{Value: v, Percent: true}, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return policy.RateLimit{}, errRateLimit
	}
	return policy.RateLimit{Value: float64(v)}, nil
}
