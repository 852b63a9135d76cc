package bqtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bq "google.golang.org/api/bigquery/v2"
)

// Server is an in-process BigQuery. Its zero value is not usable: call
// NewServer.
type Server struct {
	URL string // the endpoint to give the client

	srv      *httptest.Server
	mu       sync.Mutex
	datasets map[string]*dataset // "project.dataset"
	jobs     map[string]*bq.Job  // "project.jobID"
	failures []*failure
	calls    map[string]int // "METHOD route" → count
	nextJob  int
	stops    []func()          // of the gRPC servers
	objects  map[string][]byte // "bucket/object" → bytes (gcs.go)
	uploads  map[string]string // resumable upload id → "bucket/object"
	partial  map[string][]byte // resumable upload id → bytes so far
}

type dataset struct {
	meta   *bq.Dataset
	tables map[string]*table
}

type table struct {
	meta *bq.Table
	rows map[string][]Row // partition id ("" when unpartitioned) → rows
}

// Row is one table row: column name → value, as JSON decodes it (string,
// float64, bool, nil, or nested for RECORD).
type Row map[string]any

type failure struct {
	route  string
	left   int
	code   int
	reason string
}

// NewServer starts a server; Close it when done.
func NewServer() *Server {
	s := &Server{datasets: map[string]*dataset{}, jobs: map[string]*bq.Job{}, calls: map[string]int{},
		objects: map[string][]byte{}, uploads: map[string]string{}, partial: map[string][]byte{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() {
	s.srv.Close()
	for _, stop := range s.stops {
		stop()
	}
}

// Routes name the calls FailNext and Calls take.
const (
	RouteDatasetGet    = "datasets.get"
	RouteDatasetInsert = "datasets.insert"
	RouteTableGet      = "tables.get"
	RouteTableInsert   = "tables.insert"
	RouteTablePatch    = "tables.patch"
	RouteTableDelete   = "tables.delete"
	RouteTableData     = "tabledata.list"
	RouteJobInsert     = "jobs.insert"
	RouteJobGet        = "jobs.get"
	// RouteLoadJob fails a load job itself (the insert succeeds and the
	// job ends DONE with an errorResult), as BigQuery reports a load that
	// went wrong.
	RouteLoadJob = "load"
)

// FailNext makes the next n calls of route fail with an HTTP status code
// and a BigQuery error reason (backendError, quotaExceeded, ...). For
// RouteLoadJob, code is ignored and the job ends with the reason.
func (s *Server) FailNext(route string, n, code int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &failure{route: route, left: n, code: code, reason: reason})
}

// ClearFailures forgets the failures FailNext asked for that have not
// happened yet.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = nil
}

// Calls says how many calls of route the server has had.
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// CreateTable creates a table (and its dataset) with a schema, for a test
// to fill with PutRows.
func (s *Server) CreateTable(project, datasetID, tableID string, schema *bq.TableSchema) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dataset(project, datasetID, true)
	d.tables[tableID] = &table{meta: &bq.Table{TableReference: &bq.TableReference{ProjectId: project, DatasetId: datasetID, TableId: tableID},
		Schema: schema, Type: "TABLE"}, rows: map[string][]Row{}}
}

// PutRows appends rows to a table's partition ("" for an unpartitioned
// table).
func (s *Server) PutRows(project, datasetID, tableID, partition string, rows ...Row) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.dataset(project, datasetID, true).tables[tableID]
	t.rows[partition] = append(t.rows[partition], rows...)
}

// Rows returns a table's rows, every partition, in partition order; nil
// for a table that does not exist.
func (s *Server) Rows(project, datasetID, tableID string) []Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dataset(project, datasetID, false)
	if d == nil || d.tables[tableID] == nil {
		return nil
	}
	t := d.tables[tableID]
	var out []Row
	for _, p := range slices.Sorted(keys(t.rows)) {
		out = append(out, t.rows[p]...)
	}
	return out
}

// Table returns a table's metadata; nil when it does not exist.
func (s *Server) Table(project, datasetID, tableID string) *bq.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dataset(project, datasetID, false)
	if d == nil || d.tables[tableID] == nil {
		return nil
	}
	return d.tables[tableID].meta
}

