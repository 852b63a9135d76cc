package pipelines

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
)

// This file is the table of contents: the four graphs the jobs run, each
// built from one GraphOptions value.
//
//	LookalikeGraph  apps → persons → seed match → models → prospects
//	FeaturizeGraph  apps → persons and identities (files for train, score)
//	TrainGraph      persons, identities, seed lists → models
//	ScoreGraph      persons, identities, seed lists, models → prospects
//
// A graph function adds its transforms and writers to a scope and returns
// an error, before any work, for an input it cannot read: a file pattern
// that matches nothing, a format sosie does not read, a table without a
// column sosie needs.

// GraphOptions is everything a graph reads, decides and writes. Each graph
// uses the fields its stages need; the jobs fill them from configs.Config.
type GraphOptions struct {
	// Apps are the apps read from files (Accounts, Events patterns) or
	// tables (AccountsTable, EventsTable, through Tables).
	Apps []configs.App
	// Featurize is the per-app featurization; its App is set per app.
	Featurize FeaturizeOptions
	// OptOut are the opt-out lists' file patterns, applied before Policy.
	OptOut []string
	// Policy is the consent and regional policy persons must pass.
	Policy features.Policy
	// Lists are the seed lists, each a file or a table (through Tables).
	Lists []SeedList
	// Score carries the training options (Score.Train) and the scoring's.
	Score ScoreOptions
	// MinAudience withholds a prospect list smaller than it.
	MinAudience int
	// Profiles are the persons and identities files featurize wrote (the
	// train and score graphs read them instead of apps).
	Profiles ProfileFiles
	// Models is the models file train wrote (the score graph).
	Models string
	// Tables reads the apps and seed lists that name a table; nil when
	// every input is a file.
	Tables TableSource
	// Out is where the graph writes.
	Out GraphOutputs
}

// ProfileFiles are the persons and identities files featurize wrote.
type ProfileFiles struct {
	Persons, Identities []string
}

// GraphOutputs are a graph's outputs: files (an empty name is not
// written) and, optionally, BigQuery tables.
type GraphOutputs struct {
	Persons, Identities string   // featurize
	Models              string   // lookalike, train
	Prospects           []string // lookalike, score: one file per format, the first JSONL
	SeedMatch           string   // lookalike, train, score
	Audiences           string   // lookalike, score
	Distributions       string   // lookalike, score: ScoreDistribution
	DeadLetters         string   // every graph
	Inputs              string   // every graph: the input files' accounting
	// Header is the header of a file of kind (PersonsKind, IdentitiesKind,
	// ModelsKind) that a graph hands to another job.
	Header func(kind string) *FileHeader
	// Tables writes the results to BigQuery; nil for files only.
	Tables TableSink
}

// TableSource reads BigQuery tables for a graph (pipelines/bqio through
// the jobs). Each method checks the table and opens its read session
// before it adds the read to s.
type TableSource interface {
	// Accounts reads app's accounts table: accounts (features.Account)
	// and dead letters.
	Accounts(ctx context.Context, s beam.Scope, app configs.App) (accounts, dead beam.PCollection, err error)
	// Events reads app's events table within the window: events
	// (features.Event) and dead letters.
	Events(ctx context.Context, s beam.Scope, app configs.App, w features.ActivityWindow) (events, dead beam.PCollection, err error)
	// SeedRows reads the seed list's table (l.Table): SeedRow.
	SeedRows(ctx context.Context, s beam.Scope, l SeedList) (beam.PCollection, error)
}

// TableSink writes a graph's results to BigQuery tables.
type TableSink interface {
	Prospects(s beam.Scope, prospects beam.PCollection)
	SeedMatch(s beam.Scope, reports beam.PCollection)
	DeadLetters(s beam.Scope, dead beam.PCollection)
}

// flow is what a graph's stages hand on: persons (features.Person) and
// identities (Identity; one collection per app, so that a stage that needs
// a few of them does not copy them all first), every dead letter
// (DeadLetter), and every input file's accounting (InputFile).
type flow struct {
	persons                  beam.PCollection
	identities, dead, inputs []beam.PCollection
}

