package job

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot/plotter"

	"github.com/sosie-dev/sosie/jobs/internal/page"
	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// The pages of a run: the run report's for data engineers (report.html
// beside report.json) and each seed list's for its advertiser (beside its
// JSON report). Every number on them is bound to its place in the JSON
// beside them (package page).

// runPage is the data engineer's page of a run report: inputs, counts and
// balances, dead letters, time per stage, and per seed list its match
// funnel, model quality, score distribution, audience and top features.
func runPage(r *Report) *page.Page {
	p := &page.Page{Title: fmt.Sprintf("sosie %s run %s", r.Job, r.RunID)}
	p.Lead = append(p.Lead, fmt.Sprintf("Status %s, as of %s, took %s (attempt %s, pepper fingerprint %s).", r.Status, r.AsOf, r.Took, r.Attempt, r.Pepper))
	for _, pr := range r.Problems {
		p.Lead = append(p.Lead, "Problem: "+pr)
	}
	for _, w := range r.Warnings {
		p.Lead = append(p.Lead, "Warning: "+w)
	}
	for i, m := range r.SeedMatch {
		p.Sections = append(p.Sections, listSection(r, i, m))
	}
	p.Sections = append(p.Sections, inputsSection(r), balancesSection(r), deadLettersSection(r), timesSection(r))
	return p
}

func inputsSection(r *Report) page.Section {
	t := &page.Table{ID: "inputs", Header: []string{"file", "kind", "app", "lines", "read", "rejected"}}
	for i, f := range r.Inputs {
		t.Rows = append(t.Rows, []page.Cell{page.Label(f.File), page.Label(f.Kind), page.Label(f.App),
			page.Bound(page.Pointer("inputs", i, "lines"), f.Lines, "int"),
			page.Bound(page.Pointer("inputs", i, "read"), f.Read, "int"),
			page.Bound(page.Pointer("inputs", i, "rejected"), f.Rejected, "int")})
	}
	s := page.Section{ID: "inputs", Title: "Inputs"}
	if len(t.Rows) == 0 {
		return s
	}
	s.Items = append(s.Items, page.Item{Text: "Every input file's lines: header + blank + read + rejected (each rejected line is a dead letter)."}, page.Item{Table: t})
	return s
}

func balancesSection(r *Report) page.Section {
	t := &page.Table{ID: "balances", Header: []string{"equation, with each counter's value", "left", "right", ""}}
	for i, b := range r.Balances {
		holds := page.Bound(page.Pointer("balances", i, "holds"), b.Holds, "holds")
		holds.Class = "ok"
		if !b.Holds {
			holds.Class = "bad"
		}
		t.Rows = append(t.Rows, []page.Cell{page.Label(b.Terms),
			page.Bound(page.Pointer("balances", i, "left"), b.Left, "int"),
			page.Bound(page.Pointer("balances", i, "right"), b.Right, "int"), holds})
	}
	counts := &page.Table{ID: "counters", Caption: fmt.Sprintf("Every counter (%d)", len(r.Counters)), Header: []string{"counter", "count"}}
	for _, name := range slices.Sorted(maps.Keys(r.Counters)) {
		counts.Rows = append(counts.Rows, []page.Cell{page.Label(name), page.Bound(page.Pointer("counters", name), r.Counters[name], "int")})
	}
	return page.Section{ID: "counts", Title: "Counts per stage", Items: []page.Item{
		{Text: "Every row, account, event and person that enters a stage leaves it counted once, kept or rejected; the run checks these equations and publishes nothing when one breaks."},
		{Table: t}, {Table: counts, Fold: true}}}
}

