package features

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// SeedFormat says how a seed list's phone cells are read.
type SeedFormat string

// The seed formats.
const (
	SeedAuto   SeedFormat = ""       // per row: a hash when it looks like one (LooksHashed), else a phone
	SeedPlain  SeedFormat = "plain"  // phones as people type them
	SeedSHA256 SeedFormat = "sha256" // SHA-256 hex digests, in either convention
)

// ParseSeedFormat reads a format name: auto (or empty), plain or sha256.
func ParseSeedFormat(s string) (SeedFormat, error) {
	switch f := SeedFormat(strings.ToLower(strings.TrimSpace(s))); f {
	case "auto", SeedAuto:
		return SeedAuto, nil
	case SeedPlain, SeedSHA256:
		return f, nil
	}
	return "", fmt.Errorf("features: seed format %q, want auto, plain or sha256", s)
}

// ParseSeedPhone reads a seed list's phone cell in format: see
// ReadSeedPhone for SeedAuto; SeedPlain refuses hashes and SeedSHA256
// anything but one. The error carries the rejection reason.
func ParseSeedPhone(cell, country string, format SeedFormat) (SeedID, error) {
	switch format {
	case SeedPlain:
		e164, err := NormalizeListPhone(cell, country)
		return SeedID{E164: e164}, err
	case SeedSHA256:
		if strings.TrimSpace(cell) == "" {
			return SeedID{}, NewRejectError(ReasonEmpty, "empty phone hash")
		}
		h, err := ParseSHA256Hex(cell)
		return SeedID{Hash: h}, err
	}
	return ReadSeedPhone(cell, country)
}

// Column names a seed list's header may give its columns, in lower case.
var (
	SeedPhoneColumns = []string{"phone", "phone_number", "phonenumber", "phone number", "mobile", "mobile_number", "mobile_phone", "msisdn", "tel",
		"telephone", "téléphone", "portable", "telefon", "telefono", "teléfono", "telefone", "handy", "cell", "cellphone", "cell_phone",
		"hashed_phone", "phone_sha256", "sha256", "hash"}
	SeedCountryColumns = []string{"country", "country_code", "countrycode", "pays", "país", "pais", "land", "paese"}
	SeedValueColumns   = []string{"value", "customer_value", "ltv"}
)

// SeedRow is one data row of a seed list: its 1-based line, the phone
// cell as written (trimmed), the row's country and customer value (1
// when the list has none), or why the line cannot be read. Ignored names
// the optional columns whose cells could not be read and were left out:
// a country that is no ISO code, a value that is no non-negative number.
// The row keeps its phone.
type SeedRow struct {
	Line    int
	Phone   string
	Country string
	Value   float64
	Ignored []string // column names as the header gives them
	Err     error    // with a Reason (ReasonOf)
}

// ErrSeedHeader is a header that names no phone column, or not the one
// asked for.
var ErrSeedHeader = errors.New("features: seed list header")

// ErrSeedValue is a value cell that is not a non-negative number.
var ErrSeedValue = errors.New("value is not a non-negative number")

// ParseSeedValue reads a customer value as spreadsheets write them: a
// decimal point or a decimal comma ("12,50"), thousands separated by
// spaces, apostrophes, or the other mark ("1.234,50", "1,234.50"), and a
// currency sign or code around it ("€12.50", "12.50 EUR"). It must be a
// finite number from 0 to 10^15. A cell that reads like a phone (a + or
// a parenthesis, or eight digits or more without a decimal mark) is a
// misplaced phone, not a value: it would be stored with the list.
func ParseSeedValue(s string) (float64, error) {
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "+") || strings.HasPrefix(t, "(") || (digitsOf(t) >= 8 && !strings.ContainsAny(t, ".,")) {
		return 0, ErrSeedValue
	}
	s = strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.Is(unicode.Sc, r) || unicode.IsLetter(r)
	})
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\'' || r == '’' || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, s)
	dot, comma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	switch {
	case dot >= 0 && comma >= 0 && comma > dot: // 1.234,50
		s = strings.ReplaceAll(s[:comma], ".", "") + "." + s[comma+1:]
	case dot >= 0 && comma >= 0: // 1,234.50
		s = strings.ReplaceAll(s, ",", "")
	case comma >= 0 && strings.Count(s, ",") == 1: // 12,50
		s = strings.Replace(s, ",", ".", 1)
	case comma >= 0: // 1,234,567
		s = strings.ReplaceAll(s, ",", "")
	case strings.Count(s, ".") > 1: // 1.234.567
		s = strings.ReplaceAll(s, ".", "")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1e15 {
		return 0, ErrSeedValue
	}
	return f, nil
}

