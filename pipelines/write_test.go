package pipelines

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

// TestWriteJSONLUnsorted: unsorted lines (persons, identities) reach the
// file through part files, all of them once, after the header, and the
// parts are gone; an empty collection still gives the file, header only.
func TestWriteJSONLUnsorted(t *testing.T) {
	dir := t.TempDir()
	p, s := beam.NewPipelineWithRoot()
	var in, want []string
	for i := range 2000 {
		in = append(in, fmt.Sprintf("line %04d", i))
		b := fmt.Sprintf("%q", in[i])
		want = append(want, b)
	}
	full, empty := filepath.Join(dir, "out", "persons.jsonl"), filepath.Join(dir, "out", "empty.jsonl")
	h := &FileHeader{Kind: PersonsKind}
	WriteJSONL(s, full, beam.CreateList(s, in), JSONLOptions{Header: h, Unsorted: true})
	WriteJSONL(s, empty, beam.CreateList(s, []string{}), JSONLOptions{Header: h, Unsorted: true})
	ptest.RunAndValidate(t, p)

	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if !strings.Contains(lines[0], `"persons"`) {
		t.Fatalf("first line %q is not the header", lines[0])
	}
	got := slices.Sorted(slices.Values(lines[1:]))
	if !slices.Equal(got, want) {
		t.Fatalf("%d lines after the header, want %d (first %q)", len(got), len(want), got[:min(3, len(got))])
	}
	if b, err := os.ReadFile(empty); err != nil || strings.Count(string(b), "\n") != 1 {
		t.Fatalf("the empty collection's file: %q, %v", b, err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "out"))
	for _, e := range entries {
		if e.Name() != "persons.jsonl" && e.Name() != "empty.jsonl" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestWritePartRetriedBundle: a bundle that failed before it ended (in
// this DoFn or another of its fused stage) leaves no line to the part of
// the next bundle on the same instance.
func TestWritePartRetriedBundle(t *testing.T) {
	f := &writePartFn{Dir: t.TempDir()}
	ctx := context.Background()
	if err := f.ProcessElement(ctx, "lost", nil); err != nil {
		t.Fatal(err)
	}
	f.StartBundle(nil)
	if err := f.ProcessElement(ctx, "kept", nil); err != nil {
		t.Fatal(err)
	}
	var parts []string
	if err := f.FinishBundle(ctx, func(p string) { parts = append(parts, p) }); err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1 {
		t.Fatalf("parts %v, want one", parts)
	}
	b, err := os.ReadFile(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "\"kept\"\n" {
		t.Errorf("part holds %q, want only the retried bundle's line", b)
	}
}
