package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// gaussians makes n rows of d features: positives shifted by shift along
// the first two features.
func gaussians(n, d int, posRate, shift float64, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := mat.NewDense(n, d, nil)
	y := make([]float64, n)
	for i := range n {
		if rng.Float64() < posRate {
			y[i] = 1
		}
		row := x.RawRowView(i)
		for j := range row {
			row[j] = rng.NormFloat64()
		}
		if y[i] == 1 {
			row[0] += shift
			row[1] -= shift / 2
		}
	}
	return &Dataset{X: x, Y: y}
}

func TestLogisticGradient(t *testing.T) {
	d := gaussians(300, 5, 0.3, 1, 1)
	d.Weight = make([]float64, 300)
	for i := range d.Weight {
		d.Weight[i] = 0.5 + float64(i%3)
	}
	s, err := classWeights(d, true)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range s {
		sum += v
	}
	obj := &logisticObjective{x: d.X, y: d.Y, s: s, sum: sum, lambda: 0.01}
	rng := rand.New(rand.NewPCG(2, 2))
	p := make([]float64, 6)
	for i := range p {
		p[i] = rng.NormFloat64()
	}
	grad := make([]float64, 6)
	obj.eval(p, grad)
	const h = 1e-6
	scratch := make([]float64, 6)
	for i := range p {
		q := append([]float64(nil), p...)
		q[i] += h
		fp := obj.eval(q, scratch)
		q[i] -= 2 * h
		fm := obj.eval(q, scratch)
		fd := (fp - fm) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
			t.Errorf("gradient[%d] = %v, finite difference %v", i, grad[i], fd)
		}
	}
}

func TestFitLogistic(t *testing.T) {
	d := gaussians(4000, 6, 0.1, 1.5, 3)
	m, res, err := FitLogistic(d, LogisticSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Converged || res.Iterations == 0 || math.IsNaN(res.Loss) {
		t.Fatalf("fit result %+v", res)
	}
	// The planted direction: positive on feature 0, negative on 1, about 0
	// elsewhere.
	if m.Weights[0] < 0.5 || m.Weights[1] > -0.2 {
		t.Errorf("weights %v miss the planted direction", m.Weights)
	}
	for j := 2; j < 6; j++ {
		if math.Abs(m.Weights[j]) > 0.2 {
			t.Errorf("weight %d = %v on a noise feature", j, m.Weights[j])
		}
	}
	// Deterministic.
	m2, _, _ := FitLogistic(d, LogisticSettings{})
	for j := range m.Weights {
		if m.Weights[j] != m2.Weights[j] {
			t.Fatal("two fits of the same data differ")
		}
	}
	s := make([]float64, 4000)
	if err := m.Score(s, d.X); err != nil {
		t.Fatal(err)
	}
	if auc := AUC(s, d.Y); auc < 0.8 {
		t.Errorf("training AUC %v", auc)
	}
}

func TestFitLogisticSeparable(t *testing.T) {
	// Perfectly separable: unregularized weights would run to infinity.
	x := mat.NewDense(6, 1, []float64{-3, -2, -1, 1, 2, 3})
	d := &Dataset{X: x, Y: []float64{0, 0, 0, 1, 1, 1}}
	m, res, err := FitLogistic(d, LogisticSettings{Lambda: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	if math.IsInf(m.Weights[0], 0) || math.IsNaN(m.Weights[0]) || m.Weights[0] <= 0 || m.Weights[0] > 1e3 {
		t.Fatalf("weight %v on separable data (%+v)", m.Weights[0], res)
	}
}

func TestFitLogisticErrors(t *testing.T) {
	d := gaussians(10, 2, 0.5, 1, 4)
	for i := range d.Y {
		d.Y[i] = 0
	}
	if _, _, err := FitLogistic(d, LogisticSettings{}); err == nil {
		t.Error("one class accepted")
	}
	d.Y[0] = 2
	if _, _, err := FitLogistic(d, LogisticSettings{}); err == nil {
		t.Error("label 2 accepted")
	}
	if _, _, err := FitLogistic(&Dataset{X: mat.NewDense(2, 1, nil), Y: []float64{0}}, LogisticSettings{}); err == nil {
		t.Error("label count mismatch accepted")
	}
}

func TestFitMeanDifference(t *testing.T) {
	x := mat.NewDense(5, 2, []float64{
		3, 1, // seeds
		5, 1,
		0, 0, // population
		1, 2,
		-1, -2,
	})
	d := &Dataset{X: x, Y: []float64{1, 1, 0, 0, 0}}
	m, err := FitMeanDifference(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Seed mean [4 1], population mean [0 0].
	if m.Weights[0] != 4 || m.Weights[1] != 1 || m.Bias != 0 {
		t.Errorf("mean difference %v + %v", m.Weights, m.Bias)
	}
	m, _ = FitMeanDifference(d, []float64{1, 1})
	if m.Weights[0] != 3 || m.Weights[1] != 0 || m.Bias != -3 {
		t.Errorf("with a given population mean: %v + %v", m.Weights, m.Bias)
	}
	if _, err := FitMeanDifference(d, []float64{1}); err == nil {
		t.Error("a population mean of the wrong length accepted")
	}
}

// TestSoftplusSigmoid: one exponential gives exactly softplus and sigmoid.
func TestSoftplusSigmoid(t *testing.T) {
	for _, z := range []float64{-800, -40, -3.5, -1e-9, 0, 1e-9, 0.7, 12, 40, 800, math.Inf(1), math.Inf(-1)} {
		sp, sg := softplusSigmoid(z)
		if sp != softplus(z) || sg != sigmoid(z) {
			t.Errorf("z=%v: %v, %v; want %v, %v", z, sp, sg, softplus(z), sigmoid(z))
		}
	}
}
