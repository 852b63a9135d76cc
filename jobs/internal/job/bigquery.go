package job

import "github.com/sosie-dev/sosie/pipelines/bqio"

// bigQueryTimeouts bound the jobs' BigQuery calls (zero: bqio's defaults,
// 30 s a call); tests shorten them.
var bigQueryTimeouts bqio.Timeouts

// bigQueryOutputs are the report's lines for the tables a job writes.
func bigQueryOutputs(k *bqio.Sink, tables ...bqio.Table) []Output {
	var out []Output
	for _, t := range tables {
		out = append(out, Output{What: "bigquery " + t.Name, Path: k.TableName(t)})
	}
	return out
}