// LookalikeGraph adds the whole flow to s: read and featurize every app,
// join the apps by phone, drop opted-out persons and apply the policy,
// match the seed lists, train a model per list, score and tier everyone
// else, withhold small audiences, write.
func LookalikeGraph(ctx context.Context, s beam.Scope, o GraphOptions) error {
	f, err := featurizeApps(ctx, s, o)
	if err != nil {
		return err
	}
	if err := f.usable(s, o); err != nil {
		return err
	}
	matched, reports, err := f.matchSeeds(ctx, s, o)
	if err != nil {
		return err
	}
	seeded := WithSeeds(s, f.persons, matched)
	models := Train(s, o.Score.Train, seeded)
	scored, dists := Score(s, o.Score, seeded, models)
	prospects, sizes := WithholdSmallAudiences(s, o.MinAudience, o.Score.Train.Lists, o.Score.Countries, scored)
	f.write(s, o.Out, results{prospects: prospects, sizes: sizes, distributions: dists, reports: reports, models: models, seedMatchTable: true})
	return nil
}

// FeaturizeGraph adds the featurize job's graph to s: every app read,
// featurized and joined, the privacy rules applied, persons and
// identities written for train and score.
func FeaturizeGraph(ctx context.Context, s beam.Scope, o GraphOptions) error {
	f, err := featurizeApps(ctx, s, o)
	if err != nil {
		return err
	}
	if err := f.usable(s, o); err != nil {
		return err
	}
	f.write(s, o.Out, results{})
	return nil
}

// TrainGraph adds the train job's graph to s: featurize's persons and
// identities read, the privacy rules applied again (a rule added since
// holds at once), the seed lists matched, a model trained per list.
func TrainGraph(ctx context.Context, s beam.Scope, o GraphOptions) error {
	f := readProfiles(s, o.Profiles)
	if err := f.usable(s, o); err != nil {
		return err
	}
	matched, reports, err := f.matchSeeds(ctx, s, o)
	if err != nil {
		return err
	}
	models := Train(s, o.Score.Train, WithSeeds(s, f.persons, matched))
	f.write(s, o.Out, results{reports: reports, models: models, seedMatchTable: true})
	return nil
}

// ScoreGraph adds the score job's graph to s: featurize's persons and
// identities and train's models read, the privacy rules applied again,
// the seed lists matched again (so seeds are excluded from their own
// list), everyone else scored and tiered, small audiences withheld.
func ScoreGraph(ctx context.Context, s beam.Scope, o GraphOptions) error {
	f := readProfiles(s, o.Profiles)
	if err := f.usable(s, o); err != nil {
		return err
	}
	models, dead, inputs := ReadModels(s, []string{o.Models})
	f.dead, f.inputs = append(f.dead, dead), append(f.inputs, inputs)
	matched, reports, err := f.matchSeeds(ctx, s, o)
	if err != nil {
		return err
	}
	scored, dists := Score(s, o.Score, WithSeeds(s, f.persons, matched), models)
	prospects, sizes := WithholdSmallAudiences(s, o.MinAudience, o.Score.Train.Lists, o.Score.Countries, scored)
	f.write(s, o.Out, results{prospects: prospects, sizes: sizes, distributions: dists, reports: reports})
	return nil
}

// featurizeApps reads every app (files or a table), featurizes it and
// joins the apps by phone.
func featurizeApps(ctx context.Context, s beam.Scope, o GraphOptions) (*flow, error) {
	f := &flow{}
	buckets, err := shuffleBuckets(ctx, o)
	if err != nil {
		return nil, err
	}
	o.Featurize.Buckets = buckets
	var profiles, ids []beam.PCollection
	for _, app := range o.Apps {
		accounts, activity, err := f.readApp(ctx, s, o, app)
		if err != nil {
			return nil, err
		}
		opt := o.Featurize
		opt.App = app.Name
		pr, id, dead := Featurize(s, opt, accounts, activity)
		profiles, ids, f.dead = append(profiles, pr), append(ids, id), append(f.dead, dead)
	}
	persons, dead := JoinByPhone(s, o.Featurize.MaxPerPhone, buckets, profiles...)
	f.persons, f.identities, f.dead = persons, ids, append(f.dead, dead)
	return f, nil
}

