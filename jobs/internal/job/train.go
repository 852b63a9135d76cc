package job

import (
	"context"
	"io"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/bqio"
)

// RunTrain runs jobs/train: persons, identities and seed lists → a
// model per seed list and the match reports.
func RunTrain(ctx context.Context, log zerolog.Logger, stdout io.Writer, flags *Flags) (int, error) {
	cfg, lists, err := prepare(flags, log, false, true)
	if err != nil {
		return ExitBadInput, err
	}
	in, err := ProfileFiles(cfg, deref(flags.Profiles))
	if err != nil {
		return ExitBadInput, err
	}

	p, s := beam.NewPipelineWithRoot()
	persons, pd := pipelines.ReadPersons(s, in.Persons)
	identities, id := pipelines.ReadIdentities(s, in.Identities)
	persons, od, err := usable(s, cfg, persons, identities)
	if err != nil {
		return ExitBadInput, err
	}
	matched, reports, md, err := matchSeeds(ctx, s, cfg, lists, persons, identities)
	if err != nil {
		return ExitBadInput, err
	}
	models := pipelines.Train(s, TrainOptions(cfg), persons, matched)
	out := func(name string) string { return configs.JoinPath(cfg.RunOutput(), name) }
	pipelines.WriteJSONL(s, out(pipelines.ModelsFile), models)
	pipelines.WriteJSONL(s, out("seed_match.jsonl"), reports)
	pipelines.WriteJSONL(s, out("train_dead_letters.jsonl"), beam.Flatten(s, append(od, pd, id, md)...))
	rep := Report{Job: "train", RunID: cfg.RunID, AsOf: cfg.AsOf, Outputs: []Output{
		{What: "models", Path: out(pipelines.ModelsFile)},
		{What: "seed match", Path: out("seed_match.jsonl")},
		{What: "dead letters", Path: out("train_dead_letters.jsonl")},
	}}

	sink := newBigQuerySink(cfg)
	if sink != nil {
		sink.seedMatch(s, reports)
		sink.deadLetters(s, "train", beam.Flatten(s, append(od, pd, id, md)...))
		rep.Outputs = append(rep.Outputs, sink.outputs(bqio.SeedMatch, bqio.DeadLetters, bqio.Runs)...)
	}

	log.Info().Str("run_id", cfg.RunID).Int("seed_lists", len(lists)).Str("model", cfg.Model.Kind).
		Int("sample_size", cfg.SampleSize).Str("profiles", in.Dir).Str("output", cfg.RunOutput()).Msg("train starting")
	counters, took, err := Run(ctx, log, p)
	if err != nil {
		return ExitFailed, err
	}
	if err := rep.complete(ctx, cfg, sink, counters, took, reportFiles{seedMatch: out("seed_match.jsonl"), models: out(pipelines.ModelsFile)}, out("train_report.json")); err != nil {
		return ExitFailed, err
	}
	log.Info().Str("took", rep.Took).Int64("persons", counters["read_persons"]).Int64("seed_matched", counters["seed_matched"]).
		Int64("models", counters["train_models"]).Msg("train done")
	for _, m := range rep.Models {
		if m.Quality != nil && !m.Quality.Predictive {
			log.Warn().Str("seed_list", m.List).Msg(m.Quality.Verdict)
		}
	}
	rep.Print(stdout)
	return finish(flags, &rep, out("train_report.json")), nil
}
