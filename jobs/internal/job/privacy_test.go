package job

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/features/synth"
	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/pipelines"
)

// runWithPrivacy runs job on the synthetic world of 4,000 persons written
// to out (shared by the calls) with a config of privacy rules, and returns
// its report.
func runWithPrivacy(t *testing.T, run RunFunc, out, privacy string) (Report, int) {
	t.Helper()
	cfg := filepath.Join(out, "..", filepath.Base(out)+".yaml")
	if err := os.WriteFile(cfg, []byte(privacy), 0o600); err != nil {
		t.Fatal(err)
	}
	f := testFlags(out, 4000)
	*f.Config = cfg
	code, err := run(context.Background(), zerolog.Nop(), &bytes.Buffer{}, f)
	if err != nil || (code != ExitOK && code != ExitNotPredictive) {
		t.Fatalf("exit %d: %v", code, err)
	}
	name := map[bool]string{true: "featurize_report.json", false: "report.json"}[filepath.Base(out) != "lookalike"]
	var rep Report
	b, err := os.ReadFile(filepath.Join(out, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	c := rep.Counters
	if c["policy_persons_in"] == 0 || c["policy_persons_in"] != c["policy_persons_kept"]+c["policy_excluded"] {
		t.Errorf("%s: the policy does not balance: %d in, %d kept, %d excluded", out, c["policy_persons_in"], c["policy_persons_kept"], c["policy_excluded"])
	}
	return rep, code
}

func readPersons(t *testing.T, dir string) map[string]features.Person {
	t.Helper()
	out := map[string]features.Person{}
	if err := ReadLines(filepath.Join(dir, pipelines.PersonsFile), func(b []byte) error {
		var p features.Person
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		out[p.Key] = p
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// inDE says whether a person has a WhatsApp profile under a German block.
func inDE(p features.Person) bool {
	wa := p.App("whatsapp")
	return wa != nil && (wa.Country == "DE" || p.Country == "DE")
}

// TestPrivacyRules: the consent and regional rules of the config decide,
// on prism, which persons and which of their apps' data reach featurize's
// persons and the prospects; the report counts each rule.
func TestPrivacyRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism five times")
	}
	dir := t.TempDir()
	world := filepath.Join(dir, "world")
	// The synthetic world is written once, in world/, and read by every run.
	runIn := func(name string) string {
		out := filepath.Join(dir, name)
		os.MkdirAll(out, 0o755)
		os.Symlink(filepath.Join(world, "world"), filepath.Join(out, "world"))
		return out
	}
	os.MkdirAll(world, 0o755)
	runWithPrivacy(t, RunFeaturize, world, "")

	// Every run starts from the same persons, before any rule: a run that
	// allows everything.
	all := runIn("all")
	runWithPrivacy(t, RunFeaturize, all, `privacy:
  apps:
    facebook: {require_consent: [], cross_app: allowed}
    instagram: {require_consent: [], cross_app: allowed}
    whatsapp: {require_consent: [], cross_app: allowed}
    messenger: {require_consent: [], cross_app: allowed}
`)
	everyone := readPersons(t, all)
	var inGermany []string
	for k, p := range everyone {
		if inDE(p) {
			inGermany = append(inGermany, k)
		}
	}
	if len(inGermany) < 20 {
		t.Fatalf("only %d persons with WhatsApp in Germany: the world cannot test the block", len(inGermany))
	}

	// The default: ads consent on every profile used, cross-app consent on
	// every profile combined.
	def := runIn("default")
	rep, _ := runWithPrivacy(t, RunFeaturize, def, "")
	persons := readPersons(t, def)
	for _, p := range persons {
		for _, a := range p.Apps {
			if !a.ConsentAds || (len(p.Apps) > 1 && !a.ConsentCrossApp) {
				t.Fatalf("a person's %s data without consent is used: %+v", a.App, a)
			}
		}
	}
	c := rep.Counters
	if int(c["policy_persons_kept"]) != len(persons) || c["policy_excluded"] == 0 || c["policy_consent_ads_personalization_whatsapp"] == 0 ||
		c["policy_cross_app_facebook"] == 0 || int(c["policy_persons_in"]) != len(everyone) {
		t.Errorf("default policy: %d persons written, counters %v", len(persons), c)
	}

	// zero_features: WhatsApp's data of German persons is dropped, the
	// persons stay when another app may be used.
	zero := runIn("zero")
	rep, _ = runWithPrivacy(t, RunFeaturize, zero, "privacy:\n  blocks: [{app: whatsapp, country: DE}]\n")
	persons = readPersons(t, zero)
	kept := 0
	for _, k := range inGermany {
		if p, ok := persons[k]; ok {
			kept++
			if p.App("whatsapp") != nil {
				t.Fatalf("a German person's WhatsApp data survived the block")
			}
		}
	}
	if kept == 0 || int(rep.Counters["policy_block_whatsapp_DE"]) != len(inGermany) {
		t.Errorf("zero_features: %d of %d German WhatsApp persons kept, counter %d", kept, len(inGermany), rep.Counters["policy_block_whatsapp_DE"])
	}

	// exclude: the German WhatsApp persons are gone, from persons and from
	// the prospects of a lookalike run under the same rule.
	exclude := "privacy:\n  blocks: [{app: whatsapp, country: DE, action: exclude}]\n"
	excl := runIn("exclude")
	rep, _ = runWithPrivacy(t, RunFeaturize, excl, exclude)
	persons = readPersons(t, excl)
	for _, k := range inGermany {
		if _, ok := persons[k]; ok {
			t.Fatal("a German WhatsApp person survived the exclusion")
		}
	}
	if int(rep.Counters["policy_block_whatsapp_DE"]) != len(inGermany) || rep.Counters["policy_excluded"] < int64(len(inGermany)) {
		t.Errorf("exclude: counters %v for %d persons", rep.Counters, len(inGermany))
	}
	look := runIn("lookalike")
	rep, _ = runWithPrivacy(t, RunLookalike, look, exclude)
	prospects := prospectKeys(t, filepath.Join(look, "prospects.jsonl"))
	if len(prospects) == 0 {
		t.Fatal("no prospects")
	}
	for _, p := range prospects {
		if slices.Contains(inGermany, p.Key) {
			t.Fatal("a German WhatsApp person excluded by the block is a prospect")
		}
		if _, ok := persons[p.Key]; !ok {
			t.Fatal("a prospect is not among the persons the rules allow")
		}
	}
	if int(rep.Counters["policy_block_whatsapp_DE"]) != len(inGermany) {
		t.Errorf("lookalike under the block: counter %d, want %d", rep.Counters["policy_block_whatsapp_DE"], len(inGermany))
	}
}

// TestAdvertiserReportFloors: counts under the floor are suppressed, with
// a second cell where the total would give the first away (without noise,
// to see the floors alone).
func TestAdvertiserReportFloors(t *testing.T) {
	cfg := configs.Default()
	cfg.Privacy.NoiseScale = 0
	cfg.SeedLists = []configs.SeedList{{ID: "small", Advertiser: "acme"}, {ID: "big", Advertiser: "acme"}}
	rep := &Report{RunID: "r",
		SeedMatch: []pipelines.MatchReport{
			{List: "small", Rows: 300, Matched: 40, Unmatched: 255, Duplicates: 5, Repeated: 5, MatchRate: 0.14,
				ByConvention: map[string]int{"plain": 30, "sha256_digits": 10}, ByApp: map[string]int{"facebook": 38, "whatsapp": 12}},
			{List: "big", Rows: 1000, Matched: 700, Unmatched: 300, MatchRate: 0.7,
				ByConvention: map[string]int{"plain": 560, "sha256_e164": 120, "sha256_digits": 20}, ByApp: map[string]int{"facebook": 650, "messenger": 49}},
		},
		Models: []ModelSummary{{List: "big", Quality: &model.Report{Verdict: "predictive: held-out AUC 0.712",
			HeldOut:    model.Quality{Kind: model.KindLogistic, Lambda: 0.1, AUC: 0.712, Recall10: 0.347},
			Candidates: []model.Quality{{Kind: model.KindMeanDiff, AUC: 0.7, Recall10: 0.31}, {Kind: model.KindLogistic, Lambda: 0.1, AUC: 0.712, Recall10: 0.347}}}}},
		Audiences: []pipelines.AudienceSize{{List: "big", Size: 175, Minimum: 100, Delivered: true}, {List: "small", Size: 60, Minimum: 100}},
		Tiers:     map[string]map[int]int{"big": {1: 45, 2: 60, 3: 70}},
	}
	got := advertiserReports(cfg, rep)
	small, big := got[0], got[1]
	n := func(c Count) int {
		if c == nil {
			return -1
		}
		return *c
	}
	if n(small.Matched) != -1 || n(small.Unmatched) != -1 || small.MatchRate != nil || small.Rows != 300 || small.Duplicates != 5 ||
		n(small.ByConvention["plain"]) != -1 || n(small.ByApp["facebook"]) != -1 || n(small.ByApp["whatsapp"]) != -1 ||
		n(small.Audience) != 60 || small.Delivered || small.ByTier != nil {
		t.Errorf("small list: %+v", small)
	}
	if n(big.Matched) != 700 || n(big.Unmatched) != 300 || big.MatchRate == nil ||
		n(big.ByConvention["plain"]) != 560 || n(big.ByConvention["sha256_e164"]) != -1 || n(big.ByConvention["sha256_digits"]) != -1 ||
		n(big.ByApp["facebook"]) != 650 || n(big.ByApp["messenger"]) != -1 ||
		n(big.Audience) != 175 || !big.Delivered || n(big.ByTier[1]) != -1 || n(big.ByTier[2]) != -1 || n(big.ByTier[3]) != 70 || !strings.HasPrefix(big.Model, "good:") || strings.Contains(big.Model, "0.712") {
		t.Errorf("big list: %+v", big)
	}
	wantTried := []TriedModel{{Kind: "mean_difference", AUC: "0.70–0.75", Recall10: "30–40%"}, {Kind: "logistic(λ=0.1)", AUC: "0.70–0.75", Recall10: "30–40%", Chosen: true}}
	if !slices.Equal(big.ModelsTried, wantTried) || !strings.HasPrefix(big.ModelChoice, "logistic(λ=0.1): of the 2 kinds") {
		t.Errorf("models tried %+v, choice %q; want %+v", big.ModelsTried, big.ModelChoice, wantTried)
	}
	var text bytes.Buffer
	big.Print(&text)
	if !strings.Contains(text.String(), fmt.Sprintf("%-22s %s\n", "  logistic(λ=0.1)", "AUC 0.70–0.75, 30–40% of held-out customers in the top 10%  (chosen)")) ||
		strings.Contains(text.String(), "0.712") || strings.Contains(text.String(), "0.347") {
		t.Errorf("printed:\n%s", text.String())
	}
	text.Reset()
	small.Print(&text)
	if !bytes.Contains(text.Bytes(), []byte("matched                under 50")) || !bytes.Contains(text.Bytes(), []byte("not delivered")) {
		t.Errorf("printed:\n%s", text.String())
	}
}

// TestMinimumAudience: a prospect list under privacy.min_audience is not
// delivered: no prospect is written, the job exits 3 with the list in the
// summary, and the advertiser report says so with its counts floored.
func TestMinimumAudience(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism")
	}
	out := filepath.Join(t.TempDir(), "lookalike")
	os.MkdirAll(out, 0o755)
	rep, code := runWithPrivacy(t, RunLookalike, out, "privacy: {min_audience: 1000000, floor: 100000}\n")
	if code != ExitNotPredictive {
		t.Errorf("exit %d, want %d", code, ExitNotPredictive)
	}
	if n := len(prospectKeys(t, filepath.Join(out, "prospects.jsonl"))); n != 0 || rep.Counters["audience_prospects_withheld"] == 0 ||
		rep.Counters["audience_prospects_delivered"] != 0 || rep.Counters["audience_lists_withheld"] != 1 {
		t.Errorf("%d prospects written; counters %v", n, rep.Counters)
	}
	if len(rep.Audiences) != 1 || rep.Audiences[0].Delivered || rep.Audiences[0].Size != int(rep.Counters["score_prospects"]) {
		t.Errorf("audiences %+v", rep.Audiences)
	}
	var adv AdvertiserReport
	b, err := os.ReadFile(filepath.Join(out, AdvertiserReportsDir, "demo", "synthetic.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &adv); err != nil {
		t.Fatal(err)
	}
	if adv.Delivered || adv.Audience != nil || adv.Matched != nil || adv.Floor != 100000 || adv.Rows == 0 {
		t.Errorf("advertiser report %s", b)
	}
}

// TestAdvertiserCountsResistDifferencing: two lists that differ by one
// matched phone, reported without noise, differ by exactly one in every
// count of persons found — the advertiser would learn the phone is on the
// apps. With the noise (keyed by each list's digest) they do not, while
// the counts of the advertiser's own rows stay exact and the same list
// always gets the same counts.
func TestAdvertiserCountsResistDifferencing(t *testing.T) {
	mk := func(list string, digest uint64, matched int) pipelines.MatchReport {
		return pipelines.MatchReport{List: list, Rows: 1000 + matched, Matched: 600 + matched, Unmatched: 400, ListDigest: digest,
			ByConvention: map[string]int{"plain": 600 + matched}, ByApp: map[string]int{"facebook": 500 + matched, "whatsapp": 300 + matched}}
	}
	cfg := configs.Default()
	cfg.SeedLists = []configs.SeedList{{ID: "a", Advertiser: "acme"}, {ID: "b", Advertiser: "acme"}}
	rep := &Report{RunID: "r", SeedMatch: []pipelines.MatchReport{mk("a", 0x1234, 0), mk("b", 0x9876, 1)}}
	cells := func(a AdvertiserReport) []int {
		return []int{*a.Matched, *a.ByConvention["plain"], *a.ByApp["facebook"], *a.ByApp["whatsapp"]}
	}
	exact := *cfg
	exact.Privacy.NoiseScale = 0
	e := advertiserReports(&exact, rep)
	for i, d := range cells(e[1]) {
		if d-cells(e[0])[i] != 1 {
			t.Fatalf("without noise, cell %d differs by %d", i, d-cells(e[0])[i])
		}
	}
	got := advertiserReports(cfg, rep)
	ones := 0
	for i, d := range cells(got[1]) {
		if d-cells(got[0])[i] == 1 {
			ones++
		}
	}
	if ones == len(cells(got[0])) {
		t.Errorf("with noise, every count still differs by exactly one: %v and %v", cells(got[0]), cells(got[1]))
	}
	if got[0].Rows != 1000 || got[1].Rows != 1001 || got[0].Usable != 1000 {
		t.Errorf("the advertiser's own rows are not exact: %+v", got[0])
	}
	if again := advertiserReports(cfg, rep); !slices.Equal(cells(again[0]), cells(got[0])) {
		t.Error("the same list got other counts")
	}
}

// TestStoredListsDifferingByOnePhone: an advertiser stores two lists that
// differ by one phone of a person on the apps and runs both. Without
// noise its reports differ by exactly that person in every count of
// persons found: it would learn the person is on the apps, and on which.
// With the default noise they do not. A list whose SHA-256 rows hash
// phones as typed (not normalized) is told how to hash them.
func TestStoredListsDifferingByOnePhone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the job on prism twice")
	}
	c := newInputCase(t, badWorld(t))
	base := c.worldFile(synth.SeedListFile)
	// The extra phone: an account of the world whose number is on no
	// seed row, with consent, so it matches.
	listed := map[string]bool{}
	r := features.NewSeedCSVReader(bytes.NewReader(base))
	rows, _ := r.ReadAll()
	for _, row := range rows {
		if e, err := features.NormalizePhone(row.Phone, row.Country); err == nil {
			listed[e] = true
		}
	}
	var extra string
	for _, line := range strings.Split(strings.TrimSpace(string(c.worldFile("accounts_facebook.jsonl"))), "\n") {
		var a features.Account
		json.Unmarshal([]byte(line), &a)
		if e, err := features.NormalizePhone(a.Phone, a.Country); err == nil && !listed[e] && a.ConsentAds && a.ConsentCrossApp {
			extra = e
			break
		}
	}
	var typed strings.Builder // SHA-256 of phones as typed, not normalized
	for i := range 60 {
		fmt.Fprintf(&typed, "%s\n", features.HashPhone(fmt.Sprintf("06 12 34 %02d %02d", i/10, i%10)).PlusE164)
	}
	store := filepath.Join(c.dir, "store")
	hashed := c.write("h.csv", append(slices.Clone(base), typed.String()...)) // a file of the operator's, not stored
	for list, body := range map[string][]byte{"a": base, "b": append(slices.Clone(base), extra+",,\n"...)} {
		in := c.write(list+".csv", body)
		sf := seedsFlags(store, "acme", list, in)
		*sf.Config = c.write("seeds.yaml", []byte("min_seeds: 20\n"))
		if code, err := RunSeeds(context.Background(), zerolog.Nop(), &bytes.Buffer{}, sf); code != ExitOK {
			t.Fatalf("storing %s: %v", list, err)
		}
	}
	cfg := func(noise string) string {
		return fmt.Sprintf("seed_lists:\n  - {id: a, advertiser: acme}\n  - {id: b, advertiser: acme}\n  - {id: h, advertiser: acme, file: %s}\nprivacy: {min_audience: 10, keep_seed_lists: true, floor: 10%s}", hashed, noise)
	}
	reports := func(noise string) map[string]AdvertiserReport {
		t.Helper()
		body, _ := os.ReadFile(c.config())
		// The stored lists replace the case's list.
		text := string(body)
		text = text[:strings.Index(text, "seed_lists:")] + cfg(noise) + "\n"
		f := testFlags("", 0)
		*f.Config = c.write("stored.yaml", []byte(text))
		t.Setenv("SOSIE_PEPPER", strongPepper)
		if code, err := RunLookalike(context.Background(), zerolog.Nop(), &bytes.Buffer{}, f); code != ExitOK && code != ExitNotPredictive {
			t.Fatalf("exit %d: %v", code, err)
		}
		out := map[string]AdvertiserReport{}
		for _, l := range []string{"a", "b", "h"} {
			var a AdvertiserReport
			b, err := os.ReadFile(filepath.Join(c.out(), AdvertiserReportsDir, "acme", l+".json"))
			if err != nil {
				t.Fatal(err)
			}
			json.Unmarshal(b, &a)
			out[l] = a
		}
		return out
	}
	cells := func(a AdvertiserReport) []int {
		var out []int
		for _, n := range append([]Count{a.Matched, a.Unmatched}, a.ByApp["facebook"], a.ByApp["instagram"], a.ByApp["whatsapp"], a.ByApp["messenger"]) {
			if n == nil {
				out = append(out, -1)
			} else {
				out = append(out, *n)
			}
		}
		return out
	}
	diff := func(r map[string]AdvertiserReport) []int {
		a, b := cells(r["a"]), cells(r["b"])
		out := make([]int, len(a))
		for i := range a {
			out[i] = b[i] - a[i]
		}
		return out
	}
	exact := diff(reports(", noise_scale: 0"))
	if exact[0] != 1 || exact[1] != 0 || exact[2] != 1 {
		t.Fatalf("without noise the reports differ by %v: the test's extra phone did not match on facebook", exact)
	}
	noisy := reports("")
	if d := diff(noisy); slices.Equal(d, exact) {
		t.Errorf("with noise the two lists still differ by exactly the one person in every count: %v", d)
	}
	if h := noisy["h"]; h.HashHint == "" || !strings.Contains(h.HashHint, "E.164") {
		t.Errorf("a list of hashes of phones as typed gets no hint: %+v", h)
	}
	if a := noisy["a"]; a.HashHint != "" {
		t.Errorf("a plain list gets the hashing hint")
	}
}
