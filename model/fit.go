package model

import (
	"cmp"
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
	// MaxRows is the most rows Fit learns from; 0 means DefaultMaxRows.
	// Above it, Fit keeps the seeds (at most half the rows) and thins the
	// population evenly to the rest, so its memory and time stay bounded
	// whatever the population given.
	MaxRows int `json:"max_rows,omitempty"`
	// Standardizer, if set, standardizes instead of one fitted on the
	// population sample: fit it on the whole population when that is at
	// hand, for steadier scales than a sample gives.
	Standardizer *Standardizer `json:"-"`
	// NoShaping keeps KindAuto to the features as given: by default it
	// also measures its cheap kinds on the features shaped (Shaping).
	NoShaping bool `json:"no_shaping,omitempty"`
}

// fitShared is what the kinds fitted on one dataset can share: the
// whitening of the centroid kinds (by ridge), the dataset whitened, and
// a logistic regression's solution for the next penalty to start from.
type fitShared struct {
	ridge    float64
	whitener []float64
	whitened *Dataset
	// logistic is the last logistic regression fitted (weights, then the
	// bias): the next penalty starts from it.
	logistic []float64
	// heldWhitened are the held-out rows whitened with whitener, for
	// the kinds that whiten (computed once for them all).
	heldWhitened *mat.Dense
}

// scoreHeld writes m's scores of the held-out rows into s: a kind that
// whitens with the shared whitening scores the rows whitened once for
// every such kind, the others score held itself.
func (sh *fitShared) scoreHeld(m *Model, held *Dataset, s []float64) error {
	c := m.Centroid
	if sh == nil || c == nil || m.Kind == KindEnsemble || len(c.Whitener) == 0 || len(sh.whitener) == 0 || &c.Whitener[0] != &sh.whitener[0] {
		return m.scoreStandardized(s, held.X)
	}
	if sh.heldWhitened == nil {
		sh.heldWhitened = c.whiten(held).X
	}
	c.scoreWhitened(s, sh.heldWhitened)
	return nil
}

// whiten returns the whitening of z's population rows and z whitened,
// computed once; nil for a nil fitShared (each fit computes its own).
func (sh *fitShared) whiten(z *Dataset, ridge float64) ([]float64, *Dataset, error) {
	if sh == nil {
		return nil, nil, nil
	}
	if sh.whitener == nil || sh.ridge != ridge {
		_, pop := z.byLabel()
		w, err := whitener(z, pop, ridge)
		if err != nil {
			return nil, nil, err
		}
		sh.whitener, sh.ridge = w, ridge
		sh.whitened = (&Centroid{Whitener: w}).whiten(z)
		sh.heldWhitened = nil
	}
	return sh.whitener, sh.whitened, nil
}

