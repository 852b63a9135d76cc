package features

import "testing"

// shown is m with nil cells left out and the others dereferenced.
func shown[K comparable](m map[K]Floored) map[K]int {
	out := map[K]int{}
	for k, c := range m {
		if c != nil {
			out[k] = *c
		}
	}
	return out
}

func TestFloor(t *testing.T) {
	if Floor(50, 49) != nil {
		t.Error("49 under a floor of 50 is shown")
	}
	if c := Floor(50, 50); c == nil || *c != 50 {
		t.Errorf("50 at a floor of 50: %v", c)
	}
	if c := Floor(0, 0); c == nil || *c != 0 {
		t.Errorf("0 without a floor: %v", c)
	}
}

func TestSuppress(t *testing.T) {
	for _, c := range []struct {
		name  string
		cells map[string]int
		want  map[string]int
	}{
		{"all above", map[string]int{"a": 60, "b": 70}, map[string]int{"a": 60, "b": 70}},
		// One cell under the floor: the smallest other goes too, or the
		// total minus b and c would give a away.
		{"one under", map[string]int{"a": 10, "b": 80, "c": 60}, map[string]int{"b": 80}},
		{"one under, a tie", map[string]int{"a": 10, "b": 60, "c": 60}, map[string]int{"c": 60}},
		{"two under", map[string]int{"a": 10, "b": 20, "c": 60}, map[string]int{"c": 60}},
		{"one cell, under", map[string]int{"a": 10}, map[string]int{}},
	} {
		got := shown(Suppress(50, c.cells))
		if len(got) != len(c.want) {
			t.Errorf("%s: shows %v, want %v", c.name, got, c.want)
			continue
		}
		for k, n := range c.want {
			if got[k] != n {
				t.Errorf("%s: shows %v, want %v", c.name, got, c.want)
			}
		}
		if len(Suppress(50, c.cells)) != len(c.cells) {
			t.Errorf("%s: a cell is missing rather than null", c.name)
		}
	}
}

func TestSuppressTotal(t *testing.T) {
	cells := map[int]int{1: 60, 2: 70}
	if got := shown(SuppressTotal(50, cells, nil)); len(got) != 0 {
		t.Errorf("a suppressed total shows cells %v", got)
	}
	total := 130
	if got := shown(SuppressTotal(50, cells, &total)); len(got) != 2 {
		t.Errorf("a shown total shows cells %v, want both", got)
	}
}

func TestFloorEach(t *testing.T) {
	got := shown(FloorEach(50, map[string]int{"facebook": 40, "instagram": 90}))
	if len(got) != 1 || got["instagram"] != 90 {
		t.Errorf("shows %v, want instagram only (cells not of a total are floored one by one)", got)
	}
}
