package features

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"
)

// SchemaVersion numbers the way Vectorize computes features. It changes
// whenever a feature's meaning changes, so a model trained on the old
// meaning is refused rather than silently misread.
const SchemaVersion = 1

// FeatureKind says what a feature's value is.
type FeatureKind uint8

// The feature kinds.
const (
	Numeric  FeatureKind = iota // a plain number (days, years, a count of apps)
	LogCount                    // log1p of an event count
	Share                       // a share in [0, 1]
	OneHot                      // 1 for the category the person is in, else 0
	Presence                    // 1 when the person is on an app, else 0
)

var kindNames = [...]string{"numeric", "log_count", "share", "one_hot", "presence"}

func (k FeatureKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("FeatureKind(%d)", k)
}

// MarshalText writes the kind's name.
func (k FeatureKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Feature is one named column of the feature vector.
type Feature struct {
	Name string      `json:"name"`
	Kind FeatureKind `json:"kind"`
}

// SchemaConfig chooses the vocabularies of a schema. Its zero value is the
// default: the four apps and the synthetic world's countries and carriers.
type SchemaConfig struct {
	Apps      []string `yaml:"apps" json:"apps,omitempty"`           // app names, in config order
	Countries []string `yaml:"countries" json:"countries,omitempty"` // one-hot countries; others are country_other
	Carriers  []string `yaml:"carriers" json:"carriers,omitempty"`   // one-hot carriers; others are carrier_other
}

// Defaults of SchemaConfig.
var (
	DefaultApps      = []string{"facebook", "instagram", "whatsapp", "messenger"}
	DefaultCountries = []string{"FR", "DE", "GB", "US", "IN", "BR", "NG", "ID", "ES", "IT"}
	DefaultCarriers  = []string{"orange", "vodafone", "tmobile", "att", "verizon", "jio", "airtel", "claro", "mtn", "telkomsel", "movistar", "tim"}
)

// ErrSchema is wrapped by NewSchema's errors.
var ErrSchema = errors.New("features: bad schema")

// Age bands, upper bounds exclusive.
var ageBands = []struct {
	name   string
	lo, hi int
}{
	{"age_13_17", 13, 18}, {"age_18_24", 18, 25}, {"age_25_34", 25, 35}, {"age_35_44", 35, 45},
	{"age_45_54", 45, 55}, {"age_55_64", 55, 65}, {"age_65_plus", 65, 130},
}

var operatingSystems = []string{"android", "ios"}

// Per-app features, in order, after the per-type event counts.
const (
	appPresent = iota
	appTenureYears
	appActiveDays
	appRecencyDays
	appEventsBase
	appWidth = appEventsBase + NumEventTypes
)

// Schema is a versioned, ordered list of named features and the code that
// fills them from a Person. It is immutable and safe for concurrent use.
type Schema struct {
	cfg      SchemaConfig
	features []Feature
	version  string

	appIndex     map[string]int
	countryIndex map[string]int
	carrierIndex map[string]int

	offAge, offGender, offCountry, offOS, offCarrier, offLinked, offApps, offCategories, offTotal int
}

// NewSchema builds the schema for cfg.
func NewSchema(cfg SchemaConfig) (*Schema, error) {
	if len(cfg.Apps) == 0 {
		cfg.Apps = DefaultApps
	}
	if cfg.Countries == nil {
		cfg.Countries = DefaultCountries
	}
	if cfg.Carriers == nil {
		cfg.Carriers = DefaultCarriers
	}
	s := &Schema{cfg: cfg, appIndex: map[string]int{}, countryIndex: map[string]int{}, carrierIndex: map[string]int{}}
	add := func(name string, kind FeatureKind) { s.features = append(s.features, Feature{name, kind}) }
	vocab := func(what string, values []string, index map[string]int, norm func(string) string) error {
		for i, v := range values {
			n := norm(v)
			if n == "" || strings.ContainsAny(n, " \t,") {
				return fmt.Errorf("%w: %s %q is not a plain name", ErrSchema, what, v)
			}
			if _, dup := index[n]; dup {
				return fmt.Errorf("%w: %s %q listed twice", ErrSchema, what, v)
			}
			index[n] = i
		}
		return nil
	}
	lower := func(v string) string { return strings.ToLower(strings.TrimSpace(v)) }
	upper := func(v string) string { return strings.ToUpper(strings.TrimSpace(v)) }
	if err := vocab("app", cfg.Apps, s.appIndex, lower); err != nil {
		return nil, err
	}
	if err := vocab("country", cfg.Countries, s.countryIndex, upper); err != nil {
		return nil, err
	}
	if err := vocab("carrier", cfg.Carriers, s.carrierIndex, lower); err != nil {
		return nil, err
	}

	s.offAge = len(s.features)
	add("age_unknown", OneHot)
	for _, b := range ageBands {
		add(b.name, OneHot)
	}
	s.offGender = len(s.features)
	for _, g := range []string{"unknown", "female", "male", "other"} {
		add("gender_"+g, OneHot)
	}
	s.offCountry = len(s.features)
	add("country_unknown", OneHot)
	add("country_other", OneHot)
	for _, c := range cfg.Countries {
		add("country_"+upper(c), OneHot)
	}
	s.offOS = len(s.features)
	add("os_unknown", OneHot)
	add("os_other", OneHot)
	for _, o := range operatingSystems {
		add("os_"+o, OneHot)
	}
	s.offCarrier = len(s.features)
	add("carrier_unknown", OneHot)
	add("carrier_other", OneHot)
	for _, c := range cfg.Carriers {
		add("carrier_"+lower(c), OneHot)
	}
	s.offLinked = len(s.features)
	add("linked_apps", Numeric)
	s.offApps = len(s.features)
	for _, a := range cfg.Apps {
		p := "app_" + lower(a) + "_"
		add(p+"present", Presence)
		add(p+"tenure_years", Numeric)
		add(p+"active_days", Numeric)
		add(p+"recency_days", Numeric)
		for _, t := range eventTypeNames {
			add(p+"events_"+t, LogCount)
		}
	}
	s.offCategories = len(s.features)
	for _, c := range categoryNames {
		add("category_"+c+"_share", Share)
	}
	s.offTotal = len(s.features)
	add("events_total", LogCount)

	h := fnv.New32a()
	for _, f := range s.features {
		fmt.Fprintf(h, "%s:%s;", f.Name, f.Kind)
	}
	s.version = fmt.Sprintf("v%d-%08x", SchemaVersion, h.Sum32())
	return s, nil
}

// Version identifies the schema: the code's SchemaVersion and a hash of
// the ordered feature names and kinds.
func (s *Schema) Version() string { return s.version }

// Len is the number of features.
func (s *Schema) Len() int { return len(s.features) }

// Features returns the ordered features; the caller must not modify them.
func (s *Schema) Features() []Feature { return s.features }

// Names returns the ordered feature names.
func (s *Schema) Names() []string {
	names := make([]string, len(s.features))
	for i, f := range s.features {
		names[i] = f.Name
	}
	return names
}

// Config returns the vocabularies the schema was built with.
func (s *Schema) Config() SchemaConfig { return s.cfg }

// Vectorize writes the features of p at asOf into dst, which must have
// length s.Len(). An app the person is not on gives zeros; recency of an
// app with no event in the window is the window length of window.
// Profiles of apps not in the schema are ignored.
func (s *Schema) Vectorize(p *Person, asOf time.Time, window ActivityWindow, dst []float64) {
	if len(dst) != len(s.features) {
		panic(fmt.Sprintf("features: Vectorize into %d columns, schema has %d", len(dst), len(s.features)))
	}
	clear(dst)

	age := p.AgeAt(asOf)
	band := 0
	for i, b := range ageBands {
		if age >= b.lo && age < b.hi {
			band = i + 1
			break
		}
	}
	dst[s.offAge+band] = 1

	switch p.Gender {
	case GenderFemale:
		dst[s.offGender+1] = 1
	case GenderMale:
		dst[s.offGender+2] = 1
	case GenderOther:
		dst[s.offGender+3] = 1
	default:
		dst[s.offGender] = 1
	}

	dst[s.offCountry+oneHot(p.Country, s.countryIndex)] = 1
	switch p.OS {
	case "":
		dst[s.offOS] = 1
	case "android":
		dst[s.offOS+2] = 1
	case "ios":
		dst[s.offOS+3] = 1
	default:
		dst[s.offOS+1] = 1
	}
	dst[s.offCarrier+oneHot(p.Carrier, s.carrierIndex)] = 1

	var cats [NumCategories]float64
	var catTotal, total float64
	linked := 0
	windowDays := float64(window.days())
	for i := range p.Apps {
		ap := &p.Apps[i]
		ai, ok := s.appIndex[ap.App]
		if !ok {
			continue
		}
		linked++
		f := dst[s.offApps+ai*appWidth : s.offApps+(ai+1)*appWidth]
		f[appPresent] = 1
		if !ap.CreatedAt.IsZero() {
			f[appTenureYears] = max(0, asOf.Sub(ap.CreatedAt).Hours()/(24*365.25))
		}
		act := &ap.Activity
		f[appActiveDays] = float64(act.ActiveDays())
		f[appRecencyDays] = min(act.RecencyDays(asOf), windowDays)
		for t, n := range act.Events {
			f[appEventsBase+t] = math.Log1p(float64(n))
			total += float64(n)
		}
		for c, n := range act.Categories {
			cats[c] += float64(n)
			catTotal += float64(n)
		}
	}
	dst[s.offLinked] = float64(linked)
	if catTotal > 0 {
		for c, n := range cats {
			dst[s.offCategories+c] = n / catTotal
		}
	}
	dst[s.offTotal] = math.Log1p(total)
}

// oneHot returns the column offset of v in a vocabulary laid out as
// unknown, other, then the vocabulary.
func oneHot(v string, index map[string]int) int {
	if v == "" {
		return 0
	}
	if i, ok := index[v]; ok {
		return 2 + i
	}
	return 1
}
