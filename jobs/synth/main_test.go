package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sosie-dev/sosie/features/synth"
)

// The test binary doubles as the command: with SOSIE_RUN_MAIN set it runs
// main with the arguments after "--".
func TestMain(m *testing.M) {
	if os.Getenv("SOSIE_RUN_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{os.Args[0]}, os.Args[i+1:]...)
				break
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "SOSIE_RUN_MAIN=1")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func TestSynthCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "world")
	stdout, stderr, code := run(t, "--persons", "600", "--seed", "3", "--format", "csv", "--seed-format", "sha256_digits", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote a world of 600 persons") || !strings.Contains(stdout, "accounts_whatsapp.csv") {
		t.Fatalf("stdout does not say what was written:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(dir, synth.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var st synth.Stats
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Persons != 600 || st.Config.Format != synth.CSV || st.Config.SeedFormat != synth.SeedSHA256Digits || st.Accounts["facebook"] == 0 {
		t.Fatalf("manifest %+v", st)
	}
}

func TestSynthCommandErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--persons", "10"}, 2, "--out is required"},
		{[]string{"--out", t.TempDir(), "--as-of", "last week"}, 2, "--as-of"},
		{[]string{"--out", t.TempDir(), "--persons", "0"}, 1, "persons 0"},
		{[]string{"--out", t.TempDir(), "--format", "xml"}, 1, "format"},
	} {
		_, stderr, code := run(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.says) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, tc.code, tc.says)
		}
	}
}
