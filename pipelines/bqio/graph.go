package bqio

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// Sink writes a run's results to the configured BigQuery dataset: the
// graphs' pipelines.TableSink. In the pipeline each table's rows go to
// shards of the run's attempt (Prospects, SeedMatch, DeadLetters); once
// the run has passed its checks, Publish loads and swaps them in, so a
// run that fails leaves the tables as they were.
type Sink struct {
	job     string
	cfg     Config
	runID   string
	runDate time.Time
	attempt string
	lists   []string
	keys    []Key // the lists scoped by advertiser
	adv     map[string]string
	writes  []TableWrite
}

// NewSink is the sink of cfg.Sink.BigQuery for an attempt of a run of
// job; nil when none is configured. Timeouts bound its calls (zero:
// the defaults).
func NewSink(cfg *configs.Config, job, attempt string, timeouts Timeouts) *Sink {
	b := cfg.Sink.BigQuery
	if b == nil {
		return nil
	}
	runDate, _ := cfg.AsOfTime()
	k := &Sink{job: job, cfg: Config{Project: b.Project, Dataset: b.Dataset, Location: b.Location, TempDir: b.TempDir, Endpoint: b.Endpoint,
		Timeouts: timeouts},
		runID: cfg.RunID, runDate: runDate, attempt: attempt, adv: map[string]string{}}
	for _, l := range cfg.SeedLists {
		k.lists = append(k.lists, l.ID)
		k.keys = append(k.keys, Key{Scope: l.Advertiser, Value: l.ID})
		k.adv[l.ID] = l.Advertiser
	}
	return k
}

func (k *Sink) add(s beam.Scope, t Table, runID string, replace []Key, rows beam.PCollection) {
	dir := ShardDir(k.cfg.TempDir, k.attempt, t)
	WriteShards(s, dir, rows)
	k.writes = append(k.writes, TableWrite{Table: t, Dir: dir, RunID: runID, Replace: replace})
}

// Prospects adds the prospects table's rows to the pipeline.
func (k *Sink) Prospects(s beam.Scope, prospects beam.PCollection) {
	k.add(s, Prospects, k.runID, k.keys, ProspectRows(s, k.runDate, prospects))
}

// SeedMatch adds the seed_match table's rows to the pipeline.
func (k *Sink) SeedMatch(s beam.Scope, reports beam.PCollection) {
	k.add(s, SeedMatch, k.runID, k.keys, SeedMatchRows(s, k.runDate, k.runID, k.adv, reports))
}

// DeadLetters adds the job's dead letters to the pipeline.
func (k *Sink) DeadLetters(s beam.Scope, dead beam.PCollection) {
	k.add(s, DeadLetters, k.job+"-"+k.runID, []Key{{Value: JobRun(k.job, k.runID)}}, DeadLetterRows(s, k.runDate, k.job, k.runID, dead))
}

// TableName is a table's full name: project.dataset.table.
func (k *Sink) TableName(t Table) string { return k.cfg.Project + "." + k.cfg.Dataset + "." + t.Name }

// Preflight makes sure, before any work, that BigQuery answers and that
// the tables the job writes exist with sosie's columns (creating what is
// missing): an unreachable endpoint or an incompatible table fails the run
// at once, naming it.
func (k *Sink) Preflight(ctx context.Context, tables ...Table) error {
	cl, err := NewClient(ctx, k.cfg)
	if err != nil {
		return err
	}
	defer cl.Close()
	for _, t := range tables {
		if err := k.cfg.EnsureTable(ctx, cl, t); err != nil {
			return err
		}
	}
	return nil
}

// RunRecord is a run as its row of the runs table holds it.
type RunRecord struct {
	Took     string
	Counters map[string]int64
	Report   []byte // the run report, JSON
}

// Publish puts the run's rows in place in every table it wrote, then the
// run's row of runs.
func (k *Sink) Publish(ctx context.Context, run RunRecord) error {
	cl, err := NewClient(ctx, k.cfg)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := k.cfg.PublishRun(ctx, cl, k.runDate, k.writes); err != nil {
		return err
	}
	return k.writeRun(ctx, cl, run)
}

