package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/model"
)

// Config is one run of the lookalike flow.
type Config struct {
	RunID      string `yaml:"run_id"`      // default: lookalike-<as_of>
	AsOf       string `yaml:"as_of"`       // YYYY-MM-DD: the end of the activity window; default 2026-11-01
	WindowDays int    `yaml:"window_days"` // default 90
	Output     string `yaml:"output"`      // output directory; default sosie-out
	// ProspectFormats are the formats prospects are written in besides
	// JSONL (always written): csv, parquet; default both.
	ProspectFormats []string `yaml:"prospect_formats"`
	PepperEnv       string   `yaml:"pepper_env"` // environment variable of the identity pepper; default SOSIE_PEPPER
	// PepperFile is a file holding the identity pepper (a mounted secret,
	// or a gs:// object only the workers may read); it wins over PepperEnv.
	PepperFile string `yaml:"pepper_file"`

	// Apps are the social apps' inputs. With none, the job makes a
	// synthetic world (Synthetic) and reads that.
	Apps      []App     `yaml:"apps"`
	Synthetic Synthetic `yaml:"synthetic"`

	SeedLists []SeedList `yaml:"seed_lists"`
	// SeedStore is the directory of the seed lists jobs/seeds stored, one
	// namespace per advertiser: <seed_store>/<advertiser>/<list>/. A
	// seed list with neither file nor table is read from there. Default
	// sosie-seeds.
	SeedStore string `yaml:"seed_store"`
	// Advertiser, when set, makes the run one advertiser's: only its seed
	// lists run, each must be in its namespace of the seed store, and the
	// run's outputs go to <output>/advertisers/<advertiser>/.
	Advertiser string `yaml:"advertiser"`

	// Privacy is the consent and regional rules, and the floors of what
	// advertisers see.
	Privacy Privacy `yaml:"privacy"`

	// OptOut are files (globs) of persons who objected to ad targeting:
	// one E.164 phone, phone SHA-256 or person key per line. They are
	// removed before matching, training and scoring.
	OptOut []string `yaml:"opt_out"`

	MobileOnly          bool   `yaml:"mobile_only"`
	MaxAccountsPerPhone int    `yaml:"max_accounts_per_phone"` // default features.DefaultMaxAccountsPerPhone
	DefaultRegion       string `yaml:"default_region"`         // for accounts without a country
	// ShuffleBuckets is the number of buckets of the two shuffles by
	// account and by person (pipelines.ShuffleBuckets); 0 (the default):
	// one per 8 MiB of accounts files, pipelines.DefaultBuckets for tables.
	ShuffleBuckets int `yaml:"shuffle_buckets"`

	// Source is where apps' tables are read from when they name tables.
	Source Source `yaml:"source"`
	// Sink adds outputs besides the files in Output.
	Sink Sink `yaml:"sink"`

	Model      ModelConfig `yaml:"model"`
	SampleSize int         `yaml:"sample_size"` // population sample; default 20000
	MinSeeds   int         `yaml:"min_seeds"`   // default 100
	RunSeed    uint64      `yaml:"run_seed"`    // default 1

	// given holds the keys the YAML file sets, by path (window_days,
	// privacy.floor, seed_lists[0].audience_percent): an explicit 0 is
	// not an unset key, and is honoured or refused, never defaulted.
	given map[string]bool
}

// App is one social app's accounts and events.
type App struct {
	Name string `yaml:"name"`
	// Optional says the app may give no data (no account, no event in the
	// window): the run goes on without it and says so. Otherwise an app
	// that gives no data fails the run.
	Optional bool     `yaml:"optional"`
	Accounts []string `yaml:"accounts"` // file globs, JSONL or CSV
	Events   []string `yaml:"events"`
	// AccountsTable and EventsTable read the app from BigQuery instead of
	// files ("dataset.table" in source.bigquery.project, or
	// "project.dataset.table"), through the Storage Read API.
	AccountsTable string `yaml:"accounts_table"`
	EventsTable   string `yaml:"events_table"`
	// Filter is a row restriction added to both tables' reads, in
	// BigQuery's SQL (comparisons joined by AND), e.g. app = 'facebook'.
	// Events are always restricted to the activity window.
	Filter         string                  `yaml:"filter"`
	AccountColumns features.AccountColumns `yaml:"account_columns"`
	EventColumns   features.EventColumns   `yaml:"event_columns"`
}

// Synthetic is the world made when no app is configured.
type Synthetic struct {
	Persons  int    `yaml:"persons"`   // default 20000
	Seed     uint64 `yaml:"seed"`      // default 1
	SeedSize int    `yaml:"seed_size"` // customers in the seed list; default 200, above the usual minimum of 100
}

