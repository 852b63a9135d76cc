package pipelines

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/sosie-dev/sosie/features"
)

func personCountry(p features.Person) string { return p.Country }

func init() { register.Function1x1(personCountry) }

// TestOptOut: persons named on an opt-out list by phone (international,
// or national with a country column or the default region), by phone hash
// (either convention) or by person key are removed; a line that is none of
// these is a dead letter, and every line is accounted for.
func TestOptOut(t *testing.T) {
	dir := t.TempDir()
	accounts := write(t, dir, "accounts.jsonl", ``+
		`{"user_id":"p1","phone":"+33612345678","country":"FR"}`+"\n"+
		`{"user_id":"p2","phone":"+14155552671","country":"US"}`+"\n"+
		`{"user_id":"p3","phone":"+447400123456","country":"GB"}`+"\n"+
		`{"user_id":"p4","phone":"+4915112345678","country":"DE"}`+"\n"+
		`{"user_id":"p5","phone":"+33698765432","country":"FR"}`+"\n"+
		`{"user_id":"p6","phone":"+34612345678","country":"ES"}`+"\n")
	keyer, _ := features.NewKeyer([]byte(os.Getenv(testPepperEnv)))
	list := write(t, dir, "optout.txt", "phone\n+33612345678\n"+features.HashPhone("+14155552671").Digits+"\n"+
		keyer.Key("+447400123456")+"\nnot a phone\n\n06 98 76 54 32\n")
	national := write(t, dir, "optout.csv", "phone;country\r\n612 34 56 78;es\r\n")
	p, s := beam.NewPipelineWithRoot()
	a, _, _ := ReadAccounts(s, "facebook", []string{accounts}, features.AccountColumns{})
	profiles, ids, _ := Featurize(s, FeaturizeOptions{App: "facebook", Pepper: testPepper}, a, Activity(s, "facebook", features.ActivityWindow{AsOf: asOf}, beam.Create(s, features.Event{UserID: "p1", Time: asOf})))
	persons, _ := JoinByPhone(s, 0, 0, profiles)
	kept, dead, inputs := OptOut(s, []string{list, national}, testPepper, "FR", persons, ids)
	passert.Equals(s, beam.ParDo(s, personCountry, kept), "DE")
	passert.Equals(s, beam.ParDo(s, reasonOf, dead), "optout/unparseable/1")
	passert.Equals(s, beam.ParDo(s, inputSummary, inputs), "optout.txt 7 = 1+1+4+1", "optout.csv 2 = 1+0+1+0")
	ptest.RunAndValidate(t, p)
}

func inputSummary(f InputFile) string {
	return fmt.Sprintf("%s %d = %d+%d+%d+%d", filepath.Base(f.File), f.Lines, f.Header, f.Blank, f.Read, f.Rejected)
}

func init() { register.Function1x1(inputSummary) }
