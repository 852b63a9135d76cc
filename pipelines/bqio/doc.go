// Package bqio is sosie's BigQuery source and sink, built on
// cloud.google.com/go/bigquery rather than Beam's own connector, which
// streams through one worker with insert ids that duplicate on retry and
// cannot be pointed at a test endpoint.
//
// The source reads apps' and seed lists' tables through the Storage Read
// API: one read session per table (CheckColumns first checks its
// columns), its streams read in parallel as separate elements, each
// response an Arrow record batch decoded column by column with arrow-go,
// a broken stream resumed at its offset. The jobs hand it to the graphs
// as their pipelines.TableSource.
//
// The sink writes a table in two steps. In the pipeline, rows are grouped
// into a fixed number of shards, each written as newline-delimited JSON to
// a file under the run attempt's directory of the temp location, named by
// table and shard alone, so a retried bundle rewrites the same file
// (WriteShards). Then, once the run has passed its checks, the launching
// process loads each table's shards with one load job into a staging table
// and replaces the run's rows in the target table with one transaction
// (PublishRun):
//
//	BEGIN TRANSACTION;
//	DELETE FROM target WHERE run_date = D AND seed_list_id IN (the run's lists);
//	INSERT INTO target SELECT * FROM staging;
//	COMMIT TRANSACTION;
//
// so a rerun for the same date and seed lists replaces its output (no
// duplicate, no loss), other seed lists' rows of the same day stay, and a
// run that fails before the commit leaves the previous output untouched.
// A partition decorator with WRITE_TRUNCATE would be simpler, but it
// replaces a whole day: seed lists scheduled separately on one day would
// erase each other.
//
// Every call has a deadline (Timeouts): the Google clients retry a refused
// connection until their context ends, so an endpoint that does not answer
// fails the run, named, instead of hanging it.
package bqio
