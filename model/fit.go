package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Settings configures Fit. The zero value fits KindAuto with default
// settings for every candidate.
type Settings struct {
	Kind     Kind             `json:"kind,omitempty"`
	Logistic LogisticSettings `json:"logistic,omitzero"`
	Fisher   FisherSettings   `json:"fisher,omitzero"`
	Boost    BoostSettings    `json:"boost,omitzero"`
	// K is the number of centroids of KindMultiCentroid; 0 chooses it from
	// the seed count (KForSeeds).
	K int `json:"k,omitempty"`
	// Shrink shrinks the seed means of the centroid kinds (see
	// CentroidSettings.Shrink).
	Shrink bool `json:"shrink,omitempty"`
	// NoWhiten measures the centroid kinds' angles and distances on
	// standardized features as they are, instead of after whitening them
	// with the population's covariance (ridge Fisher.Ridge; see
	// CentroidSettings.Whiten). Whitening is the default: on the synthetic
	// world's 200 seeds it lifts the centroid's top 10 % from 2.6× to
	// 4.0×; on bank-full it costs 0.013 AUC at 100 seeds and gains 0.008
	// at 1,000 (README, "Models").
	NoWhiten bool `json:"no_whiten,omitempty"`
	// Folds is the number of cross-validation folds that measure (and, for
	// KindAuto, choose) a model; 0 means 4.
	Folds int `json:"folds,omitempty"`
	// Seed makes the hold-out split and k-means deterministic.
	Seed uint64 `json:"seed,omitempty"`
	// Standardizer, if set, standardizes instead of one fitted on the
	// population sample: fit it on the whole population when that is at
	// hand, for steadier scales than a sample gives.
	Standardizer *Standardizer `json:"-"`
}

