package pipelines

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
	"github.com/sosie-dev/sosie/pipelines/rows"
)

// SeedList is an advertiser's list of customers: a CSV file of phones,
// plain or SHA-256 hashed, with an optional country and customer value.
type SeedList struct {
	ID         string `json:"id"`
	Advertiser string `json:"advertiser"`
	File       string `json:"file"` // empty for a list read elsewhere (MatchSeedRows)
	// Table is the BigQuery table the list is read from instead of a
	// file (GraphOptions.Tables).
	Table string `json:"table,omitempty"`
	// Country reads the list's national numbers where a row has no
	// country of its own.
	Country string `json:"country"`
	// PhoneColumn names the phone column; empty: found by its name
	// (features.SeedPhoneColumns; "phone" in JSONL and Parquet).
	PhoneColumn string `json:"phone_column,omitempty"`
	// Format reads every phone cell as plain or hashed; empty: per row.
	Format features.SeedFormat `json:"format,omitempty"`
}

// Conventions a seed row matched by.
const (
	ConventionPlain  = "plain"
	ConventionSHA256 = "sha256" // hashed, convention unknown (not matched)
)

// seedHit is one seed row on its way to a person: Key is the person key
// of a plain phone, or the keyed hash of a hashed one (Hashed).
type seedHit struct {
	List       string   `json:"list"`
	Line       int      `json:"line"`
	Key        string   `json:"key"`
	Hashed     bool     `json:"hashed,omitempty"`
	Convention string   `json:"convention"`
	Value      float64  `json:"value"`
	Ignored    []string `json:"ignored,omitempty"`
}

// seedOutcome is what became of one seed row, for the match report.
type seedOutcome struct {
	Outcome    string          `json:"outcome"` // matched, unmatched, repeated, duplicate, rejected
	Reason     features.Reason `json:"reason,omitempty"`
	Convention string          `json:"convention,omitempty"`
	Apps       []string        `json:"apps,omitempty"`   // of the matched person
	Digest     uint64          `json:"digest,omitempty"` // of the row's keyed identity (not repeated rows)
	Ignored    []string        `json:"ignored,omitempty"`
}

var (
	seedRows     = beam.NewCounter("sosie", "seed_rows")
	seedRejected = beam.NewCounter("sosie", "seed_rows_rejected")
	seedMatched  = beam.NewCounter("sosie", "seed_matched")
)

// MatchSeeds reads the seed lists and finds their customers among persons
// (PCollection<features.Person>), through identities (IdentityBlocks
// from Featurize, one per app or one for all) for hashed rows. It
// returns PCollection<MatchedSeed>, one per list and person;
// PCollection<MatchReport>, one per list; and PCollection<DeadLetter> for
// rows that cannot be read. Pepper says where the identity pepper is.
func MatchSeeds(s beam.Scope, lists []SeedList, pepper Pepper, persons beam.PCollection, identities ...beam.PCollection) (matched, reports, dead beam.PCollection) {
	rows, readDead, _ := ReadSeedFiles(s, lists)
	matched, reports, dead = MatchSeedRows(s, lists, pepper, rows, persons, identities...)
	return matched, reports, beam.Flatten(s, readDead, dead)
}

// MatchSeedRows is MatchSeeds from seed rows however read
// (PCollection<SeedRow>, e.g. from ReadSeedFiles or a BigQuery table).
func MatchSeedRows(s beam.Scope, lists []SeedList, pepper Pepper, rows, persons beam.PCollection, identities ...beam.PCollection) (matched, reports, dead beam.PCollection) {
	s = s.Scope("pipelines.MatchSeeds")
	countries, formats := map[string]string{}, map[string]features.SeedFormat{}
	for _, l := range lists {
		countries[l.ID], formats[l.ID] = l.Country, l.Format
	}
	ids, rejected, dead := beam.ParDo3(s, &seedRowFn{Pepper: pepper, Countries: countries, Formats: formats}, rows)
	// A row naming the same phone or hash as an earlier row of its list is
	// a duplicate before any matching: an advertiser may learn that much,
	// since it follows from its list alone.
	plain, hashed, repeated := beam.ParDo3(s, firstOfIdentity, beam.GroupByKey(s, ids))

	// Only the identities and persons a seed row names reach a shuffle
	// (sidekeys.go): the seeds' keys are a side input they stream past.
	hashes := beam.ParDo(s, keyOfHit, hashed)
	known := []beam.PCollection{beam.ParDo(s, noIdentities, beam.Impulse(s))} // none given: no hashed row matches
	for _, ids := range identities {
		known = append(known, beam.ParDo(s, &knownHashFn{}, ids, beam.SideInput{Input: hashes}))
	}
	fromHash, unmatchedHash := beam.ParDo2(s, resolveHash, beam.CoGroupByKey(s, hashed, beam.Flatten(s, known...)))
	hits := beam.Flatten(s, plain, fromHash)
	// Matching needs of a person only that it is one, and its apps: the
	// shuffle carries those, not the person.
	personsByKey := beam.ParDo(s, &seedPersonAppsFn{}, persons, beam.SideInput{Input: beam.ParDo(s, keyOfHit, hits)})
	matched, outcomes := beam.ParDo2(s, matchPerson, beam.CoGroupByKey(s, hits, personsByKey))
	reports = beam.ParDo(s, finishReport, beam.CombinePerKey(s, &matchReportFn{}, beam.Flatten(s, outcomes, unmatchedHash, rejected, repeated)))
	return matched, reports, dead
}

