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
	// Countries maps a list to its target countries: only their persons
	// are scored for it, and its audience is sized within each
	// (percentiles and tiers per country). A list without: one audience.
	Countries map[string][]string `json:"countries,omitempty"`
}

// Score's counters, which balance:
//
//	score_persons_in × lists = score_scores + score_seeds_excluded + score_excluded_by_lists + score_outside_countries
//	score_scores = score_prospects + score_below_audience
//
// and score_excluded_by_lists_<list> counts, per list, the persons left
// out because they are seeds of a list it excludes.
var (
	scorePersonsIn   = beam.NewCounter("sosie", "score_persons_in")
	seedsExcluded    = beam.NewCounter("sosie", "score_seeds_excluded")
	listsExcluded    = beam.NewCounter("sosie", CounterExcludedByLists)
	outsideCountries = beam.NewCounter("sosie", "score_outside_countries")
	scoresOut        = beam.NewCounter("sosie", "score_scores")
	prospectsOut     = beam.NewCounter("sosie", "score_prospects")
	belowAudience    = beam.NewCounter("sosie", "score_below_audience")
)

// ScoreDistribution is how the persons a list scored (every eligible
// person but its seeds and the seeds of the lists it excludes) spread
// over similarity.
type ScoreDistribution struct {
	List string `json:"seed_list_id"`
	// Bins[i] counts the persons of similarity in [i, i+1) / len(Bins)
	// (the last bin holds 1 too).
	Bins []int64 `json:"bins"`
	// ByCountry counts them by country ("" for a person without one).
	ByCountry map[string]int64 `json:"by_country"`
}

// DistributionBins is how many bins a ScoreDistribution has: 0.05 of
// similarity each.
const DistributionBins = 20

// Score scores every person that is not one of a list's seeds with
// the list's model. Persons must have passed ApplyPolicy (and OptOut):
// Score uses every profile it is given. PCollection<features.Person>, PCollection<TrainedModel>
// (a side input) and PCollection<MatchedSeed> in, PCollection<Prospect>
// out, with PCollection<ScoreDistribution>, one per list scored.
//
// Each audience — a list, or a list and one of its countries — keeps its
// top AudiencePercent: its percentiles are the exact quantiles of a
// deterministic hash sample of its scores (everyone, up to
// quantileSample persons), with no global sort, the same on every run.
func Score(s beam.Scope, opt ScoreOptions, seeded, models beam.PCollection) (prospects, distributions beam.PCollection) {
	s = s.Scope("pipelines.Score")
	all := beam.ParDo(s, &scoreFn{Options: opt.Train, Exclude: opt.Exclude, Countries: opt.Countries}, seeded, beam.SideInput{Input: models})
	distributions = beam.ParDo(s, distributionOf, beam.CombinePerKey(s, histogramFn{}, beam.ParDo(s, listOf, all)))
	sizes := beam.ParDo(s, audienceSizeOf, beam.CombinePerKey(s, sumInts, beam.ParDo(s, audienceOne, all)))
	sample := beam.ParDo(s, &sampleScoreFn{Seed: opt.Train.RunSeed, Size: quantileSample}, all, beam.SideInput{Input: sizes})
	cuts := beam.ParDo(s, cutsOf, beam.GroupByKey(s, sample))
	prospects = beam.ParDo(s, &tierFn{
		Percent: opt.AudiencePercent, RunID: opt.Train.RunID, Advertisers: opt.Advertisers, ScoredAt: opt.ScoredAt,
		AsOf: opt.Train.Window.AsOf.Format("2006-01-02"),
	}, all, beam.SideInput{Input: cuts})
	return prospects, distributions
}

// listScore is a person's score for a list.
type listScore struct {
	List       string  `json:"list"`
	Key        string  `json:"key"`
	Score      float64 `json:"score"`
	Similarity float64 `json:"similarity"` // the model's calibrated similarity
	Kind       string  `json:"kind"`       // of the model that scored
	Country    string  `json:"country,omitempty"`
	// Audience is the audience the person is ranked in: the list, or
	// "list/country" for a list with target countries.
	Audience string `json:"audience"`
}

