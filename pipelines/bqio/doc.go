// Package bqio is sosie's BigQuery sink (and, later, source), built on
// cloud.google.com/go/bigquery rather than Beam's own connector, which
// streams through one worker with insert ids that duplicate on retry and
// cannot be pointed at a test endpoint.
//
// A table is written in two steps. Rows are grouped into a fixed number
// of shards, each written as newline-delimited JSON to a file in the temp
// directory whose name depends only on the run, the table and the shard,
// so a retried bundle rewrites the same file. Then one element, after
// every shard, loads them all with one load job into a staging table and
// replaces the run's rows in the target table with one transaction:
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
package bqio
