package features

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// Text inputs are read one physical line at a time, so that every line of
// a file is accounted for: a stray quote or a broken byte can spoil its own
// line and never the lines after it.

// Encoding is the text encoding a LineReader found.
type Encoding string

// The encodings a LineReader reads.
const (
	UTF8    Encoding = "utf-8"
	UTF8BOM Encoding = "utf-8 with byte-order mark"
	UTF16LE Encoding = "utf-16le"
	UTF16BE Encoding = "utf-16be"
)

// Errors of a LineReader, wrapped in a *LineError that gives the line.
var (
	ErrLineTooLong = errors.New("line longer than the limit")
	ErrBinary      = errors.New("a NUL byte: not a text file (binary, or UTF-16 without a byte-order mark)")
)

// LineError says on which line a file stopped being readable.
type LineError struct {
	Line int // 1-based
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// DefaultMaxLine is the longest line a LineReader accepts by default.
const DefaultMaxLine = 16 << 20

// LineReader reads a text file line by line as exports and people write
// them: lines end in LF, CRLF or a lone CR; UTF-8 with or without a
// byte-order mark, or UTF-16 with one (or without one, when its first
// bytes show it), decoded to UTF-8. A line that is not valid UTF-8 is read
// as Windows-1252 (which covers Latin-1), the commonest legacy encoding of
// spreadsheets, and counted in Recoded. A NUL byte in a UTF-8 file, or a
// line longer than MaxLine, stops the reader with a *LineError.
type LineReader struct {
	// MaxLine is the longest line accepted, in bytes; 0 means
	// DefaultMaxLine.
	MaxLine int

	src      io.Reader
	buf      []byte
	pos, end int
	eof      bool
	err      error
	line     int
	started  bool
	enc      Encoding
	recoded  int
	scratch  []byte
}

// NewLineReader reads lines from r.
func NewLineReader(r io.Reader) *LineReader {
	return &LineReader{src: r, buf: make([]byte, 64<<10)}
}

// Line is the number of the line Next returned last (1-based), or of the
// line that failed.
func (l *LineReader) Line() int { return l.line }

// Encoding is the encoding found; empty before the first Next.
func (l *LineReader) Encoding() Encoding { return l.enc }

// Recoded is how many lines were read as Windows-1252.
func (l *LineReader) Recoded() int { return l.recoded }

func (l *LineReader) maxLine() int {
	if l.MaxLine > 0 {
		return l.MaxLine
	}
	return DefaultMaxLine
}

// fill reads more bytes after l.end, moving what is left to the front and
// growing the buffer up to the line limit.
func (l *LineReader) fill() error {
	if l.pos > 0 {
		n := copy(l.buf, l.buf[l.pos:l.end])
		l.pos, l.end = 0, n
	}
	if l.end == len(l.buf) {
		if len(l.buf) > l.maxLine() {
			return &LineError{l.line + 1, fmt.Errorf("%w of %d bytes", ErrLineTooLong, l.maxLine())}
		}
		nb := make([]byte, 2*len(l.buf))
		copy(nb, l.buf[:l.end])
		l.buf = nb
	}
	n, err := l.src.Read(l.buf[l.end:])
	l.end += n
	if err == io.EOF {
		l.eof = true
		return nil
	}
	return err
}

// start looks at the first bytes for a byte-order mark or the zero bytes
// of UTF-16, and decodes UTF-16 from there on.
func (l *LineReader) start() error {
	l.started = true
	for l.end-l.pos < 4 && !l.eof {
		if err := l.fill(); err != nil {
			return err
		}
	}
	head := l.buf[l.pos:l.end]
	var order utf16Order
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		l.enc, l.pos = UTF8BOM, l.pos+3
		return nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		l.enc, order, l.pos = UTF16LE, littleEndian, l.pos+2
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		l.enc, order, l.pos = UTF16BE, bigEndian, l.pos+2
	case len(head) >= 4 && head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0:
		l.enc, order = UTF16LE, littleEndian // ASCII text in UTF-16LE
	case len(head) >= 4 && head[0] == 0 && head[1] != 0 && head[2] == 0 && head[3] != 0:
		l.enc, order = UTF16BE, bigEndian
	default:
		l.enc = UTF8
		return nil
	}
	// From here on, read through a decoder of what is left.
	rest := append([]byte(nil), l.buf[l.pos:l.end]...)
	l.src = &utf16Reader{src: io.MultiReader(bytes.NewReader(rest), l.src), order: order}
	l.pos, l.end, l.eof = 0, 0, false
	return nil
}

