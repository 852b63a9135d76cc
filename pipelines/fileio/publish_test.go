package fileio

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/internal/bqtest"
)

func stageFile(t *testing.T, p *Publication, name, body string) {
	t.Helper()
	p.Declare("test", name)
	if err := WriteFile(context.Background(), p.Stage(name), func(w *bufio.Writer) error { _, err := w.WriteString(body); return err }); err != nil {
		t.Fatal(err)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := ReadFile(context.Background(), path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// TestPublication: a run's files appear only when it publishes; a rerun
// that writes fewer files removes its previous run's others; another job's
// files stay; a publication killed halfway is finished by the next run;
// staging places of runs that are gone are removed, locally and in gs://.
func TestPublication(t *testing.T) {
	srv := bqtest.NewServer()
	defer srv.Close()
	t.Setenv("STORAGE_EMULATOR_HOST", srv.GCSHost())
	ctx := context.Background()
	for name, dir := range map[string]string{"local": t.TempDir(), "remote": "gs://bucket/out"} {
		t.Run(name, func(t *testing.T) {
			at := func(n string) string { return configs.JoinPath(dir, strings.Split(n, "/")...) }
			// Run 1 of lookalike: three files.
			p1, err := StartPublication(ctx, dir, "lookalike")
			if err != nil {
				t.Fatal(err)
			}
			stageFile(t, p1, "prospects.jsonl", "one\n")
			stageFile(t, p1, "prospects.csv", "one\n")
			stageFile(t, p1, "reports/acme/spring.json", "one\n")
			if s := readString(t, at("prospects.jsonl")); !strings.HasPrefix(s, "<") {
				t.Fatalf("a staged file is published before Publish: %q", s)
			}
			if _, err := p1.Publish(ctx, ManifestRun{RunID: "r1", Status: "ok"}); err != nil {
				t.Fatal(err)
			}
			// Another job publishes into the same directory.
			f, _ := StartPublication(ctx, dir, "featurize")
			stageFile(t, f, "persons.jsonl", "persons\n")
			if _, err := f.Publish(ctx, ManifestRun{RunID: "f1", Status: "ok"}); err != nil {
				t.Fatal(err)
			}
			// Run 2 of lookalike: fewer files; a declared file not written
			// refuses publication, leaving run 1's as they were.
			p2, _ := StartPublication(ctx, dir, "lookalike")
			stageFile(t, p2, "prospects.jsonl", "two\n")
			p2.Declare("missing", "audiences.jsonl")
			if _, err := p2.Publish(ctx, ManifestRun{RunID: "r2"}); !errors.Is(err, ErrNotWritten) {
				t.Fatalf("publishing without a declared file: %v", err)
			}
			if got := readString(t, at("prospects.jsonl")); got != "one\n" {
				t.Fatalf("a refused publication changed the outputs: %q", got)
			}
			p2.files = p2.files[:1]
			m, err := p2.Publish(ctx, ManifestRun{RunID: "r2", Status: "ok"})
			if err != nil {
				t.Fatal(err)
			}
			if got := readString(t, at("prospects.jsonl")); got != "two\n" {
				t.Errorf("prospects.jsonl %q after run 2", got)
			}
			for _, gone := range []string{"prospects.csv", "reports/acme/spring.json"} {
				if err := StatFile(ctx, at(gone)); !errors.Is(err, ErrNotExist) {
					t.Errorf("%s of run 1 still there after run 2: %v", gone, err)
				}
			}
			if readString(t, at("persons.jsonl")) != "persons\n" || len(m.Jobs) != 2 || len(m.Jobs["lookalike"].Files) != 1 ||
				m.Jobs["lookalike"].Files[0].Bytes != 4 || m.Jobs["featurize"].RunID != "f1" {
				b, _ := json.Marshal(m)
				t.Errorf("manifest %s", b)
			}
			if !strings.HasPrefix(readString(t, at(SuccessFile)), "lookalike ") {
				t.Error("no success marker")
			}

			// Run 3 is killed halfway through publishing: its journal is
			// written, the marker gone, one of two files moved.
			p3, _ := StartPublication(ctx, dir, "lookalike")
			stageFile(t, p3, "prospects.jsonl", "three\n")
			stageFile(t, p3, "audiences.jsonl", "three\n")
			j := journal{Job: "lookalike", Attempt: p3.Attempt, Staging: p3.staging,
				Moves:    [][2]string{{p3.Stage("prospects.jsonl"), at("prospects.jsonl")}, {p3.Stage("audiences.jsonl"), at("audiences.jsonl")}},
				Manifest: &Manifest{Format: ManifestFormat, Jobs: map[string]*ManifestRun{"lookalike": {RunID: "r3"}, "featurize": m.Jobs["featurize"]}}}
			b, _ := json.Marshal(j)
			WriteFile(ctx, at(journalFile), func(w *bufio.Writer) error { _, err := w.Write(b); return err })
			RemoveFile(ctx, at(SuccessFile))
			if err := RenameFile(ctx, p3.Stage("prospects.jsonl"), at("prospects.jsonl")); err != nil {
				t.Fatal(err)
			}
			if err := StatFile(ctx, at(SuccessFile)); !errors.Is(err, ErrNotExist) {
				t.Fatal("a half-published directory is marked complete")
			}
			// The next run in the directory finishes it first.
			p4, err := StartPublication(ctx, dir, "lookalike")
			if err != nil {
				t.Fatal(err)
			}
			if readString(t, at("audiences.jsonl")) != "three\n" || readString(t, at("prospects.jsonl")) != "three\n" {
				t.Error("the interrupted publication was not finished")
			}
			m, _ = ReadManifest(ctx, dir)
			if m.Jobs["lookalike"].RunID != "r3" || StatFile(ctx, at(SuccessFile)) != nil || StatFile(ctx, at(journalFile)) == nil {
				t.Errorf("after recovery: manifest %+v", m.Jobs["lookalike"])
			}
			// A staging place of a process that is gone is removed; this
			// run's own stays.
			dead := configs.JoinPath(dir, stagingDir, "lookalike", "dead-attempt")
			host, _ := os.Hostname()
			owner, _ := json.Marshal(stagingOwner{PID: 1 << 30, Host: host})
			WriteFile(ctx, configs.JoinPath(dead, ownerFile), func(w *bufio.Writer) error { _, err := w.Write(owner); return err })
			WriteFile(ctx, configs.JoinPath(dead, "prospects.jsonl"), func(w *bufio.Writer) error { return nil })
			if _, err := StartPublication(ctx, dir, "lookalike"); err != nil {
				t.Fatal(err)
			}
			left, _ := FilesUnder(ctx, configs.JoinPath(dir, stagingDir, "lookalike"))
			if slices.ContainsFunc(left, func(f string) bool { return strings.Contains(f, "dead-attempt") }) ||
				!slices.ContainsFunc(left, func(f string) bool { return strings.Contains(f, p4.Attempt) }) {
				t.Errorf("staging after cleaning: %v", left)
			}
		})
	}
}
