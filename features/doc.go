// Package features turns what social apps know of their users into one
// feature vector per person, keyed by a phone identity.
//
// It holds the decisions, as plain functions with no pipeline, logging or
// cloud client in sight, so every one of them can be tested alone:
//
//   - phone identity: NormalizePhone (E.164 through libphonenumber, with a
//     fast path that gives the library's exact verdict), the two SHA-256
//     conventions advertisers hash phones with, person keys (HMAC-SHA256
//     under a secret pepper), shared-number detection, and the named
//     Reason of every rejection;
//   - text inputs: LineReader (one physical line at a time: any line end,
//     UTF-8, UTF-16, Latin-1 lines) and SplitCSVLine (a record never spans
//     lines), so every line of a file is accounted for;
//   - records: Account and Event, and the column mappings that read them
//     from any source Row (CSV, JSON, BigQuery), with errors that name the
//     column and never quote the value;
//   - seed lists: SeedCSVReader (separator, header, cells left out), the
//     readiness check (SeedChecker), and the privacy rules: Policy,
//     CheckPepper and the pepper's Fingerprint, NoisyCount against
//     differencing, and the floor on counts advertisers see (Floor,
//     Suppress, SuppressTotal);
//   - aggregation: ActivityWindow, a mergeable accumulator of one account's
//     events up to an explicit as-of time, shaped as a Beam CombineFn;
//   - profiles: AppProfile per app, Person across apps (MergePerson), and
//     the versioned Schema that vectorizes a Person.
//
// The synthetic world the tests and demos run on is in the synth
// subpackage.
package features
