package features

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSeedCSVReader(t *testing.T) {
	hash := HashPhone("+33612345678").PlusE164
	for _, tc := range []struct {
		name, in, column string
		want             []SeedRow // Err compared by reason only
		err              error
		comma            rune
	}{
		{name: "no header, tab separated", in: "+33612345678\tx\n0612345678\ty\n",
			want: []SeedRow{{Line: 1, Phone: "+33612345678", Value: 1}, {Line: 2, Phone: "0612345678", Value: 1}}},
		{name: "header, phone second, value", in: "id,Phone,Value\n1,+33612345678,2.5\n",
			want: []SeedRow{{Line: 2, Phone: "+33612345678", Value: 2.5}}},
		{name: "semicolons, BOM, CRLF, country", in: "\ufeffmobile;country_code;ltv\r\n06 12 34 56 78;fr;3\r\n\r\n" + hash + ";;\r\n",
			want: []SeedRow{{Line: 2, Phone: "06 12 34 56 78", Country: "FR", Value: 3}, {Line: 4, Phone: hash, Value: 1}}},
		{name: "decimal commas with semicolons", in: "phone;value\n+33612345678;12,50\n+33612345679;7\n",
			want: []SeedRow{{Line: 2, Phone: "+33612345678", Value: 12.5}, {Line: 3, Phone: "+33612345679", Value: 7}}, comma: ';'},
		{name: "decimal commas, no header", in: "+33612345678;12,50\n+33612345679;7,25\n",
			want: []SeedRow{{Line: 1, Phone: "+33612345678", Value: 1}, {Line: 2, Phone: "+33612345679", Value: 1}}, comma: ';'},
		{name: "named column", in: "email,whatsapp_number\nx@y.fr,+33612345678\n", column: "WhatsApp_Number",
			want: []SeedRow{{Line: 2, Phone: "+33612345678", Value: 1}}},
		{name: "named column missing", in: "email,phone\nx@y.fr,+33612345678\n", column: "msisdn", err: ErrSeedHeader},
		{name: "named column, no header", in: "+33612345678\n", column: "msisdn", err: ErrSeedHeader},
		{name: "header without a phone column", in: "email,value\nx@y.fr,3\n", err: ErrSeedHeader},
		{name: "unknown header", in: "customer_phone,email\n+33612345678,x@y.fr\n", err: ErrSeedHeader},
		{name: "bad values are left out, rows kept", in: "phone,value,country\n+33612345678,-1,FR\n+33612345679,lots,France\n+33612345670,NaN,fr\n",
			want: []SeedRow{{Line: 2, Value: 1, Country: "FR", Phone: "+33612345678", Ignored: []string{"value"}},
				{Line: 3, Value: 1, Phone: "+33612345679", Ignored: []string{"country", "value"}},
				{Line: 4, Value: 1, Country: "FR", Phone: "+33612345670", Ignored: []string{"value"}}}},
		{name: "short and blank rows", in: "phone,country\n+33612345678\n   \n,FR\n",
			want: []SeedRow{{Line: 2, Phone: "+33612345678", Value: 1}, {Line: 4, Country: "FR", Value: 1}}},
		{name: "a stray quote spoils its line only", in: "phone,value\n\"+33612345678,1\n+33612345679,2\n+33612345670,3\n",
			want: []SeedRow{{Line: 2, Err: NewRejectError(ReasonBadQuote, "")}, {Line: 3, Phone: "+33612345679", Value: 2}, {Line: 4, Phone: "+33612345670", Value: 3}}},
		{name: "empty", in: ""},
		{name: "header only", in: "phone\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewSeedCSVReader(strings.NewReader(tc.in))
			r.PhoneColumn = tc.column
			rows, err := r.ReadAll()
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if len(rows) != len(tc.want) {
				t.Fatalf("%d rows %+v, want %d", len(rows), rows, len(tc.want))
			}
			for i, got := range rows {
				w := tc.want[i]
				if ReasonOf(got.Err) != ReasonOf(w.Err) || got.Line != w.Line ||
					(w.Err == nil && (got.Phone != w.Phone || got.Country != w.Country || got.Value != w.Value || !slices.Equal(got.Ignored, w.Ignored))) {
					t.Errorf("row %d: %+v, want %+v", i, got, w)
				}
			}
			if tc.comma != 0 && r.Comma() != tc.comma {
				t.Errorf("separator %q, want %q", r.Comma(), tc.comma)
			}
			if st := r.Stats(); tc.err == nil && !st.Balanced() {
				t.Errorf("lines do not balance: %+v", st)
			}
		})
	}
}

// TestSeedHeaderErrorsNameColumnsNotValues: an unrecognized header is
// named cell by cell, but a cell that could be a phone never is.
func TestSeedHeaderErrorsNameColumnsNotValues(t *testing.T) {
	_, err := NewSeedCSVReader(strings.NewReader("Customer Phone,E-mail\n+33612345678,a@b.fr\n")).ReadAll()
	if err == nil || !strings.Contains(err.Error(), `"Customer Phone", "E-mail"`) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("error %v does not list the header", err)
	}
	_, err = NewSeedCSVReader(strings.NewReader("email,value\nx@y.fr,3\n")).ReadAll()
	if err == nil || !strings.Contains(err.Error(), `"email", "value"`) {
		t.Errorf("error %v does not list the header", err)
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

// FuzzSeedCSVReader: no input makes the reader panic, every row is
// valid or rejected with a reason, and every line of the input is
// accounted for: a header, a blank line, or one row.
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
		"\xff\xfep\x00h\x00o\x00n\x00e\x00\n\x00",
		"phone;value\n+33612345678;12,50\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := NewSeedCSVReader(strings.NewReader(in))
		rows, err := r.ReadAll()
		if err != nil {
			var le *LineError
			if !errors.Is(err, ErrSeedHeader) && !errors.As(err, &le) {
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
		st := r.Stats()
		if !st.Balanced() || st.Read != len(rows) {
			t.Fatalf("lines do not balance: %+v, %d rows", st, len(rows))
		}
		if st.Encoding == UTF8 {
			// Every physical line, as LF, CRLF or CR ends them, is counted.
			n := strings.Count(strings.ReplaceAll(in, "\r\n", "\n"), "\n") + strings.Count(strings.ReplaceAll(in, "\r\n", "\n"), "\r")
			if in != "" && !strings.HasSuffix(in, "\n") && !strings.HasSuffix(in, "\r") {
				n++
			}
			if st.Lines != n {
				t.Fatalf("%d lines counted, the input has %d", st.Lines, n)
			}
		}
	})
}
