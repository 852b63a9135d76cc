package pipelines

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"
	"gonum.org/v1/gonum/mat"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// TrainOptions configures Train and Score.
type TrainOptions struct {
	RunID  string                  `json:"run_id"`
	Lists  []string                `json:"lists"` // the seed list ids to train for
	Schema features.SchemaConfig   `json:"schema"`
	Window features.ActivityWindow `json:"window"` // its AsOf is the time features are measured at
	// SampleSize is the expected size of the population sample; 0 means
	// 20,000. Sampling is a hash of the person key and RunSeed, so it
	// needs no shuffle and a rerun draws the same people.
	SampleSize int            `json:"sample_size"`
	RunSeed    uint64         `json:"run_seed"`
	MinSeeds   int            `json:"min_seeds"` // 0 means 100
	Model      model.Settings `json:"model"`
}

func (o TrainOptions) withDefaults() TrainOptions {
	if o.SampleSize == 0 {
		o.SampleSize = 20_000
	}
	if o.MinSeeds == 0 {
		o.MinSeeds = 100
	}
	return o
}

// trainRow is one labelled feature vector for a list.
type trainRow struct {
	Seed   bool      `json:"seed"`
	Weight float64   `json:"weight"`
	X      []float64 `json:"x"`
}

// seedOf says which lists a person is a seed of, with the customer value.
type seedOf struct {
	List  string  `json:"list"`
	Value float64 `json:"value"`
}

// seededPerson is a person and the lists it is a seed of.
type seededPerson struct {
	Person features.Person
	Seeds  []seedOf
}

// lists are the lists p is a seed of.
func (p seededPerson) lists() []string {
	var out []string
	for _, s := range p.Seeds {
		out = append(out, s.List)
	}
	return out
}

// WithSeeds pairs every person with the seed lists it is a seed of, once
// for Train and Score both: PCollection<features.Person> and
// PCollection<MatchedSeed> in, the persons with their seed lists out (the
// element type is the stages' own). The matched seeds are a side input
// the persons stream past (sidekeys.go), so persons are not shuffled
// again. A seed whose person is gone since the match (the policy, an
// opt-out) is dropped: MatchSeeds counted it.
func WithSeeds(s beam.Scope, persons, matched beam.PCollection) beam.PCollection {
	s = s.Scope("pipelines.WithSeeds")
	return beam.ParDo(s, &pairSeedsFn{}, persons, beam.SideInput{Input: matched})
}

func one(seededPerson) int { return 1 }

// Train fits one model per seed list: the persons with their seed lists
// (WithSeeds) in, PCollection<TrainedModel> out. Each list's
// matched seeds are its positives; a deterministic sample of the other
// persons is its population. A list with fewer matched seeds than
// MinSeeds gets no model (counted in train_lists_too_few_seeds): the jobs
// fail the run then, with the numbers and the match report's hints.
func Train(s beam.Scope, opt TrainOptions, seeded beam.PCollection) beam.PCollection {
	s = s.Scope("pipelines.Train")
	opt = opt.withDefaults()
	count := stats.Sum(s, beam.ParDo(s, one, seeded))
	rows := beam.ParDo(s, &trainRowsFn{Options: opt}, seeded, beam.SideInput{Input: count})
	return beam.ParDo(s, &fitFn{Options: opt}, beam.GroupByKey(s, rows))
}

type trainRowsFn struct {
	Options TrainOptions `json:"options"`
	schema  *features.Schema
}

func (f *trainRowsFn) Setup() error {
	s, err := features.NewSchema(f.Options.Schema)
	f.schema = s
	return err
}

