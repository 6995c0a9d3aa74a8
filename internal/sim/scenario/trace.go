package scenario

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// maxTraceRows bounds a trace: a week of one-second rows.
const maxTraceRows = 604_800

// traceRow is one row of a trace: from start (seconds into the trace's
// cycle) until the next row, arrivals come at rate per second.
type traceRow struct {
	start int64
	rate  float64
}

// trace is a parsed trace file.
type trace struct {
	rows  []traceRow
	cycle int64 // seconds; the trace repeats after it
}

// peak is the highest rate of t.
func (t trace) peak() float64 {
	p := 0.0
	for _, r := range t.rows {
		p = max(p, r.rate)
	}
	return p
}

// mean is the time-weighted mean rate of t over one cycle.
func (t trace) mean() float64 {
	sum := 0.0
	for i, r := range t.rows {
		end := t.cycle
		if i+1 < len(t.rows) {
			end = t.rows[i+1].start
		}
		sum += r.rate * float64(end-r.start)
	}
	return sum / float64(t.cycle)
}

// parseTrace reads a trace CSV: a header naming the time column (`minute`
// or `second`: when the row starts) and the value column (`invocations`:
// arrivals during the row, or `rate`: arrivals per second), then one row
// per interval, the first at time 0, times strictly increasing. The last
// row lasts as long as the one before it (one unit when it is alone).
// Errors name the file and line.
func parseTrace(name string, data []byte) (trace, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	fail := func(line int, format string, args ...any) (trace, error) {
		return trace{}, fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}

	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return fail(1, "empty file: want a header `minute,invocations` (or second, rate)")
	}
	if err != nil {
		return csvError(name, err)
	}
	if len(header) != 2 {
		return fail(1, "want two columns, got %d", len(header))
	}
	// The reader reuses its record; keep the column names apart.
	timeCol, valueCol := strings.TrimSpace(header[0]), strings.TrimSpace(header[1])
	var unit int64
	switch strings.ToLower(timeCol) {
	case "minute":
		unit = 60
	case "second":
		unit = 1
	default:
		return fail(1, "first column is %q: want `minute` or `second`", timeCol)
	}
	var perRow bool
	switch strings.ToLower(valueCol) {
	case "invocations":
		perRow = true
	case "rate":
	default:
		return fail(1, "second column is %q: want `invocations` or `rate`", valueCol)
	}

	var times []int64
	var values []float64
	lastLine := 1
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return csvError(name, err)
		}
		line, _ := r.FieldPos(0)
		lastLine = line
		if len(rec) != 2 {
			return fail(line, "want two fields, got %d", len(rec))
		}
		if len(times) == maxTraceRows {
			return fail(line, "more than %d rows", maxTraceRows)
		}
		t, err := strconv.ParseInt(strings.TrimSpace(rec[0]), 10, 64)
		if err != nil || t < 0 {
			return fail(line, "%s %q is not a whole number >= 0", timeCol, rec[0])
		}
		switch {
		case len(times) == 0 && t != 0:
			return fail(line, "the first row must be at %s 0, got %d", timeCol, t)
		case len(times) > 0 && t <= times[len(times)-1]:
			return fail(line, "%s %d is not after the previous row's %d", timeCol, t, times[len(times)-1])
		case t > int64(MaxDuration.Seconds())/unit:
			return fail(line, "%s %d is past the longest run (%s)", timeCol, t, MaxDuration)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fail(line, "%s %q is not a number >= 0", valueCol, rec[1])
		}
		times = append(times, t)
		values = append(values, v)
	}
	if len(times) == 0 {
		return fail(lastLine, "no rows after the header")
	}

	tr := trace{rows: make([]traceRow, len(times))}
	for i, t := range times {
		var length int64 = 1
		switch {
		case i+1 < len(times):
			length = times[i+1] - t
		case i > 0:
			length = t - times[i-1]
		}
		rate := values[i]
		if perRow {
			rate /= float64(length * unit)
		}
		tr.rows[i] = traceRow{start: t * unit, rate: rate}
		tr.cycle = (t + length) * unit
	}
	if tr.cycle > int64(MaxDuration.Seconds()) {
		return fail(lastLine, "the trace spans %ds, more than the longest run (%s)", tr.cycle, MaxDuration)
	}
	return tr, nil
}

// csvError turns the CSV reader's error into "file:line: reason".
func csvError(name string, err error) (trace, error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return trace{}, fmt.Errorf("%s:%d: %w", name, pe.Line, pe.Err)
	}
	return trace{}, fmt.Errorf("%s: %w", name, err)
}
