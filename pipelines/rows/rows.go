package rows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
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

// File accounts for one input file's lines (rows, for Parquet):
// Lines = Header + Blank + Read + Rejected, and each rejected line is a
// dead letter (a file without a required column: one letter for all of
// them).
type File struct {
	File string `json:"file"`
	Kind string `json:"kind"` // accounts, events, seeds, opt_out, persons, identities, models
	App  string `json:"app,omitempty"`
	features.TextStats
	Gzip    bool     `json:"gzip,omitempty"`
	Columns []string `json:"columns,omitempty"`         // the header (CSV), the schema (Parquet), the first row's fields (JSONL)
	Missing []string `json:"missing_columns,omitempty"` // required columns the file lacks: all its rows rejected
}

// Rejection is a line (or, for a file without a required column, all its
// rows) that was not read, and why: what a dead letter is made of. It
// never holds the line's text.
type Rejection struct {
	Line   int // 1-based; 0 for a whole file
	Reason features.Reason
	Detail string
	Rows   int // the rows it stands for: 1, 0 for an empty file, or all of a file's
}

// Reader reads one input file's rows in the format of its name and
// accounts for every line in Stats: a header, blank, decoded (Decode
// returns nil), or rejected (Reject is told). A file with no row is one
// Rejection of reason empty_file and 0 rows.
type Reader struct {
	Stats    File
	format   Format
	required []string
	// Decode reads one row; an error rejects it, with the error's reason
	// (bad_field when it has none).
	Decode func(line int, row features.Row) error
	Reject func(Rejection)
	fields []string
	// A part of a file after its first (ReadPart): the lines before it,
	// and the file's header line for CSV.
	after  int
	header []byte
}

// NewReader is a Reader of file (its format from its name) of kind and
// app, whose CSV or Parquet form must have the required columns.
func NewReader(file, kind, app string, required []string, decode func(int, features.Row) error, reject func(Rejection)) (*Reader, error) {
	format, gz, err := FormatOf(file)
	if err != nil {
		return nil, err
	}
	return &Reader{Stats: File{File: file, Kind: kind, App: app, Gzip: gz}, format: format, required: required, Decode: decode, Reject: reject}, nil
}

// row decodes one row, or rejects it with err when err is not nil.
func (r *Reader) row(line int, row features.Row, err error) {
	if err == nil {
		err = r.Decode(line, row)
	}
	if err == nil {
		r.Stats.Read++
		return
	}
	r.Stats.Rejected++
	reason := features.ReasonOf(err)
	if reason == "" {
		reason = features.ReasonBadField
	}
	r.Reject(Rejection{Line: line, Reason: reason, Detail: err.Error(), Rows: 1})
}

// Read reads the whole file from in; its error names the file (and the
// line, for a file that stops being readable).
func (r *Reader) Read(in io.Reader) error {
	if err := r.read(in); err != nil {
		return err
	}
	if r.Stats.Read+r.Stats.Rejected == 0 {
		r.Reject(Rejection{Reason: features.ReasonEmptyFile, Detail: "the file holds no row"})
	}
	return nil
}

// ReadPart reads one part of a text file cut by features.SplitText from
// in, which holds the part's bytes. The first part is read as Read reads a
// whole file; a later one numbers its lines after the part's Lines and,
// for CSV, TSV and text, takes the file's header line (HeaderLine: header
// is nil for JSON lines). Stats count the part's lines only (the header
// in the first part's), and a part without a row is no empty_file
// rejection: whoever reads all the parts says whether the file has rows.
func (r *Reader) ReadPart(in io.Reader, part features.TextPart, header []byte) error {
	if part.Start > 0 {
		r.after, r.header = part.Lines, header
	}
	return r.read(in)
}

// HeaderLine is the first line of a text file that is not blank, as the
// CSV reader takes it for the header.
func HeaderLine(in io.Reader) ([]byte, error) {
	lr := features.NewLineReader(in)
	for {
		b, err := lr.Next()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(string(b)) != "" {
			return bytes.Clone(b), nil
		}
	}
}

func (r *Reader) read(in io.Reader) error {
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
		return fmt.Errorf("rows: %s: %w", r.Stats.File, err)
	}
	if !r.Stats.Balanced() {
		return fmt.Errorf("rows: %s: %d lines, but %d header, %d blank, %d read and %d rejected", r.Stats.File,
			r.Stats.Lines, r.Stats.Header, r.Stats.Blank, r.Stats.Read, r.Stats.Rejected)
	}
	return nil
}

// missing returns the required columns has does not have.
func (r *Reader) missing(has func(string) bool) []string {
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
func (r *Reader) rejectFile(n int) {
	r.Stats.Rejected += n
	r.Reject(Rejection{Reason: features.ReasonNoColumn, Rows: n,
		Detail: fmt.Sprintf("required column %s not among the file's columns %s (map it in the app's account_columns or event_columns)",
			strings.Join(r.Stats.Missing, ", "), strings.Join(r.Stats.Columns, ", "))})
}

func (r *Reader) lineReader(in io.Reader) *features.LineReader {
	lr := features.NewLineReader(in)
	if r.after > 0 {
		lr = features.NewLineReaderAfter(in, r.after)
	}
	r.Stats.Encoding = ""
	return lr
}

func (r *Reader) finishText(lr *features.LineReader) {
	r.Stats.Encoding, r.Stats.Recoded = lr.Encoding(), lr.Recoded()
}

func (r *Reader) jsonl(in io.Reader) error {
	lr := r.lineReader(in)
	defer r.finishText(lr)
	var flat flatRow
	for {
		b, err := lr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		r.Stats.Lines++
		line := lr.Line()
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			r.Stats.Blank++
			continue
		}
		// Most lines are flat objects the scanner reads; the rest, and
		// every malformed line, go through encoding/json.
		var row features.Row
		var names []string
		if scanFlatObject(b, &flat) {
			row, err = &flat, nil
			if r.Stats.Columns == nil {
				names = flat.names()
			}
		} else {
			var obj features.JSONRow
			obj, err = decodeJSONObject(b)
			row = obj
			if err == nil && r.Stats.Columns == nil {
				names = slices.Collect(maps.Keys(obj))
			}
		}
		// JSON lines may leave out null fields: the first row's fields
		// are shown as the file's columns, and no column is required.
		if err == nil && r.Stats.Columns == nil {
			slices.Sort(names)
			r.Stats.Columns = features.ColumnNames(names)
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
func (r *Reader) csv(in io.Reader, comma byte) error {
	lr := r.lineReader(in)
	defer r.finishText(lr)
	var header []string
	cols := map[string]int{}
	var pending []int         // lines held back while a required column is missing
	preset := r.header != nil // a later part: the file's header is given
	for {
		var b []byte
		var err error
		if preset {
			b = r.header
		} else {
			b, err = lr.Next()
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		line := lr.Line()
		if !preset {
			r.Stats.Lines++
			if strings.TrimSpace(string(b)) == "" {
				r.Stats.Blank++
				continue
			}
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
			if !preset {
				r.Stats.Header++
			}
			preset = false
			header = make([]string, len(h))
			for i, c := range h {
				header[i] = strings.TrimSpace(c)
				cols[header[i]] = i
			}
			r.Stats.Columns = features.ColumnNames(header)
			r.Stats.Missing = r.missing(func(c string) bool { _, ok := cols[c]; return ok })
			continue
		}
		if len(r.Stats.Missing) > 0 {
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
