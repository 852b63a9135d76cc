package bqio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/sosie-dev/sosie/internal/bqtest"
	"github.com/sosie-dev/sosie/pipelines"
)

func TestMain(m *testing.M) { ptest.Main(m) }

var day = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func prospects(list string, n int) []any { return prospectsOf("acme", list, n) }

func prospectsOf(advertiser, list string, n int) []any {
	var out []any
	for i := range n {
		row, err := ProspectRow(day, pipelines.Prospect{RunID: "r1", Advertiser: advertiser, List: list, Key: fmt.Sprintf("k%03d", i),
			Score: float64(n - i), Percentile: 99, Tier: 1, ModelKind: "logistic", ScoredAt: day})
		if err != nil {
			panic(err)
		}
		out = append(out, row)
	}
	return out
}

func config(t *testing.T, srv *bqtest.Server) Config {
	return Config{Project: "proj", Dataset: "sosie", Location: "EU", TempDir: t.TempDir(), Endpoint: srv.URL,
		Retry: Retry{Attempts: 3, Initial: 10 * time.Millisecond}}
}

// write runs a pipeline that writes rows to the prospects table for the
// seed lists given, of advertiser acme.
func write(c Config, lists []string, rows []any) error { return writeOf(c, "acme", lists, rows) }

func writeOf(c Config, advertiser string, lists []string, rows []any) error {
	var keys []Key
	for _, l := range lists {
		keys = append(keys, Key{Scope: advertiser, Value: l})
	}
	p, s := beam.NewPipelineWithRoot()
	col := beam.CreateList(s, []string{})
	if len(rows) > 0 {
		col = beam.Create(s, rows...)
	}
	dir := ShardDir(c.TempDir, "r1", Prospects)
	WriteShards(s, dir, col)
	if _, err := ptest.RunWithMetrics(p); err != nil {
		return err
	}
	cl, err := NewClient(context.Background(), c)
	if err != nil {
		return err
	}
	defer cl.Close()
	return c.PublishRun(context.Background(), cl, day, []TableWrite{{Table: Prospects, Dir: dir, RunID: "r1", Replace: keys}})
}

func keysOf(rows []bqtest.Row, list string) map[string]int {
	out := map[string]int{}
	for _, r := range rows {
		if r["seed_list_id"] == list {
			out[r["person_key"].(string)]++
		}
	}
	return out
}

// TestWriteReplacesTheRunsRows: the table is created partitioned and
// clustered; a rerun replaces a seed list's rows of the day, without
// duplicates and without touching another list's; a rerun with no rows
// empties the list's rows of the day.
func TestWriteReplacesTheRunsRows(t *testing.T) {
	srv := bqtest.NewServer()
	defer srv.Close()
	c := config(t, srv)
	if err := write(c, []string{"l1"}, prospects("l1", 40)); err != nil {
		t.Fatal(err)
	}
	md := srv.Table("proj", "sosie", "prospects")
	if md == nil || md.TimePartitioning == nil || md.TimePartitioning.Field != "run_date" || md.Clustering == nil ||
		strings.Join(md.Clustering.Fields, ",") != "advertiser_id,seed_list_id" {
		t.Fatalf("table %+v", md)
	}
	if v := srv.Table("proj", "sosie", LatestViewName); v == nil || v.View == nil || !strings.Contains(v.View.Query, "`proj.sosie.prospects`") {
		t.Errorf("view %+v", v)
	}
	if err := write(c, []string{"l2"}, prospects("l2", 7)); err != nil {
		t.Fatal(err)
	}
	if err := write(c, []string{"l1"}, prospects("l1", 30)); err != nil { // the rerun
		t.Fatal(err)
	}
	rows := srv.Rows("proj", "sosie", "prospects")
	l1, l2 := keysOf(rows, "l1"), keysOf(rows, "l2")
	if len(rows) != 37 || len(l1) != 30 || len(l2) != 7 {
		t.Fatalf("%d rows, l1 %d persons, l2 %d", len(rows), len(l1), len(l2))
	}
	for k, n := range l1 {
		if n != 1 {
			t.Fatalf("person %s %d times", k, n)
		}
	}
	if ids := srv.TableIDs("proj", "sosie"); len(ids) != 2 {
		t.Errorf("staging tables left: %v", ids)
	}
	if err := write(c, []string{"l2"}, nil); err != nil {
		t.Fatal(err)
	}
	if rows := srv.Rows("proj", "sosie", "prospects"); len(rows) != 30 {
		t.Errorf("%d rows after an empty rerun of l2, want 30", len(rows))
	}
	if entries, _ := os.ReadDir(ShardDir(c.TempDir, "r1", Prospects)); len(entries) != 0 {
		t.Errorf("%d shard files left", len(entries))
	}
}

