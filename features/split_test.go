package features

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// numberedLines reads r with l to its end: each line with its number.
func numberedLines(t *testing.T, l *LineReader) []string {
	t.Helper()
	var out []string
	for {
		b, err := l.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d:%s", l.Line(), b))
	}
}

// TestSplitText: a file read in the parts SplitText cuts gives exactly
// the lines, and line numbers, of the file read whole — whatever its line
// ends (LF, CRLF, lone CR, mixed, a CRLF across SplitText's reads), a
// byte-order mark, blank lines, a last line without an end.
func TestSplitText(t *testing.T) {
	defer func(n int) { splitBuffer = n }(splitBuffer)
	var long strings.Builder
	for i := range 500 {
		fmt.Fprintf(&long, "row %d,é,%s\r\n", i, strings.Repeat("x", i%13))
		if i%7 == 0 {
			long.WriteString("\r") // a lone CR: a blank line
		}
		if i%11 == 0 {
			long.WriteString("\n")
		}
	}
	files := map[string]string{
		"lf":        "a\nb\nc\n\nd\ne",
		"crlf":      "h1,h2\r\n1,2\r\n3,4\r\n\r\n5,6\r\n",
		"cr":        "a\rb\rc\rd\r",
		"mixed":     "a\r\nb\rc\nd\r\n\re\nf",
		"bom":       "\xEF\xBB\xBFuser_id,phone\nu1,1\nu2,2\nu3,3\n",
		"one line":  "no line end at all",
		"long":      long.String(),
		"nl at end": "x\n",
	}
	for name, text := range files {
		want := numberedLines(t, NewLineReader(strings.NewReader(text)))
		for _, buf := range []int{1, 2, 3, 7, 1 << 20} {
			splitBuffer = buf
			for n := 1; n <= 9; n++ {
				r := bytes.NewReader([]byte(text))
				parts, err := SplitText(r, int64(len(text)), n)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				end := int64(0)
				for i, p := range parts {
					if p.Start != end || p.End <= p.Start {
						t.Fatalf("%s, %d parts: part %d is %+v after %d", name, n, i, p, end)
					}
					end = p.End
					sec := io.NewSectionReader(r, p.Start, p.End-p.Start)
					l := NewLineReaderAfter(sec, p.Lines)
					if i == 0 {
						l = NewLineReader(sec)
					}
					got = append(got, numberedLines(t, l)...)
				}
				if end != int64(len(text)) {
					t.Fatalf("%s: the parts end at %d of %d bytes", name, end, len(text))
				}
				if strings.Join(got, "|") != strings.Join(want, "|") {
					t.Fatalf("%s, %d parts (%d-byte reads) %+v:\n got %q\nwant %q", name, n, buf, parts, got, want)
				}
				if n > 1 && name == "long" && len(parts) < n {
					t.Errorf("%s: %d parts asked, %d cut", name, n, len(parts))
				}
			}
		}
	}
	// UTF-16 is never split.
	utf16 := "\xFF\xFEa\x00\n\x00b\x00\n\x00c\x00\n\x00"
	if parts, _ := SplitText(strings.NewReader(utf16), int64(len(utf16)), 4); len(parts) != 1 {
		t.Fatalf("a UTF-16 file cut in %d parts", len(parts))
	}
}
