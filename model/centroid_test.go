package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestCentroidCosineAndContrast(t *testing.T) {
	// Seeds point along feature 0; the population is centred at 0.
	x := mat.NewDense(6, 2, []float64{
		2, 0.1, // seeds
		3, -0.1,
		0.5, 1, // population
		-0.5, -1,
		0.2, 0,
		-0.2, 0,
	})
	d := &Dataset{X: x, Y: []float64{1, 1, 0, 0, 0, 0}}
	c, err := FitCentroid(d, CentroidSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.Centroids[0][0]-2.5) > tol || math.Abs(c.Centroids[0][1]) > tol {
		t.Fatalf("centroid %v, want [2.5 0]", c.Centroids[0])
	}
	z := mat.NewDense(3, 2, []float64{1, 0, 0, 1, -1, 0})
	s := make([]float64, 3)
	if err := c.Score(s, z); err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 0, -1} // cosines
	for i := range want {
		if math.Abs(s[i]-want[i]) > 1e-9 {
			t.Errorf("cosine score %d = %v, want %v", i, s[i], want[i])
		}
	}
	ct, _ := FitCentroid(d, CentroidSettings{Mode: ContrastMode})
	if err := ct.Score(s, z); err != nil {
		t.Fatal(err)
	}
	// Row [1 0]: ‖z − p‖ − ‖z − c‖ with p = [0 0], c = [2.5 0]: 1 − 1.5.
	if math.Abs(s[0]-(1-1.5)) > 1e-9 || !(s[0] > s[1] && s[1] > s[2]) {
		t.Errorf("contrast scores %v", s)
	}
}

func TestCentroidShrink(t *testing.T) {
	// A feature whose seed mean is well inside its noise is shrunk to 0; a
	// strong one barely moves.
	rng := rand.New(rand.NewPCG(5, 5))
	n := 50
	x := mat.NewDense(n, 2, nil)
	y := make([]float64, n)
	for i := range n {
		y[i] = 1
		x.Set(i, 0, 3+rng.NormFloat64())
		x.Set(i, 1, 0.05+rng.NormFloat64())
	}
	x.Set(0, 1, x.At(0, 1)) // keep
	d := &Dataset{X: x, Y: y}
	raw, _ := FitCentroid(d, CentroidSettings{})
	shr, _ := FitCentroid(d, CentroidSettings{Shrink: true})
	if math.Abs(shr.Centroids[0][0]-raw.Centroids[0][0]) > 0.05*raw.Centroids[0][0] {
		t.Errorf("strong feature shrunk from %v to %v", raw.Centroids[0][0], shr.Centroids[0][0])
	}
	if math.Abs(shr.Centroids[0][1]) >= math.Abs(raw.Centroids[0][1]) {
		t.Errorf("noise feature not shrunk: %v → %v", raw.Centroids[0][1], shr.Centroids[0][1])
	}
}