func deadLettersSection(r *Report) page.Section {
	s := page.Section{ID: "dead-letters", Title: "Dead letters"}
	if len(r.DeadLetters) == 0 {
		s.Items = append(s.Items, page.Item{Text: "No dead letters: every input row was used."})
		return s
	}
	byReason := map[string]int{}
	t := &page.Table{ID: "dead-letters", Header: []string{"stage", "source", "file", "reason", "letters", "input rows"}}
	for i, d := range r.DeadLetters {
		byReason[d.Reason] += d.Rows
		t.Rows = append(t.Rows, []page.Cell{page.Label(d.Stage), page.Label(d.Source), page.Label(d.File), page.Label(d.Reason),
			page.Bound(page.Pointer("dead_letters", i, "letters"), d.Letters, "int"),
			page.Bound(page.Pointer("dead_letters", i, "rows"), d.Rows, "int")})
	}
	var bars []page.Bar
	for _, reason := range slices.Sorted(maps.Keys(byReason)) {
		bars = append(bars, page.Bar{Label: reason, Value: float64(byReason[reason])})
	}
	s.Items = append(s.Items,
		page.Item{Text: "Each dead letter names its file (or app and the file of its account), line and reason (the dead letters file); an account rejected takes its events with it, counted under its app."},
		page.Item{Chart: &page.Chart{ID: "dead-letters", Title: "Input rows in dead letters, by reason", Kind: page.Bars, XLabel: "input rows", Bars: bars, Data: t}})
	return s
}

func timesSection(r *Report) page.Section {
	s := page.Section{ID: "times", Title: "Time per stage"}
	if len(r.StageTimes) == 0 {
		s.Items = append(s.Items, page.Item{Text: "The runner reported no busy time per stage (prism samples it: a stage busy for less than its sampling period shows none)."})
		return s
	}
	t := &page.Table{ID: "stage-times", Header: []string{"stage", "busy"}}
	var bars []page.Bar
	for i, st := range r.StageTimes {
		bars = append(bars, page.Bar{Label: st.Stage, Value: st.Seconds})
		t.Rows = append(t.Rows, []page.Cell{page.Label(st.Stage), page.Bound(page.Pointer("stage_times", i, "busy_seconds"), st.Seconds, "sec")})
	}
	s.Items = append(s.Items,
		page.Item{Text: fmt.Sprintf("The run took %s of wall time. Busy time is what each stage's DoFns spent on bundles, summed over workers and sampled by the SDK.", r.Took)},
		page.Item{Chart: &page.Chart{ID: "stage-times", Title: "Busy seconds per stage", Kind: page.Bars, XLabel: "seconds", Bars: bars, Data: t}})
	return s
}

