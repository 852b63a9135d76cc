package job

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/features/synth"
	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// Exit codes of every job.
const (
	ExitOK       = 0 // done
	ExitFailed   = 1 // the run failed (a worker error, too few matched seeds, an output not written)
	ExitBadInput = 2 // bad configuration or input, found before any work
	// ExitNotPredictive: done, outputs written, but a seed list's model is
	// not predictive (held-out AUC under 0.55): its prospects are close to
	// random, and a scheduler should not ship them unseen. Also when a
	// seed list's audience is under privacy.min_audience and withheld.
	ExitNotPredictive = 3
	// ExitInterrupted: stopped by SIGINT or SIGTERM before it published
	// anything (128 + the signal's number, as shells report it: 130 for
	// SIGINT, 143 for SIGTERM).
	ExitInterrupted = 130
)

// statuses name the exit codes in the summary line.
var statuses = map[int]string{ExitOK: "ok", ExitFailed: "failed", ExitBadInput: "bad_input", ExitNotPredictive: "not_predictive",
	ExitInterrupted: "interrupted", 128 + int(syscall.SIGTERM): "interrupted"}

// Summary is the last line a job prints on stdout, as JSON, for a
// scheduler: the status its exit code means, the run, and the report.
type Summary struct {
	Job           string   `json:"job"`
	Status        string   `json:"status"` // ok, failed, bad_input, not_predictive, withheld, interrupted
	ExitCode      int      `json:"exit_code"`
	RunID         string   `json:"run_id,omitempty"`
	Report        string   `json:"report,omitempty"`
	NotPredictive []string `json:"not_predictive,omitempty"` // seed lists
	Withheld      []string `json:"withheld,omitempty"`       // seed lists whose audience is under the minimum
	Error         string   `json:"error,omitempty"`
}

// DevelopmentPepper keys persons of a synthetic demo when no pepper is
// set. It is public, so it protects nothing: it is refused for real
// inputs.
const DevelopmentPepper = "sosie development pepper: synthetic data only"

// Flags are the flags every job takes; each overrides its config key.
type Flags struct {
	Config  *string
	Out     *string
	RunID   *string
	AsOf    *string
	Model   *string
	Persons *int
	// Advertiser makes the run one advertiser's (overrides advertiser).
	Advertiser *string
	// BigQueryEndpoint overrides sink.bigquery.endpoint.
	BigQueryEndpoint *string
	// Profiles and Models are jobs/train's and jobs/score's inputs; nil
	// or empty: in the output directory.
	Profiles *string
	Models   *string
	// summary is filled by the job for Main's summary line.
	summary Summary
	// PlainGo makes jobs/lookalike compute its prospects without Beam
	// (pipelines.Baseline), to measure what the pipeline costs.
	PlainGo *bool
}

// RegisterFlags defines the job's flags on the process's flag set, where
// beam.Init expects them, grouped for --help: the common ones, then
// jobs/train's and jobs/score's inputs and jobs/lookalike's --plain-go.
func RegisterFlags(name string) *Flags {
	const files, run, bq = "Inputs and outputs", "Run", "BigQuery"
	f := &Flags{
		Config:     flag.String(own(files, "config"), "", "YAML config (configs/local.yaml documents every key); none: defaults and a synthetic world"),
		Out:        flag.String(own(files, "out"), "", "output directory (overrides output)"),
		RunID:      flag.String(own(run, "run-id"), "", "run id (overrides run_id)"),
		AsOf:       flag.String(own(run, "as-of"), "", "YYYY-MM-DD end of the activity window (overrides as_of)"),
		Model:      flag.String(own(run, "model"), "", "model kind (overrides model.kind)"),
		Advertiser: flag.String(own(run, "advertiser"), "", "run only this advertiser's seed lists, in its namespace (overrides advertiser)"),
		Persons:    flag.Int(own(run, "persons"), 0, "persons in the synthetic world (overrides synthetic.persons)"),
	}
	// Flex Template parameters are identifiers: the dashed flags have
	// underscore aliases.
	flag.StringVar(f.RunID, own(run, "run_id"), "", "alias of --run-id")
	flag.StringVar(f.AsOf, own(run, "as_of"), "", "alias of --as-of")
	switch name {
	case "train", "score":
		f.Profiles = flag.String(own(files, "profiles"), "", "directory of jobs/featurize's persons.jsonl and identities.jsonl (default: the output directory)")
		if name == "score" {
			f.Models = flag.String(own(files, "models"), "", "jobs/train's models.jsonl (default: models.jsonl in the output directory)")
		}
	case "lookalike":
		f.PlainGo = flag.Bool(own(run, "plain-go"), false, "compute the prospects in one plain Go loop without Beam (pipelines.Baseline), to benchmark the pipeline against; holds everything in memory")
	}
	f.BigQueryEndpoint = flag.String(own(bq, "bigquery-endpoint"), "", "BigQuery endpoint without authentication, for an emulator (overrides sink.bigquery.endpoint)")
	setUsage(name, true)
	return f
}

