package pipelines

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/sosie-dev/sosie/features"
)

const testPepperEnv = "SOSIE_TEST_PEPPER"

var testPepper = Pepper{Env: testPepperEnv}

func TestMain(m *testing.M) {
	os.Setenv(testPepperEnv, "a test pepper, thirty-two bytes or more")
	ptest.Main(m)
}

var asOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func reasonOf(d DeadLetter) string { return fmt.Sprintf("%s/%s/%d", d.Stage, d.Reason, d.Rows) }

func profileSummary(a AccountProfile) string {
	p := a.Profile
	return fmt.Sprintf("%s:%d accounts:%d events", p.App, p.Accounts, p.Activity.Total())
}

func personSummary(p features.Person) string {
	var apps []string
	for _, a := range p.Apps {
		apps = append(apps, a.App)
	}
	return p.Country + ":" + strings.Join(apps, "+")
}

func init() {
	register.Function1x1(reasonOf)
	register.Function1x1(profileSummary)
	register.Function1x1(personSummary)
}

// TestFeaturizeAndJoin runs read, featurize and join on prism over files
// with every kind of dirt, and checks that every row ends in a profile or a
// dead letter with the right reason.
func TestFeaturizeAndJoin(t *testing.T) {
	dir := t.TempDir()
	var shared strings.Builder
	for i := range 7 { // one number on seven accounts: a test number
		fmt.Fprintf(&shared, `{"user_id":"s%d","phone":"+33 6 00 00 00 01","country":"FR","updated_at":"2026-01-01T00:00:00Z"}`+"\n", i)
	}
	for i := range 6 { // one account on six rows: one account, not a shared number
		fmt.Fprintf(&shared, `{"user_id":"r1","phone":"+33 6 00 00 00 02","country":"FR","updated_at":"2026-01-0%dT00:00:00Z"}`+"\n", i+1)
	}
	fbAccounts := write(t, dir, "accounts_facebook.jsonl", ``+
		`{"user_id":"a1","phone":"06 12 34 56 78","country":"FR","birth_year":1990,"updated_at":"2026-05-01T00:00:00Z"}`+"\n"+
		`{"user_id":"a2","phone":"(415) 555-2671","country":"US","updated_at":"2026-05-01T00:00:00Z"}`+"\n"+
		`{"user_id":"a3","phone":"n/a","country":"FR"}`+"\n"+
		`{"user_id":"a4","phone":"0612345679"}`+"\n"+ // no country: the default region FR
		`{"user_id":"a1","phone":"06 12 34 56 78","country":"FR","updated_at":"2025-01-01T00:00:00Z"}`+"\n"+ // the same user id again, older
		`not json`+"\n"+
		`{"phone":"0612345670"}`+"\n"+ // no user id
		"\n"+
		shared.String())
	fbEvents := write(t, dir, "events_facebook.csv", "user_id,time,type,category\n"+
		"a1,2026-10-30T10:00:00Z,like,travel\n"+
		"a1,2026-10-29T10:00:00Z,share,travel\n"+
		"a3,2026-10-29T10:00:00Z,like,\n"+ // of the account with a junk phone
		"zz,2026-10-29T10:00:00Z,like,\n"+ // of no account
		"a2,yesterday,like,\n"+ // a bad timestamp
		"a2,2026-10-29T10:00:00Z\n"+ // a short row
		"s3,2026-10-29T10:00:00Z,like,\n") // of an account on the shared number
	igAccounts := write(t, dir, "accounts_instagram.csv", "user_id,phone,country,updated_at\n"+
		"i1,+33612345678,FR,2026-10-01T00:00:00Z\n") // the same person as a1
	igEvents := write(t, dir, "events_instagram.jsonl", `{"user_id":"i1","time":"2026-10-31T10:00:00Z","type":"story_view","category":"travel"}`+"\n")

	p, s := beam.NewPipelineWithRoot()
	window := features.ActivityWindow{AsOf: asOf, Days: 30}
	opt := FeaturizeOptions{DefaultRegion: "FR", Window: window, Pepper: testPepper}

	fbOpt := opt
	fbOpt.App = "facebook"
	fa, fad, _ := ReadAccounts(s, "facebook", []string{fbAccounts}, features.AccountColumns{})
	fe, fed, _ := ReadActivity(s, "facebook", []string{fbEvents}, features.EventColumns{}, window)
	fbProfiles, _, fbDead := Featurize(s, fbOpt, fa, fe)

	igOpt := opt
	igOpt.App = "instagram"
	ia, iad, _ := ReadAccounts(s, "instagram", []string{igAccounts}, features.AccountColumns{})
	ie, ied, _ := ReadActivity(s, "instagram", []string{igEvents}, features.EventColumns{}, window)
	igProfiles, _, igDead := Featurize(s, igOpt, ia, ie)

	// The seven accounts of the shared number have profiles until the
	// join rejects them.
	passert.Equals(s, beam.ParDo(s, profileSummary, fbProfiles),
		"facebook:1 accounts:2 events", "facebook:1 accounts:0 events", "facebook:1 accounts:0 events",
		"facebook:1 accounts:0 events", "facebook:1 accounts:0 events", "facebook:1 accounts:0 events",
		"facebook:1 accounts:1 events", "facebook:1 accounts:0 events", "facebook:1 accounts:0 events",
		"facebook:1 accounts:0 events", "facebook:1 accounts:0 events")
	persons, joinDead := JoinByPhone(s, 0, 0, fbProfiles, igProfiles)
	dead := beam.Flatten(s, fad, fed, fbDead, iad, ied, igDead, joinDead)
	passert.Equals(s, beam.ParDo(s, reasonOf, dead),
		"read/bad_line/1", "read/missing_field/1", // not json, no user id
		"read/bad_field/1", "read/field_count/1", // bad timestamp, short row
		"featurize/unparseable/1",      // a3's phone
		"featurize/duplicate/1",        // a1's older row
		"featurize/account_rejected/1", // a3's event
		"featurize/unknown_account/1",  // zz's event
		// r1's five older rows
		"featurize/duplicate/1", "featurize/duplicate/1", "featurize/duplicate/1",
		"featurize/duplicate/1", "featurize/duplicate/1",
		"featurize/shared/1", "featurize/shared/1", "featurize/shared/1", "featurize/shared/1",
		"featurize/shared/1", "featurize/shared/1", "featurize/shared/1",
		"featurize/account_rejected/1") // s3's event, rejected with s3 at the join
	// a1 and i1 are one person; a2 and a4 are on facebook only. The newer
	// instagram profile gives the country.
	passert.Equals(s, beam.ParDo(s, personSummary, persons), "FR:facebook+instagram", "US:facebook", ":facebook", "FR:facebook")
	ptest.RunAndValidate(t, p)
}

