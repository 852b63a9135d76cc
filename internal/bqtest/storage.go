package bqtest

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	bq "google.golang.org/api/bigquery/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Routes of the Storage Read API, for FailNext (code: a gRPC code number)
// and Calls.
const (
	RouteCreateReadSession = "storage.CreateReadSession"
	RouteReadRows          = "storage.ReadRows"
)

// rowsPerResponse is how many rows one ReadRows response carries.
const rowsPerResponse = 1000

// StartStorageRead starts the BigQuery Storage Read API (gRPC, plain
// TCP on loopback) beside the REST server and returns its address, for
// option.WithEndpoint with insecure transport credentials. It serves
// Arrow, as BigQuery maps its types (INTEGER int64, FLOAT float64, BOOLEAN
// bool, TIMESTAMP timestamp[us, UTC], DATE date32, NUMERIC
// decimal128(38, 9), the rest utf8): sessions honour the selected fields and a row restriction of
// comparisons (=, !=, <, <=, >, >=, IN) joined by AND, and split the rows
// over up to MaxStreamCount streams (default 4).
func (s *Server) StartStorageRead() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	g := grpc.NewServer()
	storagepb.RegisterBigQueryReadServer(g, &readServer{s: s, streams: map[string][]Row{}, fields: map[string][]*bq.TableFieldSchema{}})
	go g.Serve(lis)
	s.stops = append(s.stops, g.Stop)
	return lis.Addr().String(), nil
}

type readServer struct {
	storagepb.UnimplementedBigQueryReadServer
	s       *Server
	mu      sync.Mutex
	next    int
	streams map[string][]Row                  // stream name → its rows
	fields  map[string][]*bq.TableFieldSchema // stream name → selected fields
}

func (s *Server) grpcFailure(route string) error {
	if e := s.injected(route); e != nil {
		return status.Error(codes.Code(e.code), e.message)
	}
	return nil
}

var reTablePath = regexp.MustCompile(`^projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)$`)

