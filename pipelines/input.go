package pipelines

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/sosie-dev/sosie/features"
)

// Format is a file format of a source.
type Format string

// The file formats sosie reads.
const (
	JSONL   Format = "jsonl"   // one JSON object per line (.jsonl, .ndjson, .json)
	CSV     Format = "csv"     // comma-separated (or semicolons, or tabs, when its header has no comma), with a header row
	TSV     Format = "tsv"     // tab-separated, with a header row
	Parquet Format = "parquet" // Apache Parquet, flat columns
	Text    Format = "txt"     // one entry per line (opt-out and seed lists)
)

// ErrFormat says a file's name gives no format sosie reads.
var ErrFormat = errors.New("unknown file extension")

// formats maps extensions to formats; .gz after a text one means gzip.
var formats = map[string]Format{".jsonl": JSONL, ".ndjson": JSONL, ".json": JSONL, ".csv": CSV, ".tsv": TSV, ".parquet": Parquet, ".txt": Text}

// FormatOf is a file's format by its name (gzip-compressed when it ends in
// .gz after a text format's extension, as Beam's text reads decide), or an
// error wrapping ErrFormat naming the file.
func FormatOf(file string) (Format, bool, error) {
	name := strings.ToLower(path.Base(strings.ReplaceAll(file, "\\", "/")))
	gz := strings.HasSuffix(name, ".gz")
	name = strings.TrimSuffix(name, ".gz")
	f, ok := formats[path.Ext(name)]
	if !ok || (gz && f == Parquet) {
		return "", false, fmt.Errorf("%w: %s (want .jsonl, .ndjson, .json, .csv, .tsv or .txt, each optionally .gz, or .parquet)", ErrFormat, file)
	}
	return f, gz, nil
}

// CheckFormats refuses, before any work, a file whose format is not one
// of want, naming it and what it is for.
func CheckFormats(what string, files []string, want ...Format) error {
	for _, f := range files {
		got, _, err := FormatOf(f)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if !slices.Contains(want, got) {
			names := make([]string, len(want))
			for i, w := range want {
				names[i] = string(w)
			}
			return fmt.Errorf("%s: %w: %s is %s, want %s", what, ErrFormat, f, got, strings.Join(names, ", "))
		}
	}
	return nil
}

// OpenInput opens an input file for reading, decompressing a .gz one. A
// file that is gzip-compressed without the .gz name is refused, naming it:
// read as text, it would be one long line of noise.
func OpenInput(ctx context.Context, file string) (io.ReadCloser, error) {
	_, gz, err := FormatOf(file)
	if err != nil {
		return nil, err
	}
	f, err := OpenFile(ctx, file)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	magic, _ := br.Peek(2)
	isGzip := bytes.Equal(magic, []byte{0x1f, 0x8b})
	switch {
	case gz && !isGzip && len(magic) > 0:
		f.Close()
		return nil, fmt.Errorf("pipelines: %s: named .gz but not gzip-compressed", file)
	case gz && len(magic) > 0:
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("pipelines: %s: %w", file, err)
		}
		return readCloser{zr, func() error { zr.Close(); return f.Close() }}, nil
	case !gz && isGzip:
		f.Close()
		return nil, fmt.Errorf("pipelines: %s: gzip-compressed but not named .gz: rename it %s.gz", file, file)
	}
	return readCloser{br, f.Close}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// InputFile accounts for one input file's lines (rows, for Parquet):
// Lines = Header + Blank + Read + Rejected, and each rejected line is a
// dead letter (a file without a required column: one letter for all of
// them).
type InputFile struct {
	File string `json:"file"`
	Kind string `json:"kind"` // accounts, events, seeds, opt_out, persons, identities, models
	App  string `json:"app,omitempty"`
	features.TextStats
	Gzip    bool     `json:"gzip,omitempty"`
	Columns []string `json:"columns,omitempty"`         // the header (CSV), the schema (Parquet), the first row's fields (JSONL)
	Missing []string `json:"missing_columns,omitempty"` // required columns the file lacks: all its rows rejected
}

// rowReader reads one input file's rows in the format of its name and
// accounts for every line: a header, blank, decoded (decode returns nil),
// or rejected with a dead letter.
type rowReader struct {
	stats    InputFile
	format   Format
	required []string
	decode   func(line int, row features.Row) error
	dead     func(DeadLetter)
	fields   []string
}

func newRowReader(file, kind, app string, required []string, decode func(int, features.Row) error, dead func(DeadLetter)) (*rowReader, error) {
	format, gz, err := FormatOf(file)
	if err != nil {
		return nil, err
	}
	return &rowReader{stats: InputFile{File: file, Kind: kind, App: app, Gzip: gz}, format: format, required: required, decode: decode, dead: dead}, nil
}

// row decodes one row, or rejects it with err when err is not nil.
func (r *rowReader) row(line int, row features.Row, err error) {
	if err == nil {
		err = r.decode(line, row)
	}
	if err == nil {
		r.stats.Read++
		return
	}
	r.stats.Rejected++
	reason := features.ReasonOf(err)
	if reason == "" {
		reason = features.ReasonBadField
	}
	r.dead(DeadLetter{Stage: "read", Source: r.stats.File, Line: line, Reason: reason, Detail: err.Error(), Rows: 1})
}

