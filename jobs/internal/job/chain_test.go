package job

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/features/synth"
	"github.com/sosie-dev/sosie/jobs/internal/page/pagetest"
	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/pipelines"
)

func TestMain(m *testing.M) { ptest.Main(m) }

// testFlags are a job's flags as the command line would set them.
func testFlags(out string, persons int) *Flags {
	empty := func() *string { s := ""; return &s }
	f := &Flags{Config: empty(), Out: &out, RunID: empty(), AsOf: empty(), Model: empty(), Persons: &persons,
		Profiles: empty(), Models: empty()}
	return f
}

// runOnWorld runs the lookalike job in a new directory, the test's
// working directory from then on, over a synthetic world written into
// world/ with the seed lists (YAML list items, files under world/ or
// written by prepare) and privacy settings given, into out/; it returns
// the run's report.
func runOnWorld(t *testing.T, world synth.Config, prepare func(), privacy, lists string) Report {
	t.Helper()
	t.Chdir(t.TempDir())
	if _, err := synth.Generate(world, "world"); err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare()
	}
	var apps strings.Builder
	for _, app := range []string{"facebook", "instagram", "whatsapp", "messenger"} {
		apps.WriteString("  - {name: " + app + ", accounts: [world/accounts_" + app + ".jsonl], events: [world/events_" + app + ".jsonl]}\n")
	}
	cfg := "run_id: t\nas_of: 2026-11-01\noutput: out\nmin_seeds: 50\nprivacy: " + privacy + "\napps:\n" + apps.String() + "seed_lists:\n" + lists
	if err := os.WriteFile("sosie.yaml", []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	runConfig(t, "sosie.yaml")
	var rep Report
	b, _ := os.ReadFile(filepath.Join("out", "report.json"))
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// runConfig runs the lookalike job with the config file at path and a
// test pepper, and returns what it printed; a run that does not end
// with ExitOK fails the test.
func runConfig(t *testing.T, path string) string {
	t.Helper()
	t.Setenv("SOSIE_PEPPER", "a test pepper, thirty-two bytes or more")
	f := testFlags("", 0)
	*f.Config = path
	var stdout bytes.Buffer
	if code, err := RunLookalike(context.Background(), zerolog.Nop(), &stdout, f); code != ExitOK {
		t.Fatalf("exit %d: %v", code, err)
	}
	return stdout.String()
}

// prospectKeys are a prospects file's rows without the time they were
// scored at.
func prospectKeys(t *testing.T, path string) []pipelines.Prospect {
	t.Helper()
	var out []pipelines.Prospect
	if err := ReadLines(path, func(b []byte) error {
		var p pipelines.Prospect
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		p.ScoredAt = time.Time{} // the run's clock
		out = append(out, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFeaturizeTrainScoreChain runs the three scheduled jobs one after the
// other over one output directory and checks that they give the prospects
// the one-pipeline lookalike job gives: they share the composites and
// the file formats.
func TestFeaturizeTrainScoreChain(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four pipelines on prism")
	}
	chain, whole := t.TempDir(), t.TempDir()
	ctx := context.Background()
	var logs bytes.Buffer
	log := zerolog.New(&logs)
	steps := []struct {
		name string
		run  func(context.Context, zerolog.Logger, io.Writer, *Flags) (int, error)
		out  string
	}{
		{"featurize", RunFeaturize, chain},
		{"train", RunTrain, chain},
		{"score", RunScore, chain},
		{"lookalike", RunLookalike, whole},
	}
	for _, st := range steps {
		var stdout bytes.Buffer
		code, err := st.run(ctx, log, &stdout, testFlags(st.out, 4000))
		if code != ExitOK || err != nil {
			t.Fatalf("%s: exit %d: %v\n%s", st.name, code, err, logs.String())
		}
		if !strings.Contains(stdout.String(), st.out) {
			t.Errorf("%s does not say where its outputs are:\n%s", st.name, stdout.String())
		}
	}
	for _, f := range []string{pipelines.PersonsFile, pipelines.IdentitiesFile, "featurize_report.json", pipelines.ModelsFile,
		"seed_match.jsonl", "train_report.json", "prospects.jsonl", "prospects.csv", "prospects.parquet", "score_report.json"} {
		if _, err := os.Stat(filepath.Join(chain, f)); err != nil {
			t.Error(err)
		}
	}
	// Each split job's page shows its report.
	t.Run("pages", func(t *testing.T) {
		ctx := pagetest.Browser(t)
		for _, c := range []struct {
			job    string
			charts []string
		}{
			{"featurize", []string{"dead-letters"}},
			{"train", []string{"list-synthetic-funnel", "list-synthetic-gains", "list-synthetic-features"}},
			{"score", []string{"list-synthetic-funnel", "list-synthetic-gains", "list-synthetic-distribution", "list-synthetic-tiers", "list-synthetic-countries"}},
		} {
			pagetest.Check(t, ctx, filepath.Join(chain, c.job+"_report.html"), filepath.Join(chain, c.job+"_report.json"), pagetest.Want{Charts: c.charts})
		}
	})
	// The identities the jobs hand each other hold no bare phone hash.
	hashes := map[string]bool{}
	for _, app := range features.DefaultApps {
		ReadLines(filepath.Join(WorldDir(&configs.Config{Output: chain}), synth.AccountsFile(app, synth.JSONL)), func(b []byte) error {
			var acc features.Account
			json.Unmarshal(b, &acc)
			if e164, err := features.NormalizePhone(acc.Phone, acc.Country); err == nil {
				h := features.HashPhone(e164)
				hashes[h.PlusE164], hashes[h.Digits] = true, true
			}
			return nil
		})
	}
	ids := 0
	ReadLines(filepath.Join(chain, pipelines.IdentitiesFile), func(b []byte) error {
		var r pipelines.IdentityRecord
		json.Unmarshal(b, &r)
		ids++
		if hashes[r.Hash] {
			t.Fatal("identities.jsonl holds a bare phone hash")
		}
		return nil
	})
	if ids == 0 || len(hashes) == 0 {
		t.Errorf("%d identities, %d world hashes: nothing checked", ids, len(hashes))
	}
	a, b := prospectKeys(t, filepath.Join(chain, "prospects.jsonl")), prospectKeys(t, filepath.Join(whole, "prospects.jsonl"))
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Errorf("the chain gave %d prospects, the one pipeline %d, or different ones", len(a), len(b))
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Errorf("first difference, row %d: %+v against %+v", i, a[i], b[i])
				break
			}
		}
	}
	// Each job's report balances on its own.
	var sr Report
	raw, _ := os.ReadFile(filepath.Join(chain, "score_report.json"))
	json.Unmarshal(raw, &sr)
	c := sr.Counters
	if c["read_lines"] != c["read_persons"]+c["read_identities"]+c["read_models"]+c["read_lines_rejected"] || c["read_models"] != 1 ||
		c["score_persons_in"] != c["read_persons"] || c["score_scores"] != c["score_prospects"]+c["score_below_audience"] {
		t.Errorf("score report does not balance: %v", c)
	}
}

// TestTrainAndScoreNeedFeaturize: without featurize's outputs, train and
// score stop before any work and say what to run.
func TestTrainAndScoreNeedFeaturize(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "world"), 0o755)
	os.WriteFile(filepath.Join(dir, "world", "seeds.csv"), []byte("phone\n"), 0o644)
	for name, run := range map[string]func(context.Context, zerolog.Logger, io.Writer, *Flags) (int, error){
		"train": RunTrain,
		"score": RunScore,
	} {
		code, err := run(context.Background(), zerolog.Nop(), &bytes.Buffer{}, testFlags(dir, 0))
		if code != ExitBadInput || err == nil || !strings.Contains(err.Error(), "run jobs/featurize first") {
			t.Errorf("%s without profiles: exit %d: %v", name, code, err)
		}
	}
}

