package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// BoostSettings configures FitBoosted. The zero value is the default: up
// to 300 trees of 2 levels, learning rate 0.1, 32 bins per feature,
// leaves of at least 20 rows, L2 1 on leaf values, early stopping on a
// tenth of the rows held out.
type BoostSettings struct {
	Trees        int     `json:"trees,omitempty"`
	Depth        int     `json:"depth,omitempty"`
	LearningRate float64 `json:"learning_rate,omitempty"`
	Bins         int     `json:"bins,omitempty"` // at most 255
	MinLeaf      int     `json:"min_leaf,omitempty"`
	L2           float64 `json:"l2,omitempty"`
	// Patience stops adding trees when the held-out loss has not improved
	// for this many rounds; 0 means 15.
	Patience int    `json:"patience,omitempty"`
	Seed     uint64 `json:"seed,omitempty"` // the early-stopping split
}

func (s BoostSettings) withDefaults() BoostSettings {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&s.Trees, 300)
	def(&s.Depth, 2)
	def(&s.Bins, 32)
	def(&s.MinLeaf, 20)
	def(&s.Patience, 15)
	if s.LearningRate == 0 {
		s.LearningRate = 0.1
	}
	if s.L2 == 0 {
		s.L2 = 1
	}
	s.Bins = min(s.Bins, 255)
	return s
}

// Boosted is a gradient-boosted ensemble of regression trees on the logistic
// loss: score = Base + Σ tree(z).
type Boosted struct {
	Base  float64 `json:"base"`
	Trees []Tree  `json:"trees"`
}

// Tree is one regression tree, its nodes in an array; node 0 is the root.
type Tree struct {
	Nodes []TreeNode `json:"nodes"`
}

// TreeNode is a split (Left ≥ 0: rows with feature ≤ Threshold go Left,
// the others Right) or a leaf (Left < 0) with a Value.
type TreeNode struct {
	Feature   int     `json:"f,omitempty"`
	Threshold float64 `json:"t,omitempty"`
	Left      int     `json:"l"`
	Right     int     `json:"r,omitempty"`
	Value     float64 `json:"v,omitempty"`
}

func (t *Tree) eval(row []float64) float64 {
	i := 0
	for {
		n := &t.Nodes[i]
		if n.Left < 0 {
			return n.Value
		}
		if row[n.Feature] <= n.Threshold {
			i = n.Left
		} else {
			i = n.Right
		}
	}
}

// Score writes Base + Σ tree(z) for each row of z into dst.
func (b *Boosted) Score(dst []float64, z *mat.Dense) error {
	r, _ := z.Dims()
	if len(dst) != r {
		return fmt.Errorf("%w: %d scores for %d rows", ErrShape, len(dst), r)
	}
	for i := range r {
		dst[i] = b.scoreRow(z.RawRowView(i))
	}
	return nil
}

func (b *Boosted) scoreRow(row []float64) float64 {
	s := b.Base
	for t := range b.Trees {
		s += b.Trees[t].eval(row)
	}
	return s
}

// binner maps each feature to at most n bins by quantile edges (of at
// most estimateRows rows).
type binner struct {
	edges [][]float64 // edges[f][b]: rows with value ≤ edges[f][b] are in bin ≤ b
}

func newBinner(x *mat.Dense, rows []int, n int) *binner {
	rows = spread(rows, estimateRows)
	_, c := x.Dims()
	b := &binner{edges: make([][]float64, c)}
	vals := make([]float64, len(rows))
	for f := range c {
		for i, r := range rows {
			vals[i] = x.At(r, f)
		}
		slices.Sort(vals)
		var e []float64
		for q := 1; q < n; q++ {
			v := vals[q*len(vals)/n]
			if (len(e) == 0 || v > e[len(e)-1]) && v < vals[len(vals)-1] {
				e = append(e, v)
			}
		}
		b.edges[f] = e
	}
	return b
}

