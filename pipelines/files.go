package pipelines

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/parquet-go/parquet-go"

	"github.com/sosie-dev/sosie/features"
)

// The files the jobs hand each other in an output directory: featurize
// writes persons and identities, train reads them and writes models, score
// reads all three. All are JSON lines, one record per line.
const (
	PersonsFile    = "persons.jsonl"    // features.Person: one per person key
	IdentitiesFile = "identities.jsonl" // IdentityRecord: the keyed phone hashes of every person, both conventions
	ModelsFile     = "models.jsonl"     // TrainedModel: one per seed list
)

// IdentityRecord is one line of IdentitiesFile: a phone's SHA-256 in one
// convention, keyed under the pepper (features.Keyer.HashKey), and the
// person key it belongs to. Hashed seed lists are matched against these;
// the file holds no bare phone hash.
type IdentityRecord struct {
	Hash       string                  `json:"hash_key"`
	Key        string                  `json:"key"`
	Convention features.HashConvention `json:"convention"`
}

// WriteIdentities writes Featurize's PCollection<KV<string, Identity>> to
// path as IdentityRecord lines.
func WriteIdentities(s beam.Scope, path string, identities beam.PCollection) {
	s = s.Scope("pipelines.WriteIdentities")
	WriteJSONL(s, path, beam.ParDo(s, toIdentityRecord, identities))
}

func toIdentityRecord(hash string, id Identity) IdentityRecord {
	return IdentityRecord{Hash: hash, Key: id.Key, Convention: id.Convention}
}

func fromIdentityRecord(r IdentityRecord) (string, Identity) {
	return r.Hash, Identity{Key: r.Key, Convention: r.Convention}
}

// ReadPersons reads PersonsFile files: PCollection<features.Person> and
// PCollection<DeadLetter> (a line that is not a person, with file and
// line).
func ReadPersons(s beam.Scope, files []string) (persons, dead beam.PCollection) {
	s = s.Scope("pipelines.ReadPersons")
	return beam.ParDo2(s, &readPersonsFn{}, beam.Create(s, stringsToAny(files)...))
}

// ReadIdentities reads IdentitiesFile files: PCollection<KV<string,
// Identity>>, as Featurize makes it, and PCollection<DeadLetter>.
func ReadIdentities(s beam.Scope, files []string) (identities, dead beam.PCollection) {
	s = s.Scope("pipelines.ReadIdentities")
	recs, dead := beam.ParDo2(s, &readIdentitiesFn{}, beam.Create(s, stringsToAny(files)...))
	return beam.ParDo(s, fromIdentityRecord, recs), dead
}

// ReadModels reads ModelsFile files: PCollection<TrainedModel> and
// PCollection<DeadLetter>. An artifact is checked where it is used, by
// model.Load in Score, which fails the run on a bad one.
func ReadModels(s beam.Scope, files []string) (models, dead beam.PCollection) {
	s = s.Scope("pipelines.ReadModels")
	return beam.ParDo2(s, &readModelsFn{}, beam.Create(s, stringsToAny(files)...))
}

type readPersonsFn struct{}

func (readPersonsFn) ProcessElement(ctx context.Context, path string, emit func(features.Person), dead func(DeadLetter)) error {
	return eachJSONLine(ctx, path, dead, func(b []byte) error {
		var p features.Person
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		if p.Key == "" {
			return fmt.Errorf("a person without a key")
		}
		personsRead.Inc(ctx, 1)
		emit(p)
		return nil
	})
}

type readIdentitiesFn struct{}

func (readIdentitiesFn) ProcessElement(ctx context.Context, path string, emit func(IdentityRecord), dead func(DeadLetter)) error {
	return eachJSONLine(ctx, path, dead, func(b []byte) error {
		var r IdentityRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		if r.Hash == "" || r.Key == "" {
			return fmt.Errorf("an identity without a hash_key or a key (written before identities were keyed? run jobs/featurize again)")
		}
		identitiesRead.Inc(ctx, 1)
		emit(r)
		return nil
	})
}

type readModelsFn struct{}

func (readModelsFn) ProcessElement(ctx context.Context, path string, emit func(TrainedModel), dead func(DeadLetter)) error {
	return eachJSONLine(ctx, path, dead, func(b []byte) error {
		var m TrainedModel
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		if m.List == "" || len(m.Artifact) == 0 {
			return fmt.Errorf("a model without a seed list or an artifact")
		}
		modelsRead.Inc(ctx, 1)
		emit(m)
		return nil
	})
}

// The counters of the chain's own files balance: read_lines =
// read_persons + read_identities + read_models + read_lines_rejected.
var (
	linesRead      = beam.NewCounter("sosie", "read_lines")
	linesBad       = beam.NewCounter("sosie", "read_lines_rejected")
	personsRead    = beam.NewCounter("sosie", "read_persons")
	identitiesRead = beam.NewCounter("sosie", "read_identities")
	modelsRead     = beam.NewCounter("sosie", "read_models")
)

