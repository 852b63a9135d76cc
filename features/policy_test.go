package features

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPolicyApply(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prof := func(app, country string, ads, cross bool) AppProfile {
		return AppProfile{App: app, Accounts: 1, Country: country, UpdatedAt: at, ConsentAds: ads, ConsentCrossApp: cross}
	}
	person := func(ps ...AppProfile) Person { return MergePerson("k", ps) }
	fbFR := prof("facebook", "FR", true, true)
	igFR := prof("instagram", "FR", true, true)
	waDE := prof("whatsapp", "DE", true, true)
	hamburg := Policy{Blocks: []Block{{App: "whatsapp", Country: "DE"}}}
	for _, tc := range []struct {
		name   string
		policy Policy
		in     Person
		apps   []string // left; nil: person removed
		rules  []Rule
	}{
		{"all consents", Policy{}, person(fbFR, igFR), []string{"facebook", "instagram"}, nil},
		{"no ads consent drops the app", Policy{}, person(fbFR, prof("instagram", "FR", false, true)),
			[]string{"facebook"}, []Rule{"consent_ads_personalization_instagram"}},
		{"no ads consent anywhere removes the person", Policy{}, person(prof("facebook", "FR", false, true)),
			nil, []Rule{"consent_ads_personalization_facebook", RuleExcluded}},
		{"no cross-app consent drops the app from a combination", Policy{}, person(fbFR, prof("instagram", "FR", true, false)),
			[]string{"facebook"}, []Rule{"cross_app_instagram"}},
		{"one app needs no cross-app consent", Policy{}, person(prof("instagram", "FR", true, false)),
			[]string{"instagram"}, nil},
		{"nothing combinable removes the person", Policy{}, person(prof("facebook", "FR", true, false), prof("instagram", "FR", true, false)),
			nil, []Rule{"cross_app_facebook", "cross_app_instagram", RuleExcluded}},
		{"cross-app allowed", Policy{Apps: map[string]AppPolicy{"instagram": {CrossApp: CrossAppAllowed}}},
			person(fbFR, prof("instagram", "FR", true, false)), []string{"facebook", "instagram"}, nil},
		{"cross-app never", Policy{Apps: map[string]AppPolicy{"instagram": {CrossApp: CrossAppNever}}},
			person(fbFR, igFR), []string{"facebook"}, []Rule{"cross_app_instagram"}},
		{"required cross-app consent on a lone app", Policy{Apps: map[string]AppPolicy{"facebook": {Require: []Consent{ConsentAdsPersonalization, ConsentCrossAppUse}}}},
			person(prof("facebook", "FR", true, false), igFR), []string{"instagram"}, []Rule{"consent_cross_app_facebook"}},
		{"no consent required", Policy{Apps: map[string]AppPolicy{"facebook": {Require: []Consent{}}}},
			person(prof("facebook", "FR", false, false)), []string{"facebook"}, nil},
		{"block drops the app", hamburg, person(fbFR, waDE), []string{"facebook"}, []Rule{"block_whatsapp_DE"}},
		{"block by the person's country", hamburg, person(prof("whatsapp", "", true, true), prof("facebook", "DE", true, true)),
			[]string{"facebook"}, []Rule{"block_whatsapp_DE"}},
		{"block elsewhere", hamburg, person(fbFR, prof("whatsapp", "FR", true, true)), []string{"facebook", "whatsapp"}, nil},
		{"block of the only app removes the person", hamburg, person(waDE), nil, []Rule{"block_whatsapp_DE", RuleExcluded}},
		{"block exclude", Policy{Blocks: []Block{{App: "whatsapp", Country: "DE", Action: BlockExclude}}}, person(fbFR, waDE),
			nil, []Rule{"block_whatsapp_DE", RuleExcluded}},
		{"block of an app the person lacks", hamburg, person(prof("facebook", "DE", true, true)), []string{"facebook"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, rules, ok := tc.policy.Apply(tc.in)
			if ok != (tc.apps != nil) {
				t.Fatalf("kept %v, want %v", ok, tc.apps != nil)
			}
			var apps []string
			for _, a := range out.Apps {
				apps = append(apps, a.App)
			}
			if ok && !slices.Equal(apps, tc.apps) {
				t.Errorf("apps %v, want %v", apps, tc.apps)
			}
			if !slices.Equal(rules, tc.rules) {
				t.Errorf("rules %v, want %v", rules, tc.rules)
			}
			if out.Key != "k" {
				t.Errorf("key %q", out.Key)
			}
		})
	}
}

func TestPolicyApplyRebuildsDemographics(t *testing.T) {
	// Demographics of a dropped app must not survive in the person.
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fb := AppProfile{App: "facebook", Accounts: 1, UpdatedAt: at, Country: "DE", ConsentAds: true, ConsentCrossApp: true}
	wa := AppProfile{App: "whatsapp", Accounts: 1, UpdatedAt: at.Add(time.Hour), Country: "DE", BirthYear: 1990, Carrier: "o2", ConsentAds: true, ConsentCrossApp: true}
	out, _, _ := Policy{Blocks: []Block{{App: "whatsapp", Country: "DE"}}}.Apply(MergePerson("k", []AppProfile{fb, wa}))
	if out.BirthYear != 0 || out.Carrier != "" || out.App("whatsapp") != nil {
		t.Fatalf("whatsapp's data survived the block: %+v", out)
	}
}

func TestPolicyValidate(t *testing.T) {
	good := Policy{Apps: map[string]AppPolicy{"whatsapp": {Require: []Consent{ConsentCrossAppUse}, CrossApp: CrossAppNever}},
		Blocks: []Block{{App: "whatsapp", Country: "DE", Action: BlockExclude}}}
	if err := good.Validate(DefaultApps); err != nil {
		t.Fatal(err)
	}
	bad := Policy{Apps: map[string]AppPolicy{"myspace": {}, "facebook": {Require: []Consent{"ads"}, CrossApp: "sometimes"}},
		Blocks: []Block{{App: "whatsap", Country: "de", Action: "hide"}}}
	err := bad.Validate(DefaultApps)
	if !errors.Is(err, ErrPolicy) {
		t.Fatalf("got %v, want ErrPolicy", err)
	}
	for _, want := range []string{"apps.myspace", "apps.facebook.require_consent[0]", "apps.facebook.cross_app", "blocks[0].app", "blocks[0].country", "blocks[0].action"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
