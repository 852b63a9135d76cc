package pipelines

import (
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// Seed lists are small beside the persons they are matched against (a
// few thousand to a few million rows against hundreds of millions of
// persons), so the stages below hand the seeds' side to every worker as a
// side input and let the persons and identities stream past it: only the
// few that carry a seed reach a shuffle. Each worker holds the seeds'
// keys in memory, about 100 bytes per seed row.
//
// A side input is read once per DoFn instance and kept: in a batch
// pipeline everything is in the global window, so it never changes.

// sideKeys is a set of keys read from an iterable side input on first use.
type sideKeys map[string]struct{}

// has reports whether key is in the side input iter reads.
func (k *sideKeys) has(key string, iter func(*string) bool) bool { return k.hasAs(key, iter, nil) }

// hasAs is has for a key in another form than the side input's: each of
// its keys is turned into that form (form; nil: as it is) once, when read.
func (k *sideKeys) hasAs(key string, iter func(*string) bool, form func(string) string) bool {
	if *k == nil {
		m := sideKeys{}
		var s string
		for iter(&s) {
			if form != nil {
				s = form(s)
			}
			m[s] = struct{}{}
		}
		*k = m
	}
	_, ok := (*k)[key]
	return ok
}

func keyOfHit(key string, _ seedHit) string { return key }

// noIdentities is an empty PCollection<KV<string, Identity>>'s source.
func noIdentities(_ []byte, _ func(string, Identity)) {}

// knownHashFn keeps the identities (of IdentityBlocks) whose hash some
// seed row or opt-out entry names.
type knownHashFn struct{ hashes sideKeys } // in their wire form

func (f *knownHashFn) ProcessElement(_ int, block []byte, hashes func(*string) bool, emit func(string, Identity)) error {
	return eachIdentity(block, func(h string) bool { return f.hashes.hasAs(h, hashes, wireKey) }, emit)
}

// seedPersonAppsFn keys by person key the persons some seed row names,
// with what matching needs of them (personApps).
type seedPersonAppsFn struct{ keys sideKeys }

func (f *seedPersonAppsFn) ProcessElement(p features.Person, keys func(*string) bool, emit func(string, personApps)) {
	if f.keys.has(p.Key, keys) {
		k, apps := keyPersonApps(p)
		emit(k, apps)
	}
}

// pairSeedsFn pairs each person with the seed lists it is a seed of
// (matched, a side input), ordered by list.
type pairSeedsFn struct{ seeds map[string][]seedOf }

func (f *pairSeedsFn) ProcessElement(p features.Person, matched func(*MatchedSeed) bool, emit func(seededPerson)) {
	if f.seeds == nil {
		f.seeds = map[string][]seedOf{}
		var m MatchedSeed
		for matched(&m) {
			f.seeds[m.Key] = append(f.seeds[m.Key], seedOf{m.List, m.Value})
		}
		for _, s := range f.seeds {
			slices.SortFunc(s, func(a, b seedOf) int { return strings.Compare(a.List, b.List) })
		}
	}
	emit(seededPerson{Person: p, Seeds: f.seeds[p.Key]})
}

func init() {
	register.Function2x1(keyOfHit)
	register.Function2x0(noIdentities)
	reg.DoFn4x1[int, []byte, func(*string) bool, func(string, Identity), error](&knownHashFn{})
	reg.DoFn3x0[features.Person, func(*string) bool, func(string, personApps)](&seedPersonAppsFn{})
	reg.DoFn3x0[features.Person, func(*MatchedSeed) bool, func(seededPerson)](&pairSeedsFn{})
	register.Iter1[string]()
	register.Iter1[MatchedSeed]()
	register.Emitter2[string, Identity]()
	register.Emitter2[string, personApps]()
}