// writeRun writes the run's row of runs.
func (k *Sink) writeRun(ctx context.Context, cl *bigquery.Client, run RunRecord) error {
	row, err := RunRow(k.runDate, k.runID, k.job, run.Took, k.lists, run.Counters, run.Report, time.Now())
	if err != nil {
		return err
	}
	shard := configs.JoinPath(k.cfg.TempDir, "runs", k.job+"-"+strings.NewReplacer("/", "_", "@", "_").Replace(k.runID)+".json")
	if err := fileio.WriteFile(ctx, shard, func(w *bufio.Writer) error { _, err := w.WriteString(row + "\n"); return err }); err != nil {
		return err
	}
	defer fileio.RemoveFile(ctx, shard)
	return k.cfg.Replace(ctx, cl, Runs, k.job+"-"+k.runID, k.runDate, []Key{{Value: JobRun(k.job, k.runID)}}, []string{shard})
}

// Reader reads apps' and seed lists' tables through the Storage Read API:
// the graphs' pipelines.TableSource. Each read checks the table's columns
// and opens its session while the graph is built; the reads carry the
// config, not the client, so the Reader is closed once the graph is built.
type Reader struct {
	cfg Config
	cl  *bigquery.Client
}

// OpenReader opens the reader of b. Timeouts bound its calls (zero: the
// defaults).
func OpenReader(ctx context.Context, b *configs.BigQuery, timeouts Timeouts) (*Reader, error) {
	c := Config{Project: b.Project, Location: b.Location, Endpoint: b.Endpoint, ReadEndpoint: b.ReadEndpoint, Timeouts: timeouts}
	cl, err := NewClient(ctx, c)
	if err != nil {
		return nil, err
	}
	return &Reader{cfg: c, cl: cl}, nil
}

// Close closes the reader's client.
func (r *Reader) Close() error { return r.cl.Close() }

// Accounts checks the app's accounts table and opens its read session.
func (r *Reader) Accounts(ctx context.Context, s beam.Scope, app configs.App) (beam.PCollection, beam.PCollection, error) {
	src := Source{Table: app.AccountsTable, Restriction: app.Filter}
	cols := app.AccountColumns
	sel, err := r.cfg.CheckColumns(ctx, r.cl, src, cols.Columns(), AccountFieldTypes, cols.Required())
	if err != nil {
		return beam.PCollection{}, beam.PCollection{}, err
	}
	sess, err := r.cfg.OpenRead(ctx, r.cl, src, sel, 0)
	if err != nil {
		return beam.PCollection{}, beam.PCollection{}, err
	}
	a, d := ReadAccounts(s, r.cfg, sess, app.Name, cols)
	return a, d, nil
}

// Events checks the app's events table and opens a read session on the
// activity window (and the app's filter).
func (r *Reader) Events(ctx context.Context, s beam.Scope, app configs.App, w features.ActivityWindow) (beam.PCollection, beam.PCollection, error) {
	cols := app.EventColumns
	timeCol := cols.Columns()["time"]
	from := w.AsOf.AddDate(0, 0, -w.Days).Format("2006-01-02")
	to := w.AsOf.AddDate(0, 0, 1).Format("2006-01-02")
	restriction := fmt.Sprintf("%s >= TIMESTAMP '%s' AND %s < TIMESTAMP '%s'", timeCol, from, timeCol, to)
	if app.Filter != "" {
		restriction += " AND " + app.Filter
	}
	src := Source{Table: app.EventsTable, Restriction: restriction}
	sel, err := r.cfg.CheckColumns(ctx, r.cl, src, cols.Columns(), EventFieldTypes, cols.Required())
	if err != nil {
		return beam.PCollection{}, beam.PCollection{}, err
	}
	sess, err := r.cfg.OpenRead(ctx, r.cl, src, sel, 0)
	if err != nil {
		return beam.PCollection{}, beam.PCollection{}, err
	}
	e, d := ReadEvents(s, r.cfg, sess, app.Name, cols)
	return e, d, nil
}

// SeedRows checks a seed list's table and opens its read session.
func (r *Reader) SeedRows(ctx context.Context, s beam.Scope, l pipelines.SeedList) (beam.PCollection, error) {
	src := Source{Table: l.Table}
	sel, err := r.cfg.CheckColumns(ctx, r.cl, src, SeedColumns, SeedFieldTypes, []string{"phone"})
	if err != nil {
		return beam.PCollection{}, err
	}
	sess, err := r.cfg.OpenRead(ctx, r.cl, src, sel, 0)
	if err != nil {
		return beam.PCollection{}, err
	}
	return ReadSeedRows(s, r.cfg, sess, l.ID), nil
}

// The graphs' interfaces, held to.
var (
	_ pipelines.TableSink   = (*Sink)(nil)
	_ pipelines.TableSource = (*Reader)(nil)
)
