package pipelines

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/features"
)

// SeedList is an advertiser's list of customers: a CSV file of phones,
// plain or SHA-256 hashed, with an optional country and customer value.
type SeedList struct {
	ID         string `json:"id"`
	Advertiser string `json:"advertiser"`
	File       string `json:"file"` // empty for a list read elsewhere (MatchSeedRows)
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

// seedHit is one seed row on its way to a person.
type seedHit struct {
	List       string  `json:"list"`
	Line       int     `json:"line"`
	Convention string  `json:"convention"`
	Value      float64 `json:"value"`
}

// MatchedSeed is a seed list's customer found among the persons.
type MatchedSeed struct {
	List  string  `json:"list"`
	Key   string  `json:"key"`   // person key
	Value float64 `json:"value"` // customer value; 1 where the list has none
}

// seedOutcome is what became of one seed row, for the match report.
type seedOutcome struct {
	Outcome    string          `json:"outcome"` // matched, unmatched, duplicate, rejected
	Reason     features.Reason `json:"reason,omitempty"`
	Convention string          `json:"convention,omitempty"`
	Apps       []string        `json:"apps,omitempty"` // of the matched person
}

// MatchReport says what became of a seed list's rows.
type MatchReport struct {
	List         string                  `json:"list"`
	Rows         int                     `json:"rows"`
	Rejected     map[features.Reason]int `json:"rejected"`
	Duplicates   int                     `json:"duplicates"` // rows of a customer already matched from the list
	Unmatched    int                     `json:"unmatched"`
	Matched      int                     `json:"matched"` // distinct persons
	ByConvention map[string]int          `json:"matched_by_convention"`
	ByApp        map[string]int          `json:"matched_by_app"`
	MatchRate    float64                 `json:"match_rate"` // matched / (rows − rejected − duplicates)
}

var (
	seedRows     = beam.NewCounter("sosie", "seed_rows")
	seedRejected = beam.NewCounter("sosie", "seed_rows_rejected")
	seedMatched  = beam.NewCounter("sosie", "seed_matched")
)

// MatchSeeds reads the seed lists and finds their customers among persons
// (PCollection<features.Person>), through identities
// (PCollection<KV<string, Identity>> from Featurize) for hashed rows. It
// returns PCollection<MatchedSeed>, one per list and person;
// PCollection<MatchReport>, one per list; and PCollection<DeadLetter> for
// rows that cannot be read. Pepper says where the identity pepper is.
func MatchSeeds(s beam.Scope, lists []SeedList, pepper Pepper, persons, identities beam.PCollection) (matched, reports, dead beam.PCollection) {
	rows, readDead := ReadSeedFiles(s, lists)
	matched, reports, dead = MatchSeedRows(s, lists, pepper, rows, persons, identities)
	return matched, reports, beam.Flatten(s, readDead, dead)
}

// MatchSeedRows is MatchSeeds from seed rows however read
// (PCollection<SeedRow>, e.g. from ReadSeedFiles or a BigQuery table).
func MatchSeedRows(s beam.Scope, lists []SeedList, pepper Pepper, rows, persons, identities beam.PCollection) (matched, reports, dead beam.PCollection) {
	s = s.Scope("pipelines.MatchSeeds")
	countries, formats := map[string]string{}, map[string]features.SeedFormat{}
	for _, l := range lists {
		countries[l.ID], formats[l.ID] = l.Country, l.Format
	}
	outs := beam.ParDoN(s, &seedRowFn{Pepper: pepper, Countries: countries, Formats: formats}, rows)
	plain, hashed, rejected, dead := outs[0], outs[1], outs[2], outs[3]

	fromHash, unmatchedHash := beam.ParDo2(s, resolveHash, beam.CoGroupByKey(s, hashed, identities))
	hits := beam.Flatten(s, plain, fromHash)
	personsByKey := beam.ParDo(s, keyPerson, persons)
	matched, outcomes := beam.ParDo2(s, matchPerson, beam.CoGroupByKey(s, hits, personsByKey))
	reports = beam.ParDo(s, finishReport, beam.CombinePerKey(s, &matchReportFn{}, beam.Flatten(s, outcomes, unmatchedHash, rejected)))
	return matched, reports, dead
}

// SeedRow is one row of a seed list as read, before it is matched: a
// phone (plain or hashed) with its country and customer value, or the
// reason the row could not be read. Sources other than files (a
// BigQuery table) make these for MatchSeedRows.
type SeedRow struct {
	List    string          `json:"list"`
	Source  string          `json:"source"` // the file or table, for dead letters
	Line    int             `json:"line"`   // 1-based row in Source
	Phone   string          `json:"phone,omitempty"`
	Country string          `json:"country,omitempty"`
	Value   float64         `json:"value"`
	Reason  features.Reason `json:"reason,omitempty"` // set when the row could not be read
	Detail  string          `json:"detail,omitempty"`
}

// ReadSeedFiles reads the seed lists' files: PCollection<SeedRow> and
// PCollection<DeadLetter> (an empty JSONL or Parquet file).
func ReadSeedFiles(s beam.Scope, lists []SeedList) (rows, dead beam.PCollection) {
	s = s.Scope("pipelines.ReadSeedFiles")
	in := make([]any, len(lists))
	for i, l := range lists {
		in[i] = l
	}
	return beam.ParDo2(s, &readSeedsFn{}, beam.Create(s, in...))
}

// readSeedsFn reads a seed list file row by row.
type readSeedsFn struct{}

func (f *readSeedsFn) ProcessElement(ctx context.Context, list SeedList, emit func(SeedRow), dead func(DeadLetter)) error {
	file, err := OpenFile(ctx, list.File)
	if err != nil {
		return fmt.Errorf("pipelines: seed list %s: %w", list.ID, err)
	}
	defer file.Close()
	rows, err := readSeedRows(ctx, list, file, dead)
	if err != nil {
		return fmt.Errorf("pipelines: seed list %s (%s): %w", list.ID, list.File, err)
	}
	for _, r := range rows {
		row := SeedRow{List: list.ID, Source: list.File, Line: r.Line, Phone: r.Phone, Country: r.Country, Value: r.Value}
		if r.Err != nil {
			row.Phone = ""
			row.Reason, row.Detail = features.ReasonOf(r.Err), r.Err.Error()
			if row.Reason == "" {
				row.Reason = features.ReasonBadField
			}
		}
		emit(row)
	}
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

func (f *seedRowFn) ProcessElement(ctx context.Context, r SeedRow, plain func(string, seedHit), hashed func(string, seedHit), rejected func(string, seedOutcome), dead func(DeadLetter)) {
	seedRows.Inc(ctx, 1)
	reject := func(reason features.Reason, detail string) {
		seedRejected.Inc(ctx, 1)
		rejected(r.List, seedOutcome{Outcome: "rejected", Reason: reason})
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
	id, err := features.ParseSeedPhone(r.Phone, country, f.Formats[r.List])
	if err != nil {
		reason := features.ReasonOf(err)
		if reason == "" {
			reason = features.ReasonBadField
		}
		reject(reason, err.Error())
		return
	}
	hit := seedHit{List: r.List, Line: r.Line, Value: r.Value}
	if id.Hash != "" {
		hashed(f.keyer.HashKey(id.Hash), hit)
		return
	}
	hit.Convention = ConventionPlain
	plain(f.keyer.Key(id.E164), hit)
}

// readSeedRows reads a seed list: CSV with features.SeedCSVReader, or
// JSONL or Parquet (by the file's name) with a phone field and optional
// country and value fields. A row that cannot be read is a row with its
// error, so the match report counts it; an empty JSONL or Parquet file is
// also a dead letter of the read stage.
func readSeedRows(ctx context.Context, list SeedList, f io.Reader, dead func(DeadLetter)) ([]features.SeedRow, error) {
	var rows []features.SeedRow
	if FormatOf(list.File) == CSV {
		r := features.NewSeedCSVReader(f)
		r.PhoneColumn = list.PhoneColumn
		return r.ReadAll()
	}
	phoneCol := list.PhoneColumn
	if phoneCol == "" {
		phoneCol = "phone"
	}
	src := &rowSource{ctx: ctx, path: list.File, required: []string{phoneCol}}
	src.decode = func(r features.Row) error {
		row := features.SeedRow{Line: src.rows, Value: 1} // the row's number in the file
		row.Phone, _ = r.Field(phoneCol)
		row.Country, _ = r.Field("country")
		row.Phone, row.Country = strings.TrimSpace(row.Phone), strings.ToUpper(strings.TrimSpace(row.Country))
		if v, ok := r.Field("value"); ok && strings.TrimSpace(v) != "" {
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || x < 0 || x != x {
				return fmt.Errorf("%w: %w", features.ErrBadField, features.ErrSeedValue)
			}
			row.Value = x
		}
		rows = append(rows, row)
		return nil
	}
	src.dead = func(d DeadLetter) {
		if d.Rows == 0 {
			dead(d) // an empty file
			return
		}
		for i := 0; i < d.Rows; i++ { // a row, or every row of a file without a phone column
			rows = append(rows, features.SeedRow{Line: d.Line, Err: features.NewRejectError(d.Reason, d.Detail)})
		}
	}
	if err := src.readFile(f); err != nil {
		return nil, err
	}
	return rows, nil
}

// resolveHash matches hashed seed rows to the person whose phone hashes to
// the same value, in either convention.
func resolveHash(hash string, hits func(*seedHit) bool, ids func(*Identity) bool, emit func(string, seedHit), unmatched func(string, seedOutcome)) {
	var id Identity
	found := ids(&id)
	var h seedHit
	for hits(&h) {
		if !found {
			unmatched(h.List, seedOutcome{Outcome: "unmatched", Convention: ConventionSHA256})
			continue
		}
		h.Convention = string(id.Convention)
		emit(id.Key, h)
	}
}

func keyPerson(p features.Person) (string, features.Person) { return p.Key, p }

// matchPerson confirms the hits of one person key against the persons: the
// first row of a list that names a person matches it, later ones are
// duplicates; a key no person has is unmatched.
func matchPerson(ctx context.Context, key string, hits func(*seedHit) bool, persons func(*features.Person) bool, matched func(MatchedSeed), outcome func(string, seedOutcome)) {
	var p features.Person
	found := persons(&p)
	var apps []string
	for _, a := range p.Apps {
		apps = append(apps, a.App)
	}
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
			outcome(h.List, seedOutcome{Outcome: "unmatched", Convention: h.Convention})
		case i > 0 && all[i-1].List == h.List:
			outcome(h.List, seedOutcome{Outcome: "duplicate", Reason: features.ReasonDuplicate})
		default:
			seedMatched.Inc(ctx, 1)
			matched(MatchedSeed{List: h.List, Key: key, Value: h.Value})
			outcome(h.List, seedOutcome{Outcome: "matched", Convention: h.Convention, Apps: apps})
		}
	}
}

// matchReportFn counts seed outcomes into a MatchReport.
type matchReportFn struct{}

func (matchReportFn) CreateAccumulator() MatchReport { return MatchReport{} }

func (matchReportFn) AddInput(r MatchReport, o seedOutcome) MatchReport {
	r.Rows++
	switch o.Outcome {
	case "rejected":
		r.Rejected = inc(r.Rejected, o.Reason, 1)
	case "duplicate":
		r.Duplicates++
	case "unmatched":
		r.Unmatched++
	case "matched":
		r.Matched++
		r.ByConvention = inc(r.ByConvention, o.Convention, 1)
		for _, a := range o.Apps {
			r.ByApp = inc(r.ByApp, a, 1)
		}
	}
	return r
}

func (matchReportFn) MergeAccumulators(a, b MatchReport) MatchReport {
	a.Rows += b.Rows
	a.Duplicates += b.Duplicates
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
	if usable := r.Rows - rejected - r.Duplicates; usable > 0 {
		r.MatchRate = float64(r.Matched) / float64(usable)
	}
	return r
}

func init() {
	register.DoFn4x1[context.Context, SeedList, func(SeedRow), func(DeadLetter), error](&readSeedsFn{})
	register.DoFn6x0[context.Context, SeedRow, func(string, seedHit), func(string, seedHit), func(string, seedOutcome), func(DeadLetter)](&seedRowFn{})
	register.Emitter1[SeedRow]()
	register.Function5x0(resolveHash)
	register.Function1x2(keyPerson)
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
