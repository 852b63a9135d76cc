package synth

import (
	"strconv"
	"testing"
)

// BenchmarkGenerate reports persons per second and the bytes allocated per
// person; the generator keeps no per-person state, so neither depends on
// the world's size.
func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{1_000, 20_000} {
		b.Run("persons="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := Generate(Config{Persons: n, Seed: 1}, b.TempDir()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "persons/s")
		})
	}
}
