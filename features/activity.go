package features

import (
	"math"
	"math/bits"
	"time"
)

// Window limits.
const (
	DefaultWindowDays = 90
	MaxWindowDays     = 64 * len(Activity{}.Days)
)

// ActivityWindow aggregates the events of one account over the days up to
// an explicit as-of time: (AsOf − Days×24h, AsOf]. Events after AsOf or
// before the window are counted as ignored, never as activity, so a re-run
// with the same AsOf gives the same result whenever it runs.
//
// It has the shape of a Beam CombineFn (CreateAccumulator, AddInput,
// MergeAccumulators, ExtractOutput) and is used as one as it is.
type ActivityWindow struct {
	AsOf time.Time `json:"as_of"`
	Days int       `json:"days"` // 0 means DefaultWindowDays; at most MaxWindowDays
}

// days returns the window's length in days.
func (w ActivityWindow) days() int {
	switch {
	case w.Days <= 0:
		return DefaultWindowDays
	case w.Days > MaxWindowDays:
		return MaxWindowDays
	}
	return w.Days
}

// Activity is the aggregate of one account's events (or of several accounts'
// of one person, merged). It is a plain value: merging never aliases.
type Activity struct {
	Events     [NumEventTypes]uint32 `json:"events"`     // events in the window by type
	Categories [NumCategories]uint32 `json:"categories"` // events in the window by content category
	Days       [6]uint64             `json:"days"`       // bit i: active on day i before as-of (0 = the as-of day)
	First      int64                 `json:"first"`      // Unix seconds of the first event in the window; 0 if none
	Last       int64                 `json:"last"`       // Unix seconds of the last event in the window; 0 if none
	Ignored    uint32                `json:"ignored"`    // events outside the window
}

// CreateAccumulator returns an empty Activity.
func (w ActivityWindow) CreateAccumulator() Activity { return Activity{} }

// Contains says whether an event at t falls in the window.
func (w ActivityWindow) Contains(t time.Time) bool {
	age := w.AsOf.Sub(t)
	return age >= 0 && age < time.Duration(w.days())*24*time.Hour
}

// Start is the window's first instant (excluded: the window is (Start,
// AsOf]).
func (w ActivityWindow) Start() time.Time {
	return w.AsOf.Add(-time.Duration(w.days()) * 24 * time.Hour)
}

// AddInput adds one event.
func (w ActivityWindow) AddInput(a Activity, e Event) Activity {
	if !w.Contains(e.Time) {
		a.Ignored++
		return a
	}
	age := w.AsOf.Sub(e.Time)
	if int(e.Type) < NumEventTypes {
		a.Events[e.Type]++
	} else {
		a.Events[EventOther]++
	}
	if e.Category != CategoryNone {
		if int(e.Category) < NumCategories {
			a.Categories[e.Category]++
		} else {
			a.Categories[CategoryOther]++
		}
	}
	day := int(age / (24 * time.Hour))
	a.Days[day/64] |= 1 << (day % 64)
	t := e.Time.Unix()
	if a.First == 0 || t < a.First {
		a.First = t
	}
	if t > a.Last {
		a.Last = t
	}
	return a
}

// MergeAccumulators merges two partial aggregates. It is associative and
// commutative.
func (w ActivityWindow) MergeAccumulators(a, b Activity) Activity {
	for i := range a.Events {
		a.Events[i] += b.Events[i]
	}
	for i := range a.Categories {
		a.Categories[i] += b.Categories[i]
	}
	for i := range a.Days {
		a.Days[i] |= b.Days[i]
	}
	if b.First != 0 && (a.First == 0 || b.First < a.First) {
		a.First = b.First
	}
	if b.Last > a.Last {
		a.Last = b.Last
	}
	a.Ignored += b.Ignored
	return a
}

// ExtractOutput returns the aggregate.
func (w ActivityWindow) ExtractOutput(a Activity) Activity { return a }

// Total is the number of events in the window.
func (a *Activity) Total() int {
	n := 0
	for _, c := range a.Events {
		n += int(c)
	}
	return n
}

// Seen is the number of events aggregated, in the window or not: what
// the featurize counters account for.
func (a *Activity) Seen() int { return a.Total() + int(a.Ignored) }

// ActiveDays is the number of distinct days with at least one event.
func (a *Activity) ActiveDays() int {
	n := 0
	for _, d := range a.Days {
		n += bits.OnesCount64(d)
	}
	return n
}

// RecencyDays is the time from the last event to asOf in days, or +Inf
// when there was no event.
func (a *Activity) RecencyDays(asOf time.Time) float64 {
	if a.Last == 0 && a.Total() == 0 {
		return math.Inf(1)
	}
	return asOf.Sub(time.Unix(a.Last, 0)).Hours() / 24
}
