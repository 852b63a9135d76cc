package pipelines

import (
	"context"
	"fmt"

	"github.com/sosie-dev/sosie/features"
)

// BaselineResult counts what Baseline produced.
type BaselineResult struct {
	Persons     int
	Matched     int
	Prospects   int
	DeadLetters int
}

// Baseline computes what LookalikeGraph computes from the same
// GraphOptions — the same stages in the same order, each calling the
// graph's own element functions — in plain Go loops in this process, with
// no Beam: maps instead of shuffles, the same percentiles of the same hash
// samples computed in place. Its prospects equal the graph's (a test
// holds them to it), so the difference in running time between the two is
// what Beam and the runner cost. It exists to measure that (--plain-go,
// the benchmarks), not to run in production: it reads files only, writes
// only the prospects (o.Out.Prospects) and holds everything in memory.
func Baseline(ctx context.Context, o GraphOptions) (BaselineResult, error) {
	b := &baseline{o: o}
	if err := b.featurizeApps(ctx); err != nil {
		return b.res, err
	}
	if err := b.usable(ctx); err != nil {
		return b.res, err
	}
	if err := b.matchSeeds(ctx); err != nil {
		return b.res, err
	}
	models, err := b.train(ctx)
	if err != nil {
		return b.res, err
	}
	prospects, err := b.score(ctx, models)
	if err != nil {
		return b.res, err
	}
	prospects = withholdSmall(o.MinAudience, o.Score.Countries, prospects)
	b.res.Prospects, b.res.DeadLetters = len(prospects), b.dead
	if len(o.Out.Prospects) > 0 {
		w := &writeProspectsFn{Paths: o.Out.Prospects}
		if err := w.ProcessElement(ctx, nil, iterOf(prospects)); err != nil {
			return b.res, err
		}
	}
	return b.res, nil
}

// baseline is Baseline's state between stages: what the graph's
// PCollections hold.
type baseline struct {
	o          GraphOptions
	res        BaselineResult
	dead       int
	persons    map[string]features.Person // person key → person
	identities map[string][]Identity      // phone hash key → identities
	seedsOf    map[string][]seedOf        // person key → the lists it is a seed of
}

func (b *baseline) deadLetter(DeadLetter) { b.dead++ }

// featurizeApps is featurizeApps of the graph: every app read, featurized
// and joined by phone.
func (b *baseline) featurizeApps(ctx context.Context) error {
	b.identities = map[string][]Identity{}
	profiles := map[string][]AccountProfile{}
	for _, app := range b.o.Apps {
		if app.AccountsTable != "" || app.EventsTable != "" {
			return fmt.Errorf("app %s: the plain Go run reads files only, not BigQuery tables", app.Name)
		}
		opt := b.o.Featurize
		opt.App = app.Name
		if err := b.featurize(ctx, opt, app.Accounts, app.Events, app.AccountColumns, app.EventColumns, profiles); err != nil {
			return fmt.Errorf("app %s: %w", app.Name, err)
		}
	}
	b.persons = make(map[string]features.Person, len(profiles))
	join := &personJoiner{MaxPerPhone: b.o.Featurize.MaxPerPhone}
	for k, ps := range profiles {
		join.join(ctx, k, ps, func(p features.Person) { b.persons[k] = p }, b.deadLetter)
	}
	return nil
}

