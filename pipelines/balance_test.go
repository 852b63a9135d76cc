package pipelines

import (
	"strings"
	"testing"
)

// TestCheckBalances: a run whose counters balance has no problem; one that
// lost a count has one, naming the equation and both sums; an equation of
// another job, or whose counters are all zero, is not checked.
func TestCheckBalances(t *testing.T) {
	c := map[string]int64{
		"read_rows": 130, "read_accounts": 10, "read_events": 118, "read_rows_rejected": 2,
		"featurize_accounts_in": 10, "featurize_accounts_rejected": 1, "featurize_accounts_profiled": 9,
		"featurize_events_profiled": 100, "featurize_events_rejected": 18,
		"join_persons": 8, "policy_persons_in": 8, "policy_persons_kept": 7, "policy_excluded": 1,
		"train_persons_in": 7, "score_persons_in": 7,
		"score_scores": 6, "score_prospects": 4, "score_below_audience": 2,
		"audience_prospects_delivered": 4,
	}
	if p := CheckBalances("lookalike", c); len(p) != 0 {
		t.Fatalf("balanced counters: %q", p)
	}
	// read_lines is not counted: its equation is not checked.
	if b := Balances("lookalike", c); len(b) != len(balances)-1 || !b[0].Holds || b[0].Terms != "read_rows (130) = read_accounts (10) + read_events (118) + read_rows_rejected (2)" {
		t.Fatalf("balances of balanced counters: %+v", b)
	}
	c["featurize_events_rejected"] = 7
	p := CheckBalances("lookalike", c)
	if len(p) != 1 || !strings.Contains(p[0], "read_events (118) = 118") ||
		!strings.Contains(p[0], "featurize_events_profiled (100) + featurize_events_rejected (7) = 107") {
		t.Errorf("lost events: %q", p)
	}
	c["featurize_events_rejected"] = 18
	c["join_persons"], c["optout_persons_removed"] = 9, 1
	if p := CheckBalances("lookalike", c); len(p) != 0 {
		t.Errorf("a person who opted out: %q", p)
	}
	c["optout_persons_removed"] = 0
	if p := CheckBalances("lookalike", c); len(p) != 1 || !strings.Contains(p[0], "join_persons (9) = 9") {
		t.Errorf("a person lost between the join and the policy: %q", p)
	}
	if p := CheckBalances("featurize", c); len(p) != 0 {
		t.Errorf("the featurize job checked an equation across its stages and training's: %q", p)
	}
	if p := CheckBalances("score", map[string]int64{"read_rows": 0, "score_scores": 5, "score_prospects": 3, "score_below_audience": 2, "audience_prospects_delivered": 3}); len(p) != 0 {
		t.Errorf("equations whose counters are all zero were checked: %q", p)
	}
}