// Next returns the next line without its line end, valid until the next
// call, or io.EOF after the last line. An empty file has no line; a last
// line without a line end is a line.
func (l *LineReader) Next() ([]byte, error) {
	if l.err != nil {
		return nil, l.err
	}
	if !l.started {
		if err := l.start(); err != nil {
			l.err = err
			return nil, err
		}
	}
	for {
		seg := l.buf[l.pos:l.end]
		limit := bytes.IndexByte(seg, '\n')
		cr := -1
		if limit >= 0 {
			cr = bytes.IndexByte(seg[:limit], '\r')
		} else {
			cr = bytes.IndexByte(seg, '\r')
		}
		switch {
		case cr >= 0 && cr == len(seg)-1 && !l.eof:
			// A CR at the end of what is read: an LF may follow.
		case cr >= 0:
			next := cr + 1
			if next < len(seg) && seg[next] == '\n' {
				next++
			}
			l.pos += next
			return l.finish(seg[:cr])
		case limit >= 0:
			l.pos += limit + 1
			return l.finish(seg[:limit])
		case l.eof:
			if len(seg) == 0 {
				l.err = io.EOF
				return nil, io.EOF
			}
			l.pos = l.end
			return l.finish(seg)
		}
		if err := l.fill(); err != nil {
			var le *LineError
			if !errors.As(err, &le) {
				err = &LineError{l.line + 1, err}
			}
			l.err = err
			return nil, err
		}
	}
}

// finish counts a line and checks and decodes its bytes.
func (l *LineReader) finish(b []byte) ([]byte, error) {
	l.line++
	if len(b) > l.maxLine() {
		l.err = &LineError{l.line, fmt.Errorf("%w of %d bytes", ErrLineTooLong, l.maxLine())}
		return nil, l.err
	}
	if bytes.IndexByte(b, 0) >= 0 {
		l.err = &LineError{l.line, ErrBinary}
		return nil, l.err
	}
	if l.line == 1 {
		// A byte-order mark left after decoding (written twice, or inside
		// UTF-16) is no part of the first line.
		b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	}
	if utf8.Valid(b) {
		return b, nil
	}
	l.recoded++
	l.scratch = appendWindows1252(l.scratch[:0], b)
	return l.scratch, nil
}

// windows1252 maps the bytes 0x80–0x9F of Windows-1252 to their runes;
// the other bytes are Latin-1's, equal to their code points. Undefined
// bytes map to U+FFFD.
var windows1252 = [32]rune{
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
}

