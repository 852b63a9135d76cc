package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/parquet-go/parquet-go"
	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/features/synth"
	"github.com/sosie-dev/sosie/jobs/internal/job"
	"github.com/sosie-dev/sosie/pipelines"
)

func TestMain(m *testing.M) { ptest.Main(m) }

func synthGenerate(dir string) (synth.Stats, error) {
	return synth.Generate(synth.Config{Persons: 800, Seed: 5}, dir)
}

// TestLookalikeJob runs the job as the README's first command does, on a
// small synthetic world, and checks its outputs and that its counts balance:
// rows read, accounts and events through featurization, seed rows.
func TestLookalikeJob(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole flow on prism")
	}
	dir := t.TempDir()
	*flags.Out, *flags.Persons = dir, 4000
	defer func() { *flags.Out, *flags.Persons = "", 0 }()
	t.Setenv("SOSIE_PEPPER", "") // as on a fresh machine; the run sets the development pepper
	var stdout, logs bytes.Buffer
	code, err := job.RunLookalike(context.Background(), zerolog.New(&logs), &stdout, flags)
	if code != 0 || err != nil {
		t.Fatalf("exit %d: %v\n%s", code, err, logs.String())
	}
	for _, f := range []string{"prospects.jsonl", "prospects.csv", "prospects.parquet", "seed_match.jsonl", "models.jsonl", "dead_letters.jsonl", "report.json"} {
		if !strings.Contains(stdout.String(), filepath.Join(dir, f)) {
			t.Errorf("stdout does not say where %s is:\n%s", f, stdout.String())
		}
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(logs.String(), "development pepper") {
		t.Error("the development pepper is not announced")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	var rep job.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	c := rep.Counters
	if c["featurize_accounts_in"] == 0 || c["featurize_accounts_in"] != c["featurize_accounts_rejected"]+c["featurize_accounts_profiled"] {
		t.Errorf("accounts do not balance: in %d, rejected %d, profiled %d", c["featurize_accounts_in"], c["featurize_accounts_rejected"], c["featurize_accounts_profiled"])
	}
	if c["read_rows"] == 0 || c["read_rows"] != c["read_accounts"]+c["read_events"]+c["read_rows_rejected"] {
		t.Errorf("rows read do not balance: %d rows, %d accounts, %d events, %d rejected", c["read_rows"], c["read_accounts"], c["read_events"], c["read_rows_rejected"])
	}
	if c["read_accounts"] != c["featurize_accounts_in"] || c["read_events"] != c["featurize_events_profiled"]+c["featurize_events_rejected"] {
		t.Errorf("events do not balance: %d read, %d profiled, %d rejected", c["read_events"], c["featurize_events_profiled"], c["featurize_events_rejected"])
	}
	for _, m := range rep.SeedMatch {
		rejected := 0
		for _, n := range m.Rejected {
			rejected += n
		}
		if m.Rows != m.Matched+m.Duplicates+m.Unmatched+rejected || int64(m.Rows) != c["seed_rows"] {
			t.Errorf("seed rows do not balance: %+v, counter %d", m, c["seed_rows"])
		}
	}
	if c["policy_persons_in"] != c["join_persons"] || c["policy_persons_in"] != c["policy_persons_kept"]+c["policy_excluded"] ||
		c["policy_excluded"] == 0 || c["policy_consent_ads_personalization_facebook"] == 0 || c["policy_cross_app_instagram"] == 0 {
		t.Errorf("the privacy policy does not balance or never applied: %d in, %d kept, %d excluded, %d facebook without ads consent, %d instagram not combinable",
			c["policy_persons_in"], c["policy_persons_kept"], c["policy_excluded"], c["policy_consent_ads_personalization_facebook"], c["policy_cross_app_instagram"])
	}
	lists := int64(len(rep.SeedMatch))
	if c["train_persons_in"] != c["policy_persons_kept"] || c["train_persons_in"]*lists != c["train_seed_rows"]+c["train_population_rows"]+c["train_not_sampled"] ||
		c["train_seed_rows"] != c["seed_matched"] || c["train_models"] != lists {
		t.Errorf("training does not balance: %d persons in, %d seed rows (%d matched), %d population rows, %d not sampled, %d models",
			c["train_persons_in"], c["train_seed_rows"], c["seed_matched"], c["train_population_rows"], c["train_not_sampled"], c["train_models"])
	}
	if c["score_persons_in"] != c["policy_persons_kept"] ||
		c["score_persons_in"]*lists != c["score_scores"]+c["score_seeds_excluded"]+c["score_excluded_by_lists"] ||
		c["score_scores"] != c["score_prospects"]+c["score_below_audience"] || c["score_prospects"] == 0 ||
		c["score_prospects"] != c["audience_prospects_delivered"]+c["audience_prospects_withheld"] {
		t.Errorf("scoring does not balance: %d in, %d scores, %d seeds excluded, %d prospects, %d below the audience, %d delivered, %d withheld",
			c["score_persons_in"], c["score_scores"], c["score_seeds_excluded"], c["score_prospects"], c["score_below_audience"],
			c["audience_prospects_delivered"], c["audience_prospects_withheld"])
	}
	// The three prospect files hold the same rows.
	jsonl := countLines(t, filepath.Join(dir, "prospects.jsonl"))
	csvRows := countLines(t, filepath.Join(dir, "prospects.csv")) - 1
	pb, err := os.ReadFile(filepath.Join(dir, "prospects.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(pb), int64(len(pb)))
	if err != nil {
		t.Fatal(err)
	}
	if int64(jsonl) != c["audience_prospects_delivered"] || csvRows != jsonl || pf.NumRows() != int64(jsonl) {
		t.Errorf("prospects: %d counted, %d JSONL lines, %d CSV rows, %d Parquet rows", c["audience_prospects_delivered"], jsonl, csvRows, pf.NumRows())
	}
	// Every prospect has a similarity in [0, 1] that falls as its score
	// falls (the file is sorted by list, then best score first).
	pb2, _ := os.ReadFile(filepath.Join(dir, "prospects.jsonl"))
	var prev *pipelines.Prospect
	for _, l := range bytes.Split(bytes.TrimSpace(pb2), []byte("\n")) {
		var p pipelines.Prospect
		if err := json.Unmarshal(l, &p); err != nil {
			t.Fatal(err)
		}
		if p.Similarity <= 0 || p.Similarity >= 1 || !strings.Contains(string(l), `"similarity":`) {
			t.Fatalf("prospect %s: similarity %v", p.Key, p.Similarity)
		}
		if prev != nil && prev.List == p.List && p.Similarity > prev.Similarity {
			t.Errorf("prospect %s scores %v below %v but has the higher similarity %v > %v", p.Key, p.Score, prev.Score, p.Similarity, prev.Similarity)
		}
		prev = &p
	}
	var cols []string
	for _, path := range pf.Schema().Columns() {
		cols = append(cols, strings.Join(path, "."))
	}
	if !slices.Equal(cols, pipelines.ProspectColumns) {
		t.Errorf("Parquet columns %v, want %v", cols, pipelines.ProspectColumns)
	}
	if len(rep.SeedMatch) != 1 || rep.SeedMatch[0].Matched < 100 || len(rep.Models) != 1 || rep.Tiers["synthetic"][1] == 0 {
		t.Errorf("report %s", b)
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

func TestLookalikeJobBadConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("model:\n  kind: forest\n"), 0o644)
	*flags.Config = cfg
	defer func() { *flags.Config = "" }()
	code, err := job.RunLookalike(context.Background(), zerolog.Nop(), &bytes.Buffer{}, flags)
	if code != 2 || err == nil || !strings.Contains(err.Error(), "model.kind") {
		t.Fatalf("exit %d: %v", code, err)
	}
}

// writeWorldConfig writes a small world and a config that reads it, with
// the seed list given.
func writeWorldConfig(t *testing.T, seedList string, mutate func(*string)) string {
	t.Helper()
	dir := t.TempDir()
	world := filepath.Join(dir, "world")
	if _, err := synthGenerate(world); err != nil {
		t.Fatal(err)
	}
	seeds := filepath.Join(dir, "seeds.csv")
	os.WriteFile(seeds, []byte(seedList), 0o644)
	var apps strings.Builder
	for _, app := range []string{"facebook", "instagram", "whatsapp", "messenger"} {
		apps.WriteString("  - name: " + app + "\n    accounts: [" + filepath.Join(world, "accounts_"+app+".jsonl") + "]\n    events: [" + filepath.Join(world, "events_"+app+".jsonl") + "]\n")
	}
	body := "output: " + filepath.Join(dir, "out") + "\napps:\n" + apps.String() +
		"seed_lists:\n  - id: l1\n    advertiser: a1\n    file: " + seeds + "\n    country: FR\n"
	if mutate != nil {
		mutate(&body)
	}
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(body), 0o644)
	return cfg
}

func runWithConfig(t *testing.T, cfg string) (code int, logs string, err error) {
	t.Helper()
	*flags.Config = cfg
	defer func() { *flags.Config = "" }()
	var buf bytes.Buffer
	code, err = job.RunLookalike(context.Background(), zerolog.New(&buf), &bytes.Buffer{}, flags)
	return code, buf.String(), err
}

func TestLookalikeJobBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism")
	}
	t.Setenv("SOSIE_PEPPER", "a test pepper, thirty-two bytes or more")
	cases := []struct {
		name   string
		seeds  string
		mutate func(*string)
		code   int
		says   string
	}{
		{"missing accounts file", "phone\n+33612345678\n", func(b *string) {
			*b = strings.Replace(*b, "accounts_facebook.jsonl", "accounts_tiktok.jsonl", 1)
		}, 2, "accounts_tiktok.jsonl"},
		{"missing seed list", "", func(b *string) {
			*b = strings.Replace(*b, "seeds.csv", "no-seeds.csv", 1)
		}, 2, "seed list l1"},
		{"seed list below the minimum", "phone\n+33612345678\n+33612345679\n", nil, 1, "at least 100 (min_seeds) are needed"},
		{"seed list of only invalid phones", "phone\nn/a\n000\nunknown\n", nil, 1, "0 seeds matched"},
		{"empty seed list", "", nil, 1, "0 seeds matched"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, logs, err := runWithConfig(t, writeWorldConfig(t, tc.seeds, tc.mutate))
			if code != tc.code || err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("exit %d, %v; want exit %d saying %q\n%s", code, err, tc.code, tc.says, logs)
			}
		})
	}
}

