package job

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	bq "google.golang.org/api/bigquery/v2"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/features/synth"
	"github.com/sosie-dev/sosie/internal/bqtest"
	"github.com/sosie-dev/sosie/pipelines"
)

// TestLookalikeToBigQuery runs the lookalike job with a BigQuery sink
// against the in-process server: prospects, seed_match and runs land in
// their tables, equal to what the files hold; a rerun for the same date
// and seed list replaces them.
func TestLookalikeToBigQuery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism")
	}
	srv := bqtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bq.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("output: %s\nsynthetic:\n  persons: 4000\nsink:\n  bigquery:\n    project: proj\n    dataset: sosie\n    location: EU\n    endpoint: %s\n", dir, srv.URL)), 0o644)
	run := func() {
		t.Helper()
		f := testFlags("", 0)
		*f.Config = cfg
		if code, err := RunLookalike(context.Background(), zerolog.Nop(), io.Discard, f); code != ExitOK {
			t.Fatalf("exit %d: %v", code, err)
		}
	}
	run()
	type key struct {
		list, person string
		tier         int
		score        float64
	}
	var files []key
	ReadLines(filepath.Join(dir, "prospects.jsonl"), func(b []byte) error {
		var p pipelines.Prospect
		json.Unmarshal(b, &p)
		files = append(files, key{p.List, p.Key, p.Tier, p.Score})
		return nil
	})
	tableKeys := func() []key {
		var out []key
		for _, r := range srv.Rows("proj", "sosie", "prospects") {
			out = append(out, key{r["seed_list_id"].(string), r["person_key"].(string), int(r["tier"].(float64)), r["score"].(float64)})
		}
		return out
	}
	cmp := func(a, b key) int {
		if a.person < b.person {
			return -1
		}
		if a.person > b.person {
			return 1
		}
		return 0
	}
	slices.SortFunc(files, cmp)
	got := tableKeys()
	slices.SortFunc(got, cmp)
	if len(files) == 0 || !slices.Equal(files, got) {
		t.Fatalf("prospects table holds %d rows, the file %d, or others", len(got), len(files))
	}
	sm := srv.Rows("proj", "sosie", "seed_match")
	var fileMatch []pipelines.MatchReport
	ReadLines(filepath.Join(dir, "seed_match.jsonl"), func(b []byte) error {
		var m pipelines.MatchReport
		json.Unmarshal(b, &m)
		fileMatch = append(fileMatch, m)
		return nil
	})
	if len(sm) != 1 || len(fileMatch) != 1 || int(sm[0]["matched"].(float64)) != fileMatch[0].Matched || sm[0]["advertiser_id"] != "demo" {
		t.Fatalf("seed_match table %v, file %+v", sm, fileMatch)
	}
	runs := srv.Rows("proj", "sosie", "runs")
	if len(runs) != 1 || runs[0]["run_id"] != "lookalike-2026-11-01" || runs[0]["report"] == "" {
		t.Fatalf("runs table %v", runs)
	}
	dl := len(srv.Rows("proj", "sosie", "dead_letters"))
	if dl == 0 {
		t.Error("no dead letters in BigQuery; the synthetic world has dirt")
	}

	run() // the same date and seed list again
	again := tableKeys()
	slices.SortFunc(again, cmp)
	if !slices.Equal(again, got) || len(srv.Rows("proj", "sosie", "runs")) != 1 || len(srv.Rows("proj", "sosie", "seed_match")) != 1 ||
		len(srv.Rows("proj", "sosie", "dead_letters")) != dl {
		t.Errorf("after a rerun: %d prospects (want %d), %d runs, %d seed_match, %d dead letters (want %d)", len(again), len(got),
			len(srv.Rows("proj", "sosie", "runs")), len(srv.Rows("proj", "sosie", "seed_match")), len(srv.Rows("proj", "sosie", "dead_letters")), dl)
	}
	for _, id := range srv.TableIDs("proj", "sosie") {
		if id[0] == '_' {
			t.Errorf("staging table %s left behind", id)
		}
	}
}

