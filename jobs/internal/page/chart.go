package page

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"regexp"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// ChartKind is how a chart draws its data.
type ChartKind string

// The kinds of chart.
const (
	// Gains draws a cumulative gains curve (Points: the top X % of
	// persons, the share Y of seeds found there) with the random line and
	// the ideal one.
	Gains ChartKind = "gains"
	// Bars draws one bar per Bar, horizontal; negative values in another
	// color.
	Bars ChartKind = "bars"
	// Histogram draws Bars as adjacent bins of BinWidth from 0, with the
	// Cuts as vertical lines.
	Histogram ChartKind = "histogram"
)

// Chart is a chart and the numbers behind it.
type Chart struct {
	ID, Title      string
	Kind           ChartKind
	XLabel, YLabel string
	Curves         []Curve // Gains: one curve or several
	// Ideal is, for Gains, the top percent of persons in which a perfect
	// ranking finds every seed: the seeds' share of all persons (0: the
	// ideal line is not drawn).
	Ideal    float64
	Bars     []Bar   // Bars, Histogram
	BinWidth float64 // Histogram
	Cuts     []Cut   // Histogram
	// Overlay is drawn over a histogram's bins as a line, one value a
	// bin; Legend names the bins and the overlay.
	Overlay []float64
	Legend  [2]string
	// Data is the table of the numbers drawn, shown under the chart.
	Data *Table
}

// Curve is one named line of points.
type Curve struct {
	Name   string
	Points []plotter.XY
}

// Bar is one bar: its label and value (0 when the value is suppressed).
type Bar struct {
	Label string
	Value float64
}

// Cut is a vertical line across a histogram, at X, labelled.
type Cut struct {
	X     float64
	Label string
}

// Colors of the charts.
var (
	ink      = color.RGBA{R: 0x1d, G: 0x23, B: 0x30, A: 0xff}
	blue     = color.RGBA{R: 0x2f, G: 0x6f, B: 0xd6, A: 0xff}
	orange   = color.RGBA{R: 0xe0, G: 0x7a, B: 0x1f, A: 0xff}
	grey     = color.RGBA{R: 0x9a, G: 0xa3, B: 0xb5, A: 0xff}
	lightRed = color.RGBA{R: 0xc4, G: 0x32, B: 0x2a, A: 0xff}
)

// palette colors the curves of a chart, the first blue.
var palette = []color.Color{blue, orange,
	color.RGBA{R: 0x2a, G: 0x9d, B: 0x5c, A: 0xff}, color.RGBA{R: 0x8e, G: 0x44, B: 0xad, A: 0xff},
	color.RGBA{R: 0x7f, G: 0x8c, B: 0x8d, A: 0xff}, color.RGBA{R: 0xd4, G: 0xa0, B: 0x17, A: 0xff},
	color.RGBA{R: 0x16, G: 0xa0, B: 0xb8, A: 0xff}, color.RGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff}}

// width and height of a drawn chart.
const (
	width  = 16 * vg.Centimeter
	height = 9 * vg.Centimeter
)

// draw draws the chart as SVG (ready to inline in HTML) and as PNG.
func (c *Chart) draw() (svg, png []byte, err error) {
	p, h, err := c.plot()
	if err != nil {
		return nil, nil, err
	}
	sc := vgsvg.New(width, h)
	p.Draw(draw.New(sc))
	var sb bytes.Buffer
	if _, err := sc.WriteTo(&sb); err != nil {
		return nil, nil, err
	}
	ic := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, h), vgimg.UseDPI(144), vgimg.UseBackgroundColor(color.White))}
	p.Draw(draw.New(ic))
	var pb bytes.Buffer
	if _, err := ic.WriteTo(&pb); err != nil {
		return nil, nil, err
	}
	return inlineSVG(sb.Bytes(), c.Title), pb.Bytes(), nil
}

var svgStart = regexp.MustCompile(`(?s)^.*?<svg width="[^"]*" height="[^"]*"`)

