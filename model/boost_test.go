package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// An interaction no linear model can see: positives where two features
// have the same sign.
func xorData(n int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 9))
	x := mat.NewDense(n, 3, nil)
	y := make([]float64, n)
	for i := range n {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		x.SetRow(i, []float64{a, b, rng.NormFloat64()})
		if a*b > 0 && rng.Float64() < 0.4 {
			y[i] = 1
		}
	}
	return &Dataset{X: x, Y: y}
}

func TestFitBoostedFindsInteractions(t *testing.T) {
	train, test := xorData(6000, 1), xorData(4000, 2)
	b, err := FitBoosted(train, BoostSettings{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Trees) == 0 || len(b.Trees) > 300 {
		t.Fatalf("%d trees", len(b.Trees))
	}
	s := make([]float64, 4000)
	if err := b.Score(s, test.X); err != nil {
		t.Fatal(err)
	}
	lin, _, _ := FitLogistic(train, LogisticSettings{})
	ls := make([]float64, 4000)
	lin.Score(ls, test.X)
	bAUC, lAUC := AUC(s, test.Y), AUC(ls, test.Y)
	if bAUC < 0.75 || lAUC > 0.6 {
		t.Errorf("boosted AUC %.3f, logistic %.3f: trees should see the interaction, a line cannot", bAUC, lAUC)
	}
	// The report's top features are the two that interact.
	top := topFeatures(&Model{Kind: KindBoosted, Boosted: b, Standardizer: &Standardizer{Mean: make([]float64, 3), Scale: []float64{1, 1, 1}}}, 3)
	if top[2].Index != 2 || top[2].Weight >= top[1].Weight {
		t.Errorf("top features %+v: the noise feature should come last", top)
	}
	// Deterministic.
	b2, _ := FitBoosted(train, BoostSettings{Seed: 1})
	if len(b2.Trees) != len(b.Trees) || b2.Trees[0].Nodes[0] != b.Trees[0].Nodes[0] {
		t.Error("two fits differ")
	}
	if err := checkBoosted(b, 3); err != nil {
		t.Errorf("a fitted model fails its own check: %v", err)
	}
	bad := *b
	bad.Trees = append([]Tree{{Nodes: []TreeNode{{Feature: 7, Left: 1, Right: 2}, {Left: -1}, {Left: -1}}}}, b.Trees...)
	if err := checkBoosted(&bad, 3); err == nil {
		t.Error("a split on feature 7 of 3 passed the check")
	}
	cyc := Boosted{Trees: []Tree{{Nodes: []TreeNode{{Left: 0, Right: 0}}}}}
	if err := checkBoosted(&cyc, 3); err == nil {
		t.Error("a node that is its own child passed the check")
	}
}

func TestBinner(t *testing.T) {
	x := mat.NewDense(8, 1, []float64{1, 2, 3, 4, 5, 6, 7, 8})
	b := newBinner(x, []int{0, 1, 2, 3, 4, 5, 6, 7}, 4)
	// Edges at the 2nd, 4th and 6th values: 3, 5, 7.
	want := map[float64]uint8{1: 0, 3: 0, 3.5: 1, 5: 1, 6: 2, 7: 2, 8: 3, 100: 3}
	for v, bin := range want {
		if got := b.bin(0, v); got != bin {
			t.Errorf("bin(%v) = %d, want %d", v, got, bin)
		}
	}
}

// TestBestSplitIsBruteForce: the split the histograms choose is the one a
// search over every feature and every bin edge, summing the rows on each
// side directly, finds — same feature, same edge, same gain.
func TestBestSplitIsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 50 {
		n, c := 40+rng.IntN(300), 1+rng.IntN(6)
		x := mat.NewDense(n, c, nil)
		for i := range n {
			for f := range c {
				x.Set(i, f, float64(rng.IntN(3+f*5))) // few distinct values: ties and empty bins
			}
		}
		set := BoostSettings{Bins: 2 + rng.IntN(20), MinLeaf: 1 + rng.IntN(n/3)}.withDefaults()
		rows := make([]int, 0, n)
		for i := range n {
			if rng.IntN(4) > 0 {
				rows = append(rows, i)
			}
		}
		bins := newBinner(x, rows, set.Bins)
		codes := bins.codes(x)
		grad, hess := make([]float64, n), make([]float64, n)
		var G, H float64
		for _, i := range rows {
			grad[i], hess[i] = rng.NormFloat64(), 0.05+rng.Float64()
			G, H = G+grad[i], H+hess[i]
		}
		g := newTreeGrower(codes, n, c, bins, interleave(grad, hess), nil, set)
		hist := g.take()
		g.histogram(hist, rows)
		got := g.bestSplit(hist, G, H, len(rows))

		want := treeSplit{gain: 1e-9}
		for f := range c {
			for b, edge := range bins.edges[f] {
				var gl, hl float64
				nl := 0
				for _, i := range rows {
					if x.At(i, f) <= edge {
						gl, hl, nl = gl+grad[i], hl+hess[i], nl+1
					}
				}
				if nl < set.MinLeaf || len(rows)-nl < set.MinLeaf {
					continue
				}
				gain := gl*gl/(hl+set.L2) + (G-gl)*(G-gl)/(H-hl+set.L2) - G*G/(H+set.L2)
				if gain > want.gain+1e-12 {
					want = treeSplit{gain, f, uint8(b)}
				}
			}
		}
		if got.feature != want.feature || got.bin != want.bin || math.Abs(got.gain-want.gain) > 1e-9 {
			t.Fatalf("trial %d (%d rows, %d features, min leaf %d): histograms chose %+v, brute force %+v", trial, len(rows), c, set.MinLeaf, got, want)
		}
	}
}

