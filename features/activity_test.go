package features

import (
	"math/rand/v2"
	"testing"
	"time"
)

var asOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func randomEvents(rng *rand.Rand, n int) []Event {
	events := make([]Event, n)
	for i := range events {
		// Mostly inside a 30-day window, some after as-of, some before.
		offset := time.Duration(rng.IntN(40*24)-2*24) * time.Hour
		cat := Category(rng.IntN(NumCategories + 1))
		if int(cat) == NumCategories {
			cat = CategoryNone
		}
		events[i] = Event{App: "facebook", UserID: "u1", Time: asOf.Add(-offset), Type: EventType(rng.IntN(NumEventTypes)), Category: cat}
	}
	return events
}

func TestActivityWindow(t *testing.T) {
	w := ActivityWindow{AsOf: asOf, Days: 30}
	day := 24 * time.Hour
	events := []Event{
		{Time: asOf, Type: EventLike, Category: CategorySports},                           // the as-of instant is inside
		{Time: asOf.Add(-time.Hour), Type: EventLike, Category: CategorySports},           // same day 0
		{Time: asOf.Add(-3*day - time.Hour), Type: EventPurchase, Category: CategoryNone}, // day 3
		{Time: asOf.Add(-30*day + time.Second), Type: EventShare, Category: CategoryTravel},
		{Time: asOf.Add(-30 * day), Type: EventShare},    // window start is excluded
		{Time: asOf.Add(time.Second), Type: EventShare},  // after as-of
		{Time: asOf.Add(-400 * day), Type: EventComment}, // long ago
	}
	a := w.CreateAccumulator()
	for _, e := range events {
		a = w.AddInput(a, e)
	}
	a = w.ExtractOutput(a)
	if got := a.Total(); got != 4 {
		t.Errorf("Total = %d, want 4", got)
	}
	if a.Ignored != 3 {
		t.Errorf("Ignored = %d, want 3", a.Ignored)
	}
	if a.Events[EventLike] != 2 || a.Events[EventPurchase] != 1 || a.Events[EventShare] != 1 {
		t.Errorf("Events = %v", a.Events)
	}
	if a.Categories[CategorySports] != 2 || a.Categories[CategoryTravel] != 1 {
		t.Errorf("Categories = %v", a.Categories)
	}
	if got := a.ActiveDays(); got != 3 {
		t.Errorf("ActiveDays = %d, want 3 (days 0, 3, 29)", got)
	}
	if a.Last != asOf.Unix() || a.First != asOf.Add(-30*day+time.Second).Unix() {
		t.Errorf("First, Last = %d, %d", a.First, a.Last)
	}
	if r := a.RecencyDays(asOf); r != 0 {
		t.Errorf("RecencyDays = %v, want 0", r)
	}
}

// TestActivityMergeRandomSplits checks that any split of the events into
// partial aggregates, merged in any order and grouping, gives the aggregate
// of all events in one pass: what a Beam runner relies on to lift the
// combiner.
func TestActivityMergeRandomSplits(t *testing.T) {
	w := ActivityWindow{AsOf: asOf, Days: 35}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		events := randomEvents(rng, rng.IntN(60))
		whole := w.CreateAccumulator()
		for _, e := range events {
			whole = w.AddInput(whole, e)
		}
		// Split into k shards at random.
		k := 1 + rng.IntN(6)
		parts := make([]Activity, k)
		for _, e := range events {
			i := rng.IntN(k)
			parts[i] = w.AddInput(parts[i], e)
		}
		// Merge in a random order with a random tree shape.
		for len(parts) > 1 {
			i, j := rng.IntN(len(parts)), rng.IntN(len(parts)-1)
			if j >= i {
				j++
			}
			var m Activity
			if rng.IntN(2) == 0 {
				m = w.MergeAccumulators(parts[i], parts[j])
			} else {
				m = w.MergeAccumulators(parts[j], parts[i])
			}
			parts[i] = m
			parts = append(parts[:j], parts[j+1:]...)
		}
		if parts[0] != whole {
			t.Fatalf("trial %d: merged %+v, whole %+v", trial, parts[0], whole)
		}
		// An empty accumulator is the identity.
		if w.MergeAccumulators(whole, w.CreateAccumulator()) != whole || w.MergeAccumulators(w.CreateAccumulator(), whole) != whole {
			t.Fatalf("trial %d: empty accumulator is not the identity", trial)
		}
	}
}

func TestActivityNoEvents(t *testing.T) {
	var a Activity
	if a.Total() != 0 || a.ActiveDays() != 0 || a.RecencyDays(asOf) < 1e300 {
		t.Fatalf("empty activity: total %d, active %d, recency %v", a.Total(), a.ActiveDays(), a.RecencyDays(asOf))
	}
}

func TestActivityWindowDays(t *testing.T) {
	if got := (ActivityWindow{}).days(); got != DefaultWindowDays {
		t.Errorf("zero window = %d days, want %d", got, DefaultWindowDays)
	}
	if got := (ActivityWindow{Days: 10000}).days(); got != MaxWindowDays {
		t.Errorf("huge window = %d days, want %d", got, MaxWindowDays)
	}
	// The oldest day of the longest window still has a bit.
	w := ActivityWindow{AsOf: asOf, Days: MaxWindowDays}
	a := w.AddInput(Activity{}, Event{Time: asOf.Add(-time.Duration(MaxWindowDays)*24*time.Hour + time.Minute)})
	if a.ActiveDays() != 1 || a.Ignored != 0 {
		t.Fatalf("oldest day: active %d, ignored %d", a.ActiveDays(), a.Ignored)
	}
}