// fitKind fits one concrete kind on a standardized dataset; shared (nil:
// nothing) carries what kinds fitted on the same dataset share.
func fitKind(kind Kind, z *Dataset, set Settings, nSeeds int, shared *fitShared) (*Model, error) {
	m := &Model{Kind: kind}
	var err error
	centroid := func(cs CentroidSettings) (*Centroid, error) {
		cs.Whiten, cs.Ridge = !set.NoWhiten, set.Fisher.Ridge
		if cs.Whiten {
			if cs.whitener, cs.whitened, err = shared.whiten(z, cs.Ridge); err != nil {
				return nil, err
			}
		}
		return FitCentroid(z, cs)
	}
	switch kind {
	case KindLogistic:
		var fr FitResult
		ls := set.Logistic
		if shared != nil {
			ls.start = shared.logistic
		}
		m.Logistic, fr, err = FitLogistic(z, ls)
		m.Fit = &fr
		if err == nil && shared != nil {
			shared.logistic = append(slices.Clone(m.Logistic.Weights), m.Logistic.Bias)
		}
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
		m.Centroid, err = centroid(CentroidSettings{Mode: CosineMode, Shrink: set.Shrink})
	case KindContrast:
		m.Centroid, err = centroid(CentroidSettings{Mode: ContrastMode, Shrink: set.Shrink})
	case KindMultiCentroid:
		k := set.K
		if k == 0 {
			k = KForSeeds(nSeeds)
		}
		m.Centroid, err = centroid(CentroidSettings{Mode: CosineMode, K: k, Seed: set.Seed})
	case KindEnsemble:
		var fr FitResult
		m.Logistic, fr, err = FitLogistic(z, set.Logistic)
		m.Fit = &fr
		if err == nil {
			m.Centroid, err = centroid(CentroidSettings{Mode: ContrastMode, Shrink: set.Shrink})
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
	shaped bool    // fitted on the features shaped (Shaping)
}

func (c candidate) String() string {
	name := string(c.kind)
	if c.kind == KindLogistic && c.lambda != 0 {
		name = fmt.Sprintf("%s(λ=%g)", c.kind, c.lambda)
	}
	if c.shaped {
		name += "+shaped"
	}
	return name
}

// autoCandidates are the configurations KindAuto tries, simplest first:
// the order the one-standard-error rule (choose) leans toward. The
// seeds' mean difference from the population is the steadiest direction a
// small seed list can give; the centroid kinds measure resemblance to the
// seeds as a whole; a logistic regression with a smaller and smaller
// penalty lets a larger seed list weigh correlated features against each
// other; several centroids and boosted trees find seeds of more than one
// kind and effects that are not linear. Every kind is tried at every seed
// count: the measurement, not a threshold, decides (multi_centroid only
// when the seeds give more than one centroid — with one it is centroid —
// and boosted trees only when a fold's training rows can hold a split).
func autoCandidates(nSeeds, nRows int, boost BoostSettings) []candidate {
	c := []candidate{
		{kind: KindMeanDiff},
		{kind: KindCentroid},
		{kind: KindContrast},
		{kind: KindLogistic, lambda: 1},
		{kind: KindLogistic, lambda: 0.1},
		{kind: KindLogistic, lambda: 0.01},
		{kind: KindLogistic, lambda: 0.001},
		{kind: KindLogistic},
	}
	if KForSeeds(nSeeds) > 1 {
		c = append(c, candidate{kind: KindMultiCentroid})
	}
	// Boosting holds out about a tenth of its rows, drawn at random, and
	// needs two leaves' worth in the rest: twice that, so a draw never
	// falls short.
	if min := boost.withDefaults().MinLeaf; nRows >= 4*min {
		c = append(c, candidate{kind: KindBoosted})
	}
	return c
}

// shapedCandidates are the candidates KindAuto measures on the shaped
// features once it has measured those on the features as given (cands,
// of qualities qs): the mean difference, which costs nothing, and the
// logistic regression of the penalty that did best. (The centroid kinds
// shaped cost a whitening of every fold's rows, a quarter more time for
// auto on Adult, and were never chosen on bank-full or Adult.)
// They come after every candidate as given, so the one-standard-error
// rule keeps a shaping only when it beats them all by more than the
// folds' noise.
func shapedCandidates(cands []candidate, qs []Quality) []candidate {
	out := []candidate{{kind: KindMeanDiff, shaped: true}}
	best := -1
	for i, c := range cands {
		if c.kind == KindLogistic && (best < 0 || qs[i].Criterion > qs[best].Criterion) {
			best = i
		}
	}
	if best >= 0 {
		out = append(out, candidate{kind: KindLogistic, lambda: cands[best].lambda, shaped: true})
	}
	return out
}

// Criterion is what KindAuto ranks candidates by, per held-out fold: the
// mean of the AUC (the whole ranking) and the recall of held-out seeds in
// the top 10 % (the part of the ranking an advertiser buys).
func Criterion(auc, recall10 float64) float64 { return (auc + recall10) / 2 }

// choose returns the index of the candidate KindAuto picks among qs
// (simplest first) and why: the simplest whose mean criterion is within
// one standard error of the best one's, the standard error being that of
// its per-fold difference from the best (the folds are shared, so the
// difference is measured more sharply than either mean). A more complex
// kind must beat every simpler one by more than the folds' noise.
func choose(qs []Quality, perFold [][]float64) (int, string) {
	best := bestOf(qs)
	for i := range best {
		se := diffStdErr(perFold[best], perFold[i])
		if qs[best].Criterion-qs[i].Criterion <= se {
			return i, fmt.Sprintf("the simplest candidate within one standard error (%.4f) of the best criterion, %s's %.4f: %.4f",
				se, qs[best].Name(), qs[best].Criterion, qs[i].Criterion)
		}
	}
	return best, fmt.Sprintf("the best criterion, %.4f, more than one standard error above every simpler candidate", qs[best].Criterion)
}

// withinOneSE says whether a simpler candidate's criterion, fold by fold
// (simple), is within one standard error of the best's (top): the mean
// gap, the standard error of the fold-by-fold difference.
func withinOneSE(simple, top []float64) (gap, se float64, within bool) {
	gap = (floats.Sum(top) - floats.Sum(simple)) / float64(len(top))
	se = diffStdErr(top, simple)
	return gap, se, gap <= se
}

// bestOf is the candidate of the highest criterion (the first of equals).
func bestOf(qs []Quality) int {
	best := 0
	for i, q := range qs {
		if q.Criterion > qs[best].Criterion {
			best = i
		}
	}
	return best
}

// diffStdErr is the standard error of the mean of a − b, fold by fold.
func diffStdErr(a, b []float64) float64 {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	_, sd := stat.PopMeanStdDev(d, nil)
	return sd / math.Sqrt(float64(len(d)-1))
}

// Fit fits a lookalike model of seeds (positives, weighted by seedWeight
// when it is not nil) against a population sample, both raw feature rows.
// The standardizer is Settings.Standardizer, or one fitted on the
// population sample: it stands for the people who will be scored.
//
// Every candidate (the one kind asked for, or the auto candidates) is
// measured by cross-validation: the seeds and the population are split
// into Settings.Folds folds, and each fold is scored by a model fitted on
// the others. That gives the Report. KindAuto picks the simplest candidate
// whose held-out criterion (Criterion: AUC and recall in the top 10 %) is
// within one standard error of the best (Report.Why says which and why).
// The returned model is the chosen configuration refitted on all rows.
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
	givenSeeds, givenPop := ns, np
	seeds, population, seedWeight = thin(seeds, population, seedWeight, cmp.Or(set.MaxRows, DefaultMaxRows))
	ns, _ = seeds.Dims()
	np, _ = population.Dims()
	folds = min(folds, ns, np)
	zs, err := std.Standardize(seeds)
	if err != nil {
		return nil, nil, err
	}
	zp, err := std.Standardize(population)
	if err != nil {
		return nil, nil, err
	}

	candidates := []candidate{{kind: kind, lambda: set.Logistic.Lambda}}
	if kind == KindAuto {
		candidates = autoCandidates(ns*(folds-1)/folds, (ns+np)*(folds-1)/folds, set.Boost)
	}
	seedFold := foldsOf(ns, folds, set.Seed)
	popFold := foldsOf(np, folds, set.Seed+1)
	rep := &Report{Seeds: ns, Population: np, Folds: folds}
	if ns < givenSeeds || np < givenPop {
		rep.SeedsGiven, rep.PopulationGiven = givenSeeds, givenPop
	}
	data := cvData{zs: zs, zp: zp, seedWeight: seedWeight}
	var shaped *shapedFit
	if kind == KindAuto && !set.NoShaping {
		if shaped, err = shapeData(&data, seeds, population); err != nil {
			return nil, nil, err
		}
	}
	qs, perFold, held, err := crossValidate(candidates, data, seedFold, popFold, folds, set)
	if err != nil {
		return nil, nil, err
	}
	given := len(candidates)
	if shaped != nil {
		more := shapedCandidates(candidates, qs)
		q2, c2, h2, err := crossValidate(more, data, seedFold, popFold, folds, set)
		if err != nil {
			return nil, nil, err
		}
		candidates, qs, perFold, held = append(candidates, more...), append(qs, q2...), append(perFold, c2...), append(held, h2...)
	}
	rep.Candidates = qs
	chosen := 0
	var picks []int
	if kind == KindAuto {
		// The second split into folds on which a choice is measured
		// again: each candidate once, however many choices it is in.
		second := map[candidate][]float64{}
		again := func(a, b candidate) ([][]float64, error) {
			var todo []candidate
			for _, c := range []candidate{a, b} {
				if _, ok := second[c]; !ok {
					todo = append(todo, c)
				}
			}
			if len(todo) > 0 {
				_, crit, _, err := crossValidate(todo, data, foldsOf(ns, folds, set.Seed+101), foldsOf(np, folds, set.Seed+102), folds, set)
				if err != nil {
					return nil, err
				}
				for i, c := range todo {
					second[c] = crit[i]
				}
			}
			return [][]float64{second[a], second[b]}, nil
		}
		// pick chooses among the first n candidates.
		pick := func(n int) (int, string, error) {
			chosen, why := choose(qs[:n], perFold[:n])
			best := bestOf(qs[:n])
			if best == chosen {
				return chosen, why, nil
			}
			// A simpler candidate within one standard error of the best:
			// the two are measured again on another split into folds,
			// and the simpler one kept only if it stays within one
			// standard error over both splits.
			crit2, err := again(candidates[chosen], candidates[best])
			if err != nil {
				return 0, "", err
			}
			if gap, se, within := withinOneSE(append(slices.Clone(perFold[chosen]), crit2[0]...), append(slices.Clone(perFold[best]), crit2[1]...)); !within {
				return best, fmt.Sprintf("the best criterion, %s's: %s was within one standard error of it on one split into folds, but not over two (%.4f above it, standard error %.4f)",
					qs[best].Name(), qs[chosen].Name(), gap, se), nil
			}
			return chosen, why, nil
		}
		if chosen, rep.Why, err = pick(given); err != nil {
			return nil, nil, err
		}
		if shaped != nil && candidates[bestOf(qs)].shaped {
			// Only a shaped best can be picked among all (they come
			// last). It must also beat its own kind on the features as
			// given by more than one standard error over both splits:
			// among many close candidates the best of one split is often
			// best by chance.
			c, why, err := pick(len(candidates))
			if err != nil {
				return nil, nil, err
			}
			if candidates[c].shaped {
				plain := slices.Index(candidates[:given], candidate{kind: candidates[c].kind, lambda: candidates[c].lambda})
				crit2, err := again(candidates[plain], candidates[c])
				if err != nil {
					return nil, nil, err
				}
				gap, se, within := withinOneSE(append(slices.Clone(perFold[plain]), crit2[0]...), append(slices.Clone(perFold[c]), crit2[1]...))
				if within {
					rep.Why += fmt.Sprintf("; %s measured best, but within one standard error of %s over two splits (%.4f above it, standard error %.4f), so the features as given",
						qs[c].Name(), qs[plain].Name(), gap, se)
				} else {
					chosen, rep.Why = c, fmt.Sprintf("%s; it beats %s by more than one standard error over two splits (%.4f, standard error %.4f)", why, qs[plain].Name(), gap, se)
				}
			}
		}
		// A stack blends candidates as given only: with the shaped ones
		// among them it won folds at 100 seeds on bank-full and lost on
		// the rows not drawn.
		var q Quality
		var crit []float64
		if picks, q, crit = stackOf(candidates[:given], held[:given], seedFold, popFold, folds); picks != nil {
			gain, se := q.Criterion-rep.Candidates[chosen].Criterion, diffStdErr(crit, perFold[chosen])
			if gain > se {
				rep.Candidates = append(rep.Candidates, q)
				rep.Why = fmt.Sprintf("%s: its held-out criterion, %.4f, is more than one standard error (%.4f) above that of %s (%.4f), %s",
					q.Blend, q.Criterion, se, candidates[chosen], rep.Candidates[chosen].Criterion, rep.Why)
				chosen = len(rep.Candidates) - 1
			} else {
				picks = nil
			}
		}
	}
	rep.HeldOut = rep.Candidates[chosen]
	rep.Chosen = rep.HeldOut.Kind

	all, err := NewPUDataset(zs, zp, seedWeight)
	if err != nil {
		return nil, nil, err
	}
	if shaped != nil {
		if shaped.all, err = NewPUDataset(data.shapedS, data.shapedP, seedWeight); err != nil {
			return nil, nil, err
		}
	}
	var final *Model
	if picks != nil {
		final, err = fitStack(candidates[:given], picks, all, set, ns)
	} else {
		c := candidates[chosen]
		fs := set
		fs.Logistic.Lambda = c.lambda
		on := all
		if c.shaped {
			on = shaped.all
		}
		if final, err = fitKind(c.kind, on, fs, ns, nil); err != nil {
			err = fmt.Errorf("model: refitting %s: %w", c, err)
		} else if c.shaped {
			final.Shaping, std = shaped.shaping, shaped.std
		}
	}
	if err != nil {
		return nil, nil, err
	}
	final.Standardizer = std
	// The similarity is calibrated on the chosen candidate's held-out
	// scores (a stack's: its parts' blended as the stack blends them).
	var oof heldOutScores
	if picks != nil {
		oof = blended(held[:given], picks)
	} else {
		oof = held[chosen]
	}
	popScores := make([]float64, np)
	switch {
	case final.Shaping != nil:
		err = final.scoreStandardized(popScores, data.shapedP)
	default:
		err = final.scoreStandardized(popScores, zp)
	}
	if err != nil {
		return nil, nil, err
	}
	if final.Calibration, err = fitCalibration(oof, popScores); err != nil {
		return nil, nil, err
	}
	rep.Gains = oof.gains(seedFold, popFold, folds)
	rep.finish(final)
	return final, rep, nil
}

// DefaultMaxRows is the most rows Fit learns from unless told otherwise:
// 150,000 rows of 112 features are 134 MB a copy. Beyond it a model of a
// few hundred parameters learns no more (the pipeline trains on a
// population sample of 20,000 by default), while memory and time would
// grow with the population.
const DefaultMaxRows = 150_000

// thin keeps at most maxRows rows: every seed up to half of them, and an
// evenly spread part of the population for the rest (and the seeds'
// weights with them).
func thin(seeds, population *mat.Dense, seedWeight []float64, maxRows int) (*mat.Dense, *mat.Dense, []float64) {
	ns, _ := seeds.Dims()
	np, _ := population.Dims()
	if ns+np <= maxRows {
		return seeds, population, seedWeight
	}
	keepSeeds := min(ns, max(maxRows/2, maxRows-np))
	if keepSeeds < ns {
		idx := spread(seq(ns), keepSeeds)
		seeds = Rows(seeds, idx)
		if seedWeight != nil {
			w := make([]float64, len(idx))
			for i, j := range idx {
				w[i] = seedWeight[j]
			}
			seedWeight = w
		}
	}
	if keepPop := maxRows - keepSeeds; keepPop < np {
		population = Rows(population, spread(seq(np), keepPop))
	}
	return seeds, population, seedWeight
}

// seq is 0, 1, …, n−1.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
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

// cvData is what the candidates are fitted on: the seeds' and the
// population's standardized rows as given and, when the shaping is
// measured, shaped (nil otherwise), and the seeds' weights.
type cvData struct {
	zs, zp           *mat.Dense
	shapedS, shapedP *mat.Dense
	seedWeight       []float64
}

// shapedFit is the shaping KindAuto measures, the standardizer of the
// shaped rows, and (for the refit) every row shaped and standardized.
type shapedFit struct {
	shaping *Shaping
	std     *Standardizer
	all     *Dataset
}

// shapeData fits a shaping to the population's raw rows and puts the
// seeds and the population shaped and standardized into d; nil when no
// feature has more than two values.
func shapeData(d *cvData, seeds, population *mat.Dense) (*shapedFit, error) {
	sh := fitShaping(population)
	if sh == nil {
		return nil, nil
	}
	xp := sh.apply(population)
	std, err := FitStandardizer(xp, nil)
	if err != nil {
		return nil, err
	}
	if d.shapedP, err = std.Standardize(xp); err != nil {
		return nil, err
	}
	if d.shapedS, err = std.Standardize(sh.apply(seeds)); err != nil {
		return nil, err
	}
	return &shapedFit{shaping: sh, std: std}, nil
}

// foldData is one fold's training and held-out rows of one handling
// (as given or shaped), and what the kinds fitted on them share.
type foldData struct {
	train, test *Dataset
	shared      *fitShared
}

// crossValidate fits every candidate on all folds but one and measures
// it on that one, for each fold, and averages: the candidates' qualities,
// the criterion of each fold (crit[candidate][fold]) and the held-out
// scores of every row. A fold's rows are gathered once for all the
// candidates of a handling, and the kinds that whiten share one
// whitening.
func crossValidate(cands []candidate, d cvData, seedFold, popFold []int, folds int, set Settings) (qs []Quality, crit [][]float64, held []heldOutScores, err error) {
	qs, crit, held = make([]Quality, len(cands)), make([][]float64, len(cands)), make([]heldOutScores, len(cands))
	aucs := make([][]float64, len(cands))
	for c := range cands {
		held[c] = heldOutScores{seed: make([]float64, len(seedFold)), pop: make([]float64, len(popFold))}
	}
	for f := range folds {
		sTrain, sHeld := splitFold(seedFold, f)
		pTrain, pHeld := splitFold(popFold, f)
		var w []float64
		if d.seedWeight != nil {
			for _, i := range sTrain {
				w = append(w, d.seedWeight[i])
			}
		}
		var handlings [2]*foldData // as given, shaped
		for c, cand := range cands {
			h := 0
			zs, zp := d.zs, d.zp
			if cand.shaped {
				h, zs, zp = 1, d.shapedS, d.shapedP
			}
			if handlings[h] == nil {
				train, err := NewPUDataset(Rows(zs, sTrain), Rows(zp, pTrain), w)
				if err != nil {
					return nil, nil, nil, err
				}
				test, err := NewPUDataset(Rows(zs, sHeld), Rows(zp, pHeld), nil)
				if err != nil {
					return nil, nil, nil, err
				}
				handlings[h] = &foldData{train, test, &fitShared{}}
			}
			train, test, shared := handlings[h].train, handlings[h].test, handlings[h].shared
			fs := set
			fs.Logistic.Lambda = cand.lambda
			// A candidate's held-out ranking does not need the last digits
			// of its optimum (the refit of the one chosen keeps them): on
			// bank and Adult every choice and figure stays the same.
			fs.Logistic.GradTol = max(fs.Logistic.GradTol, 1e-4)
			m, err := fitKind(cand.kind, train, fs, len(sTrain), shared)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("model: fitting %s: %w", cand, err)
			}
			fq, scores, err := evaluateHeldOut(m, test, shared)
			if err != nil {
				return nil, nil, nil, err
			}
			// Seeds first, then population rows (NewPUDataset's order), on
			// the scale of this fold's population scores.
			mean, sd := meanStd(scores[len(sHeld):])
			for j, i := range sHeld {
				held[c].seed[i] = (scores[j] - mean) / sd
			}
			for j, i := range pHeld {
				held[c].pop[i] = (scores[len(sHeld)+j] - mean) / sd
			}
			aucs[c] = append(aucs[c], fq.AUC)
			crit[c] = append(crit[c], Criterion(fq.AUC, fq.Recall10))
			q := &qs[c]
			q.Recall1 += fq.Recall1 / float64(folds)
			q.Recall5 += fq.Recall5 / float64(folds)
			q.Recall10 += fq.Recall10 / float64(folds)
			q.Lift10 += fq.Lift10 / float64(folds)
		}
	}
	for c, cand := range cands {
		mean, std := stat.PopMeanStdDev(aucs[c], nil)
		q := &qs[c]
		q.Kind, q.Lambda, q.Shaped, q.AUC = cand.kind, cand.lambda, cand.shaped, mean
		q.AUCStdErr = std / math.Sqrt(float64(folds-1))
		q.Criterion = floats.Sum(crit[c]) / float64(len(crit[c]))
	}
	return qs, crit, held, nil
}

// splitFold returns the rows not in fold f and those in it.
func splitFold(fold []int, f int) (train, held []int) {
	for i, g := range fold {
		if g == f {
			held = append(held, i)
		} else {
			train = append(train, i)
		}
	}
	return train, held
}

// evaluateHeldOut measures a model on held-out standardized rows, and
// returns their scores; shared (nil: none) is the fold's fitShared.
func evaluateHeldOut(m *Model, held *Dataset, shared *fitShared) (Quality, []float64, error) {
	r, _ := held.X.Dims()
	s := make([]float64, r)
	if err := shared.scoreHeld(m, held, s); err != nil {
		return Quality{}, nil, err
	}
	return qualityOf(s, held.Y), s, nil
}

// qualityOf measures scores s of rows labelled y.
func qualityOf(s, y []float64) Quality {
	rank := NewRanking(s, y)
	return Quality{
		AUC:      AUC(s, y),
		Recall1:  rank.RecallAt(1),
		Recall5:  rank.RecallAt(5),
		Recall10: rank.RecallAt(10),
		Lift10:   rank.LiftAt(10),
	}
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
