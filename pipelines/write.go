package pipelines

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

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
	// Unsorted writes lines as they come, through a part file per bundle
	// (see WriteJSONL), for files as large as the persons; otherwise
	// they are sorted, so a file is the same on every run.
	Unsorted bool
}

// WriteJSONL writes a PCollection as one JSON object per line to the file
// path: sorted unless opt says otherwise, whole or not at all (written
// beside, then renamed), readable by its owner only (it holds keys or
// counts), and written even when the PCollection is empty, so that every
// output a run names is one it wrote.
//
// Sorted lines pass through one worker's memory (reports, models, dead
// letters: small). Unsorted ones (persons, identities: as many as the
// persons) never do: each bundle writes its lines to a part file where
// they are made, and one worker then copies the parts, in the order of
// their names, into the file and deletes them — only the parts' names
// cross the runner.
func WriteJSONL(s beam.Scope, path string, col beam.PCollection, opt JSONLOptions) {
	s = s.Scope("pipelines.WriteJSONL")
	var header string
	if opt.Header != nil {
		b, _ := json.Marshal(opt.Header)
		header = string(b)
	}
	if opt.Unsorted {
		writeUnsorted(s, path, header, col)
		return
	}
	fn := &writeLinesFn{Path: path, Header: header}
	beam.ParDo0(s, fn, beam.Impulse(s), beam.SideInput{Input: beam.ParDo(s, toJSON, col)})
}

// writeUnsorted writes the collections' elements to path through part
// files, each collection's where it is made: collections that go to one
// file need no Flatten, which would copy them all first.
func writeUnsorted(s beam.Scope, path, header string, cols ...beam.PCollection) {
	parts := make([]beam.PCollection, len(cols))
	for i, col := range cols {
		parts[i] = beam.ParDo(s, &writePartFn{Dir: partsDir(path)}, col)
	}
	beam.ParDo0(s, &joinPartsFn{Path: path, Header: header}, beam.Impulse(s), beam.SideInput{Input: beam.Flatten(s, parts...)})
}

// partsDir is where WriteJSONL writes the parts of path.
func partsDir(path string) string { return path + ".parts" }

// writePartFn writes each bundle's elements as JSON lines to a part file
// of its own and emits the part's path when the bundle ends.
type writePartFn struct {
	Dir string `json:"dir"`

	w *fileio.Writer
}

// StartBundle drops the part a failed bundle left open (a runner may
// retry a bundle on the same DoFn instance, and another stage of the
// fused bundle may have been what failed).
func (f *writePartFn) StartBundle(_ func(string)) { f.abort() }

func (f *writePartFn) ProcessElement(ctx context.Context, v beam.T, _ func(string)) error {
	if f.w == nil {
		w, err := fileio.Create(ctx, fmt.Sprintf("%s/part-%016x-%08x.jsonl", f.Dir, time.Now().UnixNano(), rand.Uint32()))
		if err != nil {
			return err
		}
		f.w = w
	}
	b, err := json.Marshal(v)
	if err != nil {
		f.abort()
		return err
	}
	f.w.Write(b)
	if err := f.w.WriteByte('\n'); err != nil {
		f.abort()
		return err
	}
	return nil
}

func (f *writePartFn) FinishBundle(ctx context.Context, emit func(string)) error {
	if f.w == nil {
		return nil
	}
	w := f.w
	f.w = nil
	if err := w.Commit(); err != nil {
		return err
	}
	emit(w.Path())
	return nil
}

// abort drops a part that failed (the bundle is retried whole).
func (f *writePartFn) abort() {
	if f.w != nil {
		f.w.Abort()
		f.w = nil
	}
}

func (f *writePartFn) Teardown() { f.abort() }

// joinPartsFn writes the header and the parts its side input names into
// the file, then deletes the parts (a part of a retried bundle that no
// output names goes with them).
type joinPartsFn struct {
	Path   string `json:"path"`
	Header string `json:"header,omitempty"`
}

func (f *joinPartsFn) ProcessElement(ctx context.Context, _ []byte, parts func(*string) bool) error {
	var names []string
	var p string
	for parts(&p) {
		names = append(names, p)
	}
	slices.Sort(names)
	err := fileio.WriteFile(ctx, f.Path, func(w *bufio.Writer) error {
		if f.Header != "" {
			w.WriteString(f.Header)
			w.WriteByte('\n')
		}
		for _, name := range names {
			r, err := fileio.OpenFile(ctx, name)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, r)
			r.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return fileio.RemoveAll(ctx, partsDir(f.Path))
}

func toJSON(v beam.T) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

type writeLinesFn struct {
	Path   string `json:"path"`
	Header string `json:"header,omitempty"`
}

func (f *writeLinesFn) ProcessElement(ctx context.Context, _ []byte, lines func(*string) bool) error {
	return fileio.WriteFile(ctx, f.Path, func(w *bufio.Writer) error {
		if f.Header != "" {
			w.WriteString(f.Header)
			w.WriteByte('\n')
		}
		var l string
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
	reg.DoFn3x1[context.Context, []byte, func(*string) bool, error](&joinPartsFn{})
	reg.DoFn3x1[context.Context, beam.T, func(string), error](&writePartFn{})
	register.Iter1[string]()
}
