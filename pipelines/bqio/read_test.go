package bqio

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	bq "google.golang.org/api/bigquery/v2"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/features/synth"
	"github.com/sosie-dev/sosie/internal/bqtest"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

func accountLine(a features.Account) string {
	return fmt.Sprintf("%s|%s|%s|%d|%d|%s|%s|%s|%s|%v|%v", a.UserID, a.Phone, a.Country, a.BirthYear, a.Age, a.Gender, a.OS, a.Carrier,
		a.CreatedAt.Format(time.RFC3339), a.ConsentAds, a.ConsentCrossApp)
}

func eventLine(e features.Event) string {
	return e.UserID + "|" + e.Time.Format(time.RFC3339Nano) + "|" + e.Type.String() + "|" + e.Category.String()
}

func init() {
	register.Function1x1(accountLine)
	register.Function1x1(eventLine)
}

var eventSchema = &bq.TableSchema{Fields: []*bq.TableFieldSchema{
	{Name: "account", Type: "STRING"}, {Name: "time", Type: "TIMESTAMP"}, {Name: "type", Type: "STRING"}, {Name: "category", Type: "STRING"},
}}

// loadWorld puts a synthetic app's accounts and events (JSONL) into the
// server as tables, as a warehouse would hold them.
func loadWorld(t *testing.T, srv *bqtest.Server, dir string) {
	t.Helper()
	srv.CreateTable("proj", "apps", "facebook_accounts", bqtest.AccountsSchema)
	srv.CreateTable("proj", "apps", "facebook_events", eventSchema)
	if err := srv.PutJSONL("proj", "apps", "facebook_accounts", filepath.Join(dir, "accounts_facebook.jsonl"), nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.PutJSONL("proj", "apps", "facebook_events", filepath.Join(dir, "events_facebook.jsonl"), map[string]string{"user_id": "account"}); err != nil {
		t.Fatal(err)
	}
}

// TestReadFromBigQuery reads an app's accounts and events through the
// Storage Read API (several streams, Arrow record batches) and gets what the files give;
// the row restriction is pushed down; a broken stream resumes.
func TestReadFromBigQuery(t *testing.T) {
	srv := bqtest.NewServer()
	defer srv.Close()
	addr, err := srv.StartStorageRead()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Persons: 400, Seed: 4, Apps: []string{"facebook"}}, dir); err != nil {
		t.Fatal(err)
	}
	loadWorld(t, srv, dir)
	c := Config{Project: "proj", Dataset: "sosie", Endpoint: srv.URL, ReadEndpoint: addr, Retry: Retry{Attempts: 3, Initial: time.Millisecond}}
	ctx := context.Background()
	cl, err := NewClient(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	acols := features.AccountColumns{}
	ecols := features.EventColumns{UserID: "account"}
	aSrc, eSrc := Source{Table: "apps.facebook_accounts"}, Source{Table: "apps.facebook_events", Restriction: "time >= TIMESTAMP '2026-10-01' AND time < TIMESTAMP '2026-11-02'"}
	sel, err := c.CheckColumns(ctx, cl, aSrc, acols.Columns(), AccountFieldTypes, acols.Required())
	if err != nil {
		t.Fatal(err)
	}
	aSess, err := c.OpenRead(ctx, cl, aSrc, sel, 3)
	if err != nil || len(aSess.Streams) != 3 {
		t.Fatalf("%d streams, %v", len(aSess.Streams), err)
	}
	esel, err := c.CheckColumns(ctx, cl, eSrc, ecols.Columns(), EventFieldTypes, ecols.Required())
	if err != nil {
		t.Fatal(err)
	}
	eSess, err := c.OpenRead(ctx, cl, eSrc, esel, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext(bqtest.RouteReadRows, 1, 14, "backendError") // gRPC Unavailable: the reader reopens the stream

	p, s := beam.NewPipelineWithRoot()
	fromBQ, deadBQ := ReadAccounts(s, c, aSess, "facebook", acols)
	fromFile, deadFile, _ := pipelines.ReadAccounts(s, "facebook", []string{filepath.Join(dir, "accounts_facebook.jsonl")}, acols)
	passert.Equals(s, beam.ParDo(s, accountLine, fromBQ), beam.ParDo(s, accountLine, fromFile))
	passert.NonEmpty(s, fromBQ)
	passert.Count(s, deadBQ, "dead letters from BigQuery", 0)
	passert.Count(s, deadFile, "dead letters from the file", 0)
	evBQ, _ := ReadEvents(s, c, eSess, "facebook", ecols)
	evFile, _, _ := pipelines.ReadEvents(s, "facebook", []string{filepath.Join(dir, "events_facebook.jsonl")}, features.EventColumns{})
	inWindow := beam.ParDo(s, &windowFn{From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}, evFile)
	passert.NonEmpty(s, evBQ)
	passert.Equals(s, beam.ParDo(s, eventLine, evBQ), beam.ParDo(s, eventLine, inWindow))
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	if srv.Calls(bqtest.RouteReadRows) < 4 {
		t.Errorf("%d ReadRows calls; the failed stream was not reopened", srv.Calls(bqtest.RouteReadRows))
	}
}

type windowFn struct{ From, To time.Time }

func (f *windowFn) ProcessElement(e features.Event, emit func(features.Event)) {
	if !e.Time.Before(f.From) && e.Time.Before(f.To) {
		emit(e)
	}
}

func init() { reg.DoFn2x0[features.Event, func(features.Event)](&windowFn{}) }

// TestCheckColumnsNamesTheProblem: a wrong type or a missing required
// column is an error naming table, column and type, before any work.
func TestCheckColumnsNamesTheProblem(t *testing.T) {
	srv := bqtest.NewServer()
	defer srv.Close()
	srv.CreateTable("proj", "apps", "bad", &bq.TableSchema{Fields: []*bq.TableFieldSchema{
		{Name: "user_id", Type: "STRING"}, {Name: "birth_year", Type: "STRING"}}})
	srv.CreateTable("proj", "apps", "noid", &bq.TableSchema{Fields: []*bq.TableFieldSchema{{Name: "phone", Type: "STRING"}}})
	c := Config{Project: "proj", Dataset: "sosie", Endpoint: srv.URL, Retry: Retry{Attempts: 1}}
	cl, _ := NewClient(context.Background(), c)
	defer cl.Close()
	cols := features.AccountColumns{}
	_, err := c.CheckColumns(context.Background(), cl, Source{Table: "apps.bad"}, cols.Columns(), AccountFieldTypes, cols.Required())
	if err == nil || !strings.Contains(err.Error(), "table apps.bad column birth_year (field birth_year) is STRING, want INTEGER") {
		t.Errorf("wrong type: %v", err)
	}
	_, err = c.CheckColumns(context.Background(), cl, Source{Table: "apps.noid"}, cols.Columns(), AccountFieldTypes, cols.Required())
	if err == nil || !strings.Contains(err.Error(), "table apps.noid has no column user_id") {
		t.Errorf("missing column: %v", err)
	}
	_, err = c.CheckColumns(context.Background(), cl, Source{Table: "apps.gone"}, cols.Columns(), AccountFieldTypes, cols.Required())
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing table: %v", err)
	}
}

