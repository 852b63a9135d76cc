package job

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// manifestFiles lists the files the manifest gives for job.
func manifestFiles(t *testing.T, dir, job string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, fileio.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m fileio.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var out []string
	if r := m.Jobs[job]; r != nil {
		for _, f := range r.Files {
			out = append(out, f.Path)
		}
	}
	return out
}

// TestOutputsNeverMix: a run's outputs are exactly what the manifest
// lists and the report names, all written by that run. A rerun with fewer
// formats or a renamed list leaves none of the earlier run's other files;
// a withheld run (exit 3) names only its own files; a failed run leaves
// the previous outputs byte for byte; every file holding keys or counts
// is readable by its owner only; dead letters come out in the same order
// on every run and prospects carry the run's as_of.
func TestOutputsNeverMix(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the job on prism five times")
	}
	c := newInputCase(t, badWorld(t))
	// Run 1: every format.
	if code, logs, err := c.run(RunLookalike); code != ExitOK {
		t.Fatalf("run 1: exit %d: %v\n%s", code, err, lastLines(logs, 5))
	}
	out := c.out()
	first := manifestFiles(t, out, "lookalike")
	for _, want := range []string{"prospects.csv", "prospects.parquet", "advertiser_reports/acme/spring.json", "report.json"} {
		if !slices.Contains(first, want) {
			t.Errorf("run 1's manifest lacks %s: %v", want, first)
		}
	}
	checkOutputs(t, out, first)
	dead1, _ := os.ReadFile(filepath.Join(out, "dead_letters.jsonl"))
	for _, p := range prospectKeys(t, filepath.Join(out, "prospects.jsonl")) {
		if p.AsOf != "2026-11-01" {
			t.Fatalf("a prospect's as_of is %q", p.AsOf)
		}
	}

	// Run 2: JSONL only, the list renamed.
	c.extra = append(c.extra, "prospect_formats: []")
	c.listID = "autumn"
	if code, logs, err := c.run(RunLookalike); code != ExitOK {
		t.Fatalf("run 2: exit %d: %v\n%s", code, err, lastLines(logs, 5))
	}
	second := manifestFiles(t, out, "lookalike")
	for _, gone := range []string{"prospects.csv", "prospects.parquet", "advertiser_reports/acme/spring.json"} {
		if slices.Contains(second, gone) {
			t.Errorf("run 2's manifest lists %s", gone)
		}
		if _, err := os.Stat(filepath.Join(out, gone)); err == nil {
			t.Errorf("run 1's %s is still there after run 2", gone)
		}
	}
	checkOutputs(t, out, second)
	if dead2, _ := os.ReadFile(filepath.Join(out, "dead_letters.jsonl")); string(dead2) != string(dead1) {
		t.Error("the dead letters of two runs of the same inputs differ")
	}

	// Run 3 fails (an app without data): run 2's outputs stay byte for byte.
	before := contents(t, out)
	failing := *c
	failing.files = map[string][]string{}
	for k, v := range c.files {
		failing.files[k] = v
	}
	failing.files["accounts_instagram"] = []string{c.write("empty.jsonl", nil)}
	if code, _, _ := failing.run(RunLookalike); code != ExitFailed {
		t.Fatalf("run 3: exit %d, want a failure", code)
	}
	if after := contents(t, out); !maps.Equal(before, after) {
		t.Error("a failed run changed the published outputs")
	}

	// Run 4 is withheld (an audience under the minimum): exit 3, and its
	// report names its own, empty, prospect files.
	c.extra = append(c.extra, "privacy: {min_audience: 1000000}")
	code, logs, err := c.run(RunLookalike)
	if code != ExitNotPredictive {
		t.Fatalf("run 4: exit %d: %v\n%s", code, err, lastLines(logs, 5))
	}
	rep := c.report("report.json")
	if rep.Status != "withheld" || rep.Attempt == "" {
		t.Errorf("run 4's report: status %q, attempt %q", rep.Status, rep.Attempt)
	}
	if n := len(prospectKeys(t, filepath.Join(out, "prospects.jsonl"))); n != 0 {
		t.Errorf("a withheld run's prospects.jsonl holds %d prospects", n)
	}
	checkOutputs(t, out, manifestFiles(t, out, "lookalike"))
}

