package bqio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	bqstorage "cloud.google.com/go/bigquery/storage/apiv1"
	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// Source is a table to read: "dataset.table" (in Config.Project) or
// "project.dataset.table", and a row restriction in BigQuery's SQL
// (comparisons joined by AND), pushed down to the Storage Read API.
type Source struct {
	Table       string `json:"table"`
	Restriction string `json:"restriction,omitempty"`
}

// Session is an open read session: its streams, each read by one
// element, and the Arrow schema of its record batches.
type Session struct {
	Source  Source   `json:"source"`
	Streams []string `json:"streams"`
	Schema  []byte   `json:"schema"` // Arrow IPC, as the session gave it
}

// The BigQuery types each record field may have; the first is the one
// sosie's own tables would use.
var (
	AccountFieldTypes = map[string][]bigquery.FieldType{
		"user_id": {bigquery.StringFieldType, bigquery.IntegerFieldType}, "phone": {bigquery.StringFieldType},
		"country": {bigquery.StringFieldType}, "birth_year": {bigquery.IntegerFieldType}, "age": {bigquery.IntegerFieldType},
		"gender": {bigquery.StringFieldType}, "os": {bigquery.StringFieldType}, "carrier": {bigquery.StringFieldType},
		"created_at": {bigquery.TimestampFieldType, bigquery.DateFieldType}, "updated_at": {bigquery.TimestampFieldType, bigquery.DateFieldType},
		"consent_ads": {bigquery.BooleanFieldType}, "consent_cross_app": {bigquery.BooleanFieldType},
	}
	EventFieldTypes = map[string][]bigquery.FieldType{
		"user_id": {bigquery.StringFieldType, bigquery.IntegerFieldType}, "time": {bigquery.TimestampFieldType},
		"type": {bigquery.StringFieldType}, "category": {bigquery.StringFieldType},
	}
)

func (c Config) tableRef(cl *bigquery.Client, name string) (project, dataset, table string, err error) {
	parts := strings.Split(name, ".")
	switch len(parts) {
	case 2:
		return cl.Project(), parts[0], parts[1], nil
	case 3:
		return parts[0], parts[1], parts[2], nil
	}
	return "", "", "", fmt.Errorf("bqio: table %q: want dataset.table or project.dataset.table", name)
}

