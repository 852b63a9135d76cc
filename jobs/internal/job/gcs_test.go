package job

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/features/synth"
	"github.com/sosie-dev/sosie/internal/bqtest"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// TestLookalikeOnCloudStorage: with every input in gs:// (a glob among
// them), the seed list submitted to a gs:// seed store and the output in
// gs://, as on Dataflow where workers share no disk, the jobs give the
// prospects a local run gives, and every output is an object.
func TestLookalikeOnCloudStorage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism twice")
	}
	srv := bqtest.NewServer()
	defer srv.Close()
	t.Setenv("STORAGE_EMULATOR_HOST", srv.GCSHost())
	t.Setenv("SOSIE_PEPPER", "a test pepper, thirty-two bytes or more")
	dir := t.TempDir()
	world := filepath.Join(dir, "world")
	if _, err := synth.Generate(synth.Config{Persons: 4000, Seed: 8, SeedSize: 200, CustomerRate: 0.1}, world); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(world)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(world, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		srv.PutObject("gs://in/world/"+e.Name(), b)
	}
	var local, remote strings.Builder
	for _, app := range features.DefaultApps {
		fmt.Fprintf(&local, "  - {name: %s, accounts: [%s], events: [%s]}\n", app,
			filepath.Join(world, synth.AccountsFile(app, synth.JSONL)), filepath.Join(world, synth.EventsFile(app, synth.JSONL)))
		fmt.Fprintf(&remote, "  - {name: %s, accounts: [gs://in/world/accounts_%s.jsonl], events: [gs://in/world/events_%s*]}\n", app, app, app)
	}
	run := func(name, body string) {
		t.Helper()
		cfg := filepath.Join(dir, name+".yaml")
		os.WriteFile(cfg, []byte(body), 0o644)
		f := testFlags("", 0)
		*f.Config = cfg
		if code, err := RunLookalike(context.Background(), zerolog.Nop(), io.Discard, f); code != ExitOK {
			t.Fatalf("%s: exit %d: %v", name, code, err)
		}
	}
	run("local", "output: "+filepath.Join(dir, "local")+"\napps:\n"+local.String()+
		"seed_lists: [{id: l1, advertiser: a1, file: "+filepath.Join(world, synth.SeedListFile)+"}]\n")

	// The advertiser's list goes through jobs/seeds into a gs:// store.
	var stdout bytes.Buffer
	if code, err := RunSeeds(context.Background(), zerolog.Nop(), &stdout, seedsFlags("gs://seeds/store", "a1", "l1", "gs://in/world/"+synth.SeedListFile)); code != ExitOK {
		t.Fatalf("jobs/seeds: exit %d: %v", code, err)
	}
	if _, ok := srv.Object("gs://seeds/store/a1/l1/seeds.csv"); !ok {
		t.Fatalf("nothing stored in gs://; objects %v", srv.Objects())
	}
	run("gcs", "output: gs://out/run\nseed_store: gs://seeds/store\napps:\n"+remote.String()+"seed_lists: [{id: l1, advertiser: a1}]\n")

	a := prospectKeys(t, filepath.Join(dir, "local", "prospects.jsonl"))
	b := prospectKeys(t, "gs://out/run/prospects.jsonl")
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Errorf("from gs:// %d prospects, from local files %d, or other ones", len(b), len(a))
	}
	for _, name := range []string{"prospects.csv", "prospects.parquet", "seed_match.jsonl", "audiences.jsonl", "models.jsonl",
		"report.json", "advertiser_reports/a1/l1.json", "advertiser_reports/a1/l1.txt", fileio.ManifestFile, fileio.SuccessFile,
		"report.html", "report_charts/list-l1-gains.png", "advertiser_reports/a1/l1.html", "advertiser_reports/a1/l1_charts/gains.png"} {
		if _, ok := srv.Object("gs://out/run/" + name); !ok {
			t.Errorf("gs://out/run/%s was not written", name)
		}
	}
	// Published as on local disk: the manifest lists the run's files, and
	// nothing is left in staging.
	m, err := fileio.ReadManifest(context.Background(), "gs://out/run")
	if err != nil || m.Jobs["lookalike"] == nil {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	var listed, charts int
	for _, f := range m.Jobs["lookalike"].Files {
		if strings.HasSuffix(f.Path, ".png") {
			charts++
		} else {
			listed++
		}
	}
	if listed != 12 || charts == 0 {
		t.Errorf("the manifest lists %d files and %d charts, want 12 files (10 and two pages) and their charts: %+v", listed, charts, m.Jobs["lookalike"].Files)
	}
	for _, o := range srv.Objects() {
		if strings.Contains(o, "/_staging/") {
			t.Errorf("left in staging: %s", o)
		}
	}
	// The stored hashes were deleted once matched.
	if _, ok := srv.Object("gs://seeds/store/a1/l1/seeds.csv"); ok {
		t.Error("the stored seed list survived the run")
	}
}
