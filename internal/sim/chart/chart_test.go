package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/sim/score"
)

// syntheticRuns returns runs of n samples: demand steps from 2 to 10 a
// third of the way in; each policy follows it after its own delay, and its
// backlog ages while it is short.
func syntheticRuns(n int, policies ...string) []Run {
	runs := make([]Run, len(policies))
	for p, name := range policies {
		delay := (p + 1) * n / 20
		samples := make([]score.Sample, n)
		var age time.Duration
		for i := range samples {
			demand := 2
			if i >= n/3 {
				demand = 10
			}
			supply := 2
			if i >= n/3+delay {
				supply = 10 + p
			}
			if supply < demand {
				age += time.Second
			} else {
				age = 0
			}
			samples[i] = score.Sample{
				Demand: demand, Supply: supply, Billed: supply + 1,
				Desired: supply + 1, BacklogAge: age,
			}
		}
		runs[p] = Run{Policy: name, Samples: samples}
	}
	return runs
}

func TestWritePNG(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		n        int
		policies []string
	}{
		{"short run", "short.png", 300, []string{"headroom", "aws-target-tracking", "oracle"}},
		{"long run is downsampled", "long.PNG", 20000, []string{"headroom", "hpa", "static-peak", "custom"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			runs := syntheticRuns(tc.n, tc.policies...)
			if err := Write(path, "flash-spike", time.Second, 2*time.Minute, runs); err != nil {
				t.Fatalf("Write: %v", err)
			}
			img := decodePNG(t, path)
			if b := img.Bounds(); b.Dx() != widthPx || b.Dy() != heightPx {
				t.Fatalf("size = %dx%d, want %dx%d", b.Dx(), b.Dy(), widthPx, heightPx)
			}
			if got := len(distinctColors(img)); got < 8 {
				t.Errorf("%d distinct colours, want several", got)
			}
			top, bottom := halves(img)
			for _, half := range []struct {
				name string
				rect image.Rectangle
			}{{"top", top}, {"bottom", bottom}} {
				if got := countNonBackground(img, half.rect); got < 1000 {
					t.Errorf("%s half: %d drawn pixels, want a drawn panel", half.name, got)
				}
				for _, p := range tc.policies {
					want := palette(tc.policies)[p]
					if !hasColor(img, half.rect, want) {
						t.Errorf("%s half: no pixel in %s's colour %v", half.name, p, want)
					}
				}
			}
			if !hasColor(img, bottom, sloColor) {
				t.Errorf("bottom half: no pixel in the SLO's colour")
			}
		})
	}
}

func TestWriteSVG(t *testing.T) {
	policies := []string{"headroom", "aws-step", "oracle"}
	path := filepath.Join(t.TempDir(), "chart.svg")
	if err := Write(path, "year-end-campaign", time.Second, 2*time.Minute, syntheticRuns(600, policies...)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	texts := svgTexts(t, data)
	for _, want := range append(policies, "year-end-campaign", "demand", "SLO (2m0s)", "hours from start", "instances") {
		if !containsText(texts, want) {
			t.Errorf("svg has no text %q; texts: %q", want, texts)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	runs := syntheticRuns(10, "headroom")
	tests := []struct {
		name  string
		path  string
		step  time.Duration
		runs  []Run
		wants []string
	}{
		{"unknown extension", filepath.Join(dir, "chart.jpg"), time.Second, runs, []string{"chart.jpg", ".png or .svg"}},
		{"no extension", filepath.Join(dir, "chart"), time.Second, runs, []string{"chart", ".png or .svg"}},
		{"zero step", filepath.Join(dir, "a.png"), 0, runs, []string{"a.png", "step"}},
		{"no runs", filepath.Join(dir, "b.svg"), time.Second, nil, []string{"b.svg", "no runs"}},
		{"missing directory", filepath.Join(dir, "missing", "c.png"), time.Second, runs, []string{"c.png"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(tc.path, "t", tc.step, time.Minute, tc.runs)
			if err == nil {
				t.Fatalf("Write(%s) succeeded, want an error", tc.path)
			}
			for _, want := range tc.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
			if _, statErr := os.Stat(tc.path); !errors.Is(statErr, os.ErrNotExist) {
				t.Errorf("%s exists after a failed Write", tc.path)
			}
		})
	}
}

func TestWriteEmptySamples(t *testing.T) {
	tests := []struct {
		name string
		runs []Run
		slo  time.Duration
	}{
		{"runs without samples", []Run{{Policy: "headroom"}, {Policy: "hpa"}}, time.Minute},
		{"all zero without an SLO", []Run{{Policy: "oracle", Samples: make([]score.Sample, 50)}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "empty.png")
			if err := Write(path, "empty", time.Second, tc.slo, tc.runs); err != nil {
				t.Fatalf("Write: %v", err)
			}
			decodePNG(t, path)
		})
	}
}

func BenchmarkWrite(b *testing.B) {
	runs := syntheticRuns(86400, "headroom", "aws-target-tracking", "oracle")
	for _, format := range []string{"png", "svg"} {
		b.Run(format, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench."+format)
			for b.Loop() {
				if err := Write(path, "bench", time.Second, 2*time.Minute, runs); err != nil {
					b.Fatalf("Write: %v", err)
				}
			}
		})
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

func rgba(c color.Color) color.RGBA {
	return color.RGBAModel.Convert(c).(color.RGBA)
}

func distinctColors(img image.Image) map[color.RGBA]bool {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			seen[rgba(img.At(x, y))] = true
		}
	}
	return seen
}

func halves(img image.Image) (top, bottom image.Rectangle) {
	b := img.Bounds()
	mid := b.Min.Y + b.Dy()/2
	return image.Rect(b.Min.X, b.Min.Y, b.Max.X, mid), image.Rect(b.Min.X, mid, b.Max.X, b.Max.Y)
}

func countNonBackground(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if rgba(img.At(x, y)) != background {
				n++
			}
		}
	}
	return n
}

func hasColor(img image.Image, r image.Rectangle, want color.RGBA) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if rgba(img.At(x, y)) == want {
				return true
			}
		}
	}
	return false
}

// svgTexts parses the SVG as XML and returns the content of its text
// elements.
func svgTexts(t *testing.T, data []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var texts []string
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("svg is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			inText = el.Name.Local == "text"
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, string(el))
			}
		}
	}
	if len(texts) == 0 {
		t.Fatalf("svg has no text elements")
	}
	return texts
}

func containsText(texts []string, want string) bool {
	for _, s := range texts {
		if strings.TrimSpace(s) == want {
			return true
		}
	}
	return false
}
