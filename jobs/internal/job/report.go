package job

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/pipelines"
)

// Report is a job's run report, written as JSON beside its outputs: the
// counts of every stage (the pipeline's counters), each seed list's match
// report, each model's kind and quality, the audience size per tier, and
// where every output went.
type Report struct {
	Job       string                   `json:"job"`
	RunID     string                   `json:"run_id"`
	AsOf      string                   `json:"as_of"`
	Took      string                   `json:"took"`
	Counters  map[string]int64         `json:"counters"`
	SeedMatch []pipelines.MatchReport  `json:"seed_match,omitempty"`
	Models    []ModelSummary           `json:"models,omitempty"`
	Tiers     map[string]map[int]int   `json:"audience_by_tier,omitempty"` // seed list → tier → persons delivered
	Audiences []pipelines.AudienceSize `json:"audiences,omitempty"`        // size of each prospect list, delivered or withheld
	Outputs   []Output                 `json:"outputs"`
	// SeedListsDeleted are the stored seed lists the run matched and then
	// deleted (privacy.keep_seed_lists).
	SeedListsDeleted []string `json:"seed_lists_deleted,omitempty"`
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

// AddSeedMatch reads the match reports of a seed_match file.
func (r *Report) AddSeedMatch(path string) error {
	err := ReadLines(path, func(b []byte) error {
		var m pipelines.MatchReport
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		r.SeedMatch = append(r.SeedMatch, m)
		return nil
	})
	sort.Slice(r.SeedMatch, func(i, j int) bool { return r.SeedMatch[i].List < r.SeedMatch[j].List })
	return err
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
// and tier.
func (r *Report) AddTiers(path string) error {
	r.Tiers = map[string]map[int]int{}
	return ReadLines(path, func(b []byte) error {
		var p pipelines.Prospect
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		if r.Tiers[p.List] == nil {
			r.Tiers[p.List] = map[int]int{}
		}
		r.Tiers[p.List][p.Tier]++
		return nil
	})
}

// AddAudiences reads the audience sizes of an audiences file.
func (r *Report) AddAudiences(path string) error {
	err := ReadLines(path, func(b []byte) error {
		var a pipelines.AudienceSize
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		r.Audiences = append(r.Audiences, a)
		return nil
	})
	slices.SortFunc(r.Audiences, func(a, b pipelines.AudienceSize) int { return strings.Compare(a.List, b.List) })
	return err
}

// Write writes the report as indented JSON to path and adds it to the
// outputs first.
func (r *Report) Write(path string) error {
	r.Outputs = append(r.Outputs, Output{"report", path})
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return pipelines.WriteFile(context.Background(), path, func(w *bufio.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// Print writes the human summary: match rates, model verdicts and where
// every output is.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%s run %s done in %s\n", r.Job, r.RunID, r.Took)
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
	for _, o := range r.Outputs {
		fmt.Fprintf(w, "%-14s %s\n", o.What+":", o.Path)
	}
}

// ReadLines calls fn on every line of the file at path; a file that does
// not exist (an empty output is not written) has no line.
func ReadLines(path string, fn func([]byte) error) error {
	f, err := pipelines.OpenFile(context.Background(), path)
	if errors.Is(err, pipelines.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return sc.Err()
}

// AdvertiserReportsDir is the directory, beside a run's report, of the
// reports advertisers receive.
const AdvertiserReportsDir = "advertiser_reports"

// reportFiles are the outputs a job's report is completed from; an empty
// path is skipped.
type reportFiles struct {
	seedMatch, models, prospects, audiences string
}

// complete fills the report from the run's counters and outputs, writes
// it to path and, with a BigQuery sink, as the run's row of runs.
// A job that delivers prospect lists (in.audiences) also writes each
// seed list's advertiser report (floored) under advertiser_reports.
func (r *Report) complete(ctx context.Context, cfg *configs.Config, sink *bigQuerySink, counters map[string]int64, took time.Duration, in reportFiles, path string) error {
	r.Took, r.Counters = took.Round(time.Millisecond).String(), counters
	for _, add := range []struct {
		path string
		fn   func(string) error
	}{{in.seedMatch, r.AddSeedMatch}, {in.models, r.AddModels}, {in.prospects, r.AddTiers}, {in.audiences, r.AddAudiences}} {
		if add.path == "" {
			continue
		}
		if err := add.fn(add.path); err != nil {
			return err
		}
	}
	if in.audiences != "" {
		paths, err := writeAdvertiserReports(ctx, configs.JoinPath(cfg.RunOutput(), AdvertiserReportsDir), advertiserReports(cfg, r))
		if err != nil {
			return err
		}
		for _, p := range paths {
			r.Outputs = append(r.Outputs, Output{"advertiser report", p})
		}
	}
	if err := r.Write(path); err != nil {
		return err
	}
	if sink != nil {
		return sink.writeRun(ctx, r)
	}
	return nil
}
