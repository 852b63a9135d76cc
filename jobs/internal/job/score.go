package job

import (
	"context"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/bqio"
)

// RunScore runs jobs/score: persons, identities, seed lists and models
// → prospect lists. Seed lists are matched again, so seeds are excluded
// from their own list without storing matched seeds between jobs; a list
// that matches fewer than min_seeds fails the run, as in train. Files
// another job wrote under another pepper, and a models file without a
// model for one of the lists, are refused before any work.
func RunScore(ctx context.Context, log zerolog.Logger, stdout io.Writer, flags *Flags) (int, error) {
	cfg, lists, err := prepare(flags, log, false, true)
	if err != nil {
		return ExitBadInput, err
	}
	modelFile := deref(flags.Models)
	if modelFile == "" {
		modelFile = configs.JoinPath(cfg.RunOutput(), pipelines.ModelsFile)
	}
	in, err := profilesFor(ctx, cfg, flags, modelFile)
	if err != nil {
		return ExitBadInput, err
	}
	if err := checkModels(modelFile, cfg.SeedLists); err != nil {
		return ExitBadInput, err
	}
	r, code, err := newJobRun(ctx, log, "score", cfg, cfg.RunOutput(), bqio.Prospects, bqio.DeadLetters, bqio.Runs)
	if err != nil {
		return code, err
	}

	o := r.out
	opt := graphOptions(cfg, lists, time.Now())
	opt.Profiles = pipelines.ProfileFiles{Persons: in.Persons, Identities: in.Identities}
	opt.Models = modelFile
	for _, f := range append([]string{"jsonl"}, cfg.ProspectFormats...) {
		opt.Out.Prospects = append(opt.Out.Prospects, o.file("prospects", "prospects."+f))
	}
	opt.Out.SeedMatch = o.file("seed match", "score_seed_match.jsonl")
	opt.Out.Audiences = o.file("audiences", "audiences.jsonl")
	opt.Out.Distributions = o.scratch("score_distributions.jsonl")
	opt.Out.DeadLetters = o.file("dead letters", "score_dead_letters.jsonl")
	opt.Out.Inputs = o.scratch(inputsFile)
	p, err := r.build(ctx, pipelines.ScoreGraph, opt)
	if err != nil {
		return ExitBadInput, err
	}
	// The models come from the file given, read as the report's.
	in2 := reportFiles{seedMatch: opt.Out.SeedMatch, audiences: opt.Out.Audiences, distributions: opt.Out.Distributions, dead: opt.Out.DeadLetters, prospects: opt.Out.Prospects[0],
		inputs: opt.Out.Inputs, models: modelFile}

	logStart(log, cfg).Int("seed_lists", len(lists)).Str("profiles", in.Dir).Str("models", modelFile).
		Str("output", cfg.RunOutput()).Msg("score starting")
	code, err = r.execute(ctx, p, runSpec{flags: flags, files: in2, report: "score_report.json", deliver: true, retire: true,
		check: func() ([]string, []string) {
			problems, warnings := checkInputs(cfg, &r.rep, false)
			return append(problems, checkSeeds(cfg, &r.rep)...), append(warnings, checkCountries(cfg, &r.rep)...)
		}})
	if err != nil {
		return code, err
	}
	log.Info().Str("took", r.rep.Took).Int64("persons", r.rep.Counters["read_persons"]).Int64("scored", r.rep.Counters["score_persons_in"]).
		Int64("prospects", r.rep.Counters["score_prospects"]).Msg("score done")
	r.rep.Print(stdout)
	return code, nil
}
