package pipelines

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines/fileio"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
	"github.com/sosie-dev/sosie/pipelines/rows"
)

// Events are many (tens per person) and only their per-account aggregate
// is used, so they never cross the runner one by one: they are aggregated
// into each account's features.Activity where they are read, and only the
// partial aggregates (one per account and file, or bundle) are shuffled to
// Featurize, which merges them.

// ReadActivity reads an app's event files (JSONL, CSV or Parquet by
// extension, columns mapped by cols) and aggregates each account's events
// in the activity window as it reads them: PCollection<KV<string,
// features.Activity>> keyed by user id (partial aggregates, one per
// account and file), PCollection<DeadLetter> for rows that cannot be
// read, and PCollection<InputFile>, which accounts for every line.
//
// A large file (a local, uncompressed text file of PartBytes or more) is
// read in parts, one per core, cut at line starts (features.SplitText):
// one big file keeps every core busy, and rows, line numbers and dead
// letters are those of the file read whole.
func ReadActivity(s beam.Scope, app string, files []string, cols features.EventColumns, window features.ActivityWindow) (activity, dead, inputs beam.PCollection) {
	s = s.Scope("pipelines.ReadActivity." + app)
	return beam.ParDo3(s, &readActivityFn{App: app, Columns: cols, Window: window}, beam.Create(s, stringsToAny(files)...))
}

// Activity aggregates PCollection<features.Event> from any source (a
// BigQuery table, a test) as ReadActivity does, per bundle:
// PCollection<KV<string, features.Activity>>.
func Activity(s beam.Scope, app string, window features.ActivityWindow, events beam.PCollection) beam.PCollection {
	s = s.Scope("pipelines.Activity." + app)
	return beam.ParDo(s, &activityFn{App: app, Window: window}, events)
}

// PartBytes is the size from which ReadActivity reads a file in parts
// (at least this many bytes each).
var PartBytes int64 = 16 << 20

// tally aggregates events per account and counts them.
type tally struct {
	window      features.ActivityWindow
	accounts    map[string]*features.Activity
	in          int64 // events added (those in the window are the accounts' totals)
	first, last int64 // Unix seconds of the earliest and latest event
}

func newTally(w features.ActivityWindow) *tally {
	return &tally{window: w, accounts: map[string]*features.Activity{}}
}

func (t *tally) add(e features.Event) {
	at := e.Time.Unix()
	if t.in == 0 || at < t.first {
		t.first = at
	}
	if t.in == 0 || at > t.last {
		t.last = at
	}
	t.in++
	a := t.accounts[e.UserID]
	if a == nil {
		a = new(features.Activity)
		t.accounts[e.UserID] = a
	}
	*a = t.window.AddInput(*a, e)
}

// merge adds o's accounts and counts to t.
func (t *tally) merge(o *tally) {
	for user, b := range o.accounts {
		if a, ok := t.accounts[user]; ok {
			*a = t.window.MergeAccumulators(*a, *b)
		} else {
			t.accounts[user] = b
		}
	}
	if o.in > 0 && (t.in == 0 || o.first < t.first) {
		t.first = o.first
	}
	if o.in > 0 && (t.in == 0 || o.last > t.last) {
		t.last = o.last
	}
	t.in += o.in
}

// eventCounters are an app's featurize counters of events: how many, how
// many in the activity window, and when (the distribution's min and max;
// it is updated with each file's or bundle's earliest and latest event).
type eventCounters struct {
	in, inWindow beam.Counter
	times        beam.Distribution
}

func newEventCounters(app string) eventCounters {
	return eventCounters{
		in:       beam.NewCounter("sosie", AppCounter(CounterEventsIn, app)),
		inWindow: beam.NewCounter("sosie", AppCounter(CounterEventsInWindow, app)),
		times:    beam.NewDistribution("sosie", AppCounter(DistributionEventTime, app)),
	}
}

// flush counts t's events and emits its accounts' activity, and empties t.
func (c eventCounters) flush(ctx context.Context, t *tally, emit func(string, features.Activity)) {
	inWindow := 0
	for user, a := range t.accounts {
		inWindow += a.Total()
		emit(user, *a)
	}
	if t.in > 0 {
		c.in.Inc(ctx, t.in)
		c.inWindow.Inc(ctx, int64(inWindow))
		c.times.Update(ctx, t.first)
		c.times.Update(ctx, t.last)
	}
	clear(t.accounts)
	t.in = 0
}

// activityFn is Activity's DoFn: a tally per bundle, emitted when the
// bundle ends.
type activityFn struct {
	App    string                  `json:"app"`
	Window features.ActivityWindow `json:"window"`

	counters eventCounters
	tally    *tally
}

func (f *activityFn) Setup() {
	f.counters, f.tally = newEventCounters(f.App), newTally(f.Window)
}

// StartBundle drops what a failed bundle left (a runner may retry a
// bundle on the same DoFn instance).
func (f *activityFn) StartBundle(_ func(string, features.Activity)) { f.tally = newTally(f.Window) }

// ProcessElement adds e to its account's activity; FinishBundle emits
// (Beam wants the emitter in all three signatures).
func (f *activityFn) ProcessElement(e features.Event, _ func(string, features.Activity)) {
	f.tally.add(e)
}

func (f *activityFn) FinishBundle(ctx context.Context, emit func(string, features.Activity)) {
	f.counters.flush(ctx, f.tally, emit)
}

// readActivityFn is ReadActivity's DoFn: one file, in parts when large.
type readActivityFn struct {
	App     string                  `json:"app"`
	Columns features.EventColumns   `json:"columns"`
	Window  features.ActivityWindow `json:"window"`

	counters eventCounters
}

