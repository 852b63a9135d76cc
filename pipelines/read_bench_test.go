package pipelines

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/features/synth"
)

// eventRow is an event as a Parquet file holds it.
type eventRow struct {
	UserID   string `parquet:"user_id"`
	Time     string `parquet:"time"`
	Type     string `parquet:"type"`
	Category string `parquet:"category"`
}

// BenchmarkReadEvents reads one app's events file with the reading DoFn
// itself, on one goroutine: events decoded per second on one core, for
// each input format, from the same synthetic events (SOSIE_BENCH_PERSONS
// persons, default 20,000: about 190,000 events of one app):
//
//	SOSIE_BENCH_PERSONS=100000 go test -run '^$' -bench ReadEvents -benchtime 3x ./pipelines/
//
// (The Storage Read path: BenchmarkDecodeStream in pipelines/bqio.)
func BenchmarkReadEvents(b *testing.B) {
	persons := 20_000
	if v, err := strconv.Atoi(os.Getenv("SOSIE_BENCH_PERSONS")); err == nil && v > 0 {
		persons = v
	}
	dir := b.TempDir()
	files := map[string]string{}
	for _, f := range []synth.FileFormat{synth.JSONL, synth.CSV} {
		d := filepath.Join(dir, string(f))
		if _, err := synth.Generate(synth.Config{Persons: persons, Seed: 9, Apps: []string{"facebook"}, Format: f}, d); err != nil {
			b.Fatal(err)
		}
		files[string(f)] = filepath.Join(d, synth.EventsFile("facebook", f))
	}
	files["parquet"] = filepath.Join(dir, "events_facebook.parquet")
	if err := jsonlToParquet(files["jsonl"], files["parquet"]); err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{"jsonl", "csv", "parquet"} {
		b.Run(format, func(b *testing.B) {
			fn := &readEventsFn{App: "facebook"}
			var n int64
			for b.Loop() {
				n = 0
				err := fn.ProcessElement(context.Background(), files[format], func(features.Event) { n++ }, func(d DeadLetter) { b.Fatalf("dead letter %+v", d) }, func(InputFile) {})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// jsonlToParquet writes a JSONL events file's rows as Parquet.
func jsonlToParquet(from, to string) error {
	var rows []eventRow
	if err := eachLine(from, func(b []byte) error {
		var r struct {
			UserID   string `json:"user_id"`
			Time     string `json:"time"`
			Type     string `json:"type"`
			Category string `json:"category"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		rows = append(rows, eventRow(r))
		return nil
	}); err != nil {
		return err
	}
	return parquet.WriteFile(to, rows)
}

// eachLine calls fn on every line of a file.
func eachLine(path string, fn func([]byte) error) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		if i > 0 {
			if err := fn(b[:i]); err != nil {
				return err
			}
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return nil
}

// BenchmarkReadActivity reads one app's JSONL or CSV events file into
// per-account activity with ReadActivity's DoFn: whole on one core
// ("whole": the file under PartBytes), and cut in one part per core
// ("parts", GOMAXPROCS parts). Events/s is wall time: "parts" over "whole"
// is what a big file gains from the machine's cores.
//
//	SOSIE_BENCH_PERSONS=200000 go test -run '^$' -bench ReadActivity -benchtime 3x ./pipelines/
func BenchmarkReadActivity(b *testing.B) {
	persons := 20_000
	if v, err := strconv.Atoi(os.Getenv("SOSIE_BENCH_PERSONS")); err == nil && v > 0 {
		persons = v
	}
	dir := b.TempDir()
	window := features.ActivityWindow{AsOf: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	for _, format := range []synth.FileFormat{synth.JSONL, synth.CSV} {
		d := filepath.Join(dir, string(format))
		if _, err := synth.Generate(synth.Config{Persons: persons, Seed: 9, Apps: []string{"facebook"}, Format: format}, d); err != nil {
			b.Fatal(err)
		}
		file := filepath.Join(d, synth.EventsFile("facebook", format))
		fi, err := os.Stat(file)
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"whole", "parts"} {
			b.Run(string(format)+"/"+mode, func(b *testing.B) {
				defer func(n int64) { PartBytes = n }(PartBytes)
				PartBytes = fi.Size() + 1
				if mode == "parts" {
					PartBytes = max(1, fi.Size()/int64(runtime.GOMAXPROCS(0))/2)
				}
				fn := &readActivityFn{App: "facebook", Window: window}
				fn.Setup()
				var events int
				for b.Loop() {
					events = 0
					err := fn.ProcessElement(context.Background(), file, func(_ string, a features.Activity) { events += a.Seen() },
						func(d DeadLetter) { b.Fatalf("dead letter %+v", d) }, func(InputFile) {})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
