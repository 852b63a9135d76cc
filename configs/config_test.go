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
	if c.RunID != "local-demo" || c.Synthetic.Persons != 20000 || c.Model.Kind != "auto" || c.PepperEnv != "SOSIE_PEPPER" {
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

// TestZeroIsNotUnset: a key set to 0 keeps 0 — honoured where it means
// something, refused by name where it does not — and only an absent key
// takes its default.
func TestZeroIsNotUnset(t *testing.T) {
	c, err := Load(writeConfig(t, "privacy: {floor: 0, min_audience: 0}\nrun_seed: 0\nsynthetic: {seed: 0}\nprospect_formats: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("meaningful zeros refused: %v", err)
	}
	if c.Privacy.Floor != 0 || c.Privacy.MinAudience != 0 || c.RunSeed != 0 || c.Synthetic.Seed != 0 || len(c.ProspectFormats) != 0 {
		t.Errorf("zeros became defaults: %+v", c)
	}
	if !c.Given("privacy.floor") || c.Given("window_days") {
		t.Error("Given does not tell set keys from absent ones")
	}
	for key, body := range map[string]string{
		"window_days":                    "window_days: 0",
		"min_seeds":                      "min_seeds: 0",
		"sample_size":                    "sample_size: 0",
		"max_accounts_per_phone":         "max_accounts_per_phone: 0",
		"shuffle_buckets":                "shuffle_buckets: -1",
		"synthetic.persons":              "synthetic: {persons: 0}",
		"synthetic.seed_size":            "synthetic: {seed_size: 0}",
		"seed_lists[0].audience_percent": "seed_lists: [{id: l, advertiser: a, file: s.csv, audience_percent: 0}]",
		"privacy.floor":                  "privacy: {floor: -3}",
		"output":                         "output: ''",
		"run_id":                         `run_id: ""`,
		"as_of":                          "as_of: ''",
		"apps[0].account_columns.phone":  "apps: [{name: facebook, accounts: [a.jsonl], events: [e.jsonl], account_columns: {phone: '-'}}]",
	} {
		c, err := Load(writeConfig(t, body+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), key+":") {
			t.Errorf("%s: %v, want an error naming %s", body, err, key)
		}
	}
	d := Default()
	if d.WindowDays != 90 || d.Privacy.Floor != 50 || d.MinSeeds != 100 || d.RunSeed != 1 {
		t.Errorf("defaults: %+v", d)
	}
}
