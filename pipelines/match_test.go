package pipelines

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/parquet-go/parquet-go"

	"github.com/sosie-dev/sosie/features"
)

func reportSummary(r MatchReport) string {
	var rej, conv []string
	for k, v := range r.Rejected {
		rej = append(rej, fmt.Sprintf("%s=%d", k, v))
	}
	for k, v := range r.ByConvention {
		conv = append(conv, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(rej)
	sort.Strings(conv)
	return fmt.Sprintf("%s rows=%d rejected=[%s] dup=%d unmatched=%d matched=%d [%s] apps=%v rate=%.2f",
		r.List, r.Rows, strings.Join(rej, " "), r.Duplicates, r.Unmatched, r.Matched, strings.Join(conv, " "), r.ByApp, r.MatchRate)
}

func matchedValue(m MatchedSeed) string { return fmt.Sprintf("%s:%g", m.List, m.Value) }

func reportDetail(r MatchReport) string {
	return fmt.Sprintf("%s repeated=%d hashed=%d/%d ignored=%v", r.List, r.Repeated, r.HashedRows, r.HashedMatched, r.Ignored)
}

func init() {
	register.Function1x1(reportSummary)
	register.Function1x1(matchedValue)
	register.Function1x1(reportDetail)
}

func TestMatchSeeds(t *testing.T) {
	dir := t.TempDir()
	accounts := write(t, dir, "accounts.jsonl", ``+
		`{"user_id":"p1","phone":"+33612345678"}`+"\n"+
		`{"user_id":"p2","phone":"+14155552671"}`+"\n"+
		`{"user_id":"p3","phone":"+447400123456"}`+"\n")
	upper := strings.ToUpper(features.HashPhone("+447400123456").PlusE164)
	seeds := write(t, dir, "seeds.csv", "\ufeffphone;country;value\r\n"+
		"06 12 34 56 78;FR;10\r\n"+ // p1, plain
		"+1 415 555 2671;;5\r\n"+ // p2, plain
		upper+";;\r\n"+ // p3, Google's convention, upper case
		features.HashPhone("+33612345678").Digits+";;\r\n"+ // p1 again, Meta's convention
		"n/a;FR;1\r\n"+ // not a phone
		features.HashPhone("+33699999999").PlusE164+";;\r\n"+ // nobody's hash
		"+33 6 98 76 54 32;;\r\n"+ // a valid number nobody has
		"06 12 34 56 79;FR;abc\r\n"+ // a bad value, left out: the row counts (nobody has the number)
		"06.12.34.56.78;FR;2\r\n") // p1's number as an earlier row: repeated before matching

	p, s := beam.NewPipelineWithRoot()
	a, _, _ := ReadAccounts(s, "facebook", []string{accounts}, features.AccountColumns{})
	profiles, ids, _ := Featurize(s, FeaturizeOptions{App: "facebook", Pepper: testPepper}, a, Activity(s, "facebook", features.ActivityWindow{AsOf: asOf}, beam.Create(s, features.Event{UserID: "p1", Time: asOf})))
	persons, _ := JoinByPhone(s, 0, 0, profiles)
	matched, reports, dead := MatchSeeds(s, []SeedList{{ID: "list1", Advertiser: "adv", File: seeds, Country: "FR"}}, testPepper, persons, ids)

	passert.Equals(s, beam.ParDo(s, matchedValue, matched), "list1:10", "list1:5", "list1:1")
	passert.Equals(s, beam.ParDo(s, reportSummary, reports),
		"list1 rows=9 rejected=[unparseable=1] dup=2 unmatched=3 matched=3 [plain=2 sha256_e164=1] apps=map[facebook:3] rate=0.50")
	passert.Equals(s, beam.ParDo(s, reasonOf, dead), "match/unparseable/1")
	passert.Equals(s, beam.ParDo(s, reportDetail, reports), "list1 repeated=1 hashed=3/1 ignored=map[value:1]")
	ptest.RunAndValidate(t, p)
}

// seedParquetRow is a seed list row as a Parquet file holds it.
type seedParquetRow struct {
	Phone   string  `parquet:"phone"`
	Country string  `parquet:"country"`
	Value   float64 `parquet:"value"`
}

// TestSeedListsInJSONLAndParquet: a seed list may be JSON lines or Parquet
// as well as CSV; every row is accounted for in the match report.
func TestSeedListsInJSONLAndParquet(t *testing.T) {
	dir := t.TempDir()
	accounts := write(t, dir, "accounts.jsonl", `{"user_id":"p1","phone":"+33612345678"}`+"\n"+`{"user_id":"p2","phone":"+14155552671"}`+"\n")
	jsonl := write(t, dir, "seeds.jsonl", `{"phone":"06 12 34 56 78","country":"FR","value":3}`+"\n"+
		`{"phone":"`+features.HashPhone("+14155552671").Digits+`"}`+"\n"+
		`{"phone":"n/a"}`+"\n"+`not json`+"\n"+`{"phone":"+14155552671","value":"lots"}`+"\n")
	pq := filepath.Join(dir, "seeds.parquet")
	if err := parquet.WriteFile(pq, []seedParquetRow{{"+33 6 12 34 56 78", "", 2}, {"4155552671", "US", 1}}); err != nil {
		t.Fatal(err)
	}
	noPhone := filepath.Join(dir, "nophone.parquet")
	if err := parquet.WriteFile(noPhone, []parquetEvent{{Account: "x"}, {Account: "y"}, {Account: "z"}}); err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	a, _, _ := ReadAccounts(s, "facebook", []string{accounts}, features.AccountColumns{})
	profiles, ids, _ := Featurize(s, FeaturizeOptions{App: "facebook", Pepper: testPepper}, a, Activity(s, "facebook", features.ActivityWindow{AsOf: asOf}, beam.Create(s, features.Event{UserID: "p1", Time: asOf})))
	persons, _ := JoinByPhone(s, 0, 0, profiles)
	_, reports, _ := MatchSeeds(s, []SeedList{
		{ID: "j", Advertiser: "adv", File: jsonl},
		{ID: "q", Advertiser: "adv", File: pq},
		{ID: "n", Advertiser: "adv", File: noPhone},
	}, testPepper, persons, ids)
	passert.Equals(s, beam.ParDo(s, reportSummary, reports),
		"j rows=5 rejected=[bad_line=1 unparseable=1] dup=1 unmatched=0 matched=2 [plain=1 sha256_digits=1] apps=map[facebook:2] rate=1.00",
		"q rows=2 rejected=[] dup=0 unmatched=0 matched=2 [plain=2] apps=map[facebook:2] rate=1.00",
		"n rows=3 rejected=[missing_column=3] dup=0 unmatched=0 matched=0 [] apps=map[] rate=0.00")
	ptest.RunAndValidate(t, p)
}

// TestMatchSeedsWithoutIdentities: a graph with no identities (no app
// gave any) builds and runs; hashed rows then match no one.
func TestMatchSeedsWithoutIdentities(t *testing.T) {
	dir := t.TempDir()
	seeds := write(t, dir, "seeds.csv", "phone\n+33612345678\n")
	p, s := beam.NewPipelineWithRoot()
	persons := beam.CreateList(s, []features.Person{})
	matched, _, _ := MatchSeeds(s, []SeedList{{ID: "l", Advertiser: "adv", File: seeds, Country: "FR"}}, testPepper, persons)
	passert.Empty(s, matched)
	ptest.RunAndValidate(t, p)
}