// SeedList is an advertiser's seed list.
type SeedList struct {
	ID         string `yaml:"id"`
	Advertiser string `yaml:"advertiser"`
	File       string `yaml:"file"`
	// Table reads the list from BigQuery instead ("dataset.table" in
	// source.bigquery.project): columns phone, and optional country and
	// value.
	Table           string `yaml:"table"`
	Country         string `yaml:"country"`          // for national numbers in rows without a country
	PhoneColumn     string `yaml:"phone_column"`     // default: found by name (phone, mobile, msisdn, …)
	Format          string `yaml:"format"`           // auto (default: per row), plain or sha256
	AudiencePercent int    `yaml:"audience_percent"` // 1 to 10; default 5
	// Exclude names other seed lists of the same advertiser in this run
	// (all_customers, say) whose matched persons never appear among this
	// list's prospects; they are counted, never listed.
	Exclude []string `yaml:"exclude"`
	// Countries are the target countries (ISO 3166 alpha-2): only their
	// persons are scored for the list, and audience_percent applies within
	// each (percentiles and tiers per country), as platforms size a
	// lookalike. Empty: every country, one audience.
	Countries []string `yaml:"countries"`
}

// Privacy is a run's privacy rules (see docs/privacy.md).
type Privacy struct {
	// Apps are per-app consent rules: require_consent (flags a profile
	// needs for its data to be used; default [ads_personalization]) and
	// cross_app (consent, the default; allowed; never).
	Apps map[string]features.AppPolicy `yaml:"apps"`
	// Blocks forbid one app's data in one country: action zero_features
	// (default: the app's data is dropped) or exclude (the person is).
	Blocks []features.Block `yaml:"blocks"`
	// Floor is the smallest count an advertiser-facing report shows;
	// smaller ones are suppressed. Default 50.
	Floor int `yaml:"floor"`
	// MinAudience is the smallest prospect list delivered; a smaller one
	// is withheld and the run says so. Default 100 (as many platforms ask
	// of a seed list; raise it to your ad platform's own minimum).
	MinAudience int `yaml:"min_audience"`
	// NoiseScale is the scale of the deterministic noise on every count
	// an advertiser sees (features.NoisyCount), which stops two lists that
	// differ by one phone from telling whether it matched. Default 5; 0
	// shows exact counts and gives that protection up.
	NoiseScale float64 `yaml:"noise_scale"`
	// KeepSeedLists keeps the seed store's lists after a run that used
	// them (lookalike, score); by default they are deleted once matched,
	// as matching platforms delete hashes after matching.
	KeepSeedLists bool `yaml:"keep_seed_lists"`
}

// Policy is the rules as features.Policy.
func (p Privacy) Policy() features.Policy {
	return features.Policy{Apps: p.Apps, Blocks: p.Blocks}
}

// Source says where apps' tables are.
type Source struct {
	BigQuery *BigQuery `yaml:"bigquery"`
}

// Sink says where a run's outputs go besides the output directory.
type Sink struct {
	// BigQuery, when set, also writes prospects, seed_match, dead_letters
	// and runs to a BigQuery dataset, replacing the run's rows (see
	// pipelines/bqio).
	BigQuery *BigQuery `yaml:"bigquery"`
}

// BigQuery is a BigQuery dataset and how to reach it.
type BigQuery struct {
	Project  string `yaml:"project"`
	Dataset  string `yaml:"dataset"`
	Location string `yaml:"location"` // of the dataset, when sosie creates it
	// TempDir holds shards before they are loaded: a local directory
	// (default <output>/bigquery-temp) or gs://bucket/prefix, which
	// workers without a shared disk (Dataflow) need.
	TempDir string `yaml:"temp_dir"`
	// Endpoint replaces BigQuery's (no authentication): an emulator or a
	// test server. Empty: BigQuery, with Application Default Credentials.
	Endpoint string `yaml:"endpoint"`
	// ReadEndpoint replaces the Storage Read API's (host:port, no TLS, no
	// authentication), for a source.
	ReadEndpoint string `yaml:"read_endpoint"`
}

// ModelConfig chooses the model.
type ModelConfig struct {
	Kind string `yaml:"kind"` // auto (default), logistic, mean_difference, centroid, ...
}

// Load reads a YAML config strictly and fills its defaults. It does not
// validate: call Validate once flags have overridden what they override.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	return Parse(b, path)
}

// Parse is Load of a config already read; name says where it came from,
// for errors.
func Parse(b []byte, name string) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c Config
	// An empty file is a config of defaults.
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("configs: %s: %w", name, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("configs: %s: %w", name, err)
	}
	c.given = map[string]bool{}
	givenKeys(&doc, "", c.given)
	c.Defaults()
	return &c, nil
}

