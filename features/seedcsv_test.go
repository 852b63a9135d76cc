package features

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

func readAllSeeds(t testing.TB, in, phoneColumn string) ([]SeedRow, error) {
	r := NewSeedCSVReader(strings.NewReader(in))
	r.PhoneColumn = phoneColumn
	return r.ReadAll()
}

func TestSeedCSVReader(t *testing.T) {
	hash := HashPhone("+33612345678").PlusE164
	for _, tc := range []struct {
		name, in, column string
		want             []SeedRow // Err compared by reason only
		err              error
	}{
		{name: "no header, tab separated", in: "+33612345678\tx\n0612345678\ty\n",
			want: []SeedRow{{Line: 1, Phone: "+33612345678", Value: 1}, {Line: 2, Phone: "0612345678", Value: 1}}},
		{name: "header, phone second, value", in: "id,Phone,Value\n1,+33612345678,2.5\n",
			want: []SeedRow{{Line: 2, Phone: "+33612345678", Value: 2.5}}},
		{name: "semicolons, BOM, CRLF, country", in: "\ufeffmobile;country_code;ltv\r\n06 12 34 56 78;fr;3\r\n\r\n" + hash + ";;\r\n",
			want: []SeedRow{{Line: 2, Phone: "06 12 34 56 78", Country: "FR", Value: 3}, {Line: 4, Phone: hash, Value: 1}}},
		{name: "named column", in: "email,whatsapp_number\nx@y.fr,+33612345678\n", column: "WhatsApp_Number",
			want: []SeedRow{{Line: 2, Phone: "+33612345678", Value: 1}}},
		{name: "named column missing", in: "email,phone\nx@y.fr,+33612345678\n", column: "msisdn", err: ErrSeedHeader},
		{name: "named column, no header", in: "+33612345678\n", column: "msisdn", err: ErrSeedHeader},
		{name: "header without a phone column", in: "email,value\nx@y.fr,3\n", err: ErrSeedHeader},
		{name: "bad values", in: "phone,value\n+33612345678,-1\n+33612345679,lots\n+33612345670,NaN\n",
			want: []SeedRow{{Line: 2, Err: NewRejectError(ReasonBadField, "")}, {Line: 3, Err: NewRejectError(ReasonBadField, "")}, {Line: 4, Err: NewRejectError(ReasonBadField, "")}}},
		{name: "short and blank rows", in: "phone,country\n+33612345678\n   \n,FR\n",
			want: []SeedRow{{Line: 2, Phone: "+33612345678", Value: 1}, {Line: 4, Country: "FR", Value: 1}}},
		{name: "empty", in: ""},
		{name: "header only", in: "phone\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := readAllSeeds(t, tc.in, tc.column)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if len(rows) != len(tc.want) {
				t.Fatalf("%d rows %+v, want %d", len(rows), rows, len(tc.want))
			}
			for i, got := range rows {
				w := tc.want[i]
				if ReasonOf(got.Err) != ReasonOf(w.Err) || (w.Err == nil && got != w) || got.Line != w.Line {
					t.Errorf("row %d: %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

func TestParseSeedPhone(t *testing.T) {
	hash := HashPhone("+33612345678").Digits
	for _, tc := range []struct {
		cell   string
		format SeedFormat
		want   SeedID
		reason Reason
	}{
		{"06 12 34 56 78", SeedAuto, SeedID{E164: "+33612345678"}, ""},
		{hash, SeedAuto, SeedID{Hash: hash}, ""},
		{strings.ToUpper(hash), SeedSHA256, SeedID{Hash: hash}, ""},
		{"06 12 34 56 78", SeedSHA256, SeedID{}, ReasonBadHash},
		{"", SeedSHA256, SeedID{}, ReasonEmpty},
		{hash, SeedPlain, SeedID{}, ReasonUnparseable},
		{"+33612345678", SeedPlain, SeedID{E164: "+33612345678"}, ""},
	} {
		got, err := ParseSeedPhone(tc.cell, "FR", tc.format)
		if ReasonOf(err) != tc.reason || (tc.reason == "" && got != tc.want) {
			t.Errorf("ParseSeedPhone(%.12q, %q) = %+v, %v; want %+v, %s", tc.cell, tc.format, got, err, tc.want, tc.reason)
		}
	}
	if _, err := ParseSeedFormat("md5"); err == nil {
		t.Error("ParseSeedFormat accepted md5")
	}
}

// FuzzSeedCSVReader: no input makes the reader panic, and every line of
// an unquoted input is accounted for: a header, a blank line, or one row
// that is valid or rejected with a reason.
func FuzzSeedCSVReader(f *testing.F) {
	for _, s := range []string{
		"phone,value\n+33612345678,2\n",
		"\ufeffMobile;Country\r\n06 12 34 56 78;FR\r\n",
		"+33612345678\t1\n\n  \n0612345678",
		HashPhone("+33612345678").Digits + "\n",
		"phone\n\"+33 6\n12\",1\n",
		"a\"b,c\n",
		"country,value\n",
		"\x00\xff,\r\r\n;\t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := NewSeedCSVReader(strings.NewReader(in))
		rows, err := r.ReadAll()
		if err != nil {
			if !errors.Is(err, ErrSeedHeader) {
				t.Fatalf("a reader error from a string: %v", err)
			}
			return
		}
		last := 0
		for _, r := range rows {
			if r.Line <= last {
				t.Fatalf("row lines not increasing: %d after %d", r.Line, last)
			}
			last = r.Line
			if r.Err != nil && ReasonOf(r.Err) == "" {
				t.Fatalf("a rejected row without a reason: %v", r.Err)
			}
			if r.Err == nil {
				if _, err := ParseSeedPhone(r.Phone, r.Country, SeedAuto); err != nil && ReasonOf(err) == "" {
					t.Fatalf("a phone rejected without a reason: %v", err)
				}
			}
		}
		if strings.Contains(in, `"`) {
			return // quoted fields may span lines
		}
		lines := strings.Split(strings.TrimPrefix(in, "\ufeff"), "\n")
		nonBlank := 0
		for _, l := range lines {
			if strings.TrimFunc(l, func(c rune) bool { return unicode.IsSpace(c) || c == r.Comma() }) != "" {
				nonBlank++
			}
		}
		header := 0
		if nonBlank > len(rows) {
			header = 1
		}
		if len(rows)+header != nonBlank {
			t.Fatalf("%d non-blank lines, %d rows (+%d header): a line went missing", nonBlank, len(rows), header)
		}
	})
}
