package pipelines

import (
	"context"

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
// PCollection<Prospect> in; the prospects of the lists delivered and
// PCollection<AudienceSize>, one for each of lists (an empty one too: it
// is withheld whenever min is above 0), out.
func WithholdSmallAudiences(s beam.Scope, min int, lists []string, prospects beam.PCollection) (kept, sizes beam.PCollection) {
	s = s.Scope("pipelines.WithholdSmallAudiences")
	none := beam.ParDo(s, noProspect, beam.Create(s, stringsToAny(lists)...))
	counts := beam.CombinePerKey(s, sumInts, beam.Flatten(s, none, beam.ParDo(s, prospectList, prospects)))
	sizes = beam.ParDo(s, &audienceSizeFn{Minimum: min}, counts)
	kept = beam.ParDo(s, keepDelivered, prospects, beam.SideInput{Input: sizes})
	return kept, sizes
}

func prospectList(p Prospect) (string, int) { return p.List, 1 }

func noProspect(list string) (string, int) { return list, 0 }

func sumInts(a, b int) int { return a + b }

type audienceSizeFn struct {
	Minimum int `json:"minimum"`
}

func (f *audienceSizeFn) ProcessElement(ctx context.Context, list string, n int) AudienceSize {
	ok := n >= f.Minimum
	if !ok {
		listsWithheld.Inc(ctx, 1)
	}
	return AudienceSize{List: list, Size: n, Minimum: f.Minimum, Delivered: ok}
}

func keepDelivered(ctx context.Context, p Prospect, sizes []AudienceSize, emit func(Prospect)) {
	for _, a := range sizes {
		if a.List != p.List {
			continue
		}
		if a.Delivered {
			prospectsDelivered.Inc(ctx, 1)
			emit(p)
		} else {
			prospectsWithheld.Inc(ctx, 1)
		}
	}
}

func init() {
	register.Function1x2(prospectList)
	register.Function1x2(noProspect)
	register.Function2x1(sumInts)
	reg.DoFn3x1[context.Context, string, int, AudienceSize](&audienceSizeFn{})
	register.Function4x0(keepDelivered)
	register.Emitter1[AudienceSize]()
}
