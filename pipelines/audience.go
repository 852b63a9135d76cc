package pipelines

import (
	"context"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// Counters of WithholdSmallAudiences, which balance:
//
//	score_prospects = audience_prospects_delivered + audience_prospects_withheld
var (
	prospectsDelivered = beam.NewCounter("sosie", "audience_prospects_delivered")
	prospectsWithheld  = beam.NewCounter("sosie", "audience_prospects_withheld")
	listsWithheld      = beam.NewCounter("sosie", "audience_lists_withheld")
)

// WithholdSmallAudiences keeps only the prospect lists of at least min
// persons: a smaller audience would let an advertiser single people out.
// A list with target countries (countries) also keeps only the countries
// whose own audience reaches min, since each is targeted alone.
// PCollection<Prospect> in; the prospects delivered and
// PCollection<AudienceSize>, one for each of lists (an empty one too: it
// is withheld whenever min is above 0), out.
func WithholdSmallAudiences(s beam.Scope, min int, lists []string, countries map[string][]string, prospects beam.PCollection) (kept, sizes beam.PCollection) {
	s = s.Scope("pipelines.WithholdSmallAudiences")
	none := beam.ParDo(s, noProspect, beam.Create(s, stringsToAny(lists)...))
	counts := beam.CombinePerKey(s, sumInts, beam.Flatten(s, none, beam.ParDo(s, &audienceOfFn{Countries: countries}, prospects)))
	sizes = beam.ParDo(s, &audienceSizeFn{Minimum: min}, beam.GroupByKey(s, beam.ParDo(s, listOfAudience, counts)))
	kept = beam.ParDo(s, keepDelivered, prospects, beam.SideInput{Input: sizes})
	return kept, sizes
}

// audienceOfFn counts a prospect in its list and, for a list with target
// countries, in its country's audience ("list/country").
type audienceOfFn struct {
	Countries map[string][]string `json:"countries,omitempty"`
}

func (f *audienceOfFn) ProcessElement(p Prospect, emit func(string, int)) {
	emit(p.List, 1)
	if len(f.Countries[p.List]) > 0 {
		emit(audienceOf(p.List, p.Country, f.Countries[p.List]), 1)
	}
}

func noProspect(list string) (string, int) { return list, 0 }

func sumInts(a, b int) int { return a + b }

// audienceCount is an audience's count keyed by its list.
func listOfAudience(audience string, n int) (string, audienceCount) {
	list, _, _ := strings.Cut(audience, "/")
	return list, audienceCount{Audience: audience, Persons: n}
}

type audienceSizeFn struct {
	Minimum int `json:"minimum"`
}

func (f *audienceSizeFn) ProcessElement(ctx context.Context, list string, counts func(*audienceCount) bool) AudienceSize {
	a := AudienceSize{List: list, Minimum: f.Minimum}
	var c audienceCount
	for counts(&c) {
		if _, country, ok := strings.Cut(c.Audience, "/"); ok {
			a.Countries = append(a.Countries, CountryAudience{Country: country, Size: c.Persons, Delivered: c.Persons >= f.Minimum})
		} else {
			a.Size = c.Persons
		}
	}
	slices.SortFunc(a.Countries, func(x, y CountryAudience) int { return strings.Compare(x.Country, y.Country) })
	a.Delivered = a.Size >= f.Minimum
	if !a.Delivered {
		listsWithheld.Inc(ctx, 1)
	}
	return a
}

func keepDelivered(ctx context.Context, p Prospect, sizes []AudienceSize, emit func(Prospect)) {
	for _, a := range sizes {
		if a.List != p.List {
			continue
		}
		if a.delivers(p.Country) {
			prospectsDelivered.Inc(ctx, 1)
			emit(p)
		} else {
			prospectsWithheld.Inc(ctx, 1)
		}
	}
}

func init() {
	reg.DoFn2x0[Prospect, func(string, int)](&audienceOfFn{})
	register.Function1x2(noProspect)
	register.Function2x1(sumInts)
	register.Function2x2(listOfAudience)
	reg.DoFn3x1[context.Context, string, func(*audienceCount) bool, AudienceSize](&audienceSizeFn{})
	register.Function4x0(keepDelivered)
	register.Emitter1[AudienceSize]()
	register.Emitter2[string, int]()
}
