package job

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
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