// readApp reads one app's accounts, and its events into each account's
// activity, from files or tables.
func (f *flow) readApp(ctx context.Context, s beam.Scope, o GraphOptions, app configs.App) (accounts, activity beam.PCollection, err error) {
	var dead beam.PCollection
	if app.AccountsTable != "" {
		accounts, dead, err = o.tables().Accounts(ctx, s, app)
	} else {
		var files []string
		if files, err = appFiles("accounts", app.Accounts); err == nil {
			var in beam.PCollection
			accounts, dead, in = ReadAccounts(s, app.Name, files, app.AccountColumns)
			f.inputs = append(f.inputs, in)
		}
	}
	if err != nil {
		return accounts, activity, fmt.Errorf("app %s accounts: %w", app.Name, err)
	}
	f.dead = append(f.dead, dead)
	if app.EventsTable != "" {
		var events beam.PCollection
		if events, dead, err = o.tables().Events(ctx, s, app, o.Featurize.Window); err == nil {
			activity = Activity(s, app.Name, o.Featurize.Window, events)
		}
	} else {
		var files []string
		if files, err = appFiles("events", app.Events); err == nil {
			var in beam.PCollection
			activity, dead, in = ReadActivity(s, app.Name, files, app.EventColumns, o.Featurize.Window)
			f.inputs = append(f.inputs, in)
		}
	}
	if err != nil {
		return accounts, activity, fmt.Errorf("app %s events: %w", app.Name, err)
	}
	f.dead = append(f.dead, dead)
	return accounts, activity, nil
}

// tables is o.Tables, or a source that says no BigQuery source is
// configured.
func (o GraphOptions) tables() TableSource {
	if o.Tables == nil {
		return noTables{}
	}
	return o.Tables
}

// noTables is the TableSource of a graph configured with files only.
type noTables struct{}

func (noTables) Accounts(context.Context, beam.Scope, configs.App) (beam.PCollection, beam.PCollection, error) {
	return beam.PCollection{}, beam.PCollection{}, errNoTables
}

func (noTables) Events(context.Context, beam.Scope, configs.App, features.ActivityWindow) (beam.PCollection, beam.PCollection, error) {
	return beam.PCollection{}, beam.PCollection{}, errNoTables
}

func (noTables) SeedRows(context.Context, beam.Scope, SeedList) (beam.PCollection, error) {
	return beam.PCollection{}, errNoTables
}

var errNoTables = errors.New("a table is named but no BigQuery source is configured (source.bigquery)")

// appFiles expands an app input's patterns and checks every file is of a
// format sosie reads for apps.
func appFiles(what string, patterns []string) ([]string, error) {
	files, err := ExpandFiles(patterns...)
	if err != nil {
		return nil, err
	}
	return files, CheckFormats(what, files, JSONL, CSV, TSV, Parquet)
}

// readProfiles reads the persons and identities featurize wrote.
func readProfiles(s beam.Scope, in ProfileFiles) *flow {
	persons, pd, pi := ReadPersons(s, in.Persons)
	identities, id, ii := ReadIdentities(s, in.Identities)
	return &flow{persons: persons, identities: []beam.PCollection{identities}, dead: []beam.PCollection{pd, id}, inputs: []beam.PCollection{pi, ii}}
}

