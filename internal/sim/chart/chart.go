// Package chart draws one scenario's runs as a picture: demand, supply and
// desired capacity per policy in the top panel, the age of the oldest
// waiting message per policy against the SLO in the bottom panel.
package chart

import (
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/headroom-dev/headroom/internal/sim/score"
)

// Run is one policy's samples.
type Run struct {
	Policy  string
	Samples []score.Sample
}

// The picture is 1200x800 pixels at 96 dots per inch, the resolution a
// browser assumes for CSS pixels, so the SVG shows at the PNG's size.
const (
	widthPx  = 1200
	heightPx = 800
	dpi      = 96
	width    = vg.Length(widthPx) / dpi * vg.Inch
	height   = vg.Length(heightPx) / dpi * vg.Inch
)

// margin is the space around the figure and between its parts.
const margin = 2 * vg.Millimeter

// Write draws the runs of one scenario to path, as PNG or SVG by the path's
// extension (.png or .svg, in any case). The top panel shows demand (once:
// it is the same for every run, and is taken from the longest run), each
// policy's serving capacity (solid) and desired capacity (dashed), in
// instances over hours from the start; the bottom panel shows each policy's
// oldest message age in seconds, with the SLO as a dashed line (none when the
// SLO is not positive). Each policy has one colour in both panels. Long runs
// are reduced to at most 2,000 points per series, keeping each stretch's
// highest and lowest values.
func Write(path, title string, step, slo time.Duration, runs []Run) (err error) {
	format, err := formatOf(path)
	if err != nil {
		return err
	}
	if step <= 0 {
		return fmt.Errorf("chart %s: step %v is not positive", path, step)
	}
	if len(runs) == 0 {
		return fmt.Errorf("chart %s: no runs to draw", path)
	}

	// The plotting library panics on some inputs it cannot lay out; a
	// chart is a by-product of a simulation and must not bring it down.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("chart %s: draw: %v", path, r)
		}
	}()

	canvas, writerTo := newCanvas(format)
	fillBackground(canvas)
	drawFigure(draw.New(canvas), title, step, slo, runs)

	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("chart %s: %w", path, err)
	}
	if _, err := writerTo.WriteTo(f); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("chart %s: write %s: %w", path, format, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("chart %s: %w", path, err)
	}
	return nil
}

// formatOf returns "png" or "svg" from the path's extension.
func formatOf(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".svg":
		return ext[1:], nil
	default:
		return "", fmt.Errorf("chart %s: unknown image format %q: the name must end in .png or .svg", path, ext)
	}
}

// newCanvas returns a canvas for the format and what writes it out.
func newCanvas(format string) (vg.CanvasSizer, io.WriterTo) {
	if format == "svg" {
		c := vgsvg.New(width, height)
		return c, c
	}
	c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
	return c, vgimg.PngCanvas{Canvas: c}
}

// fillBackground paints the whole canvas, including the legend column the
// plots do not cover (an SVG is transparent otherwise).
func fillBackground(c vg.CanvasSizer) {
	w, h := c.Size()
	var p vg.Path
	p.Move(vg.Point{})
	p.Line(vg.Point{X: w})
	p.Line(vg.Point{X: w, Y: h})
	p.Line(vg.Point{Y: h})
	p.Close()
	c.SetColor(background)
	c.Fill(p)
}

