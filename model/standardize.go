package model

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ErrShape is returned when matrices, vectors or feature lists do not fit
// together.
var ErrShape = errors.New("model: dimension mismatch")

// ErrEmpty is returned when there are no rows to learn from.
var ErrEmpty = errors.New("model: no rows")

// Standardizer centres and scales features: z = (x − Mean) / Scale. Scale
// is the population standard deviation, or 1 for a constant column, so a
// constant feature becomes 0 rather than NaN.
type Standardizer struct {
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
}

// FitStandardizer returns the standardizer of the rows of x, each row
// weighted by w (nil: equal weights).
func FitStandardizer(x *mat.Dense, w []float64) (*Standardizer, error) {
	r, c := x.Dims()
	if r == 0 {
		return nil, ErrEmpty
	}
	if w != nil && len(w) != r {
		return nil, fmt.Errorf("%w: %d weights for %d rows", ErrShape, len(w), r)
	}
	mean := make([]float64, c)
	sq := make([]float64, c)
	var total float64
	for i := range r {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		total += wi
		row := x.RawRowView(i)
		for j, v := range row {
			mean[j] += wi * v
		}
	}
	if total <= 0 {
		return nil, fmt.Errorf("%w: weights sum to %v", ErrEmpty, total)
	}
	for j := range mean {
		mean[j] /= total
	}
	// A second pass around the mean is exact where E[x²]−E[x]² would cancel.
	for i := range r {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		row := x.RawRowView(i)
		for j, v := range row {
			d := v - mean[j]
			sq[j] += wi * d * d
		}
	}
	scale := make([]float64, c)
	for j := range scale {
		sd := math.Sqrt(sq[j] / total)
		if sd < 1e-12*math.Max(1, math.Abs(mean[j])) || math.IsNaN(sd) {
			sd = 1
		}
		scale[j] = sd
	}
	return &Standardizer{Mean: mean, Scale: scale}, nil
}

// Len is the number of features.
func (s *Standardizer) Len() int { return len(s.Mean) }

// Transform writes the standardized src into dst, which may be src itself.
// Both must have s.Len() columns and the same number of rows.
func (s *Standardizer) Transform(dst, src *mat.Dense) error {
	r, c := src.Dims()
	if dr, dc := dst.Dims(); dr != r || dc != c || c != len(s.Mean) {
		return fmt.Errorf("%w: standardize %dx%d into %dx%d with %d features", ErrShape, r, c, dr, dc, len(s.Mean))
	}
	for i := range r {
		s.TransformRow(dst.RawRowView(i), src.RawRowView(i))
	}
	return nil
}

// TransformRow standardizes one row; dst may be src.
func (s *Standardizer) TransformRow(dst, src []float64) {
	for j, v := range src {
		dst[j] = (v - s.Mean[j]) / s.Scale[j]
	}
}

// Standardize returns a standardized copy of x.
func (s *Standardizer) Standardize(x *mat.Dense) (*mat.Dense, error) {
	r, c := x.Dims()
	z := mat.NewDense(r, c, nil)
	if err := s.Transform(z, x); err != nil {
		return nil, err
	}
	return z, nil
}
