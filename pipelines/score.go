package pipelines

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"
	"gonum.org/v1/gonum/mat"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// ScoreOptions configures Score.
type ScoreOptions struct {
	Train TrainOptions `json:"train"`
	// AudiencePercent is how much of the eligible population a list's
	// prospect list keeps, 1 to 10 (percent); 0 means 5.
	AudiencePercent map[string]int    `json:"audience_percent"`
	Advertisers     map[string]string `json:"advertisers"` // list id → advertiser id
	ScoredAt        time.Time         `json:"scored_at"`
	// Exclude maps a list to the other lists whose seeds never appear
	// among its prospects (the same advertiser's: all its customers, say).
	Exclude map[string][]string `json:"exclude,omitempty"`
}

// Score's counters, which balance:
//
//	score_persons_in × lists = score_scores + score_seeds_excluded + score_excluded_by_lists
//	score_scores = score_prospects + score_below_audience
//
// and score_excluded_by_lists_<list> counts, per list, the persons left
// out because they are seeds of a list it excludes.
var (
	scorePersonsIn = beam.NewCounter("sosie", "score_persons_in")
	seedsExcluded  = beam.NewCounter("sosie", "score_seeds_excluded")
	listsExcluded  = beam.NewCounter("sosie", CounterExcludedByLists)
	scoresOut      = beam.NewCounter("sosie", "score_scores")
	prospectsOut   = beam.NewCounter("sosie", "score_prospects")
	belowAudience  = beam.NewCounter("sosie", "score_below_audience")
)

// ScoreDistribution is how the persons a list scored (every eligible
// person but its seeds and the seeds of the lists it excludes) spread
// over similarity.
type ScoreDistribution struct {
	List string `json:"seed_list_id"`
	// Bins[i] counts the persons of similarity in [i, i+1) / len(Bins)
	// (the last bin holds 1 too).
	Bins []int64 `json:"bins"`
}

// DistributionBins is how many bins a ScoreDistribution has: 0.05 of
// similarity each.
const DistributionBins = 20

// Score scores every person that is not one of a list's seeds with
// the list's model. Persons must have passed ApplyPolicy (and OptOut):
// Score uses every profile it is given. PCollection<features.Person>, PCollection<TrainedModel>
// (a side input) and PCollection<MatchedSeed> in, PCollection<Prospect>
// out, with PCollection<ScoreDistribution>, one per list scored.
// Percentiles come from Beam's approximate quantiles of each list's
// scores, with no global sort; a list keeps its top AudiencePercent.
func Score(s beam.Scope, opt ScoreOptions, seeded, models beam.PCollection) (prospects, distributions beam.PCollection) {
	s = s.Scope("pipelines.Score")
	all := beam.ParDo(s, &scoreFn{Options: opt.Train, Exclude: opt.Exclude}, seeded, beam.SideInput{Input: models})
	distributions = beam.ParDo(s, distributionOf, beam.CombinePerKey(s, histogramFn{}, beam.ParDo(s, listSimilarity, all)))
	count := stats.Sum(s, beam.ParDo(s, one, seeded))
	var out []beam.PCollection
	for _, list := range opt.Train.Lists {
		ls := s.Scope("list." + list)
		mine := beam.ParDo(ls, &keepListFn{List: list}, all)
		// Beam's quantile sketch depends on the order elements arrive in, so
		// it runs on the deterministic hash sample of the scores, with K
		// larger than the sample: exact on the sample, the same on every
		// run, and bounded in memory whatever the population.
		sample := beam.ParDo(ls, &sampleScoreFn{Seed: opt.Train.RunSeed, Size: quantileSample}, mine, beam.SideInput{Input: count})
		cuts := stats.ApproximateQuantiles(ls, sample, less, stats.Opts{K: 4 * quantileSample, NumQuantiles: 100})
		out = append(out, beam.ParDo(ls, &tierFn{
			List: list, Percent: opt.AudiencePercent[list], RunID: opt.Train.RunID, Advertiser: opt.Advertisers[list], ScoredAt: opt.ScoredAt,
			AsOf: opt.Train.Window.AsOf.Format("2006-01-02"),
		}, mine, beam.SideInput{Input: cuts}))
	}
	return beam.Flatten(s, out...), distributions
}