// featurize is Featurize for one app, reading its files.
func (b *baseline) featurize(ctx context.Context, opt FeaturizeOptions, accountFiles, eventFiles []string, cols features.AccountColumns, ecols features.EventColumns, profiles map[string][]AccountProfile) error {
	af, err := appFiles("accounts", accountFiles)
	if err != nil {
		return err
	}
	ef, err := appFiles("events", eventFiles)
	if err != nil {
		return err
	}
	var accounts []features.Account
	ra := &readAccountsFn{App: opt.App, Columns: cols}
	for _, f := range af {
		if err := ra.ProcessElement(ctx, f, func(a features.Account) { accounts = append(accounts, a) }, b.deadLetter, func(InputFile) {}); err != nil {
			return err
		}
	}
	activity := map[string]features.Activity{}
	re := &readActivityFn{App: opt.App, Columns: ecols, Window: opt.Window}
	re.Setup()
	for _, f := range ef {
		if err := re.ProcessElement(ctx, f, func(u string, a features.Activity) { activity[u] = opt.Window.MergeAccumulators(activity[u], a) }, b.deadLetter, func(InputFile) {}); err != nil {
			return err
		}
	}
	norm := &normalizeAccountFn{Options: opt}
	if err := norm.Setup(); err != nil {
		return err
	}
	byUser := map[string][]keyedAccount{}
	rejected := map[string][]string{}
	for _, a := range accounts {
		norm.normalize(ctx, a,
			func(u string, ka keyedAccount) { byUser[u] = append(byUser[u], ka) },
			func(u, r string) { rejected[u] = append(rejected[u], r) },
			func(h string, id Identity) { b.identities[h] = append(b.identities[h], id) }, b.deadLetter)
	}
	users := map[string]bool{}
	for _, m := range []map[string]bool{keysOf(byUser), keysOf(activity), keysOf(rejected)} {
		for u := range m {
			users[u] = true
		}
	}
	build := profileBuilder{Options: opt}
	for u := range users {
		var acts []features.Activity
		if a, ok := activity[u]; ok {
			acts = append(acts, a)
		}
		build.build(ctx, u, byUser[u], acts, rejected[u],
			func(p AccountProfile) { profiles[p.Profile.PersonKey] = append(profiles[p.Profile.PersonKey], p) }, b.deadLetter)
	}
	return nil
}

// usable is usable of the graph: the opt-out lists, then the policy.
func (b *baseline) usable(ctx context.Context) error {
	if len(b.o.OptOut) > 0 {
		files, err := ExpandFiles(b.o.OptOut...)
		if err == nil {
			err = CheckFormats("opt_out", files, CSV, TSV, Text)
		}
		if err != nil {
			return fmt.Errorf("opt_out: %w", err)
		}
		read := &readOptOutFn{Pepper: b.o.Featurize.Pepper, DefaultRegion: b.o.Featurize.DefaultRegion}
		if err := read.Setup(); err != nil {
			return err
		}
		out := map[string]bool{}
		for _, f := range files {
			err := read.ProcessElement(ctx, f, func(k string, _ bool) { out[k] = true }, func(h string, _ bool) {
				for _, id := range b.identities[h] {
					out[id.Key] = true
				}
			}, b.deadLetter, func(InputFile) {})
			if err != nil {
				return err
			}
		}
		for k := range out {
			delete(b.persons, k)
		}
	}
	for k, p := range b.persons {
		if kept, _, ok := b.o.Policy.Apply(p); ok {
			b.persons[k] = kept
		} else {
			delete(b.persons, k)
		}
	}
	b.res.Persons = len(b.persons)
	return nil
}

// matchSeeds is matchSeeds of the graph: every seed list read from its
// file and matched against the persons.
func (b *baseline) matchSeeds(ctx context.Context) error {
	countries := map[string]string{}
	for _, l := range b.o.Lists {
		if l.Table != "" {
			return fmt.Errorf("seed list %s: the plain Go run reads files only, not BigQuery tables", l.ID)
		}
		countries[l.ID] = l.Country
	}
	seedRow := &seedRowFn{Pepper: b.o.Featurize.Pepper, Countries: countries}
	if err := seedRow.Setup(); err != nil {
		return err
	}
	ids := map[string][]seedHit{}
	for _, l := range b.o.Lists {
		if err := (&readSeedsFn{}).ProcessElement(ctx, l, func(r SeedRow) {
			seedRow.ProcessElement(ctx, r, func(k string, h seedHit) { ids[k] = append(ids[k], h) }, func(string, seedOutcome) {}, b.deadLetter)
		}, b.deadLetter, func(InputFile) {}); err != nil {
			return err
		}
	}
	hits := map[string][]seedHit{}
	hashed := map[string][]seedHit{}
	for k, hs := range ids {
		firstOfIdentity(k, iterOf(hs),
			func(k string, h seedHit) { hits[k] = append(hits[k], h) },
			func(k string, h seedHit) { hashed[k] = append(hashed[k], h) },
			func(string, seedOutcome) {})
	}
	for h, hs := range hashed {
		resolveHash(h, iterOf(hs), iterOf(b.identities[h]), func(k string, h seedHit) { hits[k] = append(hits[k], h) }, func(string, seedOutcome) {})
	}
	b.seedsOf = map[string][]seedOf{}
	for k, hs := range hits {
		var ps []personApps
		if p, ok := b.persons[k]; ok {
			_, apps := keyPersonApps(p)
			ps = append(ps, apps)
		}
		matchPerson(ctx, k, iterOf(hs), iterOf(ps), func(m MatchedSeed) {
			b.res.Matched++
			b.seedsOf[m.Key] = append(b.seedsOf[m.Key], seedOf{m.List, m.Value})
		}, func(string, seedOutcome) {})
	}
	return nil
}

