package bqtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	bq "google.golang.org/api/bigquery/v2"
)

// AccountsSchema is an app's accounts table as a warehouse holds it, with
// sosie's field names as columns.
var AccountsSchema = &bq.TableSchema{Fields: []*bq.TableFieldSchema{
	{Name: "user_id", Type: "STRING", Mode: "REQUIRED"}, {Name: "phone", Type: "STRING"}, {Name: "country", Type: "STRING"},
	{Name: "birth_year", Type: "INTEGER"}, {Name: "age", Type: "INTEGER"}, {Name: "gender", Type: "STRING"}, {Name: "os", Type: "STRING"},
	{Name: "carrier", Type: "STRING"}, {Name: "created_at", Type: "TIMESTAMP"}, {Name: "updated_at", Type: "TIMESTAMP"},
	{Name: "consent_ads", Type: "BOOLEAN"}, {Name: "consent_cross_app", Type: "BOOLEAN"},
}}

// PutJSONL appends the rows of a JSON-lines file (a synthetic world's
// accounts or events) to a table, numbers kept as text as a load keeps
// them; rename maps a file field to the table's column name.
func (s *Server) PutJSONL(project, datasetID, tableID, path string, rename map[string]string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	var rows []Row
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var r Row
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		for k, v := range r {
			if n, ok := v.(json.Number); ok {
				r[k] = n.String()
			}
			if to, ok := rename[k]; ok {
				r[to] = r[k]
				delete(r, k)
			}
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	s.PutRows(project, datasetID, tableID, "", rows...)
	return nil
}
