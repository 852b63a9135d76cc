package job

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rs/zerolog"

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
	os.WriteFile(cfg, []byte(fmt.Sprintf("output: %s\nsynthetic:\n  persons: 2500\nsink:\n  bigquery:\n    project: proj\n    dataset: sosie\n    location: EU\n    endpoint: %s\n", dir, srv.URL)), 0o644)
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