// drawFigure lays out the two panels on the left and their legends in a
// column on the right, where they cannot hide a line.
func drawFigure(dc draw.Canvas, title string, step, slo time.Duration, runs []Run) {
	policies := make([]string, len(runs))
	for i, r := range runs {
		policies[i] = r.Policy
	}
	colors := palette(policies)
	stepHours := step.Hours()

	longest := runs[0]
	for _, r := range runs[1:] {
		if len(r.Samples) > len(longest.Samples) {
			longest = r
		}
	}
	spanHours := max(float64(len(longest.Samples))*stepHours, stepHours)

	capacity := newPanel(title, "instances", spanHours)
	backlog := newPanel("", "oldest message age (s)", spanHours)
	backlog.X.Label.Text = "hours from start"

	capLegend, ageLegend := plot.NewLegend(), plot.NewLegend()

	demand := line(series(len(longest.Samples), stepHours, func(i int) float64 {
		return float64(longest.Samples[i].Demand)
	}), demandColor, 2, nil, plotter.PostStep)
	// A light fill under demand keeps it visible where a policy's line
	// lies on top of it.
	demand.FillColor = demandFill
	capacity.Add(demand, plotter.NewGrid())
	backlog.Add(plotter.NewGrid())
	capLegend.Add("demand", demand)

	for _, r := range runs {
		c := colors[r.Policy]
		samples := r.Samples
		supply := line(series(len(samples), stepHours, func(i int) float64 {
			return float64(samples[i].Supply)
		}), c, 1.5, nil, plotter.PostStep)
		desired := line(series(len(samples), stepHours, func(i int) float64 {
			return float64(samples[i].Desired)
		}), c, 1, dashed, plotter.PostStep)
		age := line(series(len(samples), stepHours, func(i int) float64 {
			return samples[i].BacklogAge.Seconds()
		}), c, 1.5, nil, plotter.NoStep)
		capacity.Add(supply, desired)
		backlog.Add(age)
		capLegend.Add(r.Policy, supply)
		ageLegend.Add(r.Policy, age)
	}
	capLegend.Add("serving (solid)", line(nil, hintColor, 1.5, nil, plotter.NoStep))
	capLegend.Add("desired (dashed)", line(nil, hintColor, 1, dashed, plotter.NoStep))

	if slo > 0 {
		limit := line(plotter.XYs{{X: 0, Y: slo.Seconds()}, {X: spanHours, Y: slo.Seconds()}},
			sloColor, 1.5, dashed, plotter.NoStep)
		backlog.Add(limit)
		ageLegend.Add(fmt.Sprintf("SLO (%v)", slo), limit)
	}
	keepAxisOpen(capacity)
	keepAxisOpen(backlog)

	for _, l := range []*plot.Legend{&capLegend, &ageLegend} {
		l.Top, l.Left = true, true
	}
	legendWidth := max(capLegend.Rectangle(dc).Size().X, ageLegend.Rectangle(dc).Size().X) + 2*margin

	plotArea := draw.Crop(dc, 0, -legendWidth, 0, 0)
	tiles := draw.Tiles{
		Rows: 2, Cols: 1,
		PadTop: margin, PadBottom: margin, PadLeft: margin, PadRight: margin,
		PadY: 2 * margin,
	}
	panels := [][]*plot.Plot{{capacity}, {backlog}}
	areas := plot.Align(panels, tiles, plotArea)
	capacity.Draw(areas[0][0])
	backlog.Draw(areas[1][0])

	// Each legend sits beside its panel, level with the panel's top.
	legendColumn := func(panel draw.Canvas, p *plot.Plot) draw.Canvas {
		top := panel.Max.Y - margin
		if p.Title.Text != "" {
			top -= p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding
		}
		return draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: dc.Max.X - legendWidth + margin, Y: panel.Min.Y},
			Max: vg.Point{X: dc.Max.X - margin, Y: top},
		}}
	}
	capLegend.Draw(legendColumn(areas[0][0], capacity))
	ageLegend.Draw(legendColumn(areas[1][0], backlog))
}

// dashed is the dash pattern of desired capacity and the SLO.
var dashed = []vg.Length{vg.Points(6), vg.Points(3)}

// newPanel returns a panel with the shared x range, starting at zero.
func newPanel(title, yLabel string, spanHours float64) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(15)
	p.Y.Label.Text = yLabel
	p.X.Min, p.X.Max = 0, spanHours
	return p
}

// keepAxisOpen starts the y axis at zero and gives an all-zero panel a
// height, which the library cannot lay out otherwise.
func keepAxisOpen(p *plot.Plot) {
	p.Y.Min = 0
	if p.Y.Max <= 0 {
		p.Y.Max = 1
	}
}

// line returns a line plotter without copying the points.
func line(xys plotter.XYs, c color.Color, width vg.Length, dashes []vg.Length, step plotter.StepKind) *plotter.Line {
	return &plotter.Line{
		XYs:       xys,
		StepStyle: step,
		LineStyle: draw.LineStyle{Color: c, Width: vg.Points(float64(width)), Dashes: dashes},
	}
}
