package bqio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// The Storage Read API sends a session's schema once, as an Arrow IPC
// schema message, and each response's rows as an IPC record batch
// message; the schema's bytes followed by a batch's read as an IPC stream.

// arrowSchema reads a session's serialized schema.
func arrowSchema(serialized []byte) (*arrow.Schema, error) {
	r, err := ipc.NewReader(bytes.NewReader(serialized))
	if err != nil {
		return nil, fmt.Errorf("arrow schema: %w", err)
	}
	defer r.Release()
	return r.Schema(), nil
}

// eachRecord calls fn on every record of a serialized record batch, read
// after the session's serialized schema.
func eachRecord(schema *arrow.Schema, serializedSchema, batch []byte, fn func(arrow.RecordBatch)) error {
	if len(batch) == 0 {
		return nil
	}
	stream := make([]byte, 0, len(serializedSchema)+len(batch))
	stream = append(append(stream, serializedSchema...), batch...)
	r, err := ipc.NewReader(bytes.NewReader(stream), ipc.WithSchema(schema))
	if err != nil {
		return fmt.Errorf("arrow record batch: %w", err)
	}
	defer r.Release()
	for r.Next() {
		fn(r.RecordBatch())
	}
	if err := r.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("arrow record batch: %w", err)
	}
	return nil
}

// arrowRow is row i of a record, read column by column as the text a CSV
// cell would hold (features.Row): numbers as Go formats them, timestamps
// in RFC 3339 (UTC), dates as YYYY-MM-DD, NUMERIC with its scale; a null
// is no value.
type arrowRow struct {
	cols map[string]arrow.Array
	i    int
}

// of points the row at rec's columns.
func (r arrowRow) of(rec arrow.RecordBatch) {
	clear(r.cols)
	for j, f := range rec.Schema().Fields() {
		r.cols[f.Name] = rec.Column(j)
	}
}

// Field implements features.Row.
func (r arrowRow) Field(column string) (string, bool) {
	a, ok := r.cols[column]
	if !ok || a.IsNull(r.i) {
		return "", false
	}
	switch a := a.(type) {
	case *array.String:
		return a.Value(r.i), true
	case *array.LargeString:
		return a.Value(r.i), true
	case *array.Int64:
		return strconv.FormatInt(a.Value(r.i), 10), true
	case *array.Float64:
		return strconv.FormatFloat(a.Value(r.i), 'g', -1, 64), true
	case *array.Boolean:
		return strconv.FormatBool(a.Value(r.i)), true
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(r.i).ToTime(unit).UTC().Format(time.RFC3339Nano), true
	case *array.Date32:
		return a.Value(r.i).ToTime().Format("2006-01-02"), true
	case *array.Decimal128:
		return a.Value(r.i).ToString(a.DataType().(*arrow.Decimal128Type).Scale), true
	}
	return a.ValueStr(r.i), true
}
