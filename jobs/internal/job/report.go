package job

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// Report is a job's run report, written as JSON beside its outputs: the
// counts of every stage (the pipeline's counters), every input file's
// lines accounted for, each seed list's match report, each model's kind
// and quality, the audience size per tier, and where every output went.
// A run that fails its checks is not published: its report, with the
// problems, stays in the run's staging place.
type Report struct {
	Job     string `json:"job"`
	RunID   string `json:"run_id"`
	AsOf    string `json:"as_of"`
	Attempt string `json:"attempt"`
	Status  string `json:"status"` // ok, not_predictive, withheld, failed
	Took    string `json:"took"`
	// Pepper is the identity pepper's fingerprint (never the pepper): the
	// files of runs with another one do not go together.
	Pepper   string           `json:"pepper_fingerprint,omitempty"`
	Counters map[string]int64 `json:"counters"`
	// EventTimes are, per app, the first and last event read, whether in
	// the activity window or not.
	EventTimes map[string]TimeRange    `json:"event_times,omitempty"`
	Inputs     []pipelines.InputFile   `json:"inputs,omitempty"` // lines = header + blank + read + rejected, per file
	SeedMatch  []pipelines.MatchReport `json:"seed_match,omitempty"`
	Models     []ModelSummary          `json:"models,omitempty"`
	Tiers      map[string]map[int]int  `json:"audience_by_tier,omitempty"` // seed list → tier → persons delivered
	// TierFloors are, per seed list and tier, the lowest similarity of a
	// person delivered in it: where the tier starts.
	TierFloors map[string]map[int]float64 `json:"tier_similarity_floors,omitempty"`
	// ByCountry are, per seed list, the persons delivered by country
	// ("unknown" for a person without one).
	ByCountry map[string]map[string]int `json:"audience_by_country,omitempty"`
	Audiences []pipelines.AudienceSize  `json:"audiences,omitempty"` // size of each prospect list, delivered or withheld
	// Distributions are how each list's scored persons spread over
	// similarity.
	Distributions []pipelines.ScoreDistribution `json:"score_distributions,omitempty"`
	// Balances are the equations the run's counters were checked against.
	Balances []pipelines.Balance `json:"balances,omitempty"`
	// DeadLetters count the run's dead letters by stage, source (and file)
	// and reason.
	DeadLetters []DeadLetterCount `json:"dead_letters,omitempty"`
	// StageTimes are the time each stage's DoFns were busy, summed over
	// workers, where the runner reports it.
	StageTimes []StageTime `json:"stage_times,omitempty"`
	Problems   []string    `json:"problems,omitempty"` // why the run failed its checks
	Warnings   []string    `json:"warnings,omitempty"` // what the run went on without
	Outputs    []Output    `json:"outputs"`
	// Manifest lists the output directory's published files, by job.
	Manifest string `json:"manifest,omitempty"`
	// SeedListsDeleted are the stored seed lists the run matched and
	// deletes once its outputs are published (privacy.keep_seed_lists).
	SeedListsDeleted []string `json:"seed_lists_deleted,omitempty"`
}

