package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/features/synth"
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
	*outDir, *persons = dir, 3000
	defer func() { *outDir, *persons = "", 0 }()
	var stdout, logs bytes.Buffer
	code, err := run(context.Background(), zerolog.New(&logs), &stdout)
	if code != 0 || err != nil {
		t.Fatalf("exit %d: %v\n%s", code, err, logs.String())
	}
	for _, f := range []string{"prospects.jsonl", "seed_match.jsonl", "models.jsonl", "dead_letters.jsonl", "report.json"} {
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
	var rep report
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
	if len(rep.SeedMatch) != 1 || rep.SeedMatch[0].Matched < 100 || len(rep.Models) != 1 || rep.Tiers["synthetic"][1] == 0 {
		t.Errorf("report %s", b)
	}
}

func TestLookalikeJobBadConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("model:\n  kind: forest\n"), 0o644)
	*configPath = cfg
	defer func() { *configPath = "" }()
	code, err := run(context.Background(), zerolog.Nop(), &bytes.Buffer{})
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
	*configPath = cfg
	defer func() { *configPath = "" }()
	var buf bytes.Buffer
	code, err = run(context.Background(), zerolog.New(&buf), &bytes.Buffer{})
	return code, buf.String(), err
}

func TestLookalikeJobBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism")
	}
	t.Setenv("SOSIE_PEPPER", "a test pepper")
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
		{"seed list below the minimum", "phone\n+33612345678\n+33612345679\n", nil, 1, "at least 100 are needed"},
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
