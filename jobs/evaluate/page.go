package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/plotter"

	"github.com/sosie-dev/sosie/jobs/internal/page"
	"github.com/sosie-dev/sosie/model/eval"
)

// evaluationPage shows the protocol's table as a page: for each seed size,
// the gains curve of every model on the rows not drawn as seeds, the table
// of their figures, and how the first model's similarity spreads over the
// positives and the other rows. Its numbers are bound to the JSON --json
// writes (its "results").
func evaluationPage(title string, lead []string, rows []eval.ProtocolRow) *page.Page {
	p := &page.Page{Title: title, Lead: lead}
	for start := 0; start < len(rows); {
		k := rows[start].SeedSize
		end := start
		for end < len(rows) && rows[end].SeedSize == k {
			end++
		}
		id := fmt.Sprintf("k%d", k)
		s := page.Section{ID: id, Title: fmt.Sprintf("%d seeds", k)}
		var curves []page.Curve
		t := &page.Table{ID: id + "-figures", Header: []string{"model", "AUC", "recall at 1 %", "at 5 %", "at 10 %", "at 20 %", "lift at 10 %", "fit s"}}
		for i := start; i < end; i++ {
			r := rows[i]
			at := func(field string) string { return page.Pointer("results", i, field, "mean") }
			t.Rows = append(t.Rows, []page.Cell{page.Label(string(r.Kind)),
				page.Bound(at("auc"), r.AUC.Mean, "dec3"), page.Bound(at("recall_at_1pct"), r.Recall1.Mean, "pct"),
				page.Bound(at("recall_at_5pct"), r.Recall5.Mean, "pct"), page.Bound(at("recall_at_10pct"), r.Recall10.Mean, "pct"),
				page.Bound(at("recall_at_20pct"), r.Recall20.Mean, "pct"), page.Bound(at("lift_at_10pct"), r.Lift10.Mean, "dec2"),
				page.Bound(at("fit_seconds"), r.FitSeconds.Mean, "dec2")})
			var pts plotter.XYs
			for _, g := range r.Gains {
				pts = append(pts, plotter.XY{X: g.Percent, Y: g.Recall})
			}
			curves = append(curves, page.Curve{Name: string(r.Kind), Points: pts})
		}
		s.Items = append(s.Items,
			page.Item{Chart: &page.Chart{ID: id + "-gains", Title: fmt.Sprintf("Gains on the rows not drawn as seeds, %d seeds (mean over the repeats)", k), Kind: page.Gains,
				XLabel: "top % of rows ranked", YLabel: "positives found", Curves: curves, Data: t}})
		first := rows[start]
		dist := &page.Table{ID: id + "-similarity", Header: []string{"similarity", "positives", "other rows"}}
		var bars []page.Bar
		width := 1 / float64(eval.SimilarityBins)
		for b := range first.Others {
			lo := float64(b) * width
			dist.Rows = append(dist.Rows, []page.Cell{page.Label(fmt.Sprintf("%.2f–%.2f", lo, lo+width)),
				page.Bound(page.Pointer("results", start, "similarity_positives", b), first.Positives[b], "pct"),
				page.Bound(page.Pointer("results", start, "similarity_others", b), first.Others[b], "pct")})
			bars = append(bars, page.Bar{Label: fmt.Sprintf("%.2f", lo), Value: first.Others[b]})
		}
		s.Items = append(s.Items, page.Item{Chart: &page.Chart{ID: id + "-similarity",
			Title: fmt.Sprintf("Similarity by %s, %d seeds: positives against the other rows (share of each per bin)", first.Kind, k), Kind: page.Histogram,
			XLabel: "similarity", YLabel: "share of the group", BinWidth: width, Bars: bars, Overlay: first.Positives,
			Legend: [2]string{"other rows", "positives"}, Data: dist}})
		p.Sections = append(p.Sections, s)
		start = end
	}
	return p
}

// writePage renders p to path and its charts' PNGs beside it, in
// <name>_charts/.
func writePage(path string, p *page.Page) error {
	base := strings.TrimSuffix(path, filepath.Ext(path))
	dir := filepath.Base(base) + "_charts"
	html, images, err := page.Render(p, dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(base+"_charts", 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, html, 0o644); err != nil {
		return err
	}
	for _, im := range images {
		if err := os.WriteFile(filepath.Join(base+"_charts", im.Name), im.PNG, 0o644); err != nil {
			return err
		}
	}
	return nil
}
