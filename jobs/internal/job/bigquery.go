package job

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/bqio"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// bigQueryTimeouts bound the jobs' BigQuery calls (zero: bqio's defaults,
// 30 s a call); tests shorten them.
var bigQueryTimeouts bqio.Timeouts

// bigQuerySink writes a run's outputs to the configured BigQuery dataset:
// the pipeline writes each table's rows to shards of the run's attempt,
// and publish loads and swaps them in once the run has passed its checks,
// so a run that fails leaves the tables as they were.
type bigQuerySink struct {
	job     string
	cfg     bqio.Config
	runID   string
	runDate time.Time
	attempt string
	lists   []string
	keys    []bqio.Key // the lists scoped by advertiser
	adv     map[string]string
	writes  []bqio.TableWrite
}

// newBigQuerySink is the sink of cfg.Sink.BigQuery for a run's attempt;
// nil when none is configured.
func newBigQuerySink(cfg *configs.Config, job, attempt string) *bigQuerySink {
	b := cfg.Sink.BigQuery
	if b == nil {
		return nil
	}
	runDate, _ := cfg.AsOfTime()
	k := &bigQuerySink{job: job, cfg: bqio.Config{Project: b.Project, Dataset: b.Dataset, Location: b.Location, TempDir: b.TempDir, Endpoint: b.Endpoint,
		Timeouts: bigQueryTimeouts},
		runID: cfg.RunID, runDate: runDate, attempt: attempt, adv: map[string]string{}}
	for _, l := range cfg.SeedLists {
		k.lists = append(k.lists, l.ID)
		k.keys = append(k.keys, bqio.Key{Scope: l.Advertiser, Value: l.ID})
		k.adv[l.ID] = l.Advertiser
	}
	return k
}

func (k *bigQuerySink) add(s beam.Scope, t bqio.Table, runID string, replace []bqio.Key, rows beam.PCollection) {
	dir := bqio.ShardDir(k.cfg.TempDir, k.attempt, t)
	bqio.WriteShards(s, dir, rows)
	k.writes = append(k.writes, bqio.TableWrite{Table: t, Dir: dir, RunID: runID, Replace: replace})
}

// Prospects adds the prospects table to the pipeline.
func (k *bigQuerySink) Prospects(s beam.Scope, prospects beam.PCollection) {
	k.add(s, bqio.Prospects, k.runID, k.keys, bqio.ProspectRows(s, k.runDate, prospects))
}

// SeedMatch adds the seed_match table to the pipeline.
func (k *bigQuerySink) SeedMatch(s beam.Scope, reports beam.PCollection) {
	k.add(s, bqio.SeedMatch, k.runID, k.keys, bqio.SeedMatchRows(s, k.runDate, k.runID, k.adv, reports))
}

// DeadLetters adds the job's dead letters to the pipeline.
func (k *bigQuerySink) DeadLetters(s beam.Scope, dead beam.PCollection) {
	k.add(s, bqio.DeadLetters, k.job+"-"+k.runID, []bqio.Key{{Value: bqio.JobRun(k.job, k.runID)}}, bqio.DeadLetterRows(s, k.runDate, k.job, k.runID, dead))
}

// outputs are the tables a job writes.
func (k *bigQuerySink) outputs(tables ...bqio.Table) []Output {
	var out []Output
	for _, t := range tables {
		out = append(out, Output{What: "bigquery " + t.Name, Path: k.cfg.Project + "." + k.cfg.Dataset + "." + t.Name})
	}
	return out
}