// flagGiven says whether the command line sets the flag name.
func flagGiven(name string) bool {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// checkFlags refuses a flag given with an empty value, or --persons under
// 1: an explicit value is never taken for an absent one.
func (f *Flags) checkFlags() error {
	var bad []string
	for _, o := range []struct {
		names []string
		v     *string
	}{{[]string{"config"}, f.Config}, {[]string{"out"}, f.Out}, {[]string{"run-id", "run_id"}, f.RunID}, {[]string{"as-of", "as_of"}, f.AsOf},
		{[]string{"model"}, f.Model}, {[]string{"advertiser"}, f.Advertiser}, {[]string{"bigquery-endpoint"}, f.BigQueryEndpoint}} {
		for _, n := range o.names {
			if o.v != nil && *o.v == "" && flagGiven(n) {
				bad = append(bad, fmt.Sprintf("--%s: empty (leave the flag out to keep the config's value)", n))
			}
		}
	}
	if f.Persons != nil && (*f.Persons != 0 || flagGiven("persons")) && *f.Persons < 1 {
		bad = append(bad, fmt.Sprintf("--persons %d: want at least 1", *f.Persons))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w:\n  %s", configs.ErrInvalid, strings.Join(bad, "\n  "))
	}
	return nil
}

// Load reads the config (or the defaults), applies the flags and
// validates the result.
func (f *Flags) Load() (*configs.Config, error) {
	if err := f.checkFlags(); err != nil {
		return nil, err
	}
	cfg := configs.Default()
	if *f.Config != "" {
		// A config may be in Cloud Storage, as a Flex Template passes it.
		b, err := fileio.ReadFile(context.Background(), *f.Config)
		if err != nil {
			return nil, fmt.Errorf("configs: %w", err)
		}
		c, err := configs.Parse(b, *f.Config)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	if *f.AsOf != "" {
		if cfg.RunID == "lookalike-"+cfg.AsOf {
			cfg.RunID = "" // the default run id follows the date
		}
		cfg.AsOf = *f.AsOf
		cfg.Defaults()
	}
	for _, o := range []struct {
		flag string
		dst  *string
	}{{*f.Out, &cfg.Output}, {*f.RunID, &cfg.RunID}, {*f.Model, &cfg.Model.Kind}, {deref(f.Advertiser), &cfg.Advertiser}} {
		if o.flag != "" {
			*o.dst = o.flag
		}
	}
	if *f.Persons > 0 {
		cfg.Synthetic.Persons = *f.Persons
	}
	// An advertiser's runs are its own: their run ids, and so their rows
	// of runs and dead_letters, cannot be another advertiser's.
	if a := cfg.Advertiser; a != "" && !strings.HasSuffix(cfg.RunID, "@"+a) {
		cfg.RunID += "@" + a
	}
	if b := cfg.Sink.BigQuery; b != nil {
		if e := deref(f.BigQueryEndpoint); e != "" {
			b.Endpoint = e
		}
		if b.TempDir == "" {
			b.TempDir = configs.JoinPath(cfg.Output, "bigquery-temp")
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !fileio.Remote(cfg.RunOutput()) {
		if err := os.MkdirAll(cfg.RunOutput(), 0o750); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// NewLogger logs human-readable lines to a terminal and JSON otherwise,
// from the info level (debug with SOSIE_LOG=debug).
func NewLogger(w *os.File) zerolog.Logger {
	level := zerolog.InfoLevel
	if os.Getenv("SOSIE_LOG") == "debug" {
		level = zerolog.DebugLevel
	}
	if fi, err := w.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return zerolog.New(zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}).Level(level).With().Timestamp().Logger()
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

// PepperOf is where cfg says the identity pepper is.
func PepperOf(cfg *configs.Config) pipelines.Pepper {
	return pipelines.Pepper{Env: cfg.PepperEnv, File: cfg.PepperFile}
}

// ErrDevelopmentPepper says the public development pepper was given for
// real inputs.
var ErrDevelopmentPepper = errors.New("the public development pepper protects nothing: it is for synthetic data only")

// Pepper makes sure there is an identity pepper where cfg says, before
// any work: one of at least features.MinPepperBytes, not blank. Real
// inputs need one of their own; a synthetic run without one uses
// DevelopmentPepper, loudly. The pepper is never logged.
func Pepper(cfg *configs.Config, log zerolog.Logger, synthetic bool) error {
	err := PepperOf(cfg).Check()
	if err == nil && !synthetic {
		if fp, _ := PepperOf(cfg).Fingerprint(); fp == developmentFingerprint() {
			return fmt.Errorf("%w: set %s or pepper_file to a secret of your own", ErrDevelopmentPepper, cfg.PepperEnv)
		}
	}
	if err == nil || cfg.PepperFile != "" || !errors.Is(err, pipelines.ErrNoPepper) {
		return err // a named pepper file must be there, synthetic or not; a weak pepper is refused
	}
	if !synthetic {
		return fmt.Errorf("%w: export %s or set pepper_file to a secret file (never the pepper itself in a config file)", pipelines.ErrNoPepper, cfg.PepperEnv)
	}
	log.Warn().Str("env", cfg.PepperEnv).Msg("no identity pepper set: using the public development pepper, fit for synthetic data only")
	return os.Setenv(cfg.PepperEnv, DevelopmentPepper)
}

// developmentFingerprint is DevelopmentPepper's fingerprint.
func developmentFingerprint() string {
	k, _ := features.NewKeyer([]byte(DevelopmentPepper))
	return k.Fingerprint()
}

// WorldDir is where a demo run's synthetic world lives.
func WorldDir(cfg *configs.Config) string { return filepath.Join(cfg.Output, "world") }

// Synthetic points a config without apps at the synthetic world in
// WorldDir, writing it first when write is set (featurize, lookalike);
// train and score only read the one featurize wrote. It reports whether
// the config is a synthetic one.
func Synthetic(cfg *configs.Config, log zerolog.Logger, write bool) (bool, error) {
	if len(cfg.Apps) > 0 || (!write && len(cfg.SeedLists) > 0) {
		return false, nil // real inputs
	}
	if fileio.Remote(cfg.Output) {
		return true, fmt.Errorf("output %s: the synthetic world is made on local disk; configure apps (or give a local output) to write to %s", cfg.Output, cfg.Output)
	}
	dir := WorldDir(cfg)
	sc := synth.Config{Persons: cfg.Synthetic.Persons, Seed: cfg.Synthetic.Seed, WindowDays: cfg.WindowDays,
		SeedSize: cfg.Synthetic.SeedSize, CustomerRate: 0.1}
	// A small world has few customers: the seed list takes at most two
	// thirds of them, so some stay hidden for the lookalike to find.
	if most := int(float64(sc.Persons)*sc.CustomerRate) * 2 / 3; write && sc.SeedSize > most {
		log.Info().Int("seed_size", most).Int("persons", sc.Persons).Msg("synthetic seed list shrunk to two thirds of the world's customers")
		sc.SeedSize = max(1, most)
	}
	// About a third of synthetic seeds cannot be used: no consent to ads
	// personalization, or apps that may not be combined.
	if write && float64(sc.SeedSize)*0.65 < float64(cfg.MinSeeds) {
		log.Warn().Int("seed_size", sc.SeedSize).Int("min_seeds", cfg.MinSeeds).
			Msg("the synthetic seed list will likely match fewer than min_seeds usable persons: training will fail; use --persons 3000 or more")
	}
	sc.AsOf, _ = cfg.AsOfTime()
	if write {
		start := time.Now()
		st, err := synth.Generate(sc, dir)
		if err != nil {
			return true, err
		}
		log.Info().Int("persons", st.Persons).Int("seed_rows", st.SeedRows).Str("dir", dir).
			Str("took", time.Since(start).Round(time.Millisecond).String()).Msg("synthetic world written")
		sc = st.Config
	} else if _, err := os.Stat(filepath.Join(dir, synth.SeedListFile)); err != nil {
		return true, fmt.Errorf("no apps configured and no synthetic world in %s: run jobs/featurize first, or configure apps and seed lists", dir)
	}
	if sc.Format == "" {
		sc.Format = synth.JSONL
	}
	apps := sc.Apps
	if len(apps) == 0 {
		apps = features.DefaultApps
	}
	for _, app := range apps {
		cfg.Apps = append(cfg.Apps, configs.App{Name: app,
			Accounts: []string{filepath.Join(dir, synth.AccountsFile(app, sc.Format))},
			Events:   []string{filepath.Join(dir, synth.EventsFile(app, sc.Format))}})
	}
	if len(cfg.SeedLists) == 0 {
		cfg.SeedLists = []configs.SeedList{{ID: "synthetic", Advertiser: "demo", File: filepath.Join(dir, synth.SeedListFile), AudiencePercent: 5}}
	}
	return true, nil
}

// ErrNamespace says a seed list is outside its advertiser's namespace.
var ErrNamespace = configs.ErrNamespace

// SeedLists returns cfg's seed lists for MatchSeeds, each file checked.
// An advertiser's run (cfg.Advertiser) keeps only that advertiser's lists
// in cfg, and each must be in its namespace of the seed store; in any
// run, a list in the store must be in its own advertiser's namespace.
func SeedLists(cfg *configs.Config) ([]pipelines.SeedList, error) {
	if err := cfg.KeepAdvertiserLists(); err != nil {
		return nil, err
	}
	var lists []pipelines.SeedList
	for _, l := range cfg.SeedLists {
		format, _ := features.ParseSeedFormat(l.Format) // validated
		if l.Table != "" {
			lists = append(lists, pipelines.SeedList{ID: l.ID, Advertiser: l.Advertiser, Table: l.Table, Country: l.Country, Format: format})
			continue
		}
		if err := fileio.StatFile(context.Background(), l.File); err != nil {
			if l.File == cfg.StoredSeedList(l.Advertiser, l.ID) {
				return nil, fmt.Errorf("seed list %s: %w (submit it with jobs/seeds --advertiser %s --list %s)", l.ID, err, l.Advertiser, l.ID)
			}
			return nil, fmt.Errorf("seed list %s: %w", l.ID, err)
		}
		if err := pipelines.CheckFormats("seed list "+l.ID, []string{l.File}, pipelines.CSV, pipelines.TSV, pipelines.Text, pipelines.JSONL, pipelines.Parquet); err != nil {
			return nil, err
		}
		stored, err := cfg.InSeedStore(l)
		if err != nil {
			return nil, fmt.Errorf("seed list %s of advertiser %s: %w", l.ID, l.Advertiser, err)
		}
		if stored {
			format = features.SeedSHA256 // jobs/seeds stores hashes only
		}
		lists = append(lists, pipelines.SeedList{ID: l.ID, Advertiser: l.Advertiser, File: l.File, Country: l.Country, PhoneColumn: l.PhoneColumn, Format: format})
	}
	return lists, nil
}

// retireSeedLists deletes the stored seed lists a run matched, once its
// outputs are published (a run that fails keeps them, for its rerun):
// matching platforms delete the hashes once matched. It returns the files
// deleted.
func retireSeedLists(ctx context.Context, cfg *configs.Config, log zerolog.Logger) ([]string, error) {
	var gone []string
	for _, f := range cfg.SeedListsToDelete() {
		if err := fileio.RemoveFile(ctx, f); err != nil {
			return gone, fmt.Errorf("seed list %s: deleting the matched hashes: %w", f, err)
		}
		gone = append(gone, f)
	}
	if len(gone) > 0 {
		log.Info().Int("seed_lists", len(gone)).Msg("stored seed lists deleted after matching (privacy.keep_seed_lists: false)")
	}
	return gone, nil
}

// TrainOptions are cfg's options of Train (and, within ScoreOptions, of
// Score).
func TrainOptions(cfg *configs.Config) pipelines.TrainOptions {
	asOf, _ := cfg.AsOfTime()
	opt := pipelines.TrainOptions{RunID: cfg.RunID, Window: features.ActivityWindow{AsOf: asOf, Days: cfg.WindowDays},
		SampleSize: cfg.SampleSize, RunSeed: cfg.RunSeed, MinSeeds: cfg.MinSeeds, Model: model.Settings{Kind: model.Kind(cfg.Model.Kind)}}
	for _, l := range cfg.SeedLists {
		opt.Lists = append(opt.Lists, l.ID)
	}
	return opt
}

// ScoreOptions are cfg's options of Score.
func ScoreOptions(cfg *configs.Config, scoredAt time.Time) pipelines.ScoreOptions {
	opt := pipelines.ScoreOptions{Train: TrainOptions(cfg), AudiencePercent: map[string]int{}, Advertisers: map[string]string{},
		ScoredAt: scoredAt.UTC().Truncate(time.Second)}
	for _, l := range cfg.SeedLists {
		opt.AudiencePercent[l.ID], opt.Advertisers[l.ID] = l.AudiencePercent, l.Advertiser
	}
	return opt
}

// ProgressEvery is how often Run says the pipeline is still running.
var ProgressEvery = 10 * time.Second

// Metrics are a run's counters and distributions, each summed over the
// whole pipeline.
type Metrics struct {
	Counters      map[string]int64
	Distributions map[string]Distribution
}

// Distribution is a distribution metric's summary.
type Distribution struct {
	Count int64 `json:"count"`
	Min   int64 `json:"min"`
	Max   int64 `json:"max"`
}

// ErrInterrupted says a run was stopped by a signal.
var ErrInterrupted = errors.New("interrupted")

// Run runs the pipeline, logging a progress line every ProgressEvery, and
// returns the counters summed over the whole pipeline. A run whose context
// ends (SIGINT, SIGTERM) fails with ErrInterrupted.
func Run(ctx context.Context, log zerolog.Logger, p *beam.Pipeline) (Metrics, time.Duration, error) {
	start := time.Now()
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				log.Info().Str("elapsed", time.Since(start).Round(time.Second).String()).Msg("pipeline running")
			}
		}
	}()
	res, err := beamx.RunWithMetrics(ctx, p)
	took := time.Since(start)
	if ctx.Err() != nil {
		return Metrics{}, took, fmt.Errorf("%w after %s", ErrInterrupted, took.Round(time.Second))
	}
	if err != nil {
		log.Debug().Err(err).Msg("the runner's whole error")
		return Metrics{}, took, conciseError{err}
	}
	m := Metrics{Counters: map[string]int64{}, Distributions: map[string]Distribution{}}
	if res != nil {
		all := res.Metrics().AllMetrics()
		for _, c := range all.Counters() {
			m.Counters[c.Key.Name] += c.Result()
		}
		for _, d := range all.Distributions() {
			v := d.Result()
			if v.Count == 0 {
				continue
			}
			sum, ok := m.Distributions[d.Key.Name]
			if !ok || v.Min < sum.Min {
				sum.Min = v.Min
			}
			if !ok || v.Max > sum.Max {
				sum.Max = v.Max
			}
			sum.Count += v.Count
			m.Distributions[d.Key.Name] = sum
		}
	}
	return m, took, nil
}

// ErrNoOutput says an expected output was not written.
var ErrNoOutput = errors.New("no output written")

// Profiles are the files jobs/featurize wrote, as train and score read
// them.
type Profiles struct {
	Dir        string
	Persons    []string
	Identities []string
}

// ProfileFiles finds featurize's outputs in dir (cfg.Output when empty),
// or says which is missing and how to make it.
func ProfileFiles(cfg *configs.Config, dir string) (Profiles, error) {
	if dir == "" {
		dir = cfg.Output
	}
	pr := Profiles{Dir: dir}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{{pipelines.PersonsFile, &pr.Persons}, {pipelines.IdentitiesFile, &pr.Identities}} {
		files, err := pipelines.ExpandFiles(configs.JoinPath(dir, f.name))
		if err != nil {
			return pr, fmt.Errorf("profiles: %w (run jobs/featurize first, or give --profiles)", err)
		}
		*f.dst = files
	}
	return pr, nil
}

// profilesFor finds featurize's outputs for train and score (in
// flags.Profiles, else cfg.Output) and refuses, before any work, files of
// another kind or pepper; models (score), when given, must exist and is
// checked with them.
func profilesFor(ctx context.Context, cfg *configs.Config, flags *Flags, models string) (Profiles, error) {
	in, err := ProfileFiles(cfg, deref(flags.Profiles))
	if err != nil {
		return in, err
	}
	if models != "" {
		if err := fileio.StatFile(ctx, models); err != nil {
			return in, fmt.Errorf("models: %w (run jobs/train first, or give --models)", err)
		}
	}
	fp, err := PepperOf(cfg).Fingerprint()
	if err != nil {
		return in, err
	}
	files := map[string][]string{pipelines.PersonsKind: in.Persons, pipelines.IdentitiesKind: in.Identities}
	if models != "" {
		files[pipelines.ModelsKind] = []string{models}
	}
	return in, checkHandoff(ctx, fp, files)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// prepare loads the config, points it at the synthetic world when it has
// no inputs (writing the world first when writeWorld is set), makes sure
// of the pepper and, when lists is set, checks the seed lists.
func prepare(flags *Flags, log zerolog.Logger, writeWorld, lists bool) (*configs.Config, []pipelines.SeedList, error) {
	cfg, err := flags.Load()
	if err != nil {
		return nil, nil, err
	}
	if len(cfg.Apps) > 0 && PepperOf(cfg).Check() != nil {
		// Before any work, even the synthetic world's.
		return nil, nil, Pepper(cfg, log, false)
	}
	synthetic, err := Synthetic(cfg, log, writeWorld)
	if err != nil {
		return nil, nil, err
	}
	if err := Pepper(cfg, log, synthetic); err != nil {
		return nil, nil, err
	}
	if !lists {
		return cfg, nil, nil
	}
	sl, err := SeedLists(cfg)
	return cfg, sl, err
}

// RunFunc is one job: RunLookalike, RunFeaturize, RunTrain or RunScore.
type RunFunc func(ctx context.Context, log zerolog.Logger, stdout io.Writer, flags *Flags) (int, error)

// Main is a job binary's main: it parses the flags, calls beam.Init (a
// worker re-entering the binary stays there and never returns), runs the
// job and exits with its code, logging the error that made it.
func Main(name string, flags *Flags, run RunFunc) {
	flag.Parse()
	if *helpBeam {
		usageBeam(os.Stdout, name, flag.CommandLine)
		return
	}
	beam.Init()
	log := NewLogger(os.Stderr)
	code, err := runInterruptibly(log, func(ctx context.Context) (int, error) { return run(ctx, log, os.Stdout, flags) })
	exit(log, name, flags.summary, code, err)
}

// SeedsMain is jobs/seeds' main: it builds no pipeline, so it needs no
// beam.Init.
func SeedsMain(flags *SeedsFlags) {
	flag.Parse()
	log := NewLogger(os.Stderr)
	code, err := runInterruptibly(log, func(ctx context.Context) (int, error) { return RunSeeds(ctx, log, os.Stdout, flags) })
	exit(log, "seeds", Summary{}, code, err)
}

// InterruptGrace is how long a job stopped by a signal has to wind down
// (the runner to stop, a publication under way to finish) before it
// exits regardless.
var InterruptGrace = 10 * time.Second

// runInterruptibly runs a job with a context that SIGINT and SIGTERM end.
// A job that stops for it exits with ExitInterrupted (143 for SIGTERM);
// one that ends otherwise within InterruptGrace (done, or published)
// exits with its own code. A second signal kills the process.
func runInterruptibly(log zerolog.Logger, run func(context.Context) (int, error)) (int, error) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := run(ctx)
		done <- result{code, err}
	}()
	select {
	case r := <-done:
		return r.code, r.err
	case sig := <-sigs:
		signal.Stop(sigs) // a second signal kills
		code := ExitInterrupted
		if sig == syscall.SIGTERM {
			code = 128 + int(syscall.SIGTERM)
		}
		log.Warn().Str("signal", sig.String()).Msg("interrupted: stopping; nothing of this run is published, the previous outputs stay as they were")
		cancel()
		select {
		case r := <-done:
			if r.err == nil || r.code == ExitNotPredictive {
				return r.code, r.err // it finished and published before it could stop
			}
		case <-time.After(InterruptGrace):
		}
		return code, fmt.Errorf("%w by %s", ErrInterrupted, sig)
	}
}

// exit logs the error that ended a job, prints its summary line and exits
// with its code.
func exit(log zerolog.Logger, name string, sum Summary, code int, err error) {
	if err != nil {
		log.Error().Err(err).Msg(name + " failed")
	}
	sum.Job, sum.ExitCode, sum.Status = name, code, statuses[code]
	if code == ExitNotPredictive && len(sum.NotPredictive) == 0 {
		sum.Status = "withheld"
	}
	if err != nil {
		sum.Error = err.Error()
	}
	b, _ := json.Marshal(sum)
	fmt.Fprintf(os.Stdout, "%s\n", b)
	os.Exit(code)
}

// conciseError is a pipeline failure told by its root cause: a runner
// wraps a DoFn's error in the whole bundle's plan, which buries the one
// line that says what went wrong. Unwrap gives the runner's error.
type conciseError struct{ err error }

func (e conciseError) Unwrap() error { return e.err }

func (e conciseError) Error() string {
	lines := strings.Split(strings.TrimSpace(e.err.Error()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l != "" && !strings.HasPrefix(l, "caused by") {
			return "the pipeline failed: " + l
		}
	}
	return e.err.Error()
}

// finish records the run in the summary and returns ExitNotPredictive
// when a seed list's model is not predictive or its audience withheld,
// else ExitOK.
func finish(flags *Flags, rep *Report, path string) int {
	flags.summary.RunID, flags.summary.Report = rep.RunID, path
	flags.summary.NotPredictive = append(flags.summary.NotPredictive, rep.NotPredictive()...)
	for _, a := range rep.Audiences {
		if !a.Delivered {
			flags.summary.Withheld = append(flags.summary.Withheld, a.List)
		}
	}
	if len(flags.summary.NotPredictive) > 0 || len(flags.summary.Withheld) > 0 {
		return ExitNotPredictive
	}
	return ExitOK
}