// TestWriteRetriesAndFailsCleanly: a 503 on the job insert and a load job
// that fails with backendError are retried; a load that keeps failing
// fails the run with a clear error and leaves the previous rows.
func TestWriteRetriesAndFailsCleanly(t *testing.T) {
	srv := bqtest.NewServer()
	defer srv.Close()
	c := config(t, srv)
	if err := write(c, []string{"l1"}, prospects("l1", 20)); err != nil {
		t.Fatal(err)
	}
	srv.FailNext(bqtest.RouteJobInsert, 1, 503, "backendError")
	srv.FailNext(bqtest.RouteLoadJob, 1, 0, "backendError")
	before := srv.Calls(bqtest.RouteLoadJob)
	if err := write(c, []string{"l1"}, prospects("l1", 25)); err != nil {
		t.Fatalf("transient failures were not retried: %v", err)
	}
	if n := srv.Calls(bqtest.RouteLoadJob) - before; n != 2 {
		t.Errorf("%d load jobs run, want 2 (one failed, one retried)", n)
	}
	if n := len(srv.Rows("proj", "sosie", "prospects")); n != 25 {
		t.Fatalf("%d rows after the retried rerun, want 25", n)
	}
	srv.FailNext(bqtest.RouteLoadJob, 10, 0, "backendError")
	err := write(c, []string{"l1"}, prospects("l1", 5))
	if err == nil || !strings.Contains(err.Error(), "load prospects: 3 tries") {
		t.Fatalf("a load that keeps failing: %v", err)
	}
	if n := len(srv.Rows("proj", "sosie", "prospects")); n != 25 {
		t.Errorf("%d rows after a failed run, want the previous 25", n)
	}
	srv.ClearFailures()
	srv.FailNext(bqtest.RouteLoadJob, 1, 0, "invalid")
	before = srv.Calls(bqtest.RouteLoadJob)
	if err := write(c, []string{"l1"}, prospects("l1", 5)); err == nil {
		t.Fatal("a permanent load failure passed")
	}
	if n := srv.Calls(bqtest.RouteLoadJob) - before; n > 1 {
		t.Errorf("a permanent failure was retried %d times", n)
	}
}