// TableIDs lists a dataset's tables.
func (s *Server) TableIDs(project, datasetID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dataset(project, datasetID, false)
	if d == nil {
		return nil
	}
	return slices.Sorted(keys(d.tables))
}

func keys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (s *Server) dataset(project, id string, create bool) *dataset {
	k := project + "." + id
	d := s.datasets[k]
	if d == nil && create {
		d = &dataset{meta: &bq.Dataset{DatasetReference: &bq.DatasetReference{ProjectId: project, DatasetId: id}}, tables: map[string]*table{}}
		s.datasets[k] = d
	}
	return d
}

// apiError is BigQuery's error body.
type apiError struct {
	code    int
	reason  string
	message string
}

func (e *apiError) Error() string { return e.message }

func errf(code int, reason, format string, args ...any) *apiError {
	return &apiError{code, reason, fmt.Sprintf(format, args...)}
}

var statusNames = map[int]string{400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 409: "ALREADY_EXISTS",
	429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(e.code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": e.code, "message": e.message, "status": statusNames[e.code],
		"errors": []map[string]string{{"domain": "global", "reason": e.reason, "message": e.message}},
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}

var (
	reDataset   = regexp.MustCompile(`^/projects/([^/]+)/datasets(?:/([^/]+))?$`)
	reTable     = regexp.MustCompile(`^/projects/([^/]+)/datasets/([^/]+)/tables(?:/([^/]+))?$`)
	reTableData = regexp.MustCompile(`^/projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)/data$`)
	reJobs      = regexp.MustCompile(`^/projects/([^/]+)/jobs(?:/([^/]+))?$`)
	reQueries   = regexp.MustCompile(`^/projects/([^/]+)/queries/([^/]+)$`)
)

// RouteQueryResults is jobs.getQueryResults, which the client polls for a
// query job.
const RouteQueryResults = "jobs.getQueryResults"

// route names a request, for failure injection and counts.
func route(r *http.Request, path string) string {
	switch {
	case reTableData.MatchString(path):
		return RouteTableData
	case reTable.MatchString(path):
		m := reTable.FindStringSubmatch(path)
		switch {
		case r.Method == http.MethodPost:
			return RouteTableInsert
		case r.Method == http.MethodPatch || r.Method == http.MethodPut:
			return RouteTablePatch
		case r.Method == http.MethodDelete:
			return RouteTableDelete
		case m[3] != "":
			return RouteTableGet
		}
		return "tables.list"
	case reDataset.MatchString(path):
		if r.Method == http.MethodPost {
			return RouteDatasetInsert
		}
		return RouteDatasetGet
	case reQueries.MatchString(path):
		return RouteQueryResults
	case reJobs.MatchString(path):
		if r.Method == http.MethodPost {
			return RouteJobInsert
		}
		return RouteJobGet
	}
	return r.Method + " " + path
}

func (s *Server) injected(rt string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[rt]++
	for _, f := range s.failures {
		if f.route == rt && f.left > 0 {
			f.left--
			return errf(f.code, f.reason, "injected failure of %s (%s)", rt, f.reason)
		}
	}
	return nil
}

// loadFailure takes one injected failure of a load job.
func (s *Server) loadFailure() string {
	s.calls[RouteLoadJob]++
	for _, f := range s.failures {
		if f.route == RouteLoadJob && f.left > 0 {
			f.left--
			return f.reason
		}
	}
	return ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if s.isGCS(path) {
		s.serveGCS(w, r)
		return
	}
	upload := strings.HasPrefix(path, "/upload/")
	path = strings.TrimPrefix(path, "/upload")
	path = strings.TrimPrefix(path, "/bigquery/v2")
	rt := route(r, path)
	if e := s.injected(rt); e != nil {
		writeError(w, e)
		return
	}
	var v any
	var err *apiError
	switch {
	case upload:
		v, err = s.insertJobWithMedia(r)
	case rt == RouteTableData:
		v, err = s.listData(r, reTableData.FindStringSubmatch(path))
	case reTable.MatchString(path):
		v, err = s.tables(r, reTable.FindStringSubmatch(path))
	case reDataset.MatchString(path):
		v, err = s.datasetsCall(r, reDataset.FindStringSubmatch(path))
	case rt == RouteJobInsert:
		var job bq.Job
		if e := json.NewDecoder(r.Body).Decode(&job); e != nil {
			err = errf(400, "invalid", "bad job: %v", e)
			break
		}
		v, err = s.runJob(reJobs.FindStringSubmatch(path)[1], &job, nil)
	case rt == RouteQueryResults:
		m := reQueries.FindStringSubmatch(path)
		s.mu.Lock()
		j := s.jobs[m[1]+"."+m[2]]
		s.mu.Unlock()
		switch {
		case j == nil:
			err = errf(404, "notFound", "Not found: Job %s:%s", m[1], m[2])
		case j.Status.ErrorResult != nil:
			err = errf(400, j.Status.ErrorResult.Reason, "%s", j.Status.ErrorResult.Message)
		default:
			v = map[string]any{"kind": "bigquery#getQueryResultsResponse", "jobReference": j.JobReference,
				"jobComplete": true, "totalRows": "0", "schema": map[string]any{"fields": []any{}}}
		}
	case rt == RouteJobGet:
		m := reJobs.FindStringSubmatch(path)
		s.mu.Lock()
		j := s.jobs[m[1]+"."+m[2]]
		s.mu.Unlock()
		if j == nil {
			err = errf(404, "notFound", "Not found: Job %s:%s", m[1], m[2])
		} else {
			v = j
		}
	default:
		err = errf(404, "notFound", "no such method: %s %s", r.Method, r.URL.Path)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if v == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, v)
}

func (s *Server) datasetsCall(r *http.Request, m []string) (any, *apiError) {
	project, id := m[1], m[2]
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		d := s.dataset(project, id, false)
		if d == nil {
			return nil, errf(404, "notFound", "Not found: Dataset %s:%s", project, id)
		}
		return d.meta, nil
	case http.MethodPost:
		var ds bq.Dataset
		if e := json.NewDecoder(r.Body).Decode(&ds); e != nil || ds.DatasetReference == nil {
			return nil, errf(400, "invalid", "bad dataset")
		}
		if s.dataset(project, ds.DatasetReference.DatasetId, false) != nil {
			return nil, errf(409, "duplicate", "Already Exists: Dataset %s:%s", project, ds.DatasetReference.DatasetId)
		}
		ds.DatasetReference.ProjectId = project
		d := s.dataset(project, ds.DatasetReference.DatasetId, true)
		d.meta = &ds
		return &ds, nil
	}
	return nil, errf(400, "invalid", "unsupported %s on datasets", r.Method)
}

