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
	JSONL   Format = "jsonl"   // one JSON object per line
	CSV     Format = "csv"     // comma-separated, with a header row
	Parquet Format = "parquet" // Apache Parquet, flat columns
)

// FormatOf guesses a file's format from its name: .csv is CSV, .parquet
// Parquet, anything else JSONL.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV
	case ".parquet":
		return Parquet
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
		m, err := globFiles(context.Background(), p)
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

// ReadAccounts reads the accounts of app from files (JSONL, CSV or
// Parquet, by name; see FormatOf), their columns mapped by cols. It returns
// PCollection<features.Account> and PCollection<DeadLetter>: rows that do
// not parse or decode, with file, line and reason; a file with no row
// (reason empty_file, 0 rows); a CSV or Parquet file that lacks a required
// column (reason missing_column: one letter for all its rows).
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
	filesEmpty   = beam.NewCounter("sosie", "read_files_empty")
)

type readAccountsFn struct {
	App     string                  `json:"app"`
	Columns features.AccountColumns `json:"columns"`
}

func (f *readAccountsFn) ProcessElement(ctx context.Context, path string, emit func(features.Account), dead func(DeadLetter)) error {
	return eachRow(ctx, path, f.Columns.Required(), dead, func(row features.Row) error {
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
	return eachRow(ctx, path, f.Columns.Required(), dead, func(row features.Row) error {
		e, err := f.Columns.DecodeEvent(f.App, row)
		if err == nil {
			eventsRead.Inc(ctx, 1)
			emit(e)
		}
		return err
	})
}

// eachRow calls decode on every row of the file at path; a row that does
// not parse or decode becomes a dead letter, and so does a file with no row
// or (CSV, Parquet) without one of the required columns. A file that cannot
// be opened fails the bundle: that is a broken run, not a bad row.
func eachRow(ctx context.Context, path string, required []string, dead func(DeadLetter), decode func(features.Row) error) error {
	f, err := OpenFile(ctx, path)
	if err != nil {
		readFailure.Inc(ctx, 1)
		return fmt.Errorf("pipelines: %w", err)
	}
	defer f.Close()
	src := rowSource{ctx: ctx, path: path, required: required, dead: dead, decode: decode, read: &rowsRead, bad: &rowsBad}
	return src.readFile(f)
}

// readFile reads f in the format of its name and accounts for the file
// when it holds no row.
func (r *rowSource) readFile(f io.Reader) error {
	var err error
	ctx, path, dead := r.ctx, r.path, r.dead
	switch FormatOf(path) {
	case CSV:
		err = r.csv(f)
	case Parquet:
		err = r.parquet(f)
	default:
		err = r.jsonl(f)
	}
	if err != nil {
		readFailure.Inc(ctx, 1)
		return err
	}
	if r.rows == 0 {
		filesEmpty.Inc(ctx, 1)
		dead(DeadLetter{Stage: "read", Source: path, Reason: features.ReasonEmptyFile, Detail: "the file holds no row"})
	}
	return nil
}

// rowSource reads one file's rows and accounts for each of them.
type rowSource struct {
	ctx      context.Context
	path     string
	required []string
	dead     func(DeadLetter)
	decode   func(features.Row) error
	rows     int           // rows seen, good or bad
	read     *beam.Counter // counts every row; nil: none
	bad      *beam.Counter // counts rejected rows; nil: none
}

func (r *rowSource) count(c *beam.Counter, n int) {
	if c != nil {
		c.Inc(r.ctx, int64(n))
	}
}

// row decodes one row, or rejects it with err when err is not nil.
func (r *rowSource) row(line int, row features.Row, err error) {
	r.rows++
	r.count(r.read, 1)
	if err == nil {
		err = r.decode(row)
	}
	if err == nil {
		return
	}
	r.count(r.bad, 1)
	reason := features.ReasonOf(err)
	if reason == "" {
		reason = features.ReasonBadField
	}
	r.dead(DeadLetter{Stage: "read", Source: r.path, Line: line, Reason: reason, Detail: err.Error(), Rows: 1})
}

// missing returns the required columns has does not have.
func (r *rowSource) missing(has func(string) bool) []string {
	var out []string
	for _, c := range r.required {
		if !has(c) {
			out = append(out, c)
		}
	}
	return out
}

// rejectFile accounts for n rows of a file that lacks required columns
// with one dead letter.
func (r *rowSource) rejectFile(n int, missing, have []string) {
	r.rows += n
	r.count(r.read, n)
	r.count(r.bad, n)
	r.dead(DeadLetter{Stage: "read", Source: r.path, Reason: features.ReasonNoColumn, Rows: n,
		Detail: fmt.Sprintf("required column %s not among the file's columns %s (map it in the app's account_columns or event_columns)",
			strings.Join(missing, ", "), strings.Join(have, ", "))})
}

func (r *rowSource) jsonl(f io.Reader) error {
	return scanLines(f, r.path, 16<<20, func(line int, b []byte) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var row features.JSONRow
		var err error
		if err = dec.Decode(&row); err != nil {
			err = fmt.Errorf("%w: not a JSON object: %v", features.ErrBadField, err)
		}
		r.row(line, row, err)
	})
}

// scanLines calls fn with every non-blank line of r, trimmed, and its
// 1-based number; a line longer than max fails the file, named by path.
func scanLines(r io.Reader, path string, max int, fn func(line int, b []byte)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), max)
	line := 0
	for sc.Scan() {
		line++
		if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
			fn(line, b)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("pipelines: reading %s after line %d: %w", path, line, err)
	}
	return nil
}

func (r *rowSource) csv(f io.Reader) error {
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1 // a short or long row is that row's problem, not the file's
	header, err := cr.Read()
	if err == io.EOF {
		return nil // no header: an empty file
	}
	if err != nil {
		return fmt.Errorf("pipelines: %s: header: %w", r.path, err)
	}
	cols := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		header[i] = h
		cols[h] = i
	}
	missing := r.missing(func(c string) bool { _, ok := cols[c]; return ok })
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if len(missing) > 0 {
			n++ // counted, then rejected together below
			continue
		}
		line, _ := cr.FieldPos(0)
		switch {
		case err != nil:
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			r.row(line, nil, fmt.Errorf("%w: %v", features.ErrBadField, err))
		case len(rec) != len(header):
			r.row(line, nil, fmt.Errorf("%w: %d fields, the header has %d", features.ErrBadField, len(rec), len(header)))
		default:
			r.row(line, features.CSVRow{Columns: cols, Values: rec}, nil)
		}
	}
	if len(missing) > 0 && n > 0 {
		r.rejectFile(n, missing, header)
	}
	return nil
}

func init() {
	register.DoFn4x1[context.Context, string, func(features.Account), func(DeadLetter), error](&readAccountsFn{})
	register.DoFn4x1[context.Context, string, func(features.Event), func(DeadLetter), error](&readEventsFn{})
	register.Emitter1[features.Account]()
	register.Emitter1[features.Event]()
	register.Emitter1[DeadLetter]()
}