// withProspectsTable starts an in-process server holding a prospects
// table of the given schema, made before the run.
func withProspectsTable(t *testing.T, schema bigquery.Schema) (*bqtest.Server, Config) {
	t.Helper()
	srv := bqtest.NewServer()
	t.Cleanup(srv.Close)
	c := config(t, srv)
	cl, err := NewClient(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.Dataset("sosie").Create(context.Background(), nil)
	if err := cl.Dataset("sosie").Table("prospects").Create(context.Background(), &bigquery.TableMetadata{Schema: schema}); err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// TestWriteRefusesAnIncompatibleTable: an existing table without a column
// sosie writes is a clear error naming table and column.
func TestWriteRefusesAnIncompatibleTable(t *testing.T) {
	_, c := withProspectsTable(t, bigquery.Schema{{Name: "run_date", Type: bigquery.DateFieldType}, {Name: "score", Type: bigquery.StringFieldType}})
	err := write(c, []string{"l1"}, prospects("l1", 3))
	if err == nil || !strings.Contains(err.Error(), "table sosie.prospects has no column run_id") {
		t.Fatalf("%v", err)
	}
}

// TestWriteAddsNewColumns: a prospects table made before the similarity
// column existed gets it appended (nullable, as BigQuery allows), and the
// run's rows carry it; a table made by an older sosie keeps working.
func TestWriteAddsNewColumns(t *testing.T) {
	var old bigquery.Schema
	for _, f := range Prospects.Schema {
		if f.Name != "similarity" {
			old = append(old, f)
		}
	}
	srv, c := withProspectsTable(t, old)
	row, err := ProspectRow(day, pipelines.Prospect{RunID: "r1", Advertiser: "acme", List: "l1", Key: "k1", Score: 2, Similarity: 0.75,
		Percentile: 99, Tier: 1, ModelKind: "stack", ScoredAt: day})
	if err != nil {
		t.Fatal(err)
	}
	if err := write(c, []string{"l1"}, []any{row}); err != nil {
		t.Fatal(err)
	}
	fields := srv.Table("proj", "sosie", "prospects").Schema.Fields
	if last := fields[len(fields)-1]; last.Name != "similarity" || last.Type != "FLOAT" || len(fields) != len(Prospects.Schema) {
		t.Errorf("columns after the run: %d, the last %+v", len(fields), last)
	}
	rows := srv.Rows("proj", "sosie", "prospects")
	if len(rows) != 1 || rows[0]["similarity"] != 0.75 {
		t.Errorf("rows %v", rows)
	}
}

// BenchmarkWrite writes prospect rows to the in-process server through
// the whole sink: shards, one load job, the swap.
func BenchmarkWrite(b *testing.B) {
	srv := bqtest.NewServer()
	defer srv.Close()
	const n = 100_000
	rows := prospects("l1", n)
	c := Config{Project: "proj", Dataset: "sosie", TempDir: b.TempDir(), Endpoint: srv.URL}
	for b.Loop() {
		if err := write(c, []string{"l1"}, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReplace is the load path alone, without Beam: shard files
// loaded with one load job and swapped in.
func BenchmarkReplace(b *testing.B) {
	srv := bqtest.NewServer()
	defer srv.Close()
	const n = 100_000
	c := Config{Project: "proj", Dataset: "sosie", TempDir: b.TempDir(), Endpoint: srv.URL}
	var shards []string
	rows := prospects("l1", n)
	for i := range Shards {
		var sb strings.Builder
		for j := i; j < n; j += Shards {
			sb.WriteString(rows[j].(string) + "\n")
		}
		path := fmt.Sprintf("%s/shard-%d.json", c.TempDir, i)
		os.WriteFile(path, []byte(sb.String()), 0o644)
		shards = append(shards, path)
	}
	cl, err := NewClient(context.Background(), c)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	for b.Loop() {
		if err := c.Replace(context.Background(), cl, Prospects, "r1", day, []Key{{Scope: "a1", Value: "l1"}}, shards); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestWriteThroughCloudStorage: with a gs:// temp location the shards go
// to Cloud Storage (the server's), BigQuery loads them by URI, and they
// are deleted after the swap.
func TestWriteThroughCloudStorage(t *testing.T) {
	srv := bqtest.NewServer()
	defer srv.Close()
	t.Setenv("STORAGE_EMULATOR_HOST", srv.GCSHost())
	c := config(t, srv)
	c.TempDir = "gs://temp-bucket/sosie"
	if err := write(c, []string{"l1"}, prospects("l1", 50)); err != nil {
		t.Fatal(err)
	}
	if err := write(c, []string{"l1"}, prospects("l1", 45)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Rows("proj", "sosie", "prospects")); n != 45 {
		t.Errorf("%d rows, want 45", n)
	}
	if srv.Calls("gcs POST") == 0 {
		t.Error("no shard went through Cloud Storage")
	}
	if left := srv.Objects(); len(left) != 0 {
		t.Errorf("shards left in the temp location: %v", left)
	}
}

// TestWriteKeepsOtherAdvertisersRows: two advertisers may name a seed list
// alike; one's rerun replaces its own rows and never the other's.
func TestWriteKeepsOtherAdvertisersRows(t *testing.T) {
	srv := bqtest.NewServer()
	defer srv.Close()
	c := config(t, srv)
	for _, w := range []struct {
		advertiser string
		n          int
	}{{"acme", 40}, {"rival", 10}, {"acme", 30}} {
		if err := writeOf(c, w.advertiser, []string{"customers"}, prospectsOf(w.advertiser, "customers", w.n)); err != nil {
			t.Fatal(err)
		}
	}
	count := map[string]int{}
	for _, r := range srv.Rows("proj", "sosie", "prospects") {
		count[r["advertiser_id"].(string)]++
	}
	if count["acme"] != 30 || count["rival"] != 10 {
		t.Fatalf("rows per advertiser %v, want acme 30 (its rerun), rival 10 (untouched)", count)
	}
}

// TestUnreachableEndpointsFailFast: the Google clients retry a refused
// connection until their context ends; every call here has a deadline, so
// an endpoint that does not answer fails within it, named, instead of
// hanging the run.
func TestUnreachableEndpointsFailFast(t *testing.T) {
	c := Config{Project: "proj", Dataset: "sosie", Endpoint: "http://127.0.0.1:9", ReadEndpoint: "127.0.0.1:9",
		Timeouts: Timeouts{Call: 2 * time.Second}}
	ctx := context.Background()
	cl, err := NewClient(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	start := time.Now()
	err = c.EnsureTable(ctx, cl, Prospects)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "BigQuery at http://127.0.0.1:9") || time.Since(start) > 10*time.Second {
		t.Errorf("BigQuery unreachable: %v after %s", err, time.Since(start))
	}
	start = time.Now()
	_, err = c.OpenRead(ctx, cl, Source{Table: "warehouse.events"}, []string{"user_id"}, 0)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "Storage Read API at 127.0.0.1:9") || time.Since(start) > 10*time.Second {
		t.Errorf("Storage Read unreachable: %v after %s", err, time.Since(start))
	}
}
