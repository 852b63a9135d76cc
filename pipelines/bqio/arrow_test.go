package bqio

import (
	"context"
	"testing"
	"time"

	bq "google.golang.org/api/bigquery/v2"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/internal/bqtest"
	"github.com/sosie-dev/sosie/pipelines"
)

// TestArrowColumnsAsText reads a table of every column type sosie reads
// through the Storage Read API (Arrow record batches) and gets each value
// as the text a CSV cell would hold; a null is no value.
func TestArrowColumnsAsText(t *testing.T) {
	srv := bqtest.NewServer()
	defer srv.Close()
	addr, err := srv.StartStorageRead()
	if err != nil {
		t.Fatal(err)
	}
	srv.CreateTable("proj", "d", "t", &bq.TableSchema{Fields: []*bq.TableFieldSchema{
		{Name: "s", Type: "STRING"}, {Name: "i", Type: "INTEGER"}, {Name: "f", Type: "FLOAT"}, {Name: "b", Type: "BOOLEAN"},
		{Name: "ts", Type: "TIMESTAMP"}, {Name: "d", Type: "DATE"}, {Name: "n", Type: "NUMERIC"},
	}})
	srv.PutRows("proj", "d", "t", "",
		bqtest.Row{"s": "+33612345678", "i": "1987", "f": "12.5", "b": "true", "ts": "2026-10-03T08:09:10.123456Z", "d": "2026-10-03", "n": "40.25"},
		bqtest.Row{"s": nil, "i": nil, "f": nil, "b": nil, "ts": nil, "d": nil, "n": nil})
	c := Config{Project: "proj", Dataset: "d", Endpoint: srv.URL, ReadEndpoint: addr}
	ctx := context.Background()
	cl, err := NewClient(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cols := []string{"s", "i", "f", "b", "ts", "d", "n"}
	sess, err := c.OpenRead(ctx, cl, Source{Table: "d.t"}, cols, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]string
	for _, stream := range sess.Streams {
		read, rejected, err := c.eachRow(ctx, sess, stream, func(d pipelines.DeadLetter) { t.Errorf("dead letter %+v", d) }, func(_ int, row features.Row) error {
			m := map[string]string{}
			for _, col := range cols {
				if v, ok := row.Field(col); ok {
					m[col] = v
				}
			}
			got = append(got, m)
			return nil
		})
		if err != nil || rejected != 0 || read != 2 {
			t.Fatalf("stream %s: %d read, %d rejected, %v", stream, read, rejected, err)
		}
	}
	want := map[string]string{"s": "+33612345678", "i": "1987", "f": "12.5", "b": "true",
		"ts": time.Date(2026, 10, 3, 8, 9, 10, 123456000, time.UTC).Format(time.RFC3339Nano), "d": "2026-10-03", "n": "40.250000000"}
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2", len(got))
	}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("column %s: %q, want %q", k, got[0][k], v)
		}
	}
	if len(got[1]) != 0 {
		t.Errorf("a row of nulls gives values %v", got[1])
	}
}
