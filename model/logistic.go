package model

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// LogisticSettings configures FitLogistic. The zero value is the default:
// balanced class weights, λ = 1/n (scikit-learn's C = 1), at most 500
// iterations, gradient tolerance 1e-5.
type LogisticSettings struct {
	// Lambda is the L2 penalty λ of the objective
	//   (1/S) Σ sᵢ [log(1+e^zᵢ) − yᵢzᵢ] + (λ/2)‖w‖²,  zᵢ = w·xᵢ + b,
	// where sᵢ are the sample weights and S their sum. The intercept b is
	// not penalized. 0 means 1/n, n the number of rows.
	Lambda float64 `json:"lambda,omitempty"`
	// Unbalanced keeps the sample weights as given. By default each class
	// is reweighted to carry half the total weight, as with few seeds
	// against a large population sample a model would otherwise learn
	// little but the base rate.
	Unbalanced bool `json:"unbalanced,omitempty"`
	// MaxIterations bounds the optimizer's major iterations; 0 means 500.
	MaxIterations int `json:"max_iterations,omitempty"`
	// GradTol stops the fit when the gradient's largest component is
	// below it; 0 means 1e-5.
	GradTol float64 `json:"grad_tol,omitempty"`

	// start, when set, is where the optimizer starts (weights, then the
	// bias): a fit with a nearby penalty on the same rows (a warm start
	// along the penalty path) converges in fewer iterations to the same
	// optimum, within the tolerances.
	start []float64
}

// Logistic is a fitted logistic regression on standardized features.
type Logistic struct {
	Weights []float64 `json:"weights"`
	Bias    float64   `json:"bias"`
}

// FitResult says how an optimizer run went.
type FitResult struct {
	Iterations  int     `json:"iterations"`
	Evaluations int     `json:"evaluations"`
	Loss        float64 `json:"loss"` // the objective at the solution
	Converged   bool    `json:"converged"`
	Status      string  `json:"status"`
}

// ErrLabels is returned for labels other than 0 and 1, or a training set
// missing one of the classes.
var ErrLabels = errors.New("model: labels must be 0 or 1, both present")

// classWeights returns the sample weights of d, balanced unless asked not
// to be.
func classWeights(d *Dataset, balanced bool) ([]float64, error) {
	n := len(d.Y)
	s := make([]float64, n)
	var tot [2]float64
	for i, y := range d.Y {
		if y != 0 && y != 1 {
			return nil, fmt.Errorf("%w: row %d has label %v", ErrLabels, i, y)
		}
		w := 1.0
		if d.Weight != nil {
			w = d.Weight[i]
			if !(w >= 0) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("model: row %d has weight %v", i, w)
			}
		}
		s[i] = w
		tot[int(y)] += w
	}
	if tot[0] == 0 || tot[1] == 0 {
		return nil, fmt.Errorf("%w: class weights %v", ErrLabels, tot)
	}
	if balanced {
		// Each class gets half of n.
		f := [2]float64{float64(n) / (2 * tot[0]), float64(n) / (2 * tot[1])}
		for i, y := range d.Y {
			s[i] *= f[int(y)]
		}
	}
	return s, nil
}

// logisticObjective evaluates the objective and its gradient in one pass
// over the rows, so each row is read from memory once per evaluation.
type logisticObjective struct {
	x      *mat.Dense
	y, s   []float64
	sum    float64 // Σ s
	lambda float64

	lastX    []float64
	lastF    float64
	lastGrad []float64
}

// eval computes the objective at p = (w, b) and its gradient into grad.
func (o *logisticObjective) eval(p, grad []float64) float64 {
	r, c := o.x.Dims()
	w, b := p[:c], p[c]
	clear(grad)
	gw := grad[:c]
	var loss, gb float64
	for i := range r {
		row := o.x.RawRowView(i)
		z := floats.Dot(row, w) + b
		si := o.s[i]
		if si == 0 {
			continue
		}
		sp, sg := softplusSigmoid(z)
		loss += si * (sp - o.y[i]*z)
		res := si * (sg - o.y[i])
		gb += res
		floats.AddScaled(gw, res, row)
	}
	inv := 1 / o.sum
	floats.Scale(inv, gw)
	floats.AddScaled(gw, o.lambda, w)
	grad[c] = gb * inv
	return loss*inv + 0.5*o.lambda*floats.Dot(w, w)
}

