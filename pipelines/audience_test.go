package pipelines

import (
	"fmt"
	"slices"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

func prospectPlace(p Prospect) string { return p.List + "/" + p.Country }

func audienceSummary(a AudienceSize) string {
	return fmt.Sprintf("%s %d %v %v", a.List, a.Size, a.Delivered, a.Countries)
}

func init() {
	register.Function1x1(prospectPlace)
	register.Function1x1(audienceSummary)
}

// TestWithholdSmallAudiences: a list under the minimum is withheld whole;
// a delivered list with target countries keeps only the countries whose
// own audience reaches the minimum; a list without countries is one
// audience whatever its countries. The plain loop's withholdSmall agrees.
func TestWithholdSmallAudiences(t *testing.T) {
	var prospects []Prospect
	add := func(list, country string, n int) {
		for i := range n {
			prospects = append(prospects, Prospect{List: list, Country: country, Key: fmt.Sprintf("%s-%s-%d", list, country, i)})
		}
	}
	add("eu", "FR", 3)  // under 10: withheld
	add("eu", "DE", 12) // delivered: eu has 15
	add("few", "FR", 5) // few has 5: withheld whole
	add("all", "FR", 4) // all has no countries: one audience of 11
	add("all", "NG", 7)
	countries := map[string][]string{"eu": {"FR", "DE"}, "few": {"FR"}}

	p, s := beam.NewPipelineWithRoot()
	kept, sizes := WithholdSmallAudiences(s, 10, []string{"all", "eu", "few", "none"}, countries, beam.CreateList(s, prospects))
	var want []any
	for range 12 {
		want = append(want, "eu/DE")
	}
	for range 4 {
		want = append(want, "all/FR")
	}
	for range 7 {
		want = append(want, "all/NG")
	}
	passert.Equals(s, beam.ParDo(s, prospectPlace, kept), want...)
	passert.Equals(s, beam.ParDo(s, audienceSummary, sizes),
		"all 11 true []", "eu 15 true [{DE 12 true} {FR 3 false}]", "few 5 false [{FR 5 false}]", "none 0 false []")
	ptest.RunAndValidate(t, p)

	var plain []string
	for _, p := range withholdSmall(10, countries, slices.Clone(prospects)) {
		plain = append(plain, prospectPlace(p))
	}
	var wantPlain []string
	for _, w := range want {
		wantPlain = append(wantPlain, w.(string))
	}
	slices.Sort(plain)
	slices.Sort(wantPlain)
	if !slices.Equal(plain, wantPlain) {
		t.Errorf("the plain loop keeps %v", plain)
	}
}
