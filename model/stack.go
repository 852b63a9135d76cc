package model

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// KindStack is the kind of a model KindAuto makes of several of its
// candidates when their blend ranks held-out seeds better than the
// candidate it would choose alone. It is not a kind Fit can be asked
// for: it is measured and made by KindAuto.
const KindStack Kind = "stack"

// StackPart is one model of a stack, with its weight and the mean and
// standard deviation of its scores on the population, which put every
// part on one scale.
type StackPart struct {
	Model  *Model  `json:"model"` // fitted on standardized features: no standardizer of its own
	Weight float64 `json:"weight"`
	Mean   float64 `json:"mean"`
	SD     float64 `json:"sd"`
}

// stackScore writes Σ weight·(score − mean)/sd of the parts for standardized rows z.
func stackScore(parts []StackPart, dst []float64, z *mat.Dense) error {
	clear(dst)
	tmp := make([]float64, len(dst))
	for _, p := range parts {
		if err := p.Model.scoreStandardized(tmp, z); err != nil {
			return err
		}
		for i, s := range tmp {
			dst[i] += p.Weight * (s - p.Mean) / p.SD
		}
	}
	return nil
}

// stackPicks is how many picks (with repetition) the greedy blend makes:
// a part's weight is its share of them.
const stackPicks = 10

// heldOutScores are one candidate's cross-validated scores: each row's
// score by the model fitted without its fold, standardized by that fold's
// held-out population scores, so every fold's model speaks on one scale.
type heldOutScores struct {
	seed, pop []float64
}

// fold is fold f's held-out scores (seeds first) and labels.
func (h heldOutScores) fold(seedFold, popFold []int, f int) (s, y []float64) {
	for i, g := range seedFold {
		if g == f {
			s, y = append(s, h.seed[i]), append(y, 1)
		}
	}
	for i, g := range popFold {
		if g == f {
			s, y = append(s, h.pop[i]), append(y, 0)
		}
	}
	return s, y
}

// gains is the held-out cumulative gains curve at every percent: each
// fold's, averaged over the folds as the recalls of Quality are (so it
// passes through Recall1, Recall5 and Recall10).
func (h heldOutScores) gains(seedFold, popFold []int, folds int) []GainsPoint {
	var out []GainsPoint
	for f := range folds {
		g := NewRanking(h.fold(seedFold, popFold, f)).Gains(100)
		if out == nil {
			out = make([]GainsPoint, len(g))
			for i, p := range g {
				out[i].Percent = p.Percent
			}
		}
		for i, p := range g {
			out[i].Recall += p.Recall / float64(folds)
		}
	}
	return out
}

// pooledCriterion is Criterion over all held-out rows at once: the AUC
// of the seeds' scores against the population's and the recall of the
// seeds in the top 10 % (ties shared, as NewRanking does), with one sort
// (the blend calls it a hundred times).
func pooledCriterion(seed, pop []float64) float64 {
	nPos, nNeg := float64(len(seed)), float64(len(pop))
	if nPos == 0 || nNeg == 0 {
		return Criterion(0.5, 0)
	}
	// The seeds' and the population's scores sorted apart (ascending,
	// NaN first) and walked from the top together, a group of equal
	// scores at a time; a NaN is a group of its own, the seeds' first.
	ss, ps := slices.Clone(seed), slices.Clone(pop)
	slices.Sort(ss)
	slices.Sort(ps)
	i, j := len(ss)-1, len(ps)-1
	top := float64(topCount(len(ss)+len(ps), 10))
	var found, negAbove, u, above float64
	for i >= 0 || j >= 0 {
		var p, q float64
		switch {
		case j < 0 || (i >= 0 && !math.IsNaN(ss[i]) && !below(ss[i], ps[j])):
			if v := ss[i]; math.IsNaN(v) {
				p, i = 1, i-1
			} else {
				for ; i >= 0 && ss[i] == v; i-- {
					p++
				}
				for ; j >= 0 && ps[j] == v; j-- {
					q++
				}
			}
		case i < 0 || !math.IsNaN(ps[j]):
			if v := ps[j]; math.IsNaN(v) {
				q, j = 1, j-1
			} else {
				for ; j >= 0 && ps[j] == v; j-- {
					q++
				}
			}
		default: // both NaN: the seed's first
			p, i = 1, i-1
		}
		// Each seed of the group beats the negatives below it, and ties
		// with the group's; a cut through the group takes its seeds pro
		// rata.
		u += p * (nNeg - negAbove - q + q/2)
		negAbove += q
		if in := min(top-above, p+q); in > 0 {
			found += p * in / (p + q)
		}
		above += p + q
	}
	return Criterion(u/(nPos*nNeg), found/nPos)
}