// codes bins every row of x: feature-major, codes[f*n+i] is row i's bin
// of feature f.
func (b *binner) codes(x *mat.Dense) []uint8 {
	n, c := x.Dims()
	codes := make([]uint8, c*n)
	for i := range n {
		for f, v := range x.RawRowView(i) {
			codes[f*n+i] = b.bin(f, v)
		}
	}
	return codes
}

func (b *binner) bin(f int, v float64) uint8 {
	e := b.edges[f]
	lo, hi := 0, len(e)
	for lo < hi {
		m := (lo + hi) / 2
		if v <= e[m] {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return uint8(lo)
}

// FitBoosted fits gradient-boosted trees to d (weighted logistic loss,
// classes balanced as in FitLogistic). A tenth of the rows, drawn from
// set.Seed, is held out to stop adding trees once they no longer help.
func FitBoosted(d *Dataset, set BoostSettings) (*Boosted, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	set = set.withDefaults()
	w, err := classWeights(d, true)
	if err != nil {
		return nil, err
	}
	n, c := d.X.Dims()
	rng := rand.New(rand.NewPCG(set.Seed, 0xb005))
	var train, valid []int
	for i := range n {
		if rng.Float64() < 0.1 {
			valid = append(valid, i)
		} else {
			train = append(train, i)
		}
	}
	if len(valid) == 0 || len(train) < 2*set.MinLeaf {
		return nil, fmt.Errorf("%w: %d rows are too few to boost", ErrEmpty, n)
	}
	bins := newBinner(d.X, train, set.Bins)
	codes := bins.codes(d.X)
	var wp, wt float64
	for _, i := range train {
		wt += w[i]
		wp += w[i] * d.Y[i]
	}
	m := &Boosted{Base: math.Log(wp / (wt - wp))}
	score := make([]float64, n)
	for i := range score {
		score[i] = m.Base
	}
	gh := make([]gradHess, n)
	validLoss := func() float64 {
		var l, tw float64
		for _, i := range valid {
			l += w[i] * (softplus(score[i]) - d.Y[i]*score[i])
			tw += w[i]
		}
		return l / tw
	}
	best, bestTrees, stale := validLoss(), 0, 0
	g := newTreeGrower(codes, n, c, bins, gh, train, set)
	for range set.Trees {
		for _, i := range train {
			p := sigmoid(score[i])
			gh[i] = gradHess{w[i] * (p - d.Y[i]), max(w[i]*p*(1-p), 1e-12)}
		}
		tree := g.grow(train)
		m.Trees = append(m.Trees, tree)
		// The training rows' leaves are known from the growing; only the
		// held-out rows go down the tree.
		for _, leaf := range g.leaves {
			for _, i := range leaf.rows {
				score[i] += leaf.value
			}
		}
		for _, i := range valid {
			score[i] += g.evalCodes(&tree, i)
		}
		if l := validLoss(); l < best-1e-9 {
			best, bestTrees, stale = l, len(m.Trees), 0
		} else if stale++; stale >= set.Patience {
			break
		}
	}
	m.Trees = m.Trees[:bestTrees]
	return m, nil
}

// evalCodes is t.eval of row i from its bin codes (t the last tree
// grown): a code is at or under a split's bin exactly when the value is
// at or under its threshold.
func (g *treeGrower) evalCodes(t *Tree, i int) float64 {
	k := 0
	for {
		n := &t.Nodes[k]
		if n.Left < 0 {
			return n.Value
		}
		if g.codes[n.Feature*g.n+i] <= g.nodeBins[k] {
			k = n.Left
		} else {
			k = n.Right
		}
	}
}

// leafRows are the rows a tree sends to one leaf, and its value.
type leafRows struct {
	rows  []int
	value float64
}

// treeGrower grows one tree level by level from gradient histograms.
// The bin codes are feature-major, so a node's histogram of one feature is
// built in one pass over its rows into a few hundred bytes that stay in
// the first-level cache — or, for a feature with a dominant bin, over the
// rows off that bin only.
type treeGrower struct {
	codes []uint8 // codes[f*n+i]: row i's bin of feature f
	n, c  int
	bins  *binner
	// gh are the rows' gradients and hessians, side by side: the sparse
	// features' passes reach them by row, one cache line for both.
	gh []gradHess
	// leaves are the last tree's leaves with the rows grown into each: a
	// row's code is at or under a split's bin exactly when its value is at
	// or under the split's threshold, so they are the rows the tree sends
	// there.
	leaves []leafRows
	set    BoostSettings

	pool   [][]histBin // histogram buffers: per feature, its bins' sums, stride apart
	stride int
	// sparse are the features with a dominant bin, whose histograms are
	// built from the rows off it (nil: a dense feature); mark[i] == stamp
	// says row i is in the node whose histograms are being built.
	sparse []*sparseFeature
	mark   []uint32
	stamp  uint32
	all    int // rows of the root, whose rows need no mark (0: n)
	// direct builds every node's histograms from all its rows, without the
	// subtraction trick or the sparse features (tests compare them).
	direct bool
	lg, lh []float64 // a node's rows' gradients and hessians, gathered
	dense  []int     // the features a node's histograms sum over all its rows
	split  [2][]int  // the rows of the nodes of odd and even depths
	// nodeBins are the last tree's splits' bins, by node: a row goes left
	// when its code is at or under its node's bin.
	nodeBins []uint8
}

// gradHess is a row's gradient and hessian of the loss.
type gradHess struct{ g, h float64 }

// histBin is one bin's sums of a node's gradients, hessians and rows.
type histBin struct {
	g, h float64
	n    int
}

// newTreeGrower grows trees on rows (in increasing order; nil: all n) of
// codes.
func newTreeGrower(codes []uint8, n, c int, bins *binner, gh []gradHess, rows []int, set BoostSettings) *treeGrower {
	stride := 1
	for _, e := range bins.edges {
		stride = max(stride, len(e)+1)
	}
	return &treeGrower{codes: codes, n: n, c: c, bins: bins, gh: gh, set: set, stride: stride,
		sparse: sparseFeatures(codes, n, c, rows), mark: make([]uint32, n), all: len(rows)}
}

type treeSplit struct {
	gain    float64
	feature int
	bin     uint8
}

// histogram fills hist with the sums of rows' gradients and hessians by
// feature and bin.
func (g *treeGrower) histogram(hist []histBin, rows []int) {
	g.lg, g.lh = g.lg[:0], g.lh[:0]
	var G, H float64
	for _, i := range rows {
		x := g.gh[i]
		g.lg, g.lh = append(g.lg, x.g), append(g.lh, x.h)
		G, H = G+x.g, H+x.h
	}
	// The root's rows are all the sparse lists' rows: nothing to mark.
	root := len(rows) == g.all || (g.all == 0 && len(rows) == g.n)
	marked := false
	g.dense = g.dense[:0]
	clear(hist)
	for f := range g.c {
		hist := hist[f*g.stride : (f+1)*g.stride]
		codes := g.codes[f*g.n : (f+1)*g.n]
		if sp := g.sparse[f]; sp != nil && len(sp.rows) < len(rows) && !g.direct {
			// Only the rows off the dominant bin, those of this node;
			// the dominant bin is the node's sums less the others.
			if !marked && !root {
				g.stamp++
				for _, i := range rows {
					g.mark[i] = g.stamp
				}
				marked = true
			}
			var og, oh float64
			on := 0
			if sp.single {
				// Every row off the dominant bin is in one bin (a
				// one-hot column): its sums are the others'.
				if root {
					for _, i := range sp.rows {
						x := g.gh[i]
						og, oh, on = og+x.g, oh+x.h, on+1
					}
				} else {
					for _, i := range sp.rows {
						if g.mark[i] == g.stamp {
							x := g.gh[i]
							og, oh, on = og+x.g, oh+x.h, on+1
						}
					}
				}
				hist[sp.other] = histBin{og, oh, on}
			} else {
				for _, i := range sp.rows {
					if root || g.mark[i] == g.stamp {
						x := g.gh[i]
						b := &hist[codes[i]]
						b.g += x.g
						b.h += x.h
						b.n++
						og, oh, on = og+x.g, oh+x.h, on+1
					}
				}
			}
			d := &hist[sp.dominant]
			d.g, d.h, d.n = G-og, H-oh, len(rows)-on
			continue
		}
		g.dense = append(g.dense, f)
	}
	// The dense features two at a time: their bins' sums are two chains
	// of additions the processor runs side by side (each bin still adds
	// its rows in order).
	k := 0
	for ; k+1 < len(g.dense); k += 2 {
		f1, f2 := g.dense[k], g.dense[k+1]
		h1, h2 := hist[f1*g.stride:(f1+1)*g.stride], hist[f2*g.stride:(f2+1)*g.stride]
		c1, c2 := g.codes[f1*g.n:(f1+1)*g.n], g.codes[f2*g.n:(f2+1)*g.n]
		for j, i := range rows {
			gj, hj := g.lg[j], g.lh[j]
			b1, b2 := &h1[c1[i]], &h2[c2[i]]
			b1.g += gj
			b1.h += hj
			b1.n++
			b2.g += gj
			b2.h += hj
			b2.n++
		}
	}
	if k < len(g.dense) {
		f := g.dense[k]
		h, codes := hist[f*g.stride:(f+1)*g.stride], g.codes[f*g.n:(f+1)*g.n]
		for j, i := range rows {
			b := &h[codes[i]]
			b.g += g.lg[j]
			b.h += g.lh[j]
			b.n++
		}
	}
}

// sparseFeature lists the rows of a feature off its dominant bin, for a
// feature whose one bin holds at least half the rows (a one-hot column, a
// count that is mostly 0).
type sparseFeature struct {
	dominant uint8
	rows     []int32
	// single says every row off the dominant bin is in bin other.
	single bool
	other  uint8
}

// sparseFeatures finds the features with a dominant bin among rows (in
// increasing order; nil: every row), and lists those rows off it.
func sparseFeatures(codes []uint8, n, c int, rows []int) []*sparseFeature {
	if rows == nil {
		rows = make([]int, n)
		for i := range rows {
			rows[i] = i
		}
	}
	m := len(rows)
	out := make([]*sparseFeature, c)
	var count [256]int
	for f := range c {
		col := codes[f*n : (f+1)*n]
		clear(count[:])
		for _, i := range rows {
			count[col[i]]++
		}
		dom := 0
		for b, k := range count {
			if k > count[dom] {
				dom = b
			}
		}
		if 2*count[dom] < m {
			continue
		}
		sp := &sparseFeature{dominant: uint8(dom), rows: make([]int32, 0, m-count[dom])}
		for b, k := range count {
			if b != dom && k > 0 {
				sp.other = uint8(b)
				sp.single = k == m-count[dom]
				break
			}
		}
		for _, i := range rows {
			if int(col[i]) != dom {
				sp.rows = append(sp.rows, int32(i))
			}
		}
		out[f] = sp
	}
	return out
}

// bestSplit is the split of a node (its rows' sums G, H over count rows)
// with the largest gain, from its histograms; gain 1e-9 or less means
// none.
func (g *treeGrower) bestSplit(nodeHist []histBin, G, H float64, count int) treeSplit {
	parent := G * G / (H + g.set.L2)
	best := treeSplit{gain: 1e-9}
	for f := range g.c {
		hist := nodeHist[f*g.stride : (f+1)*g.stride]
		var gl, hl float64
		nl := 0
		for b := range len(g.bins.edges[f]) {
			gl += hist[b].g
			hl += hist[b].h
			nl += hist[b].n
			nr := count - nl
			if nl < g.set.MinLeaf || nr < g.set.MinLeaf {
				continue
			}
			gr, hr := G-gl, H-hl
			gain := gl*gl/(hl+g.set.L2) + gr*gr/(hr+g.set.L2) - parent
			if gain > best.gain {
				best = treeSplit{gain, f, uint8(b)}
			}
		}
	}
	return best
}

// grow grows one tree on rows. A node's histograms are built from its
// rows only for the smaller of two siblings; the larger's are its
// parent's less the smaller's (the subtraction trick), which halves the
// passes over the rows below the root.
func (g *treeGrower) grow(rows []int) Tree {
	var t Tree
	g.leaves = g.leaves[:0]
	type pending struct {
		node  int
		rows  []int
		off   int // of rows in the split buffers
		depth int
		hist  []histBin // nil: build from rows
	}
	// A node's children's rows are its own split in order, written into
	// the split buffer of their depth at its rows' place: the nodes of one
	// depth hold disjoint ranges, so a leaf's rows stay there, untouched,
	// until the next tree.
	for b := range g.split {
		if cap(g.split[b]) < len(rows) {
			g.split[b] = make([]int, len(rows))
		}
		g.split[b] = g.split[b][:len(rows)]
	}
	t.Nodes = append(t.Nodes, TreeNode{Left: -1})
	g.nodeBins = append(g.nodeBins[:0], 0)
	queue := []pending{{0, rows, 0, 0, nil}}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		var G, H float64
		for _, i := range p.rows {
			G += g.gh[i].g
			H += g.gh[i].h
		}
		t.Nodes[p.node].Value = -G / (H + g.set.L2) * g.set.LearningRate
		if p.depth >= g.set.Depth || len(p.rows) < 2*g.set.MinLeaf {
			g.release(p.hist)
			g.leaves = append(g.leaves, leafRows{p.rows, t.Nodes[p.node].Value})
			continue
		}
		if p.hist == nil {
			p.hist = g.take()
			g.histogram(p.hist, p.rows)
		}
		best := g.bestSplit(p.hist, G, H, len(p.rows))
		if best.gain <= 1e-9 {
			g.release(p.hist)
			g.leaves = append(g.leaves, leafRows{p.rows, t.Nodes[p.node].Value})
			continue
		}
		codes := g.codes[best.feature*g.n : (best.feature+1)*g.n]
		nl := 0
		for _, i := range p.rows {
			if codes[i] <= best.bin {
				nl++
			}
		}
		out := g.split[(p.depth+1)%2][p.off : p.off+len(p.rows)]
		left, right := out[:0:nl], out[nl:nl]
		for _, i := range p.rows {
			if codes[i] <= best.bin {
				left = append(left, i)
			} else {
				right = append(right, i)
			}
		}
		l, r := len(t.Nodes), len(t.Nodes)+1
		t.Nodes = append(t.Nodes, TreeNode{Left: -1}, TreeNode{Left: -1})
		g.nodeBins[p.node] = best.bin
		g.nodeBins = append(g.nodeBins, 0, 0)
		n := &t.Nodes[p.node]
		n.Feature, n.Threshold, n.Left, n.Right, n.Value = best.feature, g.bins.edges[best.feature][best.bin], l, r, 0
		var lh, rh []histBin
		if p.depth+1 < g.set.Depth && !g.direct {
			small, large := left, right
			if len(small) > len(large) {
				small, large = large, small
			}
			if len(large) >= 2*g.set.MinLeaf {
				sh := g.take()
				g.histogram(sh, small)
				for j := range p.hist {
					p.hist[j].g -= sh[j].g
					p.hist[j].h -= sh[j].h
					p.hist[j].n -= sh[j].n
				}
				lh, rh = sh, p.hist
				if len(left) > len(right) {
					lh, rh = rh, lh
				}
				p.hist = nil
			}
		}
		g.release(p.hist)
		queue = append(queue, pending{l, left, p.off, p.depth + 1, lh}, pending{r, right, p.off + nl, p.depth + 1, rh})
	}
	return t
}

// take returns a histogram buffer from the grower's pool.
func (g *treeGrower) take() []histBin {
	if k := len(g.pool); k > 0 {
		h := g.pool[k-1]
		g.pool = g.pool[:k-1]
		return h
	}
	return make([]histBin, g.c*g.stride)
}

// release puts a histogram buffer back into the pool (nil: none).
func (g *treeGrower) release(h []histBin) {
	if h != nil {
		g.pool = append(g.pool, h)
	}
}