// TestLookalikeFromBigQuery puts the apps' accounts and events in the
// in-process server as tables and runs the lookalike job reading them
// through the Storage Read API: the prospects are those of the same job
// over the files. A table with a wrong column type stops the job before
// any work, naming table, column and type.
func TestLookalikeFromBigQuery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism")
	}
	srv := bqtest.NewServer()
	defer srv.Close()
	addr, err := srv.StartStorageRead()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	world := filepath.Join(dir, "world")
	if _, err := synth.Generate(synth.Config{Persons: 4000, Seed: 8, SeedSize: 200, CustomerRate: 0.1}, world); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOSIE_PEPPER", "a test pepper, thirty-two bytes or more")
	var files, tables strings.Builder
	for _, app := range features.DefaultApps {
		srv.CreateTable("proj", "apps", app+"_accounts", bqtest.AccountsSchema)
		srv.CreateTable("proj", "apps", app+"_events", eventTableSchema)
		for _, kind := range []string{"accounts", "events"} {
			if err := srv.PutJSONL("proj", "apps", app+"_"+kind, filepath.Join(world, kind+"_"+app+".jsonl"), nil); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&files, "  - name: %s\n    accounts: [%s]\n    events: [%s]\n", app,
			filepath.Join(world, "accounts_"+app+".jsonl"), filepath.Join(world, "events_"+app+".jsonl"))
		fmt.Fprintf(&tables, "  - name: %s\n    accounts_table: apps.%s_accounts\n    events_table: apps.%s_events\n", app, app, app)
	}
	seeds := "seed_lists:\n  - id: l1\n    advertiser: a1\n    file: " + filepath.Join(world, "seed_list.csv") + "\n"
	// The seed list as a table too.
	srv.CreateTable("proj", "adv", "seeds", &bq.TableSchema{Fields: []*bq.TableFieldSchema{
		{Name: "phone", Type: "STRING"}, {Name: "country", Type: "STRING"}, {Name: "value", Type: "FLOAT"}}})
	recs := readCSV(t, filepath.Join(world, "seed_list.csv"))
	for _, r := range recs[1:] {
		row := bqtest.Row{"phone": r[0], "country": r[1], "value": nil}
		if r[1] == "" {
			row["country"] = nil
		}
		if r[2] != "" {
			row["value"] = r[2]
		}
		srv.PutRows("proj", "adv", "seeds", "", row)
	}
	seedTable := "seed_lists:\n  - id: l1\n    advertiser: a1\n    table: adv.seeds\n"
	source := fmt.Sprintf("source:\n  bigquery:\n    project: proj\n    endpoint: %s\n    read_endpoint: %s\n", srv.URL, addr)
	run := func(name, body string) (int, error) {
		cfg := filepath.Join(dir, name+".yaml")
		os.WriteFile(cfg, []byte("output: "+filepath.Join(dir, name)+"\napps:\n"+body), 0o644)
		f := testFlags("", 0)
		*f.Config = cfg
		return RunLookalike(context.Background(), zerolog.Nop(), io.Discard, f)
	}
	if code, err := run("files", files.String()+seeds); code != ExitOK {
		t.Fatalf("files: exit %d: %v", code, err)
	}
	sink := fmt.Sprintf("sink:\n  bigquery:\n    project: proj\n    dataset: out\n    endpoint: %s\n", srv.URL)
	if code, err := run("bq", tables.String()+seedTable+source+sink); code != ExitOK {
		t.Fatalf("bigquery: exit %d: %v", code, err)
	}
	a := prospectKeys(t, filepath.Join(dir, "files", "prospects.jsonl"))
	b := prospectKeys(t, filepath.Join(dir, "bq", "prospects.jsonl"))
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Errorf("from BigQuery %d prospects, from files %d, or other ones", len(b), len(a))
	}
	// BigQuery in, BigQuery out: the prospects table holds the files'.
	var inTable []pipelines.Prospect
	for _, r := range srv.Rows("proj", "out", "prospects") {
		inTable = append(inTable, pipelines.Prospect{RunID: r["run_id"].(string), Advertiser: r["advertiser_id"].(string),
			List: r["seed_list_id"].(string), Key: r["person_key"].(string), Score: r["score"].(float64), Similarity: r["similarity"].(float64),
			Percentile: int(r["percentile"].(float64)), Tier: int(r["tier"].(float64)), ModelKind: r["model_kind"].(string), AsOf: r["run_date"].(string), Country: r["country"].(string)})
	}
	slices.SortFunc(inTable, func(x, y pipelines.Prospect) int { return strings.Compare(x.Key, y.Key) })
	sorted := slices.Clone(a)
	slices.SortFunc(sorted, func(x, y pipelines.Prospect) int { return strings.Compare(x.Key, y.Key) })
	if !slices.Equal(inTable, sorted) {
		t.Errorf("the prospects table holds %d rows, the files %d, or other ones", len(inTable), len(sorted))
	}
	if sm := srv.Rows("proj", "out", "seed_match"); len(sm) != 1 || len(srv.Rows("proj", "out", "runs")) != 1 {
		t.Errorf("seed_match %d rows, runs %d", len(sm), len(srv.Rows("proj", "out", "runs")))
	}
	var ma, mb []pipelines.MatchReport
	for _, c := range []struct {
		dir string
		dst *[]pipelines.MatchReport
	}{{"files", &ma}, {"bq", &mb}} {
		ReadLines(filepath.Join(dir, c.dir, "seed_match.jsonl"), func(b []byte) error {
			var m pipelines.MatchReport
			json.Unmarshal(b, &m)
			*c.dst = append(*c.dst, m)
			return nil
		})
	}
	if len(ma) != 1 || len(mb) != 1 || ma[0].Rows != mb[0].Rows || ma[0].Matched != mb[0].Matched || ma[0].Matched == 0 {
		t.Errorf("match reports: files %+v, table %+v", ma, mb)
	}
	// A column of the wrong type: refused before any work.
	srv.CreateTable("proj", "apps", "bad_accounts", &bq.TableSchema{Fields: []*bq.TableFieldSchema{
		{Name: "user_id", Type: "STRING"}, {Name: "phone", Type: "STRING"}, {Name: "consent_ads", Type: "STRING"}}})
	bad := strings.Replace(tables.String(), "apps.facebook_accounts", "apps.bad_accounts", 1)
	code, err := run("bad", bad+seeds+source)
	if code != ExitBadInput || err == nil || !strings.Contains(err.Error(), "table apps.bad_accounts column consent_ads (field consent_ads) is STRING, want BOOLEAN") {
		t.Errorf("a wrong column type: exit %d, %v", code, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad", "prospects.jsonl")); err == nil {
		t.Error("the job ran with a wrong table")
	}
}

var eventTableSchema = &bq.TableSchema{Fields: []*bq.TableFieldSchema{
	{Name: "user_id", Type: "STRING"}, {Name: "time", Type: "TIMESTAMP"}, {Name: "type", Type: "STRING"}, {Name: "category", Type: "STRING"},
}}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
