package job

import (
	"context"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/bqio"
)

// RunFeaturize runs jobs/featurize: apps → persons and identities, each
// file stamped with the pepper's fingerprint for train and score.
func RunFeaturize(ctx context.Context, log zerolog.Logger, stdout io.Writer, flags *Flags) (int, error) {
	cfg, _, err := prepare(flags, log, true, false)
	if err != nil {
		return ExitBadInput, err
	}
	r, code, err := newJobRun(ctx, log, "featurize", cfg, cfg.Output, bqio.DeadLetters, bqio.Runs)
	if err != nil {
		return code, err
	}
	o := r.out
	opt := graphOptions(cfg, nil, time.Now())
	opt.Out.Persons = o.file("persons", pipelines.PersonsFile)
	opt.Out.Identities = o.file("identities", pipelines.IdentitiesFile)
	opt.Out.DeadLetters = o.file("dead letters", "featurize_dead_letters.jsonl")
	opt.Out.Inputs = o.scratch(inputsFile)
	p, err := r.build(ctx, pipelines.FeaturizeGraph, opt)
	if err != nil {
		return ExitBadInput, err
	}

	logStart(log, cfg).Int("apps", len(cfg.Apps)).Str("output", cfg.Output).Msg("featurize starting")
	code, err = r.execute(ctx, p, runSpec{flags: flags, files: reportFiles{inputs: opt.Out.Inputs, dead: opt.Out.DeadLetters}, report: "featurize_report.json",
		check: func() ([]string, []string) {
			problems, warnings := checkInputs(cfg, &r.rep, true)
			if len(problems) == 0 && r.rep.Counters["join_persons"] == 0 {
				problems = append(problems, "no person joined: every account was rejected")
			}
			return problems, warnings
		}})
	if err != nil {
		return code, err
	}
	c := r.rep.Counters
	log.Info().Str("took", r.rep.Took).Int64("rows", c["read_rows"]).Int64("rows_rejected", c["read_rows_rejected"]).
		Int64("profiles", c["featurize_profiles"]).Int64("persons", c["join_persons"]).Msg("featurize done")
	r.rep.Print(stdout)
	return code, nil
}