// TimeRange is the span of a set of times.
type TimeRange struct {
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// DeadLetterCount is how many dead letters one stage wrote for one source
// (a file, or an app and the file of its accounts) and reason, and how
// many input rows they stand for.
type DeadLetterCount struct {
	Stage   string `json:"stage"`
	Source  string `json:"source"`
	File    string `json:"file,omitempty"` // where the source is an app, the file its letters' accounts were read from
	Reason  string `json:"reason"`
	Letters int    `json:"letters"`
	Rows    int    `json:"rows"`
}

// StageTime is the time a stage's DoFns were busy in starting, processing
// and finishing bundles, summed over its transforms and workers (sampled
// by the SDK: a stage busy for less than a sampling period may show 0).
type StageTime struct {
	Stage   string  `json:"stage"`
	Seconds float64 `json:"busy_seconds"`
}

// Output is one file a job wrote.
type Output struct {
	What string `json:"what"`
	Path string `json:"path"`
}

// ModelSummary is a seed list's model in the report.
type ModelSummary struct {
	List    string        `json:"seed_list"`
	Kind    string        `json:"kind"`
	Quality *model.Report `json:"quality"`
}

// NotPredictive lists the seed lists whose model is not predictive.
func (r *Report) NotPredictive() []string {
	var out []string
	for _, m := range r.Models {
		if m.Quality != nil && !m.Quality.Predictive {
			out = append(out, m.List)
		}
	}
	return out
}

// AddSeedMatch reads the match reports of a seed_match file.
func (r *Report) AddSeedMatch(path string) error {
	return readSorted(path, &r.SeedMatch, func(a, b pipelines.MatchReport) int { return strings.Compare(a.List, b.List) })
}

// AddModels reads the models of a models file.
func (r *Report) AddModels(path string) error {
	err := ReadLines(path, func(b []byte) error {
		var tm pipelines.TrainedModel
		if err := json.Unmarshal(b, &tm); err != nil {
			return err
		}
		var a model.Artifact
		if err := json.Unmarshal(tm.Artifact, &a); err != nil {
			return err
		}
		r.Models = append(r.Models, ModelSummary{List: tm.List, Kind: string(a.Kind), Quality: a.Report})
		return nil
	})
	slices.SortFunc(r.Models, func(a, b ModelSummary) int {
		if a.List < b.List {
			return -1
		}
		if a.List > b.List {
			return 1
		}
		return 0
	})
	return err
}

// AddTiers counts the prospects of a JSONL prospects file per seed list
// and tier, and finds where each tier starts.
func (r *Report) AddTiers(path string) error {
	r.Tiers, r.TierFloors, r.ByCountry = map[string]map[int]int{}, map[string]map[int]float64{}, map[string]map[string]int{}
	return ReadLines(path, func(b []byte) error {
		var p pipelines.Prospect
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		if r.Tiers[p.List] == nil {
			r.Tiers[p.List], r.TierFloors[p.List], r.ByCountry[p.List] = map[int]int{}, map[int]float64{}, map[string]int{}
		}
		r.Tiers[p.List][p.Tier]++
		r.ByCountry[p.List][cmp.Or(p.Country, "unknown")]++
		if f, ok := r.TierFloors[p.List][p.Tier]; !ok || p.Similarity < f {
			r.TierFloors[p.List][p.Tier] = p.Similarity
		}
		return nil
	})
}

// AddDistributions reads the score distributions of a distributions file.
func (r *Report) AddDistributions(path string) error {
	return readSorted(path, &r.Distributions, func(a, b pipelines.ScoreDistribution) int { return strings.Compare(a.List, b.List) })
}

// AddDeadLetters counts the dead letters of a dead letters file by stage,
// source and reason.
func (r *Report) AddDeadLetters(path string) error {
	type key struct{ stage, source, file, reason string }
	counts := map[key]*DeadLetterCount{}
	err := ReadLines(path, func(b []byte) error {
		var d pipelines.DeadLetter
		if err := json.Unmarshal(b, &d); err != nil {
			return err
		}
		k := key{d.Stage, d.Source, d.File, string(d.Reason)}
		c, ok := counts[k]
		if !ok {
			c = &DeadLetterCount{Stage: k.stage, Source: k.source, File: k.file, Reason: k.reason}
			counts[k] = c
		}
		c.Letters++
		c.Rows += max(d.Rows, 1)
		return nil
	})
	r.DeadLetters = r.DeadLetters[:0]
	for _, c := range counts {
		r.DeadLetters = append(r.DeadLetters, *c)
	}
	slices.SortFunc(r.DeadLetters, func(a, b DeadLetterCount) int {
		return cmp.Or(strings.Compare(a.Stage, b.Stage), strings.Compare(a.Source, b.Source), strings.Compare(a.File, b.File), strings.Compare(a.Reason, b.Reason))
	})
	return err
}

// AddAudiences reads the audience sizes of an audiences file.
func (r *Report) AddAudiences(path string) error {
	return readSorted(path, &r.Audiences, func(a, b pipelines.AudienceSize) int { return strings.Compare(a.List, b.List) })
}

// readSorted appends the records of a JSON-lines file to *out and sorts
// them by cmp.
func readSorted[T any](path string, out *[]T, cmp func(a, b T) int) error {
	err := ReadLines(path, func(b []byte) error {
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*out = append(*out, v)
		return nil
	})
	slices.SortFunc(*out, cmp)
	return err
}

// write writes the report as indented JSON to path.
func (r *Report) write(ctx context.Context, path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return fileio.WriteFile(ctx, path, func(w *bufio.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// Print writes the human summary: the inputs' lines, match rates, model
// verdicts and where every output is.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%s run %s done in %s\n", r.Job, r.RunID, r.Took)
	var in features.TextStats
	for _, f := range r.Inputs {
		in.Lines, in.Header, in.Blank, in.Read, in.Rejected = in.Lines+f.Lines, in.Header+f.Header, in.Blank+f.Blank, in.Read+f.Read, in.Rejected+f.Rejected
	}
	if len(r.Inputs) > 0 {
		fmt.Fprintf(w, "  inputs: %d files, %d lines = %d header + %d blank + %d read + %d rejected (dead letters)\n",
			len(r.Inputs), in.Lines, in.Header, in.Blank, in.Read, in.Rejected)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
	for _, m := range r.SeedMatch {
		fmt.Fprintf(w, "  seed list %s: %d rows, %d matched (match rate %.0f%%)\n", m.List, m.Rows, m.Matched, 100*m.MatchRate)
	}
	for _, m := range r.Models {
		if m.Quality != nil {
			fmt.Fprintf(w, "  model for %s: %s — %s\n", m.List, m.Kind, m.Quality.Verdict)
		}
	}
	for _, l := range slices.Sorted(maps.Keys(r.Tiers)) {
		n := 0
		for _, c := range r.Tiers[l] {
			n += c
		}
		fmt.Fprintf(w, "  prospects for %s: %d in %d tiers\n", l, n, len(r.Tiers[l]))
	}
	charts := 0
	for _, o := range r.Outputs {
		if o.What == "chart" {
			charts++
			continue
		}
		fmt.Fprintf(w, "%-14s %s\n", o.What+":", o.Path)
	}
	if charts > 0 {
		fmt.Fprintf(w, "%-14s %d PNG files beside the pages, in <page>_charts/\n", "charts:", charts)
	}
	if r.Manifest != "" {
		fmt.Fprintf(w, "%-14s %s\n", "manifest:", r.Manifest)
	}
}

// ReadLines calls fn on every line of the file at path but a header line
// (pipelines.FileHeader); a file that does not exist has no line.
func ReadLines(path string, fn func([]byte) error) error {
	f, err := fileio.OpenFile(context.Background(), path)
	if errors.Is(err, fileio.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	first := true
	for sc.Scan() {
		b := sc.Bytes()
		if first && bytes.Contains(b, []byte(`"sosie":`)) {
			first = false
			continue
		}
		first = false
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		if err := fn(b); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return sc.Err()
}

// AdvertiserReportsDir is the directory, beside a run's report, of the
// reports advertisers receive.
const AdvertiserReportsDir = "advertiser_reports"

// reportFiles are the staged outputs a job's report is filled from; an
// empty path is skipped.
type reportFiles struct {
	seedMatch, models, prospects, audiences, inputs, distributions, dead string
}

// fill completes the report from the run's metrics and staged outputs.
func (r *Report) fill(m Metrics, took time.Duration, in reportFiles) error {
	r.Took, r.Counters = took.Round(time.Millisecond).String(), m.Counters
	r.Balances = pipelines.Balances(r.Job, m.Counters)
	r.StageTimes = nil
	for stage, t := range m.Busy {
		r.StageTimes = append(r.StageTimes, StageTime{Stage: stage, Seconds: t.Seconds()})
	}
	slices.SortFunc(r.StageTimes, func(a, b StageTime) int { return strings.Compare(a.Stage, b.Stage) })
	for name, d := range m.Distributions {
		if app, ok := strings.CutPrefix(name, pipelines.DistributionEventTime+"_"); ok {
			if r.EventTimes == nil {
				r.EventTimes = map[string]TimeRange{}
			}
			r.EventTimes[app] = TimeRange{First: time.Unix(d.Min, 0).UTC(), Last: time.Unix(d.Max, 0).UTC()}
		}
	}
	for _, add := range []struct {
		path string
		fn   func(string) error
	}{{in.seedMatch, r.AddSeedMatch}, {in.models, r.AddModels}, {in.prospects, r.AddTiers}, {in.audiences, r.AddAudiences}, {in.inputs, r.addInputs},
		{in.distributions, r.AddDistributions}, {in.dead, r.AddDeadLetters}} {
		if add.path == "" {
			continue
		}
		if err := add.fn(add.path); err != nil {
			return err
		}
	}
	return nil
}

// addInputs reads the inputs' accounting.
func (r *Report) addInputs(path string) error {
	return readSorted(path, &r.Inputs, func(a, b pipelines.InputFile) int { return strings.Compare(a.Kind+a.File, b.Kind+b.File) })
}

// writeAdvertiserReports writes each seed list's advertiser report
// (floored, noised) as outputs of the run.
func (r *Report) writeAdvertiserReports(ctx context.Context, cfg *configs.Config, o *outputs) error {
	for _, a := range advertiserReports(cfg, r) {
		b, err := json.MarshalIndent(a, "", "  ")
		if err != nil {
			return err
		}
		var t strings.Builder
		a.Print(&t)
		base := AdvertiserReportsDir + "/" + a.Advertiser + "/" + a.List
		for _, f := range []struct {
			name    string
			content []byte
		}{{base + ".json", append(b, '\n')}, {base + ".txt", []byte(t.String())}} {
			if err := fileio.WriteFile(ctx, o.file("advertiser report", f.name), func(w *bufio.Writer) error { _, err := w.Write(f.content); return err }); err != nil {
				return err
			}
		}
		if err := writePage(ctx, o, base+".html", advertiserPage(&a)); err != nil {
			return err
		}
	}
	return nil
}
