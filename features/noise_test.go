package features

import (
	"math"
	"testing"
)

// TestNoisyCount: the noise is deterministic for a seed and name, centred
// on zero with the Laplace distribution's spread (mean |noise| = scale),
// independent between names and between seeds, and never makes a count
// negative.
func TestNoisyCount(t *testing.T) {
	const scale, n, draws = 5.0, 1000, 20000
	first := NoisyCount(n, 42, "matched", scale)
	for range 3 {
		if NoisyCount(n, 42, "matched", scale) != first {
			t.Fatal("not deterministic")
		}
	}
	if NoisyCount(n, 42, "matched", 0) != n {
		t.Fatal("a zero scale changed the count")
	}
	var sum, abs, cross float64
	sameAsNext := 0
	for i := range uint64(draws) {
		a := float64(NoisyCount(n, i*7919, "matched", scale) - n)
		b := float64(NoisyCount(n, i*7919, "matched_on_facebook", scale) - n)
		c := float64(NoisyCount(n+1, (i+1)*7919, "matched", scale) - n)
		sum += a
		abs += math.Abs(a)
		cross += a * b
		if c-a == 1 {
			sameAsNext++
		}
	}
	const tol = 0.15 // relative, for 20,000 draws
	if mean := sum / draws; math.Abs(mean) > tol*scale {
		t.Errorf("mean noise %.3f, want about 0", mean)
	}
	if mad := abs / draws; math.Abs(mad-scale) > tol*scale {
		t.Errorf("mean |noise| %.3f, want about %g", mad, scale)
	}
	if corr := cross / draws / (2 * scale * scale); math.Abs(corr) > tol {
		t.Errorf("noise of two names correlates: %.3f", corr)
	}
	// Lists that differ by one person: their difference is exactly that
	// one in few draws (the noise of two independent seeds agreeing).
	if frac := float64(sameAsNext) / draws; frac > 0.12 {
		t.Errorf("%.1f%% of neighbouring lists differ by exactly one", 100*frac)
	}
	if NoisyCount(0, 3, "x", 50) < 0 {
		t.Error("a negative count")
	}
}
