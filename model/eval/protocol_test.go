package eval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sosie-dev/sosie/model"
	"gonum.org/v1/gonum/mat"
)

// gaussians makes n rows of d features: positives shifted by shift along
// the first two features.
func gaussians(n, d int, posRate, shift float64, seed uint64) (*mat.Dense, []float64) {
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
	return x, y
}

func TestRunProtocol(t *testing.T) {
	x, y := gaussians(3000, 6, 0.15, 1.2, 31)
	tb := &Table{Names: []string{"a", "b", "c", "d", "e", "f"}, X: x, Label: y}
	ps := ProtocolSettings{SeedSizes: []int{30, 120}, Repeats: 3, Kinds: []model.Kind{model.KindAuto, model.KindMeanDiff}, Seed: 5}
	rows, err := RunProtocol(tb, ps, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if r.AUC.Mean < 0.75 || r.Recall10.Mean <= 0.1 || r.Lift10.Mean < 1.5 {
			t.Errorf("k=%d %s: %+v", r.SeedSize, r.Kind, r)
		}
		if r.Kind == model.KindAuto {
			n := 0
			for _, c := range r.Chosen {
				n += c
			}
			if n != 3 {
				t.Errorf("auto chose %d times in 3 repeats: %v", n, r.Chosen)
			}
		}
	}
	again, _ := RunProtocol(tb, ps, nil)
	for i := range rows {
		if rows[i].AUC != again[i].AUC || rows[i].Recall10 != again[i].Recall10 {
			t.Fatal("the protocol is not deterministic for a seed")
		}
	}
}

func TestRunProtocolDraws(t *testing.T) {
	x := mat.NewDense(8, 1, []float64{5, 4, 3, 2, 1, 0, -1, -2})
	tb := &Table{Names: []string{"x"}, X: x, Label: []float64{1, 1, 1, 0, 1, 0, 0, 0}}
	ps := ProtocolSettings{SeedSizes: []int{2}, Repeats: 1, Kinds: []model.Kind{model.KindMeanDiff},
		Draws: []Draw{{K: 2, Repeat: 0, Seeds: []int{0, 1}, Population: []int{3, 5, 6, 7}}}}
	rows, err := RunProtocol(tb, ps, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The rest is rows 2..7, labels 1 0 1 0 0 0, ranked by x: 2 (pos), 3,
	// 4 (pos), 5, 6, 7. Pairs: row 2 beats all 4 negatives, row 4 beats 3.
	if want := 7.0 / 8; math.Abs(rows[0].AUC.Mean-want) > 1e-12 {
		t.Errorf("AUC %v, want %v", rows[0].AUC.Mean, want)
	}
	ps.Draws[0].Seeds = []int{0, 3}
	if _, err := RunProtocol(tb, ps, nil); err == nil {
		t.Error("a negative row accepted as a seed")
	}
	ps.Draws[0].K = 3
	if _, err := RunProtocol(tb, ps, nil); err == nil {
		t.Error("a missing draw accepted")
	}
}
