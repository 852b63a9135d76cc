package model

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestChooseOneStandardError: the simplest candidate within one standard
// error of the best is chosen; a candidate beyond it never is while a
// simpler one is within it; a best that beats every simpler candidate by
// more than the folds' noise is chosen.
func TestChooseOneStandardError(t *testing.T) {
	quality := func(name Kind, folds []float64) Quality {
		var s float64
		for _, v := range folds {
			s += v
		}
		return Quality{Kind: name, Criterion: s / float64(len(folds))}
	}
	// The difference between b and c is noisy across the folds (one
	// standard error of it is 0.0125); c is ahead by 0.005.
	simple := []float64{0.60, 0.62, 0.61, 0.63}
	noisy := []float64{0.64, 0.60, 0.64, 0.60}
	clear := []float64{0.70, 0.71, 0.72, 0.73}
	qs := []Quality{quality(KindMeanDiff, []float64{0.50, 0.52, 0.51, 0.53}), quality(KindCentroid, simple), quality(KindBoosted, noisy)}
	if i, why := choose(qs, [][]float64{{0.50, 0.52, 0.51, 0.53}, simple, noisy}); i != 1 || !strings.Contains(why, "within one standard error") {
		t.Errorf("chose %d (%s), want the centroid: within one standard error of the best, and simpler", i, why)
	}
	qs[2] = quality(KindBoosted, clear)
	if i, why := choose(qs, [][]float64{{0.50, 0.52, 0.51, 0.53}, simple, clear}); i != 2 {
		t.Errorf("chose %d (%s), want boosted_trees: ahead of every simpler candidate by far more than the noise", i, why)
	}
	// The best is the simplest: nothing to lean toward.
	qs = []Quality{quality(KindMeanDiff, clear), quality(KindBoosted, simple)}
	if i, _ := choose(qs, [][]float64{clear, simple}); i != 0 {
		t.Errorf("chose %d, want the best, which is also the simplest", i)
	}
}

// TestAutoFindsPlantedWinner: seeds that sit in both tails of one feature
// are invisible to every linear kind and to a centroid (their mean is the
// population's) and plain to trees; seeds shifted along a line are what
// the linear kinds see best. Auto finds the kind that wins, whatever the
// seed count.
func TestAutoFindsPlantedWinner(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	rows := func(n int, f func(x []float64) bool) *mat.Dense {
		m := mat.NewDense(n, 6, nil)
		for i := 0; i < n; {
			x := make([]float64, 6)
			for j := range x {
				x[j] = r.NormFloat64()
			}
			if f(x) {
				m.SetRow(i, x)
				i++
			}
		}
		return m
	}
	all := func([]float64) bool { return true }
	tails := func(x []float64) bool { return x[0] < -1.2 || x[0] > 1.2 }
	for _, n := range []int{100, 400} {
		_, rep, err := Fit(rows(n, tails), rows(20*n, all), nil, Settings{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Chosen != KindBoosted {
			t.Errorf("%d seeds in both tails: chose %s (%s); candidates %+v", n, rep.Chosen, rep.Why, rep.Candidates)
		}
	}
	shifted := func(x []float64) bool { return x[1]+x[2] > 1 }
	_, rep, err := Fit(rows(200, shifted), rows(4000, all), nil, Settings{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Chosen == KindBoosted || rep.Chosen == KindMultiCentroid {
		t.Errorf("seeds along a line: chose %s (%s), want a linear kind or the centroid", rep.Chosen, rep.Why)
	}
}

// TestAutoOnFewRows: a list too small to boost on is still fitted, with
// every kind that can be: boosted trees are left out, not the fit.
func TestAutoOnFewRows(t *testing.T) {
	seeds, pop := split(gaussians(60, 3, 0.2, 1, 3))
	_, rep, err := Fit(seeds, pop, nil, Settings{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Candidates {
		if c.Kind == KindBoosted {
			t.Errorf("boosted trees tried on %d rows", 60)
		}
	}
	if len(rep.Candidates) < 8 {
		t.Errorf("candidates %+v", rep.Candidates)
	}
}

// TestWithinOneSE: the test behind the one-SE rule and its second split:
// a gap the folds' spread covers on four folds can stand out on eight.
func TestWithinOneSE(t *testing.T) {
	// Fold-by-fold gaps 0.04, −0.02, 0.03, −0.01: 0.010 on average, with a
	// standard error of 0.015.
	simple := []float64{0.50, 0.54, 0.49, 0.53}
	top := []float64{0.54, 0.52, 0.52, 0.52}
	if gap, se, within := withinOneSE(simple, top); !within {
		t.Fatalf("four folds: gap %.4f, se %.4f: want within", gap, se)
	}
	// Four more folds, gaps 0.02, 0.02, 0.015, 0.025: 0.015 on average,
	// standard error 0.007.
	simple8 := append(slices.Clone(simple), 0.50, 0.51, 0.50, 0.52)
	top8 := append(slices.Clone(top), 0.52, 0.53, 0.515, 0.545)
	if gap, se, within := withinOneSE(simple8, top8); within {
		t.Errorf("eight folds: gap %.4f, se %.4f: want beyond one standard error", gap, se)
	}
}
