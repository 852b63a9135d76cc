package pipelines

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"

	"github.com/sosie-dev/sosie/pipelines/fileio"
	"github.com/sosie-dev/sosie/pipelines/rows"
)

// Format is a file format of a source (rows.Format).
type Format = rows.Format

// The file formats sosie reads (see rows).
const (
	JSONL   = rows.JSONL
	CSV     = rows.CSV
	TSV     = rows.TSV
	Parquet = rows.Parquet
	Text    = rows.Text
)

// ErrFormat says a file's name gives no format sosie reads.
var ErrFormat = rows.ErrFormat

// FormatOf is rows.FormatOf: a file's format by its name, and whether it
// is gzip-compressed.
func FormatOf(file string) (Format, bool, error) { return rows.FormatOf(file) }

// CheckFormats is rows.CheckFormats: it refuses, before any work, a file
// whose format is not one of want.
func CheckFormats(what string, files []string, want ...Format) error {
	return rows.CheckFormats(what, files, want...)
}

// InputFile accounts for one input file's lines (rows.File).
type InputFile = rows.File

// OpenInput opens an input file for reading, decompressing a .gz one. A
// file that is gzip-compressed without the .gz name is refused, naming it:
// read as text, it would be one long line of noise.
func OpenInput(ctx context.Context, file string) (io.ReadCloser, error) {
	_, gz, err := FormatOf(file)
	if err != nil {
		return nil, err
	}
	f, err := fileio.OpenFile(ctx, file)
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

// deadLetters turns the rejections of a file's reader into dead letters
// of the read stage.
func deadLetters(file string, dead func(DeadLetter)) func(rows.Rejection) {
	return func(r rows.Rejection) {
		dead(DeadLetter{Stage: "read", Source: file, Line: r.Line, Reason: r.Reason, Detail: r.Detail, Rows: r.Rows})
	}
}
