package features

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestMergePersonDemographicsRule(t *testing.T) {
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	recent := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	fb := AppProfile{App: "facebook", Accounts: 1, UpdatedAt: old, Country: "FR", BirthYear: 1980, Gender: GenderFemale, OS: "android", Carrier: "orange"}
	ig := AppProfile{App: "instagram", Accounts: 1, UpdatedAt: recent, Country: "DE", OS: "ios"}
	p := MergePerson("k", []AppProfile{fb, ig})
	// The newer profile wins where it knows; the older one fills the gaps.
	if p.Country != "DE" || p.OS != "ios" || p.BirthYear != 1980 || p.Gender != GenderFemale || p.Carrier != "orange" {
		t.Fatalf("merged demographics %+v", p)
	}
	if names := []string{p.Apps[0].App, p.Apps[1].App}; !slices.Equal(names, []string{"facebook", "instagram"}) {
		t.Fatalf("apps %v, want sorted", names)
	}
	// Input order does not matter.
	q := MergePerson("k", []AppProfile{ig, fb})
	if q.Country != p.Country || q.OS != p.OS || q.BirthYear != p.BirthYear {
		t.Fatalf("order changed the result: %+v vs %+v", q, p)
	}
}

func TestMergePersonDuplicateAccounts(t *testing.T) {
	w := ActivityWindow{AsOf: asOf, Days: 30}
	a1 := w.AddInput(Activity{}, Event{Time: asOf.Add(-time.Hour), Type: EventLike})
	a2 := w.AddInput(Activity{}, Event{Time: asOf.Add(-48 * time.Hour), Type: EventShare})
	p1 := AppProfile{App: "facebook", Accounts: 1, CreatedAt: asOf.AddDate(-3, 0, 0), UpdatedAt: asOf.AddDate(0, -1, 0), ConsentAds: true, ConsentCrossApp: true, Activity: a1}
	p2 := AppProfile{App: "facebook", Accounts: 1, CreatedAt: asOf.AddDate(-1, 0, 0), UpdatedAt: asOf.AddDate(0, -2, 0), ConsentAds: true, Activity: a2}
	p := MergePerson("k", []AppProfile{p1, p2})
	if len(p.Apps) != 1 {
		t.Fatalf("%d app profiles, want 1", len(p.Apps))
	}
	fb := p.App("facebook")
	if fb.Accounts != 2 || fb.Activity.Total() != 2 || !fb.CreatedAt.Equal(p1.CreatedAt) {
		t.Fatalf("merged %+v", fb)
	}
	if !fb.ConsentAds || fb.ConsentCrossApp {
		t.Fatalf("consent must hold only where every account gave it: ads %v, cross-app %v", fb.ConsentAds, fb.ConsentCrossApp)
	}
}

func TestSchemaNamesAndVersion(t *testing.T) {
	s, err := NewSchema(SchemaConfig{})
	if err != nil {
		t.Fatal(err)
	}
	names := s.Names()
	if len(names) != s.Len() || s.Len() < 50 {
		t.Fatalf("%d features", s.Len())
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Fatalf("feature %q twice", n)
		}
		seen[n] = true
	}
	for _, want := range []string{"age_25_34", "gender_female", "country_FR", "os_ios", "carrier_orange", "linked_apps",
		"app_whatsapp_present", "app_instagram_events_story_view", "category_travel_share", "events_total"} {
		if !seen[want] {
			t.Errorf("no feature %q", want)
		}
	}
	again, _ := NewSchema(SchemaConfig{Apps: DefaultApps})
	if again.Version() != s.Version() {
		t.Errorf("same schema, versions %s and %s", again.Version(), s.Version())
	}
	other, _ := NewSchema(SchemaConfig{Apps: []string{"facebook", "instagram"}})
	if other.Version() == s.Version() {
		t.Errorf("different schemas share version %s", s.Version())
	}
	for _, bad := range []SchemaConfig{{Apps: []string{"a", "A"}}, {Countries: []string{"FR", ""}}, {Carriers: []string{"free mobile"}}} {
		if _, err := NewSchema(bad); err == nil {
			t.Errorf("NewSchema(%+v) accepted", bad)
		}
	}
}

