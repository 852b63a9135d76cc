package pipelines

import (
	"fmt"
	"slices"
	"strings"
)

// balances are the equations a run's counters keep: every row, account,
// event and person that enters a stage leaves it counted once, kept or
// rejected. Each is "counter = counter + counter ..."; it is checked when
// one of its counters is not zero and, if jobs names any, only in those
// jobs (the equations across stages hold where the stages run in one
// pipeline).
var balances = []struct {
	equation string
	jobs     []string
}{
	{equation: "read_rows = read_accounts + read_events + read_rows_rejected"},
	{equation: "read_lines = read_persons + read_identities + read_models + read_lines_rejected"},
	{equation: "read_accounts = featurize_accounts_in"},
	{equation: "featurize_accounts_in = featurize_accounts_rejected + featurize_accounts_profiled"},
	{equation: "read_events = featurize_events_profiled + featurize_events_rejected"},
	{equation: "policy_persons_in = policy_persons_kept + policy_excluded"},
	{equation: "score_scores = score_prospects + score_below_audience"},
	{equation: "score_prospects = audience_prospects_delivered + audience_prospects_withheld"},
	{equation: "join_persons = optout_persons_removed + policy_persons_in", jobs: []string{"lookalike"}},
	{equation: "train_persons_in = policy_persons_kept", jobs: []string{"lookalike"}},
	{equation: "score_persons_in = policy_persons_kept", jobs: []string{"lookalike"}},
}

// Balance is one of the balances, checked against a run's counters.
type Balance struct {
	Equation string `json:"equation"` // "a = b + c"
	Left     int64  `json:"left"`     // the sum of its left side's counters
	Right    int64  `json:"right"`    // and of its right side's
	Holds    bool   `json:"holds"`
	// Terms writes the equation out with each counter's value:
	// "a (5) = b (3) + c (2)".
	Terms string `json:"terms"`
}

// Balances checks the balances that apply to a run's counters (counters
// summed over the run; job the graph's name: lookalike, featurize, train,
// score): those of its job with a counter that is not zero.
func Balances(job string, counters map[string]int64) []Balance {
	var out []Balance
	for _, b := range balances {
		if len(b.jobs) > 0 && !slices.Contains(b.jobs, job) {
			continue
		}
		left, right, ok := strings.Cut(b.equation, " = ")
		if !ok {
			panic("pipelines: balance without ' = ': " + b.equation)
		}
		l, lterms, lset := sumOf(left, counters)
		r, rterms, rset := sumOf(right, counters)
		if lset || rset {
			out = append(out, Balance{Equation: b.equation, Left: l, Right: r, Holds: l == r, Terms: lterms + " = " + rterms})
		}
	}
	return out
}

// CheckBalances returns a problem for each of the Balances a run's
// counters break, with the values: a count went missing, in sosie or in
// the runner, and the report cannot be trusted.
func CheckBalances(job string, counters map[string]int64) []string {
	var problems []string
	for _, b := range Balances(job, counters) {
		if !b.Holds {
			left, right, _ := strings.Cut(b.Terms, " = ")
			problems = append(problems, fmt.Sprintf("counters do not balance: %s = %d, but %s = %d: a count went missing, in sosie or in the runner, and the report cannot be trusted",
				left, b.Left, right, b.Right))
		}
	}
	return problems
}

// sumOf adds up one side of a balance ("a + b + c"), and writes it out
// with each counter's value; set says whether any of them is not zero.
func sumOf(side string, counters map[string]int64) (total int64, terms string, set bool) {
	var parts []string
	for _, name := range strings.Split(side, " + ") {
		v := counters[name]
		total += v
		set = set || v != 0
		parts = append(parts, fmt.Sprintf("%s (%d)", name, v))
	}
	return total, strings.Join(parts, " + "), set
}
