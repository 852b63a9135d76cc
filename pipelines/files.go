package pipelines

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/parquet-go/parquet-go"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines/fileio"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// The files the jobs hand each other in an output directory: featurize
// writes persons and identities, train reads them and writes models, score
// reads all three. All are JSON lines, one record per line.
const (
	PersonsFile    = "persons.jsonl"    // features.Person: one per person key
	IdentitiesFile = "identities.jsonl" // IdentityRecord: the keyed phone hashes of every person, both conventions
	ModelsFile     = "models.jsonl"     // TrainedModel: one per seed list
)

// FileVersion is the version of the files the jobs hand each other; a
// file of another version is refused.
const FileVersion = 2

// FileHeader is the first line of every file the jobs hand each other
// (persons, identities, models): what the file holds, the job and run that
// wrote it, and the fingerprint of the pepper its keys were made under
// (features.Keyer.Fingerprint, never the pepper). A job refuses a file
// made under another pepper before any work: its person keys would match
// nothing, or the wrong persons.
type FileHeader struct {
	Kind    string `json:"sosie"` // persons, identities, models
	Version int    `json:"version"`
	Pepper  string `json:"pepper_fingerprint"`
	Job     string `json:"job"`
	RunID   string `json:"run_id"`
	AsOf    string `json:"as_of"`
}

// ErrFileHeader says a file the jobs hand each other has no header, or
// one of another kind or version.
var ErrFileHeader = errors.New("not a sosie file of the expected kind")

// parseHeader reads a header line; ok is false for a line that is not one.
func parseHeader(b []byte) (FileHeader, bool) {
	if !bytes.Contains(b, []byte(`"sosie"`)) {
		return FileHeader{}, false
	}
	var h FileHeader
	if err := json.Unmarshal(b, &h); err != nil || h.Kind == "" {
		return FileHeader{}, false
	}
	return h, true
}

// ReadFileHeader reads the header of a file the jobs hand each other and
// checks it is one of kind, in FileVersion.
func ReadFileHeader(ctx context.Context, path, kind string) (FileHeader, error) {
	f, err := OpenInput(ctx, path)
	if err != nil {
		return FileHeader{}, err
	}
	defer f.Close()
	b, err := features.NewLineReader(f).Next()
	if err == io.EOF {
		return FileHeader{}, fmt.Errorf("%s: %w: the file is empty (a %s file starts with a header line)", path, ErrFileHeader, kind)
	}
	if err != nil {
		return FileHeader{}, fmt.Errorf("%s: %w", path, err)
	}
	h, ok := parseHeader(b)
	switch {
	case !ok:
		return h, fmt.Errorf("%s: %w: no header line (written by a sosie before version %d, or not by sosie: run the job that writes it again)", path, ErrFileHeader, FileVersion)
	case h.Kind != kind:
		return h, fmt.Errorf("%s: %w: it holds %s, want %s", path, ErrFileHeader, h.Kind, kind)
	case h.Version != FileVersion:
		return h, fmt.Errorf("%s: %w: version %d, want %d (run the job that writes it again)", path, ErrFileHeader, h.Version, FileVersion)
	}
	return h, nil
}

// IdentityRecord is one line of IdentitiesFile: a phone's SHA-256 in one
// convention, keyed under the pepper (features.Keyer.HashKey), and the
// person key it belongs to. Hashed seed lists are matched against these;
// the file holds no bare phone hash.
type IdentityRecord struct {
	Hash       string                  `json:"hash_key"`
	Key        string                  `json:"key"`
	Convention features.HashConvention `json:"convention"`
}

// WriteIdentities writes Featurize's identities (IdentityBlocks, one
// per app, or one for all) to path as IdentityRecord lines after the
// header h, each app's where it is made (as WriteJSONL writes unsorted
// lines).
func WriteIdentities(s beam.Scope, path string, h FileHeader, identities ...beam.PCollection) {
	s = s.Scope("pipelines.WriteIdentities")
	records := make([]beam.PCollection, len(identities))
	for i, ids := range identities {
		records[i] = beam.ParDo(s, identityRecordsFn, ids)
	}
	b, _ := json.Marshal(h)
	writeUnsorted(s.Scope("pipelines.WriteJSONL"), path, string(b), records...)
}

func toIdentityRecord(hash string, id Identity) IdentityRecord {
	return IdentityRecord{Hash: hash, Key: id.Key, Convention: id.Convention}
}

func fromIdentityRecord(r IdentityRecord) (string, Identity) {
	return r.Hash, Identity{Key: r.Key, Convention: r.Convention}
}