// TestFilesExampleConfig runs the lookalike job with configs/files.yaml as
// its comment says: a world written by jobs/synth into ./world.
func TestFilesExampleConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism")
	}
	example, err := filepath.Abs("../../../configs/files.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	if _, err := synth.Generate(synth.Config{Persons: 4000, Seed: 2, SeedSize: 220, CustomerRate: 0.1}, "world"); err != nil {
		t.Fatal(err)
	}
	stdout := runConfig(t, example)
	if _, err := os.Stat(filepath.Join(dir, "sosie-out", "files", "prospects.parquet")); err != nil {
		t.Errorf("%v\n%s", err, stdout)
	}
}

// TestFinishSaysNotPredictive: a run with a model that is not predictive
// ends with ExitNotPredictive and names the seed list in the summary.
func TestFinishSaysNotPredictive(t *testing.T) {
	f := testFlags("", 0)
	rep := &Report{RunID: "r", Models: []ModelSummary{{List: "good", Quality: &model.Report{Predictive: true}}, {List: "bad", Quality: &model.Report{}}}}
	if code := finish(f, rep, "/x/report.json"); code != ExitNotPredictive || !slices.Equal(f.summary.NotPredictive, []string{"bad"}) || f.summary.Report != "/x/report.json" {
		t.Errorf("exit %d, summary %+v", code, f.summary)
	}
	g := testFlags("", 0)
	if code := finish(g, &Report{Models: rep.Models[:1]}, ""); code != ExitOK {
		t.Errorf("a predictive run: exit %d", code)
	}
}

