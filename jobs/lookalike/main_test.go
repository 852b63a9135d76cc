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
)

func TestMain(m *testing.M) { ptest.Main(m) }

// TestLookalikeJob runs the job as the README's first command does, on a
// small synthetic world, and checks its outputs and that its counts balance.
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
