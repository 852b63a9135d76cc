package features

import (
	"cmp"
	"maps"
	"slices"
)

// The privacy floor: an advertiser sees sizes, never who, and no size
// small enough to single people out. A count under the floor is shown as
// null (suppressed); where the cells of a total the advertiser knows
// would give a suppressed cell away (the total minus the cells shown),
// the next smallest cell is suppressed too. The counts are noised first
// (NoisyCount), so two lists that differ by one phone do not tell whether
// it matched.

// Floored is a count an advertiser may see: nil when it is under the
// floor.
type Floored = *int

// Floor is n, or nil when n is under floor.
func Floor(floor, n int) Floored {
	if n < floor {
		return nil
	}
	return &n
}

// FloorEach floors every cell of m on its own: for cells that do not add
// up to a total (a person is on several apps).
func FloorEach[K comparable](floor int, m map[K]int) map[K]Floored {
	out := make(map[K]Floored, len(m))
	for k, n := range m {
		out[k] = Floor(floor, n)
	}
	return out
}

// Suppress floors cells that add up to a total the reader knows: when
// exactly one cell is under the floor, the smallest other is suppressed
// too (the first key in order among equals), or the total minus the
// shown cells would give it away.
func Suppress[K cmp.Ordered](floor int, m map[K]int) map[K]Floored {
	out := FloorEach(floor, m)
	hidden := 0
	for _, c := range out {
		if c == nil {
			hidden++
		}
	}
	if hidden == 1 {
		var smallest K
		found := false
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if out[k] != nil && (!found || m[k] < m[smallest]) {
				smallest, found = k, true
			}
		}
		if found {
			out[smallest] = nil
		}
	}
	return out
}

// SuppressTotal is Suppress for the cells of a total shown as total:
// when the total itself is suppressed, so is every cell.
func SuppressTotal[K cmp.Ordered](floor int, m map[K]int, total Floored) map[K]Floored {
	if total == nil {
		out := make(map[K]Floored, len(m))
		for k := range m {
			out[k] = nil
		}
		return out
	}
	return Suppress(floor, m)
}
