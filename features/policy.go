package features

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Consent is a consent flag an account carries.
type Consent string

// The consent flags accounts carry.
const (
	ConsentAdsPersonalization Consent = "ads_personalization" // Account.ConsentAds
	ConsentCrossAppUse        Consent = "cross_app"           // Account.ConsentCrossApp
)

// CrossApp says whether an app's data may be combined with other apps'
// data of the same person.
type CrossApp string

// The cross-app rules.
const (
	// CrossAppWithConsent combines the app's profile with others only when
	// it carries the cross-app consent flag (the EU rule; the default).
	CrossAppWithConsent CrossApp = "consent"
	// CrossAppAllowed combines it whatever its flags say.
	CrossAppAllowed CrossApp = "allowed"
	// CrossAppNever never combines it: it is used only for persons on
	// that app alone.
	CrossAppNever CrossApp = "never"
)

// BlockAction is what a country block does to a person it covers.
type BlockAction string

// The block actions.
const (
	// BlockDropApp drops the app's data from the person, so its features
	// are zero (absent) and its demographics unused.
	BlockDropApp BlockAction = "zero_features"
	// BlockExclude removes the person altogether.
	BlockExclude BlockAction = "exclude"
)

// AppPolicy is the rules for one app's data.
type AppPolicy struct {
	// Require are the consent flags a profile must carry for its data to
	// be used for ads personalization; nil means ads_personalization.
	Require  []Consent `json:"require" yaml:"require_consent"`       // no omitempty: [] (nothing required) must not become nil
	CrossApp CrossApp  `json:"cross_app,omitempty" yaml:"cross_app"` // "" means consent
}

// Block forbids using one app's data for persons of one country, as a
// regulator may order (Hamburg, 2016: WhatsApp data of German users).
type Block struct {
	App     string      `json:"app" yaml:"app"`
	Country string      `json:"country" yaml:"country"` // ISO 3166 alpha-2
	Action  BlockAction `json:"action" yaml:"action"`   // "" means zero_features
}

// Policy is the privacy rules that decide what of a person's data may be
// used for ads personalization. Its zero value is the strict default:
// every app needs the ads personalization flag, apps are combined only
// with cross-app consent, no country is blocked.
type Policy struct {
	Apps   map[string]AppPolicy `json:"apps,omitempty"`
	Blocks []Block              `json:"blocks,omitempty"`
}

// ErrPolicy is wrapped by Policy.Validate's error.
var ErrPolicy = errors.New("features: invalid privacy policy")

// Validate checks the policy against the apps that exist, naming each
// wrong field.
func (p Policy) Validate(apps []string) error {
	var bad []string
	names := make([]string, 0, len(p.Apps))
	for name := range p.Apps {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a := p.Apps[name]
		if !slices.Contains(apps, name) {
			bad = append(bad, fmt.Sprintf("apps.%s: not an app (%s)", name, strings.Join(apps, ", ")))
		}
		for i, c := range a.Require {
			if c != ConsentAdsPersonalization && c != ConsentCrossAppUse {
				bad = append(bad, fmt.Sprintf("apps.%s.require_consent[%d]: %q, want %s or %s", name, i, c, ConsentAdsPersonalization, ConsentCrossAppUse))
			}
		}
		switch a.CrossApp {
		case "", CrossAppWithConsent, CrossAppAllowed, CrossAppNever:
		default:
			bad = append(bad, fmt.Sprintf("apps.%s.cross_app: %q, want %s, %s or %s", name, a.CrossApp, CrossAppWithConsent, CrossAppAllowed, CrossAppNever))
		}
	}
	for i, b := range p.Blocks {
		f := fmt.Sprintf("blocks[%d]", i)
		if !slices.Contains(apps, b.App) {
			bad = append(bad, fmt.Sprintf("%s.app: %q is not an app (%s)", f, b.App, strings.Join(apps, ", ")))
		}
		if len(b.Country) != 2 || strings.ToUpper(b.Country) != b.Country {
			bad = append(bad, fmt.Sprintf("%s.country: %q, want an upper-case ISO 3166 alpha-2 code", f, b.Country))
		}
		if b.Action != "" && b.Action != BlockDropApp && b.Action != BlockExclude {
			bad = append(bad, fmt.Sprintf("%s.action: %q, want %s or %s", f, b.Action, BlockDropApp, BlockExclude))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrPolicy, strings.Join(bad, "; "))
	}
	return nil
}

// Rule names which rule of a Policy affected a person, for counting.
type Rule string

// RuleExcluded is the rule every removed person counts under, besides the
// rule that removed it.
const RuleExcluded Rule = "excluded"

// Rules a profile or person can fall under; each names the app (and the
// country for blocks) so a report can say which rule did what.
func ruleConsent(app string, c Consent) Rule { return Rule("consent_" + string(c) + "_" + app) }
func ruleCrossApp(app string) Rule           { return Rule("cross_app_" + app) }
func ruleBlock(b Block) Rule {
	return Rule("block_" + b.App + "_" + b.Country)
}

// Apply returns what of p may be used: the person rebuilt from the
// profiles the rules allow (MergePerson, so demographics come only from
// usable profiles), the rules that affected it (each once), and whether
// anything is left. In order:
//
//  1. A block covers the person when its app's profile, or the person,
//     is of the block's country: exclude removes the person,
//     zero_features drops that app's profile.
//  2. A profile without a required consent flag is dropped.
//  3. Of several remaining profiles, those that may not be combined
//     (cross_app never, or consent without the flag) are dropped; a
//     profile that is a person's only one needs no cross-app consent.
//
// A person with no profile left is removed (RuleExcluded).
func (pol Policy) Apply(p Person) (Person, []Rule, bool) {
	var hits []Rule
	hit := func(r Rule) {
		if !slices.Contains(hits, r) {
			hits = append(hits, r)
		}
	}
	apps := slices.Clone(p.Apps)
	for _, b := range pol.Blocks {
		i := slices.IndexFunc(apps, func(a AppProfile) bool { return a.App == b.App })
		if i < 0 || (apps[i].Country != b.Country && p.Country != b.Country) {
			continue
		}
		hit(ruleBlock(b))
		if b.Action == BlockExclude {
			hit(RuleExcluded)
			return Person{Key: p.Key}, hits, false
		}
		apps = slices.Delete(apps, i, i+1)
	}
	apps = slices.DeleteFunc(apps, func(a AppProfile) bool {
		for _, c := range pol.required(a.App) {
			if !a.has(c) {
				hit(ruleConsent(a.App, c))
				return true
			}
		}
		return false
	})
	if len(apps) > 1 {
		apps = slices.DeleteFunc(apps, func(a AppProfile) bool {
			switch pol.Apps[a.App].CrossApp {
			case CrossAppAllowed:
				return false
			case CrossAppNever:
			default:
				if a.ConsentCrossApp {
					return false
				}
			}
			hit(ruleCrossApp(a.App))
			return true
		})
	}
	if len(apps) == 0 {
		hit(RuleExcluded)
		return Person{Key: p.Key}, hits, false
	}
	if len(apps) == len(p.Apps) {
		return p, hits, true
	}
	return MergePerson(p.Key, apps), hits, true
}

func (pol Policy) required(app string) []Consent {
	if a, ok := pol.Apps[app]; ok && a.Require != nil {
		return a.Require
	}
	return []Consent{ConsentAdsPersonalization}
}

func (a AppProfile) has(c Consent) bool {
	switch c {
	case ConsentAdsPersonalization:
		return a.ConsentAds
	case ConsentCrossAppUse:
		return a.ConsentCrossApp
	}
	return false
}