// listSection is a seed list's part of the run page.
func listSection(r *Report, i int, m pipelines.MatchReport) page.Section {
	id := "list-" + m.List
	s := page.Section{ID: id, Title: "Seed list " + m.List}
	at := func(tokens ...any) string { return page.Pointer(append([]any{"seed_match", i}, tokens...)...) }
	funnel := &page.Table{ID: id + "-funnel", Header: []string{"step", "rows"}, Rows: [][]page.Cell{
		{page.Label("rows"), page.Bound(at("rows"), m.Rows, "int")},
		{page.Label("valid"), page.Bound(at("valid"), m.Valid, "int")},
		{page.Label("distinct"), page.Bound(at("distinct"), m.Distinct, "int")},
		{page.Label("matched (persons)"), page.Bound(at("matched"), m.Matched, "int")},
	}}
	s.Items = append(s.Items, page.Item{Chart: &page.Chart{ID: id + "-funnel", Title: "Match funnel: rows → valid → distinct → matched", Kind: page.Bars, XLabel: "rows",
		Bars: []page.Bar{{Label: "rows", Value: float64(m.Rows)}, {Label: "valid", Value: float64(m.Valid)}, {Label: "distinct", Value: float64(m.Distinct)}, {Label: "matched", Value: float64(m.Matched)}},
		Data: funnel}})
	s.Items = append(s.Items, page.Item{Table: countsTable(id+"-by-app", "Matched persons by app (a person is on several)", "app", at, "matched_by_app", m.ByApp, "int")})
	s.Items = append(s.Items, page.Item{Table: countsTable(id+"-by-convention", "Matched rows by form (plain phone, or SHA-256 hash with or without +)", "form", at, "matched_by_convention", m.ByConvention, "int")})
	rejected := map[string]int{}
	for k, n := range m.Rejected {
		rejected[string(k)] = n
	}
	if len(rejected) > 0 {
		s.Items = append(s.Items, page.Item{Table: countsTable(id+"-rejected", "Rows rejected, by reason (dead letters)", "reason", at, "rejected", rejected, "int")})
	}
	if j := slices.IndexFunc(r.Models, func(ms ModelSummary) bool { return ms.List == m.List }); j >= 0 && r.Models[j].Quality != nil {
		s.Items = append(s.Items, modelItems(id, r.Models[j].Quality, func(tokens ...any) string {
			return page.Pointer(append([]any{"models", j, "quality"}, tokens...)...)
		})...)
	}
	if j := slices.IndexFunc(r.Distributions, func(d pipelines.ScoreDistribution) bool { return d.List == m.List }); j >= 0 {
		var bins []page.Cell
		for b, n := range r.Distributions[j].Bins {
			bins = append(bins, page.Bound(page.Pointer("score_distributions", j, "bins", b), n, "int"))
		}
		var starts []tierStart
		for _, t := range slices.Sorted(maps.Keys(r.TierFloors[m.List])) {
			starts = append(starts, tierStart{t, page.Bound(page.Pointer("tier_similarity_floors", m.List, t), r.TierFloors[m.List][t], "dec3")})
		}
		s.Items = append(s.Items, page.Item{Chart: distributionChart(id, bins, starts, "persons scored")})
	}
	if tiers, ok := r.Tiers[m.List]; ok {
		var rows []audienceCount
		for _, t := range slices.Sorted(maps.Keys(tiers)) {
			rows = append(rows, audienceCount{label: tierLabel(t), cell: page.Bound(page.Pointer("audience_by_tier", m.List, t), tiers[t], "int")})
		}
		s.Items = append(s.Items, audienceItems(id, "tier", "tiers", rows)...)
	}
	if j := slices.IndexFunc(r.Audiences, func(a pipelines.AudienceSize) bool { return a.List == m.List }); j >= 0 {
		a := r.Audiences[j]
		word := "delivered"
		if !a.Delivered {
			word = fmt.Sprintf("withheld: under the minimum of %d", a.Minimum)
		}
		t := &page.Table{ID: id + "-audience", Header: []string{"audience", "persons", ""}, Rows: [][]page.Cell{
			{page.Label("prospects"), page.Bound(page.Pointer("audiences", j, "size"), a.Size, "int"), page.Label(word)}}}
		for k, c := range a.Countries {
			word := "delivered"
			if !c.Delivered {
				word = fmt.Sprintf("withheld: under the minimum of %d", a.Minimum)
			}
			t.Rows = append(t.Rows, []page.Cell{page.Label("  in " + c.Country), page.Bound(page.Pointer("audiences", j, "countries", k, "size"), c.Size, "int"), page.Label(word)})
		}
		s.Items = append(s.Items, page.Item{Table: t})
	}
	if byCountry, ok := r.ByCountry[m.List]; ok {
		dist := slices.IndexFunc(r.Distributions, func(d pipelines.ScoreDistribution) bool { return d.List == m.List })
		var rows []audienceCount
		for _, c := range slices.Sorted(maps.Keys(byCountry)) {
			cc := audienceCount{label: c, cell: page.Bound(page.Pointer("audience_by_country", m.List, c), byCountry[c], "int")}
			if dist >= 0 {
				// Prospects without a country are counted as "unknown", scored as "".
				key := strings.TrimSuffix(c, "unknown")
				if n, ok := r.Distributions[dist].ByCountry[key]; ok {
					scored := page.Bound(page.Pointer("score_distributions", dist, "by_country", key), n, "int")
					cc.scored = &scored
				}
			}
			rows = append(rows, cc)
		}
		s.Items = append(s.Items, audienceItems(id, "country", "countries", rows)...)
	}
	return s
}

// countsTable is a table of a map of counts found at at(field, key).
func countsTable[V any](id, caption, what string, at func(...any) string, field string, counts map[string]V, format string) *page.Table {
	t := &page.Table{ID: id, Caption: caption, Header: []string{what, "count"}}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		t.Rows = append(t.Rows, []page.Cell{page.Label(k), page.Bound(at(field, k), counts[k], format)})
	}
	return t
}