func (s *Server) tables(r *http.Request, m []string) (any, *apiError) {
	project, dsID, id := m[1], m[2], m[3]
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dataset(project, dsID, false)
	if d == nil {
		return nil, errf(404, "notFound", "Not found: Dataset %s:%s", project, dsID)
	}
	switch r.Method {
	case http.MethodGet:
		t := d.tables[id]
		if t == nil {
			return nil, errf(404, "notFound", "Not found: Table %s:%s.%s", project, dsID, id)
		}
		return s.withStats(t), nil
	case http.MethodPost:
		var tb bq.Table
		if e := json.NewDecoder(r.Body).Decode(&tb); e != nil || tb.TableReference == nil {
			return nil, errf(400, "invalid", "bad table")
		}
		id := tb.TableReference.TableId
		if d.tables[id] != nil {
			return nil, errf(409, "duplicate", "Already Exists: Table %s:%s.%s", project, dsID, id)
		}
		tb.TableReference.ProjectId, tb.TableReference.DatasetId = project, dsID
		tb.Type = "TABLE"
		if tb.View != nil {
			tb.Type = "VIEW"
		}
		tb.CreationTime = time.Now().UnixMilli()
		d.tables[id] = &table{meta: &tb, rows: map[string][]Row{}}
		return &tb, nil
	case http.MethodPatch, http.MethodPut:
		t := d.tables[id]
		if t == nil {
			return nil, errf(404, "notFound", "Not found: Table %s:%s.%s", project, dsID, id)
		}
		var tb bq.Table
		if e := json.NewDecoder(r.Body).Decode(&tb); e != nil {
			return nil, errf(400, "invalid", "bad table")
		}
		if tb.Schema != nil {
			t.meta.Schema = tb.Schema
		}
		if tb.View != nil {
			t.meta.View = tb.View
		}
		if tb.Description != "" {
			t.meta.Description = tb.Description
		}
		return s.withStats(t), nil
	case http.MethodDelete:
		if d.tables[id] == nil {
			return nil, errf(404, "notFound", "Not found: Table %s:%s.%s", project, dsID, id)
		}
		delete(d.tables, id)
		return nil, nil
	}
	return nil, errf(400, "invalid", "unsupported %s on tables", r.Method)
}

