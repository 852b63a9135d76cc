// Command score scores every eligible person with each seed list's model
// and writes the prospect lists: the last of the three scheduled jobs,
// after jobs/featurize and jobs/train.
//
//	go run ./jobs/score --config configs/local.yaml
//
// It reads persons.jsonl and identities.jsonl from --profiles and
// models.jsonl from --models (defaults: the output directory), matches the
// seed lists again so that seeds are excluded from their own prospect
// list (no matched seed is stored between jobs), and writes
// prospects.jsonl (plus the configured prospect_formats),
// score_dead_letters.jsonl and score_report.json.
package main

import "github.com/sosie-dev/sosie/jobs/internal/job"

var flags = job.RegisterFlags("score")

func main() { job.Main("score", flags, job.RunScore) }