func TestMultiCentroid(t *testing.T) {
	// Seeds of two kinds, far apart: k-means finds both, and a row near
	// either kind scores high.
	rng := rand.New(rand.NewPCG(7, 7))
	n := 400
	x := mat.NewDense(n, 3, nil)
	y := make([]float64, n)
	for i := range n {
		row := x.RawRowView(i)
		for j := range row {
			row[j] = 0.3 * rng.NormFloat64()
		}
		if i < 200 {
			y[i] = 1
			if i%2 == 0 {
				row[0] += 4
			} else {
				row[1] += 4
			}
		}
	}
	d := &Dataset{X: x, Y: y}
	m, err := FitCentroid(d, CentroidSettings{K: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Centroids) != 2 {
		t.Fatalf("%d centroids", len(m.Centroids))
	}
	one, _ := FitCentroid(d, CentroidSettings{})
	z := mat.NewDense(2, 3, []float64{4, 0, 0, 0, 4, 0})
	s2, s1 := make([]float64, 2), make([]float64, 2)
	m.Score(s2, z)
	one.Score(s1, z)
	for i := range 2 {
		if s2[i] < 0.95 || s2[i] <= s1[i] {
			t.Errorf("row %d: two centroids score %v, one %v", i, s2[i], s1[i])
		}
	}
	// Same seed, same centroids.
	again, _ := FitCentroid(d, CentroidSettings{K: 2, Seed: 1})
	if !mat.EqualApprox(mat.NewDense(1, 3, m.Centroids[0]), mat.NewDense(1, 3, again.Centroids[0]), 0) {
		t.Error("k-means is not deterministic for a seed")
	}
}

func TestKForSeeds(t *testing.T) {
	for _, c := range []struct{ n, k int }{{10, 1}, {299, 1}, {600, 2}, {1000, 3}, {100000, 8}} {
		if got := KForSeeds(c.n); got != c.k {
			t.Errorf("KForSeeds(%d) = %d, want %d", c.n, got, c.k)
		}
	}
}

func TestCentroidWhiten(t *testing.T) {
	// Five copies of one noise feature (a group of correlated columns)
	// beside one signal feature: unwhitened, the copies outvote the
	// signal; whitened, they count once and the seeds are found.
	rng := rand.New(rand.NewPCG(9, 9))
	const copies, nSeed, nPop = 10, 200, 2000
	n := nSeed + nPop
	x := mat.NewDense(n, copies+1, nil)
	y := make([]float64, n)
	for i := range n {
		signal := rng.NormFloat64()
		if i < nSeed {
			y[i] = 1
			signal += 1.5
		}
		noise := rng.NormFloat64()
		if i < nSeed {
			noise += 0.5 // the seeds lean a little along the noise too
		}
		x.Set(i, 0, signal)
		for j := 1; j <= copies; j++ {
			x.Set(i, j, noise+0.05*rng.NormFloat64())
		}
	}
	d := &Dataset{X: x, Y: y}
	auc := func(c *Centroid) float64 {
		s := make([]float64, n)
		if err := c.Score(s, x); err != nil {
			t.Fatal(err)
		}
		return AUC(s, y)
	}
	raw, err := FitCentroid(d, CentroidSettings{})
	if err != nil {
		t.Fatal(err)
	}
	wh, err := FitCentroid(d, CentroidSettings{Whiten: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(wh.Whitener) != (copies+1)*(copies+1) || len(raw.Whitener) != 0 {
		t.Fatalf("whitener sizes %d and %d", len(wh.Whitener), len(raw.Whitener))
	}
	ar, aw := auc(raw), auc(wh)
	t.Logf("AUC unwhitened %.3f, whitened %.3f", ar, aw)
	if aw < 0.8 || aw < ar+0.05 {
		t.Errorf("whitened centroid AUC %.3f against %.3f unwhitened; whitening should find the signal", aw, ar)
	}
	// The whitened population has (about) unit covariance: L⁻¹ applied
	// to Σ+I gives I exactly, so to Σ alone each variance is under 1.
	var pop []int
	for i := nSeed; i < n; i++ {
		pop = append(pop, i)
	}
	zw := wh.whiten(d)
	mu, _ := zw.mean(pop)
	for j := range copies + 1 {
		var v float64
		for _, i := range pop {
			e := zw.X.At(i, j) - mu[j]
			v += e * e
		}
		v /= float64(len(pop))
		if v <= 0 || v >= 1 {
			t.Errorf("whitened feature %d has population variance %.3f, want in (0, 1)", j, v)
		}
	}
	if _, err := FitCentroid(d, CentroidSettings{Whiten: true, Ridge: -1}); err == nil {
		t.Error("a negative ridge was accepted")
	}
}

// TestScoreHeldWhitenedOnce: the kinds that whiten with a fold's shared
// whitening score its held-out rows whitened once, and give exactly what
// each would by scoring them itself; a kind that does not whiten is
// unaffected.
func TestScoreHeldWhitenedOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	draw := func(n int, seedShare float64) *Dataset {
		x := mat.NewDense(n, 4, nil)
		y := make([]float64, n)
		for i := range n {
			if rng.Float64() < seedShare {
				y[i] = 1
			}
			for j := range 4 {
				x.Set(i, j, rng.NormFloat64()+y[i]*float64(j)/2+x.At(i, max(j-1, 0))/2)
			}
		}
		return &Dataset{X: x, Y: y}
	}
	train, held := draw(400, 0.2), draw(100, 0.2)
	shared := &fitShared{}
	for _, kind := range []Kind{KindCentroid, KindContrast, KindMultiCentroid, KindMeanDiff, KindCentroid} {
		m, err := fitKind(kind, train, Settings{Shrink: true}, 80, shared)
		if err != nil {
			t.Fatal(err)
		}
		got, want := make([]float64, 100), make([]float64, 100)
		if err := shared.scoreHeld(m, held, got); err != nil {
			t.Fatal(err)
		}
		if err := m.scoreStandardized(want, held.X); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s row %d: %v, want %v", kind, i, got[i], want[i])
			}
		}
	}
	if shared.heldWhitened == nil {
		t.Error("the held-out rows were never whitened once for the centroid kinds")
	}
}