// BenchmarkReadStreams reads 100,000 event rows through the Storage Read
// path on prism: one read session, its streams read in parallel.
func BenchmarkReadStreams(b *testing.B) {
	const n = 100_000
	c := eventsTable(b, n)
	cl, _ := NewClient(context.Background(), c)
	defer cl.Close()
	cols := features.EventColumns{UserID: "account"}
	for b.Loop() {
		sess, err := c.OpenRead(context.Background(), cl, Source{Table: "apps.events"}, []string{"account", "time", "type", "category"}, 4)
		if err != nil {
			b.Fatal(err)
		}
		p, s := beam.NewPipelineWithRoot()
		ev, _ := ReadEvents(s, c, sess, "facebook", cols)
		passert.Count(s, ev, "events", n)
		if err := ptest.Run(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkDecodeStream reads one Storage Read stream of 100,000 event
// rows on one goroutine, decoding each into a features.Event: the source's
// events per second on one core. The in-process server encodes the Arrow
// batches on the other core, as BigQuery would on its side.
func BenchmarkDecodeStream(b *testing.B) {
	const n = 100_000
	c := eventsTable(b, n)
	ctx := context.Background()
	cl, _ := NewClient(ctx, c)
	defer cl.Close()
	cols := features.EventColumns{UserID: "account"}
	for b.Loop() {
		sess, err := c.OpenRead(ctx, cl, Source{Table: "apps.events"}, []string{"account", "time", "type", "category"}, 1)
		if err != nil || len(sess.Streams) != 1 {
			b.Fatal(err)
		}
		read, _, err := c.eachRow(ctx, sess, sess.Streams[0], func(d pipelines.DeadLetter) { b.Fatalf("dead letter %+v", d) }, func(_ int, row features.Row) error {
			_, err := cols.DecodeEvent("facebook", row)
			return err
		})
		if err != nil || read != n {
			b.Fatalf("%d rows read: %v", read, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// eventsTable serves a table apps.events of n event rows through the
// Storage Read API for the benchmarks, and returns its config.
func eventsTable(b *testing.B, n int) Config {
	srv := bqtest.NewServer()
	b.Cleanup(srv.Close)
	addr, err := srv.StartStorageRead()
	if err != nil {
		b.Fatal(err)
	}
	srv.CreateTable("proj", "apps", "events", eventSchema)
	at := time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)
	for i := range n {
		srv.PutRows("proj", "apps", "events", "", bqtest.Row{"account": fmt.Sprintf("u%d", i%5000),
			"time": at.Add(time.Duration(i) * time.Second).Format(time.RFC3339), "type": "like", "category": "travel"})
	}
	return Config{Project: "proj", Endpoint: srv.URL, ReadEndpoint: addr}
}
