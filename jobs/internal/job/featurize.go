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

// RunFeaturize runs jobs/featurize: apps → persons and identities.
func RunFeaturize(ctx context.Context, log zerolog.Logger, stdout io.Writer, flags *Flags) (int, error) {
	cfg, _, err := prepare(flags, log, true, false)
	if err != nil {
		return ExitBadInput, err
	}
	p, s := beam.NewPipelineWithRoot()
	persons, identities, dead, err := featurizeStages(ctx, s, cfg)
	if err != nil {
		return ExitBadInput, err
	}
	out := func(name string) string { return configs.JoinPath(cfg.Output, name) }
	pipelines.WriteJSONL(s, out(pipelines.PersonsFile), persons)
	pipelines.WriteIdentities(s, out(pipelines.IdentitiesFile), identities)
	pipelines.WriteJSONL(s, out("featurize_dead_letters.jsonl"), beam.Flatten(s, dead...))
	rep := Report{Job: "featurize", RunID: cfg.RunID, AsOf: cfg.AsOf, Outputs: []Output{
		{What: "persons", Path: out(pipelines.PersonsFile)},
		{What: "identities", Path: out(pipelines.IdentitiesFile)},
		{What: "dead letters", Path: out("featurize_dead_letters.jsonl")},
	}}

	sink := newBigQuerySink(cfg)
	if sink != nil {
		sink.deadLetters(s, "featurize", beam.Flatten(s, dead...))
		rep.Outputs = append(rep.Outputs, sink.outputs(bqio.DeadLetters, bqio.Runs)...)
	}

	log.Info().Str("run_id", cfg.RunID).Str("as_of", cfg.AsOf).Int("apps", len(cfg.Apps)).Int("window_days", cfg.WindowDays).
		Str("output", cfg.Output).Msg("featurize starting")
	counters, took, err := Run(ctx, log, p)
	if err != nil {
		return ExitFailed, err
	}
	if err := rep.complete(ctx, cfg, sink, counters, took, reportFiles{}, out("featurize_report.json")); err != nil {
		return ExitFailed, err
	}
	log.Info().Str("took", rep.Took).Int64("rows", counters["read_rows"]).Int64("rows_rejected", counters["read_rows_rejected"]).
		Int64("profiles", counters["featurize_profiles"]).Int64("persons", counters["join_persons"]).Msg("featurize done")
	rep.Print(stdout)
	return finish(flags, &rep, out("featurize_report.json")), nil
}
