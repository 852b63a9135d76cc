package model

import (
	"fmt"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Kind names a kind of lookalike model.
type Kind string

// The model kinds.
const (
	KindAuto          Kind = "auto"            // the best of the others by held-out AUC
	KindLogistic      Kind = "logistic"        // L2 logistic regression, seeds against the population
	KindCentroid      Kind = "centroid"        // cosine similarity to the seed centroid
	KindContrast      Kind = "contrast"        // nearer the seed centroid than the population centroid
	KindMultiCentroid Kind = "multi_centroid"  // cosine similarity to the nearest of several seed centroids
	KindEnsemble      Kind = "ensemble"        // mean of the logistic and contrast scores, each standardized
	KindFisher        Kind = "fisher"          // Fisher's discriminant with the population covariance
	KindMeanDiff      Kind = "mean_difference" // along the seeds' mean difference from the population
	KindBoosted       Kind = "boosted_trees"   // gradient-boosted trees, seeds against the population
)

// Kinds lists the kinds Fit accepts.
var Kinds = []Kind{KindAuto, KindLogistic, KindMeanDiff, KindFisher, KindCentroid, KindContrast, KindMultiCentroid, KindEnsemble, KindBoosted}

// Model is a fitted lookalike model: a standardizer and the parameters of
// one kind. It scores raw feature rows.
type Model struct {
	Kind         Kind          `json:"kind"`
	Standardizer *Standardizer `json:"standardizer"`
	Logistic     *Logistic     `json:"logistic,omitempty"`
	Centroid     *Centroid     `json:"centroid,omitempty"`
	Boosted      *Boosted      `json:"boosted,omitempty"`
	// Blend holds, for KindEnsemble, the mean and standard deviation of
	// the logistic and contrast scores on the population sample:
	// score = (l − m₀)/s₀ + (c − m₁)/s₁.
	Blend []float64 `json:"blend,omitempty"`
	// Parts are a KindStack's models.
	Parts []StackPart `json:"parts,omitempty"`
	// Shaping, when set, shapes the raw features before the standardizer
	// (which then has one entry per shaped column): KindAuto's candidates
	// "+shaped".
	Shaping *Shaping `json:"shaping,omitempty"`
	// Calibration turns scores into similarities (Similarity); every
	// fitted model has one (an artifact without it is refused).
	Calibration *Calibration `json:"calibration,omitempty"`
	// Fit says how the logistic optimizer ended, where there is one.
	Fit *FitResult `json:"fit,omitempty"`

	foldOnce sync.Once
	foldW    []float64
	foldB    float64
}

// Similarity is score's calibrated similarity in [0, 1], the same for
// every kind (Calibration).
func (m *Model) Similarity(score float64) float64 {
	return m.Calibration.Similarity(score)
}

// Len is the number of features the model reads.
func (m *Model) Len() int {
	if m.Shaping != nil {
		return m.Standardizer.Len() - len(m.Shaping.Flags)
	}
	return m.Standardizer.Len()
}

// scoreStandardized scores standardized rows.
func (m *Model) scoreStandardized(dst []float64, z *mat.Dense) error {
	switch m.Kind {
	case KindLogistic, KindFisher, KindMeanDiff:
		return m.Logistic.Score(dst, z)
	case KindCentroid, KindContrast, KindMultiCentroid:
		return m.Centroid.Score(dst, z)
	case KindBoosted:
		return m.Boosted.Score(dst, z)
	case KindStack:
		return stackScore(m.Parts, dst, z)
	case KindEnsemble:
		if err := m.Logistic.Score(dst, z); err != nil {
			return err
		}
		tmp := make([]float64, len(dst))
		if err := m.Centroid.Score(tmp, z); err != nil {
			return err
		}
		for i := range dst {
			dst[i] = (dst[i]-m.Blend[0])/m.Blend[1] + (tmp[i]-m.Blend[2])/m.Blend[3]
		}
		return nil
	}
	return fmt.Errorf("model: cannot score kind %q", m.Kind)
}

// Score writes the score of each raw feature row of x into dst: higher is
// more alike the seed. Scores rank; they are not probabilities.
//
// Linear kinds fold the standardization into their weights and score the
// whole block with one matrix–vector product; the others standardize row
// by row into one scratch row. Nothing is allocated per row.
func (m *Model) Score(dst []float64, x *mat.Dense) error {
	r, c := x.Dims()
	if len(dst) != r || c != m.Len() {
		return fmt.Errorf("%w: score %dx%d into %d, model has %d features", ErrShape, r, c, len(dst), m.Len())
	}
	if r == 0 {
		return nil
	}
	if m.Shaping != nil {
		x = m.Shaping.apply(x)
		c = m.Standardizer.Len()
	}
	switch m.Kind {
	case KindLogistic, KindFisher, KindMeanDiff:
		w, b := m.folded()
		scoreLinear(dst, x, w, b)
		return nil
	case KindStack:
		z, err := m.Standardizer.Standardize(x)
		if err != nil {
			return err
		}
		return stackScore(m.Parts, dst, z)
	case KindBoosted:
		z := make([]float64, c)
		for i := range r {
			m.Standardizer.TransformRow(z, x.RawRowView(i))
			dst[i] = m.Boosted.scoreRow(z)
		}
		return nil
	case KindCentroid, KindContrast, KindMultiCentroid, KindEnsemble:
		var w []float64
		var b float64
		if m.Kind == KindEnsemble {
			w, b = m.folded()
			scoreLinear(dst, x, w, b)
		}
		norms := m.Centroid.norms()
		z, buf := make([]float64, c), m.Centroid.scratch(c)
		for i := range r {
			m.Standardizer.TransformRow(z, x.RawRowView(i))
			s := m.Centroid.scoreRow(z, norms, buf)
			if m.Kind == KindEnsemble {
				s = (dst[i]-m.Blend[0])/m.Blend[1] + (s-m.Blend[2])/m.Blend[3]
			}
			dst[i] = s
		}
		return nil
	}
	return fmt.Errorf("model: cannot score kind %q", m.Kind)
}

// folded returns the logistic weights and bias on raw features:
// w·(x−μ)/σ + b = (w/σ)·x + (b − Σ wμ/σ).
func (m *Model) folded() ([]float64, float64) {
	m.foldOnce.Do(func() {
		l, s := m.Logistic, m.Standardizer
		m.foldW = make([]float64, len(l.Weights))
		m.foldB = l.Bias
		for j, w := range l.Weights {
			m.foldW[j] = w / s.Scale[j]
			m.foldB -= m.foldW[j] * s.Mean[j]
		}
	})
	return m.foldW, m.foldB
}

// scoreLinear writes x·w + b into dst with one BLAS matrix–vector product.
func scoreLinear(dst []float64, x *mat.Dense, w []float64, b float64) {
	for i := range dst {
		dst[i] = b
	}
	raw := x.RawMatrix()
	blas64.Gemv(blas.NoTrans, 1, raw, blas64.Vector{N: len(w), Data: w, Inc: 1}, 1, blas64.Vector{N: len(dst), Data: dst, Inc: 1})
}
