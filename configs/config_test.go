package configs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadExample(t *testing.T) {
	c, err := Load("local.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.RunID != "local-demo" || c.Synthetic.Persons != 5000 || c.Model.Kind != "auto" || c.PepperEnv != "SOSIE_PEPPER" {
		t.Fatalf("%+v", c)
	}
}

// TestEveryExampleLoads: each YAML file in configs/ loads strictly and
// validates, so the examples stay true to the code.
func TestEveryExampleLoads(t *testing.T) {
	files, _ := filepath.Glob("*.yaml")
	if len(files) < 2 {
		t.Fatalf("example configs: %v", files)
	}
	for _, f := range files {
		c, err := Load(f)
		if err == nil {
			err = c.Validate()
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadStrict(t *testing.T) {
	_, err := Load(writeConfig(t, "run_id: x\nsampel_size: 10\n"))
	if err == nil || !strings.Contains(err.Error(), "sampel_size") {
		t.Fatalf("a misspelt key: %v", err)
	}
	c, err := Load(writeConfig(t, ""))
	if err != nil || c.Output != "sosie-out" {
		t.Fatalf("an empty file: %+v, %v", c, err)
	}
	if _, err := Load("no-such-file.yaml"); err == nil {
		t.Fatal("a missing file loaded")
	}
}

func TestValidateNamesEveryField(t *testing.T) {
	c, err := Load(writeConfig(t, `
as_of: yesterday
window_days: 1000
apps:
  - name: Face Book
    accounts: [a.jsonl]
  - name: ig
    accounts: [b.jsonl]
    events: [c.jsonl]
seed_lists:
  - id: l1
    file: s.csv
    audience_percent: 20
model:
  kind: forest
`))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(err.Error(), `apps[1].name: "ig" is not an app of the feature schema`) {
		t.Errorf("an unknown app is not named:\n%v", err)
	}
	for _, field := range []string{"as_of", "window_days", "apps[0].name", "apps[0].events", "apps[1].name", "seed_lists[0].advertiser", "seed_lists[0].audience_percent", "model.kind"} {
		if !strings.Contains(err.Error(), field+":") {
			t.Errorf("the error does not name %s:\n%v", field, err)
		}
	}
}
