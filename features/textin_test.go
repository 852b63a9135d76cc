package features

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

func readLines(t testing.TB, in []byte, max int) ([]string, *LineReader, error) {
	l := NewLineReader(bytes.NewReader(in))
	l.MaxLine = max
	var out []string
	for {
		b, err := l.Next()
		if err == io.EOF {
			return out, l, nil
		}
		if err != nil {
			return out, l, err
		}
		out = append(out, string(b))
	}
}

func utf16Bytes(s string, bigEndian, bom bool) []byte {
	var b []byte
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return b
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 200)
	for _, tc := range []struct {
		name string
		in   []byte
		max  int
		want []string
		enc  Encoding
		err  error
	}{
		{name: "empty", in: nil, enc: UTF8},
		{name: "LF, last line without end", in: []byte("a\nb\n\nc"), want: []string{"a", "b", "", "c"}, enc: UTF8},
		{name: "CRLF", in: []byte("a\r\nb\r\n"), want: []string{"a", "b"}, enc: UTF8},
		{name: "lone CR (classic Mac)", in: []byte("a\rb\r\rc"), want: []string{"a", "b", "", "c"}, enc: UTF8},
		{name: "mixed", in: []byte("a\r\nb\nc\rd"), want: []string{"a", "b", "c", "d"}, enc: UTF8},
		{name: "UTF-8 BOM", in: []byte("\ufeffphone\n+33612345678\n"), want: []string{"phone", "+33612345678"}, enc: UTF8BOM},
		{name: "UTF-16LE with BOM", in: utf16Bytes("téléphone\r\n+33612345678\r\n", false, true), want: []string{"téléphone", "+33612345678"}, enc: UTF16LE},
		{name: "UTF-16BE with BOM", in: utf16Bytes("phone\n+33 6 12\n", true, true), want: []string{"phone", "+33 6 12"}, enc: UTF16BE},
		{name: "UTF-16LE without BOM", in: utf16Bytes("phone\n0612\n", false, false), want: []string{"phone", "0612"}, enc: UTF16LE},
		{name: "UTF-16 surrogate pair", in: utf16Bytes("a😀b\n", false, true), want: []string{"a😀b"}, enc: UTF16LE},
		{name: "Latin-1 line", in: []byte("t\xe9l\xe9phone\nok\n"), want: []string{"téléphone", "ok"}, enc: UTF8},
		{name: "Windows-1252 euro", in: []byte("\x80 12\n"), want: []string{"€ 12"}, enc: UTF8},
		{name: "NUL byte", in: []byte("a\nb\x00c\n"), want: []string{"a"}, err: ErrBinary, enc: UTF8},
		{name: "line too long", in: []byte("short\n" + long + "\n"), max: 100, want: []string{"short"}, err: ErrLineTooLong, enc: UTF8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, l, err := readLines(t, tc.in, tc.max)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("lines %q, want %q", got, tc.want)
			}
			if l.Encoding() != tc.enc {
				t.Errorf("encoding %q, want %q", l.Encoding(), tc.enc)
			}
			var le *LineError
			if tc.err != nil && (!errors.As(err, &le) || le.Line != len(tc.want)+1) {
				t.Errorf("error %v does not name line %d", err, len(tc.want)+1)
			}
		})
	}
}

// TestLineReaderLongInput reads lines across many buffer refills, with a
// CR as the last byte of a read.
func TestLineReaderLongInput(t *testing.T) {
	var in bytes.Buffer
	var want []string
	for i := 0; i < 50_000; i++ {
		s := strings.Repeat("y", 1+i%97) // an empty line after a CR would read as CRLF
		want = append(want, s)
		in.WriteString(s)
		in.WriteString([]string{"\n", "\r\n", "\r"}[i%3])
	}
	got, l, err := readLines(t, in.Bytes(), 0)
	if err != nil || !slices.Equal(got, want) || l.Line() != len(want) {
		t.Fatalf("%d lines (err %v), want %d", len(got), err, len(want))
	}
}

func TestSplitCSVLine(t *testing.T) {
	for _, tc := range []struct {
		in    string
		comma byte
		want  []string
		err   error
	}{
		{"a,b,c", ',', []string{"a", "b", "c"}, nil},
		{"", ',', []string{""}, nil},
		{"a,,", ',', []string{"a", "", ""}, nil},
		{`"a,b",c`, ',', []string{"a,b", "c"}, nil},
		{`"say ""hi""",x`, ',', []string{`say "hi"`, "x"}, nil},
		{` "quoted" ,x`, ',', []string{"quoted", "x"}, nil},
		{`5'11",tall`, ',', []string{`5'11"`, "tall"}, nil},
		{`a;"1,5";c`, ';', []string{"a", "1,5", "c"}, nil},
		{"a\tb", '\t', []string{"a", "b"}, nil},
		{`x,"never closed,y`, ',', []string{"x"}, ErrQuote},
		{`"closed"junk,y`, ',', nil, ErrQuote},
	} {
		got, err := SplitCSVLine([]byte(tc.in), tc.comma, nil)
		if !errors.Is(err, tc.err) || (err == nil && !slices.Equal(got, tc.want)) {
			t.Errorf("SplitCSVLine(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseSeedValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"12.50", 12.5, true}, {"12,50", 12.5, true}, {"1.234,50", 1234.5, true}, {"1,234.50", 1234.5, true},
		{"1 234,50", 1234.5, true}, {"1'234.50", 1234.5, true}, {"€12.50", 12.5, true}, {"12,50 EUR", 12.5, true},
		{"$ 1,234,567", 1234567, true}, {"1.234.567", 1234567, true}, {"0", 0, true}, {"7", 7, true},
		{"-1", 0, false}, {"lots", 0, false}, {"+33612345678", 0, false}, {"33612345678", 0, false}, {"(415) 555 2671", 0, false}, {"NaN", 0, false}, {"Inf", 0, false}, {"1e16", 0, false}, {"", 0, false},
	} {
		got, err := ParseSeedValue(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSeedValue(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
