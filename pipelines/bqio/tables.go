package bqio

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/sosie-dev/sosie/pipelines"
)

// Table is one of sosie's output tables: its name, schema, partitioning
// (by day of run_date) and clustering, and the column a run's rows are
// replaced by besides run_date.
type Table struct {
	Name       string
	Schema     bigquery.Schema
	Clustering []string
	// ReplaceBy is the column whose values a run replaces within its
	// run_date: seed_list_id for per-list tables, job_run (the job and
	// run id, "lookalike/<run_id>") for per-run ones, so jobs sharing a
	// run id keep their own rows.
	ReplaceBy string
	// ScopeBy, when set, is the column that scopes ReplaceBy's values:
	// advertiser_id, since two advertisers may name a seed list alike and
	// one's run must never replace the other's rows.
	ScopeBy string
	// Added are the schema's columns added since the table was first
	// released (nullable, last): EnsureTable appends them to an existing
	// table that lacks them. Any other column missing is an error.
	Added []string
}

// Key is one set of a run's rows in a table: those whose ReplaceBy column
// is Value and, for a table with ScopeBy, whose ScopeBy column is Scope.
type Key struct {
	Scope string `json:"scope,omitempty"`
	Value string `json:"value"`
}

func field(name string, t bigquery.FieldType) *bigquery.FieldSchema {
	return &bigquery.FieldSchema{Name: name, Type: t}
}

func required(f *bigquery.FieldSchema) *bigquery.FieldSchema { f.Required = true; return f }

func counts(name, key string) *bigquery.FieldSchema { return pairs(name, key, "rows") }

func pairs(name, key, value string) *bigquery.FieldSchema {
	return &bigquery.FieldSchema{Name: name, Type: bigquery.RecordFieldType, Repeated: true,
		Schema: bigquery.Schema{field(key, bigquery.StringFieldType), field(value, bigquery.IntegerFieldType)}}
}

// The tables sosie writes.
var (
	Prospects = Table{Name: "prospects", ReplaceBy: "seed_list_id", ScopeBy: "advertiser_id", Clustering: []string{"advertiser_id", "seed_list_id"}, Added: []string{"similarity", "country"}, Schema: bigquery.Schema{
		required(field("run_date", bigquery.DateFieldType)), field("run_id", bigquery.StringFieldType),
		field("advertiser_id", bigquery.StringFieldType), field("seed_list_id", bigquery.StringFieldType),
		field("person_key", bigquery.StringFieldType), field("score", bigquery.FloatFieldType),
		field("percentile", bigquery.IntegerFieldType), field("tier", bigquery.IntegerFieldType),
		field("model_kind", bigquery.StringFieldType), field("scored_at", bigquery.TimestampFieldType),
		field("similarity", bigquery.FloatFieldType), // Added
		field("country", bigquery.StringFieldType),   // Added

	}}
	SeedMatch = Table{Name: "seed_match", ReplaceBy: "seed_list_id", ScopeBy: "advertiser_id", Clustering: []string{"advertiser_id", "seed_list_id"}, Schema: bigquery.Schema{
		required(field("run_date", bigquery.DateFieldType)), field("run_id", bigquery.StringFieldType),
		field("advertiser_id", bigquery.StringFieldType), field("seed_list_id", bigquery.StringFieldType),
		field("rows", bigquery.IntegerFieldType), field("duplicates", bigquery.IntegerFieldType),
		field("unmatched", bigquery.IntegerFieldType), field("matched", bigquery.IntegerFieldType),
		field("match_rate", bigquery.FloatFieldType),
		counts("rejected", "reason"), counts("matched_by_convention", "convention"), counts("matched_by_app", "app"),
	}}
	DeadLetters = Table{Name: "dead_letters", ReplaceBy: "job_run", Clustering: []string{"run_id", "stage"}, Schema: bigquery.Schema{
		required(field("run_date", bigquery.DateFieldType)), field("run_id", bigquery.StringFieldType), field("job_run", bigquery.StringFieldType),
		field("stage", bigquery.StringFieldType), field("source", bigquery.StringFieldType),
		field("line", bigquery.IntegerFieldType), field("record", bigquery.StringFieldType),
		field("reason", bigquery.StringFieldType), field("detail", bigquery.StringFieldType),
		field("rows", bigquery.IntegerFieldType),
	}}
	Runs = Table{Name: "runs", ReplaceBy: "job_run", Clustering: []string{"run_id"}, Schema: bigquery.Schema{
		required(field("run_date", bigquery.DateFieldType)), field("run_id", bigquery.StringFieldType), field("job_run", bigquery.StringFieldType),
		field("job", bigquery.StringFieldType), field("took", bigquery.StringFieldType),
		field("seed_lists", bigquery.StringFieldType), pairs("counters", "name", "value"),
		field("report", bigquery.StringFieldType), field("written_at", bigquery.TimestampFieldType),
	}}
)

