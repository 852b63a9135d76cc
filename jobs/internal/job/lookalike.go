package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
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
		return plainGo(ctx, log, stdout, cfg, lists)
	}
	r, code, err := newJobRun(ctx, log, "lookalike", cfg, cfg.RunOutput(), bqio.Tables...)
	if err != nil {
		return code, err
	}
	o := r.out
	opt := graphOptions(cfg, lists, time.Now())
	for _, f := range append([]string{"jsonl"}, cfg.ProspectFormats...) {
		opt.Out.Prospects = append(opt.Out.Prospects, o.file("prospects", "prospects."+f))
	}
	opt.Out.SeedMatch = o.file("seed match", "seed_match.jsonl")
	opt.Out.Audiences = o.file("audiences", "audiences.jsonl")
	opt.Out.Distributions = o.scratch("score_distributions.jsonl")
	opt.Out.Models = o.file("models", pipelines.ModelsFile)
	opt.Out.DeadLetters = o.file("dead letters", "dead_letters.jsonl")
	opt.Out.Inputs = o.scratch(inputsFile)
	p, err := r.build(ctx, pipelines.LookalikeGraph, opt)
	if err != nil {
		return ExitBadInput, err
	}
	in := reportFiles{seedMatch: opt.Out.SeedMatch, audiences: opt.Out.Audiences, distributions: opt.Out.Distributions, dead: opt.Out.DeadLetters, models: opt.Out.Models,
		prospects: opt.Out.Prospects[0], inputs: opt.Out.Inputs}

	logStart(log, cfg).Int("apps", len(cfg.Apps)).Int("seed_lists", len(lists)).Str("model", cfg.Model.Kind).
		Str("output", cfg.RunOutput()).Msg("pipeline starting")
	code, err = r.execute(ctx, p, runSpec{flags: flags, files: in, report: "report.json", deliver: true, retire: true,
		check: func() ([]string, []string) {
			problems, warnings := checkInputs(cfg, &r.rep, true)
			return append(problems, checkSeeds(cfg, &r.rep)...), append(warnings, checkCountries(cfg, &r.rep)...)
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

// logStart begins a job's start line with what decides its outcome: the
// run, the activity window and the privacy settings (never the pepper).
func logStart(log zerolog.Logger, cfg *configs.Config) *zerolog.Event {
	return log.Info().Str("run_id", cfg.RunID).Str("as_of", cfg.AsOf).Int("window_days", cfg.WindowDays).
		Int("min_seeds", cfg.MinSeeds).Int("floor", cfg.Privacy.Floor).Int("min_audience", cfg.Privacy.MinAudience).
		Float64("noise_scale", cfg.Privacy.NoiseScale).Strs("privacy_rules", privacyRules(cfg)).Strs("inputs", inputsOf(cfg)).
		Strs("seed_lists_audience", audienceRules(cfg))
}

// audienceRules says how each seed list's audience is drawn: its share,
// its target countries and the lists it excludes.
func audienceRules(cfg *configs.Config) []string {
	var out []string
	for _, l := range cfg.SeedLists {
		r := fmt.Sprintf("%s: top %d %%", l.ID, l.AudiencePercent)
		if len(l.Countries) > 0 {
			r += " of each of " + strings.Join(l.Countries, ", ")
		}
		if len(l.Exclude) > 0 {
			r += ", excluding the persons of " + strings.Join(l.Exclude, ", ")
		}
		out = append(out, r)
	}
	return out
}

// privacyRules says the privacy rules in force, one per app and block,
// and the opt-out lists.
func privacyRules(cfg *configs.Config) []string {
	var out []string
	for _, app := range cfg.Apps {
		p := cfg.Privacy.Apps[app.Name]
		require := "ads_personalization"
		if p.Require != nil {
			var flags []string
			for _, c := range p.Require {
				flags = append(flags, string(c))
			}
			require = strings.Join(flags, "+")
			if require == "" {
				require = "nothing"
			}
		}
		cross := string(p.CrossApp)
		if cross == "" {
			cross = "consent"
		}
		out = append(out, fmt.Sprintf("%s: requires %s, combined with other apps: %s", app.Name, require, cross))
	}
	for _, b := range cfg.Privacy.Blocks {
		out = append(out, fmt.Sprintf("%s in %s: %s", b.App, b.Country, b.Action))
	}
	for _, o := range cfg.OptOut {
		out = append(out, "opt-out list "+o)
	}
	return out
}

// inputsOf names where each app is read from, and the seed lists.
func inputsOf(cfg *configs.Config) []string {
	var out []string
	for _, app := range cfg.Apps {
		accounts, events := strings.Join(app.Accounts, ","), strings.Join(app.Events, ",")
		if app.AccountsTable != "" {
			accounts = "table " + app.AccountsTable
		}
		if app.EventsTable != "" {
			events = "table " + app.EventsTable
		}
		out = append(out, fmt.Sprintf("%s: accounts %s, events %s", app.Name, accounts, events))
	}
	for _, l := range cfg.SeedLists {
		src := l.File
		if l.Table != "" {
			src = "table " + l.Table
		}
		if src == "" {
			src = "the seed store"
		}
		out = append(out, fmt.Sprintf("seed list %s/%s: %s", l.Advertiser, l.ID, src))
	}
	return out
}

// plainGo computes the lookalike job's prospects with pipelines.Baseline
// from the same options as the graph, in plain Go loops: the yardstick of
// the pipeline's cost.
func plainGo(ctx context.Context, log zerolog.Logger, stdout io.Writer, cfg *configs.Config, lists []pipelines.SeedList) (int, error) {
	opt := graphOptions(cfg, lists, time.Now())
	path := configs.JoinPath(cfg.RunOutput(), "prospects.plain.jsonl")
	opt.Out.Prospects = []string{path}
	log.Info().Int("apps", len(cfg.Apps)).Msg("plain Go run starting (no Beam)")
	start := time.Now()
	res, err := pipelines.Baseline(ctx, opt)
	if err != nil {
		if errors.Is(err, pipelines.ErrNoFiles) || errors.Is(err, pipelines.ErrFormat) {
			return ExitBadInput, err
		}
		return ExitFailed, err
	}
	took := time.Since(start).Round(time.Millisecond)
	log.Info().Str("took", took.String()).Int("persons", res.Persons).Int("seed_matched", res.Matched).
		Int("prospects", res.Prospects).Int("dead_letters", res.DeadLetters).Msg("plain Go run done")
	fmt.Fprintf(stdout, "plain Go run done in %s: %d persons, %d seeds matched, %d prospects\nprospects: %s\n", took, res.Persons, res.Matched, res.Prospects, path)
	return ExitOK, nil
}
