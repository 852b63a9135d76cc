package job

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features/synth"
)

// TestExcludeLists: a seed list that excludes another of its advertiser's
// lists never gets that list's matched persons as prospects. The world's
// customers are split in two lists, spring (excluding all_customers) and
// all_customers; every matched, policy-kept customer of all_customers is
// scored for spring and left out, counted (score_excluded_by_lists_spring)
// and told to the advertiser as a count, never as who.
func TestExcludeLists(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism")
	}
	split := func() {
		b, err := os.ReadFile(filepath.Join("world", "seed_list.csv"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		header, rows := lines[0], lines[1:]
		os.WriteFile("spring.csv", []byte(header+"\n"+strings.Join(rows[:200], "\n")+"\n"), 0o600)
		os.WriteFile("all.csv", []byte(header+"\n"+strings.Join(rows[200:], "\n")+"\n"), 0o600)
	}
	rep := runOnWorld(t, synth.Config{Persons: 4000, Seed: 2, SeedSize: 400, CustomerRate: 0.15}, split, "{floor: 0, noise_scale: 0, min_audience: 10}",
		"  - {id: spring, advertiser: acme, file: spring.csv, exclude: [all_customers]}\n  - {id: all_customers, advertiser: acme, file: all.csv}\n")
	c := rep.Counters
	excluded := c["score_excluded_by_lists_spring"]
	matched := 0
	for _, m := range rep.SeedMatch {
		if m.List == "all_customers" {
			matched = m.Matched
		}
	}
	if excluded == 0 || excluded > int64(matched) || c["score_excluded_by_lists"] != excluded || c["score_excluded_by_lists_all_customers"] != 0 {
		t.Errorf("%d of all_customers' %d matched persons kept out of spring's prospects; counters %v", excluded, matched, c)
	}
	if c["score_persons_in"]*2 != c["score_scores"]+c["score_seeds_excluded"]+c["score_excluded_by_lists"] {
		t.Errorf("scoring does not balance: %d in × 2 lists, %d scores, %d seeds, %d excluded by lists",
			c["score_persons_in"], c["score_scores"], c["score_seeds_excluded"], c["score_excluded_by_lists"])
	}
	var adv AdvertiserReport
	b, _ := os.ReadFile(filepath.Join("out", AdvertiserReportsDir, "acme", "spring.json"))
	if err := json.Unmarshal(b, &adv); err != nil {
		t.Fatal(err)
	}
	if adv.ExcludedByLists == nil || int64(*adv.ExcludedByLists) != excluded || !slices.Equal(adv.ExcludedLists, []string{"all_customers"}) {
		t.Errorf("spring's advertiser report: %s", b)
	}
}

// TestExcludeValidation: exclude names other lists of the same advertiser
// in the run, and nothing else.
func TestExcludeValidation(t *testing.T) {
	for name, c := range map[string]struct{ lists, says string }{
		"itself":        {"  - {id: a, advertiser: acme, file: a.csv, exclude: [a]}\n", "is the list itself"},
		"absent":        {"  - {id: a, advertiser: acme, file: a.csv, exclude: [b]}\n", `"b" is not a seed list of this run`},
		"another's own": {"  - {id: a, advertiser: acme, file: a.csv, exclude: [b]}\n  - {id: b, advertiser: rival, file: b.csv}\n", "is advertiser rival's list, not acme's"},
	} {
		cfg, err := configs.Parse([]byte("seed_lists:\n"+c.lists), "sosie.yaml")
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "seed_lists[0].exclude") || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
