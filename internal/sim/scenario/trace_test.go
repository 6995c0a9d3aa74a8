package scenario

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseTrace(t *testing.T) {
	tests := []struct {
		name      string
		csv       string
		wantRows  []traceRow
		wantCycle int64
	}{
		{"invocations per minute", "minute,invocations\n0,600\n1,1200\n3,60\n",
			// The row at minute 1 lasts two minutes: 1200 / 120 s.
			[]traceRow{{0, 10}, {60, 10}, {180, 0.5}}, 300},
		{"rate per second", "second,rate\n0,5\n10,7.5\n", []traceRow{{0, 5}, {10, 7.5}}, 20},
		{"a single row lasts one unit", "minute,invocations\n0,120\n", []traceRow{{0, 2}}, 60},
		{"header case and spaces", "\ufeffMinute, Invocations\n0, 60\n", []traceRow{{0, 1}}, 60},
		{"CRLF line ends", "second,rate\r\n0,1\r\n1,2\r\n", []traceRow{{0, 1}, {1, 2}}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := parseTrace("t.csv", []byte(tc.csv))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tr.rows, tc.wantRows) || tr.cycle != tc.wantCycle {
				t.Errorf("got %+v cycle %d, want %+v cycle %d", tr.rows, tr.cycle, tc.wantRows, tc.wantCycle)
			}
		})
	}
}

func TestParseTraceErrors(t *testing.T) {
	tests := []struct {
		name string
		csv  string
		want string
	}{
		{"empty", "", "t.csv:1: empty file"},
		{"no rows", "minute,invocations\n", "t.csv:1: no rows after the header"},
		{"one column", "minute\n0\n", "t.csv:1: want two columns, got 1"},
		{"unknown time column", "hour,invocations\n0,1\n", "t.csv:1: first column is \"hour\""},
		{"unknown value column", "minute,count\n0,1\n", "t.csv:1: second column is \"count\""},
		{"first row not at zero", "minute,invocations\n5,1\n", "t.csv:2: the first row must be at minute 0, got 5"},
		{"time going back", "minute,invocations\n0,1\n2,1\n1,1\n", "t.csv:4: minute 1 is not after the previous row's 2"},
		{"repeated time", "minute,invocations\n0,1\n0,1\n", "t.csv:3: minute 0 is not after the previous row's 0"},
		{"fractional time", "minute,invocations\n0,1\n1.5,1\n", "t.csv:3: minute \"1.5\" is not a whole number >= 0"},
		{"negative count", "minute,invocations\n0,1\n1,-3\n", "t.csv:3: invocations \"-3\" is not a number >= 0"},
		{"not a number", "second,rate\n0,1\n1,lots\n", "t.csv:3: rate \"lots\" is not a number >= 0"},
		{"NaN", "second,rate\n0,NaN\n", "t.csv:2: rate \"NaN\" is not a number >= 0"},
		{"three fields", "second,rate\n0,1\n1,2,3\n", "t.csv:3: want two fields, got 3"},
		{"unterminated quote", "second,rate\n0,1\n1,\"2\n", "t.csv:3:"},
		{"past the longest run", "minute,invocations\n0,1\n40000,1\n", "t.csv:3: minute 40000 is past the longest run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTrace("t.csv", []byte(tc.csv))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTraceMeanAndPeak(t *testing.T) {
	tr, err := parseTrace("t.csv", []byte("minute,invocations\n0,600\n1,1200\n3,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	// 10/s for 60 s, 10/s for 120 s, 0 for 120 s: 1800 messages over 300 s.
	if got := tr.mean(); got != 6 {
		t.Errorf("mean = %g, want 6", got)
	}
	if got := tr.peak(); got != 10 {
		t.Errorf("peak = %g, want 10", got)
	}
}
