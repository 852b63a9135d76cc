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
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/features"
)

// Format is a file format of a source.
type Format string

// The file formats sosie reads.
const (
	JSONL Format = "jsonl" // one JSON object per line
	CSV   Format = "csv"   // comma-separated, with a header row
)

// FormatOf guesses a file's format from its name: .csv is CSV, anything
// else JSONL.
func FormatOf(path string) Format {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return CSV
	}
	return JSONL
}

// ErrNoFiles is returned by ExpandFiles when a pattern matches nothing.
var ErrNoFiles = errors.New("pipelines: no file matches")

// ExpandFiles resolves glob patterns to files, in order, before the
// pipeline is built: a pattern that matches nothing is an error naming it,
// so a typo in a path fails the run before any work.
func ExpandFiles(patterns ...string) ([]string, error) {
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("pipelines: pattern %q: %w", p, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%w %q", ErrNoFiles, p)
		}
		files = append(files, m...)
	}
	return files, nil
}

// ReadAccounts reads the accounts of app from files (JSONL or CSV, by
// name), their columns mapped by cols. It returns PCollection<features.Account>
// and PCollection<DeadLetter> (rows that do not parse or decode, with file,
// line and reason).
func ReadAccounts(s beam.Scope, app string, files []string, cols features.AccountColumns) (accounts, dead beam.PCollection) {
	s = s.Scope("pipelines.ReadAccounts." + app)
	return beam.ParDo2(s, &readAccountsFn{App: app, Columns: cols}, beam.Create(s, stringsToAny(files)...))
}

// ReadEvents reads the events of app from files, as ReadAccounts does. It
// returns PCollection<features.Event> and PCollection<DeadLetter>.
func ReadEvents(s beam.Scope, app string, files []string, cols features.EventColumns) (events, dead beam.PCollection) {
	s = s.Scope("pipelines.ReadEvents." + app)
	return beam.ParDo2(s, &readEventsFn{App: app, Columns: cols}, beam.Create(s, stringsToAny(files)...))
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// The read counters balance: read_rows = read_accounts + read_events +
// read_rows_rejected.
var (
	rowsRead     = beam.NewCounter("sosie", "read_rows")
	rowsBad      = beam.NewCounter("sosie", "read_rows_rejected")
	accountsRead = beam.NewCounter("sosie", "read_accounts")
	eventsRead   = beam.NewCounter("sosie", "read_events")
	readFailure  = beam.NewCounter("sosie", "read_files_failed")
)

type readAccountsFn struct {
	App     string                  `json:"app"`
	Columns features.AccountColumns `json:"columns"`
}

func (f *readAccountsFn) ProcessElement(ctx context.Context, path string, emit func(features.Account), dead func(DeadLetter)) error {
	return eachRow(ctx, path, dead, func(row features.Row) error {
		a, err := f.Columns.DecodeAccount(f.App, row)
		if err == nil {
			accountsRead.Inc(ctx, 1)
			emit(a)
		}
		return err
	})
}

type readEventsFn struct {
	App     string                `json:"app"`
	Columns features.EventColumns `json:"columns"`
}

func (f *readEventsFn) ProcessElement(ctx context.Context, path string, emit func(features.Event), dead func(DeadLetter)) error {
	return eachRow(ctx, path, dead, func(row features.Row) error {
		e, err := f.Columns.DecodeEvent(f.App, row)
		if err == nil {
			eventsRead.Inc(ctx, 1)
			emit(e)
		}
		return err
	})
}

// eachRow calls decode on every row of the file at path; a row that does
// not parse or decode becomes a dead letter. A file that cannot be opened
// fails the bundle: that is a broken run, not a bad row.
func eachRow(ctx context.Context, path string, dead func(DeadLetter), decode func(features.Row) error) error {
	f, err := os.Open(path)
	if err != nil {
		readFailure.Inc(ctx, 1)
		return fmt.Errorf("pipelines: %w", err)
	}
	defer f.Close()
	reject := func(line int, err error) {
		rowsBad.Inc(ctx, 1)
		reason := features.ReasonOf(err)
		if reason == "" {
			reason = features.ReasonBadField
		}
		dead(DeadLetter{Stage: "read", Source: path, Line: line, Reason: reason, Detail: err.Error(), Rows: 1})
	}
	if FormatOf(path) == CSV {
		return eachCSVRow(ctx, path, f, reject, decode)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		rowsRead.Inc(ctx, 1)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var row features.JSONRow
		if err := dec.Decode(&row); err != nil {
			reject(line, fmt.Errorf("%w: not a JSON object: %v", features.ErrBadField, err))
			continue
		}
		if err := decode(row); err != nil {
			reject(line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("pipelines: reading %s after line %d: %w", path, line, err)
	}
	return nil
}

func eachCSVRow(ctx context.Context, path string, r io.Reader, reject func(int, error), decode func(features.Row) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short or long row is that row's problem, not the file's
	header, err := cr.Read()
	if err == io.EOF {
		return nil // an empty file holds no rows
	}
	if err != nil {
		return fmt.Errorf("pipelines: %s: header: %w", path, err)
	}
	cols := make(map[string]int, len(header))
	for i, h := range header {
		cols[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		rowsRead.Inc(ctx, 1)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			reject(line, fmt.Errorf("%w: %v", features.ErrBadField, err))
			continue
		}
		if len(rec) != len(header) {
			reject(line, fmt.Errorf("%w: %d fields, the header has %d", features.ErrBadField, len(rec), len(header)))
			continue
		}
		if err := decode(features.CSVRow{Columns: cols, Values: rec}); err != nil {
			reject(line, err)
		}
	}
}

func init() {
	register.DoFn4x1[context.Context, string, func(features.Account), func(DeadLetter), error](&readAccountsFn{})
	register.DoFn4x1[context.Context, string, func(features.Event), func(DeadLetter), error](&readEventsFn{})
	register.Emitter1[features.Account]()
	register.Emitter1[features.Event]()
	register.Emitter1[DeadLetter]()
}
