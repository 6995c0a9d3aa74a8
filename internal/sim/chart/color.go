package chart

import "image/color"

// The colours come from the widely used "category10" palette, which stays
// distinguishable on screen and in print.
var (
	demandColor = color.RGBA{A: 0xff}                            // black
	demandFill  = color.RGBA{R: 0xee, G: 0xee, B: 0xee, A: 0xff} // light grey
	sloColor    = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff} // red
	hintColor   = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff} // dark grey
	background  = color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff} // white
	fixedColors = map[string]color.RGBA{
		"headroom":            {R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
		"aws-target-tracking": {R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, // orange
		"aws-step":            {R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // green
		"hpa":                 {R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, // purple
		"static-peak":         {R: 0x8c, G: 0x56, B: 0x4b, A: 0xff}, // brown
		"oracle":              {R: 0x17, G: 0xbe, B: 0xcf, A: 0xff}, // cyan
		// Each variant takes the light shade of the policy it varies.
		"headroom-reactive": {R: 0xae, G: 0xc7, B: 0xe8, A: 0xff}, // light blue
		"aws-predictive":    {R: 0xff, G: 0xbb, B: 0x78, A: 0xff}, // light orange
	}
	// spareColors go to other policies in the order they first appear.
	spareColors = []color.RGBA{
		{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, // pink
		{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff}, // olive
		{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, // grey
		{R: 0x98, G: 0xdf, B: 0x8a, A: 0xff}, // light green
	}
)

// palette assigns each policy its colour: a fixed one for the known
// policies, so that a policy looks the same in every chart, and the spare
// colours in order of appearance for the rest (reused in turn if there are
// more policies than spares).
func palette(policies []string) map[string]color.RGBA {
	out := make(map[string]color.RGBA, len(policies))
	next := 0
	for _, p := range policies {
		if _, done := out[p]; done {
			continue
		}
		if c, ok := fixedColors[p]; ok {
			out[p] = c
			continue
		}
		out[p] = spareColors[next%len(spareColors)]
		next++
	}
	return out
}
