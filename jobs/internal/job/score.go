package job

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/bqio"
)

// RunScore runs jobs/score: persons, identities, seed lists and models
// → prospect lists. Seed lists are matched again, so seeds are excluded
// from their own list without storing matched seeds between jobs.
func RunScore(ctx context.Context, log zerolog.Logger, stdout io.Writer, flags *Flags) (int, error) {
	cfg, lists, err := prepare(flags, log, false, true)
	if err != nil {
		return ExitBadInput, err
	}
	in, err := ProfileFiles(cfg, deref(flags.Profiles))
	if err != nil {
		return ExitBadInput, err
	}
	modelFile := deref(flags.Models)
	if modelFile == "" {
		modelFile = configs.JoinPath(cfg.RunOutput(), pipelines.ModelsFile)
	}
	if err := pipelines.StatFile(ctx, modelFile); err != nil {
		return ExitBadInput, fmt.Errorf("models: %w (run jobs/train first, or give --models)", err)
	}

	p, s := beam.NewPipelineWithRoot()
	persons, pd := pipelines.ReadPersons(s, in.Persons)
	identities, id := pipelines.ReadIdentities(s, in.Identities)
	persons, od, err := usable(s, cfg, persons, identities)
	if err != nil {
		return ExitBadInput, err
	}
	trained, td := pipelines.ReadModels(s, []string{modelFile})
	matched, reports, md, err := matchSeeds(ctx, s, cfg, lists, persons, identities)
	if err != nil {
		return ExitBadInput, err
	}
	prospects, sizes := pipelines.WithholdSmallAudiences(s, cfg.Privacy.MinAudience, pipelines.Score(s, ScoreOptions(cfg, time.Now()), persons, trained, matched))
	out := func(name string) string { return configs.JoinPath(cfg.RunOutput(), name) }
	rep := Report{Job: "score", RunID: cfg.RunID, AsOf: cfg.AsOf}
	var files []string
	for _, f := range append([]string{"jsonl"}, cfg.ProspectFormats...) {
		files = append(files, out("prospects."+f))
		rep.Outputs = append(rep.Outputs, Output{What: "prospects", Path: out("prospects." + f)})
	}
	pipelines.WriteProspects(s, prospects, files...)
	pipelines.WriteJSONL(s, out("score_seed_match.jsonl"), reports)
	pipelines.WriteJSONL(s, out("audiences.jsonl"), sizes)
	rep.Outputs = append(rep.Outputs, Output{What: "seed match", Path: out("score_seed_match.jsonl")}, Output{What: "audiences", Path: out("audiences.jsonl")})
	pipelines.WriteJSONL(s, out("score_dead_letters.jsonl"), beam.Flatten(s, append(od, pd, id, td, md)...))
	rep.Outputs = append(rep.Outputs, Output{What: "dead letters", Path: out("score_dead_letters.jsonl")})

	sink := newBigQuerySink(cfg)
	if sink != nil {
		sink.prospects(s, prospects)
		sink.deadLetters(s, "score", beam.Flatten(s, append(od, pd, id, td, md)...))
		rep.Outputs = append(rep.Outputs, sink.outputs(bqio.Prospects, bqio.DeadLetters, bqio.Runs)...)
	}

	log.Info().Str("run_id", cfg.RunID).Int("seed_lists", len(lists)).Str("profiles", in.Dir).Str("models", modelFile).
		Str("output", cfg.RunOutput()).Msg("score starting")
	counters, took, err := Run(ctx, log, p)
	if err != nil {
		return ExitFailed, err
	}
	if rep.SeedListsDeleted, err = retireSeedLists(cfg, log); err != nil {
		return ExitFailed, err
	}
	if err := rep.complete(ctx, cfg, sink, counters, took, reportFiles{seedMatch: out("score_seed_match.jsonl"), models: modelFile, prospects: out("prospects.jsonl"), audiences: out("audiences.jsonl")}, out("score_report.json")); err != nil {
		return ExitFailed, err
	}
	log.Info().Str("took", rep.Took).Int64("persons", counters["read_persons"]).Int64("scored", counters["score_persons_in"]).
		Int64("prospects", counters["score_prospects"]).Msg("score done")
	rep.Print(stdout)
	return finish(flags, &rep, out("score_report.json")), nil
}