// givenKeys records the path of every key a YAML node sets.
func givenKeys(n *yaml.Node, path string, given map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			givenKeys(c, path, given)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			given[p] = true
			givenKeys(n.Content[i+1], p, given)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			givenKeys(c, fmt.Sprintf("%s[%d]", path, i), given)
		}
	}
}

// Given says whether the config file sets the key at path (e.g.
// "privacy.floor"), even to zero.
func (c *Config) Given(path string) bool { return c.given[path] }

// Default is the configuration of a run with no config file.
func Default() *Config {
	var c Config
	c.Defaults()
	return &c
}

// Defaults fills every unset field with its default. A key the file sets
// keeps its value, zero included: Validate says whether zero means
// something there.
func (c *Config) Defaults() {
	unset := func(path string, zero bool) bool { return zero && !c.given[path] }
	if unset("as_of", c.AsOf == "") {
		c.AsOf = "2026-11-01"
	}
	if unset("run_id", c.RunID == "") {
		c.RunID = "lookalike-" + c.AsOf
	}
	if unset("window_days", c.WindowDays == 0) {
		c.WindowDays = features.DefaultWindowDays
	}
	if unset("output", c.Output == "") {
		c.Output = "sosie-out"
	}
	if unset("pepper_env", c.PepperEnv == "") {
		c.PepperEnv = "SOSIE_PEPPER"
	}
	if unset("seed_store", c.SeedStore == "") {
		c.SeedStore = "sosie-seeds"
	}
	if unset("privacy.floor", c.Privacy.Floor == 0) {
		c.Privacy.Floor = 50
	}
	if unset("privacy.min_audience", c.Privacy.MinAudience == 0) {
		c.Privacy.MinAudience = 100
	}
	if unset("privacy.noise_scale", c.Privacy.NoiseScale == 0) {
		c.Privacy.NoiseScale = 5
	}
	for i := range c.Privacy.Blocks {
		if c.Privacy.Blocks[i].Action == "" {
			c.Privacy.Blocks[i].Action = features.BlockDropApp
		}
	}
	if unset("prospect_formats", c.ProspectFormats == nil) {
		c.ProspectFormats = []string{"csv", "parquet"}
	}
	if unset("synthetic.persons", c.Synthetic.Persons == 0) {
		c.Synthetic.Persons = 20000
	}
	if unset("synthetic.seed", c.Synthetic.Seed == 0) {
		c.Synthetic.Seed = 1
	}
	if unset("synthetic.seed_size", c.Synthetic.SeedSize == 0) {
		c.Synthetic.SeedSize = 200
	}
	if unset("max_accounts_per_phone", c.MaxAccountsPerPhone == 0) {
		c.MaxAccountsPerPhone = features.DefaultMaxAccountsPerPhone
	}
	if unset("model.kind", c.Model.Kind == "") {
		c.Model.Kind = string(model.KindAuto)
	}
	if unset("sample_size", c.SampleSize == 0) {
		c.SampleSize = 20_000
	}
	if unset("min_seeds", c.MinSeeds == 0) {
		c.MinSeeds = 100
	}
	if unset("run_seed", c.RunSeed == 0) {
		c.RunSeed = 1
	}
	for i := range c.SeedLists {
		l := &c.SeedLists[i]
		if unset(fmt.Sprintf("seed_lists[%d].audience_percent", i), l.AudiencePercent == 0) {
			l.AudiencePercent = 5
		}
		if l.File == "" && l.Table == "" && l.Advertiser != "" && l.ID != "" {
			l.File = c.StoredSeedList(l.Advertiser, l.ID)
		}
	}
}

// SeedListFile is the name of a stored seed list in its namespace.
const SeedListFile = "seeds.csv"

// SeedNamespace is an advertiser's directory in the seed store.
func (c *Config) SeedNamespace(advertiser string) string {
	return JoinPath(c.SeedStore, advertiser)
}

// StoredSeedList is where jobs/seeds stores an advertiser's seed list.
func (c *Config) StoredSeedList(advertiser, list string) string {
	return JoinPath(c.SeedNamespace(advertiser), list, SeedListFile)
}

// JoinPath joins a directory and names: filepath.Join for a local
// directory; for a remote one (gs://bucket/prefix) a join with "/" that
// keeps the scheme's "//".
func JoinPath(dir string, elem ...string) string {
	if !remote(dir) {
		return filepath.Join(append([]string{dir}, elem...)...)
	}
	return strings.TrimSuffix(dir, "/") + "/" + strings.Join(elem, "/")
}