// audienceOf names the audience of a list's person from country: the list,
// or the list and the country when the list has target countries.
func audienceOf(list, country string, countries []string) string {
	if len(countries) == 0 {
		return list
	}
	return list + "/" + country
}

func audienceOne(s listScore) (string, int) { return s.Audience, 1 }

// audienceCount is how many persons an audience ranks.
type audienceCount struct {
	Audience string `json:"audience"`
	Persons  int    `json:"persons"`
}

func audienceSizeOf(audience string, n int) audienceCount { return audienceCount{audience, n} }

// quantileSample is the most scores an audience's cut points are computed
// from: percentiles within about ±0.3 % of the exact ones.
const quantileSample = 20_000

// sampleScoreFn keeps the scores of the deterministic sample of each
// audience's persons: about quantileSample of them, or all.
type sampleScoreFn struct {
	Seed  uint64 `json:"seed"`
	Size  int    `json:"size"`
	sizes map[string]int
}

func (f *sampleScoreFn) ProcessElement(s listScore, sizes func(*audienceCount) bool, emit func(string, float64)) {
	if f.sizes == nil {
		f.sizes = map[string]int{}
		var a audienceCount
		for sizes(&a) {
			f.sizes[a.Audience] = a.Persons
		}
	}
	if model.InSample(s.Key, f.Seed^0x51ce, float64(f.Size)/float64(max(f.sizes[s.Audience], 1))) {
		emit(s.Audience, s.Score)
	}
}

// audienceCuts are an audience's percentile cut points.
type audienceCuts struct {
	Audience string    `json:"audience"`
	Cuts     []float64 `json:"cuts"`
}

func cutsOf(audience string, scores func(*float64) bool) audienceCuts {
	var sample []float64
	var v float64
	for scores(&v) {
		sample = append(sample, v)
	}
	sort.Float64s(sample)
	return audienceCuts{audience, cutPoints(sample)}
}

// cutPoints are the 99 percentile cut points of sorted scores: walking up
// them, a score is the next cut when its rank r has r/n at or above the
// next quantile q/100.
func cutPoints(sorted []float64) []float64 {
	cuts := make([]float64, 0, 99)
	n, q := float64(len(sorted)), 1.0
	for i, v := range sorted {
		if float64(i+1)/n >= q/100 {
			cuts = append(cuts, v)
			q++
		}
		if q >= 100 {
			break
		}
	}
	return cuts
}

// scoreBlock is how many persons scoreFn scores at once: one matrix–
// vector product per list and block (2 MiB of features at 112 columns).
const scoreBlock = 2048

// scoreFn scores persons with every list's model, in blocks: each person
// is vectorized once into a block, and a full block (or the bundle's
// last) is scored list by list.
type scoreFn struct {
	Options   TrainOptions        `json:"options"`
	Exclude   map[string][]string `json:"exclude,omitempty"`   // ScoreOptions.Exclude
	Countries map[string][]string `json:"countries,omitempty"` // ScoreOptions.Countries
	schema    *features.Schema
	// excluded counts, per list, the persons left out for being seeds of a
	// list it excludes.
	excluded  map[string]beam.Counter
	models    map[string]*model.Artifact
	lists     []string // the keys of models, sorted
	block     *mat.Dense
	keys      []string
	countries []string   // of each person of the block
	seedOf    [][]string // the lists each person of the block is a seed of
	n         int
	out       []float64
}

func (f *scoreFn) Setup() error {
	s, err := features.NewSchema(f.Options.Schema)
	if err != nil {
		return err
	}
	f.schema = s
	f.block = mat.NewDense(scoreBlock, s.Len(), nil)
	f.keys, f.seedOf, f.countries = make([]string, scoreBlock), make([][]string, scoreBlock), make([]string, scoreBlock)
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
	f.keys[f.n], f.seedOf[f.n], f.countries[f.n] = in.Person.Key, in.lists(), in.Person.Country
	f.n++
	if f.n == scoreBlock {
		return f.flush(ctx, emit)
	}
	return nil
}

// StartBundle drops the rows a failed bundle left in the block (a runner
// may retry a bundle on the same DoFn instance).
func (f *scoreFn) StartBundle(_ func(*TrainedModel) bool, _ func(listScore)) { f.n = 0 }