func TestVectorize(t *testing.T) {
	s, _ := NewSchema(SchemaConfig{})
	w := ActivityWindow{AsOf: asOf, Days: 30}
	act := Activity{}
	for _, e := range []Event{
		{Time: asOf.Add(-2 * 24 * time.Hour), Type: EventLike, Category: CategoryTravel},
		{Time: asOf.Add(-2 * 24 * time.Hour), Type: EventLike, Category: CategoryTravel},
		{Time: asOf.Add(-5 * 24 * time.Hour), Type: EventPurchase, Category: CategoryBeauty},
	} {
		act = w.AddInput(act, e)
	}
	p := MergePerson("k", []AppProfile{
		{App: "instagram", Accounts: 1, CreatedAt: asOf.AddDate(-2, 0, 0), Activity: act, BirthYear: 1996, Gender: GenderMale, Country: "BR", OS: "ios", Carrier: "claro"},
		{App: "messenger", Accounts: 1},
		{App: "tiktok", Accounts: 1}, // not in the schema: ignored
	})
	v := make([]float64, s.Len())
	s.Vectorize(&p, asOf, w, v)
	get := func(name string) float64 {
		i := slices.Index(s.Names(), name)
		if i < 0 {
			t.Fatalf("no feature %s", name)
		}
		return v[i]
	}
	const tol = 1e-9
	checks := map[string]float64{
		"age_25_34": 1, "age_unknown": 0, "gender_male": 1, "country_BR": 1, "os_ios": 1, "carrier_claro": 1,
		"linked_apps": 2, "app_instagram_present": 1, "app_messenger_present": 1, "app_facebook_present": 0,
		"app_instagram_tenure_years": 2 * 365 / 365.25, "app_instagram_active_days": 2, "app_instagram_recency_days": 2,
		"app_instagram_events_like": math.Log1p(2), "app_instagram_events_purchase": math.Log1p(1),
		"app_messenger_recency_days": 30, "app_messenger_tenure_years": 0,
		"category_travel_share": 2.0 / 3, "category_beauty_share": 1.0 / 3, "events_total": math.Log1p(3),
	}
	for name, want := range checks {
		if got := get(name); math.Abs(got-want) > 0.01 && math.Abs(got-want) > tol {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// Exactly one column per one-hot group is set.
	for _, prefix := range []string{"age_", "gender_", "country_", "os_", "carrier_"} {
		sum := 0.0
		for i, f := range s.Features() {
			if f.Kind == OneHot && len(f.Name) > len(prefix) && f.Name[:len(prefix)] == prefix {
				sum += v[i]
			}
		}
		if sum != 1 {
			t.Errorf("one-hot group %s sums to %v", prefix, sum)
		}
	}
	// Unknowns and out-of-vocabulary values land in their own columns.
	q := MergePerson("k2", []AppProfile{{App: "facebook", Accounts: 1, Country: "JP", OS: "kaios"}})
	s.Vectorize(&q, asOf, w, v)
	if get("country_other") != 1 || get("os_other") != 1 || get("carrier_unknown") != 1 || get("age_unknown") != 1 || get("gender_unknown") != 1 {
		t.Errorf("unknown and other columns: %v", v[:20])
	}
}

func TestNewestAccount(t *testing.T) {
	at := func(day int) time.Time { return time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name     string
		accounts []Account
		want     int
	}{
		{"none", nil, -1},
		{"one", []Account{{UpdatedAt: at(1)}}, 0},
		{"the newest", []Account{{UpdatedAt: at(1)}, {UpdatedAt: at(3)}, {UpdatedAt: at(2)}}, 1},
		{"a tie: the first read", []Account{{UpdatedAt: at(3), Source: "b.csv", Line: 2}, {UpdatedAt: at(3), Source: "a.csv", Line: 9}, {UpdatedAt: at(3), Source: "a.csv", Line: 4}}, 2},
		{"no time: the first read", []Account{{Source: "a", Line: 5}, {Source: "a", Line: 3}}, 1},
	} {
		if got := NewestAccount(tc.accounts); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