// RunOutput is the directory of a run's outputs: Output, or the
// advertiser's directory in it for an advertiser's run.
func (c *Config) RunOutput() string {
	if c.Advertiser == "" {
		return c.Output
	}
	return JoinPath(c.Output, "advertisers", c.Advertiser)
}

// AsOfTime is AsOf as a time (midnight UTC).
func (c *Config) AsOfTime() (time.Time, error) {
	return time.Parse("2006-01-02", c.AsOf)
}

// SafeName says whether s is a name that is one path element: ids and advertisers name
// directories and must not reach outside them.
func SafeName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, " /\\\x00") && !strings.HasPrefix(s, ".")
}

// ErrInvalid is wrapped by Validate's error.
var ErrInvalid = errors.New("configs: invalid configuration")

// Validate checks every field and names each wrong one with the reason.
func (c *Config) Validate() error {
	var bad []string
	add := func(field, format string, args ...any) {
		bad = append(bad, field+": "+fmt.Sprintf(format, args...))
	}
	if _, err := c.AsOfTime(); err != nil {
		add("as_of", "%q is not a YYYY-MM-DD date", c.AsOf)
	}
	for _, k := range []struct{ key, v string }{{"run_id", c.RunID}, {"output", c.Output}, {"seed_store", c.SeedStore}} {
		if k.v == "" {
			add(k.key, "empty (leave the key out for its default)")
		}
	}
	if c.WindowDays < 1 || c.WindowDays > features.MaxWindowDays {
		add("window_days", "%d, want 1 to %d", c.WindowDays, features.MaxWindowDays)
	}
	if c.Synthetic.Persons < 1 {
		add("synthetic.persons", "%d, want at least 1", c.Synthetic.Persons)
	}
	if c.Synthetic.SeedSize < 1 {
		add("synthetic.seed_size", "%d, want at least 1", c.Synthetic.SeedSize)
	}
	names := map[string]bool{}
	for i, a := range c.Apps {
		f := fmt.Sprintf("apps[%d]", i)
		if a.Name == "" || strings.ContainsAny(a.Name, " /\\,") || strings.ToLower(a.Name) != a.Name {
			add(f+".name", "%q, want a lower-case name without spaces", a.Name)
		}
		if names[a.Name] {
			add(f+".name", "%q appears twice", a.Name)
		}
		if a.AccountColumns.Phone == "-" {
			add(f+".account_columns.phone", `"-": apps are joined by phone; an app without a phone column cannot be used`)
		}
		names[a.Name] = true
		if a.Name != "" && !slices.Contains(features.DefaultApps, a.Name) {
			add(f+".name", "%q is not an app of the feature schema (%s)", a.Name, strings.Join(features.DefaultApps, ", "))
		}
		for _, in := range []struct {
			name, table string
			files       []string
		}{{"accounts", a.AccountsTable, a.Accounts}, {"events", a.EventsTable, a.Events}} {
			switch {
			case len(in.files) == 0 && in.table == "":
				add(f+"."+in.name, "no file given (or %s_table)", in.name)
			case len(in.files) > 0 && in.table != "":
				add(f+"."+in.name+"_table", "both files and a table given")
			case in.table != "" && c.Source.BigQuery == nil:
				add(f+"."+in.name+"_table", "a table needs a source.bigquery section")
			case in.table != "" && strings.Count(in.table, ".") != 1 && strings.Count(in.table, ".") != 2:
				add(f+"."+in.name+"_table", "%q, want dataset.table or project.dataset.table", in.table)
			}
		}
	}
	ids := map[string]bool{}
	for i, l := range c.SeedLists {
		f := fmt.Sprintf("seed_lists[%d]", i)
		if !SafeName(l.ID) {
			add(f+".id", "%q, want a name without spaces or slashes", l.ID)
		}
		if ids[l.ID] {
			add(f+".id", "%q appears twice", l.ID)
		}
		ids[l.ID] = true
		if l.Advertiser == "" || !SafeName(l.Advertiser) {
			add(f+".advertiser", "%q, want a name without spaces, dots or slashes", l.Advertiser)
		}
		switch {
		case l.File == "" && l.Table == "":
			add(f+".file", "missing (or table)")
		case l.File != "" && l.Table != "":
			add(f+".table", "both a file and a table given")
		case l.Table != "" && c.Source.BigQuery == nil:
			add(f+".table", "a table needs a source.bigquery section")
		}
		if l.Table != "" && l.PhoneColumn != "" {
			add(f+".phone_column", "applies to files; a table's phone column is phone")
		}
		if _, err := features.ParseSeedFormat(l.Format); err != nil {
			add(f+".format", "%q, want auto, plain or sha256", l.Format)
		}
		if l.AudiencePercent < 1 || l.AudiencePercent > 10 {
			add(f+".audience_percent", "%d, want 1 to 10", l.AudiencePercent)
		}
		seen := map[string]bool{}
		for j, cc := range l.Countries {
			code, ok := features.ParseCountry(cc)
			switch {
			case !ok:
				add(fmt.Sprintf("%s.countries[%d]", f, j), "%q, want an ISO 3166 country code of two letters (FR, DE)", cc)
			case seen[code]:
				add(fmt.Sprintf("%s.countries[%d]", f, j), "%q appears twice", cc)
			default:
				c.SeedLists[i].Countries[j] = code
			}
			seen[code] = true
		}
	}
	for i, l := range c.SeedLists {
		for _, x := range l.Exclude {
			j := slices.IndexFunc(c.SeedLists, func(o SeedList) bool { return o.ID == x })
			switch {
			case x == l.ID:
				add(fmt.Sprintf("seed_lists[%d].exclude", i), "%q is the list itself (its seeds are excluded anyway)", x)
			case j < 0:
				add(fmt.Sprintf("seed_lists[%d].exclude", i), "%q is not a seed list of this run (the lists to exclude must be matched in it too)", x)
			case c.SeedLists[j].Advertiser != l.Advertiser:
				add(fmt.Sprintf("seed_lists[%d].exclude", i), "%q is advertiser %s's list, not %s's", x, c.SeedLists[j].Advertiser, l.Advertiser)
			}
		}
	}
	kindOK := false
	for _, k := range model.Kinds {
		kindOK = kindOK || string(k) == c.Model.Kind
	}
	if !kindOK {
		add("model.kind", "%q, want one of %v", c.Model.Kind, model.Kinds)
	}
	if c.MaxAccountsPerPhone < 1 {
		add("max_accounts_per_phone", "%d, want at least 1", c.MaxAccountsPerPhone)
	}
	if c.ShuffleBuckets < 0 || c.ShuffleBuckets > 1<<20 {
		add("shuffle_buckets", "%d, want 0 (sized from the input) or 1 to 1048576", c.ShuffleBuckets)
	}
	if c.SampleSize < 100 {
		add("sample_size", "%d, want at least 100", c.SampleSize)
	}
	if c.MinSeeds < 2 {
		add("min_seeds", "%d, want at least 2", c.MinSeeds)
	}
	if c.PepperEnv == "" && c.PepperFile == "" {
		add("pepper_env", "missing (or pepper_file)")
	}
	if c.Advertiser != "" && !SafeName(c.Advertiser) {
		add("advertiser", "%q, want a name without spaces, dots or slashes", c.Advertiser)
	}
	if err := c.Privacy.Policy().Validate(features.DefaultApps); err != nil {
		add("privacy", "%s", strings.TrimPrefix(err.Error(), features.ErrPolicy.Error()+": "))
	}
	if c.Privacy.Floor < 0 {
		add("privacy.floor", "%d, want 0 (every count shown) or more", c.Privacy.Floor)
	}
	if c.Privacy.NoiseScale < 0 || math.IsNaN(c.Privacy.NoiseScale) || math.IsInf(c.Privacy.NoiseScale, 0) {
		add("privacy.noise_scale", "%g, want 0 (exact counts) or more", c.Privacy.NoiseScale)
	}
	if c.Privacy.MinAudience < 0 {
		add("privacy.min_audience", "%d, want 0 (every audience delivered) or more", c.Privacy.MinAudience)
	}
	if b := c.Source.BigQuery; b != nil && b.Project == "" {
		add("source.bigquery.project", "missing")
	}
	if b := c.Sink.BigQuery; b != nil {
		if b.Project == "" {
			add("sink.bigquery.project", "missing")
		}
		if b.Dataset == "" || strings.Trim(b.Dataset, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
			add("sink.bigquery.dataset", "%q, want letters, digits and underscores", b.Dataset)
		}
		if remote(b.TempDir) && !strings.HasPrefix(b.TempDir, "gs://") {
			add("sink.bigquery.temp_dir", "%q: want a local directory or gs://bucket/prefix", b.TempDir)
		}
	}
	for i, f := range c.ProspectFormats {
		if f != "csv" && f != "parquet" {
			add(fmt.Sprintf("prospect_formats[%d]", i), "%q, want csv or parquet (JSONL is always written)", f)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w:\n  %s", ErrInvalid, strings.Join(bad, "\n  "))
	}
	return nil
}
