// Command synth writes a synthetic social world: per app an accounts and an
// events file, an advertiser's seed list, the ground truth of the hidden
// customer segment, and a manifest (world.json).
//
//	go run ./jobs/synth --persons 100000 --out /tmp/world
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/features/synth"
)

func main() {
	var (
		cfg     synth.Config
		out     = flag.String("out", "", "output directory (required; created if absent)")
		asOf    = flag.String("as-of", "2026-11-01", "end of the activity window (YYYY-MM-DD or RFC 3339)")
		apps    = flag.String("apps", "", "comma-separated app names (default facebook,instagram,whatsapp,messenger)")
		seedFmt = flag.String("seed-format", "plain", "seed list phones: plain, sha256_e164, sha256_digits or mixed")
		format  = flag.String("format", "jsonl", "accounts and events files: jsonl or csv")
	)
	flag.IntVar(&cfg.Persons, "persons", 10000, "persons in the world (1 to 50,000,000)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "random seed: the same seed writes the same world")
	flag.IntVar(&cfg.WindowDays, "window-days", 90, "activity window in days")
	flag.Float64Var(&cfg.CustomerRate, "customer-rate", 0.05, "share of persons in the hidden customer segment")
	flag.IntVar(&cfg.SeedSize, "seed-size", 0, "expected customers in the seed list (default: 1,000, or a third of the customers if fewer)")
	flag.Float64Var(&cfg.EventsMean, "events-mean", 12, "mean events per account in the window")
	flag.Parse()

	fi, _ := os.Stderr.Stat()
	tty := fi != nil && fi.Mode()&os.ModeCharDevice != 0
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.TimeOnly, NoColor: !tty}).With().Timestamp().Logger()
	if *out == "" {
		log.Error().Msg("--out is required: the directory to write the world into")
		os.Exit(2)
	}
	t, err := time.Parse("2006-01-02", *asOf)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, *asOf); err != nil {
			log.Error().Str("as_of", *asOf).Msg("--as-of is neither YYYY-MM-DD nor RFC 3339")
			os.Exit(2)
		}
	}
	cfg.AsOf = t.UTC()
	if *apps != "" {
		cfg.Apps = strings.Split(*apps, ",")
	}
	cfg.SeedFormat = synth.SeedFormat(*seedFmt)
	cfg.Format = synth.FileFormat(*format)
	cfg.Progress = func(done int) {
		log.Info().Int("persons", done).Int("of", cfg.Persons).Msg("generating")
	}

	start := time.Now()
	st, err := synth.Generate(cfg, *out)
	if err != nil {
		log.Error().Err(err).Msg("generation failed")
		os.Exit(1)
	}
	accounts, events := 0, 0
	for _, n := range st.Accounts {
		accounts += n
	}
	for _, n := range st.Events {
		events += n
	}
	log.Info().Int("persons", st.Persons).Int("accounts", accounts).Int("events", events).
		Int("customers", st.Customers).Int("seed_rows", st.SeedRows).Int("hidden_customers", st.HiddenCustomers).
		Str("took", time.Since(start).Round(time.Millisecond).String()).Msg("world written")
	abs, _ := filepath.Abs(*out)
	fmt.Printf("wrote a world of %d persons to %s:\n", st.Persons, abs)
	for _, f := range st.Files {
		fmt.Printf("  %s\n", filepath.Join(abs, f))
	}
	fmt.Printf("  %s (what was written, with counts)\n", filepath.Join(abs, synth.ManifestFile))
}
