package job

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/pipelines/bqio"
)

// bigQuerySink writes a run's outputs to the configured BigQuery dataset.
type bigQuerySink struct {
	cfg     bqio.Config
	runID   string
	runDate time.Time
	lists   []string
	adv     map[string]string
}

// newBigQuerySink is the sink of cfg.Sink.BigQuery; nil when none is
// configured.
func newBigQuerySink(cfg *configs.Config) *bigQuerySink {
	b := cfg.Sink.BigQuery
	if b == nil {
		return nil
	}
	runDate, _ := cfg.AsOfTime()
	k := &bigQuerySink{cfg: bqio.Config{Project: b.Project, Dataset: b.Dataset, Location: b.Location, TempDir: b.TempDir, Endpoint: b.Endpoint},
		runID: cfg.RunID, runDate: runDate, adv: map[string]string{}}
	for _, l := range cfg.SeedLists {
		k.lists = append(k.lists, l.ID)
		k.adv[l.ID] = l.Advertiser
	}
	return k
}

// write adds the prospects, seed_match and dead_letters tables to the
// pipeline.
func (k *bigQuerySink) write(s beam.Scope, prospects, reports, dead beam.PCollection) {
	bqio.Write(s, k.cfg, bqio.Prospects, k.runID, k.runDate, k.lists, bqio.ProspectRows(s, k.runDate, prospects))
	bqio.Write(s, k.cfg, bqio.SeedMatch, k.runID, k.runDate, k.lists, bqio.SeedMatchRows(s, k.runDate, k.runID, k.adv, reports))
	bqio.Write(s, k.cfg, bqio.DeadLetters, k.runID, k.runDate, []string{k.runID}, bqio.DeadLetterRows(s, k.runDate, k.runID, dead))
}

func (k *bigQuerySink) outputs() []Output {
	var out []Output
	for _, t := range bqio.Tables {
		out = append(out, Output{What: "bigquery " + t.Name, Path: k.cfg.Project + "." + k.cfg.Dataset + "." + t.Name})
	}
	return out
}

// writeRun writes the run report as the run's row of the runs table, once
// the pipeline is done.
func (k *bigQuerySink) writeRun(ctx context.Context, rep *Report) error {
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	row, err := bqio.RunRow(k.runDate, k.runID, rep.Job, rep.Took, k.lists, rep.Counters, b, time.Now())
	if err != nil {
		return err
	}
	dir := filepath.Join(k.cfg.TempDir, "runs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	shard := filepath.Join(dir, k.runID+".json")
	if err := os.WriteFile(shard, []byte(row+"\n"), 0o644); err != nil {
		return err
	}
	defer os.Remove(shard)
	cl, err := bqio.NewClient(ctx, k.cfg)
	if err != nil {
		return err
	}
	defer cl.Close()
	return k.cfg.Replace(ctx, cl, bqio.Runs, k.runID, k.runDate, []string{k.runID}, []string{shard})
}
