package job

import (
	"context"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/bqio"
)

// graphOptions are cfg's inputs, rules and options as the graphs of
// pipelines take them (pipelines.GraphOptions); each job sets the
// outputs it writes.
func graphOptions(cfg *configs.Config, lists []pipelines.SeedList, scoredAt time.Time) pipelines.GraphOptions {
	asOf, _ := cfg.AsOfTime()
	return pipelines.GraphOptions{
		Apps: cfg.Apps,
		Featurize: pipelines.FeaturizeOptions{DefaultRegion: cfg.DefaultRegion, MobileOnly: cfg.MobileOnly,
			MaxPerPhone: cfg.MaxAccountsPerPhone, Buckets: cfg.ShuffleBuckets, Window: features.ActivityWindow{AsOf: asOf, Days: cfg.WindowDays}, Pepper: PepperOf(cfg)},
		OptOut:      cfg.OptOut,
		Policy:      cfg.Privacy.Policy(),
		Lists:       lists,
		Score:       ScoreOptions(cfg, scoredAt),
		MinAudience: cfg.Privacy.MinAudience,
	}
}

// graph is one of the graphs of pipelines: LookalikeGraph, FeaturizeGraph,
// TrainGraph, ScoreGraph.
type graph func(ctx context.Context, s beam.Scope, o pipelines.GraphOptions) error

// build builds the run's pipeline from g and o, with the run's file
// headers and BigQuery sink (its tables listed in the report), and a
// BigQuery source while the graph is built when an app or a seed list
// names a table. An input sosie cannot read (a file, a format, a table)
// abandons the run: nothing of it stays.
func (r *jobRun) build(ctx context.Context, g graph, o pipelines.GraphOptions) (*beam.Pipeline, error) {
	p, s := beam.NewPipelineWithRoot()
	err := func() error {
		if namesTable(r.cfg) {
			src, err := bqio.OpenReader(ctx, r.cfg.Source.BigQuery, bigQueryTimeouts)
			if err != nil {
				return err
			}
			defer src.Close()
			o.Tables = src
		}
		o.Out.Header = r.header
		if r.sink != nil {
			o.Out.Tables = r.sink
		}
		return g(ctx, s, o)
	}()
	if err != nil {
		r.abandon(ctx)
		return nil, err
	}
	if r.sink != nil {
		r.rep.Outputs = append(r.rep.Outputs, bigQueryOutputs(r.sink, r.tables...)...)
	}
	return p, nil
}

// namesTable says whether an app or a seed list of cfg is read from
// BigQuery.
func namesTable(cfg *configs.Config) bool {
	if cfg.Source.BigQuery == nil {
		return false
	}
	for _, a := range cfg.Apps {
		if a.AccountsTable != "" || a.EventsTable != "" {
			return true
		}
	}
	for _, l := range cfg.SeedLists {
		if l.Table != "" {
			return true
		}
	}
	return false
}

// TrainOptions are cfg's options of Train (and, within ScoreOptions, of
// Score).
func TrainOptions(cfg *configs.Config) pipelines.TrainOptions {
	asOf, _ := cfg.AsOfTime()
	opt := pipelines.TrainOptions{RunID: cfg.RunID, Window: features.ActivityWindow{AsOf: asOf, Days: cfg.WindowDays},
		SampleSize: cfg.SampleSize, RunSeed: cfg.RunSeed, MinSeeds: cfg.MinSeeds, Model: model.Settings{Kind: model.Kind(cfg.Model.Kind)}}
	for _, l := range cfg.SeedLists {
		opt.Lists = append(opt.Lists, l.ID)
	}
	return opt
}

// ScoreOptions are cfg's options of Score.
func ScoreOptions(cfg *configs.Config, scoredAt time.Time) pipelines.ScoreOptions {
	opt := pipelines.ScoreOptions{Train: TrainOptions(cfg), AudiencePercent: map[string]int{}, Advertisers: map[string]string{},
		ScoredAt: scoredAt.UTC().Truncate(time.Second)}
	for _, l := range cfg.SeedLists {
		opt.AudiencePercent[l.ID], opt.Advertisers[l.ID] = l.AudiencePercent, l.Advertiser
		if len(l.Exclude) > 0 {
			if opt.Exclude == nil {
				opt.Exclude = map[string][]string{}
			}
			opt.Exclude[l.ID] = l.Exclude
		}
		if len(l.Countries) > 0 {
			if opt.Countries == nil {
				opt.Countries = map[string][]string{}
			}
			opt.Countries[l.ID] = l.Countries
		}
	}
	return opt
}