func listSimilarity(s listScore) (string, float64) { return s.List, s.Similarity }

// histogramFn counts similarities into DistributionBins bins.
type histogramFn struct{}

func (histogramFn) CreateAccumulator() []int64 { return make([]int64, DistributionBins) }

func (histogramFn) AddInput(h []int64, similarity float64) []int64 {
	h[min(max(int(similarity*DistributionBins), 0), DistributionBins-1)]++
	return h
}

func (histogramFn) MergeAccumulators(a, b []int64) []int64 {
	for i, n := range b {
		a[i] += n
	}
	return a
}

func distributionOf(list string, bins []int64) ScoreDistribution {
	return ScoreDistribution{List: list, Bins: bins}
}

// listScore is a person's score for a list.
type listScore struct {
	List       string  `json:"list"`
	Key        string  `json:"key"`
	Score      float64 `json:"score"`
	Similarity float64 `json:"similarity"` // the model's calibrated similarity
	Kind       string  `json:"kind"`       // of the model that scored
}

// keepListFn keeps the scores of one list.
type keepListFn struct {
	List string `json:"list"`
}

func (f *keepListFn) ProcessElement(s listScore, emit func(listScore)) {
	if s.List == f.List {
		emit(s)
	}
}

// quantileSample is the expected number of scores the tier cut points are
// computed from: percentiles within about ±0.3 % of the exact ones.
const quantileSample = 20_000

// sampleScoreFn keeps the scores of the deterministic sample of persons.
type sampleScoreFn struct {
	Seed uint64 `json:"seed"`
	Size int    `json:"size"`
}

func (f *sampleScoreFn) ProcessElement(s listScore, persons int, emit func(float64)) {
	if model.InSample(s.Key, f.Seed^0x51ce, float64(f.Size)/float64(persons)) {
		emit(s.Score)
	}
}

func less(a, b float64) bool { return a < b }

// scoreBlock is how many persons scoreFn scores at once: one matrix–
// vector product per list and block (2 MiB of features at 112 columns).
const scoreBlock = 2048

// scoreFn scores persons with every list's model, in blocks: each person
// is vectorized once into a block, and a full block (or the bundle's
// last) is scored list by list.
type scoreFn struct {
	Options TrainOptions        `json:"options"`
	Exclude map[string][]string `json:"exclude,omitempty"` // ScoreOptions.Exclude
	schema  *features.Schema
	// excluded counts, per list, the persons left out for being seeds of a
	// list it excludes.
	excluded map[string]beam.Counter
	models   map[string]*model.Artifact
	lists    []string // the keys of models, sorted
	block    *mat.Dense
	keys     []string
	seedOf   [][]string // the lists each person of the block is a seed of
	n        int
	out      []float64
}

func (f *scoreFn) Setup() error {
	s, err := features.NewSchema(f.Options.Schema)
	if err != nil {
		return err
	}
	f.schema = s
	f.block = mat.NewDense(scoreBlock, s.Len(), nil)
	f.keys, f.seedOf = make([]string, scoreBlock), make([][]string, scoreBlock)
	f.out = make([]float64, scoreBlock)
	return nil
}

// loadModels decodes the side input once per bundle.
func loadModels(schema *features.Schema, models func(*TrainedModel) bool) (map[string]*model.Artifact, error) {
	out := map[string]*model.Artifact{}
	var tm TrainedModel
	for models(&tm) {
		a, err := model.Load(bytes.NewReader(tm.Artifact), schema.Version(), schema.Names())
		if err != nil {
			return nil, fmt.Errorf("pipelines: model of seed list %s: %w", tm.List, err)
		}
		out[tm.List] = a
	}
	return out, nil
}

func (f *scoreFn) ProcessElement(ctx context.Context, in seededPerson, models func(*TrainedModel) bool, emit func(listScore)) error {
	if f.models == nil {
		m, err := loadModels(f.schema, models)
		if err != nil {
			return err
		}
		f.models = m
		for l := range m {
			f.lists = append(f.lists, l)
		}
		sort.Strings(f.lists)
	}
	scorePersonsIn.Inc(ctx, 1)
	f.schema.Vectorize(&in.Person, f.Options.Window.AsOf, f.Options.Window, f.block.RawRowView(f.n))
	f.keys[f.n], f.seedOf[f.n] = in.Person.Key, in.lists()
	f.n++
	if f.n == scoreBlock {
		return f.flush(ctx, emit)
	}
	return nil
}

