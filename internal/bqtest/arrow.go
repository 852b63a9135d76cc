package bqtest

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	bq "google.golang.org/api/bigquery/v2"
)

// The Storage Read API's Arrow: a session carries the IPC schema message,
// each ReadRows response one IPC record batch message; a reader puts the
// two together as an IPC stream.

// numericType is NUMERIC's Arrow type, as BigQuery documents it.
var numericType = &arrow.Decimal128Type{Precision: 38, Scale: 9}

// arrowSchema is the Arrow schema of fields, as BigQuery maps its types;
// a NULLABLE column is a nullable field.
func arrowSchema(fields []*bq.TableFieldSchema) *arrow.Schema {
	var out []arrow.Field
	for _, f := range fields {
		var t arrow.DataType
		switch f.Type {
		case "INTEGER", "INT64":
			t = arrow.PrimitiveTypes.Int64
		case "FLOAT", "FLOAT64":
			t = arrow.PrimitiveTypes.Float64
		case "BOOLEAN", "BOOL":
			t = arrow.FixedWidthTypes.Boolean
		case "TIMESTAMP":
			t = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		case "DATE":
			t = arrow.FixedWidthTypes.Date32
		case "NUMERIC":
			t = numericType
		default:
			t = arrow.BinaryTypes.String
		}
		out = append(out, arrow.Field{Name: f.Name, Type: t, Nullable: f.Mode != "REQUIRED"})
	}
	return arrow.NewSchema(out, nil)
}

// endOfStream is the IPC stream's end marker: a continuation and a zero
// length.
var endOfStream = []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}

// stream writes an IPC stream of schema and records.
func stream(schema *arrow.Schema, recs ...arrow.RecordBatch) ([]byte, error) {
	var b bytes.Buffer
	w := ipc.NewWriter(&b, ipc.WithSchema(schema))
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	out, ok := bytes.CutSuffix(b.Bytes(), endOfStream)
	if !ok {
		return nil, fmt.Errorf("arrow: the IPC stream does not end with its end marker")
	}
	return out, nil
}

// serializeSchema is the schema as an IPC schema message.
func serializeSchema(schema *arrow.Schema) ([]byte, error) { return stream(schema) }

// serializeBatch is rows as one IPC record batch message of schema.
func serializeBatch(schema *arrow.Schema, fields []*bq.TableFieldSchema, rows []Row) ([]byte, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, row := range rows {
		for j, f := range fields {
			if err := appendValue(b.Field(j), f, row[f.Name]); err != nil {
				return nil, err
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	head, err := serializeSchema(schema)
	if err != nil {
		return nil, err
	}
	all, err := stream(schema, rec)
	if err != nil {
		return nil, err
	}
	batch, ok := bytes.CutPrefix(all, head)
	if !ok {
		return nil, fmt.Errorf("arrow: the IPC stream does not start with its schema")
	}
	return batch, nil
}

// appendValue appends a row's value of column f (nil: null) to its
// builder, read from its text as the REST API gives it.
func appendValue(b array.Builder, f *bq.TableFieldSchema, v any) error {
	if v == nil {
		if f.Mode == "REQUIRED" {
			return fmt.Errorf("required column %s is null", f.Name)
		}
		b.AppendNull()
		return nil
	}
	text := fmt.Sprint(v)
	if x, ok := v.(float64); ok {
		text = strconv.FormatFloat(x, 'f', -1, 64)
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return fmt.Errorf("column %s: %q is not an integer", f.Name, text)
		}
		b.Append(n)
	case *array.Float64Builder:
		x, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Errorf("column %s: %q is not a number", f.Name, text)
		}
		b.Append(x)
	case *array.BooleanBuilder:
		b.Append(text == "true")
	case *array.TimestampBuilder:
		t, err := parseTimestamp(text)
		if err != nil {
			return fmt.Errorf("column %s: %v", f.Name, err)
		}
		b.Append(arrow.Timestamp(t.UnixMicro()))
	case *array.Date32Builder:
		t, err := time.Parse("2006-01-02", text)
		if err != nil {
			return fmt.Errorf("column %s: %q is not a date", f.Name, text)
		}
		b.Append(arrow.Date32FromTime(t))
	case *array.Decimal128Builder:
		n, err := decimal128.FromString(text, numericType.Precision, numericType.Scale)
		if err != nil {
			return fmt.Errorf("column %s: %q is not a NUMERIC", f.Name, text)
		}
		b.Append(n)
	case *array.StringBuilder:
		b.Append(text)
	default:
		return fmt.Errorf("column %s: no Arrow builder for %s", f.Name, f.Type)
	}
	return nil
}
