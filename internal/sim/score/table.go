package score

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// column is one figure of the table: two header lines (name and unit) and
// how a result shows it.
type column struct {
	name, unit string
	cell       func(Result) string
}

// columns follow the JSON field order of Result.
var columns = []column{
	{"policy", "", func(r Result) string { return r.Policy }},
	{"cost", "inst-h", func(r Result) string { return fixed(r.InstanceHours, 2) }},
	{"vs oracle", "x", func(r Result) string { return optional(r.OracleCostRatio, 2) }},
	{"under", "inst", func(r Result) string { return fixed(r.UnderProvisioningAccuracy, 2) }},
	{"over", "inst", func(r Result) string { return fixed(r.OverProvisioningAccuracy, 2) }},
	{"under", "% time", func(r Result) string { return fixed(100*r.UnderProvisioningTimeshare, 1) }},
	{"over", "% time", func(r Result) string { return fixed(100*r.OverProvisioningTimeshare, 1) }},
	{"jitter", "/h", func(r Result) string { return fixed(r.Jitter, 1) }},
	{"SLO viol", "min", func(r Result) string { return fixed(r.SLOViolationMinutes, 1) }},
	{"max age", "s", func(r Result) string { return fixed(r.MaxBacklogAgeSeconds, 0) }},
	{"actions", "count", func(r Result) string { return strconv.Itoa(r.ScalingActions) }},
	{"reaction", "s", func(r Result) string { return optional(r.ReactionSeconds, 0) }},
	{"covered", "s", func(r Result) string { return optional(r.ServingReactionSeconds, 0) }},
}

// gap separates columns.
const gap = "  "

// WriteTable writes a scorecard as an aligned text table: the title line
// (for example "scenario diurnal"), two header lines (figure and unit), a
// rule, and one row per result in the order given. The policy column is
// left-aligned and the figures right-aligned; a null figure shows as "-",
// a negative one with its sign. Timeshares are shown in percent.
func WriteTable(w io.Writer, title string, results []Result) error {
	rows := make([][]string, 0, len(results)+2)
	names := make([]string, len(columns))
	units := make([]string, len(columns))
	for i, c := range columns {
		names[i], units[i] = c.name, c.unit
	}
	rows = append(rows, names, units)
	for _, r := range results {
		row := make([]string, len(columns))
		for i, c := range columns {
			row[i] = c.cell(r)
		}
		rows = append(rows, row)
	}

	widths := make([]int, len(columns))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", title)
	for i, row := range rows {
		writeRow(&b, row, widths)
		if i == 1 {
			rule := make([]string, len(widths))
			for j, wd := range widths {
				rule[j] = strings.Repeat("-", wd)
			}
			writeRow(&b, rule, widths)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write scorecard table %q: %w", title, err)
	}
	return nil
}

// writeRow pads the first cell on the right and the others on the left, so
// that no line ends in spaces.
func writeRow(b *strings.Builder, row []string, widths []int) {
	var line strings.Builder
	for i, cell := range row {
		pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
		if i == 0 {
			line.WriteString(cell + pad)
			continue
		}
		line.WriteString(gap + pad + cell)
	}
	b.WriteString(strings.TrimRight(line.String(), " "))
	b.WriteByte('\n')
}

// fixed formats v with prec decimals; a value that rounds to zero shows
// without a minus sign.
func fixed(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Trim(s, "-0.") == "" {
		return strings.TrimPrefix(s, "-")
	}
	return s
}

func optional(v *float64, prec int) string {
	if v == nil {
		return "-"
	}
	return fixed(*v, prec)
}
