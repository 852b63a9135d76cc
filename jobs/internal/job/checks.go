package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines"
)

// A run whose pipeline ran is not yet a success: exit 0 means every
// configured input gave data and every output the report names was
// written by this run. The checks below say what fell short; a run with a
// problem is not published.

// checkInputs checks that every input file's lines balance and that none
// lacks a required column, that every opt-out list has an entry and every
// file another job handed on a record, and, for jobs that read the apps
// (apps), that every app gave accounts with a usable phone and events in
// the activity window (an app marked optional may give none: a warning).
// When an app's accounts all failed, it says why from the report's dead
// letters.
func checkInputs(cfg *configs.Config, rep *Report, apps bool) (problems, warnings []string) {
	for _, f := range rep.Inputs {
		switch {
		case !f.Balanced():
			problems = append(problems, fmt.Sprintf("%s: %d lines, but %d header, %d blank, %d read and %d rejected: lines went missing",
				f.File, f.Lines, f.Header, f.Blank, f.Read, f.Rejected))
		case len(f.Missing) > 0:
			problems = append(problems, fmt.Sprintf("%s (%s of app %s): no column %s among its columns %s: all its %d rows rejected (map the column in the app's %s_columns)",
				f.File, f.Kind, f.App, strings.Join(f.Missing, ", "), strings.Join(f.Columns, ", "), f.Rejected, strings.TrimSuffix(f.Kind, "s")))
		case f.Kind == "opt_out" && f.Read == 0:
			problems = append(problems, fmt.Sprintf("opt-out list %s has no usable entry (%d lines, %d rejected): an empty or unreadable list would let objections through; remove it from opt_out if it is meant to be empty",
				f.File, f.Lines, f.Rejected))
		case (f.Kind == pipelines.PersonsKind || f.Kind == pipelines.IdentitiesKind || f.Kind == pipelines.ModelsKind) && f.Read == 0:
			problems = append(problems, fmt.Sprintf("%s holds no %s (%d lines, %d rejected)", f.File, f.Kind, f.Lines, f.Rejected))
		}
	}
	if !apps {
		return problems, nil
	}
	asOf, _ := cfg.AsOfTime()
	window := features.ActivityWindow{AsOf: asOf, Days: cfg.WindowDays}
	c := rep.Counters
	gave := 0
	for _, app := range cfg.Apps {
		count := func(name string) int64 { return c[pipelines.AppCounter(name, app.Name)] }
		accounts, profiles := count(pipelines.CounterAccountsIn), count(pipelines.CounterProfiles)
		events, inWindow := count(pipelines.CounterEventsIn), count(pipelines.CounterEventsInWindow)
		var missing []string
		switch {
		case accounts == 0:
			missing = append(missing, fmt.Sprintf("no account read from %s", rep.inputsOf(app.Name, "accounts", app.AccountsTable)))
		case profiles == 0:
			missing = append(missing, fmt.Sprintf("none of its %d accounts has a usable phone (%s)", accounts, reasonsOf(rep.DeadLetters, app.Name)))
		}
		switch {
		case events == 0:
			missing = append(missing, fmt.Sprintf("no event read from %s", rep.inputsOf(app.Name, "events", app.EventsTable)))
		case inWindow == 0:
			r := rep.EventTimes[app.Name]
			missing = append(missing, fmt.Sprintf("none of its %d events falls in the activity window %s to %s (as_of %s, window_days %d): they run from %s to %s",
				events, window.Start().Format(time.DateOnly), cfg.AsOf, cfg.AsOf, cfg.WindowDays,
				r.First.Format(time.DateOnly), r.Last.Format(time.DateOnly)))
		}
		if len(missing) == 0 {
			gave++
			continue
		}
		msg := fmt.Sprintf("app %s gave no data: %s", app.Name, strings.Join(missing, "; "))
		if app.Optional {
			warnings = append(warnings, msg+" (optional: the run goes on without it)")
			continue
		}
		problems = append(problems, msg+" (mark the app optional if it may be absent)")
	}
	if len(cfg.Apps) > 0 && gave == 0 && len(problems) == 0 {
		problems = append(problems, "no app gave data")
	}
	return problems, warnings
}

// inputsOf describes where an app's accounts or events were read from.
func (r *Report) inputsOf(app, kind, table string) string {
	if table != "" {
		return "table " + table
	}
	var files []string
	var st features.TextStats
	for _, f := range r.Inputs {
		if f.App == app && f.Kind == kind {
			files = append(files, f.File)
			st.Lines, st.Rejected = st.Lines+f.Lines, st.Rejected+f.Rejected
		}
	}
	return fmt.Sprintf("%s (%d lines, %d rejected)", strings.Join(files, ", "), st.Lines, st.Rejected)
}

// reasonsOf sums the input rows of one app's featurize dead letters by
// reason.
func reasonsOf(dead []DeadLetterCount, app string) string {
	rows := map[string]int{}
	for _, d := range dead {
		if d.Stage == "featurize" && d.Source == app {
			rows[d.Reason] += d.Rows
		}
	}
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(rows)) {
		parts = append(parts, fmt.Sprintf("%s %d", r, rows[r]))
	}
	if len(parts) == 0 {
		return "no reason recorded"
	}
	return "rejected: " + strings.Join(parts, ", ")
}

