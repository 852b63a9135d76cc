package job

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners"
	"github.com/rs/zerolog"
)

func double(x int) int { return 2 * x }

func init() { beam.RegisterFunction(double) }

// TestRunReportsPCollections: Run gathers what the runner saw of each
// collection — elements and mean encoded size — and lists it at debug
// level.
func TestRunReportsPCollections(t *testing.T) {
	p, s := beam.NewPipelineWithRoot()
	beam.ParDo(s, double, beam.Create(s, 1, 2, 3, 4, 5))
	var logs bytes.Buffer
	m, _, err := Run(context.Background(), zerolog.New(&logs).Level(zerolog.DebugLevel), p)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for name, c := range m.PCollections {
		if c.Elements == 5 && c.MeanBytes > 0 {
			found = true
			if !strings.Contains(logs.String(), `"read_by":"`+name+`"`) {
				t.Errorf("collection %s is not in the debug log", name)
			}
		}
	}
	if !found {
		t.Errorf("no collection of 5 elements among %v", m.PCollections)
	}
}

// TestMetricsAreCommitted: when the runner reports committed metrics, a
// counter's value is its committed one, even where that is 0 and an
// attempted snapshot is not (Beam's Result would take the snapshot); a
// runner that reports attempted metrics only gets those.
func TestMetricsAreCommitted(t *testing.T) {
	key := func(step, name string) metrics.StepKey {
		return metrics.StepKey{Step: step, Name: name, Namespace: "sosie"}
	}
	res := metrics.NewResults([]metrics.CounterResult{
		{Key: key("e9", "featurize_events_rejected"), Committed: 3561, Attempted: 1200},
		{Key: key("e39", "featurize_events_rejected"), Committed: 0, Attempted: 916},
		{Key: key("e2", "read_events"), Committed: 40, Attempted: 40},
	}, []metrics.DistributionResult{
		{Key: key("e3", "featurize_event_time"), Committed: metrics.DistributionValue{Count: 2, Min: 10, Max: 20}, Attempted: metrics.DistributionValue{Count: 1, Min: 5, Max: 5}},
	}, nil, nil, nil).AllMetrics()
	m := metricsOf(res, nil)
	if got := m.Counters["featurize_events_rejected"]; got != 3561 {
		t.Errorf("featurize_events_rejected %d, want 3561 (committed values only)", got)
	}
	if d := m.Distributions["featurize_event_time"]; d != (Distribution{Count: 2, Min: 10, Max: 20}) {
		t.Errorf("distribution %+v, want the committed one", d)
	}
	attemptedOnly := metrics.NewResults([]metrics.CounterResult{
		{Key: key("e2", "read_events"), Attempted: 40},
		{Key: key("e3", "read_events"), Attempted: 2},
	}, nil, nil, nil, nil).AllMetrics()
	if got := metricsOf(attemptedOnly, nil).Counters["read_events"]; got != 42 {
		t.Errorf("attempted-only runner: read_events %d, want 42", got)
	}
}

// TestPreferWholeBundles: on prism (the default runner) Run turns off
// prism's dynamic splitting, whose split bundles lose counter updates; it
// keeps the experiments asked for, and leaves other runners alone.
func TestPreferWholeBundles(t *testing.T) {
	defer func(r, e string) { *runners.Runner, *jobopts.Experiments = r, e }(*runners.Runner, *jobopts.Experiments)
	for _, tc := range []struct{ runner, experiments, want string }{
		{"", "", prismNoSplit},
		{"prism", "use_runner_v2", "use_runner_v2," + prismNoSplit},
		{"prism", prismNoSplit, prismNoSplit},
		{"dataflow", "use_runner_v2", "use_runner_v2"},
	} {
		*runners.Runner, *jobopts.Experiments = tc.runner, tc.experiments
		preferWholeBundles()
		if *jobopts.Experiments != tc.want {
			t.Errorf("runner %q, experiments %q: %q, want %q", tc.runner, tc.experiments, *jobopts.Experiments, tc.want)
		}
	}
}