// ReadPersons reads PersonsFile files: PCollection<features.Person>,
// PCollection<DeadLetter> (a line that is not a person, with file and
// line) and PCollection<InputFile>.
func ReadPersons(s beam.Scope, files []string) (persons, dead, inputs beam.PCollection) {
	s = s.Scope("pipelines.ReadPersons")
	return beam.ParDo3(s, &readPersonsFn{}, beam.Create(s, stringsToAny(files)...))
}

// ReadIdentities reads IdentitiesFile files: the identities in blocks
// (IdentityBlocks), as Featurize makes them, PCollection<DeadLetter> and
// PCollection<InputFile>.
func ReadIdentities(s beam.Scope, files []string) (identities, dead, inputs beam.PCollection) {
	s = s.Scope("pipelines.ReadIdentities")
	recs, dead, inputs := beam.ParDo3(s, &readIdentitiesFn{}, beam.Create(s, stringsToAny(files)...))
	return IdentityBlocks(s, beam.ParDo(s, fromIdentityRecord, recs)), dead, inputs
}

// ReadModels reads ModelsFile files: PCollection<TrainedModel>,
// PCollection<DeadLetter> and PCollection<InputFile>. An artifact is
// checked where it is used, by model.Load in Score, which fails the run on
// a bad one.
func ReadModels(s beam.Scope, files []string) (models, dead, inputs beam.PCollection) {
	s = s.Scope("pipelines.ReadModels")
	return beam.ParDo3(s, &readModelsFn{}, beam.Create(s, stringsToAny(files)...))
}

type readPersonsFn struct{}

func (readPersonsFn) ProcessElement(ctx context.Context, path string, emit func(features.Person), dead func(DeadLetter), inputs func(InputFile)) error {
	return eachJSONLine(ctx, path, PersonsKind, dead, inputs, func(b []byte) error {
		var p features.Person
		if err := json.Unmarshal(b, &p); err != nil {
			return jsonError(err)
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

func (readIdentitiesFn) ProcessElement(ctx context.Context, path string, emit func(IdentityRecord), dead func(DeadLetter), inputs func(InputFile)) error {
	return eachJSONLine(ctx, path, IdentitiesKind, dead, inputs, func(b []byte) error {
		var r IdentityRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return jsonError(err)
		}
		if r.Hash == "" || r.Key == "" {
			return fmt.Errorf("an identity without a hash_key or a key")
		}
		identitiesRead.Inc(ctx, 1)
		emit(r)
		return nil
	})
}

type readModelsFn struct{}

func (readModelsFn) ProcessElement(ctx context.Context, path string, emit func(TrainedModel), dead func(DeadLetter), inputs func(InputFile)) error {
	return eachJSONLine(ctx, path, ModelsKind, dead, inputs, func(b []byte) error {
		var m TrainedModel
		if err := json.Unmarshal(b, &m); err != nil {
			return jsonError(err)
		}
		if m.List == "" || len(m.Artifact) == 0 {
			return fmt.Errorf("a model without a seed list or an artifact")
		}
		modelsRead.Inc(ctx, 1)
		emit(m)
		return nil
	})
}

// jsonError says why a line is not the record it should be, without
// quoting it.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("not JSON: syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("field %s is a JSON %s, want %s", te.Field, te.Value, te.Type)
	}
	return errors.New("not a JSON record of the expected kind")
}

// The kinds of the files the jobs hand each other, in their headers.
const (
	PersonsKind    = "persons"
	IdentitiesKind = "identities"
	ModelsKind     = "models"
)

// The counters of the chain's own files balance: read_lines =
// read_persons + read_identities + read_models + read_lines_rejected
// (blank lines and headers aside).
var (
	linesRead      = beam.NewCounter("sosie", "read_lines")
	linesBad       = beam.NewCounter("sosie", "read_lines_rejected")
	personsRead    = beam.NewCounter("sosie", "read_persons")
	identitiesRead = beam.NewCounter("sosie", "read_identities")
	modelsRead     = beam.NewCounter("sosie", "read_models")
)

// eachJSONLine calls fn on every line of the file at path after its
// header; a line fn refuses becomes a dead letter with the file and line.
// Every line is accounted for in the file's InputFile.
func eachJSONLine(ctx context.Context, path, kind string, dead func(DeadLetter), inputs func(InputFile), fn func([]byte) error) error {
	f, err := OpenInput(ctx, path)
	if err != nil {
		readFailure.Inc(ctx, 1)
		return fmt.Errorf("pipelines: %w", err)
	}
	defer f.Close()
	st := InputFile{File: path, Kind: kind}
	lr := features.NewLineReader(f)
	lr.MaxLine = 256 << 20 // a model artifact is one long line
	for {
		b, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readFailure.Inc(ctx, 1)
			return fmt.Errorf("pipelines: %s: %w", path, err)
		}
		st.Lines++
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			st.Blank++
			continue
		}
		if _, ok := parseHeader(b); ok && lr.Line() == 1 {
			st.Header++
			continue
		}
		linesRead.Inc(ctx, 1)
		if err := fn(b); err != nil {
			st.Rejected++
			linesBad.Inc(ctx, 1)
			dead(DeadLetter{Stage: "read", Source: path, Line: lr.Line(), Reason: features.ReasonBadLine, Detail: err.Error(), Rows: 1})
			continue
		}
		st.Read++
	}
	st.Encoding, st.Recoded = lr.Encoding(), lr.Recoded()
	inputs(st)
	return nil
}

