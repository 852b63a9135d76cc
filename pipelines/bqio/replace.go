package bqio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// Config says where sosie's BigQuery tables are and how to reach them.
type Config struct {
	Project  string `json:"project"`
	Dataset  string `json:"dataset"`
	Location string `json:"location,omitempty"` // e.g. EU; the dataset's, when sosie creates it
	// TempDir holds the shards before they are loaded: a local directory
	// (prism, one machine) or a gs://bucket/prefix, which workers that
	// share no disk need (Dataflow); BigQuery then loads the shards from
	// Cloud Storage by URI.
	TempDir string `json:"temp_dir"`
	// Endpoint, when set, is used instead of BigQuery's, without
	// authentication: an emulator or the tests' in-process server.
	// Otherwise the client uses Application Default Credentials.
	Endpoint string `json:"endpoint,omitempty"`
	// ReadEndpoint, when set, is the Storage Read API's (host:port),
	// dialled without TLS or authentication.
	ReadEndpoint string `json:"read_endpoint,omitempty"`
	// Retry bounds the retries of a transient failure (a 5xx, a rate
	// limit, a backend error): Attempts tries, waiting Initial, then twice
	// as long each time. Zero values mean 5 tries from 1 s.
	Retry Retry `json:"retry"`
	// Timeouts bound each call, so an unreachable endpoint fails a run
	// instead of hanging it.
	Timeouts Timeouts `json:"timeouts"`
}

// Timeouts bound the calls to BigQuery and the Storage Read API. Call
// bounds one attempt of an API call (a table's metadata, a job's insert
// or status, a read session): the Google clients retry a refused
// connection until their context ends, so an attempt that runs out of
// time is not tried again, and the error names the endpoint that did not
// answer. Job bounds a whole load or query job, waiting included, and one
// stream's read. Zero values mean 30 s and 30 min.
type Timeouts struct {
	Call time.Duration `json:"call,omitempty"`
	Job  time.Duration `json:"job,omitempty"`
}

func (t Timeouts) call() time.Duration {
	if t.Call > 0 {
		return t.Call
	}
	return 30 * time.Second
}

func (t Timeouts) job() time.Duration {
	if t.Job > 0 {
		return t.Job
	}
	return 30 * time.Minute
}

// endpoint names where the BigQuery API calls go.
func (c Config) endpoint() string {
	if c.Endpoint != "" {
		return "BigQuery at " + c.Endpoint
	}
	return "BigQuery (bigquery.googleapis.com)"
}

// readEndpoint names where the Storage Read API calls go.
func (c Config) readEndpoint() string {
	if c.ReadEndpoint != "" {
		return "the BigQuery Storage Read API at " + c.ReadEndpoint
	}
	return "the BigQuery Storage Read API (bigquerystorage.googleapis.com)"
}

// ErrUnreachable says an endpoint did not answer a call in time.
var ErrUnreachable = errors.New("did not answer")

// Retry is a backoff policy.
type Retry struct {
	Attempts int           `json:"attempts,omitempty"`
	Initial  time.Duration `json:"initial,omitempty"`
}

// NewClient builds the BigQuery client for c, with opts after the ones c
// implies.
func NewClient(ctx context.Context, c Config, opts ...option.ClientOption) (*bigquery.Client, error) {
	if c.Endpoint != "" {
		opts = append([]option.ClientOption{option.WithEndpoint(c.Endpoint), option.WithoutAuthentication()}, opts...)
	}
	cl, err := bigquery.NewClient(ctx, c.Project, opts...)
	if err != nil {
		return nil, fmt.Errorf("bqio: %w", err)
	}
	if c.Location != "" {
		cl.Location = c.Location
	}
	return cl, nil
}

// Transient says whether err is worth retrying: a 5xx, a 429, or a
// backendError, internalError or rateLimitExceeded reason, as an HTTP
// error or as a job's error result. quotaExceeded is not: it lasts.
func Transient(err error) bool {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		if ge.Code >= 500 || ge.Code == 429 {
			return true
		}
		for _, e := range ge.Errors {
			if transientReason(e.Reason) {
				return true
			}
		}
		return false
	}
	var be *bigquery.Error
	if errors.As(err, &be) {
		return transientReason(be.Reason)
	}
	return false
}

func transientReason(r string) bool {
	return r == "backendError" || r == "internalError" || r == "rateLimitExceeded" || r == "jobBackendError"
}