// CheckColumns reads the table's schema and checks that every mapped
// column (field → column) exists with a type types allows, and that the
// required fields are mapped; the error names table, column and the type
// expected. It returns the columns to select.
func (c Config) CheckColumns(ctx context.Context, cl *bigquery.Client, src Source, mapped map[string]string, types map[string][]bigquery.FieldType, required []string) ([]string, error) {
	p, d, t, err := c.tableRef(cl, src.Table)
	if err != nil {
		return nil, err
	}
	var md *bigquery.TableMetadata
	err = c.retry(ctx, "table "+src.Table, c.endpoint(), c.Timeouts.call(), func(ctx context.Context) error {
		var err error
		md, err = cl.DatasetInProject(p, d).Table(t).Metadata(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	have := map[string]bigquery.FieldType{}
	for _, f := range md.Schema {
		have[f.Name] = f.Type
	}
	var cols []string
	for _, field := range slices.Sorted(mapKeys(mapped)) {
		col := mapped[field]
		typ, ok := have[col]
		want := types[field]
		switch {
		case !ok && slices.Contains(required, col):
			return nil, fmt.Errorf("bqio: table %s has no column %s (field %s, want %s)", src.Table, col, field, want[0])
		case !ok:
			continue // an optional field the table does not have
		case !slices.Contains(want, normalType(typ)):
			return nil, fmt.Errorf("bqio: table %s column %s (field %s) is %s, want %s", src.Table, col, field, typ, typeList(want))
		}
		cols = append(cols, col)
	}
	return cols, nil
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func normalType(t bigquery.FieldType) bigquery.FieldType {
	switch t {
	case "INT64":
		return bigquery.IntegerFieldType
	case "FLOAT64":
		return bigquery.FloatFieldType
	case "BOOL":
		return bigquery.BooleanFieldType
	}
	return t
}

func typeList(ts []bigquery.FieldType) string {
	var s []string
	for _, t := range ts {
		s = append(s, string(t))
	}
	return strings.Join(s, " or ")
}

// readClient is the Storage Read client of c: ReadEndpoint, when set, is
// dialled without TLS or authentication (an emulator, the tests' server).
func (c Config) readClient(ctx context.Context) (*bqstorage.BigQueryReadClient, error) {
	var opts []option.ClientOption
	if c.ReadEndpoint != "" {
		opts = append(opts, option.WithEndpoint(c.ReadEndpoint), option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
	rc, err := bqstorage.NewBigQueryReadClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("bqio: %w", err)
	}
	return rc, nil
}

// OpenRead opens a read session on src selecting columns, split into up
// to maxStreams streams (0: as BigQuery sees fit).
func (c Config) OpenRead(ctx context.Context, cl *bigquery.Client, src Source, columns []string, maxStreams int) (Session, error) {
	p, d, t, err := c.tableRef(cl, src.Table)
	if err != nil {
		return Session{}, err
	}
	rc, err := c.readClient(ctx)
	if err != nil {
		return Session{}, err
	}
	defer rc.Close()
	var rs *storagepb.ReadSession
	err = c.retry(ctx, "read session "+src.Table, c.readEndpoint(), c.Timeouts.call(), func(ctx context.Context) error {
		var err error
		rs, err = rc.CreateReadSession(ctx, &storagepb.CreateReadSessionRequest{
			Parent:         "projects/" + cl.Project(),
			MaxStreamCount: int32(maxStreams),
			ReadSession: &storagepb.ReadSession{
				Table:       fmt.Sprintf("projects/%s/datasets/%s/tables/%s", p, d, t),
				DataFormat:  storagepb.DataFormat_ARROW,
				ReadOptions: &storagepb.ReadSession_TableReadOptions{SelectedFields: columns, RowRestriction: src.Restriction},
			}})
		return err
	})
	if err != nil {
		return Session{}, err
	}
	s := Session{Source: src, Schema: rs.GetArrowSchema().GetSerializedSchema()}
	for _, st := range rs.GetStreams() {
		s.Streams = append(s.Streams, st.GetName())
	}
	return s, nil
}

// ReadAccounts reads an app's accounts from an open session, one element
// per stream (so workers read streams in parallel), decoding each row
// through cols: PCollection<features.Account> and PCollection<
// pipelines.DeadLetter> (rows that do not decode, with table, stream and
// row), as pipelines.ReadAccounts gives them from files.
func ReadAccounts(s beam.Scope, c Config, session Session, app string, cols features.AccountColumns) (accounts, dead beam.PCollection) {
	s = s.Scope("bqio.ReadAccounts." + app)
	return beam.ParDo2(s, &readAccountStreamFn{Config: c, Session: session, App: app, Columns: cols}, beam.Create(s, streamsOf(session)...))
}

// ReadEvents reads an app's events from an open session, as ReadAccounts
// does.
func ReadEvents(s beam.Scope, c Config, session Session, app string, cols features.EventColumns) (events, dead beam.PCollection) {
	s = s.Scope("bqio.ReadEvents." + app)
	return beam.ParDo2(s, &readEventStreamFn{Config: c, Session: session, App: app, Columns: cols}, beam.Create(s, streamsOf(session)...))
}

func streamsOf(s Session) []any {
	out := []any{}
	for _, st := range s.Streams {
		out = append(out, st)
	}
	return out
}

// readAccountStreamFn reads one stream of an accounts table.
type readAccountStreamFn struct {
	Config  Config                  `json:"config"`
	Session Session                 `json:"session"`
	App     string                  `json:"app"`
	Columns features.AccountColumns `json:"columns"`
}

func (f *readAccountStreamFn) ProcessElement(ctx context.Context, stream string, emit func(features.Account), dead func(pipelines.DeadLetter)) error {
	source := f.Session.Source.Table + " " + stream
	read, rejected, err := f.Config.eachRow(ctx, f.Session, stream, dead, func(n int, row features.Row) error {
		a, err := f.Columns.DecodeAccount(f.App, row)
		if err == nil {
			a.Source, a.Line = source, n
			emit(a)
		}
		return err
	})
	pipelines.CountRows(ctx, pipelines.AccountsKind, read, rejected)
	return err
}

// readEventStreamFn reads one stream of an events table.
type readEventStreamFn struct {
	Config  Config                `json:"config"`
	Session Session               `json:"session"`
	App     string                `json:"app"`
	Columns features.EventColumns `json:"columns"`
}

func (f *readEventStreamFn) ProcessElement(ctx context.Context, stream string, emit func(features.Event), dead func(pipelines.DeadLetter)) error {
	read, rejected, err := f.Config.eachRow(ctx, f.Session, stream, dead, func(_ int, row features.Row) error {
		e, err := f.Columns.DecodeEvent(f.App, row)
		if err == nil {
			emit(e)
		}
		return err
	})
	pipelines.CountRows(ctx, pipelines.EventsKind, read, rejected)
	return err
}

// eachRow reads one stream to its end and decodes every row; a row that
// does not decode is a dead letter naming table, stream and row. It
// returns the rows decoded and rejected.
func (c Config) eachRow(ctx context.Context, session Session, stream string, dead func(pipelines.DeadLetter), decode func(int, features.Row) error) (read, rejected int64, err error) {
	schema, err := arrowSchema(session.Schema)
	if err != nil {
		return 0, 0, fmt.Errorf("bqio: %s: %w", session.Source.Table, err)
	}
	rc, err := c.readClient(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer rc.Close()
	ctx, cancel := context.WithTimeout(ctx, c.Timeouts.job())
	defer cancel()
	n, reopened := 0, 0
	row := arrowRow{cols: map[string]arrow.Array{}}
	for ; ; reopened++ {
		if reopened > 0 {
			if reopened > 5 {
				return read, rejected, fmt.Errorf("bqio: reading %s: stream %s broke %d times", session.Source.Table, stream, reopened)
			}
			time.Sleep(time.Duration(reopened) * 100 * time.Millisecond)
		}
		// Read from the row after the last one seen, so a broken stream
		// resumes without a duplicate.
		rs, err := rc.ReadRows(ctx, &storagepb.ReadRowsRequest{ReadStream: stream, Offset: int64(n)})
		if err != nil {
			if isUnavailable(err) {
				continue
			}
			return read, rejected, fmt.Errorf("bqio: %s: %w", session.Source.Table, err)
		}
		for {
			resp, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				return read, rejected, nil
			}
			if err != nil {
				if Transient(err) || isUnavailable(err) {
					break // reopen at offset n
				}
				return read, rejected, fmt.Errorf("bqio: reading %s: %w", session.Source.Table, err)
			}
			err = eachRecord(schema, session.Schema, resp.GetArrowRecordBatch().GetSerializedRecordBatch(), func(rec arrow.RecordBatch) {
				row.of(rec)
				for i := range int(rec.NumRows()) {
					n++
					row.i = i
					if err := decode(n, row); err != nil {
						rejected++
						reason := features.ReasonOf(err)
						if reason == "" {
							reason = features.ReasonBadField
						}
						dead(pipelines.DeadLetter{Stage: "read", Source: session.Source.Table + " " + stream, Line: n, Reason: reason, Detail: err.Error(), Rows: 1})
						continue
					}
					read++
				}
			})
			if err != nil {
				return read, rejected, fmt.Errorf("bqio: reading %s, stream %s after row %d: %w", session.Source.Table, stream, n, err)
			}
		}
	}
}

func isUnavailable(err error) bool {
	return status.Code(err) == codes.Unavailable
}

func init() {
	reg.DoFn4x1[context.Context, string, func(features.Account), func(pipelines.DeadLetter), error](&readAccountStreamFn{})
	reg.DoFn4x1[context.Context, string, func(features.Event), func(pipelines.DeadLetter), error](&readEventStreamFn{})
	register.Emitter1[features.Account]()
	register.Emitter1[features.Event]()
	register.Emitter1[pipelines.DeadLetter]()
}

// SeedFieldTypes are the types a seed-list table's columns may have.
var SeedFieldTypes = map[string][]bigquery.FieldType{
	"phone": {bigquery.StringFieldType}, "country": {bigquery.StringFieldType},
	"value": {bigquery.FloatFieldType, bigquery.IntegerFieldType, bigquery.NumericFieldType},
}

// SeedColumns are a seed-list table's columns: phone (plain, or SHA-256 in
// either convention), and optional country and value.
var SeedColumns = map[string]string{"phone": "phone", "country": "country", "value": "value"}

// ReadSeedRows reads a seed list from an open session on its table, one
// element per stream: PCollection<pipelines.SeedRow> for
// pipelines.MatchSeedRows.
func ReadSeedRows(s beam.Scope, c Config, session Session, list string) beam.PCollection {
	s = s.Scope("bqio.ReadSeedRows." + list)
	return beam.ParDo(s, &readSeedStreamFn{Config: c, Session: session, List: list}, beam.Create(s, streamsOf(session)...))
}

type readSeedStreamFn struct {
	Config  Config  `json:"config"`
	Session Session `json:"session"`
	List    string  `json:"list"`
}

func (f *readSeedStreamFn) ProcessElement(ctx context.Context, stream string, emit func(pipelines.SeedRow)) error {
	// Seed rows are counted by MatchSeedRows, not as rows read.
	_, _, err := f.Config.eachRow(ctx, f.Session, stream, func(d pipelines.DeadLetter) {
		emit(pipelines.SeedRow{List: f.List, Source: d.Source, Line: d.Line, Reason: d.Reason, Detail: d.Detail})
	}, func(n int, row features.Row) error {
		r := pipelines.SeedRow{List: f.List, Source: f.Session.Source.Table + " " + stream, Line: n, Value: 1}
		r.Phone, _ = row.Field("phone")
		// A country or value that cannot be read is left out, as from a
		// file: the row counts.
		if c, ok := row.Field("country"); ok && strings.TrimSpace(c) != "" {
			if r.Country, ok = features.ParseCountry(c); !ok {
				r.Ignored = append(r.Ignored, "country")
			}
		}
		if v, ok := row.Field("value"); ok && v != "" {
			if x, err := features.ParseSeedValue(v); err == nil {
				r.Value = x
			} else {
				r.Ignored = append(r.Ignored, "value")
			}
		}
		emit(r)
		return nil
	})
	return err
}

func init() {
	reg.DoFn3x1[context.Context, string, func(pipelines.SeedRow), error](&readSeedStreamFn{})
	register.Emitter1[pipelines.SeedRow]()
}