// fitKind fits one concrete kind on a standardized dataset.
func fitKind(kind Kind, z *Dataset, set Settings, nSeeds int) (*Model, error) {
	m := &Model{Kind: kind}
	var err error
	switch kind {
	case KindLogistic:
		var fr FitResult
		m.Logistic, fr, err = FitLogistic(z, set.Logistic)
		m.Fit = &fr
	case KindFisher:
		m.Logistic, err = FitFisher(z, set.Fisher)
	case KindMeanDiff:
		// Standardized on the population: its mean is 0, exactly.
		_, c := z.X.Dims()
		m.Logistic, err = FitMeanDifference(z, make([]float64, c))
	case KindBoosted:
		bs := set.Boost
		if bs.Seed == 0 {
			bs.Seed = set.Seed
		}
		m.Boosted, err = FitBoosted(z, bs)
	case KindCentroid:
		m.Centroid, err = FitCentroid(z, CentroidSettings{Mode: CosineMode, Shrink: set.Shrink, Whiten: !set.NoWhiten, Ridge: set.Fisher.Ridge})
	case KindContrast:
		m.Centroid, err = FitCentroid(z, CentroidSettings{Mode: ContrastMode, Shrink: set.Shrink, Whiten: !set.NoWhiten, Ridge: set.Fisher.Ridge})
	case KindMultiCentroid:
		k := set.K
		if k == 0 {
			k = KForSeeds(nSeeds)
		}
		m.Centroid, err = FitCentroid(z, CentroidSettings{Mode: CosineMode, K: k, Seed: set.Seed, Whiten: !set.NoWhiten, Ridge: set.Fisher.Ridge})
	case KindEnsemble:
		var fr FitResult
		m.Logistic, fr, err = FitLogistic(z, set.Logistic)
		m.Fit = &fr
		if err == nil {
			m.Centroid, err = FitCentroid(z, CentroidSettings{Mode: ContrastMode, Shrink: set.Shrink, Whiten: !set.NoWhiten, Ridge: set.Fisher.Ridge})
		}
		if err == nil {
			m.Blend, err = blendStats(m, z)
		}
	default:
		return nil, fmt.Errorf("model: kind %q, want one of %v", kind, Kinds)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// candidate is one model configuration that Fit can try.
type candidate struct {
	kind   Kind
	lambda float64 // logistic kinds: the L2 penalty (0: 1/n)
}

func (c candidate) String() string {
	if c.kind == KindLogistic && c.lambda != 0 {
		return fmt.Sprintf("%s(λ=%g)", c.kind, c.lambda)
	}
	return string(c.kind)
}

// minBoostSeeds is the fewest training seeds auto tries boosted trees on:
// below that, trees learn the seeds rather than what they share (on the
// bank data they trail the linear models at 100 and 500 seeds).
const minBoostSeeds = 300

// autoCandidates are the configurations KindAuto tries, simplest first (the
// order breaks ties). The seeds' mean difference from the
// population is the steadiest direction a small seed list can give; a
// logistic regression with a smaller and smaller penalty lets a larger seed
// list weigh correlated features against each other.
func autoCandidates(nSeeds int) []candidate {
	c := []candidate{
		{KindMeanDiff, 0},
		{KindLogistic, 1},
		{KindLogistic, 0.1},
		{KindLogistic, 0.01},
		{KindLogistic, 0.001},
		{KindLogistic, 0},
	}
	if KForSeeds(nSeeds) > 1 {
		c = append(c, candidate{KindMultiCentroid, 0})
	}
	if nSeeds >= minBoostSeeds {
		c = append(c, candidate{KindBoosted, 0})
	}
	return c
}

// Fit fits a lookalike model of seeds (positives, weighted by seedWeight
// when it is not nil) against a population sample, both raw feature rows.
// The standardizer is Settings.Standardizer, or one fitted on the
// population sample: it stands for the people who will be scored.
//
// Every candidate (the one kind asked for, or the auto candidates) is
// measured by cross-validation: the seeds and the population are split
// into Settings.Folds folds, and each fold is scored by a model fitted on
// the others. That gives the Report. KindAuto picks the candidate with the
// best mean held-out AUC. The returned model is the chosen configuration
// refitted on all rows.
func Fit(seeds, population *mat.Dense, seedWeight []float64, set Settings) (*Model, *Report, error) {
	ns, _ := seeds.Dims()
	np, _ := population.Dims()
	folds := set.Folds
	if folds == 0 {
		folds = 4
	}
	if folds < 2 {
		return nil, nil, fmt.Errorf("model: %d folds, want at least 2", folds)
	}
	folds = min(folds, ns, np)
	if folds < 2 {
		return nil, nil, fmt.Errorf("%w: %d seeds and %d population rows; need at least 2 of each", ErrEmpty, ns, np)
	}
	kind := set.Kind
	if kind == "" {
		kind = KindAuto
	}
	if !slices.Contains(Kinds, kind) {
		return nil, nil, fmt.Errorf("model: kind %q, want one of %v", kind, Kinds)
	}
	for _, part := range []struct {
		name string
		x    *mat.Dense
	}{{"seed", seeds}, {"population", population}} {
		if err := checkFinite(part.name, part.x); err != nil {
			return nil, nil, err
		}
	}
	std := set.Standardizer
	if std == nil {
		var err error
		if std, err = FitStandardizer(population, nil); err != nil {
			return nil, nil, err
		}
	}
	zs, err := std.Standardize(seeds)
	if err != nil {
		return nil, nil, err
	}
	zp, err := std.Standardize(population)
	if err != nil {
		return nil, nil, err
	}

	candidates := []candidate{{kind, set.Logistic.Lambda}}
	if kind == KindAuto {
		candidates = autoCandidates(ns * (folds - 1) / folds)
	}
	seedFold := foldsOf(ns, folds, set.Seed)
	popFold := foldsOf(np, folds, set.Seed+1)
	rep := &Report{Seeds: ns, Population: np, Folds: folds}
	for _, c := range candidates {
		q, err := crossValidate(c, zs, zp, seedWeight, seedFold, popFold, folds, set)
		if err != nil {
			return nil, nil, err
		}
		rep.Candidates = append(rep.Candidates, q)
	}
	// The best mean AUC; the candidates' order (simplest first) breaks ties.
	chosen := 0
	for i, q := range rep.Candidates {
		if q.AUC > rep.Candidates[chosen].AUC {
			chosen = i
		}
	}
	c := candidates[chosen]
	rep.Chosen = c.kind
	rep.HeldOut = rep.Candidates[chosen]

	all, err := NewPUDataset(zs, zp, seedWeight)
	if err != nil {
		return nil, nil, err
	}
	fs := set
	fs.Logistic.Lambda = c.lambda
	final, err := fitKind(c.kind, all, fs, ns)
	if err != nil {
		return nil, nil, fmt.Errorf("model: refitting %s: %w", c, err)
	}
	final.Standardizer = std
	rep.finish(final)
	return final, rep, nil
}

// ErrNotFinite is returned for NaN or infinite feature values.
var ErrNotFinite = errors.New("model: feature value is not a finite number")

func checkFinite(name string, x *mat.Dense) error {
	r, _ := x.Dims()
	for i := range r {
		for j, v := range x.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: %s row %d, feature %d is %v", ErrNotFinite, name, i, j, v)
			}
		}
	}
	return nil
}

