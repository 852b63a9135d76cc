package pipelines

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines/fileio"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
	"github.com/sosie-dev/sosie/pipelines/rows"
)

// ErrNoFiles is returned by ExpandFiles when a pattern matches nothing.
var ErrNoFiles = errors.New("pipelines: no file matches")

// ExpandFiles resolves glob patterns to files, in order, before the
// pipeline is built: a pattern that matches nothing is an error naming it,
// so a typo in a path fails the run before any work.
func ExpandFiles(patterns ...string) ([]string, error) {
	var files []string
	for _, p := range patterns {
		m, err := fileio.Glob(context.Background(), p)
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

// ReadAccounts reads the accounts of app from files (JSONL, CSV, TSV or
// Parquet by name, gzip-compressed text by .gz; see FormatOf), their
// columns mapped by cols. It returns PCollection<features.Account>,
// PCollection<DeadLetter> (a line that does not split or decode, with
// file, line and reason; a file with no row, reason empty_file, 0 rows; a
// file that lacks a required column, reason missing_column, one letter
// for all its rows) and PCollection<InputFile>, which accounts for every
// line of every file.
func ReadAccounts(s beam.Scope, app string, files []string, cols features.AccountColumns) (accounts, dead, inputs beam.PCollection) {
	s = s.Scope("pipelines.ReadAccounts." + app)
	return beam.ParDo3(s, &readAccountsFn{App: app, Columns: cols}, beam.Create(s, stringsToAny(files)...))
}

// ReadEvents reads the events of app from files, as ReadAccounts does. It
// returns PCollection<features.Event>, PCollection<DeadLetter> and
// PCollection<InputFile>.
func ReadEvents(s beam.Scope, app string, files []string, cols features.EventColumns) (events, dead, inputs beam.PCollection) {
	s = s.Scope("pipelines.ReadEvents." + app)
	return beam.ParDo3(s, &readEventsFn{App: app, Columns: cols}, beam.Create(s, stringsToAny(files)...))
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// The read counters, of every reader (files here, BigQuery tables in
// bqio), balance: read_rows = read_accounts + read_events +
// read_rows_rejected.
var (
	rowsRead     = beam.NewCounter("sosie", "read_rows")
	rowsBad      = beam.NewCounter("sosie", "read_rows_rejected")
	accountsRead = beam.NewCounter("sosie", "read_accounts")
	eventsRead   = beam.NewCounter("sosie", "read_events")
	readFailure  = beam.NewCounter("sosie", "read_files_failed")
	filesEmpty   = beam.NewCounter("sosie", "read_files_empty")
)

// The kinds of rows an app's inputs hold.
const (
	AccountsKind = "accounts"
	EventsKind   = "events"
)

// CountRows adds one shard's rows (a file's, a table stream's) to the
// read counters: rows decoded as elements of kind (AccountsKind,
// EventsKind) and rows rejected.
func CountRows(ctx context.Context, kind string, decoded, rejected int64) {
	rowsRead.Inc(ctx, decoded+rejected)
	rowsBad.Inc(ctx, rejected)
	switch kind {
	case AccountsKind:
		accountsRead.Inc(ctx, decoded)
	case EventsKind:
		eventsRead.Inc(ctx, decoded)
	}
}

type readAccountsFn struct {
	App     string                  `json:"app"`
	Columns features.AccountColumns `json:"columns"`
}

func (f *readAccountsFn) ProcessElement(ctx context.Context, path string, emit func(features.Account), dead func(DeadLetter), inputs func(InputFile)) error {
	return eachRow(ctx, path, AccountsKind, f.App, f.Columns.Required(), dead, inputs, func(line int, row features.Row) error {
		a, err := f.Columns.DecodeAccount(f.App, row)
		if err == nil {
			a.Source, a.Line = path, line
			emit(a)
		}
		return err
	})
}

type readEventsFn struct {
	App     string                `json:"app"`
	Columns features.EventColumns `json:"columns"`
}

func (f *readEventsFn) ProcessElement(ctx context.Context, path string, emit func(features.Event), dead func(DeadLetter), inputs func(InputFile)) error {
	return eachRow(ctx, path, EventsKind, f.App, f.Columns.Required(), dead, inputs, func(_ int, row features.Row) error {
		e, err := f.Columns.DecodeEvent(f.App, row)
		if err == nil {
			emit(e)
		}
		return err
	})
}

// eachRow calls decode on every row of the file at path and accounts for
// the file's every line (see rows.Reader), emitting its InputFile. A file
// that cannot be opened or read to its end fails the bundle, naming the
// file and line: that is a broken input, not a bad row.
func eachRow(ctx context.Context, path, kind, app string, required []string, dead func(DeadLetter), inputs func(InputFile), decode func(int, features.Row) error) error {
	r, err := rows.NewReader(path, kind, app, required, decode, deadLetters(path, dead))
	if err != nil {
		return err
	}
	f, err := OpenInput(ctx, path)
	if err != nil {
		readFailure.Inc(ctx, 1)
		return fmt.Errorf("pipelines: %w", err)
	}
	defer f.Close()
	if err := r.Read(f); err != nil {
		readFailure.Inc(ctx, 1)
		return err
	}
	CountRows(ctx, kind, int64(r.Stats.Read), int64(r.Stats.Rejected))
	if r.Stats.Read+r.Stats.Rejected == 0 {
		filesEmpty.Inc(ctx, 1)
	}
	inputs(r.Stats)
	return nil
}

func init() {
	reg.DoFn5x1[context.Context, string, func(features.Account), func(DeadLetter), func(InputFile), error](&readAccountsFn{})
	reg.DoFn5x1[context.Context, string, func(features.Event), func(DeadLetter), func(InputFile), error](&readEventsFn{})
	register.Emitter1[features.Account]()
	register.Emitter1[features.Event]()
	register.Emitter1[DeadLetter]()
	register.Emitter1[InputFile]()
}
