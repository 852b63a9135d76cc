package model

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"sort"
)

// InSample says whether the person with key falls in a deterministic
// sample of the given rate (0 to 1) drawn with seed: a hash of the seed and
// the key, so a rerun draws the same persons and a pipeline needs no
// shuffle to draw them.
func InSample(key string, seed uint64, rate float64) bool {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(key))
	return float64(h.Sum64()>>11)/float64(1<<53) < rate
}

// SeedWeight is a customer's value as its seed's weight: a positive,
// finite value as it is; anything else (0, negative, none) weighs 1.
func SeedWeight(value float64) float64 {
	if !(value > 0) || math.IsInf(value, 0) {
		return 1
	}
	return value
}

// DefaultAudiencePercent is the share of the eligible population a
// prospect list keeps when its seed list asks for none.
const DefaultAudiencePercent = 5

// Tier places a score among a list's percentile cut points (the 99
// quantiles of the eligible population's scores, ascending): its
// percentile is how many cut points lie below it (99: in the top 1 %), its
// tier 100 − percentile (1: the top 0–1 %, 2: 1–2 %, …). It is a prospect
// when its tier is within percent (DefaultAudiencePercent when 0).
func Tier(cuts []float64, score float64, percent int) (percentile, tier int, prospect bool) {
	if percent == 0 {
		percent = DefaultAudiencePercent
	}
	percentile = sort.SearchFloat64s(cuts, score)
	tier = 100 - percentile
	return percentile, tier, tier <= percent
}