// foldsOf assigns n rows to folds at random, as a function of seed: each
// fold gets n/folds rows, give or take one.
func foldsOf(n, folds int, seed uint64) []int {
	perm := rand.New(rand.NewPCG(seed, 0xf01d)).Perm(n)
	f := make([]int, n)
	for rank, i := range perm {
		f[i] = rank % folds
	}
	return f
}

// crossValidate fits c on all folds but one and measures it on that one,
// for each fold, and averages.
func crossValidate(c candidate, zs, zp *mat.Dense, seedWeight []float64, seedFold, popFold []int, folds int, set Settings) (Quality, error) {
	var aucs []float64
	var q Quality
	for f := range folds {
		var sTrain, sHeld, pTrain, pHeld []int
		for i, g := range seedFold {
			if g == f {
				sHeld = append(sHeld, i)
			} else {
				sTrain = append(sTrain, i)
			}
		}
		for i, g := range popFold {
			if g == f {
				pHeld = append(pHeld, i)
			} else {
				pTrain = append(pTrain, i)
			}
		}
		var w []float64
		if seedWeight != nil {
			for _, i := range sTrain {
				w = append(w, seedWeight[i])
			}
		}
		train, err := NewPUDataset(Rows(zs, sTrain), Rows(zp, pTrain), w)
		if err != nil {
			return Quality{}, err
		}
		held, err := NewPUDataset(Rows(zs, sHeld), Rows(zp, pHeld), nil)
		if err != nil {
			return Quality{}, err
		}
		fs := set
		fs.Logistic.Lambda = c.lambda
		m, err := fitKind(c.kind, train, fs, len(sTrain))
		if err != nil {
			return Quality{}, fmt.Errorf("model: fitting %s: %w", c, err)
		}
		fq, err := evaluateHeldOut(m, held)
		if err != nil {
			return Quality{}, err
		}
		aucs = append(aucs, fq.AUC)
		q.Recall1 += fq.Recall1 / float64(folds)
		q.Recall5 += fq.Recall5 / float64(folds)
		q.Recall10 += fq.Recall10 / float64(folds)
		q.Lift10 += fq.Lift10 / float64(folds)
	}
	mean, std := stat.PopMeanStdDev(aucs, nil)
	q.Kind, q.Lambda, q.AUC = c.kind, c.lambda, mean
	q.AUCStdErr = std / math.Sqrt(float64(folds-1))
	return q, nil
}

// evaluateHeldOut measures a model on held-out standardized rows.
func evaluateHeldOut(m *Model, held *Dataset) (Quality, error) {
	r, _ := held.X.Dims()
	s := make([]float64, r)
	if err := m.scoreStandardized(s, held.X); err != nil {
		return Quality{}, err
	}
	rank := NewRanking(s, held.Y)
	return Quality{
		AUC:      AUC(s, held.Y),
		Recall1:  rank.RecallAt(1),
		Recall5:  rank.RecallAt(5),
		Recall10: rank.RecallAt(10),
		Lift10:   rank.LiftAt(10),
	}, nil
}

// blendStats measures the spread of the two ensemble scores on the
// population rows, so neither dominates by its scale.
func blendStats(m *Model, z *Dataset) ([]float64, error) {
	var pop []int
	for i, y := range z.Y {
		if y == 0 {
			pop = append(pop, i)
		}
	}
	zp := Rows(z.X, pop)
	a, b := make([]float64, len(pop)), make([]float64, len(pop))
	if err := m.Logistic.Score(a, zp); err != nil {
		return nil, err
	}
	if err := m.Centroid.Score(b, zp); err != nil {
		return nil, err
	}
	ma, sa := meanStd(a)
	mb, sb := meanStd(b)
	return []float64{ma, sa, mb, sb}, nil
}

func meanStd(x []float64) (float64, float64) {
	m := floats.Sum(x) / float64(len(x))
	var s float64
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	sd := math.Sqrt(s / float64(len(x)))
	if sd == 0 {
		sd = 1
	}
	return m, sd
}