func (f *trainRowsFn) ProcessElement(ctx context.Context, in seededPerson, count int, emit func(string, trainRow)) {
	p, key, lists := &in.Person, in.Person.Key, in.Seeds
	trainPersonsIn.Inc(ctx, 1)
	inSample := model.InSample(key, f.Options.RunSeed, float64(f.Options.SampleSize)/float64(count))
	var x []float64 // vectorized only for a row that is kept
	vector := func() []float64 {
		if x == nil {
			x = make([]float64, f.schema.Len())
			f.schema.Vectorize(p, f.Options.Window.AsOf, f.Options.Window, x)
		}
		return x
	}
	for _, list := range f.Options.Lists {
		i := slices.IndexFunc(lists, func(s seedOf) bool { return s.List == list })
		switch {
		case i >= 0:
			trainSeedRows.Inc(ctx, 1)
			emit(list, trainRow{Seed: true, Weight: lists[i].Value, X: vector()})
		case inSample:
			trainPopulationRows.Inc(ctx, 1)
			emit(list, trainRow{Weight: 1, X: vector()})
		default:
			trainNotSampled.Inc(ctx, 1)
		}
	}
}

// Train's counters. For every person and seed list, one of seed row,
// population row or not sampled: train_persons_in × lists =
// train_seed_rows + train_population_rows + train_not_sampled.
var (
	trainPersonsIn      = beam.NewCounter("sosie", "train_persons_in")
	trainSeedRows       = beam.NewCounter("sosie", "train_seed_rows")
	trainPopulationRows = beam.NewCounter("sosie", "train_population_rows")
	trainNotSampled     = beam.NewCounter("sosie", "train_not_sampled")
	modelsFitted        = beam.NewCounter("sosie", "train_models")
	listsTooFewSeeds    = beam.NewCounter("sosie", "train_lists_too_few_seeds")
)

type fitFn struct {
	Options TrainOptions `json:"options"`
}

func (f *fitFn) ProcessElement(ctx context.Context, list string, rows func(*trainRow) bool, emit func(TrainedModel)) error {
	schema, err := features.NewSchema(f.Options.Schema)
	if err != nil {
		return err
	}
	var seeds, pop []trainRow
	var r trainRow
	for rows(&r) {
		if r.Seed {
			seeds = append(seeds, r)
		} else {
			pop = append(pop, r)
		}
	}
	if len(seeds) < f.Options.MinSeeds {
		listsTooFewSeeds.Inc(ctx, 1)
		return nil
	}
	if len(pop) < 2 {
		return fmt.Errorf("pipelines: seed list %s: a population sample of %d persons is too small", list, len(pop))
	}
	// The rows come in no particular order: sort them so the fit, and so
	// the model, is the same on every run.
	for _, part := range [][]trainRow{seeds, pop} {
		slices.SortFunc(part, func(a, b trainRow) int { return slices.Compare(a.X, b.X) })
	}
	d := schema.Len()
	toMat := func(rs []trainRow) *mat.Dense {
		m := mat.NewDense(len(rs), d, nil)
		for i, r := range rs {
			copy(m.RawRowView(i), r.X)
		}
		return m
	}
	weights := make([]float64, len(seeds))
	for i, s := range seeds {
		weights[i] = model.SeedWeight(s.Weight)
	}
	set := f.Options.Model
	set.Seed = f.Options.RunSeed
	m, rep, err := model.Fit(toMat(seeds), toMat(pop), weights, set)
	if err != nil {
		return fmt.Errorf("pipelines: seed list %s: %w", list, err)
	}
	rep.Name(schema.Names())
	a, err := model.NewArtifact(m, rep, schema.Version(), schema.Names(), f.Options.RunID, time.Now())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := a.Write(&buf); err != nil {
		return err
	}
	modelsFitted.Inc(ctx, 1)
	emit(TrainedModel{List: list, Artifact: buf.Bytes()})
	return nil
}

func init() {
	register.Function1x1(one)
	reg.DoFn4x0[context.Context, seededPerson, int, func(string, trainRow)](&trainRowsFn{})
	register.Emitter1[seededPerson]()
	reg.DoFn4x1[context.Context, string, func(*trainRow) bool, func(TrainedModel), error](&fitFn{})
	register.Emitter2[string, trainRow]()
	register.Emitter1[TrainedModel]()
	register.Iter1[trainRow]()
}