// TestOptOutList: persons on the opt-out list are in no prospect list and
// in no training sample, and the report counts them. The plain Go run
// (pipelines.Baseline) on the same config gives the same prospects.
func TestOptOutList(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism twice")
	}
	dir := t.TempDir()
	var stdout bytes.Buffer
	if code, err := RunLookalike(context.Background(), zerolog.Nop(), &stdout, testFlags(filepath.Join(dir, "first"), 4000)); code != ExitOK {
		t.Fatal(err)
	}
	first := prospectKeys(t, filepath.Join(dir, "first", "prospects.jsonl"))
	if len(first) < 20 {
		t.Fatalf("%d prospects", len(first))
	}
	var list strings.Builder
	list.WriteString("key\n")
	out := map[string]bool{}
	for _, p := range first[:20] {
		list.WriteString(p.Key + "\n")
		out[p.Key] = true
	}
	listFile := filepath.Join(dir, "optout.txt")
	os.WriteFile(listFile, []byte(list.String()), 0o644)
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("opt_out: ["+listFile+"]\n"), 0o644)
	f := testFlags(filepath.Join(dir, "second"), 4000)
	*f.Config = cfg
	if code, err := RunLookalike(context.Background(), zerolog.Nop(), &stdout, f); code != ExitOK {
		t.Fatal(err)
	}
	for _, p := range prospectKeys(t, filepath.Join(dir, "second", "prospects.jsonl")) {
		if out[p.Key] {
			t.Fatalf("an opted-out person is a prospect")
		}
	}
	var rep Report
	raw, _ := os.ReadFile(filepath.Join(dir, "second", "report.json"))
	json.Unmarshal(raw, &rep)
	c := rep.Counters
	if c["optout_entries"] != 20 || c["optout_persons_removed"] != 20 || c["policy_persons_in"] != c["join_persons"]-20 ||
		c["train_persons_in"] != c["policy_persons_kept"] || c["score_persons_in"] != c["policy_persons_kept"] {
		t.Errorf("counters: %d entries, %d removed, %d joined, %d past the opt-out, %d past the policy, %d trained on, %d scored",
			c["optout_entries"], c["optout_persons_removed"], c["join_persons"], c["policy_persons_in"], c["policy_persons_kept"], c["train_persons_in"], c["score_persons_in"])
	}

	f = testFlags(filepath.Join(dir, "plain"), 4000)
	*f.Config = cfg
	plain := true
	f.PlainGo = &plain
	if code, err := RunLookalike(context.Background(), zerolog.Nop(), &stdout, f); code != ExitOK {
		t.Fatal(err)
	}
	samePros(t, prospectKeys(t, filepath.Join(dir, "second", "prospects.jsonl")), prospectKeys(t, filepath.Join(dir, "plain", "prospects.plain.jsonl")))
}

// samePros checks that the plain Go run's prospects are the pipeline's:
// the same persons on the same lists, in the same tiers and percentiles,
// with the same scores.
func samePros(t *testing.T, pipeline, plain []pipelines.Prospect) {
	t.Helper()
	type key struct{ list, person string }
	want := map[key]pipelines.Prospect{}
	for _, p := range pipeline {
		want[key{p.List, p.Key}] = p
	}
	if len(plain) != len(want) {
		t.Errorf("plain Go: %d prospects, the pipeline %d", len(plain), len(want))
	}
	for _, p := range plain {
		w, ok := want[key{p.List, p.Key}]
		if !ok {
			t.Fatalf("plain Go: a prospect the pipeline does not have (list %s, tier %d)", p.List, p.Tier)
		}
		if p.Tier != w.Tier || p.Percentile != w.Percentile || math.Abs(p.Score-w.Score) > 1e-9 || p.ModelKind != w.ModelKind {
			t.Fatalf("plain Go: tier %d, percentile %d, score %v (%s); the pipeline: %d, %d, %v (%s)", p.Tier, p.Percentile, p.Score, p.ModelKind, w.Tier, w.Percentile, w.Score, w.ModelKind)
		}
	}
}
