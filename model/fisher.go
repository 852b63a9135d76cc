package model

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// FisherSettings configures FitFisher. The zero value uses ridge 1.
type FisherSettings struct {
	// Ridge is added to the diagonal of the population covariance (of
	// standardized features, so 1 is a feature's own variance); 0 means
	// 1. It keeps the solve stable where one-hot groups make the
	// covariance singular, and pulls the direction toward the plain
	// centroid difference.
	Ridge float64 `json:"ridge,omitempty"`
	// Shrink shrinks the seed mean's difference from the population as
	// CentroidSettings.Shrink does.
	Shrink bool `json:"shrink,omitempty"`
}

// FitFisher fits Fisher's linear discriminant with the population's
// covariance: w = (Σₚ + ridge·I)⁻¹ (μ_seed − μ_pop). The covariance comes
// from the population rows alone, which are many and carry no label noise,
// so the direction needs only the seed mean from the seeds: a linear model
// with far less variance than a logistic regression on a hundred seeds.
// The result scores like a Logistic (w·z + b, b = −w·μ_pop).
func FitFisher(d *Dataset, set FisherSettings) (*Logistic, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	ridge := set.Ridge
	if ridge == 0 {
		ridge = 1
	}
	if ridge < 0 || math.IsNaN(ridge) || math.IsInf(ridge, 0) {
		return nil, fmt.Errorf("model: fisher ridge %v must be a positive number (FitMeanDifference is the infinite ridge)", ridge)
	}
	_, c := d.X.Dims()
	seeds, pop := d.byLabel()
	if len(seeds) == 0 || len(pop) < 2 {
		return nil, fmt.Errorf("%w: %d seeds, %d population rows", ErrLabels, len(seeds), len(pop))
	}
	mu, _ := d.mean(pop)
	seedMean, _ := d.mean(seeds)
	ms := make([]float64, c)
	floats.SubTo(ms, seedMean, mu)
	if set.Shrink {
		shrink(ms, seedMean, d, seeds)
	}
	chol, err := ridgedCovariance(d, pop, mu, ridge)
	if err != nil {
		return nil, fmt.Errorf("model: fisher: %w", err)
	}
	w := mat.NewVecDense(c, nil)
	if err := chol.SolveVecTo(w, mat.NewVecDense(c, ms)); err != nil {
		return nil, fmt.Errorf("model: fisher: %w", err)
	}
	weights := w.RawVector().Data
	return &Logistic{Weights: weights, Bias: -floats.Dot(weights, mu)}, nil
}

// FitMeanDifference fits the simplest linear lookalike: w = μ_seed − μ_pop,
// b = −w·μ_pop. It is where a logistic regression goes as its penalty
// grows, and Fisher's discriminant as its ridge does: every feature weighted
// by how far the seeds sit from the population, in standard deviations
// when the features are standardized. With a hundred seeds nothing
// steadier can be estimated.
//
// popMean is the population's mean; nil means the mean of d's population
// rows. On features standardized with the whole population's statistics
// it is 0, known exactly, and passing it removes the population sample's
// own noise from w.
func FitMeanDifference(d *Dataset, popMean []float64) (*Logistic, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	_, c := d.X.Dims()
	seeds, pop := d.byLabel()
	if len(seeds) == 0 || (popMean == nil && len(pop) == 0) {
		return nil, fmt.Errorf("%w: %d seeds, %d population rows", ErrLabels, len(seeds), len(pop))
	}
	if popMean == nil {
		popMean, _ = d.mean(pop)
	}
	if len(popMean) != c {
		return nil, fmt.Errorf("%w: population mean of %d features for %d", ErrShape, len(popMean), c)
	}
	w, _ := d.mean(seeds)
	floats.Sub(w, popMean)
	return &Logistic{Weights: w, Bias: -floats.Dot(w, popMean)}, nil
}

// ridgedCovariance factorizes the covariance of the rows idx of d.X about
// mu, plus ridge on the diagonal.
func ridgedCovariance(d *Dataset, idx []int, mu []float64, ridge float64) (*mat.Cholesky, error) {
	_, c := d.X.Dims()
	cov := mat.NewSymDense(c, nil)
	centred := mat.NewDense(len(idx), c, nil)
	for r, i := range idx {
		row := centred.RawRowView(r)
		copy(row, d.X.RawRowView(i))
		floats.Sub(row, mu)
	}
	cov.SymOuterK(1/float64(len(idx)), centred.T())
	for j := range c {
		cov.SetSym(j, j, cov.At(j, j)+ridge)
	}
	var chol mat.Cholesky
	if !chol.Factorize(cov) {
		return nil, fmt.Errorf("population covariance not positive definite; raise the ridge")
	}
	return &chol, nil
}
