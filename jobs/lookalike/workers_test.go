package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// bootWrapper starts Beam's Go SDK boot program (what a worker container
// runs) for a worker prism starts in its own process: with a clean
// environment, as a Dataflow worker has — nothing the launcher set in
// its own (the development pepper, SOSIE_PEPPER) reaches it — and with
// the --id prism passes in literal quotes unquoted.
const bootWrapper = `#!/bin/sh
for a in "$@"; do
  case "$a" in
    --id=\'*\') a="--id=$(printf '%%s' "${a#--id=}" | sed "s/^'//; s/'\$//")";;
  esac
  set -- "$@" "$a"; shift
done
exec env -i PATH="$PATH" HOME="$HOME" TMPDIR=%q %q "$@"
`

// TestWorkersInTheirOwnProcesses runs the job with its workers in separate
// OS processes — prism's PROCESS environment: Beam's boot program fetches
// the staged job binary and starts it as a worker, which receives its
// DoFns serialized from the launcher, as on Dataflow — and finds exactly
// the prospects and counters of the in-process run. A DoFn that reached
// for anything outside its serialized fields (a global set by main, the
// launcher's environment, a local temp file) would fail or differ here.
func TestWorkersInTheirOwnProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the job and Beam's boot program, runs the flow twice on prism")
	}
	dir := t.TempDir()
	bin := buildJob(t, dir, "lookalike", ".")
	boot := buildJob(t, dir, "beam-boot", "github.com/apache/beam/sdks/v2/go/container")
	work := filepath.Join(dir, "work")
	os.MkdirAll(work, 0o755)
	wrapper := filepath.Join(dir, "boot.sh")
	if err := os.WriteFile(wrapper, []byte(fmt.Sprintf(bootWrapper, work, boot)), 0o755); err != nil {
		t.Fatal(err)
	}
	// A pepper file, as on Dataflow (a mounted secret or a gs:// object):
	// workers read it themselves.
	pepper := filepath.Join(dir, "pepper")
	os.WriteFile(pepper, []byte("a pepper for the workers test, thirty-two bytes or more\n"), 0o600)
	cfg := filepath.Join(dir, "sosie.yaml")
	os.WriteFile(cfg, []byte("pepper_env: SOSIE_NO_PEPPER_HERE\npepper_file: "+pepper+"\n"), 0o600)

	run := func(out string, args ...string) {
		t.Helper()
		log, err := os.Create(out + ".log")
		if err != nil {
			t.Fatal(err)
		}
		defer log.Close()
		cmd := exec.Command(bin, append([]string{"--config", cfg, "--persons", "4000", "--out", out}, args...)...)
		// A file, not a pipe, for the output, and a process group of its
		// own: the boot program's worker outlives the job (prism kills the
		// boot program, not its child), and is killed with the group.
		cmd.Dir, cmd.Stdout, cmd.Stderr = work, log, log
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if err != nil {
			b, _ := os.ReadFile(out + ".log")
			t.Fatalf("%v: %v\n%s", args, err, b)
		}
	}
	inProcess, own := filepath.Join(dir, "in-process"), filepath.Join(dir, "own-processes")
	run(inProcess)
	run(own, "--environment_type=PROCESS", `--environment_config={"command":"`+wrapper+`"}`, "--worker_binary="+bin)

	want, got := prospectLines(t, inProcess), prospectLines(t, own)
	if len(want) < 50 || !slices.Equal(got, want) {
		t.Errorf("workers in their own processes: %d prospects, in process %d; equal: %v", len(got), len(want), slices.Equal(got, want))
	}
	wc, gc := reportCounters(t, inProcess), reportCounters(t, own)
	for k, v := range wc {
		if gc[k] != v {
			t.Errorf("counter %s: %d in their own processes, %d in process", k, gc[k], v)
		}
	}
	if len(gc) != len(wc) {
		t.Errorf("%d counters in their own processes, %d in process", len(gc), len(wc))
	}
}

// prospectLines are a run's prospects without the time they were scored,
// sorted.
func prospectLines(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "prospects.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range splitLines(b) {
		var p map[string]any
		if err := json.Unmarshal(l, &p); err != nil {
			t.Fatal(err)
		}
		delete(p, "scored_at")
		s, _ := json.Marshal(p)
		out = append(out, string(s))
	}
	slices.Sort(out)
	return out
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := slices.Index(b, '\n')
		if i < 0 {
			return append(out, b)
		}
		if i > 0 {
			out = append(out, b[:i])
		}
		b = b[i+1:]
	}
	return out
}

// reportCounters are a run's counters from its report.
func reportCounters(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	var rep struct {
		Counters map[string]int64 `json:"counters"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Counters
}