// inlineSVG makes gonum's SVG document an element for an HTML page: no XML
// prolog, a width the page's style sets, a title for screen readers.
func inlineSVG(doc []byte, title string) []byte {
	loc := svgStart.FindIndex(doc)
	if loc == nil {
		return doc
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg role="img" aria-label="%s"`, escapeAttr(title))
	b.Write(doc[loc[1]:])
	return b.Bytes()
}

func escapeAttr(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString("&#34;")
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// plot lays the chart out; h is its height (bar charts grow with their
// bars).
func (c *Chart) plot() (*plot.Plot, vg.Length, error) {
	p := plot.New()
	p.X.Label.Text, p.Y.Label.Text = c.XLabel, c.YLabel
	p.BackgroundColor = color.White
	for _, t := range []*text.Style{&p.X.Label.TextStyle, &p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		t.Font.Typeface, t.Font.Variant, t.Color = "Liberation", "Sans", ink
	}
	h := height
	var err error
	switch c.Kind {
	case Gains:
		err = c.gains(p)
	case Bars:
		h = max(height/2, vg.Length(len(c.Bars))*0.75*vg.Centimeter+2*vg.Centimeter)
		err = c.bars(p)
	case Histogram:
		err = c.histogram(p)
	default:
		err = fmt.Errorf("no chart kind %q", c.Kind)
	}
	return p, h, err
}

func (c *Chart) gains(p *plot.Plot) error {
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 100, 0, 1
	random, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 100, Y: 1}})
	if err != nil {
		return err
	}
	random.Color, random.Dashes = grey, []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(plotter.NewGrid(), random)
	for i, cv := range c.Curves {
		line, err := plotter.NewLine(plotter.XYs(cv.Points))
		if err != nil {
			return err
		}
		line.Color, line.Width = palette[i%len(palette)], vg.Points(2)
		p.Add(line)
		p.Legend.Add(cv.Name, line)
	}
	p.Legend.Add("random", random)
	if c.Ideal > 0 {
		ideal, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: c.Ideal, Y: 1}, {X: 100, Y: 1}})
		if err != nil {
			return err
		}
		ideal.Color, ideal.Dashes = ink, []vg.Length{vg.Points(1), vg.Points(2)}
		p.Add(ideal)
		p.Legend.Add("ideal", ideal)
	}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Centimeter/2, vg.Centimeter/2
	p.Y.Tick.Marker = percentTicks{}
	return nil
}

// percentTicks marks a [0, 1] axis in percent.
type percentTicks struct{}

func (percentTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Label != "" {
			t.Label = fmt.Sprintf("%.0f%%", 100*t.Value)
		}
		out = append(out, t)
	}
	return out
}

// numberTicks marks an axis with plain numbers, digits grouped and no
// more decimals than the step between ticks needs.
type numberTicks struct{}

func (numberTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := (plot.DefaultTicks{}).Ticks(lo, hi)
	step := math.Inf(1)
	var prev *float64
	for _, t := range ticks {
		if t.Label == "" {
			continue
		}
		if prev != nil {
			step = min(step, t.Value-*prev)
		}
		v := t.Value
		prev = &v
	}
	decimals := 0
	if step < 1 {
		decimals = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	for i, t := range ticks {
		if t.Label == "" {
			continue
		}
		if decimals == 0 {
			ticks[i].Label = group(int64(math.Round(t.Value)))
		} else {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', decimals, 64)
		}
	}
	return ticks
}

func (c *Chart) bars(p *plot.Plot) error {
	n := len(c.Bars)
	pos, neg := make(plotter.Values, n), make(plotter.Values, n)
	labels := make([]string, n)
	for i, b := range c.Bars {
		// The first bar on top.
		j := n - 1 - i
		labels[j] = b.Label
		if b.Value < 0 {
			neg[j] = b.Value
		} else {
			pos[j] = b.Value
		}
	}
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0
	p.Add(grid)
	for _, v := range []struct {
		vals  plotter.Values
		color color.Color
	}{{pos, blue}, {neg, orange}} {
		bc, err := plotter.NewBarChart(v.vals, vg.Centimeter/2)
		if err != nil {
			return err
		}
		bc.Horizontal, bc.Color, bc.LineStyle.Width = true, v.color, 0
		p.Add(bc)
	}
	p.NominalY(labels...)
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	p.X.Tick.Marker = numberTicks{}
	return nil
}

func (c *Chart) histogram(p *plot.Plot) error {
	var bins []plotter.HistogramBin
	top := 0.0
	for i, b := range c.Bars {
		lo := float64(i) * c.BinWidth
		bins = append(bins, plotter.HistogramBin{Min: lo, Max: lo + c.BinWidth, Weight: b.Value})
		top = max(top, b.Value)
	}
	h := &plotter.Histogram{Bins: bins, FillColor: blue, LineStyle: draw.LineStyle{Color: color.White, Width: vg.Points(1)}}
	p.Add(plotter.NewGrid(), h)
	if len(c.Overlay) > 0 {
		var steps plotter.XYs
		for i, v := range c.Overlay {
			lo := float64(i) * c.BinWidth
			steps = append(steps, plotter.XY{X: lo, Y: v}, plotter.XY{X: lo + c.BinWidth, Y: v})
			top = max(top, v)
		}
		line, err := plotter.NewLine(steps)
		if err != nil {
			return err
		}
		line.Color, line.Width = orange, vg.Points(2)
		p.Add(line)
		p.Legend.Add(c.Legend[0], h)
		p.Legend.Add(c.Legend[1], line)
		p.Legend.Top = true
		p.Y.Max = top * 1.3 // room for the legend
	}
	p.X.Min, p.X.Max, p.Y.Min = 0, float64(len(c.Bars))*c.BinWidth, 0
	if top == 0 {
		top = 1
	}
	p.Y.Max = top * 1.15
	p.Y.Tick.Marker = numberTicks{}
	var marks plotter.XYLabels
	for _, cut := range c.Cuts {
		l, err := plotter.NewLine(plotter.XYs{{X: cut.X, Y: 0}, {X: cut.X, Y: top * 1.05}})
		if err != nil {
			return err
		}
		l.Color, l.Width = lightRed, vg.Points(1)
		p.Add(l)
		marks.XYs = append(marks.XYs, plotter.XY{X: cut.X, Y: top * 1.06})
		marks.Labels = append(marks.Labels, cut.Label)
	}
	if len(marks.XYs) > 0 {
		lb, err := plotter.NewLabels(marks)
		if err != nil {
			return err
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i].Color = lightRed
			lb.TextStyle[i].Font = font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(8)}
			lb.TextStyle[i].XAlign = draw.XCenter
		}
		p.Add(lb)
	}
	return nil
}
