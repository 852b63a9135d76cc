package features_test

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/features/synth"
)

// worldPhones returns the phones and countries of the accounts of a small
// synthetic world: the mix of formats and dirt the targets are stated on.
func worldPhones(tb testing.TB, persons int, seed uint64) (phones, regions []string) {
	tb.Helper()
	dir := tb.TempDir()
	st, err := synth.Generate(synth.Config{Persons: persons, Seed: seed}, dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, app := range st.Config.Apps {
		f, err := os.Open(filepath.Join(dir, synth.AccountsFile(app, synth.JSONL)))
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var a struct{ Phone, Country string }
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				tb.Fatal(err)
			}
			phones, regions = append(phones, a.Phone), append(regions, a.Country)
		}
		f.Close()
	}
	return phones, regions
}

// BenchmarkNormalizeWorldPhones: sosie's NormalizePhone against the
// library's Parse + IsValidNumber + Format on the same phones.
func BenchmarkNormalizeWorldPhones(b *testing.B) {
	phones, regions := worldPhones(b, 5000, 1)
	b.Run("impl=sosie", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			j := i % len(phones)
			_, _ = features.NormalizePhone(phones[j], regions[j])
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "phones/s")
	})
	b.Run("impl=libphonenumber", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			j := i % len(phones)
			if n, err := phonenumbers.Parse(phones[j], regions[j]); err == nil && phonenumbers.IsValidNumber(n) {
				_ = phonenumbers.Format(n, phonenumbers.E164)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "phones/s")
	})
}

func BenchmarkHash(b *testing.B) {
	b.Run("op=HashPhone", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			_ = features.HashPhone("+33612345678")
		}
	})
	b.Run("op=PersonKey", func(b *testing.B) {
		k, _ := features.NewKeyer([]byte("a pepper of some length"))
		b.ReportAllocs()
		for range b.N {
			_ = k.Key("+33612345678")
		}
	})
	b.Run("op=ParseSHA256Hex", func(b *testing.B) {
		h := features.HashPhone("+33612345678").Digits
		b.ReportAllocs()
		for range b.N {
			_, _ = features.ParseSHA256Hex(h)
		}
	})
}

var asOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func events(n int) []features.Event {
	rng := rand.New(rand.NewPCG(1, 1))
	out := make([]features.Event, n)
	for i := range out {
		out[i] = features.Event{
			Time:     asOf.Add(-time.Duration(rng.Int64N(int64(95 * 24 * time.Hour)))),
			Type:     features.EventType(rng.IntN(features.NumEventTypes)),
			Category: features.Category(rng.IntN(features.NumCategories)),
		}
	}
	return out
}

// BenchmarkAggregate adds events to per-account accumulators, 20 events an
// account, and merges each account's two halves, as a lifted combiner does.
func BenchmarkAggregate(b *testing.B) {
	evs := events(1 << 16)
	w := features.ActivityWindow{AsOf: asOf, Days: 90}
	b.ReportAllocs()
	var acc, half features.Activity
	for i := range b.N {
		e := &evs[i&(len(evs)-1)]
		if i%10 == 0 {
			acc = w.MergeAccumulators(acc, half)
			half = w.CreateAccumulator()
		}
		half = w.AddInput(half, *e)
	}
	_ = w.ExtractOutput(acc)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkVectorize(b *testing.B) {
	s, _ := features.NewSchema(features.SchemaConfig{})
	w := features.ActivityWindow{AsOf: asOf, Days: 90}
	evs := events(4096)
	rng := rand.New(rand.NewPCG(2, 2))
	persons := make([]features.Person, 1024)
	for i := range persons {
		var profiles []features.AppProfile
		for _, app := range features.DefaultApps {
			if rng.IntN(2) == 0 {
				continue
			}
			var act features.Activity
			for range 15 {
				act = w.AddInput(act, evs[rng.IntN(len(evs))])
			}
			profiles = append(profiles, features.AppProfile{App: app, Accounts: 1, Country: features.DefaultCountries[rng.IntN(10)],
				BirthYear: 1950 + rng.IntN(55), Gender: features.GenderFemale, OS: "android", Carrier: "orange",
				CreatedAt: asOf.AddDate(-rng.IntN(10), 0, 0), UpdatedAt: asOf, Activity: act})
		}
		persons[i] = features.MergePerson("k", profiles)
	}
	dst := make([]float64, s.Len())
	b.ReportAllocs()
	for i := range b.N {
		s.Vectorize(&persons[i&1023], asOf, w, dst)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "persons/s")
}

// TestWorldPhonesAgreeWithLibrary: on every phone of a synthetic world,
// NormalizePhone's verdict is libphonenumber's.
func TestWorldPhonesAgreeWithLibrary(t *testing.T) {
	phones, regions := worldPhones(t, 3000, 9)
	for i, phone := range phones {
		got, err := features.NormalizePhone(phone, regions[i])
		want := ""
		// Region codes are case-blind for sosie; the library wants upper case.
		if num, perr := phonenumbers.Parse(phone, strings.ToUpper(regions[i])); perr == nil && phonenumbers.IsValidNumber(num) {
			want = phonenumbers.Format(num, phonenumbers.E164)
		}
		if got != want || (err == nil) != (want != "") {
			t.Errorf("%q in %q: sosie %q, %v; library %q", phone, regions[i], got, err, want)
		}
	}
	if len(phones) < 5000 {
		t.Fatalf("only %d phones checked", len(phones))
	}
}
