package bqtest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
)

func client(t *testing.T, s *Server) *bigquery.Client {
	t.Helper()
	c, err := bigquery.NewClient(context.Background(), "proj", option.WithEndpoint(s.URL), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type rowT struct {
	Day  bigquery.NullDate `bigquery:"day"`
	List string            `bigquery:"list"`
	N    int64             `bigquery:"n"`
}

func load(t *testing.T, c *bigquery.Client, table string, disposition bigquery.TableWriteDisposition, ndjson string) error {
	t.Helper()
	src := bigquery.NewReaderSource(strings.NewReader(ndjson))
	src.SourceFormat = bigquery.JSON
	l := c.Dataset("ds").Table(table).LoaderFrom(src)
	l.WriteDisposition = disposition
	l.MediaOptions = []googleapi.MediaOption{googleapi.ChunkSize(0)}
	job, err := l.Run(context.Background())
	if err != nil {
		return err
	}
	st, err := job.Wait(context.Background())
	if err != nil {
		return err
	}
	return st.Err()
}

func readAll(t *testing.T, c *bigquery.Client, table string) []rowT {
	t.Helper()
	it := c.Dataset("ds").Table(table).Read(context.Background())
	var out []rowT
	for {
		var r rowT
		err := it.Next(&r)
		if errors.Is(err, iterator.Done) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}

// TestServerWithTheRealClient drives the server with
// cloud.google.com/go/bigquery: tables with partitioning and clustering,
// load jobs into partitions, reads, the sink's script, errors.
func TestServerWithTheRealClient(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := client(t, s)
	ctx := context.Background()
	if err := c.Dataset("ds").Create(ctx, &bigquery.DatasetMetadata{Location: "EU"}); err != nil {
		t.Fatal(err)
	}
	err := c.Dataset("ds").Create(ctx, nil)
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != http.StatusConflict || ge.Errors[0].Reason != "duplicate" {
		t.Fatalf("second create: %v", err)
	}
	schema := bigquery.Schema{
		{Name: "day", Type: bigquery.DateFieldType, Required: true},
		{Name: "list", Type: bigquery.StringFieldType},
		{Name: "n", Type: bigquery.IntegerFieldType},
	}
	if err := c.Dataset("ds").Table("t").Create(ctx, &bigquery.TableMetadata{Schema: schema,
		TimePartitioning: &bigquery.TimePartitioning{Type: bigquery.DayPartitioningType, Field: "day"},
		Clustering:       &bigquery.Clustering{Fields: []string{"list"}}}); err != nil {
		t.Fatal(err)
	}
	md, err := c.Dataset("ds").Table("t").Metadata(ctx)
	if err != nil || md.TimePartitioning == nil || md.TimePartitioning.Field != "day" || md.Clustering.Fields[0] != "list" || len(md.Schema) != 3 {
		t.Fatalf("metadata %+v, %v", md, err)
	}
	if err := load(t, c, "t", bigquery.WriteAppend, `{"day":"2026-11-01","list":"a","n":1}`+"\n"+`{"day":"2026-11-02","list":"a","n":2}`+"\n"); err != nil {
		t.Fatal(err)
	}
	// WRITE_TRUNCATE on a partition replaces that day only.
	if err := load(t, c, "t$20261101", bigquery.WriteTruncate, `{"day":"2026-11-01","list":"b","n":3}`+"\n"); err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, c, "t")
	if len(rows) != 2 || rows[0].List != "b" || rows[1].N != 2 {
		t.Fatalf("rows %+v", rows)
	}
	// A row outside the decorator's day, and an unknown column, fail the job.
	if err := load(t, c, "t$20261101", bigquery.WriteTruncate, `{"day":"2026-11-03","list":"b","n":3}`+"\n"); err == nil {
		t.Error("a row of another day loaded into a partition")
	}
	if err := load(t, c, "t", bigquery.WriteAppend, `{"day":"2026-11-03","colour":"red"}`+"\n"); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("an unknown column: %v", err)
	}
	// The sink's script, atomic.
	if err := load(t, c, "stage", bigquery.WriteTruncate, ""); err == nil {
		t.Error("loaded into a table that does not exist, without a schema")
	}
	s.CreateTable("proj", "ds", "stage", nil)
	c.Dataset("ds").Table("stage").Update(ctx, bigquery.TableMetadataToUpdate{Schema: schema}, "")
	if err := load(t, c, "stage", bigquery.WriteTruncate, `{"day":"2026-11-02","list":"a","n":20}`+"\n"); err != nil {
		t.Fatal(err)
	}
	run := func(sql string) error {
		job, err := c.Query(sql).Run(ctx)
		if err != nil {
			return err
		}
		st, err := job.Wait(ctx)
		if err != nil {
			return err
		}
		return st.Err()
	}
	if err := run("BEGIN TRANSACTION;\nDELETE FROM `proj.ds.t` WHERE day = DATE '2026-11-02' AND list IN ('a', 'z');\n" +
		"INSERT INTO `proj.ds.t` SELECT * FROM `proj.ds.stage`;\nDROP TABLE IF EXISTS `proj.ds.stage`;\nCOMMIT TRANSACTION;"); err != nil {
		t.Fatal(err)
	}
	rows = readAll(t, c, "t")
	if len(rows) != 2 || rows[1].N != 20 || s.Table("proj", "ds", "stage") != nil {
		t.Fatalf("after the script: %+v", rows)
	}
	if err := run("DELETE FROM `proj.ds.t` WHERE list = 'b'; SELECT 1"); err == nil {
		t.Error("an unknown statement ran")
	}
	if len(readAll(t, c, "t")) != 2 {
		t.Error("a failed script was not rolled back")
	}
	// Errors: a missing table, a 503 the client retries, a failed load job.
	_, err = c.Dataset("ds").Table("nope").Metadata(ctx)
	if !errors.As(err, &ge) || ge.Code != 404 || ge.Errors[0].Reason != "notFound" {
		t.Errorf("missing table: %v", err)
	}
	// A 503 on the insert of an upload: the client cannot replay the
	// media, so it is the caller's to retry (sosie's sink does).
	s.FailNext(RouteJobInsert, 1, 503, "backendError")
	err = load(t, c, "t", bigquery.WriteAppend, `{"day":"2026-11-05","list":"c","n":5}`+"\n")
	if !errors.As(err, &ge) || ge.Code != 503 || ge.Errors[0].Reason != "backendError" {
		t.Fatalf("an injected 503: %v", err)
	}
	if err := load(t, c, "t", bigquery.WriteAppend, `{"day":"2026-11-05","list":"c","n":5}`+"\n"); err != nil {
		t.Fatalf("after the 503: %v", err)
	}
	s.FailNext(RouteLoadJob, 1, 0, "backendError")
	if err := load(t, c, "t", bigquery.WriteAppend, `{"day":"2026-11-06","list":"c","n":6}`+"\n"); err == nil || !strings.Contains(err.Error(), "backendError") {
		t.Errorf("an injected load failure: %v", err)
	}
	if n := len(s.Rows("proj", "ds", "t")); n != 3 {
		t.Errorf("%d rows after a failed load, want 3", n)
	}
}
