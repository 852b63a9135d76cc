package model

import (
	"math"
	"slices"
	"testing"
)

const tol = 1e-12

func TestAUC(t *testing.T) {
	cases := []struct {
		name         string
		score, label []float64
		want         float64
	}{
		{"perfect", []float64{0.9, 0.8, 0.3, 0.1}, []float64{1, 1, 0, 0}, 1},
		{"reversed", []float64{0.1, 0.2, 0.8, 0.9}, []float64{1, 1, 0, 0}, 0},
		// Pairs (pos, neg): (0.8,0.7)+ (0.8,0.2)+ (0.4,0.7)- (0.4,0.2)+ → 3/4.
		{"mixed", []float64{0.8, 0.7, 0.4, 0.2}, []float64{1, 0, 1, 0}, 0.75},
		// A tie between a positive and a negative counts one half:
		// (0.5,0.5)½ (0.5,0.1)1 → 1.5/2.
		{"tie", []float64{0.5, 0.5, 0.1}, []float64{1, 0, 0}, 0.75},
		{"all tied", []float64{1, 1, 1, 1}, []float64{1, 0, 1, 0}, 0.5},
		{"no positive", []float64{1, 2}, []float64{0, 0}, 0.5},
		// NaN ranks lowest: the positive at 0.2 beats the NaN negative, and
		// the NaN positive ties the NaN negative.
		{"NaN", []float64{math.NaN(), 0.2, math.NaN(), 0.9}, []float64{0, 1, 1, 0}, (1 + 0.5) / 4},
	}
	for _, tc := range cases {
		if got := AUC(tc.score, tc.label); math.Abs(got-tc.want) > tol {
			t.Errorf("%s: AUC = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRanking(t *testing.T) {
	// 10 rows, 4 positives; by score the order is rows 0..9, and the
	// positives sit at ranks 1, 2, 5 and 9.
	score := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	label := []float64{1, 1, 0, 0, 1, 0, 0, 0, 1, 0}
	r := NewRanking(score, label)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"recall@10%", r.RecallAt(10), 1.0 / 4}, // top 1 row: 1 positive
		{"recall@20%", r.RecallAt(20), 2.0 / 4},
		{"recall@50%", r.RecallAt(50), 3.0 / 4},
		{"recall@100%", r.RecallAt(100), 1},
		{"precision@20%", r.PrecisionAt(20), 1},
		{"precision@50%", r.PrecisionAt(50), 3.0 / 5},
		{"lift@50%", r.LiftAt(50), (3.0 / 5) / (4.0 / 10)},
		{"recall@4% rounds to 0 rows", r.RecallAt(4), 0},
		{"precision@4%", r.PrecisionAt(4), 0},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > tol {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	g := r.Gains(10)
	if len(g) != 11 || g[0].Recall != 0 || g[10].Recall != 1 || g[5].Percent != 50 || math.Abs(g[5].Recall-0.75) > tol {
		t.Errorf("gains %v", g)
	}
	// Ties share their positives, whatever the rows' order: a cut through
	// a tie counts them pro rata.
	for _, labels := range [][]float64{{0, 1}, {1, 0}} {
		if tied := NewRanking([]float64{1, 1}, labels); tied.RecallAt(50) != 0.5 {
			t.Errorf("labels %v tied: recall@50%% %v, want 0.5", labels, tied.RecallAt(50))
		}
	}
	// A model that learned nothing (one score for all) finds at the top
	// what a random pick would, even with the positives listed first.
	flat := NewRanking(make([]float64, 100), append(slices.Repeat([]float64{1}, 10), make([]float64, 90)...))
	if math.Abs(flat.RecallAt(10)-0.1) > tol {
		t.Errorf("constant scores: recall@10%% %v, want 0.1", flat.RecallAt(10))
	}
}
