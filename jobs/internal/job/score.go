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
// from their own list without storing matched seeds between jobs; a list
// that matches fewer than min_seeds fails the run, as in train. Files
// another job wrote under another pepper, and a models file without a
// model for one of the lists, are refused before any work.
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
	fp, err := PepperOf(cfg).Fingerprint()
	if err != nil {
		return ExitBadInput, err
	}
	if err := checkHandoff(ctx, fp, map[string][]string{pipelines.PersonsKind: in.Persons, pipelines.IdentitiesKind: in.Identities,
		pipelines.ModelsKind: {modelFile}}); err != nil {
		return ExitBadInput, err
	}
	if err := checkModels(modelFile, cfg.SeedLists); err != nil {
		return ExitBadInput, err
	}
	r, err := newJobRun(ctx, log, "score", cfg, cfg.RunOutput())
	if err != nil {
		return ExitFailed, err
	}
	if r.sink != nil {
		if err := r.sink.preflight(ctx, bqio.Prospects, bqio.DeadLetters, bqio.Runs); err != nil {
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
	trained, td, ti := pipelines.ReadModels(s, []string{modelFile})
	st.dead, st.inputs = append(st.dead, td), append(st.inputs, ti)
	matched, reports, err := matchSeeds(ctx, s, cfg, lists, &st)
	if err != nil {
		r.abandon(ctx)
		return ExitBadInput, err
	}
	prospects, sizes := pipelines.WithholdSmallAudiences(s, cfg.Privacy.MinAudience, listIDs(cfg),
		pipelines.Score(s, ScoreOptions(cfg, time.Now()), st.persons, trained, matched))
	o := r.out
	var files []string
	for _, f := range append([]string{"jsonl"}, cfg.ProspectFormats...) {
		files = append(files, o.file("prospects", "prospects."+f))
	}
	pipelines.WriteProspects(s, prospects, files...)
	in2 := reportFiles{seedMatch: o.file("seed match", "score_seed_match.jsonl"), audiences: o.file("audiences", "audiences.jsonl"),
		prospects: files[0], inputs: o.scratch(inputsFile)}
	dead := o.file("dead letters", "score_dead_letters.jsonl")
	pipelines.WriteJSONL(s, in2.seedMatch, reports, pipelines.JSONLOptions{})
	pipelines.WriteJSONL(s, in2.audiences, sizes, pipelines.JSONLOptions{})
	pipelines.WriteJSONL(s, dead, beam.Flatten(s, st.dead...), pipelines.JSONLOptions{})
	o.writeInputs(s, st.inputs)
	// The models come from the file given, read as the report's.
	in2.models = modelFile
	if r.sink != nil {
		r.sink.prospects(s, prospects)
		r.sink.deadLetters(s, "score", beam.Flatten(s, st.dead...))
		r.rep.Outputs = append(r.rep.Outputs, r.sink.outputs(bqio.Prospects, bqio.DeadLetters, bqio.Runs)...)
	}

	logStart(log, cfg).Int("seed_lists", len(lists)).Str("profiles", in.Dir).Str("models", modelFile).
		Str("output", cfg.RunOutput()).Msg("score starting")
	code, err := r.execute(ctx, p, runSpec{flags: flags, files: in2, report: "score_report.json", deliver: true, retire: true,
		check: func() ([]string, []string) {
			problems, warnings := checkInputs(cfg, &r.rep, dead, false)
			return append(problems, checkSeeds(cfg, &r.rep)...), warnings
		}})
	if err != nil {
		return code, err
	}
	log.Info().Str("took", r.rep.Took).Int64("persons", r.rep.Counters["read_persons"]).Int64("scored", r.rep.Counters["score_persons_in"]).
		Int64("prospects", r.rep.Counters["score_prospects"]).Msg("score done")
	r.rep.Print(stdout)
	return code, nil
}