// ProspectColumns are the columns of a prospect list in CSV and Parquet,
// in order; JSONL uses the same names.
var ProspectColumns = []string{"run_id", "advertiser_id", "seed_list_id", "person_key", "score", "similarity", "percentile", "tier", "model_kind", "scored_at", "as_of", "country"}

// prospectRow is a Prospect as a Parquet row.
type prospectRow struct {
	RunID      string    `parquet:"run_id"`
	Advertiser string    `parquet:"advertiser_id"`
	List       string    `parquet:"seed_list_id"`
	Key        string    `parquet:"person_key"`
	Score      float64   `parquet:"score"`
	Similarity float64   `parquet:"similarity"`
	Percentile int32     `parquet:"percentile"`
	Tier       int32     `parquet:"tier"`
	ModelKind  string    `parquet:"model_kind"`
	ScoredAt   time.Time `parquet:"scored_at,timestamp(millisecond)"`
	AsOf       string    `parquet:"as_of"`
	Country    string    `parquet:"country"`
}

// WriteProspects writes PCollection<Prospect> to one file per path, each
// in the format its name gives (.jsonl, .csv or .parquet), sorted by seed
// list, then best score first, then person key, so a file is the same on
// every run. Each file appears whole or not at all (written beside, then
// renamed), readable by its owner only, and is written even when there is
// no prospect. All prospects pass through one worker: right for files,
// which are for local runs and inspection; BigQuery is the sink at scale.
func WriteProspects(s beam.Scope, prospects beam.PCollection, paths ...string) {
	s = s.Scope("pipelines.WriteProspects")
	beam.ParDo0(s, &writeProspectsFn{Paths: paths}, beam.Impulse(s), beam.SideInput{Input: prospects})
}

type writeProspectsFn struct {
	Paths []string `json:"paths"`
}

func (f *writeProspectsFn) ProcessElement(ctx context.Context, _ []byte, iter func(*Prospect) bool) error {
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
		format, _, err := FormatOf(path)
		if err != nil {
			return err
		}
		if err := fileio.WriteFile(ctx, path, func(w *bufio.Writer) error { return encodeProspects(w, format, all) }); err != nil {
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
			cw.Write([]string{p.RunID, p.Advertiser, p.List, p.Key, strconv.FormatFloat(p.Score, 'g', -1, 64), strconv.FormatFloat(p.Similarity, 'g', -1, 64),
				strconv.Itoa(p.Percentile), strconv.Itoa(p.Tier), p.ModelKind, p.ScoredAt.UTC().Format(time.RFC3339), p.AsOf, p.Country})
		}
		cw.Flush()
		return cw.Error()
	case Parquet:
		pw := parquet.NewGenericWriter[prospectRow](w)
		rows := make([]prospectRow, len(all))
		for i, p := range all {
			rows[i] = prospectRow{p.RunID, p.Advertiser, p.List, p.Key, p.Score, p.Similarity, int32(p.Percentile), int32(p.Tier), p.ModelKind, p.ScoredAt.UTC(), p.AsOf, p.Country}
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
	reg.DoFn5x1[context.Context, string, func(features.Person), func(DeadLetter), func(InputFile), error](&readPersonsFn{})
	reg.DoFn5x1[context.Context, string, func(IdentityRecord), func(DeadLetter), func(InputFile), error](&readIdentitiesFn{})
	reg.DoFn5x1[context.Context, string, func(TrainedModel), func(DeadLetter), func(InputFile), error](&readModelsFn{})
	reg.DoFn3x1[context.Context, []byte, func(*Prospect) bool, error](&writeProspectsFn{})
	register.Emitter1[features.Person]()
	register.Emitter1[IdentityRecord]()
	register.Emitter1[TrainedModel]()
	register.Iter1[Prospect]()
}
