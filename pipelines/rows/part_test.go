package rows

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sosie-dev/sosie/features"
)

// TestReadPart: a file read in the parts features.SplitText cuts gives
// the rows, rejections (with their line numbers) and line counts of the
// file read whole, in CSV, TSV and JSON lines.
func TestReadPart(t *testing.T) {
	var csv, tsv, jsonl strings.Builder
	csv.WriteString("\r\nuser_id,time,type\r\n")
	tsv.WriteString("user_id\ttime\ttype\n")
	for i := range 300 {
		switch {
		case i%17 == 0:
			csv.WriteString("short row\r\n")
			tsv.WriteString("\n")
			jsonl.WriteString("{not json\n")
		case i%29 == 0:
			csv.WriteString("\r\n")
			tsv.WriteString("short\trow\n")
			jsonl.WriteString("\n")
		default:
			fmt.Fprintf(&csv, "u%d,2026-10-%02dT00:00:00Z,like\r\n", i, i%28+1)
			fmt.Fprintf(&tsv, "u%d\t2026-10-%02dT00:00:00Z\tlike\n", i, i%28+1)
			fmt.Fprintf(&jsonl, `{"user_id":"u%d","time":"2026-10-%02dT00:00:00Z","type":"like"}`+"\n", i, i%28+1)
		}
	}
	for name, text := range map[string]string{"e.csv": csv.String(), "e.tsv": tsv.String(), "e.jsonl": jsonl.String()} {
		read := func(parts []features.TextPart) (File, []string) {
			var got []string
			var total File
			src := strings.NewReader(text)
			header, err := HeaderLine(strings.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(name, ".jsonl") {
				header = nil
			}
			for _, p := range parts {
				r, err := NewReader(name, "events", "facebook", []string{"user_id"}, func(line int, row features.Row) error {
					u, _ := row.Field("user_id")
					got = append(got, fmt.Sprintf("%d:%s", line, u))
					return nil
				}, func(rj Rejection) { got = append(got, fmt.Sprintf("%d:%s", rj.Line, rj.Reason)) })
				if err != nil {
					t.Fatal(err)
				}
				if err := r.ReadPart(io.NewSectionReader(src, p.Start, p.End-p.Start), p, header); err != nil {
					t.Fatal(err)
				}
				s := r.Stats
				total.Lines += s.Lines
				total.Header += s.Header
				total.Blank += s.Blank
				total.Read += s.Read
				total.Rejected += s.Rejected
			}
			return total, got
		}
		whole, wantRows := read([]features.TextPart{{Start: 0, End: int64(len(text))}})
		if whole.Read == 0 || whole.Rejected == 0 || !whole.Balanced() {
			t.Fatalf("%s read whole: %+v", name, whole.TextStats)
		}
		for n := 2; n <= 8; n++ {
			parts, err := features.SplitText(bytes.NewReader([]byte(text)), int64(len(text)), n)
			if err != nil || len(parts) != n {
				t.Fatalf("%s: %d parts of %d (%v)", name, len(parts), n, err)
			}
			stats, rows := read(parts)
			if stats.TextStats != whole.TextStats {
				t.Errorf("%s in %d parts: %+v, whole %+v", name, n, stats.TextStats, whole.TextStats)
			}
			if strings.Join(rows, " ") != strings.Join(wantRows, " ") {
				t.Errorf("%s in %d parts:\n got %v\nwant %v", name, n, rows, wantRows)
			}
		}
	}
}