// ReadSeedFiles reads the seed lists' files: PCollection<SeedRow>,
// PCollection<DeadLetter> (an empty JSONL or Parquet file) and
// PCollection<InputFile>, which accounts for every line of every list.
func ReadSeedFiles(s beam.Scope, lists []SeedList) (rows, dead, inputs beam.PCollection) {
	s = s.Scope("pipelines.ReadSeedFiles")
	in := make([]any, len(lists))
	for i, l := range lists {
		in[i] = l
	}
	return beam.ParDo3(s, &readSeedsFn{}, beam.Create(s, in...))
}

// readSeedsFn reads a seed list file row by row.
type readSeedsFn struct{}

func (f *readSeedsFn) ProcessElement(ctx context.Context, list SeedList, emit func(SeedRow), dead func(DeadLetter), inputs func(InputFile)) error {
	file, err := OpenInput(ctx, list.File)
	if err != nil {
		return fmt.Errorf("pipelines: seed list %s: %w", list.ID, err)
	}
	defer file.Close()
	rows, st, err := readSeedRows(list, file, dead)
	if err != nil {
		return fmt.Errorf("pipelines: seed list %s (%s): %w", list.ID, list.File, err)
	}
	for _, r := range rows {
		row := SeedRow{List: list.ID, Source: list.File, Line: r.Line, Phone: r.Phone, Country: r.Country, Value: r.Value, Ignored: r.Ignored}
		if r.Err != nil {
			row.Phone = ""
			row.Reason, row.Detail = features.ReasonOf(r.Err), r.Err.Error()
			if row.Reason == "" {
				row.Reason = features.ReasonBadField
			}
		}
		emit(row)
	}
	inputs(st)
	return nil
}

// seedRowFn turns each seed row into a hit on a person key (plain) or a
// phone hash (hashed), or a rejection.
type seedRowFn struct {
	Pepper    Pepper                         `json:"pepper"`
	Countries map[string]string              `json:"countries"` // list → country of its national numbers
	Formats   map[string]features.SeedFormat `json:"formats"`   // list → format of its phone cells
	keyer     *features.Keyer
}

func (f *seedRowFn) Setup() error {
	k, err := f.Pepper.keyer()
	f.keyer = k
	return err
}

func (f *seedRowFn) ProcessElement(ctx context.Context, r SeedRow, id func(string, seedHit), rejected func(string, seedOutcome), dead func(DeadLetter)) {
	seedRows.Inc(ctx, 1)
	reject := func(reason features.Reason, detail string) {
		seedRejected.Inc(ctx, 1)
		rejected(r.List, seedOutcome{Outcome: "rejected", Reason: reason, Ignored: r.Ignored})
		dead(DeadLetter{Stage: "match", Source: r.Source, Line: r.Line, Reason: reason, Detail: detail, Rows: 1})
	}
	if r.Reason != "" {
		reject(r.Reason, r.Detail)
		return
	}
	country := r.Country
	if country == "" {
		country = f.Countries[r.List]
	}
	sid, err := features.ParseSeedPhone(r.Phone, country, f.Formats[r.List])
	if err != nil {
		reason := features.ReasonOf(err)
		if reason == "" {
			reason = features.ReasonBadField
		}
		reject(reason, err.Error())
		return
	}
	hit := seedHit{List: r.List, Line: r.Line, Value: r.Value, Ignored: r.Ignored}
	if sid.Hash != "" {
		hit.Key, hit.Hashed = f.keyer.HashKey(sid.Hash), true
	} else {
		hit.Key, hit.Convention = f.keyer.Key(sid.E164), ConventionPlain
	}
	id(r.List+"\x00"+hit.Key, hit)
}

// firstOfIdentity keeps the first row (by line) of a list that names one
// phone or hash; the later ones are repeated. Plain rows go on by person
// key, hashed ones by keyed hash.
func firstOfIdentity(_ string, hits func(*seedHit) bool, plain func(string, seedHit), hashed func(string, seedHit), repeated func(string, seedOutcome)) {
	var all []seedHit
	var h seedHit
	for hits(&h) {
		all = append(all, h)
	}
	slices.SortFunc(all, func(a, b seedHit) int { return a.Line - b.Line })
	for i, h := range all {
		switch {
		case i > 0:
			repeated(h.List, seedOutcome{Outcome: "repeated", Reason: features.ReasonDuplicate, Ignored: h.Ignored})
		case h.Hashed:
			hashed(h.Key, h)
		default:
			plain(h.Key, h)
		}
	}
}

