package bqio

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	bqstorage "cloud.google.com/go/bigquery/storage/apiv1"
	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
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
// element, and the Avro schema of its rows.
type Session struct {
	Source  Source   `json:"source"`
	Streams []string `json:"streams"`
	Schema  string   `json:"schema"` // Avro, as the session gave it
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
				DataFormat:  storagepb.DataFormat_AVRO,
				ReadOptions: &storagepb.ReadSession_TableReadOptions{SelectedFields: columns, RowRestriction: src.Restriction},
			}})
		return err
	})
	if err != nil {
		return Session{}, err
	}
	s := Session{Source: src, Schema: rs.GetAvroSchema().GetSchema()}
	for _, st := range rs.GetStreams() {
		s.Streams = append(s.Streams, st.GetName())
	}
	return s, nil
}

var (
	rowsRead     = beam.NewCounter("sosie", "read_rows")
	rowsBad      = beam.NewCounter("sosie", "read_rows_rejected")
	accountsRead = beam.NewCounter("sosie", "read_accounts")
	eventsRead   = beam.NewCounter("sosie", "read_events")
)

// ReadAccounts reads an app's accounts from an open session, one element
// per stream (so workers read streams in parallel), decoding each row
// through cols: PCollection<features.Account> and PCollection<
// pipelines.DeadLetter> (rows that do not decode, with table, stream and
// row), as pipelines.ReadAccounts gives them from files.
func ReadAccounts(s beam.Scope, c Config, session Session, app string, cols features.AccountColumns) (accounts, dead beam.PCollection) {
	s = s.Scope("bqio.ReadAccounts." + app)
	return beam.ParDo2(s, &readAccountsFn{Config: c, Session: session, App: app, Columns: cols}, beam.Create(s, streamsOf(session)...))
}

// ReadEvents reads an app's events from an open session, as ReadAccounts
// does.
func ReadEvents(s beam.Scope, c Config, session Session, app string, cols features.EventColumns) (events, dead beam.PCollection) {
	s = s.Scope("bqio.ReadEvents." + app)
	return beam.ParDo2(s, &readEventsFn{Config: c, Session: session, App: app, Columns: cols}, beam.Create(s, streamsOf(session)...))
}

func streamsOf(s Session) []any {
	out := []any{}
	for _, st := range s.Streams {
		out = append(out, st)
	}
	return out
}

type readAccountsFn struct {
	Config  Config                  `json:"config"`
	Session Session                 `json:"session"`
	App     string                  `json:"app"`
	Columns features.AccountColumns `json:"columns"`
}

func (f *readAccountsFn) ProcessElement(ctx context.Context, stream string, emit func(features.Account), dead func(pipelines.DeadLetter)) error {
	return f.Config.eachRow(ctx, f.Session, stream, &rowsRead, &rowsBad, dead, func(n int, row features.Row) error {
		a, err := f.Columns.DecodeAccount(f.App, row)
		if err == nil {
			a.Source, a.Line = f.Session.Source.Table+" "+stream, n
			accountsRead.Inc(ctx, 1)
			emit(a)
		}
		return err
	})
}

type readEventsFn struct {
	Config  Config                `json:"config"`
	Session Session               `json:"session"`
	App     string                `json:"app"`
	Columns features.EventColumns `json:"columns"`
}

func (f *readEventsFn) ProcessElement(ctx context.Context, stream string, emit func(features.Event), dead func(pipelines.DeadLetter)) error {
	return f.Config.eachRow(ctx, f.Session, stream, &rowsRead, &rowsBad, dead, func(_ int, row features.Row) error {
		e, err := f.Columns.DecodeEvent(f.App, row)
		if err == nil {
			eventsRead.Inc(ctx, 1)
			emit(e)
		}
		return err
	})
}

