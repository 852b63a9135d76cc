package model

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestStandardizer(t *testing.T) {
	x := mat.NewDense(4, 3, []float64{
		1, 5, 10,
		2, 5, 20,
		3, 5, 30,
		4, 5, 40,
	})
	s, err := FitStandardizer(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantMean := []float64{2.5, 5, 25}
	wantScale := []float64{math.Sqrt(1.25), 1, math.Sqrt(125)} // the constant column scales by 1
	for j := range 3 {
		if math.Abs(s.Mean[j]-wantMean[j]) > tol || math.Abs(s.Scale[j]-wantScale[j]) > tol {
			t.Errorf("feature %d: mean %v scale %v, want %v %v", j, s.Mean[j], s.Scale[j], wantMean[j], wantScale[j])
		}
	}
	z, _ := s.Standardize(x)
	for i := range 4 {
		if z.At(i, 1) != 0 {
			t.Errorf("constant column standardizes to %v, want 0", z.At(i, 1))
		}
	}
	// In place gives the same.
	y := mat.DenseCopyOf(x)
	if err := s.Transform(y, y); err != nil {
		t.Fatal(err)
	}
	if !mat.EqualApprox(y, z, tol) {
		t.Error("in-place transform differs")
	}
	// Weights: the last row counted three times.
	sw, _ := FitStandardizer(x, []float64{1, 1, 1, 3})
	if math.Abs(sw.Mean[0]-(1+2+3+12)/6.0) > tol {
		t.Errorf("weighted mean %v", sw.Mean[0])
	}
	if err := s.Transform(mat.NewDense(4, 2, nil), x); !errors.Is(err, ErrShape) {
		t.Errorf("shape mismatch: %v", err)
	}
	if _, err := FitStandardizer(&mat.Dense{}, nil); err == nil {
		t.Error("empty input accepted")
	}
}