// blend chooses weights for the candidates by greedy forward selection
// with repetition (Caruana et al., 2004): stackPicks times, add the
// candidate whose addition gives the best pooled held-out criterion; keep
// the best blend seen. It returns the picks per candidate and the blend's
// criterion.
func blend(cands []heldOutScores) ([]int, float64) {
	ns, np := len(cands[0].seed), len(cands[0].pop)
	sumSeed, sumPop := make([]float64, ns), make([]float64, np)
	trySeed, tryPop := make([]float64, ns), make([]float64, np)
	picks := make([]int, len(cands))
	var best []int
	bestCrit := math.Inf(-1)
	for range stackPicks {
		pick, pickCrit := -1, math.Inf(-1)
		for c, h := range cands {
			for i := range sumSeed {
				trySeed[i] = sumSeed[i] + h.seed[i]
			}
			for i := range sumPop {
				tryPop[i] = sumPop[i] + h.pop[i]
			}
			if crit := pooledCriterion(trySeed, tryPop); crit > pickCrit {
				pick, pickCrit = c, crit
			}
		}
		picks[pick]++
		for i := range sumSeed {
			sumSeed[i] += cands[pick].seed[i]
		}
		for i := range sumPop {
			sumPop[i] += cands[pick].pop[i]
		}
		if pickCrit > bestCrit {
			best, bestCrit = slices.Clone(picks), pickCrit
		}
	}
	return best, bestCrit
}

// fitStack refits the candidates a blend picked on all rows and puts them
// on one scale by their scores on the population rows.
func fitStack(cands []candidate, picks []int, all *Dataset, set Settings, nSeeds int) (*Model, error) {
	w := shares(picks)
	var pop []int
	for i, y := range all.Y {
		if y == 0 {
			pop = append(pop, i)
		}
	}
	zp := Rows(all.X, pop)
	m := &Model{Kind: KindStack}
	shared := &fitShared{}
	for i, c := range cands {
		if picks[i] == 0 {
			continue
		}
		fs := set
		fs.Logistic.Lambda = c.lambda
		part, err := fitKind(c.kind, all, fs, nSeeds, shared)
		if err != nil {
			return nil, fmt.Errorf("model: refitting %s: %w", c, err)
		}
		s := make([]float64, len(pop))
		if err := part.scoreStandardized(s, zp); err != nil {
			return nil, err
		}
		mean, sd := meanStd(s)
		m.Parts = append(m.Parts, StackPart{Model: part, Weight: w[i], Mean: mean, SD: sd})
	}
	return m, nil
}

// stackName names a blend by its parts and their shares of the picks:
// "stack(boosted_trees 0.6, logistic(λ=0.1) 0.4)".
func stackName(cands []candidate, picks []int) string {
	w := shares(picks)
	name := "stack("
	sep := ""
	for i, c := range cands {
		if picks[i] > 0 {
			name += fmt.Sprintf("%s%s %.1f", sep, c, w[i])
			sep = ", "
		}
	}
	return name + ")"
}

// stackOf blends the candidates' held-out scores. It returns nil picks
// when the best blend is one candidate alone; otherwise the picks, and the
// blend's quality and criterion measured fold by fold like a candidate's.
func stackOf(cands []candidate, held []heldOutScores, seedFold, popFold []int, folds int) (picks []int, q Quality, perFold []float64) {
	// The blend is chosen on every held-out seed and at most estimateRows
	// population rows: a hundred sorts of a large sample would cost more
	// than the criterion's precision gains.
	rows := make([]int, len(popFold))
	for i := range rows {
		rows[i] = i
	}
	rows = spread(rows, estimateRows)
	thin := make([]heldOutScores, len(held))
	for c, h := range held {
		thin[c].seed = h.seed
		for _, i := range rows {
			thin[c].pop = append(thin[c].pop, h.pop[i])
		}
	}
	picks, _ = blend(thin)
	distinct := 0
	for _, p := range picks {
		if p > 0 {
			distinct++
		}
	}
	if distinct < 2 {
		return nil, Quality{}, nil
	}
	b := blended(held, picks)
	var aucs []float64
	for f := range folds {
		fq := qualityOf(b.fold(seedFold, popFold, f))
		aucs = append(aucs, fq.AUC)
		n := float64(folds)
		q.Recall1 += fq.Recall1 / n
		q.Recall5 += fq.Recall5 / n
		q.Recall10 += fq.Recall10 / n
		q.Lift10 += fq.Lift10 / n
		q.Criterion += Criterion(fq.AUC, fq.Recall10) / n
		perFold = append(perFold, Criterion(fq.AUC, fq.Recall10))
	}
	mean, sd := meanStd(aucs)
	q.Kind, q.Blend, q.AUC = KindStack, stackName(cands, picks), mean
	q.AUCStdErr = sd / math.Sqrt(float64(folds-1))
	return picks, q, perFold
}

// blended is the candidates' held-out scores summed with the picks'
// shares as weights, as a stack of them scores.
func blended(held []heldOutScores, picks []int) heldOutScores {
	w := shares(picks)
	b := heldOutScores{seed: make([]float64, len(held[0].seed)), pop: make([]float64, len(held[0].pop))}
	for c := range picks {
		for i, v := range held[c].seed {
			b.seed[i] += w[c] * v
		}
		for i, v := range held[c].pop {
			b.pop[i] += w[c] * v
		}
	}
	return b
}

// shares are the picks' shares of all picks: a stack's weights.
func shares(picks []int) []float64 {
	total := 0
	for _, p := range picks {
		total += p
	}
	w := make([]float64, len(picks))
	for i, p := range picks {
		w[i] = float64(p) / float64(total)
	}
	return w
}
