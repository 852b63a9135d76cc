package model

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestStack: a stack scores raw rows as the weighted sum of its parts'
// scores, each put on the population's scale; it survives an artifact's
// round trip score for score, and a part without a scale is refused.
func TestStack(t *testing.T) {
	d := gaussians(2000, 3, 0.2, 1, 15)
	seeds, pop := split(d)
	std, err := FitStandardizer(pop, nil)
	if err != nil {
		t.Fatal(err)
	}
	zs, _ := std.Standardize(seeds)
	zp, _ := std.Standardize(pop)
	all, err := NewPUDataset(zs, zp, nil)
	if err != nil {
		t.Fatal(err)
	}
	cands := []candidate{{kind: KindLogistic}, {kind: KindCentroid}, {kind: KindBoosted}}
	m, err := fitStack(cands, []int{3, 0, 1}, all, Settings{Seed: 1}, zs.RawMatrix().Rows)
	if err != nil {
		t.Fatal(err)
	}
	m.Standardizer, m.Calibration = std, &Calibration{SD: 1, A: 1}
	if len(m.Parts) != 2 || m.Parts[0].Weight != 0.75 || m.Parts[1].Weight != 0.25 || m.Parts[1].Model.Kind != KindBoosted {
		t.Fatalf("parts %+v", m.Parts)
	}
	if got := stackName(cands, []int{3, 0, 1}); got != "stack(logistic 0.8, boosted_trees 0.2)" {
		t.Errorf("name %q", got)
	}
	n, _ := d.X.Dims()
	got := make([]float64, n)
	if err := m.Score(got, d.X); err != nil {
		t.Fatal(err)
	}
	z, _ := std.Standardize(d.X)
	for _, p := range m.Parts {
		s := make([]float64, n)
		if err := p.Model.scoreStandardized(s, z); err != nil {
			t.Fatal(err)
		}
		for i := range s {
			got[i] -= p.Weight * (s[i] - p.Mean) / p.SD
		}
	}
	for i, v := range got {
		if math.Abs(v) > 1e-9 {
			t.Fatalf("row %d: the stack's score is %v off the sum of its parts", i, v)
		}
	}
	if AUC(mustScore(t, m, d), d.Y) < 0.6 {
		t.Errorf("the stack does not rank the seeds: AUC %v", AUC(mustScore(t, m, d), d.Y))
	}
	if w := topFeatures(m, 3); len(w) != 3 || w[0].Weight == 0 {
		t.Errorf("top features %+v", w)
	}

	names := []string{"a", "b", "c"}
	a, err := NewArtifact(m, &Report{}, "v1", names, "run", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := a.Write(&buf); err != nil {
		t.Fatal(err)
	}
	b, err := Load(bytes.NewReader(buf.Bytes()), "v1", names)
	if err != nil {
		t.Fatal(err)
	}
	s1, s2 := mustScore(t, m, d), mustScore(t, b.Model, d)
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Fatalf("loaded stack scores row %d %v, original %v", i, s2[i], s1[i])
		}
	}
	loc := regexp.MustCompile(`"sd": [0-9.e+-]+`).FindStringIndex(buf.String()) // part 0's: parts come before the calibration
	broken := buf.String()[:loc[0]] + `"sd": 0` + buf.String()[loc[1]:]
	if _, err := Load(strings.NewReader(broken), "v1", names); !errors.Is(err, ErrBadParameters) || !strings.Contains(err.Error(), "stack part 0") {
		t.Errorf("a part without a scale: %v", err)
	}
}

func mustScore(t *testing.T, m *Model, d *Dataset) []float64 {
	t.Helper()
	n, _ := d.X.Dims()
	s := make([]float64, n)
	if err := m.Score(s, d.X); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPooledCriterion: the one-sort criterion equals AUC and the top-10 %
// recall computed by the metrics' definitions, ties included.
func TestPooledCriterion(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 50, 333} {
		seed, pop := make([]float64, n), make([]float64, 3*n+1)
		for i := range seed {
			seed[i] = math.Round(4*r.NormFloat64()+2) / 2 // ties on purpose
		}
		for i := range pop {
			pop[i] = math.Round(4*r.NormFloat64()) / 2
		}
		s := append(slices.Clone(seed), pop...)
		y := make([]float64, len(s))
		for i := range seed {
			y[i] = 1
		}
		want := Criterion(AUC(s, y), NewRanking(s, y).RecallAt(10))
		if got := pooledCriterion(seed, pop); math.Abs(got-want) > 1e-12 {
			t.Errorf("n %d: %v, want %v", n, got, want)
		}
	}
}