// usable keeps of the persons what the privacy rules allow: it removes
// the persons on the opt-out lists, then applies the consent and regional
// policy. Train and score apply them again to featurize's persons, so a
// rule added since (a regulator's order, an objection) holds at once.
func (f *flow) usable(s beam.Scope, o GraphOptions) error {
	if len(o.OptOut) > 0 {
		files, err := ExpandFiles(o.OptOut...)
		if err == nil {
			err = CheckFormats("opt_out", files, CSV, TSV, Text)
		}
		if err != nil {
			return fmt.Errorf("opt_out: %w", err)
		}
		kept, dead, inputs := OptOut(s, files, o.Featurize.Pepper, o.Featurize.DefaultRegion, f.persons, beam.Flatten(s, f.identities...))
		f.persons, f.dead, f.inputs = kept, append(f.dead, dead), append(f.inputs, inputs)
	}
	f.persons = ApplyPolicy(s, o.Policy, f.persons)
	return nil
}

// matchSeeds matches the seed lists, each read from its file or its table,
// against the persons.
func (f *flow) matchSeeds(ctx context.Context, s beam.Scope, o GraphOptions) (matched, reports beam.PCollection, err error) {
	var files []SeedList
	var rows []beam.PCollection
	for _, l := range o.Lists {
		if l.Table == "" {
			files = append(files, l)
			continue
		}
		r, err := o.tables().SeedRows(ctx, s, l)
		if err != nil {
			return matched, reports, fmt.Errorf("seed list %s: %w", l.ID, err)
		}
		rows = append(rows, r)
	}
	if len(files) > 0 {
		r, dead, inputs := ReadSeedFiles(s, files)
		rows = append(rows, r)
		f.dead, f.inputs = append(f.dead, dead), append(f.inputs, inputs)
	}
	matched, reports, dead := MatchSeedRows(s, o.Lists, o.Featurize.Pepper, beam.Flatten(s, rows...), f.persons, f.identities...)
	f.dead = append(f.dead, dead)
	return matched, reports, nil
}

// results are the collections a graph writes besides persons, identities,
// dead letters and inputs; a zero collection is not written.
type results struct {
	prospects, sizes, distributions, reports, models beam.PCollection
	// seedMatchTable writes reports to the seed_match table too (the
	// score job's reports repeat train's and stay in its file).
	seedMatchTable bool
}

// write adds the writers of the outputs o names.
func (f *flow) write(s beam.Scope, o GraphOutputs, r results) {
	if o.Persons != "" {
		WriteJSONL(s, o.Persons, f.persons, JSONLOptions{Header: o.Header(PersonsKind), Unsorted: true})
	}
	if o.Identities != "" {
		WriteIdentities(s, o.Identities, *o.Header(IdentitiesKind), f.identities...)
	}
	if r.prospects.IsValid() && len(o.Prospects) > 0 {
		WriteProspects(s, r.prospects, o.Prospects...)
	}
	if r.reports.IsValid() && o.SeedMatch != "" {
		WriteJSONL(s, o.SeedMatch, r.reports, JSONLOptions{})
	}
	if r.sizes.IsValid() && o.Audiences != "" {
		WriteJSONL(s, o.Audiences, r.sizes, JSONLOptions{})
	}
	if r.distributions.IsValid() && o.Distributions != "" {
		WriteJSONL(s, o.Distributions, r.distributions, JSONLOptions{})
	}
	if r.models.IsValid() && o.Models != "" {
		WriteJSONL(s, o.Models, r.models, JSONLOptions{Header: o.Header(ModelsKind)})
	}
	dead := beam.Flatten(s, f.dead...)
	if o.DeadLetters != "" {
		WriteJSONL(s, o.DeadLetters, dead, JSONLOptions{})
	}
	if o.Inputs != "" {
		inputs := f.inputs
		if len(inputs) == 0 {
			inputs = append(inputs, beam.CreateList(s, []InputFile{}))
		}
		WriteJSONL(s, o.Inputs, beam.Flatten(s, inputs...), JSONLOptions{})
	}
	if o.Tables != nil {
		if r.prospects.IsValid() {
			o.Tables.Prospects(s, r.prospects)
		}
		if r.reports.IsValid() && r.seedMatchTable {
			o.Tables.SeedMatch(s, r.reports)
		}
		o.Tables.DeadLetters(s, dead)
	}
}
