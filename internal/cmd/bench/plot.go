package main

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// series is one line of a chart.
type series struct {
	Name   string
	Color  color.RGBA
	XS, YS []float64
}

// chart is one panel: lines over a linear x and y axis starting at 0, or,
// with Bars, stacked bars (one per label) over a y axis starting at 0.
type chart struct {
	Title, XLabel, YLabel string
	Series                []series
	Bars                  []bar
	Legend                []series // names and colours of the bars' segments
}

// bar is one stacked bar: segments bottom up.
type bar struct {
	Label string
	Segs  []segment
}

type segment struct {
	Value float64
	Color color.RGBA
}

var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xd6, 0x27, 0x28, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xff, 0x7f, 0x0e, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
	{0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0xbc, 0xbd, 0x22, 0xff},
	{0x17, 0xbe, 0xcf, 0xff},
}

var (
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
	black = color.RGBA{0x20, 0x20, 0x20, 0xff}
	grid  = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
)

// plotCols is the number of panels per row.
const plotCols = 3

// plotPNG draws the charts in rows of plotCols, each panelW×panelH pixels.
func plotPNG(w io.Writer, charts []chart, panelW, panelH int) error {
	cols := max(1, min(plotCols, len(charts)))
	rows := (len(charts) + cols - 1) / cols
	img := image.NewRGBA(image.Rect(0, 0, panelW*cols, panelH*max(rows, 1)))
	fill(img, img.Bounds(), white)
	for i, c := range charts {
		x, y := (i%cols)*panelW, (i/cols)*panelH
		drawChart(img, image.Rect(x, y, x+panelW, y+panelH), c)
	}
	return png.Encode(w, img)
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

func drawChart(img *image.RGBA, r image.Rectangle, c chart) {
	if len(c.Bars) > 0 {
		drawBars(img, r, c)
		return
	}
	left, right, top, bottom := r.Min.X+70, r.Max.X-20, r.Min.Y+64, r.Max.Y-60
	drawText(img, r.Min.X+(r.Dx()-textWidth(c.Title))/2, r.Min.Y+12, c.Title, black)

	var xmax, ymax float64
	for _, s := range c.Series {
		for i := range s.XS {
			xmax, ymax = math.Max(xmax, s.XS[i]), math.Max(ymax, s.YS[i])
		}
	}
	xTicks, yTicks := niceTicks(xmax), niceTicks(ymax)
	xmax, ymax = xTicks[len(xTicks)-1], yTicks[len(yTicks)-1]
	px := func(x float64) int { return left + int(math.Round(x/xmax*float64(right-left))) }
	py := func(y float64) int { return bottom - int(math.Round(y/ymax*float64(bottom-top))) }

	for _, t := range yTicks {
		y := py(t)
		hline(img, left, right, y, grid)
		l := formatTick(t)
		drawText(img, left-8-textWidth(l), y-7, l, black)
	}
	for _, t := range xTicks {
		x := px(t)
		vline(img, x, top, bottom, grid)
		l := formatTick(t)
		drawText(img, x-textWidth(l)/2, bottom+8, l, black)
	}
	hline(img, left, right, bottom, black)
	vline(img, left, top, bottom, black)
	drawText(img, left+(right-left-textWidth(c.XLabel))/2, bottom+30, c.XLabel, black)
	drawText(img, r.Min.X+6, top-24, c.YLabel, black)

	for i, s := range c.Series {
		for j := 1; j < len(s.XS); j++ {
			thickLine(img, px(s.XS[j-1]), py(s.YS[j-1]), px(s.XS[j]), py(s.YS[j]), s.Color)
		}
		for j := range s.XS {
			fill(img, image.Rect(px(s.XS[j])-3, py(s.YS[j])-3, px(s.XS[j])+4, py(s.YS[j])+4), s.Color)
		}
		// Legend, top left inside the plot area.
		ly := top + 8 + i*20
		fill(img, image.Rect(left+10, ly+5, left+30, ly+9), s.Color)
		drawText(img, left+36, ly, s.Name, black)
	}
}

// drawBars draws stacked bars with the legend on the right of the bars.
func drawBars(img *image.RGBA, r image.Rectangle, c chart) {
	legendW := 0
	for _, l := range c.Legend {
		legendW = max(legendW, textWidth(l.Name)+36)
	}
	left, right, top, bottom := r.Min.X+70, r.Max.X-20-legendW, r.Min.Y+64, r.Max.Y-60
	drawText(img, r.Min.X+(r.Dx()-textWidth(c.Title))/2, r.Min.Y+12, c.Title, black)
	var ymax float64
	for _, b := range c.Bars {
		t := 0.0
		for _, s := range b.Segs {
			t += s.Value
		}
		ymax = math.Max(ymax, t)
	}
	yTicks := niceTicks(ymax)
	ymax = yTicks[len(yTicks)-1]
	py := func(y float64) int { return bottom - int(math.Round(y/ymax*float64(bottom-top))) }
	for _, t := range yTicks {
		y := py(t)
		hline(img, left, right, y, grid)
		l := formatTick(t)
		drawText(img, left-8-textWidth(l), y-7, l, black)
	}
	hline(img, left, right, bottom, black)
	vline(img, left, top, bottom, black)
	drawText(img, left+(right-left-textWidth(c.XLabel))/2, bottom+30, c.XLabel, black)
	drawText(img, r.Min.X+6, top-24, c.YLabel, black)
	slot := (right - left) / max(len(c.Bars), 1)
	w := slot * 3 / 5
	for i, b := range c.Bars {
		x0 := left + i*slot + (slot-w)/2
		acc := 0.0
		for _, s := range b.Segs {
			if s.Value <= 0 {
				continue
			}
			fill(img, image.Rect(x0, py(acc+s.Value), x0+w, py(acc)), s.Color)
			acc += s.Value
		}
		drawText(img, x0+(w-textWidth(b.Label))/2, bottom+8, b.Label, black)
	}
	for i, l := range c.Legend {
		ly := top + 8 + i*20
		fill(img, image.Rect(right+16, ly+2, right+30, ly+12), l.Color)
		drawText(img, right+36, ly, l.Name, black)
	}
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x <= x1; x++ {
		img.SetRGBA(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	for y := y0; y <= y1; y++ {
		img.SetRGBA(x, y, c)
	}
}

// thickLine draws a 3-pixel-wide line (Bresenham with a square pen).
func thickLine(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		fill(img, image.Rect(x0-1, y0-1, x0+2, y0+2), c)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// textScale is the size of a font pixel, in image pixels.
const textScale = 2

// textWidth is the width in pixels of s.
func textWidth(s string) int { return len([]rune(s)) * 6 * textScale }

// drawText draws s with the 5×7 font, top-left at (x, y). Characters the
// font lacks are drawn as '?'.
func drawText(img *image.RGBA, x, y int, s string, c color.RGBA) {
	const scale = textScale
	for _, r := range s {
		g, ok := glyphs[unicode.ToLower(r)]
		if !ok {
			g = glyphs['?']
		}
		for row, line := range g {
			for col, ch := range line {
				if ch == '#' {
					fill(img, image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale), c)
				}
			}
		}
		x += 6 * scale
	}
}

// niceTicks returns 0 and round steps (1, 2 or 5 × 10^k) up to and
// including the first tick ≥ top; top ≤ 0 gives 0 and 1.
func niceTicks(top float64) []float64 {
	if top <= 0 || math.IsNaN(top) || math.IsInf(top, 0) {
		return []float64{0, 1}
	}
	raw := top / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag * 10
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	ticks := []float64{0}
	for t := step; ; t += step {
		t = math.Round(t/step) * step
		ticks = append(ticks, t)
		if t >= top*(1-1e-9) {
			return ticks
		}
	}
}

// formatTick renders a tick value without trailing zeros.
func formatTick(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