// Tables are all of them, in the order a run writes them.
var Tables = []Table{Prospects, SeedMatch, DeadLetters, Runs}

// LatestViewName is the view of each seed list's latest prospects.
const LatestViewName = "prospects_latest"

// LatestView is the query of the prospects_latest view: the prospects of
// each seed list's latest run date.
func LatestView(project, dataset string) string {
	return "SELECT * EXCEPT (latest) FROM (\n" +
		"  SELECT *, run_date = MAX(run_date) OVER (PARTITION BY advertiser_id, seed_list_id) AS latest\n" +
		"  FROM `" + project + "." + dataset + "." + Prospects.Name + "`)\nWHERE latest"
}

func date(t time.Time) string { return t.UTC().Format("2006-01-02") }

func countRows[K ~string](m map[K]int, key string) []map[string]any {
	out := []map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, map[string]any{key: string(k), "rows": m[k]})
	}
	return out
}

func line(v map[string]any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// ProspectRow is a prospect as a row of Prospects.
func ProspectRow(runDate time.Time, p pipelines.Prospect) (string, error) {
	return line(map[string]any{"run_date": date(runDate), "run_id": p.RunID, "advertiser_id": p.Advertiser, "seed_list_id": p.List,
		"person_key": p.Key, "score": p.Score, "similarity": p.Similarity, "percentile": p.Percentile, "tier": p.Tier, "model_kind": p.ModelKind,
		"scored_at": p.ScoredAt.UTC().Format(time.RFC3339Nano), "country": p.Country})
}

// SeedMatchRow is a match report as a row of SeedMatch.
func SeedMatchRow(runDate time.Time, runID, advertiser string, m pipelines.MatchReport) (string, error) {
	return line(map[string]any{"run_date": date(runDate), "run_id": runID, "advertiser_id": advertiser, "seed_list_id": m.List,
		"rows": m.Rows, "duplicates": m.Duplicates, "unmatched": m.Unmatched, "matched": m.Matched, "match_rate": m.MatchRate,
		"rejected": countRows(m.Rejected, "reason"), "matched_by_convention": countRows(m.ByConvention, "convention"),
		"matched_by_app": countRows(m.ByApp, "app")})
}

// JobRun is the job_run value of a job's run.
func JobRun(job, runID string) string { return job + "/" + runID }

// DeadLetterRow is a dead letter of a job's run as a row of DeadLetters.
func DeadLetterRow(runDate time.Time, job, runID string, d pipelines.DeadLetter) (string, error) {
	return line(map[string]any{"run_date": date(runDate), "run_id": runID, "job_run": JobRun(job, runID), "stage": d.Stage, "source": d.Source, "line": d.Line,
		"record": d.Record, "reason": string(d.Reason), "detail": d.Detail, "rows": d.Rows})
}

// RunRow is a run report as a row of Runs: the counters as (name, value)
// records and the whole report as JSON text.
func RunRow(runDate time.Time, runID, job, took string, lists []string, counters map[string]int64, report []byte, at time.Time) (string, error) {
	cs := []map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(counters)) {
		cs = append(cs, map[string]any{"name": k, "value": counters[k]})
	}
	b, _ := json.Marshal(lists)
	return line(map[string]any{"run_date": date(runDate), "run_id": runID, "job_run": JobRun(job, runID), "job": job, "took": took, "seed_lists": string(b),
		"counters": cs, "report": string(report), "written_at": at.UTC().Format(time.RFC3339Nano)})
}