// SeedCSVReader reads a seed list CSV: ',', ';' or tab separated (the
// one that splits the first lines alike), in the encodings LineReader
// reads, any line end. The first line is a header when one of its cells
// names a known column (SeedPhoneColumns, SeedCountryColumns,
// SeedValueColumns, or PhoneColumn), or when none of its cells could be a
// phone and some hold letters; a header without a phone column is an
// error that lists its columns. Without a header the phone is the first
// column. Every line is accounted for (Stats): the header, a blank line,
// or a row, read or with its error; a record never spans lines. Only a
// failing reader, a NUL byte or an endless line stops it.
type SeedCSVReader struct {
	// PhoneColumn names the phone column; empty: the first header cell
	// in PhoneColumns. A header without it is an error.
	PhoneColumn string
	// PhoneColumns are the names a phone column goes by; nil:
	// SeedPhoneColumns.
	PhoneColumns []string

	lines                          *LineReader
	started                        bool
	phoneCol, countryCol, valueCol int
	header                         []string
	queue                          []queuedLine
	comma                          byte
	headerErr                      error
	stats                          TextStats
	fields                         []string
	// nameLike is the first line's one cell when it was read as a row
	// though it looks like a column's name.
	nameLike string
}

// HeaderNote says, when the first line was read as a row though its one
// cell looks like a column's name, that it was, and how to make it the
// header; otherwise it is empty.
func (s *SeedCSVReader) HeaderNote() string {
	if s.nameLike == "" {
		return ""
	}
	return fmt.Sprintf("the first line, %q, was read as a row: it is not a phone column name sosie knows (%s); if it is the header, name the phone column (--phone-column, phone_column)",
		s.nameLike, strings.Join(s.phoneColumns(), ", "))
}

type queuedLine struct {
	n int
	b []byte
}

// NewSeedCSVReader reads a seed list from r.
func NewSeedCSVReader(r io.Reader) *SeedCSVReader {
	return &SeedCSVReader{lines: NewLineReader(r), countryCol: -1, valueCol: -1}
}

// Comma is the separator the reader detected; 0 before the first Read.
func (s *SeedCSVReader) Comma() rune { return rune(s.comma) }

// Stats accounts for the lines read so far: Read counts the rows
// returned, valid or not (Rejected stays 0: whether a row's phone is
// usable is for the caller to say).
func (s *SeedCSVReader) Stats() TextStats {
	st := s.stats
	st.Encoding, st.Recoded = s.lines.Encoding(), s.lines.Recoded()
	return st
}

// Columns is the header's cells, or nil without a header.
func (s *SeedCSVReader) Columns() []string { return s.header }

// seedSampleLines is how many lines the separator is chosen on.
const seedSampleLines = 20

// next returns the next line, from the lines looked ahead first.
func (s *SeedCSVReader) next() (int, []byte, error) {
	if len(s.queue) > 0 {
		q := s.queue[0]
		s.queue = s.queue[1:]
		return q.n, q.b, nil
	}
	b, err := s.lines.Next()
	if err != nil {
		return 0, nil, err
	}
	s.stats.Lines++
	return s.lines.Line(), b, nil
}