func appendWindows1252(dst, b []byte) []byte {
	for _, c := range b {
		switch {
		case c < 0x80:
			dst = append(dst, c)
		case c < 0xA0:
			dst = utf8.AppendRune(dst, windows1252[c-0x80])
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}

type utf16Order bool

const (
	littleEndian utf16Order = false
	bigEndian    utf16Order = true
)

// utf16Reader decodes UTF-16 to UTF-8.
type utf16Reader struct {
	src   io.Reader
	order utf16Order
	in    []byte // undecoded bytes
	out   []byte // decoded, not yet read
	done  bool
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.done {
			return 0, io.EOF
		}
		chunk := make([]byte, 32<<10)
		n, err := io.ReadFull(u.src, chunk)
		u.in = append(u.in, chunk[:n]...)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			u.done = true
		} else if err != nil {
			return 0, err
		}
		u.decode()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

func (u *utf16Reader) decode() {
	unit := func(i int) uint16 {
		if u.order == bigEndian {
			return uint16(u.in[i])<<8 | uint16(u.in[i+1])
		}
		return uint16(u.in[i+1])<<8 | uint16(u.in[i])
	}
	i := 0
	for ; i+1 < len(u.in); i += 2 {
		c := unit(i)
		r := rune(c)
		if utf16.IsSurrogate(r) {
			if i+3 >= len(u.in) {
				if !u.done {
					break // the pair's second half is in the next chunk
				}
				r = utf8.RuneError
			} else {
				r = utf16.DecodeRune(r, rune(unit(i+2)))
				i += 2
			}
		}
		u.out = utf8.AppendRune(u.out, r)
	}
	u.in = append(u.in[:0], u.in[i:]...)
	if u.done && len(u.in) > 0 { // an odd last byte
		u.out = utf8.AppendRune(u.out, utf8.RuneError)
		u.in = u.in[:0]
	}
}

// ErrQuote is a CSV line whose quotes do not pair up: a quoted field that
// does not end on its line, or text after a closing quote.
var ErrQuote = errors.New("unbalanced quotes")

// CSVLineError says where on a line a CSV field went wrong.
type CSVLineError struct {
	Field int // 1-based
	Err   error
	What  string
}

func (e *CSVLineError) Error() string { return fmt.Sprintf("field %d: %s", e.Field, e.What) }

func (e *CSVLineError) Unwrap() error { return e.Err }

// SplitCSVLine splits one line of a CSV file into fields separated by
// comma, appending them to fields[:0]. A field in double quotes may hold
// the separator and doubled quotes; it must close on the same line and be
// followed by the separator or the line's end (spaces aside), or the error
// wraps ErrQuote. A quote inside an unquoted field is a character like any
// other. A record never spans lines: a file's every line stands alone.
func SplitCSVLine(line []byte, comma byte, fields []string) ([]string, error) {
	fields = fields[:0]
	i := 0
	for {
		// Spaces before a quoted field are not part of it.
		j := i
		for j < len(line) && (line[j] == ' ' || line[j] == '\t') && line[j] != comma {
			j++
		}
		if j < len(line) && line[j] == '"' {
			var f []byte
			k := j + 1
			closed := false
			for k < len(line) {
				c := line[k]
				if c == '"' {
					if k+1 < len(line) && line[k+1] == '"' {
						f = append(f, '"')
						k += 2
						continue
					}
					closed = true
					k++
					break
				}
				f = append(f, c)
				k++
			}
			if !closed {
				return fields, &CSVLineError{Field: len(fields) + 1, Err: ErrQuote, What: "a quoted field does not end on its line"}
			}
			for k < len(line) && line[k] == ' ' && line[k] != comma {
				k++
			}
			if k < len(line) && line[k] != comma {
				return fields, &CSVLineError{Field: len(fields) + 1, Err: ErrQuote, What: "text after a closing quote"}
			}
			fields = append(fields, string(f))
			if k >= len(line) {
				return fields, nil
			}
			i = k + 1
			continue
		}
		k := bytes.IndexByte(line[i:], comma)
		if k < 0 {
			return append(fields, string(line[i:])), nil
		}
		fields = append(fields, string(line[i:i+k]))
		i += k + 1
	}
}

// TextStats accounts for the lines of a text file: every line is a
// header, blank, a row read, or a row rejected.
type TextStats struct {
	Lines    int      `json:"lines"`
	Header   int      `json:"header"`
	Blank    int      `json:"blank"`
	Read     int      `json:"read"`
	Rejected int      `json:"rejected"`
	Encoding Encoding `json:"encoding,omitempty"`
	Recoded  int      `json:"recoded,omitempty"` // lines read as Windows-1252
}

// Balanced says whether every line is accounted for.
func (s TextStats) Balanced() bool {
	return s.Lines == s.Header+s.Blank+s.Read+s.Rejected
}

// blankLine says whether a line holds nothing but spaces and separators.
func blankLine(b []byte, comma byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != comma && c != '\v' && c != '\f' {
			return false
		}
	}
	return true
}

// NewLineReaderAfter reads the lines of one part of a UTF-8 text file
// (SplitText) that begins at a line's start, after lines lines: its lines
// are numbered from lines+1, and no byte-order mark or UTF-16 is looked
// for (the file's first part has them, and SplitText does not split a
// UTF-16 file).
func NewLineReaderAfter(r io.Reader, lines int) *LineReader {
	return &LineReader{src: r, buf: make([]byte, 64<<10), started: true, enc: UTF8, line: lines}
}

// splitBuffer is how many bytes SplitText reads at a time.
var splitBuffer = 1 << 20

// TextPart is a byte range [Start, End) of a text file that begins at a
// line's start; Lines is the number of lines before it.
type TextPart struct {
	Start, End int64
	Lines      int
}

// SplitText cuts a text file of size bytes into at most n parts of about
// equal size, each but the first beginning right after a line feed, and
// counts the lines before each as LineReader counts them (a line ends in
// LF, CRLF or a lone CR), so that the parts read with NewLineReaderAfter
// give the file's lines with their numbers. It reads the file once,
// counting line ends (a few GB/s). A UTF-16 file, or one without line
// feeds, is one part.
func SplitText(r io.ReaderAt, size int64, n int) ([]TextPart, error) {
	whole := []TextPart{{Start: 0, End: size}}
	if n < 2 || size < 2 {
		return whole, nil
	}
	head := make([]byte, 4)
	k, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	head = head[:k]
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) ||
		(len(head) == 4 && (head[1] == 0 && head[3] == 0 || head[0] == 0 && head[2] == 0)) {
		return whole, nil
	}
	// The cuts: the byte after the first line feed at or after each
	// i/n of the file.
	buf := make([]byte, splitBuffer)
	var cuts []int64
	for i := 1; i < n; i++ {
		at := int64(i) * size / int64(n)
		if len(cuts) > 0 && at < cuts[len(cuts)-1] {
			at = cuts[len(cuts)-1]
		}
		cut, err := nextLineStart(r, buf, at, size)
		if err != nil {
			return nil, err
		}
		if cut >= size || (len(cuts) > 0 && cut <= cuts[len(cuts)-1]) || cut <= 0 {
			continue
		}
		cuts = append(cuts, cut)
	}
	if len(cuts) == 0 {
		return whole, nil
	}
	// The lines before each cut: line feeds, plus carriage returns that
	// no line feed follows.
	parts := make([]TextPart, 0, len(cuts)+1)
	var pos int64
	lines, prevCR := 0, false
	for _, cut := range append(cuts, size) {
		parts = append(parts, TextPart{Start: pos, End: cut, Lines: lines})
		for pos < cut && cut < size {
			m := min(int64(len(buf)), cut-pos)
			k, err := r.ReadAt(buf[:m], pos)
			if int64(k) < m {
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
			b := buf[:m]
			lines += bytes.Count(b, []byte{'\n'})
			if crs := bytes.Count(b, []byte{'\r'}); crs > 0 {
				lines += crs - bytes.Count(b, []byte("\r\n"))
			}
			if prevCR && b[0] == '\n' {
				lines-- // a CRLF across two reads, counted as its CR and its LF
			}
			prevCR = b[len(b)-1] == '\r'
			pos += m
		}
	}
	return parts, nil
}

// nextLineStart is the offset right after the first line feed at or after
// at-1 (at itself when the byte before it is a line feed), or size.
func nextLineStart(r io.ReaderAt, buf []byte, at, size int64) (int64, error) {
	if at <= 0 {
		return 0, nil
	}
	pos := at - 1
	for pos < size {
		m := min(int64(len(buf)), size-pos)
		k, err := r.ReadAt(buf[:m], pos)
		if k == 0 && err != nil {
			return 0, err
		}
		if i := bytes.IndexByte(buf[:k], '\n'); i >= 0 {
			return pos + int64(i) + 1, nil
		}
		pos += int64(k)
	}
	return size, nil
}