func TestLookalikeJobRefusesRealDataWithoutPepper(t *testing.T) {
	t.Setenv("SOSIE_PEPPER", "")
	code, _, err := runWithConfig(t, writeWorldConfig(t, "phone\n", nil))
	if code != 2 || err == nil || !strings.Contains(err.Error(), "SOSIE_PEPPER") {
		t.Fatalf("exit %d: %v", code, err)
	}
}

// TestLookalikeJobDeadLetters: an empty accounts file beside others and
// malformed rows do not stop the run; each is a dead letter that names the
// file (and line), and the rows are counted. (A file without a required
// column fails the run: TestBadInputs.)
func TestLookalikeJobDeadLetters(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism")
	}
	t.Setenv("SOSIE_PEPPER", "a test pepper, thirty-two bytes or more")
	extra := t.TempDir()
	empty := filepath.Join(extra, "empty.jsonl")
	malformed := filepath.Join(extra, "malformed.jsonl")
	os.WriteFile(empty, nil, 0o644)
	os.WriteFile(malformed, []byte("{\"user_id\":\"m1\",\"phone\":\"+33612345670\"}\nnot json\n{\"user_id\":\"m2\",\"birth_year\":\"old\"}\n"), 0o644)
	cfg := writeWorldConfig(t, "", func(b *string) {
		world := filepath.Join(filepath.Dir(strings.SplitN(strings.SplitN(*b, "accounts: [", 2)[1], "]", 2)[0]))
		*b = strings.Replace(*b, "file: "+filepath.Join(filepath.Dir(world), "seeds.csv"), "file: "+filepath.Join(world, synth.SeedListFile), 1)
		*b = strings.Replace(*b, "accounts: ["+filepath.Join(world, "accounts_instagram.jsonl"),
			"accounts: ["+filepath.Join(world, "accounts_instagram.jsonl")+", "+empty+", "+malformed, 1)
		*b += "min_seeds: 10\nprivacy: {min_audience: 10}\n" // the small world's seed list and audience
	})
	code, logs, err := runWithConfig(t, cfg)
	if (code != 0 && code != job.ExitNotPredictive) || err != nil { // 11 seeds may well not be predictive
		t.Fatalf("exit %d: %v\n%s", code, err, logs)
	}
	out := filepath.Join(filepath.Dir(cfg), "out")
	want := map[string]string{
		empty:     "empty_file:0:0",
		malformed: "bad_line:2:1",
	}
	got := map[string][]string{}
	job.ReadLines(filepath.Join(out, "dead_letters.jsonl"), func(b []byte) error {
		var d pipelines.DeadLetter
		json.Unmarshal(b, &d)
		got[d.Source] = append(got[d.Source], fmt.Sprintf("%s:%d:%d", d.Reason, d.Line, d.Rows))
		return nil
	})
	for file, letter := range want {
		if !slices.Contains(got[file], letter) {
			t.Errorf("%s: dead letters %v, want %s", filepath.Base(file), got[file], letter)
		}
	}
	if !slices.Contains(got[malformed], "missing_field:3:1") && !slices.Contains(got[malformed], "bad_field:3:1") {
		t.Errorf("malformed.jsonl line 3: dead letters %v", got[malformed])
	}
	var rep job.Report
	b, _ := os.ReadFile(filepath.Join(out, "report.json"))
	json.Unmarshal(b, &rep)
	c := rep.Counters
	if c["read_files_empty"] != 1 || c["read_rows_rejected"] != 2 || c["read_rows"] != c["read_accounts"]+c["read_events"]+c["read_rows_rejected"] {
		t.Errorf("counters: %d empty files, %d rows, %d accounts, %d events, %d rejected",
			c["read_files_empty"], c["read_rows"], c["read_accounts"], c["read_events"], c["read_rows_rejected"])
	}
}