func TestFeaturizeWithoutPepperFails(t *testing.T) {
	dir := t.TempDir()
	accounts := write(t, dir, "a.jsonl", `{"user_id":"a1","phone":"+33612345678"}`+"\n")
	p, s := beam.NewPipelineWithRoot()
	a, _, _ := ReadAccounts(s, "facebook", []string{accounts}, features.AccountColumns{})
	e := beam.Create(s, features.Event{UserID: "a1", Time: asOf})
	Featurize(s, FeaturizeOptions{App: "facebook", Pepper: Pepper{Env: "SOSIE_NO_SUCH_VARIABLE"}}, a, Activity(s, "facebook", features.ActivityWindow{AsOf: asOf}, e))
	err := ptest.Run(p)
	if err == nil || !strings.Contains(err.Error(), "SOSIE_NO_SUCH_VARIABLE") {
		t.Fatalf("a run without a pepper: %v", err)
	}
}

func TestExpandFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.jsonl", "")
	write(t, dir, "b.jsonl", "")
	files, err := ExpandFiles(filepath.Join(dir, "*.jsonl"))
	if err != nil || len(files) != 2 {
		t.Fatalf("%v, %v", files, err)
	}
	if _, err := ExpandFiles(filepath.Join(dir, "missing*.csv")); err == nil || !strings.Contains(err.Error(), "missing*.csv") {
		t.Fatalf("a pattern that matches nothing: %v", err)
	}
}
