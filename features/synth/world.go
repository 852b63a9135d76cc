package synth

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sosie-dev/sosie/features"
)

// SeedFormat is how the advertiser's seed list writes phones.
type SeedFormat string

// The seed list formats.
const (
	SeedPlain        SeedFormat = "plain"         // phones as customers typed them, with a country column
	SeedSHA256E164   SeedFormat = "sha256_e164"   // SHA256("+33612345678")
	SeedSHA256Digits SeedFormat = "sha256_digits" // SHA256("33612345678")
	SeedMixed        SeedFormat = "mixed"         // each row one of the three
)

// hasCountry says whether a seed list of the format has a country column:
// plain phones need one to be read.
func (f SeedFormat) hasCountry() bool { return f == SeedPlain || f == SeedMixed }

// FileFormat is the format of the accounts and events files.
type FileFormat string

// The file formats.
const (
	JSONL FileFormat = "jsonl"
	CSV   FileFormat = "csv"
)

// Config describes a world. Its zero value, with Persons set, is a sensible
// world: four apps, ten countries, 5 % hidden customers, a seed list of 1,000
// (or a third of the customers, if fewer), plain phones, JSONL files.
type Config struct {
	Persons      int            `json:"persons"`
	Seed         uint64         `json:"seed"`
	AsOf         time.Time      `json:"as_of"`         // end of the activity window; default 2026-11-01
	WindowDays   int            `json:"window_days"`   // default 90
	Apps         []string       `json:"apps"`          // default features.DefaultApps (at most 4 get app-specific habits)
	CustomerRate float64        `json:"customer_rate"` // share of persons in the hidden segment; default 0.05
	SeedSize     int            `json:"seed_size"`     // expected seed list rows from the segment
	SeedFormat   SeedFormat     `json:"seed_format"`   // default plain
	Format       FileFormat     `json:"format"`        // default jsonl
	EventsMean   float64        `json:"events_mean"`   // mean events per account in the window; default 12
	Progress     func(done int) `json:"-"`             // called every 100,000 persons, if set
}

// ErrConfig is wrapped by the errors of a bad Config.
var ErrConfig = errors.New("synth: bad config")

// MaxPersons is the largest world Generate makes.
const MaxPersons = 50_000_000

func (c *Config) defaults() error {
	if c.Persons < 1 || c.Persons > MaxPersons {
		return fmt.Errorf("%w: persons %d, want 1 to %d", ErrConfig, c.Persons, MaxPersons)
	}
	if c.AsOf.IsZero() {
		c.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.WindowDays == 0 {
		c.WindowDays = features.DefaultWindowDays
	}
	if c.WindowDays < 1 || c.WindowDays > features.MaxWindowDays {
		return fmt.Errorf("%w: window_days %d, want 1 to %d", ErrConfig, c.WindowDays, features.MaxWindowDays)
	}
	if len(c.Apps) == 0 {
		c.Apps = features.DefaultApps
	}
	if c.CustomerRate == 0 {
		c.CustomerRate = 0.05
	}
	if c.CustomerRate < 0 || c.CustomerRate > 0.5 {
		return fmt.Errorf("%w: customer_rate %v, want (0, 0.5]", ErrConfig, c.CustomerRate)
	}
	customers := float64(c.Persons) * c.CustomerRate
	if c.SeedSize == 0 {
		c.SeedSize = int(min(1000, math.Ceil(customers/3)))
	}
	if c.SeedSize < 0 || float64(c.SeedSize) > customers {
		return fmt.Errorf("%w: seed_size %d, want 1 to the %.0f expected customers", ErrConfig, c.SeedSize, customers)
	}
	switch c.SeedFormat {
	case "":
		c.SeedFormat = SeedPlain
	case SeedPlain, SeedSHA256E164, SeedSHA256Digits, SeedMixed:
	default:
		return fmt.Errorf("%w: seed_format %q, want plain, sha256_e164, sha256_digits or mixed", ErrConfig, c.SeedFormat)
	}
	switch c.Format {
	case "":
		c.Format = JSONL
	case JSONL, CSV:
	default:
		return fmt.Errorf("%w: format %q, want jsonl or csv", ErrConfig, c.Format)
	}
	if c.EventsMean == 0 {
		c.EventsMean = 12
	}
	if c.EventsMean < 0 || c.EventsMean > 1000 {
		return fmt.Errorf("%w: events_mean %v, want (0, 1000]", ErrConfig, c.EventsMean)
	}
	return nil
}

// Stats says what Generate wrote.
type Stats struct {
	Config          Config         `json:"config"`
	Persons         int            `json:"persons"`
	Customers       int            `json:"customers"`        // persons in the hidden segment
	SeedRows        int            `json:"seed_rows"`        // rows of the seed list, dirt included
	SeedCustomers   int            `json:"seed_customers"`   // distinct customers in the seed list
	HiddenCustomers int            `json:"hidden_customers"` // customers not in the seed list
	Accounts        map[string]int `json:"accounts"`         // per app, test accounts included
	TestAccounts    map[string]int `json:"test_accounts"`    // per app: accounts on shared test numbers
	Events          map[string]int `json:"events"`           // per app
	Files           []string       `json:"files"`            // relative to the output directory
}

// File names in the output directory.
const (
	SeedListFile    = "seed_list.csv"
	GroundTruthFile = "ground_truth.csv"
	ManifestFile    = "world.json"
)

// AccountsFile and EventsFile name an app's files for a format.
func AccountsFile(app string, f FileFormat) string { return "accounts_" + app + "." + string(f) }

// EventsFile names an app's events file for a format.
func EventsFile(app string, f FileFormat) string { return "events_" + app + "." + string(f) }

// Generate writes the world cfg describes into dir (created if needed):
// per app an accounts and an events file, the seed list, the ground truth
// and a manifest. Memory does not grow with the number of persons.
func Generate(cfg Config, dir string) (Stats, error) {
	if err := cfg.defaults(); err != nil {
		return Stats{}, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Stats{}, err
	}
	g := &generator{cfg: cfg, dir: dir}
	st, err := g.run()
	if cerr := g.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Stats{}, err
	}
	manifest, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return Stats{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), append(manifest, '\n'), 0o644); err != nil {
		return Stats{}, err
	}
	return st, nil
}

