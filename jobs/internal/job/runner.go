package job

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/rs/zerolog"
)

// ProgressEvery is how often Run says the pipeline is still running.
var ProgressEvery = 10 * time.Second

// Metrics are a run's counters and distributions, each summed over the
// whole pipeline.
type Metrics struct {
	Counters      map[string]int64
	Distributions map[string]Distribution
	// PCollections are the elements and mean encoded sizes the runner
	// reports (prism and Dataflow do) for each edge of the graph, keyed by
	// the transform that reads it: fused edges too, and a collection read
	// by several transforms once per reader.
	PCollections map[string]PCollection
	// Busy is, per transform (its full name), the time its DoFns spent
	// starting, processing and finishing bundles, where the runner
	// reports it (prism does, sampled).
	Busy map[string]time.Duration
}

// PCollection is what the runner saw of one collection: its elements and
// their mean encoded size.
type PCollection struct {
	Elements  int64
	MeanBytes int64
}

// Distribution is a distribution metric's summary.
type Distribution struct {
	Count int64 `json:"count"`
	Min   int64 `json:"min"`
	Max   int64 `json:"max"`
}

// ErrInterrupted says a run was stopped by a signal.
var ErrInterrupted = errors.New("interrupted")

// Run runs the pipeline, logging a progress line every ProgressEvery, and
// returns the counters summed over the whole pipeline. A run whose context
// ends (SIGINT, SIGTERM) fails with ErrInterrupted.
func Run(ctx context.Context, log zerolog.Logger, p *beam.Pipeline) (Metrics, time.Duration, error) {
	start := time.Now()
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				log.Info().Str("elapsed", time.Since(start).Round(time.Second).String()).Msg("pipeline running")
			}
		}
	}()
	preferWholeBundles()
	stages := stagesOf(p)
	res, err := beamx.RunWithMetrics(ctx, p)
	took := time.Since(start)
	if ctx.Err() != nil {
		return Metrics{}, took, fmt.Errorf("%w after %s", ErrInterrupted, took.Round(time.Second))
	}
	if err != nil {
		log.Debug().Err(err).Msg("the runner's whole error")
		return Metrics{}, took, conciseError{err}
	}
	var all metrics.QueryResults
	if res != nil {
		all = res.Metrics().AllMetrics()
	}
	m := metricsOf(all, stages)
	// SOSIE_LOG=debug lists them: what crosses the runner, and how big.
	if log.GetLevel() <= zerolog.DebugLevel {
		for _, name := range slices.Sorted(maps.Keys(m.PCollections)) {
			c := m.PCollections[name]
			log.Debug().Str("read_by", name).Int64("elements", c.Elements).Int64("mean_bytes", c.MeanBytes).
				Int64("bytes", c.Elements*c.MeanBytes).Msg("pcollection")
		}
	}
	return m, took, nil
}

// metricsOf sums the runner's metrics by name over the whole pipeline.
func metricsOf(all metrics.QueryResults, stages map[string]string) Metrics {
	m := Metrics{Counters: map[string]int64{}, Distributions: map[string]Distribution{}, PCollections: map[string]PCollection{}}
	committed := reportsCommitted(all)
	for _, c := range all.Counters() {
		v := c.Attempted
		if committed {
			v = c.Committed
		}
		m.Counters[c.Key.Name] += v
	}
	for _, d := range all.Distributions() {
		v := d.Attempted
		if committed {
			v = d.Committed
		}
		if v.Count == 0 {
			continue
		}
		sum, ok := m.Distributions[d.Key.Name]
		if !ok || v.Min < sum.Min {
			sum.Min = v.Min
		}
		if !ok || v.Max > sum.Max {
			sum.Max = v.Max
		}
		sum.Count += v.Count
		m.Distributions[d.Key.Name] = sum
	}
	for _, ms := range all.Msecs() {
		if t := ms.Result().Total; t > 0 {
			if m.Busy == nil {
				m.Busy = map[string]time.Duration{}
			}
			stage, ok := stages[ms.Key.Step]
			if !ok {
				stage = ms.Key.Step
			}
			m.Busy[stage] += t
		}
	}
	for _, pc := range all.PCols() {
		v := pc.Result()
		c := PCollection{Elements: v.ElementCount}
		if v.SampledByteSize.Count > 0 {
			c.MeanBytes = v.SampledByteSize.Sum / v.SampledByteSize.Count
		}
		m.PCollections[pc.Key.Step] = c
	}
	return m
}

// stagesOf names each transform of p by the stage it belongs to, its
// outermost composite ("pipelines.Score"), keyed by the id the runner
// reports its metrics under ("e12"); nil when p does not build.
func stagesOf(p *beam.Pipeline) map[string]string {
	edges, _, err := p.Build()
	if err != nil {
		return nil
	}
	out := make(map[string]string, len(edges))
	for _, e := range edges {
		stage := e.Name()
		// The scope's path is "root/<stage>/…".
		if parts := strings.Split(e.Scope().String(), "/"); len(parts) > 1 {
			stage = parts[1]
		}
		out[fmt.Sprintf("e%d", e.ID())] = stage
	}
	return out
}

// reportsCommitted says whether the runner reports committed metrics (the
// values of bundles that succeeded: prism and Dataflow do), as opposed to
// attempted ones only. Then every value is the committed one: Beam's
// Result falls back to the attempted value of a metric whose committed
// value is 0, which is a snapshot taken while a bundle ran, not a total.
func reportsCommitted(r metrics.QueryResults) bool {
	for _, c := range r.Counters() {
		if c.Committed != 0 {
			return true
		}
	}
	for _, d := range r.Distributions() {
		if d.Committed.Count != 0 {
			return true
		}
	}
	return false
}

// prismNoSplit is prism's experiment that turns off its dynamic splitting
// of bundles.
const prismNoSplit = "prism_disable_sdf_split"

// preferWholeBundles turns prism's dynamic splitting off when the
// pipeline runs on prism in this process (Beam's default runner). Prism
// splits a bundle that made no progress between two of its progress
// requests — on a loaded machine, one that has not started yet — and runs
// the rest as a second bundle beside it; when both report a counter prism
// has not yet seen, it keeps one bundle's value and drops the other's
// (Beam 2.77, jobservices/metrics.go: payloads of unknown short ids are
// stored by id, not added). The run's counters then no longer balance.
// Splitting buys sosie nothing here: a stage that reads large files
// reads them in parts itself (pipelines.ReadActivity).
func preferWholeBundles() {
	if r := *runners.Runner; r != "" && r != "prism" {
		return
	}
	exps := jobopts.GetExperiments()
	if !slices.Contains(exps, prismNoSplit) {
		*jobopts.Experiments = strings.Join(append(exps, prismNoSplit), ",")
	}
}

// ErrNoOutput says an expected output was not written.
var ErrNoOutput = errors.New("no output written")
