package page

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct{ format, raw, want string }{
		{"int", "166618", "166,618"},
		{"int", "-1234", "-1,234"},
		{"int", "12", "12"},
		{"floored:50", "null", "under 50"},
		{"floored:50", "1234", "1,234"},
		{"dec3", "0.7361887", "0.736"},
		{"pct", "0.359375", "35.9%"},
		{"percent", "35", "35%"},
		{"sec", "0.4", "0.4 s"},
		{"holds", "true", "holds"},
		{"holds", "false", "BROKEN"},
		{"text", `"centroid"`, "centroid"},
	} {
		got, err := Format(c.format, []byte(c.raw))
		if err != nil || got != c.want {
			t.Errorf("Format(%s, %s) = %q, %v; want %q", c.format, c.raw, got, err, c.want)
		}
	}
	if _, err := Format("int", []byte(`"x"`)); err == nil {
		t.Error("a string formatted as a count")
	}
	if _, err := Format("nope", []byte(`1`)); err == nil {
		t.Error("an unknown format")
	}
}

func TestPointer(t *testing.T) {
	if got := Pointer("seed_match", 0, "by/app", "a~b"); got != "/seed_match/0/by~1app/a~0b" {
		t.Errorf("Pointer = %q", got)
	}
}

// TestRender: every chart kind is drawn inline as SVG and as a PNG, its
// numbers bound in a table beside it, and the page needs nothing from
// outside itself.
func TestRender(t *testing.T) {
	n := 128
	p := &Page{Title: "Run <x>", Lead: []string{"lead"}, Sections: []Section{{ID: "s", Title: "Section", Items: []Item{
		{Text: "a paragraph"},
		{Table: &Table{ID: "t", Header: []string{"what", "count"}, Rows: [][]Cell{{Label("matched"), Bound("/matched", n, "int")}, {Label("floored"), Bound("/x", nil, "floored:50")}}}},
		{Chart: &Chart{ID: "gains", Title: "Gains", Kind: Gains, Curves: []Curve{{"a", plotter.XYs{{X: 0, Y: 0}, {X: 10, Y: 0.4}, {X: 100, Y: 1}}}, {"b", plotter.XYs{{X: 0, Y: 0}, {X: 100, Y: 1}}}}, Ideal: 3.7,
			Data: &Table{ID: "gains-data", Rows: [][]Cell{{Label("10%"), Bound("/gains/10/recall", 0.4, "pct")}}}}},
		{Chart: &Chart{ID: "features", Title: "Features", Kind: Bars, Bars: []Bar{{"a", 1}, {"b", -0.5}}}},
		{Chart: &Chart{ID: "dist", Title: "Distribution", Kind: Histogram, BinWidth: 0.05, Bars: []Bar{{"0", 3}, {"0.05", 10}, {"0.1", 0}}, Cuts: []Cut{{0.07, "tier 1"}}, Overlay: []float64{1, 2, 8}, Legend: [2]string{"all", "positives"}}},
	}}}}
	html, images, err := Render(p, "run_charts")
	if err != nil {
		t.Fatal(err)
	}
	h := string(html)
	for _, want := range []string{
		`<title>Run &lt;x&gt;</title>`,
		`data-chart="gains"`, `data-chart="features"`, `data-chart="dist"`,
		`<td class="num " data-field="/matched" data-value="128" data-format="int">128</td>`,
		`data-field="/x" data-value="null" data-format="floored:50">under 50</td>`,
		`data-field="/gains/10/recall" data-value="0.4" data-format="pct">40.0%</td>`,
		`<a href="run_charts/gains.png">`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if got := strings.Count(h, `<svg role="img"`); got != 3 {
		t.Errorf("%d inline SVG charts, want 3", got)
	}
	if strings.Contains(h, "<?xml") || strings.Contains(h, "<script") || strings.Contains(h, "http://") && !strings.Contains(h, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("the page is not a self-contained HTML document")
	}
	if len(images) != 3 {
		t.Fatalf("%d images, want 3", len(images))
	}
	for _, im := range images {
		img, err := png.Decode(bytes.NewReader(im.PNG))
		if err != nil {
			t.Fatalf("%s: %v", im.Name, err)
		}
		if b := img.Bounds(); b.Dx() < 600 {
			t.Errorf("%s is %v", im.Name, b)
		}
	}
}