// TestSubtractionTrick: trees grown with each larger sibling's histograms
// taken as its parent's less the smaller's are the trees grown with every
// histogram built from the rows: the same splits, the same leaf values
// but for rounding.
func TestSubtractionTrick(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n, c := 3000, 6
	x := mat.NewDense(n, c, nil)
	for i := range n {
		for f := range c {
			x.Set(i, f, math.Round(rng.NormFloat64()*4))
		}
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	set := BoostSettings{Depth: 4, MinLeaf: 10}.withDefaults()
	bins := newBinner(x, rows, set.Bins)
	codes := bins.codes(x)
	grad, hess := make([]float64, n), make([]float64, n)
	for i := range n {
		grad[i], hess[i] = rng.NormFloat64()+x.At(i, 0)*x.At(i, 1)/8, 0.05+rng.Float64()
	}
	trick := newTreeGrower(codes, n, c, bins, interleave(grad, hess), nil, set).grow(rows)
	g := newTreeGrower(codes, n, c, bins, interleave(grad, hess), nil, set)
	g.direct = true
	direct := g.grow(rows)
	if len(trick.Nodes) != len(direct.Nodes) || len(trick.Nodes) < 15 {
		t.Fatalf("%d nodes with the trick, %d without (want a full tree of depth 4)", len(trick.Nodes), len(direct.Nodes))
	}
	for i, a := range trick.Nodes {
		b := direct.Nodes[i]
		if a.Feature != b.Feature || a.Threshold != b.Threshold || a.Left != b.Left || a.Right != b.Right || math.Abs(a.Value-b.Value) > 1e-12 {
			t.Errorf("node %d: %+v with the trick, %+v without", i, a, b)
		}
	}
}

// TestLeavesRouteAsTheTree: the rows the grower leaves in each leaf are
// exactly the rows the tree sends there, so FitBoosted may add a leaf's
// value to its rows' scores without sending them down the tree: every
// grown row in one leaf, each with the value tree.eval gives it.
func TestLeavesRouteAsTheTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n, c := 4000, 5
	x := mat.NewDense(n, c, nil)
	for i := range n {
		for f := range c {
			v := math.Round(rng.NormFloat64() * 3)
			if f == 4 && rng.IntN(3) > 0 {
				v = 0 // a feature with a dominant bin
			}
			x.Set(i, f, v)
		}
	}
	var rows []int
	for i := range n {
		if i%7 != 0 { // a held-out seventh, as FitBoosted holds out rows
			rows = append(rows, i)
		}
	}
	set := BoostSettings{Depth: 3, MinLeaf: 20}.withDefaults()
	bins := newBinner(x, rows, set.Bins)
	grad, hess := make([]float64, n), make([]float64, n)
	for i := range n {
		grad[i], hess[i] = rng.NormFloat64()+x.At(i, 0)-x.At(i, 4), 0.1+rng.Float64()
	}
	g := newTreeGrower(bins.codes(x), n, c, bins, interleave(grad, hess), rows, set)
	tree := g.grow(rows)
	for i := range n { // held-out rows too: FitBoosted routes them by their codes
		if v, w := g.evalCodes(&tree, i), tree.eval(x.RawRowView(i)); v != w {
			t.Fatalf("row %d: %v by its codes, the tree gives %v", i, v, w)
		}
	}
	seen := make([]int, n)
	for _, leaf := range g.leaves {
		for _, i := range leaf.rows {
			seen[i]++
			if v := tree.eval(x.RawRowView(i)); v != leaf.value {
				t.Fatalf("row %d: leaf value %v, the tree gives %v", i, leaf.value, v)
			}
		}
	}
	for _, i := range rows {
		if seen[i] != 1 {
			t.Fatalf("row %d is in %d leaves", i, seen[i])
		}
	}
	if len(g.leaves) < 4 {
		t.Errorf("%d leaves: the tree hardly grew", len(g.leaves))
	}
}