// checkOutputs: the manifest's files are the report's outputs, all there,
// all 0600, and the success marker is there.
func checkOutputs(t *testing.T, dir string, listed []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	json.Unmarshal(b, &rep)
	var named []string
	for _, o := range rep.Outputs {
		rel, err := filepath.Rel(dir, o.Path)
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Errorf("the report names %s, outside the output", o.Path)
			continue
		}
		named = append(named, filepath.ToSlash(rel))
	}
	slices.Sort(named)
	if !slices.Equal(named, listed) {
		t.Errorf("the report names %v, the manifest lists %v", named, listed)
	}
	if _, err := os.Stat(filepath.Join(dir, fileio.SuccessFile)); err != nil {
		t.Error("no success marker")
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		if err != nil || d.IsDir() || strings.HasPrefix(rel, "world") {
			return nil
		}
		if fi, _ := d.Info(); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want 0600", rel, fi.Mode().Perm())
		}
		return nil
	})
}

// contents reads every published file of dir (the world and staging
// aside).
func contents(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name := range snapshot(t, dir) {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		out[name] = string(b)
	}
	return out
}

// TestUnreachableServicesFailFast: a BigQuery sink, a BigQuery source or a
// Cloud Storage output that does not answer fails the run, naming the
// endpoint, within the call deadlines (shortened here; 30 s and 60 s by
// default, so well under two minutes), before any work and with nothing
// published.
func TestUnreachableServicesFailFast(t *testing.T) {
	bigQueryTimeouts.Call = 2 * time.Second
	defer func() { bigQueryTimeouts.Call = 0 }()
	timeout := fileio.RemoteTimeout
	fileio.RemoteTimeout = 2 * time.Second
	defer func() { fileio.RemoteTimeout = timeout }()
	world := badWorld(t)
	for _, tc := range []struct {
		name string
		prep func(c *inputCase)
		says []string
	}{
		{"BigQuery sink", func(c *inputCase) {
			c.extra = append(c.extra, "sink: {bigquery: {project: p, dataset: d}}")
			c.flags = func(f *Flags) { e := "http://127.0.0.1:9"; f.BigQueryEndpoint = &e }
		}, []string{"BigQuery at http://127.0.0.1:9", "did not answer"}},
		{"BigQuery source", func(c *inputCase) {
			c.extra = append(c.extra, "source: {bigquery: {project: p, endpoint: 'http://127.0.0.1:9', read_endpoint: '127.0.0.1:9'}}")
			c.app["facebook"] = []string{"accounts_table: apps.accounts"}
			c.files["accounts_facebook"] = nil
		}, []string{"BigQuery at http://127.0.0.1:9", "did not answer"}},
		{"Cloud Storage output", func(c *inputCase) {
			t.Setenv("STORAGE_EMULATOR_HOST", "127.0.0.1:9")
			c.flags = func(f *Flags) { o := "gs://bucket/out"; f.Out = &o }
		}, []string{"Cloud Storage at 127.0.0.1:9", "did not answer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newInputCase(t, world)
			tc.prep(c)
			start := time.Now()
			code, logs, err := c.run(RunLookalike)
			if code == ExitOK || err == nil {
				t.Fatalf("exit %d with an unreachable service\n%s", code, lastLines(logs, 4))
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %v does not say %q", err, s)
				}
			}
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("failing took %s", took)
			}
			if _, err := os.Stat(filepath.Join(c.out(), fileio.ManifestFile)); err == nil {
				t.Error("a run that could not reach a service published")
			}
		})
	}
}
