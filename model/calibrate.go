package model

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Calibration turns a model's raw score — a logit, a cosine, a sum of
// trees: each kind's own scale — into a similarity in [0, 1] that means
// the same for every kind: the probability that a person with that score
// is one of the seeds rather than one of the population, were the two
// equally common (Platt scaling, fitted on the cross-validated held-out
// scores of seeds against population rows). 0.5: the person looks as much
// like the seeds as like anybody; 0.9: nine to one like the seeds.
type Calibration struct {
	// Mean and SD are those of the model's scores on the population
	// sample: a score is first put on that scale.
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	// A and B map the scaled score z to similarity 1/(1+e^−(A·z+B)).
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// Similarity is the calibrated similarity of a raw score.
func (c *Calibration) Similarity(score float64) float64 {
	return sigmoid(c.A*(score-c.Mean)/c.SD + c.B)
}

// check says whether c's parameters can calibrate.
func (c *Calibration) check() error {
	if err := finite("calibration", []float64{c.Mean, c.SD, c.A, c.B}); err != nil {
		return err
	}
	if c.SD <= 0 {
		return fmt.Errorf("%w: calibration scale %v", ErrBadParameters, c.SD)
	}
	return nil
}

// fitCalibration fits Platt scaling to held-out scores of seeds and
// population rows (heldOutScores), put on the scale of the held-out
// population's scores, and puts the final model's scores — pop, those of
// the population sample — on the same scale.
func fitCalibration(held heldOutScores, pop []float64) (*Calibration, error) {
	mean, sd := meanStd(pop)
	hm, hsd := meanStd(held.pop)
	n := len(held.seed) + len(held.pop)
	z := make([]float64, 0, n)
	for _, v := range held.seed {
		z = append(z, (v-hm)/hsd)
	}
	for _, v := range held.pop {
		z = append(z, (v-hm)/hsd)
	}
	x := mat.NewDense(n, 1, z)
	y := make([]float64, n)
	for i := range held.seed {
		y[i] = 1
	}
	d := &Dataset{X: x, Y: y}
	// Seeds and population weigh alike (FitLogistic balances the
	// classes); a light penalty keeps a perfect separation finite.
	l, _, err := FitLogistic(d, LogisticSettings{Lambda: 1e-4})
	if err != nil {
		return nil, fmt.Errorf("model: calibrating: %w", err)
	}
	c := &Calibration{Mean: mean, SD: sd, A: l.Weights[0], B: l.Bias}
	if math.IsNaN(c.A) || math.IsNaN(c.B) {
		return nil, fmt.Errorf("model: calibrating: no fit")
	}
	return c, nil
}
