package pipelines

import (
	"context"
	"math"
	"sort"

	"github.com/sosie-dev/sosie/features"
)

// BaselineApp is one app's input files for Baseline.
type BaselineApp struct {
	Options  FeaturizeOptions
	Accounts []string
	Events   []string
	Columns  features.AccountColumns
	EventCol features.EventColumns
}

// BaselineResult counts what Baseline produced.
type BaselineResult struct {
	Persons     int
	Matched     int
	Prospects   int
	DeadLetters int
}

// Baseline computes what the lookalike pipeline computes — read,
// featurize, join, match, train, score, write — in one plain Go loop in
// this process, with no Beam: maps instead of shuffles, an exact sort
// instead of the quantile sketch. It calls the pipeline's own element
// functions, so the difference in running time between the two is what
// Beam and the runner cost. It exists to measure that (the 100k-person
// benchmark), not to run in production: it holds everything in memory.
func Baseline(apps []BaselineApp, lists []SeedList, pepper Pepper, policy features.Policy, opt ScoreOptions, prospectPaths ...string) (BaselineResult, error) {
	ctx := context.Background()
	var res BaselineResult
	var dead []DeadLetter
	deadFn := func(d DeadLetter) { dead = append(dead, d) }
	identities := map[string][]Identity{}
	byKeyProfiles := map[string][]features.AppProfile{}

	for _, app := range apps {
		var accounts []features.Account
		ra := &readAccountsFn{App: app.Options.App, Columns: app.Columns}
		for _, f := range app.Accounts {
			if err := ra.ProcessElement(ctx, f, func(a features.Account) { accounts = append(accounts, a) }, deadFn, func(InputFile) {}); err != nil {
				return res, err
			}
		}
		activity := map[string]features.Activity{}
		re := &readEventsFn{App: app.Options.App, Columns: app.EventCol}
		w := app.Options.Window
		for _, f := range app.Events {
			if err := re.ProcessElement(ctx, f, func(e features.Event) { activity[e.UserID] = w.AddInput(activity[e.UserID], e) }, deadFn, func(InputFile) {}); err != nil {
				return res, err
			}
		}
		norm := &normalizeAccountFn{Options: app.Options}
		if err := norm.Setup(); err != nil {
			return res, err
		}
		byKey := map[string][]keyedAccount{}
		rejected := map[string][]string{}
		for _, a := range accounts {
			norm.ProcessElement(ctx, a,
				func(k string, ka keyedAccount) { byKey[k] = append(byKey[k], ka) },
				func(u, r string) { rejected[u] = append(rejected[u], r) },
				func(h string, id Identity) { identities[h] = append(identities[h], id) }, deadFn)
		}
		byUser := map[string][]keyedAccount{}
		shared := &sharedPhoneFn{Options: app.Options}
		for k, kas := range byKey {
			shared.ProcessElement(ctx, k, iterOf(kas),
				func(u string, ka keyedAccount) { byUser[u] = append(byUser[u], ka) },
				func(u, r string) { rejected[u] = append(rejected[u], r) }, deadFn)
		}
		users := map[string]bool{}
		for u := range byUser {
			users[u] = true
		}
		for u := range activity {
			users[u] = true
		}
		for u := range rejected {
			users[u] = true
		}
		build := &buildProfileFn{Options: app.Options}
		for u := range users {
			var acts []features.Activity
			if a, ok := activity[u]; ok {
				acts = append(acts, a)
			}
			build.ProcessElement(ctx, u, iterOf(byUser[u]), iterOf(acts), iterOf(rejected[u]),
				func(p features.AppProfile) { byKeyProfiles[p.PersonKey] = append(byKeyProfiles[p.PersonKey], p) }, deadFn)
		}
	}

	persons := make(map[string]features.Person, len(byKeyProfiles))
	for k, ps := range byKeyProfiles {
		if p, _, ok := policy.Apply(mergePerson(ctx, k, iterOf(ps))); ok {
			persons[k] = p
		}
	}
	res.Persons = len(persons)

	// Match.
	countries := map[string]string{}
	for _, l := range lists {
		countries[l.ID] = l.Country
	}
	seedRow := &seedRowFn{Pepper: pepper, Countries: countries}
	if err := seedRow.Setup(); err != nil {
		return res, err
	}
	hits := map[string][]seedHit{}
	hashed := map[string][]seedHit{}
	ids := map[string][]seedHit{}
	for _, l := range lists {
		if err := (&readSeedsFn{}).ProcessElement(ctx, l, func(r SeedRow) {
			seedRow.ProcessElement(ctx, r, func(k string, h seedHit) { ids[k] = append(ids[k], h) }, func(string, seedOutcome) {}, deadFn)
		}, deadFn, func(InputFile) {}); err != nil {
			return res, err
		}
	}
	for k, hs := range ids {
		firstOfIdentity(k, iterOf(hs),
			func(k string, h seedHit) { hits[k] = append(hits[k], h) },
			func(k string, h seedHit) { hashed[k] = append(hashed[k], h) },
			func(string, seedOutcome) {})
	}
	for h, hs := range hashed {
		resolveHash(h, iterOf(hs), iterOf(identities[h]), func(k string, h seedHit) { hits[k] = append(hits[k], h) }, func(string, seedOutcome) {})
	}
	seedsOf := map[string][]seedOf{}
	for k, hs := range hits {
		var ps []features.Person
		if p, ok := persons[k]; ok {
			ps = append(ps, p)
		}
		matchPerson(ctx, k, iterOf(hs), iterOf(ps), func(m MatchedSeed) {
			res.Matched++
			seedsOf[m.Key] = append(seedsOf[m.Key], seedOf{m.List, m.Value})
		}, func(string, seedOutcome) {})
	}

	// Train.
	topt := opt.Train.withDefaults()
	rowsFn := &trainRowsFn{Options: topt}
	if err := rowsFn.Setup(); err != nil {
		return res, err
	}
	rows := map[string][]trainRow{}
	for k, p := range persons {
		rowsFn.ProcessElement(ctx, k, iterOf([]features.Person{p}), iterOf(seedsOf[k]), len(persons),
			func(l string, r trainRow) { rows[l] = append(rows[l], r) })
	}
	var models []TrainedModel
	fit := &fitFn{Options: topt}
	for _, l := range topt.Lists {
		if err := fit.ProcessElement(ctx, l, iterOf(rows[l]), func(m TrainedModel) { models = append(models, m) }); err != nil {
			return res, err
		}
	}

	// Score, with exact quantiles of the same hash sample.
	score := &scoreFn{Options: topt}
	if err := score.Setup(); err != nil {
		return res, err
	}
	scores := map[string][]listScore{}
	keep := func(s listScore) { scores[s.List] = append(scores[s.List], s) }
	for k, p := range persons {
		var in scoreInput
		personToScore(k, iterOf([]features.Person{p}), iterOf(seedsOf[k]), func(i scoreInput) { in = i })
		if err := score.ProcessElement(ctx, in, iterOf(models), keep); err != nil {
			return res, err
		}
	}
	if err := score.FinishBundle(ctx, iterOf(models), keep); err != nil {
		return res, err
	}
	var prospects []Prospect
	for _, l := range topt.Lists {
		sampler := &sampleScoreFn{Seed: topt.RunSeed, Size: quantileSample}
		var sample []float64
		for _, s := range scores[l] {
			sampler.ProcessElement(s, len(persons), func(v float64) { sample = append(sample, v) })
		}
		sort.Float64s(sample)
		cuts := make([]float64, 0, 99)
		for q := 1; q < 100; q++ {
			if len(sample) > 0 {
				cuts = append(cuts, sample[min(len(sample)-1, int(math.Round(float64(q)*float64(len(sample)-1)/100)))])
			}
		}
		tier := &tierFn{List: l, Percent: opt.AudiencePercent[l], RunID: topt.RunID, Advertiser: opt.Advertisers[l], ScoredAt: opt.ScoredAt, AsOf: topt.Window.AsOf.Format("2006-01-02")}
		for _, s := range scores[l] {
			tier.ProcessElement(ctx, s, cuts, func(p Prospect) { prospects = append(prospects, p) })
		}
	}
	res.Prospects = len(prospects)
	if len(prospectPaths) > 0 {
		w := &writeProspectsFn{Paths: prospectPaths}
		if err := w.ProcessElement(ctx, nil, iterOf(prospects)); err != nil {
			return res, err
		}
	}
	res.DeadLetters = len(dead)
	return res, nil
}

// iterOf is a Beam-style iterator over xs.
func iterOf[T any](xs []T) func(*T) bool {
	i := 0
	return func(v *T) bool {
		if i >= len(xs) {
			return false
		}
		*v = xs[i]
		i++
		return true
	}
}
