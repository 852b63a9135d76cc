package job

import (
	"context"
	"io"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
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
	in, err := ProfileFiles(cfg, deref(flags.Profiles))
	if err != nil {
		return ExitBadInput, err
	}
	fp, err := PepperOf(cfg).Fingerprint()
	if err != nil {
		return ExitBadInput, err
	}
	if err := checkHandoff(ctx, fp, map[string][]string{pipelines.PersonsKind: in.Persons, pipelines.IdentitiesKind: in.Identities}); err != nil {
		return ExitBadInput, err
	}
	r, err := newJobRun(ctx, log, "train", cfg, cfg.RunOutput())
	if err != nil {
		return ExitFailed, err
	}
	if r.sink != nil {
		if err := r.sink.preflight(ctx, bqio.SeedMatch, bqio.DeadLetters, bqio.Runs); err != nil {
			r.abandon(ctx)
			return ExitFailed, err
		}
	}

	p, s := beam.NewPipelineWithRoot()
	st := readProfiles(s, in)
	if err := usable(s, cfg, &st); err != nil {
		r.abandon(ctx)
		return ExitBadInput, err
	}
	matched, reports, err := matchSeeds(ctx, s, cfg, lists, &st)
	if err != nil {
		r.abandon(ctx)
		return ExitBadInput, err
	}
	models := pipelines.Train(s, TrainOptions(cfg), st.persons, matched)
	o := r.out
	files := reportFiles{models: o.file("models", pipelines.ModelsFile), seedMatch: o.file("seed match", "seed_match.jsonl"), inputs: o.scratch(inputsFile)}
	dead := o.file("dead letters", "train_dead_letters.jsonl")
	pipelines.WriteJSONL(s, files.models, models, pipelines.JSONLOptions{Header: r.header(pipelines.ModelsKind)})
	pipelines.WriteJSONL(s, files.seedMatch, reports, pipelines.JSONLOptions{})
	pipelines.WriteJSONL(s, dead, beam.Flatten(s, st.dead...), pipelines.JSONLOptions{})
	o.writeInputs(s, st.inputs)
	if r.sink != nil {
		r.sink.seedMatch(s, reports)
		r.sink.deadLetters(s, "train", beam.Flatten(s, st.dead...))
		r.rep.Outputs = append(r.rep.Outputs, r.sink.outputs(bqio.SeedMatch, bqio.DeadLetters, bqio.Runs)...)
	}

	logStart(log, cfg).Int("seed_lists", len(lists)).Str("model", cfg.Model.Kind).Int("sample_size", cfg.SampleSize).
		Str("profiles", in.Dir).Str("output", cfg.RunOutput()).Msg("train starting")
	code, err := r.execute(ctx, p, runSpec{flags: flags, files: files, report: "train_report.json",
		check: func() ([]string, []string) {
			problems, warnings := checkInputs(cfg, &r.rep, dead, false)
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

// readProfiles reads the persons and identities featurize wrote.
func readProfiles(s beam.Scope, in Profiles) stages {
	persons, pd, pi := pipelines.ReadPersons(s, in.Persons)
	identities, id, ii := pipelines.ReadIdentities(s, in.Identities)
	return stages{persons: persons, identities: identities, dead: []beam.PCollection{pd, id}, inputs: []beam.PCollection{pi, ii}}
}
