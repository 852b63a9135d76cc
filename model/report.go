package model

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Quality is how well a model ranks held-out seeds among held-out
// population rows.
type Quality struct {
	Kind      Kind    `json:"kind"`
	Lambda    float64 `json:"lambda,omitempty"` // logistic: the L2 penalty (0: 1/n)
	AUC       float64 `json:"auc"`              // mean over the folds
	AUCStdErr float64 `json:"auc_std_err"`      // its standard error
	Recall1   float64 `json:"recall_at_1pct"`
	Recall5   float64 `json:"recall_at_5pct"`
	Recall10  float64 `json:"recall_at_10pct"`
	Lift10    float64 `json:"lift_at_10pct"`
	// Criterion is the mean over the folds of Criterion(AUC, Recall10):
	// what KindAuto ranks candidates by.
	Criterion float64 `json:"criterion"`
	// Blend names a KindStack's parts and their weights.
	Blend string `json:"blend,omitempty"`
	// Shaped says the candidate was fitted on the features shaped
	// (Shaping): its name ends in "+shaped".
	Shaped bool `json:"shaped,omitempty"`
}

// Name names the candidate the quality is of: its kind, with the penalty
// of a logistic regression whose penalty is not the default
// ("logistic(λ=0.1)").
func (q Quality) Name() string {
	if q.Blend != "" {
		return q.Blend
	}
	return candidate{q.Kind, q.Lambda, q.Shaped}.String()
}

// FeatureWeight is one feature's part in a model: its weight on
// standardized features for the linear kinds, the seed centroid's deviation
// from the population in standard deviations for the centroid kinds, and
// the number of splits on it for boosted trees.
type FeatureWeight struct {
	Index  int     `json:"index"`
	Name   string  `json:"name,omitempty"`
	Weight float64 `json:"weight"`
}

// Report is the quality report of a fit.
type Report struct {
	Seeds      int `json:"seeds"`
	Population int `json:"population"`
	// SeedsGiven and PopulationGiven are the rows Fit was given, when it
	// learned from fewer (Settings.MaxRows).
	SeedsGiven      int       `json:"seeds_given,omitempty"`
	PopulationGiven int       `json:"population_given,omitempty"`
	Folds           int       `json:"folds"` // every seed is held out once
	Chosen          Kind      `json:"chosen"`
	HeldOut         Quality   `json:"held_out"`      // the chosen candidate's, cross-validated
	Candidates      []Quality `json:"candidates"`    // every kind tried
	Why             string    `json:"why,omitempty"` // KindAuto: why the chosen candidate
	// Gains is the chosen candidate's held-out cumulative gains curve:
	// the share of held-out seeds in the top 0, 1, …, 100 % of held-out
	// rows, averaged over the folds.
	Gains       []GainsPoint    `json:"gains,omitempty"`
	TopFeatures []FeatureWeight `json:"top_features"`
	Predictive  bool            `json:"predictive"`
	Verdict     string          `json:"verdict"`
}

// NotPredictiveAUC is the held-out AUC under which a seed list is called
// not predictive: its seeds rank barely better than random people.
const NotPredictiveAUC = 0.55

func (r *Report) finish(m *Model) {
	r.TopFeatures = topFeatures(m, 10)
	auc := r.HeldOut.AUC
	switch {
	case auc < NotPredictiveAUC:
		r.Verdict = fmt.Sprintf("this seed list is not predictive: held-out seeds rank at AUC %.3f, about as well as random people (0.5); the audience would be little better than untargeted", auc)
	case auc < 0.65:
		r.Predictive = true
		r.Verdict = fmt.Sprintf("weakly predictive: held-out AUC %.3f", auc)
	default:
		r.Predictive = true
		r.Verdict = fmt.Sprintf("predictive: held-out AUC %.3f, %.0f%% of held-out seeds in the top 10%%", auc, 100*r.HeldOut.Recall10)
	}
}

// topFeatures ranks features by the absolute size of their part in m.
func topFeatures(m *Model, n int) []FeatureWeight {
	w := featureWeights(m, m.Len())
	out := make([]FeatureWeight, len(w))
	for i, v := range w {
		out[i] = FeatureWeight{Index: i, Weight: v}
	}
	slices.SortStableFunc(out, func(a, b FeatureWeight) int { return cmp.Compare(math.Abs(b.Weight), math.Abs(a.Weight)) })
	return out[:min(n, len(out))]
}

// featureWeights is each of m's features' part in it (see FeatureWeight); a
// stack's is the weighted sum of its parts', each scaled to a largest
// part of 1 so that no kind's units dominate. A shaped model's flag counts
// for its feature when it weighs more than the feature's rank.
func featureWeights(m *Model, features int) []float64 {
	w := kindWeights(m, features)
	if sh := m.Shaping; sh != nil && len(w) == sh.width(features) {
		w = slices.Clone(w)
		for k, f := range sh.Flags {
			if v := w[features+k]; math.Abs(v) > math.Abs(w[f.Feature]) {
				w[f.Feature] = v
			}
		}
		w = w[:features]
	}
	return w
}

// kindWeights is featureWeights before a shaped model's flags are
// counted for their features.
func kindWeights(m *Model, features int) []float64 {
	var w []float64
	switch {
	case m.Kind == KindStack:
		for _, p := range m.Parts {
			pw := featureWeights(p.Model, features)
			if w == nil {
				w = make([]float64, len(pw))
			}
			top := 0.0
			for _, v := range pw {
				top = max(top, math.Abs(v))
			}
			if top == 0 {
				continue
			}
			for i, v := range pw {
				w[i] += p.Weight * v / top
			}
		}
	case m.Boosted != nil:
		w = make([]float64, features)
		for _, t := range m.Boosted.Trees {
			for _, n := range t.Nodes {
				if n.Left >= 0 {
					w[n.Feature]++
				}
			}
		}
	case m.Logistic != nil:
		w = m.Logistic.Weights
	case m.Centroid != nil:
		// The weighted mean of the centroids, in standard deviations from
		// the population mean (0 after standardization).
		c := m.Centroid
		w = make([]float64, len(c.Centroids[0]))
		var tot float64
		for j, cen := range c.Centroids {
			for i, v := range cen {
				w[i] += c.Sizes[j] * v
			}
			tot += c.Sizes[j]
		}
		for i := range w {
			w[i] /= tot
		}
	}
	return w
}

// Name fills the feature names of the report's top features.
func (r *Report) Name(names []string) {
	for i := range r.TopFeatures {
		if ix := r.TopFeatures[i].Index; ix < len(names) {
			r.TopFeatures[i].Name = names[ix]
		}
	}
}