// train is WithSeeds and Train: a model per list.
func (b *baseline) train(ctx context.Context) ([]TrainedModel, error) {
	topt := b.o.Score.Train.withDefaults()
	rowsFn := &trainRowsFn{Options: topt}
	if err := rowsFn.Setup(); err != nil {
		return nil, err
	}
	rows := map[string][]trainRow{}
	for k, p := range b.persons {
		rowsFn.ProcessElement(ctx, seededPerson{Person: p, Seeds: b.seedsOf[k]}, len(b.persons),
			func(l string, r trainRow) { rows[l] = append(rows[l], r) })
	}
	var models []TrainedModel
	fit := &fitFn{Options: topt}
	for _, l := range topt.Lists {
		if err := fit.ProcessElement(ctx, l, iterOf(rows[l]), func(m TrainedModel) { models = append(models, m) }); err != nil {
			return nil, err
		}
	}
	return models, nil
}

// score is Score: everyone but the seeds scored in blocks, then tiered
// on the exact quantiles of the same hash sample of each audience.
func (b *baseline) score(ctx context.Context, models []TrainedModel) ([]Prospect, error) {
	opt := b.o.Score
	topt := opt.Train.withDefaults()
	score := &scoreFn{Options: topt, Exclude: opt.Exclude, Countries: opt.Countries}
	if err := score.Setup(); err != nil {
		return nil, err
	}
	var scores []listScore
	sizes := map[string]int{}
	keep := func(s listScore) {
		scores = append(scores, s)
		sizes[s.Audience]++
	}
	for k, p := range b.persons {
		if err := score.ProcessElement(ctx, seededPerson{Person: p, Seeds: b.seedsOf[k]}, iterOf(models), keep); err != nil {
			return nil, err
		}
	}
	if err := score.FinishBundle(ctx, iterOf(models), keep); err != nil {
		return nil, err
	}
	var counts []audienceCount
	for a, n := range sizes {
		counts = append(counts, audienceCount{a, n})
	}
	sampler := &sampleScoreFn{Seed: topt.RunSeed, Size: quantileSample}
	samples := map[string][]float64{}
	for _, s := range scores {
		sampler.ProcessElement(s, iterOf(counts), func(a string, v float64) { samples[a] = append(samples[a], v) })
	}
	var cuts []audienceCuts
	for a, sample := range samples {
		cuts = append(cuts, cutsOf(a, iterOf(sample)))
	}
	tier := &tierFn{Percent: opt.AudiencePercent, RunID: topt.RunID, Advertisers: opt.Advertisers, ScoredAt: opt.ScoredAt, AsOf: topt.Window.AsOf.Format("2006-01-02")}
	var prospects []Prospect
	for _, s := range scores {
		tier.ProcessElement(ctx, s, iterOf(cuts), func(p Prospect) { prospects = append(prospects, p) })
	}
	return prospects, nil
}

// withholdSmall is WithholdSmallAudiences: the prospects of lists of
// fewer than min are dropped, and those of a list's target countries
// whose audience is under min.
func withholdSmall(min int, countries map[string][]string, prospects []Prospect) []Prospect {
	size := map[string]int{}
	audience := &audienceOfFn{Countries: countries}
	for _, p := range prospects {
		audience.ProcessElement(p, func(a string, n int) { size[a] += n })
	}
	kept := prospects[:0]
	for _, p := range prospects {
		if size[p.List] >= min && (len(countries[p.List]) == 0 || size[audienceOf(p.List, p.Country, countries[p.List])] >= min) {
			kept = append(kept, p)
		}
	}
	return kept
}

// keysOf is the set of m's keys.
func keysOf[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
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
