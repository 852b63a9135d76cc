package job

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features/synth"
)

// BenchmarkLookalike runs the whole flow on prism and the same computation
// in one plain Go loop (--plain-go, pipelines.Baseline) over one synthetic
// world; the ratio of the two is Beam's and the runner's cost. The world
// has SOSIE_BENCH_PERSONS persons (default 5,000, so CI stays quick; the
// README's figures are at 100,000):
//
//	SOSIE_BENCH_PERSONS=100000 go test -run '^$' -bench Lookalike -benchtime 1x ./jobs/internal/job/
func BenchmarkLookalike(b *testing.B) {
	persons := 5000
	if v, err := strconv.Atoi(os.Getenv("SOSIE_BENCH_PERSONS")); err == nil && v > 0 {
		persons = v
	}
	dir := b.TempDir()
	// Write the world once, outside the timings, and a config that reads
	// it, so each run only computes.
	cfg, err := Synthetic(mustDefault(b, dir, persons), zerolog.Nop(), true)
	if err != nil || !cfg {
		b.Fatal(err)
	}
	config := worldConfig(b, dir)
	b.Setenv("SOSIE_PEPPER", "a benchmark pepper, thirty-two bytes or more")
	for _, mode := range []struct {
		name  string
		plain bool
	}{{"pipeline", false}, {"plain_go", true}} {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				f := testFlags(b.TempDir(), 0)
				*f.Config = config
				plain := mode.plain
				f.PlainGo = &plain
				if code, err := RunLookalike(context.Background(), zerolog.Nop(), io.Discard, f); code != ExitOK {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(persons)*float64(b.N)/b.Elapsed().Seconds(), "persons/s")
		})
	}
}

func mustDefault(b *testing.B, dir string, persons int) *configs.Config {
	cfg := configs.Default()
	cfg.Output, cfg.Synthetic.Persons = dir, persons
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	return cfg
}

// worldConfig writes a config that reads the synthetic world in dir as
// real inputs.
func worldConfig(b *testing.B, dir string) string {
	cfg := mustDefault(b, dir, 1)
	if _, err := Synthetic(cfg, zerolog.Nop(), false); err != nil {
		b.Fatal(err)
	}
	cfg.SeedLists[0].File = filepath.Join(WorldDir(cfg), synth.SeedListFile)
	var y strings.Builder
	y.WriteString("apps:\n")
	for _, a := range cfg.Apps {
		fmt.Fprintf(&y, "  - name: %s\n    accounts: [%q]\n    events: [%q]\n", a.Name, a.Accounts[0], a.Events[0])
	}
	l := cfg.SeedLists[0]
	fmt.Fprintf(&y, "seed_lists:\n  - id: %s\n    advertiser: %s\n    file: %q\n", l.ID, l.Advertiser, l.File)
	path := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(path, []byte(y.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}
