package model

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// TestShaping: a feature of more than two values gets a rank map (exact at
// its knots, interpolated between them, the end scores outside), a
// dominant value gets a flag, a 0/1 feature is left as it is; apply
// writes the ranks in place and the flags after the features.
func TestShaping(t *testing.T) {
	// Feature 0: 0 in half the rows, then 1…; feature 1: 0/1; feature 2:
	// distinct values, none dominant.
	pop := mat.NewDense(1000, 3, nil)
	for i := range 1000 {
		v := 0.0
		if i >= 500 {
			v = float64(i - 499)
		}
		pop.SetRow(i, []float64{v, float64(i % 2), float64(i * i)})
	}
	sh := fitShaping(pop)
	if sh == nil || len(sh.Ranks) != 2 || sh.Ranks[0].Feature != 0 || sh.Ranks[1].Feature != 2 {
		t.Fatalf("rank maps %+v, want features 0 and 2", sh)
	}
	if len(sh.Flags) != 1 || sh.Flags[0] != (ModeFlag{Feature: 0, Value: 0}) {
		t.Fatalf("flags %+v, want feature 0 = 0", sh.Flags)
	}
	if n := len(sh.Ranks[1].Knots); n != rankKnots {
		t.Errorf("a feature of 1000 values has %d knots, want %d", n, rankKnots)
	}
	m := sh.Ranks[0]
	// 0 holds half the rows: its mid-rank quantile is 0.25.
	if got, want := m.score(0), -0.6744897501960817; math.Abs(got-want) > 1e-12 {
		t.Errorf("score(0) = %v, want Φ⁻¹(0.25) = %v", got, want)
	}
	if got, want := m.score(2.5), (m.score(2)+m.score(3))/2; math.Abs(got-want) > 1e-12 {
		t.Errorf("score(2.5) = %v, want halfway between its knots, %v", got, want)
	}
	if m.score(-5) != m.Scores[0] || m.score(1e9) != m.Scores[len(m.Scores)-1] {
		t.Errorf("values outside the knots do not take the end scores")
	}
	for k := 1; k < len(m.Scores); k++ {
		if !(m.Scores[k] > m.Scores[k-1]) {
			t.Fatalf("scores not increasing at knot %d: %v", k, m.Scores[k-1:k+1])
		}
	}
	x := mat.NewDense(2, 3, []float64{0, 1, 4, 7, 0, 9})
	got := sh.apply(x)
	if r, c := got.Dims(); r != 2 || c != 4 {
		t.Fatalf("shaped rows are %dx%d, want 2x4", r, c)
	}
	want := []float64{m.score(0), 1, sh.Ranks[1].score(4), 1, m.score(7), 0, sh.Ranks[1].score(9), 0}
	for i, w := range want {
		if g := got.At(i/4, i%4); g != w {
			t.Errorf("shaped [%d][%d] = %v, want %v", i/4, i%4, g, w)
		}
	}
	if fitShaping(mat.NewDense(10, 1, []float64{0, 1, 0, 1, 0, 1, 0, 1, 0, 1})) != nil {
		t.Errorf("a shaping of 0/1 features only, want none")
	}
}

// sentinelRows are rows of d features, each 0 with probability p and
// otherwise symmetric and heavy-tailed: a seed differs from the
// population only in how often its features are exactly 0, which no
// linear kind sees on the features as given (their means are 0 for both)
// and a flag for the value 0 shows at once.
func sentinelRows(r *rand.Rand, n, d int, p float64) *mat.Dense {
	x := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			if r.Float64() >= p {
				x.Set(i, j, r.NormFloat64()*math.Exp(1.5*r.NormFloat64()))
			}
		}
	}
	return x
}

