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
// returns the exit code (ExitOK, ExitFailed, ExitBadInput,
// ExitNotPredictive, ExitInterrupted) and the error that made it.
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
	r, err := newJobRun(ctx, log, "lookalike", cfg, cfg.RunOutput())
	if err != nil {
		return ExitFailed, err
	}
	if r.sink != nil {
		if err := r.sink.preflight(ctx, bqio.Tables...); err != nil {
			r.abandon(ctx)
			return ExitFailed, err
		}
	}
	p, s := beam.NewPipelineWithRoot()
	st, err := featurizeStages(ctx, s, cfg)
	if err != nil {
		r.abandon(ctx)
		return ExitBadInput, err
	}
	matched, reports, err := matchSeeds(ctx, s, cfg, lists, &st)
	if err != nil {
		r.abandon(ctx)
		return ExitBadInput, err
	}
	models := pipelines.Train(s, TrainOptions(cfg), st.persons, matched)
	prospects, sizes := pipelines.WithholdSmallAudiences(s, cfg.Privacy.MinAudience, listIDs(cfg),
		pipelines.Score(s, ScoreOptions(cfg, time.Now()), st.persons, models, matched))

	o := r.out
	var prospectFiles []string
	for _, f := range append([]string{"jsonl"}, cfg.ProspectFormats...) {
		prospectFiles = append(prospectFiles, o.file("prospects", "prospects."+f))
	}
	pipelines.WriteProspects(s, prospects, prospectFiles...)
	in := reportFiles{
		seedMatch: o.file("seed match", "seed_match.jsonl"),
		audiences: o.file("audiences", "audiences.jsonl"),
		models:    o.file("models", pipelines.ModelsFile),
		prospects: prospectFiles[0],
		inputs:    o.scratch(inputsFile),
	}
	dead := o.file("dead letters", "dead_letters.jsonl")
	pipelines.WriteJSONL(s, in.seedMatch, reports, pipelines.JSONLOptions{})
	pipelines.WriteJSONL(s, in.audiences, sizes, pipelines.JSONLOptions{})
	pipelines.WriteJSONL(s, in.models, models, pipelines.JSONLOptions{Header: r.header(pipelines.ModelsKind)})
	pipelines.WriteJSONL(s, dead, beam.Flatten(s, st.dead...), pipelines.JSONLOptions{})
	o.writeInputs(s, st.inputs)
	if r.sink != nil {
		r.sink.prospects(s, prospects)
		r.sink.seedMatch(s, reports)
		r.sink.deadLetters(s, "lookalike", beam.Flatten(s, st.dead...))
		r.rep.Outputs = append(r.rep.Outputs, r.sink.outputs(bqio.Tables...)...)
	}

	logStart(log, cfg).Int("apps", len(cfg.Apps)).Int("seed_lists", len(lists)).Str("model", cfg.Model.Kind).
		Str("output", cfg.RunOutput()).Msg("pipeline starting")
	code, err := r.execute(ctx, p, runSpec{flags: flags, files: in, report: "report.json", deliver: true, retire: true,
		check: func() ([]string, []string) {
			problems, warnings := checkInputs(cfg, &r.rep, dead, true)
			return append(problems, checkSeeds(cfg, &r.rep)...), warnings
		}})
	if err != nil {
		return code, err
	}
	ev := log.Info().Str("took", r.rep.Took)
	for _, k := range []string{"featurize_accounts_in", "featurize_profiles", "join_persons", "seed_matched", "policy_persons_kept", "score_prospects", "audience_prospects_delivered"} {
		ev = ev.Int64(k, r.rep.Counters[k])
	}
	ev.Msg("pipeline done")
	for _, m := range r.rep.Models {
		if m.Quality != nil && !m.Quality.Predictive {
			log.Warn().Str("seed_list", m.List).Msg(m.Quality.Verdict)
		}
	}
	r.rep.Print(stdout)
	return code, nil
}

// listIDs are cfg's seed lists' ids.
func listIDs(cfg *configs.Config) []string {
	var out []string
	for _, l := range cfg.SeedLists {
		out = append(out, l.ID)
	}
	return out
}

// logStart begins a job's start line with what decides its outcome: the
// run, the activity window and the privacy settings (never the pepper).
func logStart(log zerolog.Logger, cfg *configs.Config) *zerolog.Event {
	return log.Info().Str("run_id", cfg.RunID).Str("as_of", cfg.AsOf).Int("window_days", cfg.WindowDays).
		Int("min_seeds", cfg.MinSeeds).Int("floor", cfg.Privacy.Floor).Int("min_audience", cfg.Privacy.MinAudience).
		Float64("noise_scale", cfg.Privacy.NoiseScale)
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