// modelItems show a model's quality: the verdict, the held-out figures and
// gains curve, every candidate measured, and the top features.
func modelItems(id string, q *model.Report, at func(...any) string) []page.Item {
	h := q.HeldOut
	figures := &page.Table{ID: id + "-quality", Caption: "Held-out quality of the model chosen", Header: []string{"figure", "value"}, Rows: [][]page.Cell{
		{page.Label("model"), page.Bound(at("held_out", "kind"), string(h.Kind), "text")},
		{page.Label("seeds"), page.Bound(at("seeds"), q.Seeds, "int")},
		{page.Label("population rows"), page.Bound(at("population"), q.Population, "int")},
		{page.Label("AUC"), page.Bound(at("held_out", "auc"), h.AUC, "dec3")},
		{page.Label("its standard error"), page.Bound(at("held_out", "auc_std_err"), h.AUCStdErr, "dec3")},
		{page.Label("recall at 1 %"), page.Bound(at("held_out", "recall_at_1pct"), h.Recall1, "pct")},
		{page.Label("recall at 5 %"), page.Bound(at("held_out", "recall_at_5pct"), h.Recall5, "pct")},
		{page.Label("recall at 10 %"), page.Bound(at("held_out", "recall_at_10pct"), h.Recall10, "pct")},
		{page.Label("lift at 10 %"), page.Bound(at("held_out", "lift_at_10pct"), h.Lift10, "dec2")},
	}}
	items := []page.Item{{Text: "Model: " + q.Verdict + "."}}
	if q.Why != "" {
		items = append(items, page.Item{Text: "Why this model: " + q.Why + "."})
	}
	items = append(items, page.Item{Table: figures})
	if len(q.Gains) > 0 {
		gains := &page.Table{ID: id + "-gains", Header: []string{"top % of persons", "held-out seeds found"}}
		var pts plotter.XYs
		for k, g := range q.Gains {
			pts = append(pts, plotter.XY{X: g.Percent, Y: g.Recall})
			if slices.Contains(gainsPercents, g.Percent) {
				gains.Rows = append(gains.Rows, []page.Cell{page.Label(strconv.FormatFloat(g.Percent, 'f', -1, 64) + " %"), page.Bound(at("gains", k, "recall"), g.Recall, "pct")})
			}
		}
		items = append(items, page.Item{Chart: &page.Chart{ID: id + "-gains", Title: "Cross-validated gains: held-out seeds found in the top of the ranking", Kind: page.Gains,
			XLabel: "top % of persons ranked", YLabel: "held-out seeds found", Curves: []page.Curve{{Name: "held-out seeds", Points: pts}}, Ideal: 100 * float64(q.Seeds) / float64(q.Seeds+q.Population), Data: gains}})
	}
	cands := &page.Table{ID: id + "-candidates", Caption: "Every candidate measured on the same held-out folds", Header: []string{"candidate", "AUC", "recall at 10 %", "criterion"}}
	for k, c := range q.Candidates {
		cands.Rows = append(cands.Rows, []page.Cell{page.Label(c.Name()),
			page.Bound(at("candidates", k, "auc"), c.AUC, "dec3"),
			page.Bound(at("candidates", k, "recall_at_10pct"), c.Recall10, "pct"),
			page.Bound(at("candidates", k, "criterion"), c.Criterion, "dec3")})
	}
	items = append(items, page.Item{Table: cands})
	if len(q.TopFeatures) > 0 {
		t := &page.Table{ID: id + "-features", Header: []string{"feature", "weight"}}
		var bars []page.Bar
		for k, f := range q.TopFeatures {
			bars = append(bars, page.Bar{Label: f.Name, Value: f.Weight})
			t.Rows = append(t.Rows, []page.Cell{page.Label(f.Name), page.Bound(at("top_features", k, "weight"), f.Weight, "dec3")})
		}
		items = append(items, page.Item{Chart: &page.Chart{ID: id + "-features", Title: "Top features: what the model leans on (negative: seeds have less of it)", Kind: page.Bars,
			XLabel: "weight", Bars: bars, Data: t}})
	}
	return items
}

// tierStart is where a tier starts, in similarity, bound.
type tierStart struct {
	tier int
	cell page.Cell
}

