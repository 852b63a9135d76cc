// Command lookalike runs sosie's whole flow in one Beam pipeline: read the
// apps' accounts and events, featurize, join by phone, match the seed lists,
// train a model per list, score everybody else, and write the prospects,
// match reports, models, dead letters and a run report.
//
// With no config (or one without apps) it first writes a small synthetic
// world and runs on that:
//
//	go run ./jobs/lookalike
//	go run ./jobs/lookalike --config configs/local.yaml --out /tmp/run
//
// Beam's own flags (--runner, --endpoint, ...) are accepted too; the
// default runner is prism, in process. The same stages run split across
// jobs/featurize, jobs/train and jobs/score.
package main

import "github.com/sosie-dev/sosie/jobs/internal/job"

var flags = job.RegisterFlags("lookalike")

func main() { job.Main("lookalike", flags, job.RunLookalike) }