// cached makes Func and Grad, which the optimizer calls at the same point,
// share one pass over the data.
func (o *logisticObjective) cached(p []float64) {
	if o.lastX != nil && slices.Equal(o.lastX, p) {
		return
	}
	if o.lastGrad == nil {
		o.lastGrad = make([]float64, len(p))
	}
	o.lastF = o.eval(p, o.lastGrad)
	o.lastX = append(o.lastX[:0], p...)
}

func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

// softplusSigmoid is softplus(z) and sigmoid(z) from one exponential:
// the same values, bit for bit, as the two apart.
func softplusSigmoid(z float64) (sp, sg float64) {
	e := math.Exp(-math.Abs(z))
	if z > 0 {
		sp = z + math.Log1p(e)
	} else {
		sp = math.Log1p(e)
	}
	if z >= 0 {
		sg = 1 / (1 + e)
	} else {
		sg = e / (1 + e)
	}
	return sp, sg
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// FitLogistic fits a logistic regression to d, whose features should be
// standardized. It is deterministic: the same data and settings give the
// same weights.
func FitLogistic(d *Dataset, set LogisticSettings) (*Logistic, FitResult, error) {
	if err := d.check(); err != nil {
		return nil, FitResult{}, err
	}
	s, err := classWeights(d, !set.Unbalanced)
	if err != nil {
		return nil, FitResult{}, err
	}
	r, c := d.X.Dims()
	lambda := set.Lambda
	if lambda == 0 {
		lambda = 1 / float64(r)
	}
	if lambda < 0 || math.IsNaN(lambda) {
		return nil, FitResult{}, fmt.Errorf("model: lambda %v must be positive", lambda)
	}
	obj := &logisticObjective{x: d.X, y: d.Y, s: s, sum: floats.Sum(s), lambda: lambda}
	problem := optimize.Problem{
		Func: func(p []float64) float64 { obj.cached(p); return obj.lastF },
		Grad: func(grad, p []float64) { obj.cached(p); copy(grad, obj.lastGrad) },
	}
	maxIter := set.MaxIterations
	if maxIter == 0 {
		maxIter = 500
	}
	tol := set.GradTol
	if tol == 0 {
		tol = 1e-5
	}
	settings := &optimize.Settings{
		GradientThreshold: tol,
		MajorIterations:   maxIter,
		// Stop when the objective no longer moves: on the plateau of a
		// regularized loss the gradient test alone can take many more
		// iterations for no change in ranking.
		Converger: &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-9, Iterations: 10},
	}
	p0 := make([]float64, c+1)
	if len(set.start) == c+1 {
		copy(p0, set.start)
	}
	res, err := optimize.Minimize(problem, p0, settings, &optimize.LBFGS{})
	if res == nil {
		return nil, FitResult{}, fmt.Errorf("model: logistic fit: %w", err)
	}
	fr := FitResult{
		Iterations:  res.Stats.MajorIterations,
		Evaluations: res.Stats.FuncEvaluations,
		Loss:        res.F,
		Status:      res.Status.String(),
		Converged:   err == nil && (res.Status == optimize.GradientThreshold || res.Status == optimize.FunctionConvergence),
	}
	m := &Logistic{Weights: slices.Clone(res.X[:c]), Bias: res.X[c]}
	for _, v := range res.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fr, fmt.Errorf("model: logistic fit diverged (%s)", fr.Status)
		}
	}
	return m, fr, nil
}

// Score writes the decision value w·z + b of each row of z (standardized
// features) into dst.
func (m *Logistic) Score(dst []float64, z *mat.Dense) error {
	r, c := z.Dims()
	if len(dst) != r || c != len(m.Weights) {
		return fmt.Errorf("%w: score %dx%d into %d with %d weights", ErrShape, r, c, len(dst), len(m.Weights))
	}
	for i := range r {
		dst[i] = floats.Dot(z.RawRowView(i), m.Weights) + m.Bias
	}
	return nil
}