// TestLookalikeJobBadConfigValues: an unknown app, an invalid value and a
// misspelt key are refused before any work, naming the field.
func TestLookalikeJobBadConfigValues(t *testing.T) {
	t.Setenv("SOSIE_PEPPER", "a test pepper, thirty-two bytes or more")
	for _, tc := range []struct{ name, from, to, says string }{
		{"unknown app", "name: messenger", "name: tiktok", `apps[3].name: "tiktok" is not an app of the feature schema`},
		{"invalid value", "country: FR", "country: FR\n    audience_percent: 20", "seed_lists[0].audience_percent: 20, want 1 to 10"},
		{"misspelt key", "seed_lists:", "seed_list:", "seed_list"},
		{"bad block", "seed_lists:", "privacy: {blocks: [{app: whatsap, country: de, action: hide}]}\nseed_lists:",
			`privacy: blocks[0].app: "whatsap" is not an app`},
		{"bad consent flag", "seed_lists:", "privacy: {apps: {facebook: {require_consent: [ads]}}}\nseed_lists:",
			`apps.facebook.require_consent[0]: "ads"`},
		{"negative floor", "seed_lists:", "privacy: {floor: -1}\nseed_lists:", "privacy.floor: -1"},
		{"advertiser with a path", "seed_lists:", "advertiser: ../acme\nseed_lists:", `advertiser: "../acme"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, err := runWithConfig(t, writeWorldConfig(t, "phone\n", func(b *string) { *b = strings.Replace(*b, tc.from, tc.to, 1) }))
			if code != 2 || err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("exit %d: %v; want exit 2 saying %q", code, err, tc.says)
			}
		})
	}
}

// TestLookalikeJobNeedsPepper: real inputs without a pepper, or with a
// pepper file that is not there, stop before any work with a message that
// says where the pepper was looked for and never what it is.
func TestLookalikeJobNeedsPepper(t *testing.T) {
	t.Setenv("SOSIE_PEPPER", "")
	cfg := writeWorldConfig(t, "phone\n", func(*string) {})
	code, _, err := runWithConfig(t, cfg)
	if code != 2 || err == nil || !strings.Contains(err.Error(), "identity pepper is not set") || !strings.Contains(err.Error(), "SOSIE_PEPPER") {
		t.Errorf("no pepper: exit %d, %v", code, err)
	}
	missing := filepath.Join(t.TempDir(), "no-such-secret")
	cfg = writeWorldConfig(t, "phone\n", func(b *string) { *b += "pepper_file: " + missing + "\n" })
	t.Setenv("SOSIE_PEPPER", "an environment pepper the file wins over")
	code, _, err = runWithConfig(t, cfg)
	if code != 2 || err == nil || !strings.Contains(err.Error(), missing) || strings.Contains(err.Error(), "an environment pepper") {
		t.Errorf("a missing pepper file: exit %d, %v", code, err)
	}
}