// read reads the whole file from in.
func (r *rowReader) read(in io.Reader) error {
	var err error
	switch r.format {
	case CSV, TSV, Text:
		comma := byte(',')
		if r.format == TSV {
			comma = '\t'
		}
		err = r.csv(in, comma)
	case Parquet:
		err = r.parquet(in)
	default:
		err = r.jsonl(in)
	}
	if err != nil {
		return fmt.Errorf("pipelines: %s: %w", r.stats.File, err)
	}
	if r.stats.Read+r.stats.Rejected == 0 {
		r.dead(DeadLetter{Stage: "read", Source: r.stats.File, Reason: features.ReasonEmptyFile, Detail: "the file holds no row"})
	}
	if !r.stats.Balanced() {
		return fmt.Errorf("pipelines: %s: %d lines, but %d header, %d blank, %d read and %d rejected", r.stats.File,
			r.stats.Lines, r.stats.Header, r.stats.Blank, r.stats.Read, r.stats.Rejected)
	}
	return nil
}

// missing returns the required columns has does not have.
func (r *rowReader) missing(has func(string) bool) []string {
	var out []string
	for _, c := range r.required {
		if !has(c) {
			out = append(out, c)
		}
	}
	return out
}

// rejectFile accounts for n rows of a file that lacks required columns
// with one dead letter.
func (r *rowReader) rejectFile(n int) {
	r.stats.Rejected += n
	r.dead(DeadLetter{Stage: "read", Source: r.stats.File, Reason: features.ReasonNoColumn, Rows: n,
		Detail: fmt.Sprintf("required column %s not among the file's columns %s (map it in the app's account_columns or event_columns)",
			strings.Join(r.stats.Missing, ", "), strings.Join(r.stats.Columns, ", "))})
}

func (r *rowReader) lineReader(in io.Reader) *features.LineReader {
	lr := features.NewLineReader(in)
	r.stats.Encoding = ""
	return lr
}

func (r *rowReader) finishText(lr *features.LineReader) {
	r.stats.Encoding, r.stats.Recoded = lr.Encoding(), lr.Recoded()
}

func (r *rowReader) jsonl(in io.Reader) error {
	lr := r.lineReader(in)
	defer r.finishText(lr)
	for {
		b, err := lr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		r.stats.Lines++
		line := lr.Line()
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			r.stats.Blank++
			continue
		}
		row, err := decodeJSONObject(b)
		// JSON lines may leave out null fields: the first row's fields
		// are shown as the file's columns, and no column is required.
		if err == nil && r.stats.Columns == nil {
			r.stats.Columns = features.ColumnNames(slices.Sorted(func(yield func(string) bool) {
				for k := range row {
					if !yield(k) {
						return
					}
				}
			}))
		}
		r.row(line, row, err)
	}
}

// decodeJSONObject reads a line that must be one JSON object, numbers
// kept as written. The error says what is wrong without quoting the line.
func decodeJSONObject(b []byte) (features.JSONRow, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.InputOffset() != int64(len(b)) {
		rest := bytes.TrimSpace(b[dec.InputOffset():])
		if len(rest) > 0 {
			return nil, features.NewRejectError(features.ReasonBadLine, fmt.Sprintf("text after the JSON object, from byte %d", dec.InputOffset()+1))
		}
	}
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, features.NewRejectError(features.ReasonBadLine, fmt.Sprintf("not a JSON object: syntax error at byte %d", se.Offset))
		}
		return nil, features.NewRejectError(features.ReasonBadLine, "not a JSON object: the line ends inside it")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, features.NewRejectError(features.ReasonBadLine, fmt.Sprintf("a JSON %s, not an object", jsonKind(v)))
	}
	return features.JSONRow(obj), nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return "value"
}

// csv reads a header line, then one record per line.
func (r *rowReader) csv(in io.Reader, comma byte) error {
	lr := r.lineReader(in)
	defer r.finishText(lr)
	var header []string
	cols := map[string]int{}
	var pending []int // lines held back while a required column is missing
	for {
		b, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		r.stats.Lines++
		line := lr.Line()
		if strings.TrimSpace(string(b)) == "" {
			r.stats.Blank++
			continue
		}
		if header == nil {
			// A spreadsheet's "CSV" export may be separated by semicolons
			// or tabs: the header says which, when it holds no comma.
			if comma == ',' && !bytes.ContainsRune(b, ',') {
				for _, c := range []byte{';', '\t'} {
					if bytes.IndexByte(b, c) >= 0 {
						comma = c
						break
					}
				}
			}
			h, err := features.SplitCSVLine(b, comma, nil)
			if err != nil {
				return fmt.Errorf("line %d: the header does not split: %w", line, err)
			}
			r.stats.Header++
			header = make([]string, len(h))
			for i, c := range h {
				header[i] = strings.TrimSpace(c)
				cols[header[i]] = i
			}
			r.stats.Columns = features.ColumnNames(header)
			r.stats.Missing = r.missing(func(c string) bool { _, ok := cols[c]; return ok })
			continue
		}
		if len(r.stats.Missing) > 0 {
			pending = append(pending, line)
			continue
		}
		r.fields, err = features.SplitCSVLine(b, comma, r.fields)
		switch {
		case err != nil:
			r.row(line, nil, features.NewRejectError(features.ReasonBadQuote, err.Error()))
		case len(r.fields) != len(header):
			r.row(line, nil, features.NewRejectError(features.ReasonFieldCount, fmt.Sprintf("%d fields, the header has %d", len(r.fields), len(header))))
		default:
			r.row(line, features.CSVRow{Columns: cols, Values: r.fields}, nil)
		}
	}
	if len(pending) > 0 {
		r.rejectFile(len(pending))
	}
	return nil
}
