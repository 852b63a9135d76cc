package features

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
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
		e164, err := NormalizePhone(cell, country)
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
	SeedPhoneColumns   = []string{"phone", "phone_number", "phonenumber", "mobile", "mobile_number", "msisdn", "tel", "telephone", "hashed_phone", "phone_sha256", "sha256", "hash"}
	SeedCountryColumns = []string{"country", "country_code", "countrycode"}
	SeedValueColumns   = []string{"value", "customer_value", "ltv"}
)

// SeedRow is one data row of a seed list: its 1-based line, the phone
// cell as written (trimmed), the row's country and customer value (1
// when the list has none), or why the row cannot be read.
type SeedRow struct {
	Line    int
	Phone   string
	Country string
	Value   float64
	Err     error // with a Reason (ReasonOf)
}

// ErrSeedHeader is a header that names no phone column, or not the one
// asked for.
var ErrSeedHeader = errors.New("features: seed list header")

// ErrSeedValue is a value cell that is not a non-negative number.
var ErrSeedValue = errors.New("value is not a non-negative number")

// SeedCSVReader reads a seed list CSV: ',', ';' or tab separated
// (whichever the first line has most of), UTF-8 with or without a
// byte-order mark, LF or CRLF line ends. The first line is a header when
// one of its cells names a phone column (SeedPhoneColumns, or
// PhoneColumn); without a header the phone is the first column. A row
// that cannot be read comes back with its error; only a failing reader
// stops it.
type SeedCSVReader struct {
	// PhoneColumn names the phone column; empty: the first header cell
	// in SeedPhoneColumns. A header without it is an error.
	PhoneColumn string

	in                             *bufio.Reader
	csv                            *csv.Reader
	started                        bool
	phoneCol, countryCol, valueCol int
	pending                        *SeedRow
	comma                          rune
	headerErr                      error
}

// NewSeedCSVReader reads a seed list from r.
func NewSeedCSVReader(r io.Reader) *SeedCSVReader {
	return &SeedCSVReader{in: bufio.NewReader(r), countryCol: -1, valueCol: -1}
}

// Comma is the separator the reader detected; 0 before the first Read.
func (s *SeedCSVReader) Comma() rune { return s.comma }

func (s *SeedCSVReader) start() error {
	s.started = true
	first, err := s.in.Peek(4096)
	if err != nil && err != io.EOF {
		return err
	}
	head := string(first)
	if i := strings.IndexAny(head, "\r\n"); i >= 0 {
		head = head[:i]
	}
	s.comma = ','
	for _, c := range []rune{';', '\t'} {
		if strings.Count(head, string(c)) > strings.Count(head, string(s.comma)) {
			s.comma = c
		}
	}
	s.csv = csv.NewReader(s.in)
	s.csv.Comma = s.comma
	s.csv.FieldsPerRecord = -1
	s.csv.TrimLeadingSpace = true
	s.csv.LazyQuotes = true

	rec, line, err := s.next()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return err
		}
		s.pending = &SeedRow{Line: pe.StartLine, Err: NewRejectError(ReasonBadField, err.Error())}
		return nil
	}
	names := make([]string, len(rec))
	for i, h := range rec {
		names[i] = strings.ToLower(strings.TrimSpace(h))
	}
	want := strings.ToLower(strings.TrimSpace(s.PhoneColumn))
	phone := -1
	if want != "" {
		phone = slices.Index(names, want)
	} else {
		phone = slices.IndexFunc(names, func(n string) bool { return slices.Contains(SeedPhoneColumns, n) })
	}
	header := phone >= 0 || slices.ContainsFunc(names, func(n string) bool {
		return slices.Contains(SeedCountryColumns, n) || slices.Contains(SeedValueColumns, n)
	})
	switch {
	case header && phone < 0 && want != "":
		return fmt.Errorf("%w: no column %q (columns: %s)", ErrSeedHeader, s.PhoneColumn, strings.Join(names, ", "))
	case header && phone < 0:
		return fmt.Errorf("%w: no phone column (columns: %s; want one of %s, or name it)", ErrSeedHeader, strings.Join(names, ", "), strings.Join(SeedPhoneColumns, ", "))
	case !header && want != "":
		// The first line is not quoted: without a header it is a customer's phone.
		return fmt.Errorf("%w: the first line is no header naming column %q", ErrSeedHeader, s.PhoneColumn)
	case header:
		s.phoneCol = phone
		s.countryCol = slices.IndexFunc(names, func(n string) bool { return slices.Contains(SeedCountryColumns, n) })
		s.valueCol = slices.IndexFunc(names, func(n string) bool { return slices.Contains(SeedValueColumns, n) })
	default:
		row := s.row(line, rec)
		s.pending = &row
	}
	return nil
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
	if s.pending != nil {
		r := *s.pending
		s.pending = nil
		return r, nil
	}
	if s.csv == nil {
		return SeedRow{}, io.EOF
	}
	rec, line, err := s.next()
	if err == io.EOF {
		return SeedRow{}, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return SeedRow{}, err
		}
		return SeedRow{Line: pe.StartLine, Err: NewRejectError(ReasonBadField, err.Error())}, nil
	}
	return s.row(line, rec), nil
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

// next reads the next record that is not blank: csv skips empty lines,
// but not lines of spaces and separators.
func (s *SeedCSVReader) next() ([]string, int, error) {
	for {
		rec, err := s.csv.Read()
		if err != nil {
			return nil, 0, err
		}
		line, _ := s.csv.FieldPos(0)
		if line == 1 {
			rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
		}
		if slices.ContainsFunc(rec, func(c string) bool { return strings.TrimSpace(c) != "" }) {
			return rec, line, nil
		}
	}
}

func (s *SeedCSVReader) row(line int, rec []string) SeedRow {
	cell := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	row := SeedRow{Line: line, Phone: cell(s.phoneCol), Country: strings.ToUpper(cell(s.countryCol)), Value: 1}
	if v := cell(s.valueCol); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f != f || f > 1e15 {
			// The cell is not quoted: a misplaced column may hold phones.
			row.Err = NewRejectError(ReasonBadField, ErrSeedValue.Error())
			return row
		}
		row.Value = f
	}
	return row
}
