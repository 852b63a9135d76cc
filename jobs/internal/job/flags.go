package job

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

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

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
