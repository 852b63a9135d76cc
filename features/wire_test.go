package features

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// randomTime is a zero time, a UTC time or one at a fixed offset, with
// nanoseconds, before 1970 too.
func randomTime(rng *rand.Rand) time.Time {
	switch rng.IntN(4) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(rng.Int64N(4e9)-1e9, rng.Int64N(1e9)).UTC()
	}
	return time.Unix(rng.Int64N(4e9)-1e9, rng.Int64N(1e9)).In(time.FixedZone("", (rng.IntN(49)-24)*1800))
}

// randomString is valid UTF-8 (JSON, the reference, replaces invalid
// bytes; the wire form keeps them).
func randomString(rng *rand.Rand) string {
	runes := []rune("ab+0123456789 éü日本\"\\\n\x00")
	r := make([]rune, rng.IntN(12))
	for i := range r {
		r[i] = runes[rng.IntN(len(runes))]
	}
	return string(r)
}

// randomKey is a person key (64 lower-case hex digits), or hex in upper
// case, or any string: the wire form packs the first kind only.
func randomKey(rng *rand.Rand) string {
	const digits = "0123456789abcdef"
	k := make([]byte, 64)
	for i := range k {
		k[i] = digits[rng.IntN(16)]
	}
	switch rng.IntN(3) {
	case 0:
		return string(k)
	case 1:
		return strings.ToUpper(string(k))
	}
	return randomString(rng)
}

func randomActivity(rng *rand.Rand) Activity {
	var a Activity
	for i := range a.Events {
		a.Events[i] = rng.Uint32()
	}
	for i := range a.Categories {
		a.Categories[i] = rng.Uint32N(100)
	}
	for i := range a.Days {
		a.Days[i] = rng.Uint64()
	}
	a.First, a.Last, a.Ignored = rng.Int64()-1<<62, rng.Int64(), rng.Uint32()
	return a
}

func randomProfile(rng *rand.Rand) AppProfile {
	return AppProfile{PersonKey: randomKey(rng), App: randomString(rng), Accounts: rng.IntN(5), Country: randomString(rng),
		BirthYear: rng.IntN(3000) - 500, Age: rng.IntN(120), Gender: Gender(randomString(rng)), OS: randomString(rng), Carrier: randomString(rng),
		CreatedAt: randomTime(rng), UpdatedAt: randomTime(rng), ConsentAds: rng.IntN(2) == 0, ConsentCrossApp: rng.IntN(2) == 0,
		Activity: randomActivity(rng)}
}

// viaJSON is v after a JSON round trip: what the wire form must equal.
func viaJSON[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// roundTrip checks that v read back from its wire form, with bytes after
// it, is v as JSON would give it back, and that every shorter prefix is
// refused.
func roundTrip[T any](t *testing.T, v T, appendFn func([]byte, T) []byte, read func([]byte) (T, []byte, error)) {
	t.Helper()
	b := appendFn(nil, v)
	got, rest, err := read(append(b, 0xAB))
	if err != nil || len(rest) != 1 || rest[0] != 0xAB {
		t.Fatalf("%T: read %v, %d bytes left", v, err, len(rest))
	}
	if want := viaJSON(t, v); !reflect.DeepEqual(got, want) {
		t.Fatalf("%T: wire gives\n%+v\nJSON gives\n%+v", v, got, want)
	}
	for n := range len(b) {
		if _, _, err := read(b[:n]); !errors.Is(err, ErrWire) {
			t.Fatalf("%T: %d of %d bytes read without an error (%v)", v, n, len(b), err)
		}
	}
}

func TestWireRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		roundTrip(t, Account{App: randomString(rng), UserID: randomString(rng), Phone: randomString(rng), Country: randomString(rng),
			BirthYear: rng.IntN(3000), Age: -rng.IntN(5), Gender: Gender(randomString(rng)), OS: randomString(rng), Carrier: randomString(rng),
			CreatedAt: randomTime(rng), UpdatedAt: randomTime(rng), ConsentAds: rng.IntN(2) == 0, ConsentCrossApp: rng.IntN(2) == 0,
			Source: randomString(rng), Line: rng.IntN(1 << 40)}, AppendAccount, ReadAccount)
		roundTrip(t, Event{App: randomString(rng), UserID: randomString(rng), Time: randomTime(rng),
			Type: EventType(rng.IntN(NumEventTypes)), Category: Category(rng.IntN(NumCategories))}, AppendEvent, ReadEvent)
		roundTrip(t, randomActivity(rng), AppendActivity, ReadActivity)
		roundTrip(t, randomProfile(rng), AppendAppProfile, ReadAppProfile)
		p := Person{Key: randomKey(rng), Country: randomString(rng), BirthYear: rng.IntN(3000), Age: rng.IntN(99),
			Gender: Gender(randomString(rng)), OS: randomString(rng), Carrier: randomString(rng)}
		for range 1 + rng.IntN(4) {
			a := randomProfile(rng)
			if rng.IntN(3) > 0 {
				a.PersonKey = p.Key // as a joined person's apps are
			}
			p.Apps = append(p.Apps, a)
		}
		roundTrip(t, p, AppendPerson, ReadPerson)
	}
}

// TestWireIsSmall: a person of two apps takes under a quarter of its
// JSON (its key is written once, in 32 bytes).
func TestWireIsSmall(t *testing.T) {
	at := time.Date(2026, 10, 3, 8, 9, 10, 0, time.UTC)
	prof := AppProfile{PersonKey: "3f9a0c2e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19", App: "facebook", Accounts: 1,
		Country: "FR", BirthYear: 1987, Gender: "f", OS: "android", Carrier: "orange", CreatedAt: at, UpdatedAt: at, ConsentAds: true,
		Activity: Activity{Events: [NumEventTypes]uint32{12, 3, 40}, First: at.Unix(), Last: at.Unix()}}
	p := Person{Key: prof.PersonKey, Apps: []AppProfile{prof, prof}, Country: "FR", BirthYear: 1987, Gender: "f", OS: "android"}
	js, _ := json.Marshal(p)
	if w := AppendPerson(nil, p); 4*len(w) > len(js) {
		t.Errorf("wire %d bytes, JSON %d", len(w), len(js))
	}
}
