package model

import (
	"fmt"

	"gonum.org/v1/gonum/floats"

	"gonum.org/v1/gonum/mat"
)

// Dataset is a training set: one row of features per example, a label
// (1 for a seed, 0 for the population sample) and an optional weight.
type Dataset struct {
	X      *mat.Dense
	Y      []float64
	Weight []float64 // nil: every row weighs 1
}

func (d *Dataset) check() error {
	if d.X == nil || d.X.IsEmpty() {
		return ErrEmpty
	}
	r, _ := d.X.Dims()
	if len(d.Y) != r {
		return fmt.Errorf("%w: %d labels for %d rows", ErrShape, len(d.Y), r)
	}
	if d.Weight != nil && len(d.Weight) != r {
		return fmt.Errorf("%w: %d weights for %d rows", ErrShape, len(d.Weight), r)
	}
	return nil
}

// NewPUDataset stacks seed rows (label 1, weighted by seedWeight, or 1 when
// nil) on population rows (label 0): the positive–unlabeled training set.
// The population stands in for negatives; most of it is not a customer.
func NewPUDataset(seeds, population *mat.Dense, seedWeight []float64) (*Dataset, error) {
	ns, cs := seeds.Dims()
	np, cp := population.Dims()
	if cs != cp {
		return nil, fmt.Errorf("%w: seeds have %d features, population %d", ErrShape, cs, cp)
	}
	if ns == 0 || np == 0 {
		return nil, fmt.Errorf("%w: %d seeds, %d population rows", ErrEmpty, ns, np)
	}
	if seedWeight != nil && len(seedWeight) != ns {
		return nil, fmt.Errorf("%w: %d seed weights for %d seeds", ErrShape, len(seedWeight), ns)
	}
	x := mat.NewDense(ns+np, cs, nil)
	x.Slice(0, ns, 0, cs).(*mat.Dense).Copy(seeds)
	x.Slice(ns, ns+np, 0, cs).(*mat.Dense).Copy(population)
	d := &Dataset{X: x, Y: make([]float64, ns+np)}
	for i := range ns {
		d.Y[i] = 1
	}
	if seedWeight != nil {
		d.Weight = make([]float64, ns+np)
		copy(d.Weight, seedWeight)
		for i := ns; i < ns+np; i++ {
			d.Weight[i] = 1
		}
	}
	return d, nil
}

// Rows returns the rows of x at idx, in that order, as a new matrix.
func Rows(x *mat.Dense, idx []int) *mat.Dense {
	if len(idx) == 0 {
		return &mat.Dense{}
	}
	_, c := x.Dims()
	out := mat.NewDense(len(idx), c, nil)
	for i, j := range idx {
		copy(out.RawRowView(i), x.RawRowView(j))
	}
	return out
}

// byLabel returns the rows of d labelled 1 with a positive weight (the
// seeds) and the rows labelled 0 (the population).
func (d *Dataset) byLabel() (seeds, pop []int) {
	for i, y := range d.Y {
		switch {
		case y == 1 && d.weight(i) > 0:
			seeds = append(seeds, i)
		case y == 0:
			pop = append(pop, i)
		}
	}
	return seeds, pop
}

// mean returns the weighted mean of the rows idx of d, and their total
// weight.
func (d *Dataset) mean(idx []int) ([]float64, float64) {
	_, c := d.X.Dims()
	m := make([]float64, c)
	var tot float64
	for _, i := range idx {
		floats.AddScaled(m, d.weight(i), d.X.RawRowView(i))
		tot += d.weight(i)
	}
	if tot > 0 {
		floats.Scale(1/tot, m)
	}
	return m, tot
}

func (d *Dataset) weight(i int) float64 {
	if d.Weight == nil {
		return 1
	}
	return d.Weight[i]
}

// estimateRows is how many rows estimate a covariance (the centroid kinds'
// whitening) or quantiles (boosted trees' bins): past it, more rows move
// the estimate by less than it matters and cost in proportion, so a
// larger set is thinned evenly (spread).
const estimateRows = 50_000

// spread returns n of idx's entries evenly spaced, or idx itself when it
// has no more than n.
func spread(idx []int, n int) []int {
	if len(idx) <= n {
		return idx
	}
	out := make([]int, n)
	for j := range out {
		out[j] = idx[j*len(idx)/n]
	}
	return out
}
