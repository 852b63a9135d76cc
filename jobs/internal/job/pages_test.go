package job

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/jobs/internal/page/pagetest"
)

// TestPagesInChromium runs the README's quick start and opens its two
// pages — the run report and the seed list's advertiser report — in
// headless Chromium at a laptop's width (pagetest.Check): every chart is
// drawn, the page does not overflow, and every number shown equals the
// value of the JSON report beside the page that it says it shows.
// SOSIE_SCREENSHOTS=DIR keeps the screenshots (the README's are made so,
// into docs/).
func TestPagesInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism and a browser")
	}
	ctx := pagetest.Browser(t)
	dir := t.TempDir()
	t.Chdir(dir)
	var stdout bytes.Buffer
	if code, err := RunLookalike(context.Background(), zerolog.Nop(), &stdout, testFlags("out", 0)); code != ExitOK {
		t.Fatalf("exit %d: %v", code, err)
	}
	// The featurize stage's letters of rejected accounts name their file.
	var rep Report
	if b, err := os.ReadFile("out/report.json"); err != nil || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("report: %v", err)
	}
	named := 0
	for _, d := range rep.DeadLetters {
		if d.Stage == "featurize" && d.Reason == "no_region" {
			if want := "accounts_" + d.Source + ".jsonl"; !strings.HasSuffix(d.File, want) {
				t.Errorf("%s's no_region letters: file %q, want …%s", d.Source, d.File, want)
			}
			named++
		}
	}
	if named == 0 {
		t.Errorf("no featurize letter counted: %+v", rep.DeadLetters)
	}
	pagetest.Check(t, ctx, "out/report.html", "out/report.json", pagetest.Want{Screenshot: "run-report.png",
		Charts: []string{"list-synthetic-funnel", "list-synthetic-gains", "list-synthetic-features", "list-synthetic-distribution", "list-synthetic-tiers", "list-synthetic-countries", "dead-letters"},
		Fields: []string{"/seed_match/0/rows", "/seed_match/0/matched", "/models/0/quality/held_out/auc", "/models/0/quality/held_out/recall_at_1pct",
			"/models/0/quality/held_out/recall_at_5pct", "/models/0/quality/held_out/recall_at_10pct", "/models/0/quality/held_out/lift_at_10pct",
			"/audiences/0/size", "/balances/0/holds", "/score_distributions/0/bins/19", "/audience_by_tier/synthetic/1", "/audience_by_country/synthetic/FR"},
		Tables: []string{"list-synthetic-by-app", "list-synthetic-by-convention", "list-synthetic-quality", "list-synthetic-candidates", "list-synthetic-audience",
			"inputs", "balances", "counters", "dead-letters"}})
	pagetest.Check(t, ctx, "out/advertiser_reports/demo/synthetic.html", "out/advertiser_reports/demo/synthetic.json", pagetest.Want{Screenshot: "advertiser-report.png",
		Charts: []string{"funnel", "gains", "features", "audience-tiers", "audience-countries", "audience-distribution"},
		Fields: []string{"/rows", "/valid", "/usable", "/matched", "/audience", "/gains/4/customers_percent", "/audience_by_tier/1", "/audience_by_country/IN", "/similarity_distribution/0"},
		Tables: []string{"by-app", "by-convention", "models-tried", "audience"}})
}
