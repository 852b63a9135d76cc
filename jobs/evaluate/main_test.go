package main

import (
	"encoding/json"
	"fmt"
	stdhtml "html"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sosie-dev/sosie/jobs/internal/page"
	"github.com/sosie-dev/sosie/jobs/internal/page/pagetest"
	"github.com/sosie-dev/sosie/model/eval"
)

// writeTable writes a ';'-separated table with a learnable label.
func writeTable(t *testing.T) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString("id;age;job;balance;y\r\n")
	for i := range 2000 {
		pos := rng.Float64() < 0.15
		age := 20 + rng.IntN(50)
		job := []string{"admin", "tech", "retired"}[rng.IntN(3)]
		bal := rng.NormFloat64() * 100
		if pos {
			bal += 120
			if rng.IntN(2) == 0 {
				job = "retired"
			}
		}
		y := "no"
		if pos {
			y = "yes"
		}
		fmt.Fprintf(&b, "%d;%d;%s;%.1f;%s\r\n", i, age, job, bal, y)
	}
	path := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEvaluate(t *testing.T) {
	path := writeTable(t)
	out := filepath.Join(t.TempDir(), "r.json")
	var stdout, stderr strings.Builder
	code := run([]string{"--csv", path, "--comma", ";", "--label", "y", "--positive", "yes", "--drop", "id",
		"--k", "20,60", "--repeats", "2", "--models", "auto,logistic", "--json", out, "--html", filepath.Join(filepath.Dir(out), "r.html")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	table := stdout.String()
	for _, want := range []string{"| k | model | AUC |", "| 20 | auto |", "| 60 | logistic |"} {
		if !strings.Contains(table, want) {
			t.Errorf("output lacks %q:\n%s", want, table)
		}
	}
	var res struct {
		Results []struct {
			SeedSize int    `json:"seed_size"`
			Kind     string `json:"kind"`
			AUC      struct{ Mean float64 }
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 4 {
		t.Fatalf("%d results", len(res.Results))
	}
	for _, r := range res.Results {
		if r.AUC.Mean < 0.65 {
			t.Errorf("k=%d %s: AUC %v on a learnable table", r.SeedSize, r.Kind, r.AUC.Mean)
		}
	}
	checkPage(t, filepath.Join(filepath.Dir(out), "r.html"), b)
	t.Run("in Chromium", func(t *testing.T) {
		pagetest.Check(t, pagetest.Browser(t), filepath.Join(filepath.Dir(out), "r.html"), out,
			pagetest.Want{Charts: []string{"k20-gains", "k60-gains", "k20-similarity", "k60-similarity"}, Fields: []string{"/results/0/auc/mean", "/results/3/recall_at_10pct/mean"}})
	})
	// Deterministic for a seed (and profiled, which changes nothing).
	var again strings.Builder
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	run([]string{"--csv", path, "--comma", ";", "--label", "y", "--positive", "yes", "--drop", "id",
		"--k", "20,60", "--repeats", "2", "--models", "auto,logistic", "--cpuprofile", prof}, &again, &stderr)
	if withoutTimes(again.String()) != withoutTimes(table) {
		t.Errorf("two runs with the same seed printed different tables:\n%s\n%s", again.String(), table)
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("--cpuprofile wrote no profile: %v", err)
	}
}

// withoutTimes keeps the table rows without the fit-time column, the one
// figure that may differ between two runs.
func withoutTimes(table string) string {
	var out []string
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) > 10 {
			cells = append(cells[:9], cells[10:]...)
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return strings.Join(out, "\n")
}

func TestEvaluateErrors(t *testing.T) {
	path := writeTable(t)
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--csv", path}, 2, "required"},
		{[]string{"--csv", "/nonexistent.csv", "--label", "y", "--positive", "yes"}, 1, "cannot open"},
		{[]string{"--csv", path, "--comma", ";", "--label", "z", "--positive", "yes"}, 1, "no label column"},
		{[]string{"--csv", path, "--comma", ";;", "--label", "y", "--positive", "yes"}, 2, "one character"},
		{[]string{"--csv", path, "--comma", ";", "--label", "y", "--positive", "yes", "--k", "ten"}, 2, "whole numbers"},
		{[]string{"--csv", path, "--comma", ";", "--label", "y", "--positive", "yes", "--k", "100000"}, 1, "seed size 100000"},
		{[]string{"--csv", path, "--comma", ";", "--label", "y", "--positive", "yes", "--models", "forest"}, 2, "unknown model forest"},
	}
	for _, tc := range cases {
		var stdout, stderr strings.Builder
		code := run(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.says) {
			t.Errorf("%v: exit %d, stderr %q; want %d mentioning %q", tc.args, code, stderr.String(), tc.code, tc.says)
		}
	}
}

var boundCell = regexp.MustCompile(`data-field="([^"]*)" data-value="([^"]*)" data-format="([^"]*)">([^<]*)<`)

// checkPage checks evaluate's page: a gains and a similarity chart per
// seed size, each with its PNG, and every number shown equal to the
// JSON results' value it is bound to; the gains curves pass through the
// recalls of the table.
func checkPage(t *testing.T, path string, results []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, id := range []string{"k20-gains", "k60-gains", "k20-similarity", "k60-similarity"} {
		if !strings.Contains(html, `data-chart="`+id+`"`) {
			t.Errorf("the page lacks chart %s", id)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), "r_charts", id+".png")); err != nil {
			t.Errorf("chart %s: %v", id, err)
		}
	}
	var doc any
	if err := json.Unmarshal(results, &doc); err != nil {
		t.Fatal(err)
	}
	cells := boundCell.FindAllStringSubmatch(html, -1)
	if len(cells) != 4*7+2*eval.SimilarityBins*2 { // 7 figures of 4 rows, 2 groups of bins for 2 seed sizes
		t.Errorf("%d numbers on the page", len(cells))
	}
	for _, c := range cells {
		want, _ := pagetest.Resolve(doc, c[1])
		raw := stdhtml.UnescapeString(c[2])
		var got any
		if err := json.Unmarshal([]byte(raw), &got); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: the page binds %s, the JSON has %v", c[1], raw, want)
			continue
		}
		wantRaw, _ := json.Marshal(want)
		if text, err := page.Format(c[3], wantRaw); err != nil || text != stdhtml.UnescapeString(c[4]) {
			t.Errorf("%s: the page shows %q, want %q (%v)", c[1], c[4], text, err)
		}
	}
	var res struct {
		Results []eval.ProtocolRow `json:"results"`
	}
	json.Unmarshal(results, &res)
	for _, r := range res.Results {
		if len(r.Gains) != 101 || math.Abs(r.Gains[10].Recall-r.Recall10.Mean) > 1e-9 || math.Abs(r.Gains[1].Recall-r.Recall1.Mean) > 1e-9 {
			t.Errorf("k=%d %s: gains %v, recalls %v %v", r.SeedSize, r.Kind, r.Gains, r.Recall1, r.Recall10)
		}
		var pos, other float64
		for i := range r.Positives {
			pos, other = pos+r.Positives[i], other+r.Others[i]
		}
		if math.Abs(pos-1) > 1e-9 || math.Abs(other-1) > 1e-9 {
			t.Errorf("k=%d %s: similarity shares sum to %v and %v", r.SeedSize, r.Kind, pos, other)
		}
	}
}