// retry runs op until it succeeds, fails for good, or runs out of tries;
// each try gets a context that ends after limit. A try that runs out of
// time is not tried again: the endpoint (where, for the error) did not
// answer.
func (c Config) retry(ctx context.Context, what, where string, limit time.Duration, op func(context.Context) error) error {
	attempts, wait := c.Retry.Attempts, c.Retry.Initial
	if attempts <= 0 {
		attempts = 5
	}
	if wait <= 0 {
		wait = time.Second
	}
	var err error
	for i := 1; ; i++ {
		actx, cancel := context.WithTimeout(ctx, limit)
		err = op(actx)
		timedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err != nil && timedOut {
			return fmt.Errorf("bqio: %s: %s %w within %s: %w", what, where, ErrUnreachable, limit, err)
		}
		if err == nil || !Transient(err) {
			break
		}
		if i == attempts {
			return fmt.Errorf("bqio: %s: %d tries: %w", what, attempts, err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait *= 2
	}
	if err != nil {
		return fmt.Errorf("bqio: %s: %w", what, err)
	}
	return nil
}

// EnsureTable creates the dataset and the table when absent, with the
// table's schema, day partitioning on run_date and clustering. An
// existing table must have every column of the schema.
func (c Config) EnsureTable(ctx context.Context, cl *bigquery.Client, t Table) error {
	ds := cl.Dataset(c.Dataset)
	err := c.retry(ctx, "dataset "+c.Dataset, c.endpoint(), c.Timeouts.call(), func(ctx context.Context) error {
		_, err := ds.Metadata(ctx)
		if isNotFound(err) {
			err = ds.Create(ctx, &bigquery.DatasetMetadata{Location: c.Location})
			if isDuplicate(err) {
				err = nil
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	return c.retry(ctx, "table "+t.Name, c.endpoint(), c.Timeouts.call(), func(ctx context.Context) error {
		md, err := ds.Table(t.Name).Metadata(ctx)
		if isNotFound(err) {
			err = ds.Table(t.Name).Create(ctx, &bigquery.TableMetadata{Schema: t.Schema,
				TimePartitioning: &bigquery.TimePartitioning{Type: bigquery.DayPartitioningType, Field: "run_date"},
				Clustering:       &bigquery.Clustering{Fields: t.Clustering}})
			if isDuplicate(err) {
				err = nil
			}
			return err
		}
		if err != nil {
			return err
		}
		missing, err := checkSchema(c.Dataset+"."+t.Name, md.Schema, t.Schema, t.Added)
		if err != nil || len(missing) == 0 {
			return err
		}
		// A column sosie added since the table was made: nullable, so
		// BigQuery lets it be appended; older rows read it as NULL.
		_, err = ds.Table(t.Name).Update(ctx, bigquery.TableMetadataToUpdate{Schema: append(slices.Clone(md.Schema), missing...)}, md.ETag)
		return err
	})
}

// EnsureLatestView creates the prospects_latest view (LatestView) when
// absent, or sets its query when it differs.
func (c Config) EnsureLatestView(ctx context.Context, cl *bigquery.Client) error {
	v := cl.Dataset(c.Dataset).Table(LatestViewName)
	query := LatestView(cl.Project(), c.Dataset)
	return c.retry(ctx, "view "+LatestViewName, c.endpoint(), c.Timeouts.call(), func(ctx context.Context) error {
		md, err := v.Metadata(ctx)
		if isNotFound(err) {
			err = v.Create(ctx, &bigquery.TableMetadata{ViewQuery: query})
			if isDuplicate(err) {
				err = nil
			}
			return err
		}
		if err != nil || md.ViewQuery == query {
			return err
		}
		_, err = v.Update(ctx, bigquery.TableMetadataToUpdate{ViewQuery: query}, md.ETag)
		return err
	})
}

// checkSchema says which column of want a table lacks or has with another
// type.
// checkSchema compares an existing table's columns (have) with the
// table's schema (want): a column of another type, or a column missing
// that is not among those added since the table's first release (added),
// is an error; those added and missing are returned, to be appended.
func checkSchema(table string, have, want bigquery.Schema, added []string) (missing bigquery.Schema, err error) {
	byName := map[string]*bigquery.FieldSchema{}
	for _, f := range have {
		byName[f.Name] = f
	}
	for _, f := range want {
		h := byName[f.Name]
		switch {
		case h == nil && slices.Contains(added, f.Name):
			missing = append(missing, f)
		case h == nil:
			return nil, fmt.Errorf("bqio: table %s has no column %s (want %s)", table, f.Name, f.Type)
		case h.Type != f.Type && !(h.Type == "INT64" && f.Type == bigquery.IntegerFieldType) && !(h.Type == "FLOAT64" && f.Type == bigquery.FloatFieldType):
			return nil, fmt.Errorf("bqio: table %s column %s is %s, want %s", table, f.Name, h.Type, f.Type)
		}
	}
	return missing, nil
}

func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == 404
}

func isDuplicate(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == 409
}

var notID = regexp.MustCompile(`[^A-Za-z0-9_]`)

// Replace puts the rows of the shard files (newline-delimited JSON, one
// row of t per line) in place of the run's rows in t: every row of
// runDate with one of the keys replace (see Key). It loads the shards
// into a staging table with one load job (Load), then swaps them in with
// one transaction (Swap); transient failures of either are retried. When
// it fails, t is as it was.
func (c Config) Replace(ctx context.Context, cl *bigquery.Client, t Table, runID string, runDate time.Time, replace []Key, shards []string) error {
	stage, err := c.Load(ctx, cl, t, runID, runDate, shards)
	if err != nil {
		return err
	}
	return c.Swap(ctx, cl, t, stage, runDate, replace)
}

// Load creates t (and its dataset) when absent and loads the shards into
// a staging table of the run, whose name it returns: the slow part of a
// replacement, done for every table of a run before any is swapped.
func (c Config) Load(ctx context.Context, cl *bigquery.Client, t Table, runID string, runDate time.Time, shards []string) (string, error) {
	if err := c.EnsureTable(ctx, cl, t); err != nil {
		return "", err
	}
	if t.Name == Prospects.Name {
		if err := c.EnsureLatestView(ctx, cl); err != nil {
			return "", err
		}
	}
	stage := "_stage_" + t.Name + "_" + notID.ReplaceAllString(runID, "_") + "_" + runDate.Format("20060102")
	err := c.retry(ctx, "load "+t.Name, c.endpoint(), c.Timeouts.job(), func(ctx context.Context) error {
		var l *bigquery.Loader
		if len(shards) > 0 && isGCS(shards[0]) {
			// Shards in Cloud Storage: BigQuery reads them itself.
			ref := bigquery.NewGCSReference(shards...)
			ref.SourceFormat = bigquery.JSON
			ref.Schema = t.Schema
			l = cl.Dataset(c.Dataset).Table(stage).LoaderFrom(ref)
		} else {
			r, closeAll, err := openAll(shards)
			if err != nil {
				return err
			}
			defer closeAll()
			src := bigquery.NewReaderSource(r)
			src.SourceFormat = bigquery.JSON
			src.Schema = t.Schema
			l = cl.Dataset(c.Dataset).Table(stage).LoaderFrom(src)
			l.MediaOptions = []googleapi.MediaOption{googleapi.ChunkSize(0)}
		}
		l.WriteDisposition, l.CreateDisposition = bigquery.WriteTruncate, bigquery.CreateIfNeeded
		return runJob(ctx, func() (*bigquery.Job, error) { return l.Run(ctx) })
	})
	return stage, err
}

// Swap replaces the run's rows in t by the staging table's, in one
// transaction, and drops the staging table.
func (c Config) Swap(ctx context.Context, cl *bigquery.Client, t Table, stage string, runDate time.Time, replace []Key) error {
	full := func(table string) string { return "`" + cl.Project() + "." + c.Dataset + "." + table + "`" }
	quote := func(v string) string { return "'" + strings.ReplaceAll(v, "'", "\\'") + "'" }
	// One DELETE per scope: rows of one advertiser only.
	var scopes []string
	values := map[string][]string{}
	for _, k := range replace {
		if _, ok := values[k.Scope]; !ok {
			scopes = append(scopes, k.Scope)
		}
		values[k.Scope] = append(values[k.Scope], quote(k.Value))
	}
	if len(scopes) == 0 {
		scopes, values[""] = []string{""}, []string{"''"}
	}
	sql := "BEGIN TRANSACTION;\n"
	for _, sc := range scopes {
		where := "run_date = DATE '" + date(runDate) + "'"
		if t.ScopeBy != "" {
			where += " AND " + t.ScopeBy + " = " + quote(sc)
		}
		sql += "DELETE FROM " + full(t.Name) + " WHERE " + where + " AND " + t.ReplaceBy + " IN (" + strings.Join(values[sc], ", ") + ");\n"
	}
	sql += "INSERT INTO " + full(t.Name) + " SELECT * FROM " + full(stage) + ";\n" +
		"COMMIT TRANSACTION;\n" +
		"DROP TABLE IF EXISTS " + full(stage)
	return c.retry(ctx, "replace "+t.Name, c.endpoint(), c.Timeouts.job(), func(ctx context.Context) error {
		q := cl.Query(sql)
		return runJob(ctx, func() (*bigquery.Job, error) { return q.Run(ctx) })
	})
}

// runJob starts a job and waits for it; its error result is the error.
func runJob(ctx context.Context, start func() (*bigquery.Job, error)) error {
	job, err := start()
	if err != nil {
		return err
	}
	st, err := job.Wait(ctx)
	if err != nil {
		return err
	}
	return st.Err()
}

// openAll opens the shard files as one reader.
func openAll(paths []string) (io.Reader, func(), error) {
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	var rs []io.Reader
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("bqio: %w", err)
		}
		files = append(files, f)
		rs = append(rs, f)
	}
	return io.MultiReader(rs...), closeAll, nil
}
