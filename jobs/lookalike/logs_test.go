package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneLogFormat runs the binary as a scheduler would (stderr not a
// terminal) with SOSIE_LOG=debug: every line on stderr is one JSON object
// with a level and a message — Beam's and prism's too, marked
// runner=beam — and the start line carries the configuration that
// changes results.
func TestOneLogFormat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the flow on prism")
	}
	dir := t.TempDir()
	bin := buildJob(t, dir, "lookalike", ".")
	cmd := exec.Command(bin, "--out", filepath.Join(dir, "out"), "--persons", "4000")
	cmd.Env = append(os.Environ(), "SOSIE_LOG=debug", "SOSIE_PEPPER=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	beam := 0
	var start map[string]any
	for i, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["level"] == nil || rec["message"] == nil {
			t.Errorf("stderr line %d is not one JSON log record: %q", i+1, line)
			continue
		}
		if rec["runner"] == "beam" {
			beam++
		}
		if rec["message"] == "pipeline starting" {
			start = rec
		}
	}
	if beam == 0 {
		t.Errorf("no line of Beam's or prism's came through (runner=beam)")
	}
	for _, k := range []string{"run_id", "as_of", "window_days", "model", "floor", "min_seeds", "min_audience", "noise_scale", "privacy_rules", "inputs", "output", "seed_lists_audience"} {
		if start[k] == nil {
			t.Errorf("the start line has no %s: %v", k, start)
		}
	}
}
