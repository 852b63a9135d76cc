// Package pipelines holds sosie's Beam composites: each stage of the
// lookalike flow as an exported function of a beam.Scope whose doc comment
// gives the element types in and out. The decisions inside a stage (how a
// phone is normalized, what a feature is) live in the features and model
// packages; the DoFns here only call them.
//
// Built so far: reading accounts and events from local JSONL and CSV files
// (ReadAccounts, ReadEvents), per-app featurization (Featurize), the
// cross-app join (JoinByPhone), seed matching with a match report
// (MatchSeeds), one model per seed list (Train), scoring into tiered
// prospect lists (Score) and JSONL output (WriteJSONL). Every rejected row
// goes to a dead-letter PCollection of DeadLetter with its reason;
// counters count every outcome. The jobs that wire them (jobs/lookalike
// and the rest) and their configuration are not written yet.
package pipelines