// distributionChart draws the persons scored by similarity with the start
// of the audience's first and last tiers; bins are bound counts (a
// floored one shows "under N" and draws as 0).
func distributionChart(id string, bins []page.Cell, starts []tierStart, what string) *page.Chart {
	t := &page.Table{ID: id + "-distribution", Header: []string{"similarity", what}}
	var bars []page.Bar
	width := 1 / float64(pipelines.DistributionBins)
	for b, c := range bins {
		lo := float64(b) * width
		t.Rows = append(t.Rows, []page.Cell{page.Label(fmt.Sprintf("%.2f–%.2f", lo, lo+width)), c})
		bars = append(bars, page.Bar{Label: fmt.Sprintf("%.2f", lo), Value: cellNumber(c)})
	}
	var cuts []page.Cut
	for k, st := range starts {
		t.Rows = append(t.Rows, []page.Cell{page.Label(fmt.Sprintf("tier %d starts at", st.tier)), st.cell})
		label := ""
		if k == 0 || k == len(starts)-1 {
			label = fmt.Sprintf("tier %d", st.tier)
		}
		cuts = append(cuts, page.Cut{X: cellNumber(st.cell), Label: label})
	}
	return &page.Chart{ID: id + "-distribution", Title: "Similarity of everyone scored, with where the audience's tiers start", Kind: page.Histogram,
		XLabel: "similarity (calibrated: the same meaning for every model kind)", YLabel: what, BinWidth: width, Bars: bars, Cuts: cuts, Data: t}
}

// audienceCount is one row of the audience by tier or by country: its
// label and persons, bound, and the persons scored there where known.
type audienceCount struct {
	label  string
	cell   page.Cell
	scored *page.Cell
}

// audienceItems show the audience by what ("tier", "country"; its
// plural names the chart, id-tiers or id-countries): a chart, or only
// the table when every row is under the floor.
func audienceItems(id, what, plural string, rows []audienceCount) []page.Item {
	title := "Audience by " + what
	t := &page.Table{ID: id + "-" + plural, Caption: title, Header: []string{what, "persons"}}
	if len(rows) > 0 && rows[0].scored != nil {
		t.Header = append(t.Header, "of persons scored there")
	}
	var bars []page.Bar
	drawn := false
	for _, r := range rows {
		row := []page.Cell{page.Label(r.label), r.cell}
		if r.scored != nil {
			row = append(row, *r.scored)
		}
		t.Rows = append(t.Rows, row)
		bars = append(bars, page.Bar{Label: r.label, Value: cellNumber(r.cell)})
		drawn = drawn || r.cell.Value != "null"
	}
	if !drawn {
		return []page.Item{{Text: fmt.Sprintf("Every %s is under the floor, so none is shown as a number or a bar.", what)}, {Table: t}}
	}
	return []page.Item{{Chart: &page.Chart{ID: id + "-" + plural, Title: title, Kind: page.Bars, XLabel: "persons", Bars: bars, Data: t}}}
}

// tierLabel names a tier by its share of the ranking.
func tierLabel(t int) string { return fmt.Sprintf("tier %d: top %d–%d %%", t, t-1, t) }

// cellNumber is a bound cell's value as a number (0 for null).
func cellNumber(c page.Cell) float64 {
	v, _ := strconv.ParseFloat(c.Value, 64)
	return v
}