// checkSeeds checks that every seed list matched at least min_seeds
// persons: a model needs them, and a list that matches nothing (another
// pepper, phones hashed before normalizing) would leave its own customers
// among its prospects. When a list's hashed rows matched almost nothing,
// it says how phones must be hashed.
func checkSeeds(cfg *configs.Config, rep *Report) []string {
	var problems []string
	for _, l := range cfg.SeedLists {
		i := slices.IndexFunc(rep.SeedMatch, func(m pipelines.MatchReport) bool { return m.List == l.ID })
		matched := 0
		if i >= 0 {
			matched = rep.SeedMatch[i].Matched
		}
		if matched < cfg.MinSeeds {
			msg := fmt.Sprintf("seed list %s: %d seeds matched a person, at least %d (min_seeds) are needed to learn from them and keep them out of the prospects",
				l.ID, matched, cfg.MinSeeds)
			if i >= 0 {
				if m := rep.SeedMatch[i]; m.HashedRows > 0 && m.HashedMatched*10 < m.HashedRows {
					msg += fmt.Sprintf("; %d of its %d SHA-256 rows matched: %s", m.HashedMatched, m.HashedRows, hashHint)
				}
			}
			problems = append(problems, msg)
		}
	}
	return problems
}

// checkCountries warns of a list's target country where it scored no one
// (a code no person has: UK for GB, say; or a country the privacy rules
// emptied), and of one whose audience was withheld for being under
// min_audience. The run goes on.
func checkCountries(cfg *configs.Config, rep *Report) []string {
	var warnings []string
	for _, l := range cfg.SeedLists {
		i := slices.IndexFunc(rep.Distributions, func(d pipelines.ScoreDistribution) bool { return d.List == l.ID })
		var empty []string
		for _, c := range l.Countries {
			if i < 0 || rep.Distributions[i].ByCountry[c] == 0 {
				empty = append(empty, c)
			}
		}
		if len(empty) > 0 {
			warnings = append(warnings, fmt.Sprintf("seed list %s: no eligible person in %s of its countries %v, so no audience there: check the codes (ISO 3166: GB, not UK)",
				l.ID, strings.Join(empty, ", "), l.Countries))
		}
		if j := slices.IndexFunc(rep.Audiences, func(a pipelines.AudienceSize) bool { return a.List == l.ID }); j >= 0 && rep.Audiences[j].Delivered {
			for _, c := range rep.Audiences[j].Countries {
				if !c.Delivered && c.Size > 0 {
					warnings = append(warnings, fmt.Sprintf("seed list %s: its audience in %s, %d persons, is under min_audience (%d): withheld there, delivered in its other countries",
						l.ID, c.Country, c.Size, rep.Audiences[j].Minimum))
				}
			}
		}
	}
	return warnings
}

// checkHandoff reads the headers of the files another job wrote for this
// one and refuses, before any work, a file that is not of its kind or
// version, or that was written under another pepper than this run's
// (fingerprint), naming both.
func checkHandoff(ctx context.Context, fingerprint string, files map[string][]string) error {
	type stamp struct{ file, pepper string }
	var seen []stamp
	var profiles []pipelines.FileHeader
	var profileFiles []string
	for _, kind := range slices.Sorted(maps.Keys(files)) {
		for _, f := range files[kind] {
			h, err := pipelines.ReadFileHeader(ctx, f, kind)
			if err != nil {
				return err
			}
			seen = append(seen, stamp{f, h.Pepper})
			if kind == pipelines.PersonsKind || kind == pipelines.IdentitiesKind {
				profiles, profileFiles = append(profiles, h), append(profileFiles, f)
			}
		}
	}
	// Persons and identities go together: one featurize run's.
	for i := range profiles {
		if a, b := profiles[0], profiles[i]; a.RunID != b.RunID || a.AsOf != b.AsOf {
			return fmt.Errorf("%w: %s is of featurize run %s (as of %s), %s of run %s (as of %s): give the persons and identities of one run",
				ErrMixedRuns, profileFiles[0], a.RunID, a.AsOf, profileFiles[i], b.RunID, b.AsOf)
		}
	}
	for _, a := range seen {
		for _, b := range seen {
			if a.pepper != b.pepper {
				return fmt.Errorf("%w: %s was written under pepper %s, %s under pepper %s: run the jobs that wrote them under one pepper",
					ErrPepperMismatch, a.file, a.pepper, b.file, b.pepper)
			}
		}
		if a.pepper != fingerprint {
			return fmt.Errorf("%w: %s was written under pepper %s, this run's pepper is %s: run every job of a chain under one pepper (its person keys would match nothing, or the wrong persons)",
				ErrPepperMismatch, a.file, a.pepper, fingerprint)
		}
	}
	return nil
}

// ErrMixedRuns says the persons and identities given are of different
// featurize runs.
var ErrMixedRuns = errors.New("files of different runs")

// ErrPepperMismatch says files the jobs hand each other were made under
// different peppers. Peppers are named by their fingerprints, never
// shown.
var ErrPepperMismatch = errors.New("identity pepper mismatch")

// checkModels refuses, before any work, a models file that lacks a model
// for one of the run's seed lists, naming the list and the lists it has.
func checkModels(path string, lists []configs.SeedList) error {
	have := map[string]bool{}
	err := ReadLines(path, func(b []byte) error {
		var m pipelines.TrainedModel
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("not a model line")
		}
		have[m.List] = true
		return nil
	})
	if err != nil {
		return err
	}
	for _, l := range lists {
		if !have[l.ID] {
			names := slices.Sorted(maps.Keys(have))
			if len(names) == 0 {
				names = []string{"none"}
			}
			return fmt.Errorf("models %s: no model for seed list %s (it has models for: %s); run jobs/train for it", path, l.ID, strings.Join(names, ", "))
		}
	}
	return nil
}
