package rows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/sosie-dev/sosie/features"
)

// parquet reads a flat Parquet file: each top-level primitive column is a
// field of the row, named as in the file; timestamps and dates (by their
// logical type) become RFC 3339 text, as features.ParseTime reads them.
// Nested columns are ignored.
func (r *Reader) parquet(in io.Reader) error {
	// Parquet is read from its footer: a local file seeks, a remote one is
	// read whole first.
	var f io.ReaderAt
	var size int64
	if file, ok := in.(*os.File); ok {
		fi, err := file.Stat()
		if err != nil {
			return err
		}
		f, size = file, fi.Size()
	} else {
		b, err := io.ReadAll(in)
		if err != nil {
			return err
		}
		f, size = bytes.NewReader(b), int64(len(b))
	}
	if size == 0 {
		return nil // an empty file
	}
	pf, err := parquet.OpenFile(f, size)
	if err != nil {
		return fmt.Errorf("not a Parquet file: %w", err)
	}
	// The leaf columns, in the order of a row's values.
	var cols []parquetColumn
	names := map[string]int{}
	var have []string
	for i, path := range pf.Schema().Columns() {
		c := parquetColumn{name: path[0]}
		if len(path) == 1 {
			leaf, _ := pf.Schema().Lookup(path...)
			c.flat = true
			if lt := leaf.Node.Type().LogicalType(); lt != nil {
				c.logical = lt.Value
			}
			names[c.name] = i
			have = append(have, c.name)
		}
		cols = append(cols, c)
	}
	r.Stats.Columns = have
	if r.Stats.Missing = r.missing(func(c string) bool { _, ok := names[c]; return ok }); len(r.Stats.Missing) > 0 {
		if n := int(pf.NumRows()); n > 0 {
			r.Stats.Lines += n
			r.rejectFile(n)
		}
		return nil
	}
	line := 0
	buf := make([]parquet.Row, 256)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				line++
				r.Stats.Lines++
				m := make(features.MapRow, len(names))
				var bad error
				for _, v := range row {
					c := cols[v.Column()]
					if !c.flat || v.IsNull() {
						continue
					}
					s, err := c.text(v)
					if err != nil && bad == nil {
						bad = &features.FieldError{Field: c.name, Column: c.name, Err: fmt.Errorf("%w: %v", features.ErrBadField, err)}
					}
					m[c.name] = s
				}
				r.row(line, m, bad)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("row %d: %w", line+1, err)
			}
		}
		rows.Close()
	}
	return nil
}

// parquetColumn is one leaf column of a Parquet file.
type parquetColumn struct {
	name    string
	flat    bool // a top-level column, read as a field
	logical format.LogicalTypeValue
}

// text renders a value as the text a CSV cell would hold.
func (c parquetColumn) text(v parquet.Value) (string, error) {
	switch lt := c.logical.(type) {
	case *format.TimestampType:
		if v.Kind() != parquet.Int64 {
			return "", fmt.Errorf("timestamp stored as %s", v.Kind())
		}
		unit := time.Microsecond
		if lt.Unit.Value != nil {
			unit = lt.Unit.Value.Duration()
		}
		return time.Unix(0, 0).Add(time.Duration(v.Int64()) * unit).UTC().Format(time.RFC3339Nano), nil
	case *format.DateType:
		return time.Unix(0, 0).AddDate(0, 0, int(v.Int32())).UTC().Format("2006-01-02"), nil
	}
	switch v.Kind() {
	case parquet.Float:
		return strconv.FormatFloat(float64(v.Float()), 'g', -1, 32), nil
	case parquet.Boolean, parquet.Int32, parquet.Int64, parquet.Double, parquet.ByteArray, parquet.FixedLenByteArray:
		return v.String(), nil
	}
	return "", fmt.Errorf("unsupported Parquet type %s", v.Kind())
}
