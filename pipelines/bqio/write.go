package bqio

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs" // gs:// temp locations
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/pipelines"
)

// Shards is how many files a table's rows are written to before the
// load: enough to spread the writing over workers, few enough for one
// load job.
const Shards = 16

var (
	rowsWritten  = beam.NewCounter("sosie", "bigquery_rows_written")
	tablesLoaded = beam.NewCounter("sosie", "bigquery_tables_replaced")
)

// Write replaces the run's rows of table t with rows, a
// PCollection<string> of rows of t as JSON objects (ProspectRow,
// SeedMatchRow, ...): the rows of runDate with one of the keys replace are
// deleted and rows inserted, in one transaction, after
// every row is in a shard file (see the package doc). It runs even when
// rows is empty, so a rerun that yields nothing removes what the last
// run wrote.
func Write(s beam.Scope, c Config, t Table, runID string, runDate time.Time, replace []Key, rows beam.PCollection) {
	s = s.Scope("bqio.Write." + t.Name)
	dir := filepath.Join(c.TempDir, notID.ReplaceAllString(runID, "_"), t.Name)
	if isGCS(c.TempDir) {
		dir = strings.TrimSuffix(c.TempDir, "/") + "/" + notID.ReplaceAllString(runID, "_") + "/" + t.Name
	}
	keyed := beam.ParDo(s, shardOf, rows)
	shards := beam.ParDo(s, &writeShardFn{Dir: dir}, beam.GroupByKey(s, keyed))
	beam.ParDo0(s, &replaceFn{Config: c, Table: t.Name, RunID: runID, RunDate: runDate, Replace: replace},
		beam.Impulse(s), beam.SideInput{Input: shards})
}

func shardOf(row string) (int, string) {
	h := fnv.New32a()
	h.Write([]byte(row))
	return int(h.Sum32() % Shards), row
}

// writeShardFn writes one shard's rows to a file named by the shard
// alone, through a temporary file and a rename, and emits its path.
type writeShardFn struct {
	Dir string `json:"dir"`
}

func (f *writeShardFn) ProcessElement(ctx context.Context, shard int, rows func(*string) bool, emit func(string)) error {
	var lines []string
	var row string
	for rows(&row) {
		lines = append(lines, row)
	}
	slices.Sort(lines) // the same file whatever order the rows came in
	name := fmt.Sprintf("shard-%05d-of-%05d.json", shard, Shards)
	var path string
	var err error
	if isGCS(f.Dir) {
		path = strings.TrimSuffix(f.Dir, "/") + "/" + name
		err = writeObject(ctx, path, lines)
	} else {
		path = filepath.Join(f.Dir, name)
		err = writeLocal(f.Dir, path, lines)
	}
	if err != nil {
		return err
	}
	rowsWritten.Inc(ctx, int64(len(lines)))
	emit(path)
	return nil
}

func isGCS(path string) bool { return strings.HasPrefix(path, "gs://") }

