package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sosie-dev/sosie/jobs/internal/job"
)

// published reads every published file of an output directory: not the
// synthetic world, not the staging places.
func published(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() && (rel == "world" || rel == "_staging") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

// staged says whether a run has written an output to its staging place
// (its owner file aside).
func staged(dir string) bool {
	found := false
	filepath.WalkDir(filepath.Join(dir, "_staging"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(p) != "_owner.json" && !strings.HasPrefix(filepath.Base(p), ".") {
			found = true
		}
		return nil
	})
	return found
}

// TestInterruptedRunsPublishNothing runs the job binary over a published
// output and stops it: killed with SIGKILL once it has staged an output,
// or stopped with SIGINT or SIGTERM while its pipeline runs. Each time the
// previous outputs stay byte for byte, and a signal gives a log line, the
// summary line with status interrupted and exit 130 (143 for SIGTERM);
// the next run publishes as usual.
func TestInterruptedRunsPublishNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the flow on prism")
	}
	dir := t.TempDir()
	bin := buildJob(t, dir, "lookalike", ".")
	out := filepath.Join(dir, "out")
	start := func() (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		cmd := exec.Command(bin, "--out", out, "--persons", "4000")
		cmd.Env = append(os.Environ(), "SOSIE_PEPPER=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &stdout, &stderr
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(3 * time.Minute); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 3 minutes for %s", what)
			}
		}
	}
	cmd, _, stderr := start()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the first run: %v\n%s", err, stderr)
	}
	before := published(t, out)
	if before["manifest.json"] == "" || before["_SUCCESS"] == "" || before["prospects.jsonl"] == "" {
		t.Fatalf("the first run published %d files", len(before))
	}

	// SIGKILL once something is staged.
	cmd, _, _ = start()
	waitFor("an output to be staged", func() bool { return staged(out) })
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if after := published(t, out); !equalFiles(before, after) {
		t.Errorf("a run killed after staging changed the published outputs: %v", diffFiles(before, after))
	}

	for _, sig := range []struct {
		signal syscall.Signal
		code   int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		cmd, stdout, stderr := start()
		waitFor("the pipeline to start", func() bool { return strings.Contains(stderr.String(), "pipeline starting") })
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Signal(sig.signal)
		err := cmd.Wait()
		ee, _ := err.(*exec.ExitError)
		if ee == nil || ee.ExitCode() != sig.code {
			t.Errorf("%v: %v, want exit %d\n%s", sig.signal, err, sig.code, stderr)
		}
		var sum job.Summary
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if json.Unmarshal([]byte(lines[len(lines)-1]), &sum) != nil || sum.Status != "interrupted" || sum.ExitCode != sig.code {
			t.Errorf("%v: the last line of stdout is %q, want a summary with status interrupted", sig.signal, lines[len(lines)-1])
		}
		if !strings.Contains(stderr.String(), "interrupted: stopping") {
			t.Errorf("%v: no log line says the run was interrupted", sig.signal)
		}
		if after := published(t, out); !equalFiles(before, after) {
			t.Errorf("%v changed the published outputs: %v", sig.signal, diffFiles(before, after))
		}
	}

	// The next run publishes, and clears what the killed one staged.
	cmd, _, stderr = start()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the run after: %v\n%s", err, stderr)
	}
	attempts, _ := os.ReadDir(filepath.Join(out, "_staging", "lookalike"))
	if len(attempts) != 0 {
		t.Errorf("staging places left after a complete run: %d", len(attempts))
	}
	var m map[string]any
	b, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	if json.Unmarshal(b, &m) != nil || bytes.Equal(b, []byte(before["manifest.json"])) {
		t.Error("the run after the interruptions did not publish a new manifest")
	}
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"level":"error"`) {
			t.Errorf("the run after logs an error: %s", sc.Text())
		}
	}
}

func equalFiles(a, b map[string]string) bool {
	return len(diffFiles(a, b)) == 0
}

func diffFiles(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			out = append(out, "gone: "+k)
		} else if w != v {
			out = append(out, "changed: "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "new: "+k)
		}
	}
	return out
}

// TestExplicitFlagValues: a flag given on the command line with 0 or an
// empty value is refused by name, never taken for an absent flag.
func TestExplicitFlagValues(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildJob(t, dir, "lookalike", ".")
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--persons", "0"}, "--persons 0: want at least 1"},
		{[]string{"--persons=-3"}, "--persons -3: want at least 1"},
		{[]string{"--out="}, "--out: empty"},
		{[]string{"--run-id", ""}, "--run-id: empty"},
		{[]string{"--as-of="}, "--as-of: empty"},
	} {
		cmd := exec.Command(bin, append(tc.args, "--out", filepath.Join(dir, "out"))...)
		if tc.args[0] == "--out=" {
			cmd = exec.Command(bin, tc.args...)
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		ee, _ := err.(*exec.ExitError)
		var sum job.Summary
		json.Unmarshal([]byte(strings.TrimSpace(stdout.String())), &sum)
		if ee == nil || ee.ExitCode() != 2 || sum.Status != "bad_input" || !strings.Contains(sum.Error, tc.says) {
			t.Errorf("%v: %v, summary %+v; want exit 2 saying %q", tc.args, err, sum, tc.says)
		}
	}
}

// --help shows sosie's flags, grouped, and only points to Beam's runner
// flags; --help-beam lists those and none of sosie's.
func TestHelpShowsSosieFlagsFirst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildJob(t, t.TempDir(), "lookalike", ".")
	help, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("--help: %v\n%s", err, help)
	}
	h := string(help)
	for _, want := range []string{"Inputs and outputs:\n  --config string", "  --out string", "Run:\n", "  --plain-go\n", "BigQuery:\n  --bigquery-endpoint", "--help-beam lists them"} {
		if !strings.Contains(h, want) {
			t.Errorf("--help lacks %q:\n%s", want, h)
		}
	}
	for _, beamFlag := range []string{"  --runner", "  --dataflow_endpoint", "  --job_name"} {
		if strings.Contains(h, beamFlag+" ") || strings.Contains(h, beamFlag+"\n") {
			t.Errorf("--help describes Beam's %s among sosie's flags:\n%s", strings.TrimSpace(beamFlag), h)
		}
	}
	if !strings.Contains(h, "--runner") {
		t.Errorf("--help does not name --runner where it points to Beam's flags:\n%s", h)
	}
	beam, err := exec.Command(bin, "--help-beam").Output()
	if err != nil {
		t.Fatalf("--help-beam: %v", err)
	}
	b := string(beam)
	if !strings.Contains(b, "  --runner string") || !strings.Contains(b, "  --endpoint string") {
		t.Errorf("--help-beam lacks --runner or --endpoint:\n%s", b)
	}
	if strings.Contains(b, "  --config") || strings.Contains(b, "  --plain-go") {
		t.Errorf("--help-beam lists sosie's flags:\n%s", b)
	}
}
