package pipelines

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPepperFromFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pepper")
	// A secret file written with echo ends in a newline that is not part of it.
	if err := os.WriteFile(file, []byte(os.Getenv(testPepperEnv)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := Pepper{Env: "SOSIE_NO_SUCH_VARIABLE", File: file}.keyer()
	if err != nil {
		t.Fatal(err)
	}
	fromEnv, err := testPepper.keyer()
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fromFile.Key("+33612345678"), fromEnv.Key("+33612345678"); a != b {
		t.Fatalf("the same pepper from a file and the environment keys differently: %s, %s", a, b)
	}

	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]Pepper{
		"empty file":   {File: empty},
		"missing file": {File: filepath.Join(dir, "missing")},
		"unset env":    {Env: "SOSIE_NO_SUCH_VARIABLE"},
		"nothing":      {},
	} {
		err := p.Check()
		if !errors.Is(err, ErrNoPepper) {
			t.Errorf("%s: %v, want ErrNoPepper", name, err)
			continue
		}
		if want := p.File + p.Env; want != "" && !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q does not say where the pepper was looked for (%s)", name, err, want)
		}
	}
}
