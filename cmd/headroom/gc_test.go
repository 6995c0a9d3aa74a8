package main

import (
	"runtime/debug"
	"testing"
)

func TestSetGCPercent(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want int
	}{
		{"no GOGC: serve's default", map[string]string{}, defaultGCPercent},
		{"GOGC set: the runtime's", map[string]string{"GOGC": "200"}, 73},
		{"GOGC=off is set too", map[string]string{"GOGC": "off"}, 73},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// 73 stands for whatever the runtime took from the environment.
			prev := debug.SetGCPercent(73)
			defer debug.SetGCPercent(prev)
			setGCPercent(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if got := debug.SetGCPercent(73); got != tc.want {
				t.Errorf("GC percent %d, want %d", got, tc.want)
			}
		})
	}
}
