package features

import (
	"hash/fnv"
	"math"
)

// NoisyCount is a count an advertiser may see, made resistant to
// differencing: n plus noise drawn from a Laplace distribution of the
// given scale, rounded, and never below zero. The noise is deterministic,
// keyed by seed and the count's name: seed is a digest of the list's own
// content that only the pepper's holder can compute
// (pipelines.MatchReport.ListDigest), so the same list always gets the
// same counts (resubmitting it, or adding rows that are rejected, teaches
// nothing), while two lists that differ by one phone get independent
// noise, which hides whether that phone matched. Each name (matched,
// matched on an app, a tier) draws its own noise. A scale of 0 or less
// leaves n as it is.
//
// The limit: an advertiser that submits many lists, each the same plus
// one phone and different rows that change the digest, can average the
// noise away; with scale b the difference of two counts has a standard
// deviation of 2b, so about (2b)² pairs are needed to tell one person
// (docs/privacy.md).
func NoisyCount(n int, seed uint64, name string, scale float64) int {
	if scale <= 0 {
		return n
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	u := float64(splitmix64(seed^h.Sum64())>>11)/float64(1<<53) - 0.5 // in [-0.5, 0.5)
	noise := -scale * math.Copysign(math.Log(1-2*math.Abs(u)), u)
	return max(0, int(math.Round(float64(n)+noise)))
}

// splitmix64 mixes the bits of x (Steele, Lea and Flood's SplitMix64
// finalizer).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