// TestAutoShapesWhenItPays: auto chooses a shaped candidate when the
// signal is in a sentinel value, keeps the features as given when shaping
// does not measurably help, and measures no shaping when told not to. The
// shaped model scores raw rows and survives its artifact.
func TestAutoShapesWhenItPays(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	seeds, pop := sentinelRows(r, 300, 8, 0.55), sentinelRows(r, 6000, 8, 0.3)
	m, rep, err := Fit(seeds, pop, nil, Settings{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.HeldOut.Shaped || !strings.HasSuffix(rep.HeldOut.Name(), "+shaped") {
		t.Fatalf("chose %s (%s), want a shaped candidate; candidates %+v", rep.HeldOut.Name(), rep.Why, rep.Candidates)
	}
	plain := 0.0
	for _, q := range rep.Candidates {
		if !q.Shaped && q.Kind != KindBoosted && q.Blend == "" {
			plain = max(plain, q.AUC)
		}
	}
	if rep.HeldOut.AUC < plain+0.1 {
		t.Errorf("held-out AUC %.3f shaped, %.3f the best linear or centroid kind as given: want the shaping to matter", rep.HeldOut.AUC, plain)
	}
	// Fresh rows, scored raw.
	test := mat.NewDense(2000, 8, nil)
	y := make([]float64, 2000)
	test.Slice(0, 1000, 0, 8).(*mat.Dense).Copy(sentinelRows(r, 1000, 8, 0.55))
	test.Slice(1000, 2000, 0, 8).(*mat.Dense).Copy(sentinelRows(r, 1000, 8, 0.3))
	for i := range 1000 {
		y[i] = 1
	}
	s := make([]float64, 2000)
	if err := m.Score(s, test); err != nil {
		t.Fatal(err)
	}
	if auc := AUC(s, y); auc < 0.75 {
		t.Errorf("AUC on fresh rows %.3f, want ≥ 0.75", auc)
	}
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	art, err := NewArtifact(m, rep, "v", names, "run", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := art.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Load(bytes.NewReader(buf.Bytes()), "v", names)
	if err != nil {
		t.Fatal(err)
	}
	s2 := make([]float64, 2000)
	if err := back.Model.Score(s2, test); err != nil {
		t.Fatal(err)
	}
	for i := range s {
		if s[i] != s2[i] {
			t.Fatalf("row %d scores %v before the artifact, %v after", i, s[i], s2[i])
		}
	}

	// Seeds shifted along a line: shaping cannot beat the features as given.
	gauss := func(n int, shift float64) *mat.Dense {
		x := mat.NewDense(n, 6, nil)
		for i := range n {
			for j := range 6 {
				x.Set(i, j, r.NormFloat64()+shift)
			}
		}
		return x
	}
	_, rep, err = Fit(gauss(200, 0.3), gauss(4000, 0), nil, Settings{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.HeldOut.Shaped {
		t.Errorf("gaussian seeds: chose %s (%s)", rep.HeldOut.Name(), rep.Why)
	}
	_, rep, err = Fit(seeds, pop, nil, Settings{Seed: 1, NoShaping: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range rep.Candidates {
		if q.Shaped {
			t.Errorf("NoShaping measured %s", q.Name())
		}
	}
}

// TestArtifactRefusesBadShaping: a shaping that does not fit the
// features, or whose knots do not increase, is refused at Load.
func TestArtifactRefusesBadShaping(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	m, rep, err := Fit(sentinelRows(r, 300, 8, 0.55), sentinelRows(r, 6000, 8, 0.3), nil, Settings{Seed: 1, Kind: KindAuto})
	if err != nil {
		t.Fatal(err)
	}
	shaped := m
	if m.Shaping == nil {
		t.Fatalf("chose %s, not shaped", rep.HeldOut.Name())
	}
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, c := range []struct {
		name  string
		spoil func(s *Shaping)
	}{
		{"a flag on feature 8", func(s *Shaping) { s.Flags[0].Feature = 8 }},
		{"knots not increasing", func(s *Shaping) { s.Ranks[0].Knots[1] = s.Ranks[0].Knots[0] }},
		{"one flag fewer than the standardizer's columns", func(s *Shaping) { s.Flags = s.Flags[1:] }},
	} {
		good := *shaped.Shaping
		good.Flags = append([]ModeFlag(nil), good.Flags...)
		good.Ranks = append([]RankMap(nil), good.Ranks...)
		good.Ranks[0].Knots = append([]float64(nil), good.Ranks[0].Knots...)
		saved := shaped.Shaping
		shaped.Shaping = &good
		c.spoil(&good)
		var buf bytes.Buffer
		a := &Artifact{Version: ArtifactVersion, Kind: m.Kind, SchemaVersion: "v", Features: names, Model: m, Report: rep}
		if err := a.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(&buf, "v", names); !errors.Is(err, ErrBadParameters) && !errors.Is(err, ErrShape) {
			t.Errorf("%s: Load gave %v, want it refused", c.name, err)
		}
		shaped.Shaping = saved
	}
}
