package pipelines

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/features"
)

// OptOut removes the persons on opt-out lists (people who objected to ad
// targeting, GDPR art. 21) before anything learns from or scores them:
// PCollection<features.Person> and the identities
// (PCollection<KV<string, Identity>>) in, the persons not opted out and
// PCollection<DeadLetter> (lines that are no phone, hash or key) out.
//
// Each file holds one entry per line (a first line "phone" or "key" is a
// header): a phone in E.164 form, its SHA-256 in either convention, or a
// person key. A 64-hex entry is tried both as a hash and as a key. Files
// are read where they are; their entries are never written anywhere.
func OptOut(s beam.Scope, files []string, pepper Pepper, persons, identities beam.PCollection) (kept, dead beam.PCollection) {
	s = s.Scope("pipelines.OptOut")
	keys, hashes, dead := beam.ParDo3(s, &readOptOutFn{Pepper: pepper}, beam.Create(s, stringsToAny(files)...))
	fromHashes := beam.ParDo(s, optOutHash, beam.CoGroupByKey(s, hashes, identities))
	out := beam.Flatten(s, keys, fromHashes)
	kept = beam.ParDo(s, dropOptedOut, beam.CoGroupByKey(s, beam.ParDo(s, keyPerson, persons), out))
	return kept, dead
}

var (
	optOutEntries = beam.NewCounter("sosie", "optout_entries")
	optOutBad     = beam.NewCounter("sosie", "optout_entries_rejected")
	optOutRemoved = beam.NewCounter("sosie", "optout_persons_removed")
)

type readOptOutFn struct {
	Pepper Pepper `json:"pepper"`
	keyer  *features.Keyer
}

func (f *readOptOutFn) Setup() error {
	k, err := f.Pepper.keyer()
	f.keyer = k
	return err
}

func (f *readOptOutFn) ProcessElement(ctx context.Context, path string, key func(string, bool), hash func(string, bool), dead func(DeadLetter)) error {
	file, err := OpenFile(ctx, path)
	if err != nil {
		return fmt.Errorf("pipelines: opt-out list: %w", err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	line := 0
	for sc.Scan() {
		line++
		v := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if v == "" || (line == 1 && (strings.EqualFold(v, "phone") || strings.EqualFold(v, "key"))) {
			continue
		}
		optOutEntries.Inc(ctx, 1)
		if features.LooksHashed(v) {
			h, err := features.ParseSHA256Hex(v)
			if err == nil {
				hash(f.keyer.HashKey(h), true)
				key(h, true) // or a person key, also 64 hex
				continue
			}
		}
		e164, err := features.NormalizePhone(v, "")
		if err != nil {
			optOutBad.Inc(ctx, 1)
			dead(DeadLetter{Stage: "optout", Source: path, Line: line, Reason: features.ReasonOf(err), Detail: err.Error(), Rows: 1})
			continue
		}
		key(f.keyer.Key(e164), true)
	}
	return sc.Err()
}

// optOutHash turns an opted-out phone hash into its person's key.
func optOutHash(_ string, entries func(*bool) bool, ids func(*Identity) bool, emit func(string, bool)) {
	var b bool
	if !entries(&b) {
		return
	}
	var id Identity
	for ids(&id) {
		emit(id.Key, true)
	}
}

func dropOptedOut(ctx context.Context, _ string, persons func(*features.Person) bool, out func(*bool) bool, emit func(features.Person)) {
	var b bool
	opted := out(&b)
	var p features.Person
	for persons(&p) {
		if opted {
			optOutRemoved.Inc(ctx, 1)
			continue
		}
		emit(p)
	}
}

func init() {
	register.DoFn5x1[context.Context, string, func(string, bool), func(string, bool), func(DeadLetter), error](&readOptOutFn{})
	register.Function4x0(optOutHash)
	register.Function5x0(dropOptedOut)
	register.Emitter2[string, bool]()
	register.Iter1[bool]()
}