// readSeedRows reads a seed list: CSV, TSV or text with
// features.SeedCSVReader, or JSONL or Parquet (by the file's name) with a
// phone field and optional country and value fields. A row that cannot be
// read is a row with its error, so the match report counts it; an empty
// JSONL or Parquet file is also a dead letter of the read stage. The
// InputFile accounts for every line (Read: rows handed on, whether their
// phone is usable or not; MatchSeeds says which).
func readSeedRows(list SeedList, f io.Reader, dead func(DeadLetter)) ([]features.SeedRow, InputFile, error) {
	format, gz, err := FormatOf(list.File)
	if err != nil {
		return nil, InputFile{}, err
	}
	if format == CSV || format == TSV || format == Text {
		r := features.NewSeedCSVReader(f)
		r.PhoneColumn = list.PhoneColumn
		rows, err := r.ReadAll()
		st := InputFile{File: list.File, Kind: "seeds", TextStats: r.Stats(), Gzip: gz, Columns: r.Columns()}
		return rows, st, err
	}
	phoneCol := list.PhoneColumn
	if phoneCol == "" {
		phoneCol = "phone"
	}
	var seeds []features.SeedRow
	src, err := rows.NewReader(list.File, "seeds", "", []string{phoneCol}, nil, nil)
	if err != nil {
		return nil, InputFile{}, err
	}
	src.Decode = func(line int, r features.Row) error {
		row := features.SeedRow{Line: line, Value: 1}
		row.Phone, _ = r.Field(phoneCol)
		row.Phone = strings.TrimSpace(row.Phone)
		if c, ok := r.Field("country"); ok && strings.TrimSpace(c) != "" {
			if row.Country, ok = features.ParseCountry(c); !ok {
				row.Ignored = append(row.Ignored, "country")
			}
		}
		if v, ok := r.Field("value"); ok && strings.TrimSpace(v) != "" {
			x, err := features.ParseSeedValue(v)
			if err != nil {
				row.Ignored = append(row.Ignored, "value")
			} else {
				row.Value = x
			}
		}
		seeds = append(seeds, row)
		return nil
	}
	src.Reject = func(r rows.Rejection) {
		if r.Rows == 0 {
			deadLetters(list.File, dead)(r) // an empty file
			return
		}
		for i := 0; i < r.Rows; i++ { // a line, or every row of a file without a phone column
			seeds = append(seeds, features.SeedRow{Line: r.Line, Err: features.NewRejectError(r.Reason, r.Detail)})
		}
	}
	if err := src.Read(f); err != nil {
		return nil, InputFile{}, err
	}
	// Rejected lines are handed on as rows with their error: MatchSeeds
	// counts them.
	src.Stats.Read += src.Stats.Rejected
	src.Stats.Rejected = 0
	return seeds, src.Stats, nil
}

// resolveHash matches hashed seed rows to the person whose phone hashes to
// the same value, in either convention.
func resolveHash(hash string, hits func(*seedHit) bool, ids func(*Identity) bool, emit func(string, seedHit), unmatched func(string, seedOutcome)) {
	var id Identity
	found := ids(&id)
	var h seedHit
	for hits(&h) {
		if !found {
			unmatched(h.List, seedOutcome{Outcome: "unmatched", Convention: ConventionSHA256, Ignored: h.Ignored, Digest: keyDigest(h.Key)})
			continue
		}
		h.Convention = string(id.Convention)
		emit(id.Key, h)
	}
}

func keyPerson(p features.Person) (string, features.Person) { return p.Key, p }

// personApps is what matching needs of a person: that there is one, and
// the apps it is on.
type personApps struct {
	Apps []string `json:"apps"`
}

func keyPersonApps(p features.Person) (string, personApps) {
	apps := make([]string, len(p.Apps))
	for i, a := range p.Apps {
		apps[i] = a.App
	}
	return p.Key, personApps{Apps: apps}
}