func (f *readActivityFn) Setup() { f.counters = newEventCounters(f.App) }

func (f *readActivityFn) ProcessElement(ctx context.Context, path string, emit func(string, features.Activity), dead func(DeadLetter), inputs func(InputFile)) error {
	t, st, err := f.read(ctx, path, deadLetters(path, dead))
	if err != nil {
		readFailure.Inc(ctx, 1)
		return err
	}
	CountRows(ctx, EventsKind, int64(st.Read), int64(st.Rejected))
	if st.Read+st.Rejected == 0 {
		filesEmpty.Inc(ctx, 1)
	}
	f.counters.flush(ctx, t, emit)
	inputs(st)
	return nil
}

// read reads the file at path, in parts when it is large, into one tally.
func (f *readActivityFn) read(ctx context.Context, path string, reject func(rows.Rejection)) (*tally, InputFile, error) {
	parts, header, err := inputParts(ctx, path)
	if err != nil {
		return nil, InputFile{}, err
	}
	type result struct {
		tally    *tally
		reader   *rows.Reader
		rejected []rows.Rejection
		err      error
	}
	results := make([]result, len(parts))
	readPart := func(i int) {
		res := &results[i]
		res.tally = newTally(f.Window)
		r, err := rows.NewReader(path, EventsKind, f.App, f.Columns.Required(), func(_ int, row features.Row) error {
			e, err := f.Columns.DecodeEvent(f.App, row)
			if err == nil {
				res.tally.add(e)
			}
			return err
		}, func(rj rows.Rejection) { res.rejected = append(res.rejected, rj) })
		if err != nil {
			res.err = err
			return
		}
		res.reader = r
		if len(parts) == 1 {
			res.err = readWhole(ctx, path, r)
			return
		}
		res.err = readPart(path, parts[i], header, r)
	}
	if len(parts) == 1 {
		readPart(0)
	} else {
		var wg sync.WaitGroup
		for i := range parts {
			wg.Go(func() { readPart(i) })
		}
		wg.Wait()
	}
	total, st := newTally(f.Window), InputFile{}
	for i, res := range results {
		if res.err != nil {
			return nil, st, res.err
		}
		for _, rj := range res.rejected {
			reject(rj)
		}
		total.merge(res.tally)
		st = addStats(st, res.reader.Stats, i == 0)
	}
	if !st.Balanced() {
		return nil, st, fmt.Errorf("pipelines: %s: %d lines, but %d header, %d blank, %d read and %d rejected in its %d parts", path,
			st.Lines, st.Header, st.Blank, st.Read, st.Rejected, len(parts))
	}
	if len(parts) > 1 && st.Read+st.Rejected == 0 {
		reject(rows.Rejection{Reason: features.ReasonEmptyFile, Detail: "the file holds no row"})
	}
	return total, st, nil
}

// inputParts says how to read the file at path: in one part (the whole
// file) unless it is a local, uncompressed text file of at least
// 2×PartBytes and there is more than one core; then cut at line starts,
// with the header line CSV parts need.
func inputParts(ctx context.Context, path string) ([]features.TextPart, []byte, error) {
	whole := []features.TextPart{{}}
	format, gz, err := FormatOf(path)
	n := runtime.GOMAXPROCS(0)
	if err != nil || gz || format == Parquet || fileio.Remote(path) || n < 2 {
		return whole, nil, nil
	}
	size, err := fileio.FileSize(ctx, path)
	if err != nil || size < 2*PartBytes {
		return whole, nil, nil // an error is the reader's to report
	}
	n = min(n, int(size/PartBytes))
	file, err := os.Open(path)
	if err != nil {
		return whole, nil, nil
	}
	defer file.Close()
	parts, err := features.SplitText(file, size, n)
	if err != nil {
		return nil, nil, fmt.Errorf("pipelines: %s: %w", path, err)
	}
	if len(parts) < 2 || format == JSONL {
		return parts, nil, nil
	}
	header, err := rows.HeaderLine(io.NewSectionReader(file, 0, size))
	if err != nil {
		return nil, nil, fmt.Errorf("pipelines: %s: %w", path, err)
	}
	return parts, header, nil
}

// readWhole reads the file at path with r, the way eachRow does.
func readWhole(ctx context.Context, path string, r *rows.Reader) error {
	in, err := OpenInput(ctx, path)
	if err != nil {
		return fmt.Errorf("pipelines: %w", err)
	}
	defer in.Close()
	return r.Read(in)
}

// readPart reads one part of the local file at path with r.
func readPart(path string, part features.TextPart, header []byte, r *rows.Reader) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("pipelines: %w", err)
	}
	defer file.Close()
	return r.ReadPart(io.NewSectionReader(file, part.Start, part.End-part.Start), part, header)
}

// addStats adds one part's accounting to its file's: counts add up; the
// encoding, columns and missing columns are the first part's.
func addStats(total, part InputFile, first bool) InputFile {
	if first {
		counts := total.TextStats
		total = part
		total.TextStats = counts
		total.Encoding = part.Encoding
	}
	total.Lines += part.Lines
	total.Header += part.Header
	total.Blank += part.Blank
	total.Read += part.Read
	total.Rejected += part.Rejected
	total.Recoded += part.Recoded
	if total.Columns == nil {
		total.Columns = part.Columns
	}
	return total
}

func init() {
	reg.DoFn2x0[features.Event, func(string, features.Activity)](&activityFn{})
	reg.DoFn5x1[context.Context, string, func(string, features.Activity), func(DeadLetter), func(InputFile), error](&readActivityFn{})
	register.Emitter2[string, features.Activity]()
}
