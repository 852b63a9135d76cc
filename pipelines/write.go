package pipelines

import (
	"encoding/json"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local paths for textio
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/textio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

// WriteJSONL writes a PCollection as one JSON object per line to the file
// path (lines in no particular order).
func WriteJSONL(s beam.Scope, path string, col beam.PCollection) {
	s = s.Scope("pipelines.WriteJSONL")
	textio.Write(s, path, beam.ParDo(s, toJSON, col))
}

func toJSON(v beam.T) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func init() {
	register.Function1x2(toJSON)
}