func (s *Server) withStats(t *table) *bq.Table {
	n := 0
	for _, rs := range t.rows {
		n += len(rs)
	}
	cp := *t.meta
	cp.NumRows = uint64(n)
	return &cp
}

// listData serves tabledata.list: rows as {"f": [{"v": ...}]} in schema
// order, every value as BigQuery gives it (numbers and booleans as
// strings), paged by maxResults and pageToken.
func (s *Server) listData(r *http.Request, m []string) (any, *apiError) {
	project, dsID, id := m[1], m[2], m[3]
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dataset(project, dsID, false)
	if d == nil || d.tables[id] == nil {
		return nil, errf(404, "notFound", "Not found: Table %s:%s.%s", project, dsID, id)
	}
	t := d.tables[id]
	var all []Row
	for _, p := range slices.Sorted(keys(t.rows)) {
		all = append(all, t.rows[p]...)
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("pageToken"))
	size, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
	if size <= 0 {
		size = 10000
	}
	end := min(len(all), start+size)
	out := map[string]any{"kind": "bigquery#tableDataList", "totalRows": strconv.Itoa(len(all))}
	var rows []map[string]any
	for _, row := range all[start:end] {
		rows = append(rows, encodeRow(t.meta.Schema.Fields, row))
	}
	out["rows"] = rows
	if end < len(all) {
		out["pageToken"] = strconv.Itoa(end)
	}
	return out, nil
}

func encodeRow(fields []*bq.TableFieldSchema, row Row) map[string]any {
	var cells []map[string]any
	for _, f := range fields {
		cells = append(cells, map[string]any{"v": encodeValue(f, row[f.Name])})
	}
	return map[string]any{"f": cells}
}

