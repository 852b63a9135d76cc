// Package bqtest is an in-process BigQuery server for tests: an httptest
// server that speaks the subset of BigQuery's REST API that
// cloud.google.com/go/bigquery uses for what sosie does — datasets,
// tables (with schema, time partitioning and clustering), load jobs from
// multipart uploads (newline-delimited JSON) into a table or a partition
// decorator with every write disposition, copy jobs, jobs.get polling,
// tabledata.list, and the query scripts sosie's sink issues — with
// BigQuery's own JSON shapes (google.golang.org/api/bigquery/v2) and
// error shapes (404 notFound, 409 duplicate, 5xx backendError, 403
// quotaExceeded). Rows are kept in memory per table and partition. Any call
// can be told to fail N times. Beside it: the Storage Read API over gRPC
// (storage.go) and enough of Cloud Storage's JSON API for a gs:// temp
// location (gcs.go).
//
// A client reaches it with option.WithEndpoint(srv.URL) and
// option.WithoutAuthentication().
package bqtest