// FinishBundle scores the bundle's last, partial block. (Beam gives it
// the side input too; the models were loaded with the first person.)
func (f *scoreFn) FinishBundle(ctx context.Context, _ func(*TrainedModel) bool, emit func(listScore)) error {
	return f.flush(ctx, emit)
}

// flush scores the block with every list's model; seeds are never in
// their own prospect list.
func (f *scoreFn) flush(ctx context.Context, emit func(listScore)) error {
	if f.n == 0 {
		return nil
	}
	rows := f.block.Slice(0, f.n, 0, f.schema.Len()).(*mat.Dense)
	for _, list := range f.lists {
		if err := f.models[list].Model.Score(f.out[:f.n], rows); err != nil {
			return err
		}
		m := f.models[list]
		kind := string(m.Kind)
		for i, key := range f.keys[:f.n] {
			if slices.Contains(f.seedOf[i], list) {
				seedsExcluded.Inc(ctx, 1)
				continue
			}
			if f.excludedBy(list, f.seedOf[i]) {
				listsExcluded.Inc(ctx, 1)
				f.excludedCounter(list).Inc(ctx, 1)
				continue
			}
			scoresOut.Inc(ctx, 1)
			emit(listScore{List: list, Key: key, Score: f.out[i], Similarity: m.Model.Similarity(f.out[i]), Kind: kind})
		}
	}
	f.n = 0
	return nil
}

// excludedBy says whether a seed of the lists seedOf is kept out of
// list's prospects by its exclusions.
func (f *scoreFn) excludedBy(list string, seedOf []string) bool {
	for _, x := range f.Exclude[list] {
		if slices.Contains(seedOf, x) {
			return true
		}
	}
	return false
}

func (f *scoreFn) excludedCounter(list string) beam.Counter {
	c, ok := f.excluded[list]
	if !ok {
		if f.excluded == nil {
			f.excluded = map[string]beam.Counter{}
		}
		c = beam.NewCounter("sosie", CounterExcludedByLists+"_"+list)
		f.excluded[list] = c
	}
	return c
}

// CounterExcludedByLists counts the persons left out of prospect lists for
// being seeds of a list they exclude; CounterExcludedByLists_<list> per
// list.
const CounterExcludedByLists = "score_excluded_by_lists"

// tierFn places each score among the list's quantiles and keeps the top.
type tierFn struct {
	List       string    `json:"list"`
	Percent    int       `json:"percent"`
	RunID      string    `json:"run_id"`
	Advertiser string    `json:"advertiser"`
	ScoredAt   time.Time `json:"scored_at"`
	AsOf       string    `json:"as_of"` // the run's as-of date (YYYY-MM-DD): two runs of one day compare on it
}

func (f *tierFn) ProcessElement(ctx context.Context, s listScore, cuts []float64, emit func(Prospect)) {
	p, tier, prospect := model.Tier(cuts, s.Score, f.Percent)
	if !prospect {
		belowAudience.Inc(ctx, 1)
		return
	}
	prospectsOut.Inc(ctx, 1)
	emit(Prospect{RunID: f.RunID, Advertiser: f.Advertiser, List: f.List, Key: s.Key, Score: s.Score, Similarity: s.Similarity,
		Percentile: p, Tier: tier, ModelKind: s.Kind, ScoredAt: f.ScoredAt, AsOf: f.AsOf})
}

func init() {
	reg.DoFn4x1[context.Context, seededPerson, func(*TrainedModel) bool, func(listScore), error](&scoreFn{})
	reg.DoFn4x0[context.Context, listScore, []float64, func(Prospect)](&tierFn{})
	reg.DoFn2x0[listScore, func(listScore)](&keepListFn{})
	reg.DoFn3x0[listScore, int, func(float64)](&sampleScoreFn{})
	register.Emitter1[float64]()
	register.Function1x2(listSimilarity)
	register.Combiner2[[]int64, float64](&histogramFn{})
	register.Function2x1(distributionOf)
	register.Function2x1(less)
	register.Emitter1[listScore]()
	register.Emitter1[Prospect]()
	register.Iter1[TrainedModel]()
}
