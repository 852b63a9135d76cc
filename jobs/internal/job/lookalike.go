package job

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/bqio"
)

// RunLookalike runs the whole flow in one pipeline (jobs/lookalike) and
// returns the exit code (ExitOK, ExitFailed, ExitBadInput) and the error
// that made it.
func RunLookalike(ctx context.Context, log zerolog.Logger, stdout io.Writer, flags *Flags) (int, error) {
	cfg, lists, err := prepare(flags, log, true, true)
	if err != nil {
		return ExitBadInput, err
	}

	if flags.PlainGo != nil && *flags.PlainGo {
		if cfg.Source.BigQuery != nil {
			return ExitBadInput, fmt.Errorf("--plain-go reads files only, not source.bigquery")
		}
		return plainGo(log, stdout, cfg, lists)
	}
	p, s := beam.NewPipelineWithRoot()
	persons, identities, dead, err := featurizeStages(ctx, s, cfg)
	if err != nil {
		return ExitBadInput, err
	}
	matched, reports, md, err := matchSeeds(ctx, s, cfg, lists, persons, identities)
	if err != nil {
		return ExitBadInput, err
	}
	train := TrainOptions(cfg)
	models := pipelines.Train(s, train, persons, matched)
	prospects, sizes := pipelines.WithholdSmallAudiences(s, cfg.Privacy.MinAudience, pipelines.Score(s, ScoreOptions(cfg, time.Now()), persons, models, matched))

	out := func(name string) string { return configs.JoinPath(cfg.RunOutput(), name) }
	rep := Report{Job: "lookalike", RunID: cfg.RunID, AsOf: cfg.AsOf}
	var prospectFiles []string
	for _, f := range append([]string{"jsonl"}, cfg.ProspectFormats...) {
		path := out("prospects." + f)
		prospectFiles = append(prospectFiles, path)
		rep.Outputs = append(rep.Outputs, Output{What: "prospects", Path: path})
	}
	pipelines.WriteProspects(s, prospects, prospectFiles...)
	pipelines.WriteJSONL(s, out("seed_match.jsonl"), reports)
	pipelines.WriteJSONL(s, out("audiences.jsonl"), sizes)
	pipelines.WriteJSONL(s, out(pipelines.ModelsFile), models)
	pipelines.WriteJSONL(s, out("dead_letters.jsonl"), beam.Flatten(s, append(dead, md)...))
	rep.Outputs = append(rep.Outputs, Output{What: "seed match", Path: out("seed_match.jsonl")}, Output{What: "audiences", Path: out("audiences.jsonl")},
		Output{What: "models", Path: out(pipelines.ModelsFile)}, Output{What: "dead letters", Path: out("dead_letters.jsonl")})
	sink := newBigQuerySink(cfg)
	if sink != nil {
		sink.prospects(s, prospects)
		sink.seedMatch(s, reports)
		sink.deadLetters(s, "lookalike", beam.Flatten(s, append(dead, md)...))
		rep.Outputs = append(rep.Outputs, sink.outputs(bqio.Tables...)...)
	}

	log.Info().Str("run_id", cfg.RunID).Str("as_of", cfg.AsOf).Int("apps", len(cfg.Apps)).Int("seed_lists", len(lists)).
		Str("model", cfg.Model.Kind).Str("output", cfg.RunOutput()).Msg("pipeline starting")
	counters, took, err := Run(ctx, log, p)
	if err != nil {
		return ExitFailed, err
	}
	if rep.SeedListsDeleted, err = retireSeedLists(cfg, log); err != nil {
		return ExitFailed, err
	}
	if err := rep.complete(ctx, cfg, sink, counters, took, reportFiles{out("seed_match.jsonl"), out(pipelines.ModelsFile), out("prospects.jsonl"), out("audiences.jsonl")}, out("report.json")); err != nil {
		return ExitFailed, err
	}
	ev := log.Info().Str("took", rep.Took)
	for _, k := range []string{"featurize_accounts_in", "featurize_profiles", "join_persons", "seed_matched", "policy_persons_kept", "score_prospects", "audience_prospects_delivered"} {
		ev = ev.Int64(k, counters[k])
	}
	ev.Msg("pipeline done")
	for _, m := range rep.Models {
		if m.Quality != nil && !m.Quality.Predictive {
			log.Warn().Str("seed_list", m.List).Msg(m.Quality.Verdict)
		}
	}
	rep.Print(stdout)
	return finish(flags, &rep, out("report.json")), nil
}

// plainGo computes the lookalike job's prospects with pipelines.Baseline,
// in one plain Go loop: the yardstick of the pipeline's cost.
func plainGo(log zerolog.Logger, stdout io.Writer, cfg *configs.Config, lists []pipelines.SeedList) (int, error) {
	asOf, _ := cfg.AsOfTime()
	var apps []pipelines.BaselineApp
	for _, app := range cfg.Apps {
		accounts, err := pipelines.ExpandFiles(app.Accounts...)
		if err != nil {
			return ExitBadInput, fmt.Errorf("app %s accounts: %w", app.Name, err)
		}
		events, err := pipelines.ExpandFiles(app.Events...)
		if err != nil {
			return ExitBadInput, fmt.Errorf("app %s events: %w", app.Name, err)
		}
		apps = append(apps, pipelines.BaselineApp{Accounts: accounts, Events: events, Columns: app.AccountColumns, EventCol: app.EventColumns,
			Options: pipelines.FeaturizeOptions{App: app.Name, DefaultRegion: cfg.DefaultRegion, MobileOnly: cfg.MobileOnly,
				MaxPerPhone: cfg.MaxAccountsPerPhone, Window: features.ActivityWindow{AsOf: asOf, Days: cfg.WindowDays}, Pepper: PepperOf(cfg)}})
	}
	path := configs.JoinPath(cfg.RunOutput(), "prospects.plain.jsonl")
	log.Info().Int("apps", len(apps)).Msg("plain Go run starting (no Beam)")
	start := time.Now()
	res, err := pipelines.Baseline(apps, lists, PepperOf(cfg), cfg.Privacy.Policy(), ScoreOptions(cfg, time.Now()), path)
	if err != nil {
		return ExitFailed, err
	}
	took := time.Since(start).Round(time.Millisecond)
	log.Info().Str("took", took.String()).Int("persons", res.Persons).Int("seed_matched", res.Matched).
		Int("prospects", res.Prospects).Int("dead_letters", res.DeadLetters).Msg("plain Go run done")
	fmt.Fprintf(stdout, "plain Go run done in %s: %d persons, %d seeds matched, %d prospects\nprospects: %s\n", took, res.Persons, res.Matched, res.Prospects, path)
	return ExitOK, nil
}