// advertiserPage is a seed list's page for its advertiser: exactly what
// its JSON report holds, floored and noised alike.
func advertiserPage(a *AdvertiserReport) *page.Page {
	floored := fmt.Sprintf("floored:%d", a.Floor)
	p := &page.Page{Title: fmt.Sprintf("Seed list %s of %s", a.List, a.Advertiser), Lead: []string{
		fmt.Sprintf("Run %s. Counts of your rows are exact. Counts of persons found carry a little noise (scale %g), so that lists differing by one phone cannot tell whether it matched; those under %d are shown as \"under %d\". You never learn who is in the audience, only how many.", a.RunID, a.NoiseScale, a.Floor, a.Floor),
	}}
	funnel := &page.Table{ID: "funnel", Header: []string{"step", "rows"}, Rows: [][]page.Cell{
		{page.Label("rows submitted"), page.Bound("/rows", a.Rows, "int")},
		{page.Label("valid"), page.Bound("/valid", a.Valid, "int")},
		{page.Label("usable (distinct)"), page.Bound("/usable", a.Usable, "int")},
		{page.Label("matched"), page.Bound("/matched", a.Matched, floored)},
	}}
	var bars []page.Bar
	for _, row := range funnel.Rows {
		bars = append(bars, page.Bar{Label: row[0].Text, Value: cellNumber(row[1])})
	}
	at := func(tokens ...any) string { return page.Pointer(tokens...) }
	match := page.Section{ID: "match", Title: "How your list matched", Items: []page.Item{
		{Chart: &page.Chart{ID: "funnel", Title: "Match funnel", Kind: page.Bars, XLabel: "rows", Bars: bars, Data: funnel}},
		{Table: countsTable("by-app", "Matched on each app (a person is on several)", "app", at, "matched_by_app", a.ByApp, floored)},
		{Table: countsTable("by-convention", "Matched by form of the phone", "form", at, "matched_by_convention", a.ByConvention, floored)},
	}}
	if len(a.Rejected) > 0 {
		match.Items = append(match.Items, page.Item{Table: countsTable("rejected", "Rows rejected, by reason", "reason", at, "rejected", a.Rejected, "int")})
	}
	if a.MatchRate != nil {
		match.Items = append(match.Items, page.Item{Table: &page.Table{ID: "rate", Rows: [][]page.Cell{{page.Label("match rate"), page.Bound("/match_rate", *a.MatchRate, "pct")}}}})
	}
	if a.HashHint != "" {
		match.Items = append(match.Items, page.Item{Text: "Hashed phones: " + a.HashHint + "."})
	}
	p.Sections = append(p.Sections, match)

	if a.Model != "" {
		m := page.Section{ID: "model", Title: "How well your customers can be found", Items: []page.Item{{Text: "Model: " + a.Model + "."}, {Text: "Chosen: " + a.ModelChoice + "."}}}
		if len(a.Gains) > 0 {
			t := &page.Table{ID: "gains", Header: []string{"top % of persons", "held-out customers found (rounded down to 5 points)"}}
			var pts plotter.XYs
			for k, g := range a.Gains {
				pts = append(pts, plotter.XY{X: g.Percent, Y: g.Customers / 100})
				t.Rows = append(t.Rows, []page.Cell{page.Bound(at("gains", k, "top_percent"), g.Percent, "percent"), page.Bound(at("gains", k, "customers_percent"), g.Customers, "percent")})
			}
			m.Items = append(m.Items, page.Item{Chart: &page.Chart{ID: "gains", Title: "Your customers held out of training: how many the ranking finds at the top", Kind: page.Gains,
				XLabel: "top % of persons ranked", YLabel: "held-out customers found", Curves: []page.Curve{{Name: "held-out customers", Points: pts}}, Data: t}})
		}
		tried := &page.Table{ID: "models-tried", Caption: "Every kind of model measured on your held-out customers", Header: []string{"kind", "AUC", "in the top 10 %", ""}}
		for k, tm := range a.ModelsTried {
			mark := ""
			if tm.Chosen {
				mark = "chosen"
			}
			tried.Rows = append(tried.Rows, []page.Cell{page.Label(tm.Kind), page.Bound(at("models_tried", k, "auc"), tm.AUC, "text"),
				page.Bound(at("models_tried", k, "recall_at_10pct"), tm.Recall10, "text"), page.Label(mark)})
		}
		m.Items = append(m.Items, page.Item{Table: tried})
		if len(a.TopFeatures) > 0 {
			t := &page.Table{ID: "features", Header: []string{"feature", "weight (largest = 1)"}}
			var bars []page.Bar
			for k, f := range a.TopFeatures {
				bars = append(bars, page.Bar{Label: f.Feature, Value: f.Weight})
				t.Rows = append(t.Rows, []page.Cell{page.Label(f.Feature), page.Bound(at("top_features", k, "weight"), f.Weight, "dec2")})
			}
			m.Items = append(m.Items, page.Item{Chart: &page.Chart{ID: "features", Title: "What your customers have in common (negative: less of it than others)", Kind: page.Bars,
				XLabel: "weight, the largest 1", Bars: bars, Data: t}})
		}
		p.Sections = append(p.Sections, m)
	}

	aud := page.Section{ID: "audience", Title: "Your audience"}
	word := "delivered"
	if !a.Delivered {
		word = fmt.Sprintf("not delivered: under the minimum of %d", a.MinAudience)
	}
	aud.Items = append(aud.Items, page.Item{Table: &page.Table{ID: "audience", Header: []string{"", "persons", ""}, Rows: [][]page.Cell{
		{page.Label("audience"), page.Bound("/audience", a.Audience, floored), page.Label(word)}}}})
	if len(a.ExcludedLists) > 0 {
		aud.Items = append(aud.Items, page.Item{Table: &page.Table{ID: "excluded", Header: []string{"", "persons", ""}, Rows: [][]page.Cell{
			{page.Label("kept out: customers of " + strings.Join(a.ExcludedLists, ", ")), page.Bound("/excluded_by_lists", a.ExcludedByLists, floored), page.Label("never among these prospects")}}}})
	}
	if len(a.ByTier) > 0 {
		var rows []audienceCount
		for _, t := range slices.Sorted(maps.Keys(a.ByTier)) {
			rows = append(rows, audienceCount{label: tierLabel(t), cell: page.Bound(page.Pointer("audience_by_tier", t), a.ByTier[t], floored)})
		}
		aud.Items = append(aud.Items, audienceItems("audience", "tier", "tiers", rows)...)
	}
	if len(a.Countries) > 0 {
		aud.Items = append(aud.Items, page.Item{Text: "Target countries: " + strings.Join(a.Countries, ", ") + ". Each country's audience is the top of that country's own ranking."})
	}
	if len(a.WithheldCountries) > 0 {
		aud.Items = append(aud.Items, page.Item{Text: fmt.Sprintf("Withheld in %s: the audience there was under the minimum of %d.", strings.Join(a.WithheldCountries, ", "), a.MinAudience)})
	}
	if len(a.ByCountry) > 0 {
		var rows []audienceCount
		for _, c := range slices.Sorted(maps.Keys(a.ByCountry)) {
			rows = append(rows, audienceCount{label: c, cell: page.Bound(page.Pointer("audience_by_country", c), a.ByCountry[c], floored)})
		}
		aud.Items = append(aud.Items, audienceItems("audience", "country", "countries", rows)...)
	}
	if len(a.Distribution) > 0 {
		var bins []page.Cell
		for b, n := range a.Distribution {
			bins = append(bins, page.Bound(page.Pointer("similarity_distribution", b), n, floored))
		}
		var starts []tierStart
		for _, t := range slices.Sorted(maps.Keys(a.TierStarts)) {
			starts = append(starts, tierStart{t, page.Bound(page.Pointer("tier_similarity_starts", t), a.TierStarts[t], "dec2")})
		}
		aud.Items = append(aud.Items, page.Item{Chart: distributionChart("audience", bins, starts, "persons (everyone eligible but your customers)")})
	}
	p.Sections = append(p.Sections, aud)
	return p
}

// writePage renders p and writes it, as an output of the run, at name (an
// .html path in the output directory), its charts' PNGs in name's base +
// "_charts".
func writePage(ctx context.Context, o *outputs, name string, p *page.Page) error {
	base := strings.TrimSuffix(name, ".html")
	dir := base[strings.LastIndex(base, "/")+1:] + "_charts"
	html, images, err := page.Render(p, dir)
	if err != nil {
		return err
	}
	if err := fileio.WriteFile(ctx, o.file("page", name), func(w *bufio.Writer) error { _, err := w.Write(html); return err }); err != nil {
		return err
	}
	for _, im := range images {
		if err := fileio.WriteFile(ctx, o.file("chart", base+"_charts/"+im.Name), func(w *bufio.Writer) error { _, err := w.Write(im.PNG); return err }); err != nil {
			return err
		}
	}
	return nil
}