// writeObject writes a shard to Cloud Storage through Beam's filesystem;
// an object appears whole when its writer closes, and a rewrite replaces
// it.
func writeObject(ctx context.Context, path string, lines []string) error {
	fsys, err := filesystem.New(ctx, path)
	if err != nil {
		return fmt.Errorf("bqio: %w", err)
	}
	defer fsys.Close()
	w, err := fsys.OpenWrite(ctx, path)
	if err != nil {
		return fmt.Errorf("bqio: %s: %w", path, err)
	}
	for _, l := range lines {
		if _, err := io.WriteString(w, l+"\n"); err != nil {
			w.Close()
			return fmt.Errorf("bqio: %s: %w", path, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("bqio: %s: %w", path, err)
	}
	return nil
}

// writeLocal writes a shard through a temporary file and a rename.
func writeLocal(dir, path string, lines []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bqio: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".shard-*")
	if err != nil {
		return fmt.Errorf("bqio: %w", err)
	}
	defer os.Remove(tmp.Name())
	for _, l := range lines {
		if _, err := tmp.WriteString(l + "\n"); err != nil {
			tmp.Close()
			return fmt.Errorf("bqio: %w", err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("bqio: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("bqio: %w", err)
	}
	return nil
}

// removeShards deletes loaded shards; a leftover is harmless (the next
// run rewrites it), so errors are ignored.
func removeShards(ctx context.Context, paths []string) {
	for _, p := range paths {
		if !isGCS(p) {
			os.Remove(p)
			continue
		}
		fsys, err := filesystem.New(ctx, p)
		if err != nil {
			continue
		}
		if r, ok := fsys.(filesystem.Remover); ok {
			r.Remove(ctx, p)
		}
		fsys.Close()
	}
}

// replaceFn loads a table's shards and swaps them in.
type replaceFn struct {
	Config  Config    `json:"config"`
	Table   string    `json:"table"`
	RunID   string    `json:"run_id"`
	RunDate time.Time `json:"run_date"`
	Replace []Key     `json:"replace"`
}

func (f *replaceFn) ProcessElement(ctx context.Context, _ []byte, shards func(*string) bool) error {
	var paths []string
	var p string
	for shards(&p) {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	t, ok := tableNamed(f.Table)
	if !ok {
		return fmt.Errorf("bqio: no table %q", f.Table)
	}
	cl, err := NewClient(ctx, f.Config)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := f.Config.Replace(ctx, cl, t, f.RunID, f.RunDate, f.Replace, paths); err != nil {
		return err
	}
	tablesLoaded.Inc(ctx, 1)
	removeShards(ctx, paths)
	return nil
}

func tableNamed(name string) (Table, bool) {
	for _, t := range Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

func init() {
	register.Function1x2(shardOf)
	register.DoFn4x1[context.Context, int, func(*string) bool, func(string), error](&writeShardFn{})
	register.DoFn3x1[context.Context, []byte, func(*string) bool, error](&replaceFn{})
	register.Emitter1[string]()
	register.Iter1[string]()
}

// ProspectRows turns PCollection<pipelines.Prospect> into rows of
// Prospects (PCollection<string>).
func ProspectRows(s beam.Scope, runDate time.Time, prospects beam.PCollection) beam.PCollection {
	return beam.ParDo(s.Scope("bqio.ProspectRows"), &prospectRowFn{RunDate: runDate}, prospects)
}

// SeedMatchRows turns PCollection<pipelines.MatchReport> into rows of
// SeedMatch; advertisers maps a seed list to its advertiser.
func SeedMatchRows(s beam.Scope, runDate time.Time, runID string, advertisers map[string]string, reports beam.PCollection) beam.PCollection {
	return beam.ParDo(s.Scope("bqio.SeedMatchRows"), &seedMatchRowFn{RunDate: runDate, RunID: runID, Advertisers: advertisers}, reports)
}

// DeadLetterRows turns PCollection<pipelines.DeadLetter> of a job's run
// into rows of DeadLetters.
func DeadLetterRows(s beam.Scope, runDate time.Time, job, runID string, dead beam.PCollection) beam.PCollection {
	return beam.ParDo(s.Scope("bqio.DeadLetterRows"), &deadLetterRowFn{RunDate: runDate, Job: job, RunID: runID}, dead)
}

type prospectRowFn struct {
	RunDate time.Time `json:"run_date"`
}

func (f *prospectRowFn) ProcessElement(p pipelines.Prospect) (string, error) {
	return ProspectRow(f.RunDate, p)
}

type seedMatchRowFn struct {
	RunDate     time.Time         `json:"run_date"`
	RunID       string            `json:"run_id"`
	Advertisers map[string]string `json:"advertisers"`
}

func (f *seedMatchRowFn) ProcessElement(m pipelines.MatchReport) (string, error) {
	return SeedMatchRow(f.RunDate, f.RunID, f.Advertisers[m.List], m)
}

type deadLetterRowFn struct {
	RunDate time.Time `json:"run_date"`
	Job     string    `json:"job"`
	RunID   string    `json:"run_id"`
}

func (f *deadLetterRowFn) ProcessElement(d pipelines.DeadLetter) (string, error) {
	return DeadLetterRow(f.RunDate, f.Job, f.RunID, d)
}

func init() {
	register.DoFn1x2[pipelines.Prospect, string, error](&prospectRowFn{})
	register.DoFn1x2[pipelines.MatchReport, string, error](&seedMatchRowFn{})
	register.DoFn1x2[pipelines.DeadLetter, string, error](&deadLetterRowFn{})
}
