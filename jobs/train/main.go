// Command train matches each configured seed list to the persons written
// by jobs/featurize and fits one lookalike model per list: the second of
// the three scheduled jobs.
//
//	go run ./jobs/train --config configs/local.yaml
//
// It reads persons.jsonl and identities.jsonl from --profiles (default:
// the output directory) and writes models.jsonl, seed_match.jsonl,
// train_dead_letters.jsonl and train_report.json. A seed list with fewer
// matched seeds than min_seeds fails the run (exit 1) with the numbers.
package main

import "github.com/sosie-dev/sosie/jobs/internal/job"

var flags = job.RegisterFlags("train")

func main() { job.Main("train", flags, job.RunTrain) }
