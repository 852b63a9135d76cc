package model

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// The metrics below rank rows by score, highest first. Rows whose scores
// tie share their positives (AUC counts a tie one half; a top-k cut through
// a tie counts its positives pro rata), so a metric is a function of the
// scores and labels alone, whatever the rows' order. A NaN score ranks below every number, and NaNs
// tie with each other. A label is positive when it is 1.

// AUC is the area under the ROC curve of score for labels: the probability
// that a random positive scores above a random negative, a tie counting one
// half (the Mann–Whitney U statistic over nPos·nNeg). It is 0.5 when either
// class is empty. The curve is gonum's (stat.ROC, every distinct score a
// cut-off), its area the trapezoidal rule's.
func AUC(score, label []float64) float64 {
	idx := order(score, false)
	y := make([]float64, len(idx))
	positive := make([]bool, len(idx))
	nPos := 0
	for i, k := range idx {
		y[i] = score[k]
		if math.IsNaN(y[i]) {
			y[i] = math.Inf(-1) // NaNs rank lowest and tie with each other
		}
		positive[i] = label[k] == 1
		if positive[i] {
			nPos++
		}
	}
	if nPos == 0 || nPos == len(y) {
		return 0.5
	}
	tpr, fpr, _ := stat.ROC(nil, y, positive, nil)
	return integrate.Trapezoidal(fpr, tpr)
}

// order returns the indices of score sorted ascending (desc false) or
// descending, ties in index order.
func order(score []float64, desc bool) []int {
	type row struct {
		s float64
		i int
	}
	rows := make([]row, len(score))
	for i, s := range score {
		rows[i] = row{s, i}
	}
	slices.SortFunc(rows, func(a, b row) int {
		c := 0
		switch {
		case below(a.s, b.s):
			c = -1
		case below(b.s, a.s):
			c = 1
		}
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.i, b.i))
	})
	idx := make([]int, len(rows))
	for k, r := range rows {
		idx[k] = r.i
	}
	return idx
}

// below orders scores with NaN lowest.
func below(a, b float64) bool {
	if math.IsNaN(a) {
		return !math.IsNaN(b)
	}
	return a < b
}

// topCount is how many rows make the top pct percent of n: round(n·pct/100).
func topCount(n int, pct float64) int {
	return int(math.Round(float64(n) * pct / 100))
}

// Ranking holds rows in score order, for the top-k metrics.
type Ranking struct {
	labels []float64 // labels in descending score order
	cum    []float64 // cum[i]: positives among the first i rows
	pos    float64
}

// NewRanking ranks labels by score, highest first. Rows that tie share
// their positives: a cut through a group of equal scores counts the
// group's positives pro rata (what a random order among them would find
// on average), so neither the row order nor a model that gives many rows
// one score (a tree with few leaves, a model that learned nothing) can
// put positives at the top.
func NewRanking(score, label []float64) *Ranking {
	idx := order(score, true)
	r := &Ranking{labels: make([]float64, len(idx)), cum: make([]float64, len(idx)+1)}
	for g := 0; g < len(idx); {
		h, pos := g, 0.0
		for ; h < len(idx) && sameScore(score[idx[h]], score[idx[g]]); h++ {
			if label[idx[h]] == 1 {
				pos++
			}
		}
		share := pos / float64(h-g)
		for i := g; i < h; i++ {
			r.labels[i] = share
			r.cum[i+1] = r.cum[i] + share
		}
		g = h
	}
	r.pos = r.cum[len(idx)]
	return r
}

// sameScore says whether two scores tie (NaNs tie with each other).
func sameScore(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// RecallAt is the share of all positives found in the top pct percent of
// rows (round(n·pct/100) rows). 0 when there is no positive.
func (r *Ranking) RecallAt(pct float64) float64 {
	if r.pos == 0 {
		return 0
	}
	return r.cum[topCount(len(r.labels), pct)] / r.pos
}

// PrecisionAt is the share of positives among the top pct percent of rows;
// 0 when that is no row.
func (r *Ranking) PrecisionAt(pct float64) float64 {
	k := topCount(len(r.labels), pct)
	if k == 0 {
		return 0
	}
	return r.cum[k] / float64(k)
}

// LiftAt is PrecisionAt(pct) over the base rate of positives: how many
// times more positives the top pct percent holds than a random pick.
func (r *Ranking) LiftAt(pct float64) float64 {
	if r.pos == 0 {
		return 0
	}
	return r.PrecisionAt(pct) / (r.pos / float64(len(r.labels)))
}

// GainsPoint is one point of the cumulative gains curve.
type GainsPoint struct {
	Percent float64 `json:"percent"` // top percent of rows
	Recall  float64 `json:"recall"`  // share of positives found there
}

// Gains is the cumulative gains curve at steps percent, 0 to 100.
func (r *Ranking) Gains(steps int) []GainsPoint {
	out := make([]GainsPoint, 0, steps+1)
	for i := 0; i <= steps; i++ {
		pct := 100 * float64(i) / float64(steps)
		out = append(out, GainsPoint{pct, r.RecallAt(pct)})
	}
	return out
}