// eachJSONLine calls fn on every non-blank line of the file at path; a
// line fn refuses becomes a dead letter with the file and line.
func eachJSONLine(ctx context.Context, path string, dead func(DeadLetter), fn func([]byte) error) error {
	f, err := OpenFile(ctx, path)
	if err != nil {
		readFailure.Inc(ctx, 1)
		return fmt.Errorf("pipelines: %w", err)
	}
	defer f.Close()
	// A model artifact is one long line.
	return scanLines(f, path, 256<<20, func(line int, b []byte) {
		linesRead.Inc(ctx, 1)
		if err := fn(b); err != nil {
			linesBad.Inc(ctx, 1)
			dead(DeadLetter{Stage: "read", Source: path, Line: line, Reason: features.ReasonBadField, Detail: err.Error(), Rows: 1})
		}
	})
}

// ProspectColumns are the columns of a prospect list in CSV and Parquet,
// in order; JSONL uses the same names.
var ProspectColumns = []string{"run_id", "advertiser_id", "seed_list_id", "person_key", "score", "percentile", "tier", "model_kind", "scored_at"}

// prospectRow is a Prospect as a Parquet row.
type prospectRow struct {
	RunID      string    `parquet:"run_id"`
	Advertiser string    `parquet:"advertiser_id"`
	List       string    `parquet:"seed_list_id"`
	Key        string    `parquet:"person_key"`
	Score      float64   `parquet:"score"`
	Percentile int32     `parquet:"percentile"`
	Tier       int32     `parquet:"tier"`
	ModelKind  string    `parquet:"model_kind"`
	ScoredAt   time.Time `parquet:"scored_at,timestamp(millisecond)"`
}

// WriteProspects writes PCollection<Prospect> to one file per path, each
// in the format its name gives (.jsonl, .csv or .parquet), sorted by seed
// list, then best score first, then person key, so a file is the same on
// every run. Each file appears whole or not at all (written beside, then
// renamed). All prospects pass through one worker: right for files, which
// are for local runs and inspection; BigQuery is the sink at scale.
func WriteProspects(s beam.Scope, prospects beam.PCollection, paths ...string) {
	s = s.Scope("pipelines.WriteProspects")
	keyed := beam.AddFixedKey(s, prospects)
	beam.ParDo0(s, &writeProspectsFn{Paths: paths}, beam.GroupByKey(s, keyed))
}

type writeProspectsFn struct {
	Paths []string `json:"paths"`
}

func (f *writeProspectsFn) ProcessElement(ctx context.Context, _ int, iter func(*Prospect) bool) error {
	var all []Prospect
	var p Prospect
	for iter(&p) {
		all = append(all, p)
	}
	slices.SortFunc(all, func(a, b Prospect) int {
		if c := strings.Compare(a.List, b.List); c != 0 {
			return c
		}
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	for _, path := range f.Paths {
		if err := WriteFile(ctx, path, func(w *bufio.Writer) error { return encodeProspects(w, FormatOf(path), all) }); err != nil {
			return err
		}
	}
	return nil
}

func encodeProspects(w *bufio.Writer, format Format, all []Prospect) error {
	switch format {
	case CSV:
		cw := csv.NewWriter(w)
		cw.Write(ProspectColumns)
		for _, p := range all {
			cw.Write([]string{p.RunID, p.Advertiser, p.List, p.Key, strconv.FormatFloat(p.Score, 'g', -1, 64),
				strconv.Itoa(p.Percentile), strconv.Itoa(p.Tier), p.ModelKind, p.ScoredAt.UTC().Format(time.RFC3339)})
		}
		cw.Flush()
		return cw.Error()
	case Parquet:
		pw := parquet.NewGenericWriter[prospectRow](w)
		rows := make([]prospectRow, len(all))
		for i, p := range all {
			rows[i] = prospectRow{p.RunID, p.Advertiser, p.List, p.Key, p.Score, int32(p.Percentile), int32(p.Tier), p.ModelKind, p.ScoredAt.UTC()}
		}
		if _, err := pw.Write(rows); err != nil {
			return err
		}
		return pw.Close()
	default:
		enc := json.NewEncoder(w)
		for _, p := range all {
			if err := enc.Encode(p); err != nil {
				return err
			}
		}
		return nil
	}
}

func init() {
	register.Function2x1(toIdentityRecord)
	register.Function1x2(fromIdentityRecord)
	register.DoFn4x1[context.Context, string, func(features.Person), func(DeadLetter), error](&readPersonsFn{})
	register.DoFn4x1[context.Context, string, func(IdentityRecord), func(DeadLetter), error](&readIdentitiesFn{})
	register.DoFn4x1[context.Context, string, func(TrainedModel), func(DeadLetter), error](&readModelsFn{})
	register.DoFn3x1[context.Context, int, func(*Prospect) bool, error](&writeProspectsFn{})
	register.Emitter1[features.Person]()
	register.Emitter1[IdentityRecord]()
	register.Emitter1[TrainedModel]()
	register.Iter1[Prospect]()
}
