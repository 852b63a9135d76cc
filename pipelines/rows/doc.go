// Package rows reads the rows of input files in the formats sosie reads —
// JSON lines, CSV, TSV and Parquet, text optionally gzip-compressed — and
// accounts for every line of a file: a header, blank, a row read, or a
// row rejected with its reason (File, Rejection). It is plain Go over an
// io.Reader, with no pipeline in sight, so it is tested and fuzzed alone;
// pipelines opens the files (local or gs://) and turns rejections into
// dead letters.
package rows
