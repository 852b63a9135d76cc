package features

import (
	"cmp"
	"slices"
	"time"
)

// AppProfile is what one app knows of one person: the person's account on
// that app (several merged, when the person has duplicate accounts) and
// its activity. Raw phones never reach it: the person is a key.
type AppProfile struct {
	PersonKey       string    `json:"person_key"`
	App             string    `json:"app"`
	Accounts        int       `json:"accounts"` // accounts of this app merged here
	Country         string    `json:"country,omitempty"`
	BirthYear       int       `json:"birth_year,omitempty"`
	Age             int       `json:"age,omitempty"`
	Gender          Gender    `json:"gender,omitempty"`
	OS              string    `json:"os,omitempty"`
	Carrier         string    `json:"carrier,omitempty"`
	CreatedAt       time.Time `json:"created_at"` // earliest account creation
	UpdatedAt       time.Time `json:"updated_at"` // latest account update
	ConsentAds      bool      `json:"consent_ads"`
	ConsentCrossApp bool      `json:"consent_cross_app"`
	Activity        Activity  `json:"activity"`
}

// NewAppProfile makes the profile of one account and its activity.
func NewAppProfile(personKey string, a Account, act Activity) AppProfile {
	return AppProfile{
		PersonKey: personKey, App: a.App, Accounts: 1,
		Country: a.Country, BirthYear: a.BirthYear, Age: a.Age, Gender: a.Gender,
		OS: a.OS, Carrier: a.Carrier, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		ConsentAds: a.ConsentAds, ConsentCrossApp: a.ConsentCrossApp,
		Activity: act,
	}
}

// MergeAppProfiles merges two profiles of the same person on the same app
// (duplicate accounts). Activity adds up; demographics follow the rule of
// MergePerson; consent holds only if every account gave it, since sosie
// cannot tell which account's choice the person meant.
func MergeAppProfiles(p, q AppProfile) AppProfile {
	if newer(q, p) {
		p, q = q, p
	}
	out := p
	out.Accounts = p.Accounts + q.Accounts
	fillDemographics(&out, q)
	if q.CreatedAt.Before(out.CreatedAt) || out.CreatedAt.IsZero() {
		out.CreatedAt = q.CreatedAt
	}
	out.ConsentAds = p.ConsentAds && q.ConsentAds
	out.ConsentCrossApp = p.ConsentCrossApp && q.ConsentCrossApp
	out.Activity = ActivityWindow{}.MergeAccumulators(p.Activity, q.Activity)
	return out
}

// NewestAccount picks, of the rows one user id has in one app's accounts
// (an export may hold a user twice), the one to keep: the most recently
// updated; of rows updated alike, the first read (by source, then line).
// The others are duplicates. It returns the kept row's index, or -1 for
// none.
func NewestAccount(accounts []Account) int {
	best := -1
	for i, a := range accounts {
		if best < 0 {
			best = i
			continue
		}
		b := accounts[best]
		if c := a.UpdatedAt.Compare(b.UpdatedAt); c > 0 || (c == 0 && (a.Source < b.Source || (a.Source == b.Source && a.Line < b.Line))) {
			best = i
		}
	}
	return best
}

// newer orders profiles for the demographics rule: the later UpdatedAt
// first, then the app name, then the creation time, so the order is total
// and the merge deterministic.
func newer(p, q AppProfile) bool {
	if c := p.UpdatedAt.Compare(q.UpdatedAt); c != 0 {
		return c > 0
	}
	if p.App != q.App {
		return p.App < q.App
	}
	return p.CreatedAt.Before(q.CreatedAt)
}

// fillDemographics fills dst's unknown demographic fields from src.
func fillDemographics(dst *AppProfile, src AppProfile) {
	if dst.Country == "" {
		dst.Country = src.Country
	}
	if dst.BirthYear == 0 {
		dst.BirthYear = src.BirthYear
	}
	if dst.Age == 0 {
		dst.Age = src.Age
	}
	if dst.Gender == GenderUnknown {
		dst.Gender = src.Gender
	}
	if dst.OS == "" {
		dst.OS = src.OS
	}
	if dst.Carrier == "" {
		dst.Carrier = src.Carrier
	}
}

// Person is one person after the cross-app join: a profile per app and
// demographics resolved across them.
type Person struct {
	Key  string       `json:"person_key"`
	Apps []AppProfile `json:"apps"` // one per app, sorted by app name

	// Demographics resolved by the rule of MergePerson.
	Country   string `json:"country,omitempty"`
	BirthYear int    `json:"birth_year,omitempty"`
	Age       int    `json:"age,omitempty"`
	Gender    Gender `json:"gender,omitempty"`
	OS        string `json:"os,omitempty"`
	Carrier   string `json:"carrier,omitempty"`
}

// MergePerson joins the app profiles of one person key. Profiles of the same
// app are merged first (MergeAppProfiles).
//
// When apps disagree on demographics, each field is taken from the most
// recently updated profile that knows it (ties broken by app name): people
// update the app they use, so the newest non-empty answer is the best one,
// and a field one app lacks is filled by another.
func MergePerson(key string, profiles []AppProfile) Person {
	byApp := make([]AppProfile, 0, len(profiles))
	for _, p := range profiles {
		i := slices.IndexFunc(byApp, func(q AppProfile) bool { return q.App == p.App })
		if i < 0 {
			byApp = append(byApp, p)
		} else {
			byApp[i] = MergeAppProfiles(byApp[i], p)
		}
	}
	slices.SortFunc(byApp, func(a, b AppProfile) int { return cmp.Compare(a.App, b.App) })

	order := slices.Clone(byApp)
	slices.SortFunc(order, func(a, b AppProfile) int {
		switch {
		case newer(a, b):
			return -1
		case newer(b, a):
			return 1
		}
		return 0
	})
	var d AppProfile
	for _, p := range order {
		fillDemographics(&d, p)
	}
	return Person{
		Key: key, Apps: byApp,
		Country: d.Country, BirthYear: d.BirthYear, Age: d.Age,
		Gender: d.Gender, OS: d.OS, Carrier: d.Carrier,
	}
}

// App returns the person's profile on app, or nil.
func (p *Person) App(app string) *AppProfile {
	for i := range p.Apps {
		if p.Apps[i].App == app {
			return &p.Apps[i]
		}
	}
	return nil
}

// AgeAt is the person's age at asOf from the birth year, else the declared
// age; 0 when unknown.
func (p *Person) AgeAt(asOf time.Time) int {
	if p.BirthYear > 0 {
		return asOf.Year() - p.BirthYear
	}
	return p.Age
}
