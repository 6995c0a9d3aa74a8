package config

import "strings"

// Problem is one thing wrong with a configuration: the field path as
// the file spells it ("groups[1].policies[0].target_tracking.target") and
// the rule it breaks. Field is empty for a problem of the whole document,
// such as a YAML syntax error.
type Problem struct {
	Field, Reason string
}

// String formats p as "field: reason".
func (p Problem) String() string {
	if p.Field == "" {
		return p.Reason
	}
	return p.Field + ": " + p.Reason
}

// Problems is the error of Parse, Load and Validate: every problem found,
// in document order, one per line of Error.
type Problems []Problem

// Error lists every problem, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems as the checks find them.
type problems struct {
	list Problems
}

func (ps *problems) add(field, reason string) {
	ps.list = append(ps.list, Problem{Field: field, Reason: reason})
}
