package rows

import (
	"errors"
	"strings"
	"testing"

	"github.com/sosie-dev/sosie/features"
)

func TestFormatOf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		gz     bool
		ok     bool
	}{
		{"a.jsonl", JSONL, false, true}, {"gs://b/x/a.JSON", JSONL, false, true}, {"a.ndjson.gz", JSONL, true, true},
		{"a.csv.gz", CSV, true, true}, {"a.tsv", TSV, false, true}, {"a.parquet", Parquet, false, true},
		{"a.parquet.gz", "", false, false}, {"a.xlsx", "", false, false}, {"a", "", false, false}, {"a.gz", "", false, false},
	} {
		f, gz, err := FormatOf(tc.name)
		if (err == nil) != tc.ok || f != tc.format || gz != tc.gz {
			t.Errorf("FormatOf(%q) = %q, %v, %v", tc.name, f, gz, err)
		}
		if err != nil && (!errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.name)) {
			t.Errorf("FormatOf(%q): %v does not name the file", tc.name, err)
		}
	}
}

// FuzzReadRows: whatever a CSV or JSONL file holds, reading it never
// panics, and every physical line is accounted for: a header, blank, a row
// read or a row rejected with a rejection that quotes nothing of the file
// that could be a phone.
func FuzzReadRows(f *testing.F) {
	for _, s := range []string{
		"user_id,phone\nu1,+33612345678\n",
		"user_id,phone\n\"u1,+336\nu2,+33612345679\n",
		"user_id,phone\r\nu1,\"+33 6\"\"\"\r\n\r\n",
		`{"user_id":"u1","phone":"+33612345678"}` + "\n[1]\n{\"a\":\n",
		"\xff\xfeu\x00\n\x00",
		"phone\n+33612345678\n",
		"user_id\ra\rb",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, in string, csv bool) {
		name := "x.jsonl"
		if csv {
			name = "x.csv"
		}
		var dead []Rejection
		rows := 0
		r, err := NewReader(name, "accounts", "facebook", []string{"user_id"}, func(_ int, row features.Row) error {
			_, err := features.AccountColumns{}.DecodeAccount("facebook", row)
			if err == nil {
				rows++
			}
			return err
		}, func(d Rejection) { dead = append(dead, d) })
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Read(strings.NewReader(in)); err != nil {
			var le *features.LineError
			if !errors.As(err, &le) && !strings.Contains(err.Error(), "header does not split") {
				t.Fatalf("an error from a string: %v", err)
			}
			return
		}
		st := r.Stats
		if !st.Balanced() || st.Read != rows {
			t.Fatalf("lines do not balance: %+v, %d rows decoded", st, rows)
		}
		letters := 0
		for _, d := range dead {
			letters += d.Rows
			if d.Reason == "" {
				t.Fatalf("a dead letter without a reason: %+v", d)
			}
			for _, field := range strings.FieldsFunc(in, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == '"' }) {
				if features.CouldBePhone(field) && strings.Contains(d.Detail, strings.TrimSpace(field)) {
					t.Fatalf("dead letter %q quotes the input %q", d.Detail, field)
				}
			}
		}
		if letters != st.Rejected {
			t.Fatalf("%d rows rejected, %d in dead letters", st.Rejected, letters)
		}
	})
}
