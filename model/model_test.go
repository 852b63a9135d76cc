package model

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

func split(d *Dataset) (seeds, pop *mat.Dense) {
	var s, p []int
	for i, y := range d.Y {
		if y == 1 {
			s = append(s, i)
		} else {
			p = append(p, i)
		}
	}
	return Rows(d.X, s), Rows(d.X, p)
}

func TestFitAutoAndReport(t *testing.T) {
	d := gaussians(6000, 8, 0.1, 1.2, 11)
	seeds, pop := split(d)
	m, rep, err := Fit(seeds, pop, nil, Settings{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Chosen == "" || m.Kind != rep.Chosen || len(rep.Candidates) < 5 {
		t.Fatalf("report %+v", rep)
	}
	for _, c := range rep.Candidates {
		if c.Criterion > rep.HeldOut.Criterion+0.02 {
			t.Errorf("chose %s at criterion %v but %s had %v (%s)", rep.Chosen, rep.HeldOut.Criterion, c.Name(), c.Criterion, rep.Why)
		}
	}
	if !rep.Predictive || rep.HeldOut.AUC < 0.75 || !strings.HasPrefix(rep.Verdict, "predictive") {
		t.Errorf("a clear signal: %+v", rep)
	}
	if rep.TopFeatures[0].Index != 0 && rep.TopFeatures[0].Index != 1 {
		t.Errorf("top feature %+v, want one of the planted two", rep.TopFeatures[0])
	}
	// The gains curve is the held-out one: it runs from 0 to every seed,
	// never falls, and passes through the held-out recalls.
	g := rep.Gains
	if len(g) != 101 || g[0].Recall != 0 || math.Abs(g[100].Recall-1) > 1e-12 {
		t.Fatalf("gains %v", g)
	}
	for i := 1; i < len(g); i++ {
		if g[i].Percent != float64(i) || g[i].Recall < g[i-1].Recall-1e-12 {
			t.Fatalf("gains at %d: %v after %v", i, g[i], g[i-1])
		}
	}
	if g[1].Recall != rep.HeldOut.Recall1 || g[5].Recall != rep.HeldOut.Recall5 || g[10].Recall != rep.HeldOut.Recall10 {
		t.Errorf("gains at 1, 5, 10 %%: %v %v %v, held out %+v", g[1], g[5], g[10], rep.HeldOut)
	}
	// Scores of the raw rows: seeds rank high.
	s := make([]float64, 6000)
	if err := m.Score(s, d.X); err != nil {
		t.Fatal(err)
	}
	if AUC(s, d.Y) < 0.75 {
		t.Errorf("AUC %v", AUC(s, d.Y))
	}
}

func TestFitEveryKindScoresConsistently(t *testing.T) {
	d := gaussians(3000, 5, 0.2, 1, 12)
	seeds, pop := split(d)
	for _, k := range Kinds {
		m, _, err := Fit(seeds, pop, nil, Settings{Kind: k, Seed: 2})
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		// The fast raw-row path equals standardizing first.
		fast := make([]float64, 3000)
		if err := m.Score(fast, d.X); err != nil {
			t.Fatal(err)
		}
		z, _ := m.Standardizer.Standardize(d.X)
		slow := make([]float64, 3000)
		if err := m.scoreStandardized(slow, z); err != nil {
			t.Fatal(err)
		}
		for i := range fast {
			if math.Abs(fast[i]-slow[i]) > 1e-9*math.Max(1, math.Abs(slow[i])) {
				t.Fatalf("%s row %d: %v vs %v", k, i, fast[i], slow[i])
			}
		}
	}
}

func TestNotPredictive(t *testing.T) {
	// Seeds drawn like everybody else: nothing to learn.
	d := gaussians(4000, 6, 0.1, 0, 13)
	seeds, pop := split(d)
	_, rep, err := Fit(seeds, pop, nil, Settings{Kind: KindLogistic, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Predictive || !strings.Contains(rep.Verdict, "not predictive") {
		t.Errorf("random seeds: %+v", rep)
	}
}

func TestFitValueWeights(t *testing.T) {
	// Two kinds of seeds; the valuable kind should pull the model.
	d := gaussians(4000, 4, 0, 0, 14)
	seeds := mat.NewDense(200, 4, nil)
	w := make([]float64, 200)
	for i := range 200 {
		row := seeds.RawRowView(i)
		copy(row, d.X.RawRowView(i))
		if i%2 == 0 {
			row[0] += 2
			w[i] = 10
		} else {
			row[1] += 2
			w[i] = 0.1
		}
	}
	m, _, err := Fit(seeds, d.X, w, Settings{Kind: KindLogistic, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m.Logistic.Weights[0] <= 2*m.Logistic.Weights[1] {
		t.Errorf("weights %v: the valuable seeds' feature should dominate", m.Logistic.Weights)
	}
}

func TestFitErrors(t *testing.T) {
	x := mat.NewDense(10, 2, nil)
	if _, _, err := Fit(mat.NewDense(1, 2, nil), x, nil, Settings{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("one seed: %v", err)
	}
	if _, _, err := Fit(mat.NewDense(5, 3, nil), x, nil, Settings{}); err == nil {
		t.Error("feature count mismatch accepted")
	}
	if _, _, err := Fit(mat.NewDense(5, 2, nil), x, nil, Settings{Kind: "forest"}); err == nil {
		t.Error("unknown kind accepted")
	}
	bad := mat.NewDense(5, 2, nil)
	bad.Set(3, 1, math.Inf(1))
	if _, _, err := Fit(bad, x, nil, Settings{}); !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), "seed row 3, feature 1") {
		t.Errorf("infinite feature: %v", err)
	}
}

func TestArtifactRoundTrip(t *testing.T) {
	d := gaussians(2000, 3, 0.2, 1, 15)
	seeds, pop := split(d)
	names := []string{"a", "b", "c"}
	for _, k := range []Kind{KindLogistic, KindContrast, KindEnsemble, KindMultiCentroid, KindBoosted, KindMeanDiff} {
		m, rep, err := Fit(seeds, pop, nil, Settings{Kind: k, K: 2})
		if err != nil {
			t.Fatal(err)
		}
		a, err := NewArtifact(m, rep, "v1-abc", names, "run-1", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := a.Write(&buf); err != nil {
			t.Fatal(err)
		}
		b, err := Load(bytes.NewReader(buf.Bytes()), "v1-abc", names)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		s1, s2 := make([]float64, 2000), make([]float64, 2000)
		m.Score(s1, d.X)
		b.Model.Score(s2, d.X)
		for i := range s1 {
			if s1[i] != s2[i] {
				t.Fatalf("%s: loaded model scores row %d %v, original %v", k, i, s2[i], s1[i])
			}
		}
		// Refusals.
		if _, err := Load(bytes.NewReader(buf.Bytes()), "v2-def", names); !errors.Is(err, ErrSchemaMismatch) {
			t.Errorf("schema version: %v", err)
		}
		if _, err := Load(bytes.NewReader(buf.Bytes()), "", []string{"a", "c", "b"}); !errors.Is(err, ErrSchemaMismatch) || !strings.Contains(err.Error(), "feature 1") {
			t.Errorf("feature order: %v", err)
		}
		if _, err := Load(bytes.NewReader(buf.Bytes()), "", names[:2]); !errors.Is(err, ErrSchemaMismatch) {
			t.Errorf("feature count: %v", err)
		}
		bumped := strings.Replace(buf.String(), fmt.Sprintf(`"artifact_version": %d`, ArtifactVersion), fmt.Sprintf(`"artifact_version": %d`, ArtifactVersion+1), 1)
		if _, err := Load(strings.NewReader(bumped), "", names); !errors.Is(err, ErrArtifactVersion) {
			t.Errorf("version: %v", err)
		}
		// Version 2, before shaping: read as it is when the model is not
		// shaped.
		if m.Shaping == nil {
			v2 := strings.Replace(buf.String(), fmt.Sprintf(`"artifact_version": %d`, ArtifactVersion), `"artifact_version": 2`, 1)
			if _, err := Load(strings.NewReader(v2), "", names); err != nil {
				t.Errorf("version 2: %v", err)
			}
		}
	}
	m, rep, _ := Fit(seeds, pop, nil, Settings{Kind: KindLogistic})
	m.Logistic.Weights[1] = math.NaN()
	if _, err := NewArtifact(m, rep, "v", names, "", time.Now()); !errors.Is(err, ErrBadParameters) {
		t.Errorf("NaN weight: %v", err)
	}
	m.Logistic.Weights[1] = 0
	m.Standardizer.Scale[0] = 0
	if _, err := NewArtifact(m, rep, "v", names, "", time.Now()); !errors.Is(err, ErrBadParameters) {
		t.Errorf("zero scale: %v", err)
	}
	if _, err := Load(strings.NewReader(`{"artifact_version":1,"model":{"logistic":{"weights":[1e999]}}}`), "", nil); err == nil {
		t.Error("an infinite literal accepted")
	}
}

// TestFitMaxRows: above Settings.MaxRows, Fit keeps every seed (up to half
// the rows) and an evenly spread part of the population, with the seeds'
// weights, says so in its report, and still finds the signal.
func TestFitMaxRows(t *testing.T) {
	d := gaussians(5000, 8, 0.1, 1.2, 11)
	seeds, pop := split(d)
	ns, _ := seeds.Dims()
	np, _ := pop.Dims()
	m, rep, err := Fit(seeds, pop, nil, Settings{Seed: 1, Kind: KindLogistic, MaxRows: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Seeds != ns || rep.Population != 2000-ns || rep.SeedsGiven != ns || rep.PopulationGiven != np {
		t.Errorf("learned from %d seeds and %d population rows (given %d, %d), want %d and %d", rep.Seeds, rep.Population, rep.SeedsGiven, rep.PopulationGiven, ns, 2000-ns)
	}
	s := make([]float64, 5000)
	if err := m.Score(s, d.X); err != nil {
		t.Fatal(err)
	}
	if AUC(s, d.Y) < 0.75 {
		t.Errorf("AUC %v after thinning", AUC(s, d.Y))
	}
	// Under the budget, nothing is thinned.
	if _, rep, _ := Fit(seeds, pop, nil, Settings{Seed: 1, Kind: KindLogistic}); rep.Population != np || rep.PopulationGiven != 0 {
		t.Errorf("thinned under the budget: %+v", rep)
	}
	// More seeds than half the budget: half are seeds, weights follow.
	w := make([]float64, ns)
	for i := range w {
		w[i] = float64(i)
	}
	ts, tp, tw := thin(seeds, pop, w, 200)
	if r, _ := ts.Dims(); r != 100 || len(tw) != 100 || tw[1] != float64(ns/100) {
		t.Errorf("thinned seeds %d, weights %d (%v)", r, len(tw), tw[:2])
	}
	if r, _ := tp.Dims(); r != 100 {
		t.Errorf("thinned population %d", r)
	}
}
