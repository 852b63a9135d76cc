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
// default runner is prism, in process.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/features/synth"
	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/pipelines"
)

// developmentPepper keys persons of the synthetic demo when no pepper is
// set. It is public, so it protects nothing: it is refused for real inputs.
const developmentPepper = "sosie development pepper: synthetic data only"

var (
	configPath = flag.String("config", "", "YAML config (configs/local.yaml documents every key); none: defaults and a synthetic world")
	outDir     = flag.String("out", "", "output directory (overrides the config's output)")
	persons    = flag.Int("persons", 0, "persons in the synthetic world (overrides synthetic.persons)")
)

func main() {
	flag.Parse()
	beam.Init() // a worker re-enters this binary here and never returns
	log := newLogger(os.Stderr)
	code, err := run(context.Background(), log, os.Stdout)
	if err != nil {
		log.Error().Err(err).Msg("lookalike failed")
	}
	os.Exit(code)
}

func newLogger(w *os.File) zerolog.Logger {
	if fi, err := w.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return zerolog.New(zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}).With().Timestamp().Logger()
	}
	return zerolog.New(w).With().Timestamp().Logger()
}

// run returns the exit code: 0 done, 1 the run failed, 2 bad configuration
// or input.
func run(ctx context.Context, log zerolog.Logger, stdout io.Writer) (int, error) {
	cfg := configs.Default()
	if *configPath != "" {
		c, err := configs.Load(*configPath)
		if err != nil {
			return 2, err
		}
		cfg = c
	}
	if *outDir != "" {
		cfg.Output = *outDir
	}
	if *persons != 0 {
		cfg.Synthetic.Persons = *persons
	}
	if err := cfg.Validate(); err != nil {
		return 2, err
	}
	asOf, _ := cfg.AsOfTime()
	if err := os.MkdirAll(cfg.Output, 0o755); err != nil {
		return 2, err
	}

	if os.Getenv(cfg.PepperEnv) == "" {
		if len(cfg.Apps) > 0 {
			return 2, fmt.Errorf("the identity pepper is not set: export %s (a secret, never in a config file)", cfg.PepperEnv)
		}
		log.Warn().Str("env", cfg.PepperEnv).Msg("no identity pepper set: using the public development pepper, fit for synthetic data only")
		os.Setenv(cfg.PepperEnv, developmentPepper)
	}

	if len(cfg.Apps) == 0 {
		dir := filepath.Join(cfg.Output, "world")
		start := time.Now()
		st, err := synth.Generate(synth.Config{Persons: cfg.Synthetic.Persons, Seed: cfg.Synthetic.Seed, AsOf: asOf,
			WindowDays: cfg.WindowDays, SeedSize: cfg.Synthetic.SeedSize, CustomerRate: 0.08}, dir)
		if err != nil {
			return 2, err
		}
		log.Info().Int("persons", st.Persons).Int("seed_rows", st.SeedRows).Str("dir", dir).
			Str("took", time.Since(start).Round(time.Millisecond).String()).Msg("synthetic world written")
		for _, app := range st.Config.Apps {
			cfg.Apps = append(cfg.Apps, configs.App{Name: app,
				Accounts: []string{filepath.Join(dir, synth.AccountsFile(app, st.Config.Format))},
				Events:   []string{filepath.Join(dir, synth.EventsFile(app, st.Config.Format))}})
		}
		cfg.SeedLists = []configs.SeedList{{ID: "synthetic", Advertiser: "demo", File: filepath.Join(dir, synth.SeedListFile), AudiencePercent: 5}}
	}

	p, s := beam.NewPipelineWithRoot()
	window := features.ActivityWindow{AsOf: asOf, Days: cfg.WindowDays}
	var profiles, identities, dead []beam.PCollection
	for _, app := range cfg.Apps {
		accounts, err := pipelines.ExpandFiles(app.Accounts...)
		if err != nil {
			return 2, fmt.Errorf("app %s accounts: %w", app.Name, err)
		}
		events, err := pipelines.ExpandFiles(app.Events...)
		if err != nil {
			return 2, fmt.Errorf("app %s events: %w", app.Name, err)
		}
		a, ad := pipelines.ReadAccounts(s, app.Name, accounts, app.AccountColumns)
		e, ed := pipelines.ReadEvents(s, app.Name, events, app.EventColumns)
		pr, id, fd := pipelines.Featurize(s, pipelines.FeaturizeOptions{App: app.Name, DefaultRegion: cfg.DefaultRegion,
			MobileOnly: cfg.MobileOnly, MaxPerPhone: cfg.MaxAccountsPerPhone, Window: window, PepperEnv: cfg.PepperEnv}, a, e)
		profiles, identities, dead = append(profiles, pr), append(identities, id), append(dead, ad, ed, fd)
	}
	var lists []pipelines.SeedList
	var listIDs []string
	pct, adv := map[string]int{}, map[string]string{}
	for _, l := range cfg.SeedLists {
		if _, err := os.Stat(l.File); err != nil {
			return 2, fmt.Errorf("seed list %s: %w", l.ID, err)
		}
		lists = append(lists, pipelines.SeedList{ID: l.ID, Advertiser: l.Advertiser, File: l.File, Country: l.Country})
		listIDs = append(listIDs, l.ID)
		pct[l.ID], adv[l.ID] = l.AudiencePercent, l.Advertiser
	}
	personsCol := pipelines.JoinByPhone(s, profiles...)
	matched, reports, md := pipelines.MatchSeeds(s, lists, cfg.PepperEnv, personsCol, beam.Flatten(s, identities...))
	dead = append(dead, md)
	train := pipelines.TrainOptions{RunID: cfg.RunID, Lists: listIDs, Window: window, SampleSize: cfg.SampleSize,
		RunSeed: cfg.RunSeed, MinSeeds: cfg.MinSeeds, Model: model.Settings{Kind: model.Kind(cfg.Model.Kind)}}
	models := pipelines.Train(s, train, personsCol, matched)
	prospects := pipelines.Score(s, pipelines.ScoreOptions{Train: train, AudiencePercent: pct, Advertisers: adv, ScoredAt: time.Now().UTC().Truncate(time.Second)},
		personsCol, models, matched)

	out := outputs{
		Prospects:   filepath.Join(cfg.Output, "prospects.jsonl"),
		SeedMatch:   filepath.Join(cfg.Output, "seed_match.jsonl"),
		Models:      filepath.Join(cfg.Output, "models.jsonl"),
		DeadLetters: filepath.Join(cfg.Output, "dead_letters.jsonl"),
		Report:      filepath.Join(cfg.Output, "report.json"),
	}
	pipelines.WriteJSONL(s, out.Prospects, prospects)
	pipelines.WriteJSONL(s, out.SeedMatch, reports)
	pipelines.WriteJSONL(s, out.Models, models)
	pipelines.WriteJSONL(s, out.DeadLetters, beam.Flatten(s, dead...))

	log.Info().Str("run_id", cfg.RunID).Str("as_of", cfg.AsOf).Int("apps", len(cfg.Apps)).Int("seed_lists", len(lists)).
		Str("model", cfg.Model.Kind).Str("output", cfg.Output).Msg("pipeline starting")
	start := time.Now()
	res, err := beamx.RunWithMetrics(ctx, p)
	if err != nil {
		return 1, err
	}
	took := time.Since(start)

	rep := report{RunID: cfg.RunID, AsOf: cfg.AsOf, Took: took.Round(time.Millisecond).String(), Outputs: out, Counters: map[string]int64{}}
	if res != nil {
		for _, c := range res.Metrics().AllMetrics().Counters() {
			rep.Counters[c.Key.Name] += c.Result()
		}
	}
	if err := readLines(out.SeedMatch, func(b []byte) error {
		var m pipelines.MatchReport
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		rep.SeedMatch = append(rep.SeedMatch, m)
		return nil
	}); err != nil {
		return 1, err
	}
	rep.Tiers = map[string]map[int]int{}
	if err := readLines(out.Prospects, func(b []byte) error {
		var pr pipelines.Prospect
		if err := json.Unmarshal(b, &pr); err != nil {
			return err
		}
		if rep.Tiers[pr.List] == nil {
			rep.Tiers[pr.List] = map[int]int{}
		}
		rep.Tiers[pr.List][pr.Tier]++
		return nil
	}); err != nil {
		return 1, err
	}
	if err := readLines(out.Models, func(b []byte) error {
		var tm pipelines.TrainedModel
		if err := json.Unmarshal(b, &tm); err != nil {
			return err
		}
		var a model.Artifact
		if err := json.Unmarshal(tm.Artifact, &a); err != nil {
			return err
		}
		rep.Models = append(rep.Models, modelSummary{List: tm.List, Kind: string(a.Kind), Quality: a.Report})
		return nil
	}); err != nil {
		return 1, err
	}
	sort.Slice(rep.SeedMatch, func(i, j int) bool { return rep.SeedMatch[i].List < rep.SeedMatch[j].List })
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(out.Report, append(b, '\n'), 0o644); err != nil {
		return 1, err
	}

	ev := log.Info().Str("took", rep.Took)
	for _, k := range []string{"featurize_accounts_in", "featurize_profiles", "join_persons", "seed_matched", "score_persons_scored", "score_prospects"} {
		ev = ev.Int64(k, rep.Counters[k])
	}
	ev.Msg("pipeline done")
	for _, m := range rep.Models {
		if m.Quality != nil && !m.Quality.Predictive {
			log.Warn().Str("seed_list", m.List).Msg(m.Quality.Verdict)
		}
	}
	fmt.Fprintf(stdout, "run %s done in %s\n", cfg.RunID, rep.Took)
	for _, m := range rep.SeedMatch {
		fmt.Fprintf(stdout, "  seed list %s: %d rows, %d matched (match rate %.0f%%)\n", m.List, m.Rows, m.Matched, 100*m.MatchRate)
	}
	for _, m := range rep.Models {
		if m.Quality != nil {
			fmt.Fprintf(stdout, "  model for %s: %s — %s\n", m.List, m.Kind, m.Quality.Verdict)
		}
	}
	fmt.Fprintf(stdout, "prospects:    %s\nseed match:   %s\nmodels:       %s\ndead letters: %s\nreport:       %s\n",
		out.Prospects, out.SeedMatch, out.Models, out.DeadLetters, out.Report)
	return 0, nil
}

type outputs struct {
	Prospects   string `json:"prospects"`
	SeedMatch   string `json:"seed_match"`
	Models      string `json:"models"`
	DeadLetters string `json:"dead_letters"`
	Report      string `json:"report"`
}

type modelSummary struct {
	List    string        `json:"seed_list"`
	Kind    string        `json:"kind"`
	Quality *model.Report `json:"quality"`
}

// report is the run report: counts of every stage (the pipeline's
// counters), each seed list's match report, model and audience size by
// tier, and where every output went.
type report struct {
	RunID     string                  `json:"run_id"`
	AsOf      string                  `json:"as_of"`
	Took      string                  `json:"took"`
	Counters  map[string]int64        `json:"counters"`
	SeedMatch []pipelines.MatchReport `json:"seed_match"`
	Models    []modelSummary          `json:"models"`
	Tiers     map[string]map[int]int  `json:"audience_by_tier"` // seed list → tier → persons
	Outputs   outputs                 `json:"outputs"`
}

func readLines(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // an empty output is not written
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return sc.Err()
}
