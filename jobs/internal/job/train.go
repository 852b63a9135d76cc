package job

import (
	"context"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/bqio"
)

// RunTrain runs jobs/train: persons, identities and seed lists → a
// model per seed list and the match reports. It refuses, before any work,
// files featurize wrote under another pepper.
func RunTrain(ctx context.Context, log zerolog.Logger, stdout io.Writer, flags *Flags) (int, error) {
	cfg, lists, err := prepare(flags, log, false, true)
	if err != nil {
		return ExitBadInput, err
	}
	in, err := profilesFor(ctx, cfg, flags, "")
	if err != nil {
		return ExitBadInput, err
	}
	r, code, err := newJobRun(ctx, log, "train", cfg, cfg.RunOutput(), bqio.SeedMatch, bqio.DeadLetters, bqio.Runs)
	if err != nil {
		return code, err
	}

	o := r.out
	opt := graphOptions(cfg, lists, time.Now())
	opt.Profiles = pipelines.ProfileFiles{Persons: in.Persons, Identities: in.Identities}
	opt.Out.Models = o.file("models", pipelines.ModelsFile)
	opt.Out.SeedMatch = o.file("seed match", "seed_match.jsonl")
	opt.Out.DeadLetters = o.file("dead letters", "train_dead_letters.jsonl")
	opt.Out.Inputs = o.scratch(inputsFile)
	p, err := r.build(ctx, pipelines.TrainGraph, opt)
	if err != nil {
		return ExitBadInput, err
	}
	files := reportFiles{models: opt.Out.Models, seedMatch: opt.Out.SeedMatch, inputs: opt.Out.Inputs, dead: opt.Out.DeadLetters}

	logStart(log, cfg).Int("seed_lists", len(lists)).Str("model", cfg.Model.Kind).Int("sample_size", cfg.SampleSize).
		Str("profiles", in.Dir).Str("output", cfg.RunOutput()).Msg("train starting")
	code, err = r.execute(ctx, p, runSpec{flags: flags, files: files, report: "train_report.json",
		check: func() ([]string, []string) {
			problems, warnings := checkInputs(cfg, &r.rep, false)
			return append(problems, checkSeeds(cfg, &r.rep)...), warnings
		}})
	if err != nil {
		return code, err
	}
	log.Info().Str("took", r.rep.Took).Int64("persons", r.rep.Counters["read_persons"]).Int64("seed_matched", r.rep.Counters["seed_matched"]).
		Int64("models", r.rep.Counters["train_models"]).Msg("train done")
	for _, m := range r.rep.Models {
		if m.Quality != nil && !m.Quality.Predictive {
			log.Warn().Str("seed_list", m.List).Msg(m.Quality.Verdict)
		}
	}
	r.rep.Print(stdout)
	return code, nil
}
