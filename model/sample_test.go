package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"testing"
)

// personKey is a key as persons have them: 64 hex characters of an HMAC.
func personKey(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprint(i)))
	return hex.EncodeToString(sum[:])
}

// TestInSample: over person keys (HMAC outputs), the sample's size is its
// rate, it is deterministic and nested in the rate, and two seeds draw
// independent samples.
func TestInSample(t *testing.T) {
	const n, rate = 100_000, 0.2
	in := 0
	for i := range n {
		key := personKey(i)
		first := InSample(key, 7, rate)
		if first {
			in++
		}
		if again := InSample(key, 7, rate); again != first || (InSample(key, 7, 0.1) && !first) {
			t.Fatalf("%s: the sample is not a deterministic, nested function of the rate", key)
		}
	}
	if got := float64(in) / n; math.Abs(got-rate) > 0.005 {
		t.Errorf("%.4f of persons sampled, want %.2f", got, rate)
	}
	same := 0
	for i := range 1000 {
		key := personKey(i)
		if InSample(key, 7, 0.5) == InSample(key, 8, 0.5) {
			same++
		}
	}
	if same > 600 || same < 400 {
		t.Errorf("two seeds agree on %d of 1,000 persons at rate 0.5", same)
	}
}

func TestSeedWeight(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{{2.5, 2.5}, {0, 1}, {-3, 1}, {math.NaN(), 1}, {math.Inf(1), 1}, {1e-9, 1e-9}} {
		if got := SeedWeight(tc.in); got != tc.want {
			t.Errorf("SeedWeight(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestTier(t *testing.T) {
	cuts := make([]float64, 99) // the 1st to 99th percentiles of scores 1..100
	for i := range cuts {
		cuts[i] = float64(i + 1)
	}
	for _, tc := range []struct {
		score        float64
		percent      int
		pct, tier    int
		wantProspect bool
	}{
		{100, 5, 99, 1, true}, {99.5, 5, 99, 1, true}, {96, 5, 95, 5, true}, {95, 5, 94, 6, false},
		{96, 0, 95, 5, true}, {50, 10, 49, 51, false}, {0, 10, 0, 100, false},
	} {
		pct, tier, ok := Tier(cuts, tc.score, tc.percent)
		if pct != tc.pct || tier != tc.tier || ok != tc.wantProspect {
			t.Errorf("Tier(%v, %d%%) = %d, %d, %v; want %d, %d, %v", tc.score, tc.percent, pct, tier, ok, tc.pct, tc.tier, tc.wantProspect)
		}
	}
}

// TestSpread: a set larger than n is thinned to n entries evenly spaced
// from its first; a smaller one is kept whole.
func TestSpread(t *testing.T) {
	idx := make([]int, 10)
	for i := range idx {
		idx[i] = 100 + i
	}
	if got := spread(idx, 4); !slices.Equal(got, []int{100, 102, 105, 107}) {
		t.Errorf("spread of 10 to 4: %v", got)
	}
	if got := spread(idx, 10); len(got) != 10 || &got[0] != &idx[0] {
		t.Errorf("spread of 10 to 10 is not the set itself: %v", got)
	}
}
