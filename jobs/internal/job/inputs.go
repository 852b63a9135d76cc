package job

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/features/synth"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// What a run reads, made sure of before any work: the pepper, the
// synthetic world when no input is configured, the seed lists, the files
// featurize handed on.

// DevelopmentPepper keys persons of a synthetic demo when no pepper is
// set. It is public, so it protects nothing: it is refused for real
// inputs.
const DevelopmentPepper = "sosie development pepper: synthetic data only"

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
