package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTable writes a ';'-separated table with a learnable label.
func writeTable(t *testing.T) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString("id;age;job;balance;y\r\n")
	for i := range 2000 {
		pos := rng.Float64() < 0.15
		age := 20 + rng.IntN(50)
		job := []string{"admin", "tech", "retired"}[rng.IntN(3)]
		bal := rng.NormFloat64() * 100
		if pos {
			bal += 120
			if rng.IntN(2) == 0 {
				job = "retired"
			}
		}
		y := "no"
		if pos {
			y = "yes"
		}
		fmt.Fprintf(&b, "%d;%d;%s;%.1f;%s\r\n", i, age, job, bal, y)
	}
	path := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEvaluate(t *testing.T) {
	path := writeTable(t)
	out := filepath.Join(t.TempDir(), "r.json")
	var stdout, stderr strings.Builder
	code := run([]string{"--csv", path, "--comma", ";", "--label", "y", "--positive", "yes", "--drop", "id",
		"--k", "20,60", "--repeats", "2", "--models", "auto,logistic", "--json", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	table := stdout.String()
	for _, want := range []string{"| k | model | AUC |", "| 20 | auto |", "| 60 | logistic |"} {
		if !strings.Contains(table, want) {
			t.Errorf("output lacks %q:\n%s", want, table)
		}
	}
	var res struct {
		Results []struct {
			SeedSize int    `json:"seed_size"`
			Kind     string `json:"kind"`
			AUC      struct{ Mean float64 }
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 4 {
		t.Fatalf("%d results", len(res.Results))
	}
	for _, r := range res.Results {
		if r.AUC.Mean < 0.65 {
			t.Errorf("k=%d %s: AUC %v on a learnable table", r.SeedSize, r.Kind, r.AUC.Mean)
		}
	}
	// Deterministic for a seed (and profiled, which changes nothing).
	var again strings.Builder
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	run([]string{"--csv", path, "--comma", ";", "--label", "y", "--positive", "yes", "--drop", "id",
		"--k", "20,60", "--repeats", "2", "--models", "auto,logistic", "--cpuprofile", prof}, &again, &stderr)
	if withoutTimes(again.String()) != withoutTimes(table) {
		t.Errorf("two runs with the same seed printed different tables:\n%s\n%s", again.String(), table)
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("--cpuprofile wrote no profile: %v", err)
	}
}

// withoutTimes keeps the table rows without the fit-time column, the one
// figure that may differ between two runs.
func withoutTimes(table string) string {
	var out []string
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) > 10 {
			cells = append(cells[:9], cells[10:]...)
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return strings.Join(out, "\n")
}

func TestEvaluateErrors(t *testing.T) {
	path := writeTable(t)
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--csv", path}, 2, "required"},
		{[]string{"--csv", "/nonexistent.csv", "--label", "y", "--positive", "yes"}, 1, "cannot open"},
		{[]string{"--csv", path, "--comma", ";", "--label", "z", "--positive", "yes"}, 1, "no label column"},
		{[]string{"--csv", path, "--comma", ";;", "--label", "y", "--positive", "yes"}, 2, "one character"},
		{[]string{"--csv", path, "--comma", ";", "--label", "y", "--positive", "yes", "--k", "ten"}, 2, "whole numbers"},
		{[]string{"--csv", path, "--comma", ";", "--label", "y", "--positive", "yes", "--k", "100000"}, 1, "seed size 100000"},
		{[]string{"--csv", path, "--comma", ";", "--label", "y", "--positive", "yes", "--models", "forest"}, 2, "unknown model forest"},
	}
	for _, tc := range cases {
		var stdout, stderr strings.Builder
		code := run(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.says) {
			t.Errorf("%v: exit %d, stderr %q; want %d mentioning %q", tc.args, code, stderr.String(), tc.code, tc.says)
		}
	}
}
