// Command lookalike runs sosie's whole flow in one Beam pipeline: read the
// apps' accounts and events, featurize, join by phone, match the seed lists,
// train a model per list, score everybody else, and write the prospects,
// match reports, models, dead letters and a run report.
//
// With no config (or one without apps) it first writes a small synthetic
// world and runs on that:
//
//	go run ./jobs/lookalike
//	go run ./jobs/lookalike --config configs/local.yaml --out /tmp/run
//
// Beam's own flags (--runner, --endpoint, ...) are accepted too; the
// default runner is prism, in process. The same stages run split across
// jobs/featurize, jobs/train and jobs/score.
package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/jobs/internal/job"
	"github.com/sosie-dev/sosie/pipelines"
)

var flags = job.RegisterFlags()

func main() {
	flag.Parse()
	beam.Init() // a worker re-enters this binary here and never returns
	log := job.NewLogger(os.Stderr)
	code, err := run(context.Background(), log, os.Stdout)
	if err != nil {
		log.Error().Err(err).Msg("lookalike failed")
	}
	os.Exit(code)
}

// run returns the exit code (job.ExitOK, ExitFailed, ExitBadInput) and the
// error that made it.
func run(ctx context.Context, log zerolog.Logger, stdout io.Writer) (int, error) {
	cfg, err := flags.Load()
	if err != nil {
		return job.ExitBadInput, err
	}
	synthetic := len(cfg.Apps) == 0
	if err := job.Pepper(cfg, log, synthetic); err != nil {
		return job.ExitBadInput, err
	}
	if _, err := job.Synthetic(cfg, log, true); err != nil {
		return job.ExitBadInput, err
	}
	lists, err := job.SeedLists(cfg)
	if err != nil {
		return job.ExitBadInput, err
	}

	p, s := beam.NewPipelineWithRoot()
	persons, identities, dead, err := job.Featurize(s, cfg)
	if err != nil {
		return job.ExitBadInput, err
	}
	matched, reports, md := pipelines.MatchSeeds(s, lists, cfg.PepperEnv, persons, identities)
	train := job.TrainOptions(cfg)
	models := pipelines.Train(s, train, persons, matched)
	prospects := pipelines.Score(s, job.ScoreOptions(cfg, time.Now()), persons, models, matched)

	out := func(name string) string { return filepath.Join(cfg.Output, name) }
	rep := job.Report{Job: "lookalike", RunID: cfg.RunID, AsOf: cfg.AsOf}
	var prospectFiles []string
	for _, f := range append([]string{"jsonl"}, cfg.ProspectFormats...) {
		path := out("prospects." + f)
		prospectFiles = append(prospectFiles, path)
		rep.Outputs = append(rep.Outputs, job.Output{What: "prospects", Path: path})
	}
	pipelines.WriteProspects(s, prospects, prospectFiles...)
	pipelines.WriteJSONL(s, out("seed_match.jsonl"), reports)
	pipelines.WriteJSONL(s, out(pipelines.ModelsFile), models)
	pipelines.WriteJSONL(s, out("dead_letters.jsonl"), beam.Flatten(s, append(dead, md)...))
	rep.Outputs = append(rep.Outputs, job.Output{What: "seed match", Path: out("seed_match.jsonl")},
		job.Output{What: "models", Path: out(pipelines.ModelsFile)}, job.Output{What: "dead letters", Path: out("dead_letters.jsonl")})

	log.Info().Str("run_id", cfg.RunID).Str("as_of", cfg.AsOf).Int("apps", len(cfg.Apps)).Int("seed_lists", len(lists)).
		Str("model", cfg.Model.Kind).Str("output", cfg.Output).Msg("pipeline starting")
	counters, took, err := job.Run(ctx, log, p)
	if err != nil {
		return job.ExitFailed, err
	}
	rep.Took, rep.Counters = took.Round(time.Millisecond).String(), counters
	if err := rep.AddSeedMatch(out("seed_match.jsonl")); err != nil {
		return job.ExitFailed, err
	}
	if err := rep.AddModels(out(pipelines.ModelsFile)); err != nil {
		return job.ExitFailed, err
	}
	if err := rep.AddTiers(out("prospects.jsonl")); err != nil {
		return job.ExitFailed, err
	}
	if err := rep.Write(out("report.json")); err != nil {
		return job.ExitFailed, err
	}
	ev := log.Info().Str("took", rep.Took)
	for _, k := range []string{"featurize_accounts_in", "featurize_profiles", "join_persons", "seed_matched", "score_persons_scored", "score_prospects"} {
		ev = ev.Int64(k, counters[k])
	}
	ev.Msg("pipeline done")
	for _, m := range rep.Models {
		if m.Quality != nil && !m.Quality.Predictive {
			log.Warn().Str("seed_list", m.List).Msg(m.Quality.Verdict)
		}
	}
	rep.Print(stdout)
	return job.ExitOK, nil
}