func (r *readServer) CreateReadSession(ctx context.Context, req *storagepb.CreateReadSessionRequest) (*storagepb.ReadSession, error) {
	if err := r.s.grpcFailure(RouteCreateReadSession); err != nil {
		return nil, err
	}
	rs := req.GetReadSession()
	m := reTablePath.FindStringSubmatch(rs.GetTable())
	if m == nil {
		return nil, status.Errorf(codes.InvalidArgument, "table %q is not projects/*/datasets/*/tables/*", rs.GetTable())
	}
	if rs.GetDataFormat() != storagepb.DataFormat_ARROW {
		return nil, status.Errorf(codes.InvalidArgument, "data format %s: this server serves ARROW", rs.GetDataFormat())
	}
	r.s.mu.Lock()
	d := r.s.dataset(m[1], m[2], false)
	var t *table
	if d != nil {
		t = d.tables[m[3]]
	}
	if t == nil {
		r.s.mu.Unlock()
		return nil, status.Errorf(codes.NotFound, "Not found: Table %s:%s.%s", m[1], m[2], m[3])
	}
	var all []Row
	for _, p := range slices.Sorted(keys(t.rows)) {
		all = append(all, t.rows[p]...)
	}
	schema := t.meta.Schema
	r.s.mu.Unlock()

	fields := schema.Fields
	if sel := rs.GetReadOptions().GetSelectedFields(); len(sel) > 0 {
		fields = nil
		for _, name := range sel {
			i := slices.IndexFunc(schema.Fields, func(f *bq.TableFieldSchema) bool { return f.Name == name })
			if i < 0 {
				return nil, status.Errorf(codes.InvalidArgument, "selected field %s is not in table %s", name, m[3])
			}
			fields = append(fields, schema.Fields[i])
		}
	}
	keep, err := restriction(rs.GetReadOptions().GetRowRestriction(), schema.Fields)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "row restriction: %v", err)
	}
	var rows []Row
	for _, row := range all {
		if keep(row) {
			rows = append(rows, row)
		}
	}
	n := int(req.GetMaxStreamCount())
	if n <= 0 || n > 4 {
		n = 4
	}
	n = max(1, min(n, len(rows)))
	serialized, err := serializeSchema(arrowSchema(fields))
	if err != nil {
		return nil, status.Errorf(codes.Internal, "%v", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	name := fmt.Sprintf("projects/%s/locations/eu/sessions/s%d", m[1], r.next)
	out := &storagepb.ReadSession{Name: name, Table: rs.GetTable(), DataFormat: storagepb.DataFormat_ARROW,
		Schema: &storagepb.ReadSession_ArrowSchema{ArrowSchema: &storagepb.ArrowSchema{SerializedSchema: serialized}}}
	for i := range n {
		sn := fmt.Sprintf("%s/streams/%d", name, i)
		var part []Row
		for j := i; j < len(rows); j += n {
			part = append(part, rows[j])
		}
		r.streams[sn], r.fields[sn] = part, fields
		out.Streams = append(out.Streams, &storagepb.ReadStream{Name: sn})
	}
	return out, nil
}

func (r *readServer) ReadRows(req *storagepb.ReadRowsRequest, stream storagepb.BigQueryRead_ReadRowsServer) error {
	if err := r.s.grpcFailure(RouteReadRows); err != nil {
		return err
	}
	r.mu.Lock()
	rows, ok := r.streams[req.GetReadStream()]
	fields := r.fields[req.GetReadStream()]
	r.mu.Unlock()
	if !ok {
		return status.Errorf(codes.NotFound, "no read stream %s", req.GetReadStream())
	}
	off := int(req.GetOffset())
	if off < 0 || off > len(rows) {
		return status.Errorf(codes.OutOfRange, "offset %d of a stream of %d rows", off, len(rows))
	}
	schema := arrowSchema(fields)
	for start := off; start < len(rows); start += rowsPerResponse {
		end := min(len(rows), start+rowsPerResponse)
		batch, err := serializeBatch(schema, fields, rows[start:end])
		if err != nil {
			return status.Errorf(codes.Internal, "%v", err)
		}
		if err := stream.Send(&storagepb.ReadRowsResponse{RowCount: int64(end - start),
			Rows: &storagepb.ReadRowsResponse_ArrowRecordBatch{ArrowRecordBatch: &storagepb.ArrowRecordBatch{SerializedRecordBatch: batch}}}); err != nil {
			return err
		}
	}
	return nil
}

func parseTimestamp(s string) (time.Time, error) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil { // seconds, as tabledata gives them
		return time.UnixMicro(int64(x * 1e6)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp", s)
}

var (
	reCmp    = regexp.MustCompile(`(?is)^(\w+)\s*(=|!=|<>|<=|>=|<|>)\s*(?:(DATE|TIMESTAMP)\s+)?('([^']*)'|-?[0-9.]+|TRUE|FALSE)$`)
	reInList = regexp.MustCompile(`(?is)^(\w+)\s+IN\s*\((.*)\)$`)
)

// restriction compiles a row restriction: comparisons of a column with a
// literal, or IN a list of literals, joined by AND.
func restriction(expr string, schema []*bq.TableFieldSchema) (func(Row) bool, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return func(Row) bool { return true }, nil
	}
	types := map[string]string{}
	for _, f := range schema {
		types[f.Name] = f.Type
	}
	var tests []func(Row) bool
	for _, part := range regexp.MustCompile(`(?i)\s+AND\s+`).Split(expr, -1) {
		part = strings.Trim(strings.TrimSpace(part), "()")
		if m := reInList.FindStringSubmatch(part); m != nil {
			col := m[1]
			if types[col] == "" {
				return nil, fmt.Errorf("unrecognized name: %s", col)
			}
			var vals []string
			for _, v := range reStr.FindAllStringSubmatch(m[2], -1) {
				vals = append(vals, v[1])
			}
			tests = append(tests, func(r Row) bool { return slices.Contains(vals, fmt.Sprint(r[col])) })
			continue
		}
		m := reCmp.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("cannot parse %q", part)
		}
		col, op, lit := m[1], m[2], m[4]
		if m[5] != "" || strings.HasPrefix(lit, "'") {
			lit = m[5]
		}
		typ := types[col]
		if typ == "" {
			return nil, fmt.Errorf("unrecognized name: %s", col)
		}
		tests = append(tests, func(r Row) bool {
			v := r[col]
			if v == nil {
				return false
			}
			c, ok := compare(typ, v, lit)
			if !ok {
				return false
			}
			switch op {
			case "=":
				return c == 0
			case "!=", "<>":
				return c != 0
			case "<":
				return c < 0
			case "<=":
				return c <= 0
			case ">":
				return c > 0
			}
			return c >= 0
		})
	}
	return func(r Row) bool {
		for _, t := range tests {
			if !t(r) {
				return false
			}
		}
		return true
	}, nil
}

func compare(typ string, v any, lit string) (int, bool) {
	text := fmt.Sprint(v)
	switch typ {
	case "INTEGER", "INT64", "FLOAT", "FLOAT64":
		a, err1 := strconv.ParseFloat(text, 64)
		b, err2 := strconv.ParseFloat(lit, 64)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		return cmpFloat(a, b), true
	case "TIMESTAMP", "DATE":
		a, err1 := parseTimestamp(text)
		b, err2 := parseTimestamp(lit)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		return a.Compare(b), true
	}
	return strings.Compare(text, lit), true
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
