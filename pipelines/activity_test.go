package pipelines

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sosie-dev/sosie/features"
)

// TestReadActivityInParts: an events file read in parts, one per core,
// gives the activity, dead letters (with their line numbers) and line
// accounting of the file read whole; CSV (with a header, CRLF, blank and
// bad lines) and JSON lines.
func TestReadActivityInParts(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	defer func(n int64) { PartBytes = n }(PartBytes)
	dir := t.TempDir()
	var csv, jsonl strings.Builder
	csv.WriteString("user_id,time,type,category\r\n")
	for i := range 3000 {
		day := i%40 + 1 // some events outside the 30-day window
		switch {
		case i%97 == 0:
			csv.WriteString("u1,not a time,like,\r\n")
			jsonl.WriteString(`{"user_id":"u1","time":"soon"}` + "\n")
		case i%101 == 0:
			csv.WriteString("\r\n")
			jsonl.WriteString("{\n")
		default:
			at := asOf.AddDate(0, 0, -day).Format("2006-01-02T15:04:05Z")
			fmt.Fprintf(&csv, "u%d,%s,like,travel\r\n", i%50, at)
			fmt.Fprintf(&jsonl, `{"user_id":"u%d","time":"%s","type":"share"}`+"\n", i%50, at)
		}
	}
	window := features.ActivityWindow{AsOf: asOf, Days: 30}
	for name, text := range map[string]string{"events.csv": csv.String(), "events.jsonl": jsonl.String()} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		read := func(partBytes int64) (string, int) {
			PartBytes = partBytes
			parts, _, err := inputParts(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			fn := &readActivityFn{App: "facebook", Window: window}
			fn.Setup()
			var out []string
			err = fn.ProcessElement(context.Background(), path,
				func(u string, a features.Activity) { out = append(out, fmt.Sprintf("%s %+v", u, a)) },
				func(d DeadLetter) { out = append(out, fmt.Sprintf("dead %+v", d)) },
				func(f InputFile) { out = append(out, fmt.Sprintf("file %+v", f)) })
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(out)
			return strings.Join(out, "\n"), len(parts)
		}
		whole, n := read(int64(len(text)) + 1)
		if n != 1 || !strings.Contains(whole, "dead") || !strings.Contains(whole, "Line:") {
			t.Fatalf("%s read whole: %d parts\n%s", name, n, whole)
		}
		inParts, n := read(int64(len(text)) / 5)
		if n < 3 {
			t.Fatalf("%s: %d parts", name, n)
		}
		if inParts != whole {
			t.Errorf("%s in %d parts:\n%s\nread whole:\n%s", name, n, inParts, whole)
		}
	}
}

// TestReadActivityInPartsBrokenFile: a file that stops being readable
// (a NUL byte: not text) fails the read naming the file and the line, the
// same line whether the file is read whole or in parts.
func TestReadActivityInPartsBrokenFile(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	defer func(n int64) { PartBytes = n }(PartBytes)
	var b strings.Builder
	b.WriteString("user_id,time,type\n")
	for i := range 3000 {
		if i == 2500 {
			b.WriteString("u1,2026-10-01T00:00:00Z,li\x00ke\n") // line 2502
			continue
		}
		fmt.Fprintf(&b, "u%d,2026-10-01T00:00:00Z,like\n", i%40)
	}
	path := filepath.Join(t.TempDir(), "events.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, partBytes := range []int64{int64(b.Len()) + 1, int64(b.Len()) / 5} {
		PartBytes = partBytes
		fn := &readActivityFn{App: "facebook", Window: features.ActivityWindow{AsOf: asOf}}
		fn.Setup()
		err := fn.ProcessElement(context.Background(), path, func(string, features.Activity) {}, func(DeadLetter) {}, func(InputFile) {})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 2502") {
			t.Errorf("parts of %d bytes: %v", partBytes, err)
		}
	}
}

// TestActivityFnRetriedBundle: a bundle that failed before it ended
// leaves no events to the next bundle of the same DoFn instance.
func TestActivityFnRetriedBundle(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f := &activityFn{App: "facebook", Window: features.ActivityWindow{AsOf: asOf}}
	f.Setup()
	f.ProcessElement(features.Event{UserID: "u1", Time: asOf.Add(-time.Hour)}, nil)
	f.StartBundle(nil)
	f.ProcessElement(features.Event{UserID: "u2", Time: asOf.Add(-time.Hour)}, nil)
	var got []string
	f.FinishBundle(context.Background(), func(user string, _ features.Activity) { got = append(got, user) })
	if len(got) != 1 || got[0] != "u2" {
		t.Errorf("accounts emitted: %v, want [u2] (u1 was in the failed bundle)", got)
	}
}