func (s *SeedCSVReader) start() error {
	s.started = true
	// Look ahead at the first non-blank lines to choose the separator.
	var sample [][]byte
	for len(sample) < seedSampleLines {
		b, err := s.lines.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		s.stats.Lines++
		c := append([]byte(nil), b...)
		s.queue = append(s.queue, queuedLine{s.lines.Line(), c})
		if strings.TrimSpace(string(c)) != "" {
			sample = append(sample, c)
		}
	}
	s.comma = chooseSeparator(sample)
	// The first non-blank line: a header or a row.
	for {
		n, b, err := s.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if blankLine(b, s.comma) {
			s.stats.Blank++
			continue
		}
		cells, err := SplitCSVLine(b, s.comma, nil)
		if err != nil {
			// A first line that does not split is a row with its error:
			// it may well be data.
			s.queue = append([]queuedLine{{n, append([]byte(nil), b...)}}, s.queue...)
			return nil
		}
		return s.header1(n, b, cells)
	}
}

// header1 decides whether the first line is a header.
func (s *SeedCSVReader) header1(n int, b []byte, cells []string) error {
	names := make([]string, len(cells))
	for i, h := range cells {
		names[i] = strings.ToLower(strings.TrimSpace(h))
	}
	want := strings.ToLower(strings.TrimSpace(s.PhoneColumn))
	phone := -1
	if want != "" {
		phone = slices.Index(names, want)
	} else {
		phone = slices.IndexFunc(names, func(n string) bool { return slices.Contains(s.phoneColumns(), n) })
	}
	known := phone >= 0 || slices.ContainsFunc(names, func(n string) bool {
		return slices.Contains(SeedCountryColumns, n) || slices.Contains(SeedValueColumns, n)
	})
	// A first line naming no known column is still a header when it has
	// several cells, every one a name; a single cell that is no phone is
	// read as a row (and its rejection says so).
	header := known || (len(cells) > 1 && !slices.ContainsFunc(cells, func(c string) bool { return !columnName(c) }))
	switch {
	case header && phone < 0 && want != "":
		return fmt.Errorf("%w: line %d: no column %q (columns: %s)", ErrSeedHeader, n, s.PhoneColumn, headerList(cells))
	case header && phone < 0:
		return fmt.Errorf("%w: line %d: no phone column among the header's columns (%s); want one of %s, or name it (--phone-column, phone_column)",
			ErrSeedHeader, n, headerList(cells), strings.Join(s.phoneColumns(), ", "))
	case !header && want != "":
		return fmt.Errorf("%w: line %d is not a header naming column %q: it holds a phone", ErrSeedHeader, n, s.PhoneColumn)
	case header:
		s.stats.Header++
		s.header = ColumnNames(cells)
		s.phoneCol = phone
		s.countryCol = slices.IndexFunc(names, func(n string) bool { return slices.Contains(SeedCountryColumns, n) })
		s.valueCol = slices.IndexFunc(names, func(n string) bool { return slices.Contains(SeedValueColumns, n) })
	default:
		if len(cells) == 1 && columnName(cells[0]) {
			s.nameLike = strings.TrimSpace(cells[0])
		}
		s.queue = append([]queuedLine{{n, append([]byte(nil), b...)}}, s.queue...)
	}
	return nil
}

func (s *SeedCSVReader) phoneColumns() []string {
	if s.PhoneColumns != nil {
		return s.PhoneColumns
	}
	return SeedPhoneColumns
}

// chooseSeparator picks the separator that splits every sampled line into
// as many cells (tab, then semicolon, then comma: a semicolon file's
// values may hold decimal commas); failing that, the one the first line
// has most of; failing that, a comma.
func chooseSeparator(lines [][]byte) byte {
	candidates := []byte{'\t', ';', ','}
	if len(lines) == 0 {
		return ','
	}
	for _, c := range candidates {
		n := countOutsideQuotes(lines[0], c)
		if n == 0 {
			continue
		}
		alike := true
		for _, l := range lines[1:] {
			if countOutsideQuotes(l, c) != n {
				alike = false
				break
			}
		}
		if alike {
			return c
		}
	}
	best, most := byte(','), 0
	for _, c := range []byte{',', ';', '\t'} {
		if n := countOutsideQuotes(lines[0], c); n > most {
			best, most = c, n
		}
	}
	return best
}

