// Command featurize reads the apps' accounts and events, normalizes
// phones into person keys, aggregates activity, joins the apps by phone
// and writes one profile per person: the first of the three jobs a data
// engineer schedules (daily), before jobs/train and jobs/score.
//
//	go run ./jobs/featurize --config configs/local.yaml
//
// It writes persons.jsonl, identities.jsonl (the phone hashes hashed seed
// lists are matched against), featurize_dead_letters.jsonl and
// featurize_report.json to the output directory. With no apps configured
// it writes a synthetic world first, as jobs/lookalike does.
package main

import "github.com/sosie-dev/sosie/jobs/internal/job"

var flags = job.RegisterFlags("featurize")

func main() { job.Main("featurize", flags, job.RunFeaturize) }
