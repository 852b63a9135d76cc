package pipelines

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// OptOut removes the persons on opt-out lists (people who objected to ad
// targeting, GDPR art. 21) before anything learns from or scores them:
// PCollection<features.Person> and the identities (IdentityBlocks) in; the
// persons not opted out,
// PCollection<DeadLetter> (lines that are no phone, hash or key) and
// PCollection<InputFile> (every line of every list accounted for) out.
//
// A list is read as a seed list is (features.SeedCSVReader): one entry per
// line, an optional header naming a phone or key column and a country
// column, any separator, encoding or line end. An entry is a phone in any
// format (national numbers read in the line's country, else
// defaultRegion), its SHA-256 in either convention, or a person key; a
// 64-hex entry is tried both as a hash and as a key. Files are read where
// they are; their entries are never written anywhere.
//
// Opt-out lists are small beside the persons, as seed lists are
// (sidekeys.go): their hashes are a side input the identities stream
// past, and the keys opted out one the persons stream past; nothing of
// the persons is shuffled.
func OptOut(s beam.Scope, files []string, pepper Pepper, defaultRegion string, persons, identities beam.PCollection) (kept, dead, inputs beam.PCollection) {
	s = s.Scope("pipelines.OptOut")
	outs := beam.ParDoN(s, &readOptOutFn{Pepper: pepper, DefaultRegion: defaultRegion}, beam.Create(s, stringsToAny(files)...))
	keys, hashes, dead, inputs := outs[0], outs[1], outs[2], outs[3]
	fromHashes := beam.ParDo(s, personOf, beam.ParDo(s, &knownHashFn{}, identities, beam.SideInput{Input: beam.ParDo(s, keyOfEntry, hashes)}))
	out := beam.Flatten(s, beam.ParDo(s, keyOfEntry, keys), fromHashes)
	kept = beam.ParDo(s, &dropOptedOutFn{}, persons, beam.SideInput{Input: out})
	return kept, dead, inputs
}

// OptOutColumns are the names an opt-out list's entry column goes by.
var OptOutColumns = append([]string{"key", "person_key"}, features.SeedPhoneColumns...)

var (
	optOutEntries = beam.NewCounter("sosie", "optout_entries")
	optOutBad     = beam.NewCounter("sosie", "optout_entries_rejected")
	optOutRemoved = beam.NewCounter("sosie", "optout_persons_removed")
)

type readOptOutFn struct {
	Pepper        Pepper `json:"pepper"`
	DefaultRegion string `json:"default_region"`
	keyer         *features.Keyer
}

func (f *readOptOutFn) Setup() error {
	k, err := f.Pepper.keyer()
	f.keyer = k
	return err
}

func (f *readOptOutFn) ProcessElement(ctx context.Context, path string, key func(string, bool), hash func(string, bool), dead func(DeadLetter), inputs func(InputFile)) error {
	file, err := OpenInput(ctx, path)
	if err != nil {
		return fmt.Errorf("pipelines: opt-out list: %w", err)
	}
	defer file.Close()
	r := features.NewSeedCSVReader(file)
	r.PhoneColumns = OptOutColumns
	st := InputFile{File: path, Kind: "opt_out"}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("pipelines: opt-out list %s: %w", path, err)
		}
		optOutEntries.Inc(ctx, 1)
		reject := func(err error) {
			optOutBad.Inc(ctx, 1)
			st.Rejected++
			reason := features.ReasonOf(err)
			if reason == "" {
				reason = features.ReasonBadField
			}
			dead(DeadLetter{Stage: "optout", Source: path, Line: row.Line, Reason: reason, Detail: err.Error(), Rows: 1})
		}
		if row.Err != nil {
			reject(row.Err)
			continue
		}
		if features.LooksHashed(row.Phone) {
			if h, err := features.ParseSHA256Hex(row.Phone); err == nil {
				hash(f.keyer.HashKey(h), true)
				key(h, true) // or a person key, also 64 hex
				st.Read++
				continue
			}
		}
		region := row.Country
		if region == "" {
			region = f.DefaultRegion
		}
		e164, err := features.NormalizeListPhone(row.Phone, region)
		if err != nil {
			reject(err)
			continue
		}
		key(f.keyer.Key(e164), true)
		st.Read++
	}
	rs := r.Stats()
	st.Lines, st.Header, st.Blank, st.Encoding, st.Recoded = rs.Lines, rs.Header, rs.Blank, rs.Encoding, rs.Recoded
	st.Columns, st.Gzip = r.Columns(), strings.HasSuffix(strings.ToLower(path), ".gz")
	inputs(st)
	return nil
}

func keyOfEntry(k string, _ bool) string { return k }

// personOf is the person key of an opted-out phone hash's identity.
func personOf(_ string, id Identity) string { return id.Key }

// dropOptedOutFn drops the persons whose key is opted out (a side input).
type dropOptedOutFn struct{ out sideKeys }

func (f *dropOptedOutFn) ProcessElement(ctx context.Context, p features.Person, out func(*string) bool, emit func(features.Person)) {
	if f.out.has(p.Key, out) {
		optOutRemoved.Inc(ctx, 1)
		return
	}
	emit(p)
}

func init() {
	reg.DoFn6x1[context.Context, string, func(string, bool), func(string, bool), func(DeadLetter), func(InputFile), error](&readOptOutFn{})
	register.Function2x1(keyOfEntry)
	register.Function2x1(personOf)
	reg.DoFn4x0[context.Context, features.Person, func(*string) bool, func(features.Person)](&dropOptedOutFn{})
	register.Emitter2[string, bool]()
}