// matchPerson confirms the hits of one person key against the persons: the
// first row of a list that names a person matches it, later ones are
// duplicates; a key no person has is unmatched.
func matchPerson(ctx context.Context, key string, hits func(*seedHit) bool, persons func(*personApps) bool, matched func(MatchedSeed), outcome func(string, seedOutcome)) {
	var p personApps
	found := persons(&p)
	apps := p.Apps
	var all []seedHit
	var h seedHit
	for hits(&h) {
		all = append(all, h)
	}
	// The earliest line of each list wins, so reruns agree.
	slices.SortFunc(all, func(a, b seedHit) int {
		if c := strings.Compare(a.List, b.List); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	for i, h := range all {
		switch {
		case !found:
			outcome(h.List, seedOutcome{Outcome: "unmatched", Convention: h.Convention, Ignored: h.Ignored, Digest: keyDigest(h.Key)})
		case i > 0 && all[i-1].List == h.List:
			outcome(h.List, seedOutcome{Outcome: "duplicate", Reason: features.ReasonDuplicate, Convention: h.Convention, Ignored: h.Ignored, Digest: keyDigest(h.Key)})
		default:
			seedMatched.Inc(ctx, 1)
			matched(MatchedSeed{List: h.List, Key: key, Value: h.Value})
			outcome(h.List, seedOutcome{Outcome: "matched", Convention: h.Convention, Apps: apps, Digest: keyDigest(h.Key), Ignored: h.Ignored})
		}
	}
}

// matchReportFn counts seed outcomes into a MatchReport.
type matchReportFn struct{}

func (matchReportFn) CreateAccumulator() MatchReport { return MatchReport{} }

func (matchReportFn) AddInput(r MatchReport, o seedOutcome) MatchReport {
	r.Rows++
	r.ListDigest ^= o.Digest
	for _, c := range o.Ignored {
		r.Ignored = inc(r.Ignored, c, 1)
	}
	hashed := o.Convention != "" && o.Convention != ConventionPlain
	switch o.Outcome {
	case "rejected":
		r.Rejected = inc(r.Rejected, o.Reason, 1)
	case "repeated":
		r.Duplicates++
		r.Repeated++
	case "duplicate":
		r.Duplicates++
		if hashed {
			r.HashedRows++
		}
	case "unmatched":
		r.Unmatched++
		if hashed {
			r.HashedRows++
		}
	case "matched":
		r.Matched++
		r.ByConvention = inc(r.ByConvention, o.Convention, 1)
		for _, a := range o.Apps {
			r.ByApp = inc(r.ByApp, a, 1)
		}
		if hashed {
			r.HashedRows++
			r.HashedMatched++
		}
	}
	return r
}

// keyDigest is a keyed identity's share of a ListDigest: its first 64
// bits.
func keyDigest(key string) uint64 {
	var d uint64
	for i := 0; i < 16 && i < len(key); i++ {
		d = d<<4 | uint64(hexValue(key[i]))
	}
	return d
}

func hexValue(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

func (matchReportFn) MergeAccumulators(a, b MatchReport) MatchReport {
	a.Rows += b.Rows
	a.Duplicates += b.Duplicates
	a.Repeated += b.Repeated
	a.HashedRows += b.HashedRows
	a.HashedMatched += b.HashedMatched
	a.ListDigest ^= b.ListDigest
	for k, v := range b.Ignored {
		a.Ignored = inc(a.Ignored, k, v)
	}
	a.Unmatched += b.Unmatched
	a.Matched += b.Matched
	for k, v := range b.Rejected {
		a.Rejected = inc(a.Rejected, k, v)
	}
	for k, v := range b.ByConvention {
		a.ByConvention = inc(a.ByConvention, k, v)
	}
	for k, v := range b.ByApp {
		a.ByApp = inc(a.ByApp, k, v)
	}
	return a
}

func inc[K comparable](m map[K]int, k K, n int) map[K]int {
	if m == nil {
		m = map[K]int{}
	}
	m[k] += n
	return m
}

func finishReport(list string, r MatchReport) MatchReport {
	r.List = list
	rejected := 0
	for _, n := range r.Rejected {
		rejected += n
	}
	r.Valid = r.Rows - rejected
	r.Distinct = r.Valid - r.Repeated
	if usable := r.Rows - rejected - r.Duplicates; usable > 0 {
		r.MatchRate = float64(r.Matched) / float64(usable)
	}
	return r
}

func init() {
	reg.DoFn5x1[context.Context, SeedList, func(SeedRow), func(DeadLetter), func(InputFile), error](&readSeedsFn{})
	reg.DoFn5x0[context.Context, SeedRow, func(string, seedHit), func(string, seedOutcome), func(DeadLetter)](&seedRowFn{})
	register.Function5x0(firstOfIdentity)
	register.Emitter1[SeedRow]()
	register.Function5x0(resolveHash)
	register.Function1x2(keyPerson)
	register.Function1x2(keyPersonApps)
	register.Iter1[personApps]()
	register.Function6x0(matchPerson)
	register.Function2x1(finishReport)
	register.Combiner2[MatchReport, seedOutcome](&matchReportFn{})
	register.Emitter2[string, seedHit]()
	register.Emitter2[string, seedOutcome]()
	register.Emitter1[MatchedSeed]()
	register.Iter1[seedHit]()
	register.Iter1[Identity]()
	register.Iter1[features.Person]()
}
