package bqio

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs" // gs:// temp locations
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/fileio"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// Shards is how many files a table's rows are written to before the
// load: enough to spread the writing over workers, few enough for one
// load job.
const Shards = 16

var (
	rowsWritten  = beam.NewCounter("sosie", "bigquery_rows_written")
	tablesLoaded = beam.NewCounter("sosie", "bigquery_tables_replaced")
)

// ShardDir is the directory of one run attempt's shards of table t in
// the temp directory: attempts never share shards, so a load takes only
// its own run's.
func ShardDir(tempDir, attempt string, t Table) string {
	return configs.JoinPath(tempDir, notID.ReplaceAllString(attempt, "_"), t.Name)
}

// WriteShards writes rows, a PCollection<string> of rows of a table as
// JSON objects (ProspectRow, SeedMatchRow, ...), to up to Shards files in
// dir, each named by its shard alone, so a retried bundle rewrites its
// own. Config.Replace loads them, once the run has been checked.
func WriteShards(s beam.Scope, dir string, rows beam.PCollection) {
	s = s.Scope("bqio.WriteShards")
	beam.ParDo0(s, &writeShardFn{Dir: dir}, beam.GroupByKey(s, beam.ParDo(s, shardOf, rows)))
}

// ShardFiles lists the shards in dir (none: an empty list).
func ShardFiles(ctx context.Context, dir string) ([]string, error) {
	files, err := fileio.FilesUnder(ctx, dir)
	if err != nil {
		return nil, err
	}
	files = slices.DeleteFunc(files, func(f string) bool { return !strings.HasSuffix(f, ".json") || strings.Contains(f, "/.") })
	slices.Sort(files)
	return files, nil
}

// TableWrite is one table a run writes: the directory of its shards
// (ShardDir), and the run's rows it replaces (see Key).
type TableWrite struct {
	Table   Table
	Dir     string
	RunID   string
	Replace []Key
}

// PublishRun puts a run's rows in place in every table it writes: first
// each table's shards are loaded into a staging table (the slow part,
// where loads fail), then each is swapped in with one transaction, then
// the shards are removed. A load that fails leaves every table as it was.
func (c Config) PublishRun(ctx context.Context, cl *bigquery.Client, runDate time.Time, writes []TableWrite) error {
	stages := make([]string, len(writes))
	for i, w := range writes {
		shards, err := ShardFiles(ctx, w.Dir)
		if err != nil {
			return fmt.Errorf("bqio: %s: %w", w.Table.Name, err)
		}
		if stages[i], err = c.Load(ctx, cl, w.Table, w.RunID, runDate, shards); err != nil {
			return err
		}
	}
	for i, w := range writes {
		if err := c.Swap(ctx, cl, w.Table, stages[i], runDate, w.Replace); err != nil {
			return err
		}
		tablesLoaded.Inc(ctx, 1)
	}
	for _, w := range writes {
		fileio.RemoveAll(ctx, w.Dir) // a leftover is harmless: the next attempt has its own
	}
	return nil
}

func shardOf(row string) (int, string) {
	h := fnv.New32a()
	h.Write([]byte(row))
	return int(h.Sum32() % Shards), row
}

// writeShardFn writes one shard's rows, whole or not at all.
type writeShardFn struct {
	Dir string `json:"dir"`
}

func (f *writeShardFn) ProcessElement(ctx context.Context, shard int, rows func(*string) bool) error {
	var lines []string
	var row string
	for rows(&row) {
		lines = append(lines, row)
	}
	slices.Sort(lines) // the same file whatever order the rows came in
	path := configs.JoinPath(f.Dir, fmt.Sprintf("shard-%05d-of-%05d.json", shard, Shards))
	err := fileio.WriteFile(ctx, path, func(w *bufio.Writer) error {
		for _, l := range lines {
			w.WriteString(l)
			if err := w.WriteByte('\n'); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bqio: %w", err)
	}
	rowsWritten.Inc(ctx, int64(len(lines)))
	return nil
}

func isGCS(path string) bool { return strings.HasPrefix(path, "gs://") }

func init() {
	register.Function1x2(shardOf)
	reg.DoFn3x1[context.Context, int, func(*string) bool, error](&writeShardFn{})
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
	reg.DoFn1x2[pipelines.Prospect, string, error](&prospectRowFn{})
	reg.DoFn1x2[pipelines.MatchReport, string, error](&seedMatchRowFn{})
	reg.DoFn1x2[pipelines.DeadLetter, string, error](&deadLetterRowFn{})
}