func countOutsideQuotes(b []byte, c byte) int {
	n, quoted := 0, false
	for _, x := range b {
		switch {
		case x == '"':
			quoted = !quoted
		case x == c && !quoted:
			n++
		}
	}
	return n
}

// CouldBePhone says whether a value could be a phone number or its hash:
// six digits or more, or 64 hexadecimal characters. Such a value is never
// shown in a message, a dead letter or a report.
func CouldBePhone(cell string) bool {
	if _, err := ParseSHA256Hex(cell); err == nil {
		return true
	}
	digits := 0
	for _, r := range cell {
		if r >= '0' && r <= '9' || unicode.IsDigit(r) {
			digits++
		}
	}
	return digits >= 6
}

// columnName says whether a cell looks like a column's name: it starts
// with a letter and holds letters, digits, spaces and _ - . # ( ) only,
// and could not be a phone.
func columnName(cell string) bool {
	cell = strings.TrimSpace(cell)
	if cell == "" || CouldBePhone(cell) {
		return false
	}
	for i, r := range cell {
		if i == 0 && !unicode.IsLetter(r) {
			return false
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" _-.#()", r) {
			return false
		}
	}
	return true
}

// headerList lists a header's cells for an error message (see
// ColumnNames).
func headerList(cells []string) string {
	names := ColumnNames(cells)
	for i, n := range names {
		names[i] = strconv.Quote(n)
	}
	return strings.Join(names, ", ")
}

// ColumnNames are a header's cells as they may be shown in a message or a
// report: a header holds column names, but the first line of a file
// without one holds data, so a cell that does not look like a name (too
// long, an @, digits enough to be a phone) is shown by its position only.
func ColumnNames(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		c = strings.TrimSpace(c)
		if len(c) > 40 || CouldBePhone(c) || strings.ContainsAny(c, "@") {
			c = fmt.Sprintf("<column %d>", i+1)
		}
		out[i] = c
	}
	return out
}

// Read returns the next data row, or io.EOF after the last. Its error is
// the reader's or a header's; a row's own problem is in SeedRow.Err.
func (s *SeedCSVReader) Read() (SeedRow, error) {
	if !s.started {
		if err := s.start(); err != nil {
			s.headerErr = err
		}
	}
	if s.headerErr != nil {
		return SeedRow{}, s.headerErr
	}
	for {
		n, b, err := s.next()
		if err != nil {
			return SeedRow{}, err
		}
		if blankLine(b, s.comma) {
			s.stats.Blank++
			continue
		}
		s.stats.Read++
		s.fields, err = SplitCSVLine(b, s.comma, s.fields)
		if err != nil {
			return SeedRow{Line: n, Err: NewRejectError(ReasonBadQuote, err.Error())}, nil
		}
		return s.row(n, s.fields), nil
	}
}

// ReadAll reads the remaining rows. A successful call returns err ==
// nil, not io.EOF; on an error, the rows read before it come back too.
func (s *SeedCSVReader) ReadAll() ([]SeedRow, error) {
	var rows []SeedRow
	for {
		row, err := s.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}

func (s *SeedCSVReader) row(line int, rec []string) SeedRow {
	cell := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	row := SeedRow{Line: line, Phone: cell(s.phoneCol), Value: 1}
	if c := cell(s.countryCol); c != "" {
		if cc, ok := ParseCountry(c); ok {
			row.Country = cc
		} else {
			row.Ignored = append(row.Ignored, s.header[s.countryCol])
		}
	}
	if v := cell(s.valueCol); v != "" {
		if f, err := ParseSeedValue(v); err == nil {
			row.Value = f
		} else {
			row.Ignored = append(row.Ignored, s.header[s.valueCol])
		}
	}
	return row
}

func digitsOf(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// ParseCountry reads an ISO 3166 alpha-2 country code, in any case and
// with space around it.
func ParseCountry(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return "", false
	}
	return s, true
}
