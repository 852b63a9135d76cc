package job

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features/synth"
	"github.com/sosie-dev/sosie/pipelines"
)

// TestAudiencesPerCountry: a seed list with target countries is scored in
// those countries only, and sized within each, as platforms size a
// lookalike: every prospect is in one of them, and each country's
// prospects are its own top audience_percent, one percent per tier, of the
// persons it scored there. The same list without countries is one
// audience over every country. Reports break the audience down by
// country, the advertiser's floored.
func TestAudiencesPerCountry(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism")
	}
	rep := runOnWorld(t, synth.Config{Persons: 8000, Seed: 3, SeedSize: 400, CustomerRate: 0.1}, nil, "{floor: 20, noise_scale: 0, min_audience: 10}",
		"  - {id: eu, advertiser: acme, file: world/seed_list.csv, audience_percent: 5, countries: [fr, DE]}\n"+
			"  - {id: all, advertiser: acme, file: world/seed_list.csv, audience_percent: 5}\n")
	scored := map[string]map[string]int64{}
	for _, d := range rep.Distributions {
		scored[d.List] = d.ByCountry
	}
	if len(scored["eu"]) != 2 || scored["eu"]["FR"] == 0 || scored["eu"]["DE"] == 0 || len(scored["all"]) < 5 {
		t.Fatalf("persons scored by country: %v", scored)
	}
	type cell struct {
		list, country string
		tier          int
	}
	counts := map[cell]int{}
	for _, p := range prospectKeys(t, filepath.Join("out", "prospects.jsonl")) {
		if p.List == "eu" && p.Country != "FR" && p.Country != "DE" {
			t.Fatalf("a prospect of the FR and DE list in %q", p.Country)
		}
		counts[cell{p.List, p.Country, p.Tier}]++
		counts[cell{p.List, p.Country, 0}]++
	}
	// Each target country keeps its own top 5 %, 1 % per tier (within a
	// person or two: a percentile is a whole number of persons).
	for _, c := range []string{"FR", "DE"} {
		n := float64(scored["eu"][c])
		if got := float64(counts[cell{"eu", c, 0}]); math.Abs(got-0.05*n) > 2 {
			t.Errorf("%s: %v prospects of %v persons scored, want 5 %%", c, got, n)
		}
		for tier := 1; tier <= 5; tier++ {
			if got := float64(counts[cell{"eu", c, tier}]); math.Abs(got-0.01*n) > 2 {
				t.Errorf("%s tier %d: %v prospects of %v persons scored, want 1 %%", c, tier, got, n)
			}
		}
	}
	// Without countries, one audience: 5 % of everyone scored, however
	// its countries share it.
	var all, allScored float64
	for c, n := range scored["all"] {
		all += float64(counts[cell{"all", c, 0}])
		allScored += float64(n)
	}
	if math.Abs(all-0.05*allScored) > 2 {
		t.Errorf("the list without countries: %v prospects of %v scored", all, allScored)
	}
	c := rep.Counters
	if c["score_outside_countries"] == 0 || c["score_persons_in"]*2 != c["score_scores"]+c["score_seeds_excluded"]+c["score_excluded_by_lists"]+c["score_outside_countries"] {
		t.Errorf("scoring does not balance: %d in × 2 lists; %d scores, %d seeds, %d excluded by lists, %d outside the countries",
			c["score_persons_in"], c["score_scores"], c["score_seeds_excluded"], c["score_excluded_by_lists"], c["score_outside_countries"])
	}
	if got := rep.ByCountry["eu"]; len(got) != 2 || got["FR"] != counts[cell{"eu", "FR", 0}] || got["DE"] != counts[cell{"eu", "DE", 0}] {
		t.Errorf("the report's audience by country %v", got)
	}
	var adv AdvertiserReport
	b, _ := os.ReadFile(filepath.Join("out", AdvertiserReportsDir, "acme", "eu.json"))
	if err := json.Unmarshal(b, &adv); err != nil {
		t.Fatal(err)
	}
	if strings.Join(adv.Countries, ",") != "FR,DE" || len(adv.ByCountry) != 2 {
		t.Errorf("eu's advertiser report: countries %v, audience by country %v", adv.Countries, adv.ByCountry)
	}
	for country, n := range adv.ByCountry {
		if n != nil && (*n < 20 || *n != rep.ByCountry["eu"][country]) {
			t.Errorf("the advertiser sees %d in %s, the run delivered %d (floor 20, no noise)", *n, country, rep.ByCountry["eu"][country])
		}
	}
	b, _ = os.ReadFile(filepath.Join("out", AdvertiserReportsDir, "acme", "eu.txt"))
	if !strings.Contains(string(b), "target countries       FR, DE") {
		t.Errorf("the advertiser's text report does not name the countries:\n%s", b)
	}
}

// TestCountriesValidation: target countries are ISO codes of two letters,
// each once, kept upper-case.
func TestCountriesValidation(t *testing.T) {
	for name, c := range map[string]struct{ countries, says string }{
		"not a code": {"[France]", `seed_lists[0].countries[0]: "France", want an ISO 3166 country code`},
		"twice":      {"[FR, fr]", `seed_lists[0].countries[1]: "fr" appears twice`},
	} {
		cfg, err := configs.Parse([]byte("seed_lists:\n  - {id: a, advertiser: acme, file: a.csv, countries: "+c.countries+"}\n"), "sosie.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v", name, err)
		}
	}
	cfg, err := configs.Parse([]byte("seed_lists:\n  - {id: a, advertiser: acme, file: a.csv, countries: [fr, de]}\n"), "sosie.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Validate()
	if got := strings.Join(cfg.SeedLists[0].Countries, ","); got != "FR,DE" {
		t.Errorf("countries %s, want FR,DE", got)
	}
}

// TestCheckCountries: a target country where a list scored no one is
// warned of, naming the list and the country, and so is one whose
// audience was withheld; the others are not.
func TestCheckCountries(t *testing.T) {
	cfg := &configs.Config{SeedLists: []configs.SeedList{{ID: "eu", Countries: []string{"FR", "UK"}}, {ID: "all"}, {ID: "fr", Countries: []string{"FR"}}}}
	rep := &Report{Distributions: []pipelines.ScoreDistribution{{List: "eu", ByCountry: map[string]int64{"FR": 40}}, {List: "fr", ByCountry: map[string]int64{"FR": 40}}}}
	w := checkCountries(cfg, rep)
	if len(w) != 1 || !strings.Contains(w[0], "seed list eu: no eligible person in UK") {
		t.Errorf("warnings %q", w)
	}
	// A country's audience withheld while the list's others go out is
	// warned of, and told to the advertiser.
	rep.Audiences = []pipelines.AudienceSize{{List: "fr", Size: 150, Minimum: 100, Delivered: true}, {List: "eu", Size: 140, Minimum: 100, Delivered: true,
		Countries: []pipelines.CountryAudience{{Country: "FR", Size: 40}, {Country: "UK", Size: 100, Delivered: true}}}}
	w = checkCountries(cfg, rep)
	if len(w) != 2 || !strings.Contains(w[1], "seed list eu: its audience in FR, 40 persons, is under min_audience (100): withheld there") {
		t.Errorf("warnings %q", w)
	}
	cfg.SeedLists[0].Advertiser, cfg.Privacy.MinAudience = "acme", 100
	for _, a := range advertiserReports(cfg, rep) {
		if a.List == "eu" && (!a.Delivered || strings.Join(a.WithheldCountries, ",") != "FR") {
			t.Errorf("eu's advertiser report: delivered %v, withheld in %v", a.Delivered, a.WithheldCountries)
		}
	}
}