func encodeValue(f *bq.TableFieldSchema, v any) any {
	if v == nil {
		return nil
	}
	if f.Mode == "REPEATED" {
		list, _ := v.([]any)
		var out []map[string]any
		one := *f
		one.Mode = ""
		for _, x := range list {
			out = append(out, map[string]any{"v": encodeValue(&one, x)})
		}
		return out
	}
	if f.Type == "RECORD" || f.Type == "STRUCT" {
		m, _ := v.(map[string]any)
		return encodeRow(f.Fields, m)
	}
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		if f.Type == "TIMESTAMP" {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// insertJobWithMedia reads a multipart upload: the job, then the data.
func (s *Server) insertJobWithMedia(r *http.Request) (any, *apiError) {
	m := reJobs.FindStringSubmatch(strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/upload"), "/bigquery/v2"))
	if m == nil {
		return nil, errf(404, "notFound", "no upload route %s", r.URL.Path)
	}
	if t := r.URL.Query().Get("uploadType"); t != "multipart" {
		return nil, errf(400, "invalid", "uploadType %q: this server takes multipart uploads (set googleapi.ChunkSize(0))", t)
	}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, errf(400, "invalid", "content type: %v", err)
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	part, err := mr.NextPart()
	if err != nil {
		return nil, errf(400, "invalid", "no job part: %v", err)
	}
	var job bq.Job
	if err := json.NewDecoder(part).Decode(&job); err != nil {
		return nil, errf(400, "invalid", "bad job: %v", err)
	}
	data, err := mr.NextPart()
	if err != nil {
		return nil, errf(400, "invalid", "no data part: %v", err)
	}
	body, err := io.ReadAll(data)
	if err != nil {
		return nil, errf(400, "invalid", "data: %v", err)
	}
	return s.runJob(m[1], &job, body)
}

// runJob runs a job to completion and records it; a job that fails is
// DONE with an errorResult, as BigQuery reports it.
func (s *Server) runJob(project string, job *bq.Job, media []byte) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if job.JobReference == nil {
		job.JobReference = &bq.JobReference{}
	}
	job.JobReference.ProjectId = project
	if job.JobReference.JobId == "" {
		s.nextJob++
		job.JobReference.JobId = fmt.Sprintf("job_%d", s.nextJob)
	}
	key := project + "." + job.JobReference.JobId
	if s.jobs[key] != nil {
		return nil, errf(409, "duplicate", "Already Exists: Job %s", key)
	}
	var jerr *apiError
	switch {
	case job.Configuration == nil:
		jerr = errf(400, "invalid", "a job without configuration")
	case job.Configuration.Load != nil:
		if reason := s.loadFailure(); reason != "" {
			jerr = errf(500, reason, "injected failure of the load job (%s)", reason)
		} else {
			jerr = s.load(job.Configuration.Load, media)
		}
	case job.Configuration.Copy != nil:
		jerr = s.copyTables(job.Configuration.Copy)
	case job.Configuration.Query != nil:
		jerr = s.script(project, job.Configuration.Query.Query)
	default:
		jerr = errf(400, "invalid", "unsupported job type")
	}
	job.Status = &bq.JobStatus{State: "DONE"}
	if jerr != nil {
		ep := &bq.ErrorProto{Reason: jerr.reason, Message: jerr.message}
		job.Status.ErrorResult, job.Status.Errors = ep, []*bq.ErrorProto{ep}
	}
	job.Statistics = &bq.JobStatistics{CreationTime: time.Now().UnixMilli(), StartTime: time.Now().UnixMilli(), EndTime: time.Now().UnixMilli()}
	s.jobs[key] = job
	return job, nil
}

// target resolves a destination table, creating it when the disposition
// allows, and splits off a partition decorator.
func (s *Server) target(ref *bq.TableReference, schema *bq.TableSchema, create string) (*table, string, *apiError) {
	id, partition, _ := strings.Cut(ref.TableId, "$")
	d := s.dataset(ref.ProjectId, ref.DatasetId, false)
	if d == nil {
		return nil, "", errf(404, "notFound", "Not found: Dataset %s:%s", ref.ProjectId, ref.DatasetId)
	}
	t := d.tables[id]
	if t == nil {
		if create == "CREATE_NEVER" || schema == nil {
			return nil, "", errf(404, "notFound", "Not found: Table %s:%s.%s", ref.ProjectId, ref.DatasetId, id)
		}
		t = &table{meta: &bq.Table{TableReference: &bq.TableReference{ProjectId: ref.ProjectId, DatasetId: ref.DatasetId, TableId: id},
			Schema: schema, Type: "TABLE"}, rows: map[string][]Row{}}
		d.tables[id] = t
	}
	if partition != "" && t.meta.TimePartitioning == nil {
		return nil, "", errf(400, "invalid", "partition decorator on the unpartitioned table %s", id)
	}
	return t, partition, nil
}

// partitionOf is a row's day partition id (YYYYMMDD) by the table's
// partitioning field; "" when the table is not partitioned.
func partitionOf(t *table, row Row) (string, *apiError) {
	tp := t.meta.TimePartitioning
	if tp == nil {
		return "", nil
	}
	if tp.Field == "" {
		return time.Now().UTC().Format("20060102"), nil
	}
	v, _ := row[tp.Field].(string)
	if len(v) < 10 {
		return "", errf(400, "invalid", "partitioning field %s: %q is not a date", tp.Field, v)
	}
	return strings.ReplaceAll(v[:10], "-", ""), nil
}

func (s *Server) load(cfg *bq.JobConfigurationLoad, media []byte) *apiError {
	if len(cfg.SourceUris) > 0 {
		if len(media) > 0 {
			return errf(400, "invalid", "both source URIs and an upload")
		}
		var e *apiError
		if media, e = s.readURIs(cfg.SourceUris); e != nil {
			return e
		}
	}
	if f := cfg.SourceFormat; f != "" && f != "NEWLINE_DELIMITED_JSON" {
		return errf(400, "invalid", "source format %s: this server loads NEWLINE_DELIMITED_JSON", f)
	}
	t, partition, e := s.target(cfg.DestinationTable, cfg.Schema, cfg.CreateDisposition)
	if e != nil {
		return e
	}
	var rows []Row
	sc := bufio.NewScanner(bytes.NewReader(media))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		var row Row
		if err := dec.Decode(&row); err != nil {
			return errf(400, "invalid", "Error while reading data, error message: JSON parsing error in row starting at position %d: %v", line, err)
		}
		if err := checkRow(t.meta.Schema, row, cfg.IgnoreUnknownValues); err != nil {
			return errf(400, "invalid", "Error while reading data, error message: row %d: %v", line, err)
		}
		p, e := partitionOf(t, row)
		if e != nil {
			return e
		}
		if partition != "" && p != partition {
			return errf(400, "invalid", "row %d is in partition %s, not the destination's %s", line, p, partition)
		}
		rows = append(rows, row)
	}
	return s.write(t, partition, rows, cfg.WriteDisposition)
}

// write applies a write disposition to a table or one partition of it.
func (s *Server) write(t *table, partition string, rows []Row, disposition string) *apiError {
	empty := true
	for p, rs := range t.rows {
		if (partition == "" || p == partition) && len(rs) > 0 {
			empty = false
		}
	}
	switch disposition {
	case "WRITE_EMPTY":
		if !empty {
			return errf(400, "duplicate", "Already Exists: the destination is not empty")
		}
	case "WRITE_TRUNCATE":
		if partition == "" {
			t.rows = map[string][]Row{}
		} else {
			delete(t.rows, partition)
		}
	case "", "WRITE_APPEND":
	default:
		return errf(400, "invalid", "write disposition %s", disposition)
	}
	for _, row := range rows {
		p, _ := partitionOf(t, row)
		t.rows[p] = append(t.rows[p], row)
	}
	return nil
}

// checkRow refuses a row with a column the schema lacks or a required
// column missing.
func checkRow(schema *bq.TableSchema, row Row, ignoreUnknown bool) error {
	if schema == nil {
		return fmt.Errorf("the table has no schema")
	}
	names := map[string]*bq.TableFieldSchema{}
	for _, f := range schema.Fields {
		names[f.Name] = f
		if f.Mode == "REQUIRED" && row[f.Name] == nil {
			return fmt.Errorf("missing required field: %s", f.Name)
		}
	}
	for k := range row {
		if names[k] == nil {
			if ignoreUnknown {
				delete(row, k)
				continue
			}
			return fmt.Errorf("no such field: %s", k)
		}
	}
	return nil
}

func (s *Server) copyTables(cfg *bq.JobConfigurationTableCopy) *apiError {
	srcs := cfg.SourceTables
	if cfg.SourceTable != nil {
		srcs = append(srcs, cfg.SourceTable)
	}
	var rows []Row
	var schema *bq.TableSchema
	for _, ref := range srcs {
		d := s.dataset(ref.ProjectId, ref.DatasetId, false)
		if d == nil || d.tables[ref.TableId] == nil {
			return errf(404, "notFound", "Not found: Table %s:%s.%s", ref.ProjectId, ref.DatasetId, ref.TableId)
		}
		src := d.tables[ref.TableId]
		schema = src.meta.Schema
		for _, p := range slices.Sorted(keys(src.rows)) {
			rows = append(rows, src.rows[p]...)
		}
	}
	t, partition, e := s.target(cfg.DestinationTable, schema, cfg.CreateDisposition)
	if e != nil {
		return e
	}
	return s.write(t, partition, rows, cfg.WriteDisposition)
}
