package pipelines

import (
	"bufio"
	"context"
	"encoding/json"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/pipelines/fileio"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// JSONLOptions say how WriteJSONL writes a file.
type JSONLOptions struct {
	// Header, when set, is the file's first line: the files the jobs hand
	// each other start with one (see FileHeader).
	Header *FileHeader
	// Unsorted writes lines in the order they come, for large files;
	// otherwise they are sorted, so a file is the same on every run.
	Unsorted bool
}

// WriteJSONL writes a PCollection as one JSON object per line to the file
// path: sorted unless opt says otherwise, whole or not at all (written
// beside, then renamed), readable by its owner only (it holds keys or
// counts), and written even when the PCollection is empty, so that every
// output a run names is one it wrote. Its lines pass through one worker.
func WriteJSONL(s beam.Scope, path string, col beam.PCollection, opt JSONLOptions) {
	s = s.Scope("pipelines.WriteJSONL")
	fn := &writeLinesFn{Path: path, Sort: !opt.Unsorted}
	if opt.Header != nil {
		b, _ := json.Marshal(opt.Header)
		fn.Header = string(b)
	}
	beam.ParDo0(s, fn, beam.Impulse(s), beam.SideInput{Input: beam.ParDo(s, toJSON, col)})
}

func toJSON(v beam.T) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

type writeLinesFn struct {
	Path   string `json:"path"`
	Header string `json:"header,omitempty"`
	Sort   bool   `json:"sort"`
}

func (f *writeLinesFn) ProcessElement(ctx context.Context, _ []byte, lines func(*string) bool) error {
	return fileio.WriteFile(ctx, f.Path, func(w *bufio.Writer) error {
		if f.Header != "" {
			w.WriteString(f.Header)
			w.WriteByte('\n')
		}
		var l string
		if !f.Sort {
			for lines(&l) {
				w.WriteString(l)
				if err := w.WriteByte('\n'); err != nil {
					return err
				}
			}
			return nil
		}
		var all []string
		for lines(&l) {
			all = append(all, l)
		}
		slices.Sort(all)
		for _, l := range all {
			w.WriteString(l)
			if err := w.WriteByte('\n'); err != nil {
				return err
			}
		}
		return nil
	})
}

func init() {
	register.Function1x2(toJSON)
	reg.DoFn3x1[context.Context, []byte, func(*string) bool, error](&writeLinesFn{})
	register.Iter1[string]()
}