// FinishBundle scores the bundle's last, partial block. (Beam gives it
// the side input too; the models were loaded with the first person.)
func (f *scoreFn) FinishBundle(ctx context.Context, _ func(*TrainedModel) bool, emit func(listScore)) error {
	return f.flush(ctx, emit)
}

// flush scores the block with every list's model; seeds are never in
// their own prospect list, nor persons outside a list's countries.
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
		countries := f.Countries[list]
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
			if len(countries) > 0 && !slices.Contains(countries, f.countries[i]) {
				outsideCountries.Inc(ctx, 1)
				continue
			}
			scoresOut.Inc(ctx, 1)
			emit(listScore{List: list, Key: key, Score: f.out[i], Similarity: m.Model.Similarity(f.out[i]), Kind: kind,
				Country: f.countries[i], Audience: audienceOf(list, f.countries[i], countries)})
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

// tierFn places each score among its audience's percentile cut points and
// keeps the top.
type tierFn struct {
	Percent     map[string]int    `json:"percent"` // list → audience percent
	RunID       string            `json:"run_id"`
	Advertisers map[string]string `json:"advertisers"` // list → advertiser
	ScoredAt    time.Time         `json:"scored_at"`
	AsOf        string            `json:"as_of"` // the run's as-of date (YYYY-MM-DD): two runs of one day compare on it
	cuts        map[string][]float64
}

func (f *tierFn) ProcessElement(ctx context.Context, s listScore, cuts func(*audienceCuts) bool, emit func(Prospect)) {
	if f.cuts == nil {
		f.cuts = map[string][]float64{}
		var a audienceCuts
		for cuts(&a) {
			f.cuts[a.Audience] = a.Cuts
		}
	}
	p, tier, prospect := model.Tier(f.cuts[s.Audience], s.Score, f.Percent[s.List])
	if !prospect {
		belowAudience.Inc(ctx, 1)
		return
	}
	prospectsOut.Inc(ctx, 1)
	emit(Prospect{RunID: f.RunID, Advertiser: f.Advertisers[s.List], List: s.List, Key: s.Key, Score: s.Score, Similarity: s.Similarity,
		Percentile: p, Tier: tier, ModelKind: s.Kind, Country: s.Country, ScoredAt: f.ScoredAt, AsOf: f.AsOf})
}

func listOf(s listScore) (string, listScore) { return s.List, s }

// histogramFn counts a list's scores into DistributionBins bins of
// similarity, and by country.
type histogramFn struct{}

func (histogramFn) CreateAccumulator() ScoreDistribution {
	return ScoreDistribution{Bins: make([]int64, DistributionBins), ByCountry: map[string]int64{}}
}

func (histogramFn) AddInput(h ScoreDistribution, s listScore) ScoreDistribution {
	h.Bins[min(max(int(s.Similarity*DistributionBins), 0), DistributionBins-1)]++
	h.ByCountry[s.Country]++
	return h
}

func (histogramFn) MergeAccumulators(a, b ScoreDistribution) ScoreDistribution {
	for i, n := range b.Bins {
		a.Bins[i] += n
	}
	for c, n := range b.ByCountry {
		a.ByCountry[c] += n
	}
	return a
}

func distributionOf(list string, d ScoreDistribution) ScoreDistribution {
	d.List = list
	return d
}

func init() {
	reg.DoFn4x1[context.Context, seededPerson, func(*TrainedModel) bool, func(listScore), error](&scoreFn{})
	reg.DoFn4x0[context.Context, listScore, func(*audienceCuts) bool, func(Prospect)](&tierFn{})
	reg.DoFn3x0[listScore, func(*audienceCount) bool, func(string, float64)](&sampleScoreFn{})
	register.Function1x2(audienceOne)
	register.Function2x1(audienceSizeOf)
	register.Function2x1(cutsOf)
	register.Function1x2(listOf)
	register.Combiner2[ScoreDistribution, listScore](&histogramFn{})
	register.Function2x1(distributionOf)
	register.Emitter2[string, float64]()
	register.Emitter1[listScore]()
	register.Emitter1[Prospect]()
	register.Iter1[TrainedModel]()
	register.Iter1[audienceCount]()
	register.Iter1[audienceCuts]()
	register.Iter1[float64]()
}
