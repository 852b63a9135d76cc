package job

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
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
	res, err := beamx.RunWithMetrics(ctx, p)
	took := time.Since(start)
	if ctx.Err() != nil {
		return Metrics{}, took, fmt.Errorf("%w after %s", ErrInterrupted, took.Round(time.Second))
	}
	if err != nil {
		log.Debug().Err(err).Msg("the runner's whole error")
		return Metrics{}, took, conciseError{err}
	}
	m := Metrics{Counters: map[string]int64{}, Distributions: map[string]Distribution{}, PCollections: map[string]PCollection{}}
	if res != nil {
		all := res.Metrics().AllMetrics()
		for _, c := range all.Counters() {
			m.Counters[c.Key.Name] += c.Result()
		}
		for _, d := range all.Distributions() {
			v := d.Result()
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
		for _, pc := range all.PCols() {
			v := pc.Result()
			c := PCollection{Elements: v.ElementCount}
			if v.SampledByteSize.Count > 0 {
				c.MeanBytes = v.SampledByteSize.Sum / v.SampledByteSize.Count
			}
			m.PCollections[pc.Key.Step] = c
		}
	}
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

// ErrNoOutput says an expected output was not written.
var ErrNoOutput = errors.New("no output written")