type output struct {
	f *os.File
	w *bufio.Writer
}

type generator struct {
	cfg   Config
	dir   string
	files []*output
	buf   []byte

	accounts, events []*output // per app
	seed, truth      *output
	countryCounter   []uint64
	countryCum       []float64
	st               Stats
	seedProb         float64
	sharedNumbers    []string // E.164 of the test numbers
}

func (g *generator) open(name string) (*output, error) {
	// The world holds phone numbers, synthetic as they are: its owner's only.
	f, err := os.OpenFile(filepath.Join(g.dir, name), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	o := &output{f: f, w: bufio.NewWriterSize(f, 1<<16)}
	g.files = append(g.files, o)
	g.st.Files = append(g.st.Files, name)
	return o, nil
}

func (g *generator) close() error {
	var first error
	for _, o := range g.files {
		if err := o.w.Flush(); err != nil && first == nil {
			first = err
		}
		if err := o.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (g *generator) run() (Stats, error) {
	cfg := g.cfg
	g.st = Stats{Config: cfg, Accounts: map[string]int{}, TestAccounts: map[string]int{}, Events: map[string]int{}}
	for _, app := range cfg.Apps {
		a, err := g.open(AccountsFile(app, cfg.Format))
		if err != nil {
			return Stats{}, err
		}
		e, err := g.open(EventsFile(app, cfg.Format))
		if err != nil {
			return Stats{}, err
		}
		g.accounts, g.events = append(g.accounts, a), append(g.events, e)
		if cfg.Format == CSV {
			a.w.WriteString("user_id,phone,country,birth_year,gender,os,carrier,created_at,updated_at,consent_ads,consent_cross_app\n")
			e.w.WriteString("user_id,time,type,category\n")
		}
	}
	var err error
	if g.seed, err = g.open(SeedListFile); err != nil {
		return Stats{}, err
	}
	if cfg.SeedFormat.hasCountry() {
		g.seed.w.WriteString("phone,country,value\n")
	} else {
		g.seed.w.WriteString("phone,value\n")
	}
	if g.truth, err = g.open(GroundTruthFile); err != nil {
		return Stats{}, err
	}
	g.truth.w.WriteString("phone_e164,country,subtype,in_seed\n")

	total := 0.0
	for _, c := range countries {
		total += c.weight
		g.countryCum = append(g.countryCum, total)
	}
	g.countryCounter = make([]uint64, len(countries))
	// The first numbers of the first countries are test numbers, shared by
	// many accounts; persons get the ones after.
	for i := range 3 {
		c := &countries[i]
		g.sharedNumbers = append(g.sharedNumbers, "+"+c.cc+c.nsn(0))
		g.countryCounter[i] = 1
	}
	g.seedProb = min(1, float64(cfg.SeedSize)/(float64(cfg.Persons)*cfg.CustomerRate))

	for i := range cfg.Persons {
		if err := g.person(uint64(i)); err != nil {
			return Stats{}, err
		}
		if cfg.Progress != nil && (i+1)%100_000 == 0 {
			cfg.Progress(i + 1)
		}
	}
	if err := g.testAccounts(); err != nil {
		return Stats{}, err
	}
	g.st.Persons = cfg.Persons
	g.st.HiddenCustomers = g.st.Customers - g.st.SeedCustomers
	return g.st, nil
}

// split64 is SplitMix64's finalizer: a bijection of uint64, used to make
// ids that are unique and look random.
func split64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func userID(app string, appIndex int, n uint64) string {
	prefix := app
	if len(prefix) > 2 {
		prefix = prefix[:2]
	}
	return prefix + strconv.FormatUint(split64(n^uint64(appIndex+1)<<58), 36)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