// eachRow reads one stream to its end and decodes every row; a row that
// does not decode is a dead letter naming table, stream and row.
func (c Config) eachRow(ctx context.Context, session Session, stream string, read, bad *beam.Counter, dead func(pipelines.DeadLetter), decode func(int, features.Row) error) error {
	fields, err := parseAvroSchema(session.Schema)
	if err != nil {
		return err
	}
	rc, err := c.readClient(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	ctx, cancel := context.WithTimeout(ctx, c.Timeouts.job())
	defer cancel()
	n, reopened := 0, 0
	var rows features.MapRow
	for ; ; reopened++ {
		if reopened > 0 {
			if reopened > 5 {
				return fmt.Errorf("bqio: reading %s: stream %s broke %d times", session.Source.Table, stream, reopened)
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
			return fmt.Errorf("bqio: %s: %w", session.Source.Table, err)
		}
		for {
			resp, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				if Transient(err) || isUnavailable(err) {
					break // reopen at offset n
				}
				return fmt.Errorf("bqio: reading %s: %w", session.Source.Table, err)
			}
			b := resp.GetAvroRows().GetSerializedBinaryRows()
			for range resp.GetRowCount() {
				n++
				count(ctx, read)
				rows = features.MapRow{}
				b, err = decodeAvroRow(b, fields, rows)
				if err == nil {
					err = decode(n, rows)
				}
				if err != nil {
					count(ctx, bad)
					reason := features.ReasonOf(err)
					if reason == "" {
						reason = features.ReasonBadField
					}
					dead(pipelines.DeadLetter{Stage: "read", Source: session.Source.Table + " " + stream, Line: n, Reason: reason, Detail: err.Error(), Rows: 1})
				}
			}
		}
	}
}

func count(ctx context.Context, c *beam.Counter) {
	if c != nil {
		c.Inc(ctx, 1)
	}
}

func isUnavailable(err error) bool {
	return status.Code(err) == codes.Unavailable
}

// avroField is a column of a session's Avro schema.
type avroField struct {
	name     string
	nullable bool   // a union with null first
	typ      string // string, long, int, double, boolean
	logical  string // timestamp-micros, date, or ""
}

func parseAvroSchema(schema string) ([]avroField, error) {
	var rec struct {
		Fields []struct {
			Name string          `json:"name"`
			Type json.RawMessage `json:"type"`
		} `json:"fields"`
	}
	if err := json.Unmarshal([]byte(schema), &rec); err != nil {
		return nil, fmt.Errorf("bqio: Avro schema: %w", err)
	}
	var out []avroField
	for _, f := range rec.Fields {
		af := avroField{name: f.Name}
		t := f.Type
		var union []json.RawMessage
		if json.Unmarshal(t, &union) == nil {
			if len(union) != 2 || string(union[0]) != `"null"` {
				return nil, fmt.Errorf("bqio: Avro field %s: union %s", f.Name, t)
			}
			af.nullable, t = true, union[1]
		}
		var name string
		var logical struct {
			Type        string `json:"type"`
			LogicalType string `json:"logicalType"`
		}
		switch {
		case json.Unmarshal(t, &name) == nil:
			af.typ = name
		case json.Unmarshal(t, &logical) == nil:
			af.typ, af.logical = logical.Type, logical.LogicalType
		default:
			return nil, fmt.Errorf("bqio: Avro field %s: type %s", f.Name, t)
		}
		out = append(out, af)
	}
	return out, nil
}

func readLong(b []byte) (int64, []byte, error) {
	v, n := binary.Varint(b)
	if n <= 0 {
		return 0, nil, fmt.Errorf("bqio: bad Avro long")
	}
	return v, b[n:], nil
}

// decodeAvroRow decodes one row into row, as text a CSV cell would hold,
// and returns the bytes after it.
func decodeAvroRow(b []byte, fields []avroField, row features.MapRow) ([]byte, error) {
	var err error
	for _, f := range fields {
		if f.nullable {
			var branch int64
			if branch, b, err = readLong(b); err != nil {
				return nil, err
			}
			if branch == 0 {
				continue
			}
		}
		switch f.typ {
		case "string", "bytes":
			var n int64
			if n, b, err = readLong(b); err != nil || n < 0 || int(n) > len(b) {
				return nil, fmt.Errorf("bqio: bad Avro string in %s", f.name)
			}
			row[f.name] = string(b[:n])
			b = b[n:]
		case "long", "int":
			var v int64
			if v, b, err = readLong(b); err != nil {
				return nil, err
			}
			switch f.logical {
			case "timestamp-micros":
				row[f.name] = time.UnixMicro(v).UTC().Format(time.RFC3339Nano)
			case "date":
				row[f.name] = time.Unix(v*86400, 0).UTC().Format("2006-01-02")
			default:
				row[f.name] = strconv.FormatInt(v, 10)
			}
		case "double":
			if len(b) < 8 {
				return nil, fmt.Errorf("bqio: short Avro double in %s", f.name)
			}
			row[f.name] = strconv.FormatFloat(math.Float64frombits(binary.LittleEndian.Uint64(b)), 'g', -1, 64)
			b = b[8:]
		case "boolean":
			if len(b) < 1 {
				return nil, fmt.Errorf("bqio: short Avro boolean in %s", f.name)
			}
			row[f.name] = strconv.FormatBool(b[0] != 0)
			b = b[1:]
		default:
			return nil, fmt.Errorf("bqio: Avro type %s of %s", f.typ, f.name)
		}
	}
	return b, nil
}

func init() {
	reg.DoFn4x1[context.Context, string, func(features.Account), func(pipelines.DeadLetter), error](&readAccountsFn{})
	reg.DoFn4x1[context.Context, string, func(features.Event), func(pipelines.DeadLetter), error](&readEventsFn{})
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
	return beam.ParDo(s, &readSeedRowsFn{Config: c, Session: session, List: list}, beam.Create(s, streamsOf(session)...))
}

type readSeedRowsFn struct {
	Config  Config  `json:"config"`
	Session Session `json:"session"`
	List    string  `json:"list"`
}

func (f *readSeedRowsFn) ProcessElement(ctx context.Context, stream string, emit func(pipelines.SeedRow)) error {
	// Seed rows are counted by MatchSeedRows, not as rows read.
	return f.Config.eachRow(ctx, f.Session, stream, nil, nil, func(d pipelines.DeadLetter) {
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
}

func init() {
	reg.DoFn3x1[context.Context, string, func(pipelines.SeedRow), error](&readSeedRowsFn{})
	register.Emitter1[pipelines.SeedRow]()
}