// TestSparseHistogram: a feature with a dominant bin (a one-hot column, a
// count that is mostly 0) gets its histograms from the rows off that bin,
// the dominant bin being the node's sums less the others: equal to the
// histograms built from every row of the node, for the root and for a
// node of a third of the rows.
func TestSparseHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n, c := 4000, 5
	x := mat.NewDense(n, c, nil)
	for i := range n {
		x.Set(i, 0, float64(rng.IntN(2)))               // binary, about half: dense
		x.Set(i, 1, boolFloat(rng.Float64() < 0.08))    // one-hot, rare
		x.Set(i, 2, boolFloat(rng.Float64() < 0.3))     // one-hot
		x.Set(i, 3, math.Max(0, rng.NormFloat64()*5-4)) // mostly 0
		x.Set(i, 4, rng.NormFloat64())                  // continuous: dense
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	set := BoostSettings{}.withDefaults()
	bins := newBinner(x, all, set.Bins)
	codes := bins.codes(x)
	grad, hess := make([]float64, n), make([]float64, n)
	for i := range n {
		grad[i], hess[i] = rng.NormFloat64(), 0.05+rng.Float64()
	}
	g := newTreeGrower(codes, n, c, bins, interleave(grad, hess), nil, set)
	if g.sparse[1] == nil || g.sparse[2] == nil || g.sparse[3] == nil || g.sparse[4] != nil {
		t.Fatalf("sparse features %v, want 1, 2 and 3", g.sparse)
	}
	var third []int
	for i := range n {
		if rng.IntN(3) == 0 {
			third = append(third, i)
		}
	}
	for _, rows := range [][]int{all, third} {
		got, want := g.take(), g.take()
		g.histogram(got, rows)
		g.direct = true
		g.histogram(want, rows)
		g.direct = false
		for j := range got {
			if got[j].n != want[j].n || math.Abs(got[j].g-want[j].g) > 1e-9 || math.Abs(got[j].h-want[j].h) > 1e-9 {
				t.Fatalf("%d rows, feature %d bin %d: %+v, want %+v", len(rows), j/g.stride, j%g.stride, got[j], want[j])
			}
		}
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// interleave pairs each row's gradient and hessian as the grower keeps
// them.
func interleave(grad, hess []float64) []gradHess {
	gh := make([]gradHess, len(grad))
	for i := range gh {
		gh[i] = gradHess{grad[i], hess[i]}
	}
	return gh
}
