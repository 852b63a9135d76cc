package model

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCalibration: every kind's scores become similarities in [0, 1] that
// rise with the score and mean the same across kinds: on fresh rows of the
// same law, seeds and population weighed alike average 0.5 (Platt scaling
// against balanced classes), seeds stand above the population, and the
// calibration survives an artifact's round trip.
func TestCalibration(t *testing.T) {
	seeds, pop := split(gaussians(6000, 6, 0.1, 0.9, 31))
	freshSeeds, freshPop := split(gaussians(6000, 6, 0.1, 0.9, 32))
	for _, k := range []Kind{KindLogistic, KindCentroid, KindBoosted, KindMeanDiff, KindAuto} {
		m, rep, err := Fit(seeds, pop, nil, Settings{Kind: k, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if m.Calibration == nil {
			t.Fatalf("%s: no calibration", k)
		}
		mean := func(rows int, score func([]float64)) (float64, []float64, []float64) {
			s := make([]float64, rows)
			score(s)
			v := make([]float64, rows)
			for i := range s {
				v[i] = m.Similarity(s[i])
				if v[i] < 0 || v[i] > 1 || math.IsNaN(v[i]) {
					t.Fatalf("%s: similarity %v", k, v[i])
				}
			}
			var sum float64
			for _, x := range v {
				sum += x
			}
			return sum / float64(rows), s, v
		}
		ns, _ := freshSeeds.Dims()
		np, _ := freshPop.Dims()
		ms, ss, vs := mean(ns, func(s []float64) { m.Score(s, freshSeeds) })
		mp, _, _ := mean(np, func(s []float64) { m.Score(s, freshPop) })
		if balanced := (ms + mp) / 2; math.Abs(balanced-0.5) > 0.06 || ms < mp+0.15 {
			t.Errorf("%s (%s): mean similarity of fresh seeds %.3f, population %.3f: balanced %.3f, want about 0.5, seeds well above", k, rep.Chosen, ms, mp, balanced)
		}
		order := make([]int, ns)
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int {
			if ss[a] < ss[b] {
				return -1
			}
			if ss[a] > ss[b] {
				return 1
			}
			return 0
		})
		for j := 1; j < ns; j++ {
			if vs[order[j]] < vs[order[j-1]] {
				t.Fatalf("%s: a higher score has a lower similarity", k)
			}
		}
	}

	m, rep, err := Fit(seeds, pop, nil, Settings{Kind: KindLogistic})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"a", "b", "c", "d", "e", "f"}
	a, err := NewArtifact(m, rep, "v1", names, "run", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	a.Write(&buf)
	b, err := Load(bytes.NewReader(buf.Bytes()), "v1", names)
	if err != nil {
		t.Fatal(err)
	}
	if *b.Model.Calibration != *m.Calibration {
		t.Errorf("calibration %+v after the round trip, was %+v", b.Model.Calibration, m.Calibration)
	}
	m.Calibration.SD = 0
	if _, err := NewArtifact(m, rep, "v1", names, "run", time.Now()); !errors.Is(err, ErrBadParameters) || !strings.Contains(err.Error(), "calibration") {
		t.Errorf("a calibration without a scale: %v", err)
	}
	m.Calibration = nil
	if _, err := NewArtifact(m, rep, "v1", names, "run", time.Now()); !errors.Is(err, ErrBadParameters) || !strings.Contains(err.Error(), "no calibration") {
		t.Errorf("a model without calibration: %v", err)
	}
}