// preflight makes sure, before any work, that BigQuery answers and that
// the tables the job writes exist with sosie's columns (creating what is
// missing): an unreachable endpoint or an incompatible table fails the run
// at once, naming it.
func (k *bigQuerySink) preflight(ctx context.Context, tables ...bqio.Table) error {
	cl, err := bqio.NewClient(ctx, k.cfg)
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

// publish puts the run's rows in place in every table it wrote, then the
// run report as the run's row of runs.
func (k *bigQuerySink) publish(ctx context.Context, rep *Report) error {
	cl, err := bqio.NewClient(ctx, k.cfg)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := k.cfg.PublishRun(ctx, cl, k.runDate, k.writes); err != nil {
		return err
	}
	return k.writeRun(ctx, cl, rep)
}

// writeRun writes the run report as the run's row of runs.
func (k *bigQuerySink) writeRun(ctx context.Context, cl *bigquery.Client, rep *Report) error {
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	row, err := bqio.RunRow(k.runDate, k.runID, rep.Job, rep.Took, k.lists, rep.Counters, b, time.Now())
	if err != nil {
		return err
	}
	shard := configs.JoinPath(k.cfg.TempDir, "runs", rep.Job+"-"+strings.NewReplacer("/", "_", "@", "_").Replace(k.runID)+".json")
	if err := fileio.WriteFile(ctx, shard, func(w *bufio.Writer) error { _, err := w.WriteString(row + "\n"); return err }); err != nil {
		return err
	}
	defer fileio.RemoveFile(ctx, shard)
	return k.cfg.Replace(ctx, cl, bqio.Runs, rep.Job+"-"+k.runID, k.runDate, []bqio.Key{{Value: bqio.JobRun(rep.Job, k.runID)}}, []string{shard})
}

// bigQuerySource reads apps' and seed lists' tables through the Storage
// Read API: the graphs' pipelines.TableSource.
type bigQuerySource struct {
	cfg bqio.Config
	cl  *bigquery.Client
}

// openBigQuerySource opens the source of b; the caller closes it once
// the graph is built (the reads carry b, not the client).
func openBigQuerySource(ctx context.Context, b *configs.BigQuery) (*bigQuerySource, error) {
	c := bqio.Config{Project: b.Project, Location: b.Location, Endpoint: b.Endpoint, ReadEndpoint: b.ReadEndpoint, Timeouts: bigQueryTimeouts}
	cl, err := bqio.NewClient(ctx, c)
	if err != nil {
		return nil, err
	}
	return &bigQuerySource{cfg: c, cl: cl}, nil
}

func (b *bigQuerySource) close() { b.cl.Close() }

// Accounts checks the app's accounts table and opens its read session.
func (b *bigQuerySource) Accounts(ctx context.Context, s beam.Scope, app configs.App) (beam.PCollection, beam.PCollection, error) {
	src := bqio.Source{Table: app.AccountsTable, Restriction: app.Filter}
	cols := app.AccountColumns
	sel, err := b.cfg.CheckColumns(ctx, b.cl, src, cols.Columns(), bqio.AccountFieldTypes, cols.Required())
	if err != nil {
		return beam.PCollection{}, beam.PCollection{}, err
	}
	sess, err := b.cfg.OpenRead(ctx, b.cl, src, sel, 0)
	if err != nil {
		return beam.PCollection{}, beam.PCollection{}, err
	}
	a, d := bqio.ReadAccounts(s, b.cfg, sess, app.Name, cols)
	return a, d, nil
}

// Events checks the app's events table and opens a read session on the
// activity window (and the app's filter).
func (b *bigQuerySource) Events(ctx context.Context, s beam.Scope, app configs.App, w features.ActivityWindow) (beam.PCollection, beam.PCollection, error) {
	cols := app.EventColumns
	timeCol := cols.Columns()["time"]
	from := w.AsOf.AddDate(0, 0, -w.Days).Format("2006-01-02")
	to := w.AsOf.AddDate(0, 0, 1).Format("2006-01-02")
	restriction := fmt.Sprintf("%s >= TIMESTAMP '%s' AND %s < TIMESTAMP '%s'", timeCol, from, timeCol, to)
	if app.Filter != "" {
		restriction += " AND " + app.Filter
	}
	src := bqio.Source{Table: app.EventsTable, Restriction: restriction}
	sel, err := b.cfg.CheckColumns(ctx, b.cl, src, cols.Columns(), bqio.EventFieldTypes, cols.Required())
	if err != nil {
		return beam.PCollection{}, beam.PCollection{}, err
	}
	sess, err := b.cfg.OpenRead(ctx, b.cl, src, sel, 0)
	if err != nil {
		return beam.PCollection{}, beam.PCollection{}, err
	}
	e, d := bqio.ReadEvents(s, b.cfg, sess, app.Name, cols)
	return e, d, nil
}

// SeedRows checks a seed list's table and opens its read session.
func (b *bigQuerySource) SeedRows(ctx context.Context, s beam.Scope, l pipelines.SeedList) (beam.PCollection, error) {
	src := bqio.Source{Table: l.Table}
	sel, err := b.cfg.CheckColumns(ctx, b.cl, src, bqio.SeedColumns, bqio.SeedFieldTypes, []string{"phone"})
	if err != nil {
		return beam.PCollection{}, err
	}
	sess, err := b.cfg.OpenRead(ctx, b.cl, src, sel, 0)
	if err != nil {
		return beam.PCollection{}, err
	}
	return bqio.ReadSeedRows(s, b.cfg, sess, l.ID), nil
}
