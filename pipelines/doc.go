// Package pipelines holds sosie's Beam graphs and their stages.
//
// Start at graph.go, the table of contents: LookalikeGraph builds the
// whole flow from one GraphOptions value, and FeaturizeGraph, TrainGraph
// and ScoreGraph the three jobs it splits into. The jobs in jobs/ fill
// GraphOptions from the config, run the graph and publish its outputs.
//
// Each stage is an exported function of a beam.Scope whose doc comment
// gives the element types in and out: reading accounts and events from
// files (ReadAccounts, ReadEvents: JSON lines, CSV, TSV, Parquet, gzip by
// name), per-app featurization (Featurize), the cross-app join
// (JoinByPhone), opt-out lists (OptOut) and the privacy policy
// (ApplyPolicy), seed matching with a match report (MatchSeeds,
// MatchSeedRows), one model per seed list (Train), scoring into tiered
// prospect lists (Score, WithholdSmallAudiences) and the writers
// (WriteProspects, WriteJSONL). The decisions inside a stage (how a phone
// is normalized, what a feature is, which account wins, who is sampled,
// which tier a score falls in) live in the features and model packages;
// the DoFns here only call them.
//
// Every input is read one physical line at a time and accounted for in an
// InputFile (lines = header + blank + read + rejected); every rejected row
// goes to a dead-letter PCollection of DeadLetter with its reason, never
// its value; counters count every outcome, per app where the jobs check
// it.
//
// The files the jobs hand each other start with a FileHeader that names
// the pepper's fingerprint. Files are read and written through
// pipelines/fileio (local or gs://, every remote call under a deadline),
// which also publishes a job's outputs at once with a manifest
// (fileio.Publication). pipelines/bqio
// reads BigQuery tables (a TableSource for the graphs) and writes them (a
// TableSink).
package pipelines
